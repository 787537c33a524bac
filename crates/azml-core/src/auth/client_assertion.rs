//! Client-credentials grant with a client assertion instead of a secret: a JWT we sign with
//! a certificate's RSA key (RS256, `x5t#S256` header), or a federated token read from a file
//! on every request (workload identity, where the file is rotated underneath us).
//!
//! Our own rather than azure_identity's `ClientCertificateCredential`: that one needs
//! OpenSSL (feature `client_certificate`) and an https authority, which the plain-http
//! emulator is not. Signing is done with `ring` (constant time, already built for rcgen);
//! password-protected PKCS#8 keys are decrypted with RustCrypto's `pkcs8` (PBES2).

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use azure_core::credentials::{AccessToken, Secret, TokenCredential, TokenRequestOptions};
use base64::Engine as _;
use ring::signature::{RsaKeyPair, RSA_PKCS1_SHA256};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use url::Url;

use super::oauth::{self, JWT_BEARER};
use super::to_azure_error;
use crate::error::{Error, Result};
use crate::http::build_http_client;

const B64URL: base64::engine::GeneralPurpose = base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// A certificate (leaf first) and its RSA private key, loaded from PEM.
pub struct ClientCertificate {
    key: RsaKeyPair,
    /// base64url(SHA-256 of the leaf's DER), the `x5t#S256` header.
    thumbprint_s256: String,
    path: Option<PathBuf>,
}

impl fmt::Debug for ClientCertificate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientCertificate")
            .field("path", &self.path)
            .field("x5t#S256", &self.thumbprint_s256)
            .field("private_key", &"<redacted>")
            .finish()
    }
}

struct PemBlock {
    label: String,
    encrypted_legacy: bool,
    der: Vec<u8>,
}

/// Splits PEM text into its blocks. Lenient about what surrounds them (bag attributes that
/// `openssl pkcs12` writes, a byte-order mark, CRLF).
fn pem_blocks(text: &str) -> Result<Vec<PemBlock>> {
    let mut blocks = Vec::new();
    let mut current: Option<(String, bool, String)> = None;
    for line in text.lines() {
        let line = line.trim().trim_start_matches('\u{feff}');
        if let Some(label) = line
            .strip_prefix("-----BEGIN ")
            .and_then(|l| l.strip_suffix("-----"))
        {
            current = Some((label.to_string(), false, String::new()));
        } else if let Some(label) = line
            .strip_prefix("-----END ")
            .and_then(|l| l.strip_suffix("-----"))
        {
            let Some((begun, legacy, body)) = current.take() else {
                return Err(Error::validation(
                    "the PEM file has an END line without BEGIN",
                ));
            };
            if begun != label {
                return Err(Error::validation(format!(
                    "the PEM block BEGIN {begun} ends with END {label}"
                )));
            }
            let der = base64::engine::general_purpose::STANDARD
                .decode(body.as_bytes())
                .map_err(|_| {
                    Error::validation(format!("the PEM block {begun} is not valid base64"))
                })?;
            blocks.push(PemBlock {
                label: begun,
                encrypted_legacy: legacy,
                der,
            });
        } else if let Some((_, legacy, body)) = current.as_mut() {
            if line.contains(':') {
                // RFC 1421 headers: only OpenSSL's legacy encryption puts any here.
                if line.starts_with("Proc-Type") && line.contains("ENCRYPTED") {
                    *legacy = true;
                }
            } else {
                body.push_str(line);
            }
        }
    }
    if current.is_some() {
        return Err(Error::validation("the PEM file ends inside a block"));
    }
    Ok(blocks)
}

impl ClientCertificate {
    /// Reads a PEM file holding the certificate and its private key (unencrypted PKCS#8 or
    /// PKCS#1, or PKCS#8 encrypted with `password`).
    pub fn from_pem_file(path: &Path, password: Option<&str>) -> Result<Self> {
        let bytes = std::fs::read(path).map_err(|e| {
            Error::validation(format!(
                "cannot read the client certificate {}: {e}",
                path.display()
            ))
        })?;
        let mut cert =
            Self::from_pem(&String::from_utf8_lossy(&bytes), password).map_err(|mut e| {
                e.message = format!("client certificate {}: {}", path.display(), e.message);
                e
            })?;
        cert.path = Some(path.to_path_buf());
        Ok(cert)
    }

    /// Like [`ClientCertificate::from_pem_file`] from PEM text.
    pub fn from_pem(pem: &str, password: Option<&str>) -> Result<Self> {
        let blocks = pem_blocks(pem)?;
        if blocks.is_empty() {
            return Err(Error::validation(
                "no PEM block found (a PKCS#12/PFX file is not supported here: convert it \
                 with `openssl pkcs12 -in cert.pfx -out cert.pem -nodes`)",
            ));
        }
        let leaf = blocks
            .iter()
            .find(|b| b.label == "CERTIFICATE")
            .ok_or_else(|| Error::validation("the PEM holds no CERTIFICATE block"))?;
        let key_block = blocks
            .iter()
            .find(|b| b.label.ends_with("PRIVATE KEY"))
            .ok_or_else(|| Error::validation("the PEM holds no private key block"))?;
        let bad_key = |what: &str| Error::validation(format!("the private key {what}"));
        let key = match key_block.label.as_str() {
            _ if key_block.encrypted_legacy => {
                return Err(bad_key(
                    "uses OpenSSL's legacy PEM encryption, which is not supported; convert \
                     it with `openssl pkcs8 -topk8 -v2 aes-256-cbc`",
                ))
            }
            "PRIVATE KEY" => RsaKeyPair::from_pkcs8(&key_block.der)
                .map_err(|_| bad_key("is not a usable RSA key (PKCS#8)"))?,
            "RSA PRIVATE KEY" => RsaKeyPair::from_der(&key_block.der)
                .map_err(|_| bad_key("is not a usable RSA key (PKCS#1)"))?,
            "ENCRYPTED PRIVATE KEY" => {
                let password = password.filter(|p| !p.is_empty()).ok_or_else(|| {
                    bad_key("is encrypted and no password was given (AZURE_CLIENT_CERTIFICATE_PASSWORD)")
                })?;
                let info = pkcs8::EncryptedPrivateKeyInfo::try_from(key_block.der.as_slice())
                    .map_err(|_| bad_key("is not a valid encrypted PKCS#8 structure"))?;
                let doc = info.decrypt(password.as_bytes()).map_err(|_| {
                    bad_key("cannot be decrypted: wrong password or unsupported encryption")
                })?;
                RsaKeyPair::from_pkcs8(doc.as_bytes())
                    .map_err(|_| bad_key("is not a usable RSA key (PKCS#8)"))?
            }
            other => {
                return Err(bad_key(&format!(
                    "has unsupported type {other:?}; an RSA key is needed"
                )))
            }
        };
        // The public key's bytes sit inside the certificate's SubjectPublicKeyInfo; not
        // finding them means the key belongs to another certificate.
        let public = ring::signature::KeyPair::public_key(&key).as_ref();
        if !leaf.der.windows(public.len()).any(|w| w == public) {
            return Err(Error::validation(
                "the private key does not belong to the (first) certificate",
            ));
        }
        Ok(ClientCertificate {
            key,
            thumbprint_s256: B64URL.encode(Sha256::digest(&leaf.der)),
            path: None,
        })
    }

    /// base64url SHA-256 thumbprint of the leaf certificate.
    pub fn thumbprint_s256(&self) -> &str {
        &self.thumbprint_s256
    }

    /// A signed client assertion for `audience` (the token URL), valid ten minutes.
    fn assertion(&self, client_id: &str, audience: &str) -> Result<String> {
        let now = OffsetDateTime::now_utc().unix_timestamp();
        let header =
            serde_json::json!({"alg": "RS256", "typ": "JWT", "x5t#S256": self.thumbprint_s256});
        let claims = serde_json::json!({
            "aud": audience,
            "iss": client_id,
            "sub": client_id,
            "jti": uuid::Uuid::new_v4().to_string(),
            "nbf": now,
            "iat": now,
            "exp": now + 600,
        });
        let signing_input = format!(
            "{}.{}",
            B64URL.encode(header.to_string()),
            B64URL.encode(claims.to_string())
        );
        let mut sig = vec![0u8; self.key.public().modulus_len()];
        self.key
            .sign(
                &RSA_PKCS1_SHA256,
                &ring::rand::SystemRandom::new(),
                signing_input.as_bytes(),
                &mut sig,
            )
            .map_err(|_| oauth::auth_error("signing the client assertion failed"))?;
        Ok(format!("{signing_input}.{}", B64URL.encode(sig)))
    }
}

/// Where the assertion comes from.
#[derive(Debug, Clone)]
pub enum AssertionSource {
    /// Sign one with this certificate for each token request.
    Certificate(Arc<ClientCertificate>),
    /// Read this file for each token request (`AZURE_FEDERATED_TOKEN_FILE`).
    TokenFile(PathBuf),
}

/// OAuth 2.0 client credentials with a client assertion. No caching here: wrap it in
/// [`super::Cached`] (the constructors in [`super`] do).
pub struct ClientAssertionCredential {
    token_url: Url,
    tenant_id: String,
    client_id: String,
    source: AssertionSource,
    http: reqwest::Client,
}

impl fmt::Debug for ClientAssertionCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientAssertionCredential")
            .field("token_url", &self.token_url.as_str())
            .field("tenant_id", &self.tenant_id)
            .field("client_id", &self.client_id)
            .field("source", &self.source)
            .finish()
    }
}

impl ClientAssertionCredential {
    pub fn new(
        authority: &str,
        tenant_id: &str,
        client_id: &str,
        source: AssertionSource,
        ca_file: Option<&Path>,
    ) -> Result<Self> {
        let token_url = oauth::endpoint_url(authority, tenant_id, "token")?;
        oauth::check_client(client_id)?;
        let http = build_http_client(Duration::from_secs(10), Duration::from_secs(30), ca_file)?;
        Ok(ClientAssertionCredential {
            token_url,
            tenant_id: tenant_id.to_string(),
            client_id: client_id.to_string(),
            source,
            http,
        })
    }

    fn who(&self) -> String {
        let kind = match self.source {
            AssertionSource::Certificate(_) => "ClientCertificateCredential",
            AssertionSource::TokenFile(_) => "WorkloadIdentityCredential",
        };
        format!(
            "{kind} (client {:?}, tenant {:?})",
            self.client_id, self.tenant_id
        )
    }

    async fn assertion(&self) -> Result<Secret> {
        match &self.source {
            AssertionSource::Certificate(cert) => cert
                .assertion(&self.client_id, self.token_url.as_str())
                .map(Secret::new),
            AssertionSource::TokenFile(path) => {
                let text = tokio::fs::read_to_string(path).await.map_err(|e| {
                    oauth::auth_error(format!(
                        "{}: cannot read the federated token file {}: {e}",
                        self.who(),
                        path.display()
                    ))
                })?;
                let token = text.trim();
                if token.is_empty() {
                    return Err(oauth::auth_error(format!(
                        "{}: the federated token file {} is empty",
                        self.who(),
                        path.display()
                    )));
                }
                Ok(Secret::new(token.to_string()))
            }
        }
    }

    async fn request_token(&self, scopes: &[&str], claims: Option<&str>) -> Result<AccessToken> {
        if scopes.is_empty() {
            return Err(Error::validation(
                "no scope was given for the token request",
            ));
        }
        let assertion = self.assertion().await?;
        let form = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("grant_type", "client_credentials")
            .append_pair("client_id", &self.client_id)
            .append_pair("client_assertion_type", JWT_BEARER)
            .append_pair("client_assertion", assertion.secret())
            .append_pair("scope", &scopes.join(" "))
            .extend_pairs(claims.map(|c| ("claims", c)))
            .finish();
        let answer =
            oauth::post_form(&self.http, &self.token_url, form, &[assertion.secret()]).await?;
        Ok(answer.into_granted(&self.who())?.token)
    }
}

#[async_trait::async_trait]
impl TokenCredential for ClientAssertionCredential {
    async fn get_token(
        &self,
        scopes: &[&str],
        options: Option<TokenRequestOptions<'_>>,
    ) -> azure_core::Result<AccessToken> {
        let claims = super::cache::ClaimsChallenge::of(options.as_ref());
        self.request_token(scopes, claims)
            .await
            .map_err(to_azure_error)
    }
}
