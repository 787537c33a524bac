//! Fresh identifiers and secrets: GUIDs for object ids and names, random bytes, keys and
//! hex strings for the secrets the emulator hands out.

use rand::Rng;

pub(crate) fn new_guid() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// `len` random bytes.
pub(crate) fn random_bytes(len: usize) -> Vec<u8> {
    let mut rng = rand::rng();
    (0..len).map(|_| rng.random::<u8>()).collect()
}

/// A storage-key-like secret: 64 random bytes, standard base64.
pub(crate) fn random_key() -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(random_bytes(64))
}

pub(crate) fn random_hex(len_bytes: usize) -> String {
    random_bytes(len_bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
