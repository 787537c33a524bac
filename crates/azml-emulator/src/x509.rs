//! Just enough DER to find the RSA key in an X.509 certificate: Entra ID keeps an app's
//! certificate to check the RS256 client assertions signed by its key.

use base64::Engine;

/// The DER of a certificate given as PEM or as bare base64 (what portals call the "public
/// certificate" value).
pub(crate) fn certificate_der(text: &str) -> Result<Vec<u8>, String> {
    let text = text.trim();
    let b64: String = if let Some(start) = text.find("-----BEGIN CERTIFICATE-----") {
        let body = &text[start + "-----BEGIN CERTIFICATE-----".len()..];
        let end = body
            .find("-----END CERTIFICATE-----")
            .ok_or("the PEM certificate has no END line")?;
        body[..end].split_whitespace().collect()
    } else {
        text.split_whitespace().collect()
    };
    base64::engine::general_purpose::STANDARD
        .decode(b64)
        .map_err(|_| "the certificate is neither PEM nor base64 DER".to_string())
}

/// One DER element: (tag, contents, what follows).
fn der_next(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    let (&first, mut rest) = rest.split_first()?;
    let len = if first < 0x80 {
        usize::from(first)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        let len = rest[..n]
            .iter()
            .fold(0usize, |acc, b| (acc << 8) | usize::from(*b));
        rest = &rest[n..];
        len
    };
    (rest.len() >= len).then(|| (tag, &rest[..len], &rest[len..]))
}

/// The PKCS#1 `RSAPublicKey` inside a certificate's SubjectPublicKeyInfo.
pub(crate) fn rsa_public_key(cert: &[u8]) -> Option<Vec<u8>> {
    const RSA_ENCRYPTION: [u8; 9] = [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];
    let (0x30, cert, _) = der_next(cert)? else {
        return None;
    };
    let (0x30, tbs, _) = der_next(cert)? else {
        return None;
    };
    let mut rest = tbs;
    let (tag, _, after) = der_next(rest)?;
    if tag == 0xa0 {
        rest = after; // explicit version
    }
    // serialNumber, signature, issuer, validity, subject
    for _ in 0..5 {
        rest = der_next(rest)?.2;
    }
    let (0x30, spki, _) = der_next(rest)? else {
        return None;
    };
    let (0x30, algorithm, after) = der_next(spki)? else {
        return None;
    };
    let (0x06, oid, _) = der_next(algorithm)? else {
        return None;
    };
    if oid != RSA_ENCRYPTION {
        return None;
    }
    let (0x03, bits, _) = der_next(after)? else {
        return None;
    };
    let (0, key) = bits.split_first().map(|(u, k)| (*u, k))? else {
        return None;
    };
    Some(key.to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn der_walk_finds_the_rsa_key_of_a_certificate() {
        let pem = include_str!("../../../tests/data/auth/client-cert-only.pem");
        let der = certificate_der(pem).unwrap();
        let key = rsa_public_key(&der).expect("RSA key");
        // An RSAPublicKey is a SEQUENCE of the modulus and the exponent.
        let (tag, body, rest) = der_next(&key).unwrap();
        assert_eq!(tag, 0x30);
        assert!(rest.is_empty());
        let (t1, n, after) = der_next(body).unwrap();
        let (t2, _, _) = der_next(after).unwrap();
        assert_eq!((t1, t2), (0x02, 0x02));
        assert!(n.len() >= 256, "2048-bit modulus expected, got {}", n.len());
        assert!(rsa_public_key(b"\x30\x03\x02\x01\x01").is_none());
        assert!(certificate_der("not base64 !").is_err());
    }
}
