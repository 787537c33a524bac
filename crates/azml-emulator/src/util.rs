//! Small helpers shared by the emulator's modules.

use rand::Rng;
use time::OffsetDateTime;

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

fn datetime(ms: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

/// ARM's timestamp style: `2022-10-28T01:27:43.1054255Z` (seven fractional digits).
pub(crate) fn iso(ms: i64) -> String {
    let t = datetime(ms);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:07}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.nanosecond() / 100
    )
}

/// The US style ARM uses in token-expiry messages: `8/25/2023 10:31:20 PM`.
pub(crate) fn us_time(secs: i64) -> String {
    let t = datetime(secs * 1000);
    let (h12, ampm) = match t.hour() {
        0 => (12, "AM"),
        h @ 1..=11 => (h, "AM"),
        12 => (12, "PM"),
        h => (h - 12, "PM"),
    };
    format!(
        "{}/{}/{} {}:{:02}:{:02} {}",
        u8::from(t.month()),
        t.day(),
        t.year(),
        h12,
        t.minute(),
        t.second(),
        ampm
    )
}

/// `20261126T220309Z`, as in `x-ms-routing-request-id`.
pub(crate) fn compact_time(ms: i64) -> String {
    let t = datetime(ms);
    format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// ARM compares locations without case and spaces ("West US" == "westus").
pub(crate) fn normalize_location(loc: &str) -> String {
    loc.chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_lowercase)
        .collect()
}

pub(crate) fn eq_ci(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b) || a.to_lowercase() == b.to_lowercase()
}

/// Serde for bytes as base64url text: the state file stays readable JSON rather than arrays of
/// numbers.
pub(crate) mod b64 {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine;
    use serde::{Deserialize, Deserializer, Serializer};

    pub(crate) fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&URL_SAFE_NO_PAD.encode(bytes))
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let text = String::deserialize(d)?;
        URL_SAFE_NO_PAD
            .decode(text.trim_end_matches('='))
            .map_err(serde::de::Error::custom)
    }
}
