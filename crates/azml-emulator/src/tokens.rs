//! JWT-shaped access tokens (`header.payload.signature`, base64url), signed with HMAC-SHA256
//! under a key that each emulator draws at random (and keeps in its state file): clients can read the claims (expiry,
//! object id) as they do with Entra ID tokens, and only this emulator can mint valid ones.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// Lifetime of an access token, as Entra ID issues them for client credentials.
pub(crate) const TOKEN_LIFETIME_SECS: i64 = 3599;

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct Claims {
    pub aud: String,
    pub iss: String,
    pub iat: i64,
    pub nbf: i64,
    pub exp: i64,
    pub appid: String,
    pub appidacr: String,
    pub idtyp: String,
    pub oid: String,
    pub sub: String,
    pub tid: String,
    pub ver: String,
    /// Users' tokens only: who signed in, and the delegated scope.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upn: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scp: Option<String>,
}

#[derive(Debug, PartialEq, Eq)]
pub(crate) enum TokenError {
    /// Not a token this emulator signed (garbage, tampered, other key).
    Invalid,
    Expired {
        exp: i64,
        now: i64,
    },
}

/// Cloned only to give the emulator's extra subscriptions the same key.
#[derive(Clone)]
pub(crate) struct Signer {
    key: Vec<u8>,
}

// The key must never reach a log.
impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Signer(<redacted>)")
    }
}

impl Signer {
    pub(crate) fn random() -> Self {
        Signer {
            key: crate::ids::random_bytes(32),
        }
    }

    /// The signer of a saved key (the state file's), or a new one when there is none yet, so
    /// that tokens issued before a restart still validate after it, as Entra ID's keys
    /// outlive a service restart.
    pub(crate) fn from_key(key: &[u8]) -> Self {
        if key.is_empty() {
            Signer::random()
        } else {
            Signer { key: key.to_vec() }
        }
    }

    /// The key, for the state file only.
    pub(crate) fn key(&self) -> &[u8] {
        &self.key
    }

    fn mac(&self) -> HmacSha256 {
        // HMAC accepts keys of any length.
        HmacSha256::new_from_slice(&self.key).expect("HMAC key")
    }

    pub(crate) fn mint(&self, claims: &Claims) -> String {
        self.mint_json(&serde_json::to_value(claims).expect("claims"))
    }

    /// Signs any JSON payload (ID tokens, the workload issuer's service account tokens).
    pub(crate) fn mint_json(&self, payload: &serde_json::Value) -> String {
        let header =
            URL_SAFE_NO_PAD.encode(br#"{"typ":"JWT","alg":"HS256","kid":"azml-emulator"}"#);
        let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(payload).expect("payload"));
        let signing_input = format!("{header}.{payload}");
        let mut mac = self.mac();
        mac.update(signing_input.as_bytes());
        let sig = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
        format!("{signing_input}.{sig}")
    }

    /// The payload of a token this signer minted (signature checked, claims not).
    pub(crate) fn verify_json(&self, token: &str) -> Result<serde_json::Value, TokenError> {
        let mut parts = token.split('.');
        let (Some(h), Some(p), Some(s), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(TokenError::Invalid);
        };
        let sig = URL_SAFE_NO_PAD.decode(s).map_err(|_| TokenError::Invalid)?;
        let mut mac = self.mac();
        mac.update(h.as_bytes());
        mac.update(b".");
        mac.update(p.as_bytes());
        mac.verify_slice(&sig).map_err(|_| TokenError::Invalid)?;
        let payload = URL_SAFE_NO_PAD.decode(p).map_err(|_| TokenError::Invalid)?;
        serde_json::from_slice(&payload).map_err(|_| TokenError::Invalid)
    }

    pub(crate) fn verify(&self, token: &str, now: i64) -> Result<Claims, TokenError> {
        let payload = self.verify_json(token)?;
        let claims: Claims = serde_json::from_value(payload).map_err(|_| TokenError::Invalid)?;
        // Entra ID tolerates five minutes of clock skew.
        if claims.nbf > now + 300 {
            return Err(TokenError::Invalid);
        }
        if claims.exp <= now {
            return Err(TokenError::Expired {
                exp: claims.exp,
                now,
            });
        }
        Ok(claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(exp: i64) -> Claims {
        Claims {
            aud: "https://management.azure.com/".into(),
            iss: "x".into(),
            iat: 0,
            nbf: 0,
            exp,
            appid: "a".into(),
            appidacr: "1".into(),
            idtyp: "app".into(),
            oid: "o".into(),
            sub: "o".into(),
            tid: "t".into(),
            ver: "1.0".into(),
            ..Claims::default()
        }
    }

    #[test]
    fn round_trip_and_rejections() {
        let signer = Signer::random();
        let token = signer.mint(&claims(100));
        assert_eq!(signer.verify(&token, 50).unwrap().oid, "o");
        assert_eq!(
            signer.verify(&token, 100).unwrap_err(),
            TokenError::Expired { exp: 100, now: 100 }
        );
        let other = Signer::random();
        assert_eq!(other.verify(&token, 50).unwrap_err(), TokenError::Invalid);
        assert_eq!(
            signer.verify("garbage", 50).unwrap_err(),
            TokenError::Invalid
        );
        // A changed payload breaks the signature.
        let mut parts: Vec<&str> = token.split('.').collect();
        let forged = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims(10_000)).unwrap());
        parts[1] = &forged;
        assert_eq!(
            signer.verify(&parts.join("."), 50).unwrap_err(),
            TokenError::Invalid
        );
    }
}
