//! Credentials that yield bearer tokens, all through `azure_core`'s `TokenCredential` trait,
//! with a token cache.
//!
//! INTERFACE CONTRACT (bodies filled in by the arm/auth work).

pub mod azidentity;
mod azure_cli;
pub mod cache;
pub mod chain;
mod client_assertion;
mod client_secret;
mod device_code;
mod interactive;
mod managed_identity;
mod oauth;
mod persistent;
pub mod subscription;

use std::fmt;
use std::sync::Arc;

use azure_core::credentials::{AccessToken, TokenCredential, TokenRequestOptions};
use time::OffsetDateTime;

use crate::error::{Error, ErrorKind};

pub use cache::Cached;
pub use client_secret::ClientSecretCredential;

pub use azure_cli::AzureCliCredential;
pub use chain::{ChainOptions, DefaultChain};
pub use client_assertion::{AssertionSource, ClientAssertionCredential, ClientCertificate};
pub use device_code::{DeviceCodeCredential, DeviceCodePrompt, PromptCallback};
pub use interactive::{system_browser, BrowserOpener, InteractiveBrowserCredential};
pub use managed_identity::{imds_disabled_by_env, ManagedIdentityCredential};
pub use persistent::PersistentCache;
pub use subscription::{resolve_subscription, resolve_subscription_with};

/// The public cloud's authority host, used when `AZURE_AUTHORITY_HOST` is not set.
pub const DEFAULT_AUTHORITY_HOST: &str = "https://login.microsoftonline.com";

/// Client-credentials grant with a client secret against an Entra ID style authority
/// (`{authority}/{tenant}/oauth2/v2.0/token`). Our own rather than azure_identity's (see
/// [`azidentity::client_secret`] for that one) because azure_identity refuses a non-https
/// authority, and the emulator serves plain HTTP by default; ours also reads the answers of
/// token endpoints that give `expires_in` as a string (ADFS style), which azure_identity
/// rejects.
pub fn client_secret(
    authority: &str,
    tenant_id: &str,
    client_id: &str,
    client_secret: &str,
    ca_file: Option<&std::path::Path>,
) -> crate::Result<Arc<dyn TokenCredential>> {
    let cred =
        ClientSecretCredential::new(authority, tenant_id, client_id, client_secret, ca_file)?;
    Ok(Arc::new(Cached::new(cred)))
}

/// Client-credentials grant with a certificate (PEM file with the certificate and its RSA
/// key, optionally password-protected PKCS#8): a signed client assertion per request.
pub fn client_certificate(
    authority: &str,
    tenant_id: &str,
    client_id: &str,
    certificate_path: &std::path::Path,
    password: Option<&str>,
    ca_file: Option<&std::path::Path>,
) -> crate::Result<Arc<dyn TokenCredential>> {
    let cert = ClientCertificate::from_pem_file(certificate_path, password)?;
    let cred = ClientAssertionCredential::new(
        authority,
        tenant_id,
        client_id,
        AssertionSource::Certificate(Arc::new(cert)),
        ca_file,
    )?;
    Ok(Arc::new(Cached::new(cred)))
}

/// Workload identity: the federated token in `token_file` (re-read for every token
/// request, since the platform rotates it) as the client assertion.
pub fn workload_identity(
    authority: &str,
    tenant_id: &str,
    client_id: &str,
    token_file: &std::path::Path,
    ca_file: Option<&std::path::Path>,
) -> crate::Result<Arc<dyn TokenCredential>> {
    let cred = ClientAssertionCredential::new(
        authority,
        tenant_id,
        client_id,
        AssertionSource::TokenFile(token_file.to_path_buf()),
        ca_file,
    )?;
    Ok(Arc::new(Cached::new(cred)))
}

/// The Azure CLI's signed-in account, cached so that `az` runs once per token lifetime.
pub fn azure_cli(cli: AzureCliCredential) -> Arc<dyn TokenCredential> {
    Arc::new(Cached::new(cli))
}

/// Device code sign-in, cached; the refresh token lives as long as the credential.
pub fn device_code(cred: DeviceCodeCredential) -> Arc<dyn TokenCredential> {
    Arc::new(Cached::new(cred))
}

/// Interactive browser sign-in (authorization code + PKCE, loopback redirect), cached; the
/// refresh token lives as long as the credential.
pub fn interactive_browser(cred: InteractiveBrowserCredential) -> Arc<dyn TokenCredential> {
    Arc::new(Cached::new(cred))
}

/// The managed identity the environment announces (App Service style endpoints only),
/// cached. An error when none is announced; IMDS needs [`ManagedIdentityCredential::imds`].
pub fn managed_identity_from_env() -> crate::Result<Arc<dyn TokenCredential>> {
    match ManagedIdentityCredential::from_env_with(&|k| std::env::var(k).ok())? {
        Some(c) => Ok(Arc::new(Cached::new(c))),
        None => Err(Error::new(
            ErrorKind::Authentication,
            "ManagedIdentityCredential: no IDENTITY_ENDPOINT/IDENTITY_HEADER or MSI_ENDPOINT \
             in the environment",
        )),
    }
}

/// The default chain ([`DefaultChain`]) from the process environment, cached.
pub fn default_chain(options: ChainOptions) -> Arc<dyn TokenCredential> {
    Arc::new(Cached::new(DefaultChain::from_env_with(
        |k| std::env::var(k).ok(),
        options,
    )))
}

/// Opt-in: `credential`'s tokens are also kept in the file at `path` (mode 0600, replaced
/// atomically) for other instances and processes, keyed by authority, tenant, client and
/// scopes.
pub fn persistent<C: TokenCredential + 'static>(
    credential: C,
    path: impl Into<std::path::PathBuf>,
    authority: &str,
    tenant_id: &str,
    client_id: &str,
) -> Arc<dyn TokenCredential> {
    Arc::new(Cached::new(PersistentCache::new(
        credential, path, authority, tenant_id, client_id,
    )))
}

/// A credential from the environment, like azure_identity's `EnvironmentCredential`:
/// `AZURE_TENANT_ID` and `AZURE_CLIENT_ID` with `AZURE_CLIENT_SECRET`, or
/// `AZURE_CLIENT_CERTIFICATE_PATH` (+ `AZURE_CLIENT_CERTIFICATE_PASSWORD`), or
/// `AZURE_FEDERATED_TOKEN_FILE`; optional `AZURE_AUTHORITY_HOST` (default
/// [`DEFAULT_AUTHORITY_HOST`]) and `AZML_CA_FILE`. At an `https` authority the secret and
/// federated-token forms are azure_identity's credentials ([`azidentity`]); at an `http`
/// one, and for certificates (azure_identity needs OpenSSL for them), azml's own.
pub fn from_env() -> crate::Result<Arc<dyn TokenCredential>> {
    from_env_with(|name| std::env::var(name).ok())
}

/// [`from_env`] reading variables through `lookup` (tests pass a map instead of mutating the
/// process environment).
pub fn from_env_with(
    lookup: impl Fn(&str) -> Option<String>,
) -> crate::Result<Arc<dyn TokenCredential>> {
    let get = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
    let alternative = [
        "AZURE_CLIENT_CERTIFICATE_PATH",
        "AZURE_FEDERATED_TOKEN_FILE",
    ]
    .into_iter()
    .find(|n| get(n).is_some() && get("AZURE_CLIENT_SECRET").is_none());
    let required = [
        "AZURE_TENANT_ID",
        "AZURE_CLIENT_ID",
        alternative.unwrap_or("AZURE_CLIENT_SECRET"),
    ];
    let missing: Vec<&str> = required
        .iter()
        .copied()
        .filter(|n| get(n).is_none())
        .collect();
    if !missing.is_empty() {
        return Err(Error::new(
            ErrorKind::Authentication,
            format!(
                "EnvironmentCredential: missing environment variable(s) {}; it needs \
                 AZURE_TENANT_ID, AZURE_CLIENT_ID and one of AZURE_CLIENT_SECRET, \
                 AZURE_CLIENT_CERTIFICATE_PATH or AZURE_FEDERATED_TOKEN_FILE",
                missing.join(", ")
            ),
        ));
    }
    let authority = get("AZURE_AUTHORITY_HOST").unwrap_or_else(|| DEFAULT_AUTHORITY_HOST.into());
    let ca_file = get("AZML_CA_FILE").map(std::path::PathBuf::from);
    let tenant = get("AZURE_TENANT_ID").unwrap_or_default();
    let client = get("AZURE_CLIENT_ID").unwrap_or_default();
    match alternative {
        Some("AZURE_CLIENT_CERTIFICATE_PATH") => client_certificate(
            authority.trim(),
            tenant.trim(),
            client.trim(),
            get("AZURE_CLIENT_CERTIFICATE_PATH")
                .unwrap_or_default()
                .trim()
                .as_ref(),
            get("AZURE_CLIENT_CERTIFICATE_PASSWORD").as_deref(),
            ca_file.as_deref(),
        ),
        // https authorities go to azure_identity's credentials (over our reqwest client);
        // http ones (the plain emulator) stay with ours, which azure_identity would refuse.
        Some(_) if azidentity::supports_authority(&authority) => azidentity::workload_identity(
            authority.trim(),
            tenant.trim(),
            client.trim(),
            get("AZURE_FEDERATED_TOKEN_FILE")
                .unwrap_or_default()
                .trim()
                .as_ref(),
            token_http(ca_file.as_deref())?,
        ),
        Some(_) => workload_identity(
            authority.trim(),
            tenant.trim(),
            client.trim(),
            get("AZURE_FEDERATED_TOKEN_FILE")
                .unwrap_or_default()
                .trim()
                .as_ref(),
            ca_file.as_deref(),
        ),
        None if azidentity::supports_authority(&authority) => azidentity::client_secret(
            authority.trim(),
            tenant.trim(),
            client.trim(),
            &get("AZURE_CLIENT_SECRET").unwrap_or_default(),
            token_http(ca_file.as_deref())?,
        ),
        None => client_secret(
            authority.trim(),
            tenant.trim(),
            client.trim(),
            &get("AZURE_CLIENT_SECRET").unwrap_or_default(),
            ca_file.as_deref(),
        ),
    }
}

/// The reqwest client token requests go through (the same settings as our own
/// credentials': timeouts, the extra CA, no proxy, no redirects).
pub(crate) fn token_http(ca_file: Option<&std::path::Path>) -> crate::Result<reqwest::Client> {
    crate::http::build_http_client(
        std::time::Duration::from_secs(10),
        std::time::Duration::from_secs(30),
        ca_file,
    )
}

/// A fixed token with a fixed expiry, e.g. one the emulator issued.
#[derive(Clone)]
pub struct StaticTokenCredential {
    token: AccessToken,
}

impl StaticTokenCredential {
    pub fn new(token: impl Into<String>, expires_on: OffsetDateTime) -> Self {
        StaticTokenCredential {
            token: AccessToken::new(token.into(), expires_on),
        }
    }

    /// A JWT-shaped token (`header.payload.signature`, as Entra ID and the emulator issue),
    /// its expiry read from the `exp` claim. The signature is not checked: the service does.
    pub fn from_jwt(token: impl Into<String>) -> crate::Result<Self> {
        use base64::Engine as _;
        let token = token.into();
        let bad = |why: &str| Error::validation(format!("the token is not a usable JWT: {why}"));
        let mut parts = token.split('.');
        let payload = match (parts.next(), parts.next(), parts.next(), parts.next()) {
            (Some(_), Some(p), Some(_), None) => p,
            _ => return Err(bad("expected three dot-separated parts")),
        };
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload.trim_end_matches('='))
            .map_err(|_| bad("the payload is not base64url"))?;
        let claims: serde_json::Value =
            serde_json::from_slice(&bytes).map_err(|_| bad("the payload is not JSON"))?;
        let exp = claims
            .get("exp")
            .and_then(serde_json::Value::as_i64)
            .ok_or_else(|| bad("no numeric 'exp' claim"))?;
        let expires_on =
            OffsetDateTime::from_unix_timestamp(exp).map_err(|_| bad("'exp' is out of range"))?;
        Ok(Self::new(token, expires_on))
    }

    pub fn expires_on(&self) -> OffsetDateTime {
        self.token.expires_on
    }
}

impl fmt::Debug for StaticTokenCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StaticTokenCredential")
            .field("token", &"<redacted>")
            .field("expires_on", &self.token.expires_on)
            .finish()
    }
}

#[async_trait::async_trait]
impl TokenCredential for StaticTokenCredential {
    async fn get_token(
        &self,
        _scopes: &[&str],
        _options: Option<TokenRequestOptions<'_>>,
    ) -> azure_core::Result<AccessToken> {
        if OffsetDateTime::now_utc() >= self.token.expires_on {
            return Err(to_azure_error(Error::new(
                ErrorKind::Authentication,
                format!(
                    "the static token expired at {}; get a new one",
                    self.token.expires_on
                ),
            )));
        }
        Ok(self.token.clone())
    }
}

/// Wraps our error so it survives the trip through `TokenCredential` intact
/// ([`map_credential_error`] unwraps it again).
pub fn to_azure_error(err: Error) -> azure_core::Error {
    azure_core::Error::new(azure_core::error::ErrorKind::Credential, err)
}

/// Maps a credential's `azure_core::Error` to an [`ErrorKind::Authentication`] error. Our own
/// credentials' errors come back with their status, code and message; others keep only their
/// display text, which azure_core and azure_identity keep free of secrets.
pub fn map_credential_error(err: azure_core::Error) -> Error {
    if let Some(ours) = err.downcast_ref::<Error>() {
        let mut e = ours.clone();
        e.kind = ErrorKind::Authentication;
        return e;
    }
    Error::new(
        ErrorKind::Authentication,
        format!("could not get an access token: {err}"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn from_env_lists_missing_variables() {
        let vars: HashMap<&str, &str> = HashMap::from([("AZURE_CLIENT_ID", "app")]);
        let err = from_env_with(|k| vars.get(k).map(|v| v.to_string())).unwrap_err();
        assert_eq!(err.kind, ErrorKind::Authentication);
        assert!(
            err.message.contains("AZURE_TENANT_ID, AZURE_CLIENT_SECRET"),
            "{err}"
        );
    }

    #[test]
    fn from_env_builds_a_credential_without_sending_anything() {
        let vars: HashMap<&str, &str> = HashMap::from([
            ("AZURE_TENANT_ID", "t"),
            ("AZURE_CLIENT_ID", "app"),
            ("AZURE_CLIENT_SECRET", "hunter2-secret"),
            ("AZURE_AUTHORITY_HOST", "http://127.0.0.1:9/"),
        ]);
        let cred = from_env_with(|k| vars.get(k).map(|v| v.to_string())).unwrap();
        let debug = format!("{cred:?}");
        assert!(!debug.contains("hunter2"), "{debug}");
        assert!(debug.contains("app"), "{debug}");
    }

    #[test]
    fn from_env_names_what_the_chosen_method_lacks() {
        let vars: HashMap<&str, &str> = HashMap::from([
            ("AZURE_CLIENT_ID", "app"),
            ("AZURE_FEDERATED_TOKEN_FILE", "/var/run/token"),
        ]);
        let err = from_env_with(|k| vars.get(k).map(|v| v.to_string())).unwrap_err();
        assert!(
            err.message.contains("variable(s) AZURE_TENANT_ID;"),
            "{err}"
        );
        let vars: HashMap<&str, &str> = HashMap::from([
            ("AZURE_TENANT_ID", "t"),
            ("AZURE_CLIENT_ID", "app"),
            ("AZURE_CLIENT_CERTIFICATE_PATH", "/nonexistent/cert.pem"),
        ]);
        let err = from_env_with(|k| vars.get(k).map(|v| v.to_string())).unwrap_err();
        assert_eq!(err.kind, ErrorKind::Validation);
        assert!(
            err.message.contains("cannot read the client certificate"),
            "{err}"
        );
    }

    #[test]
    fn from_env_rejects_plain_http_to_a_remote_authority() {
        let vars: HashMap<&str, &str> = HashMap::from([
            ("AZURE_TENANT_ID", "t"),
            ("AZURE_CLIENT_ID", "app"),
            ("AZURE_CLIENT_SECRET", "s3cr3t"),
            ("AZURE_AUTHORITY_HOST", "http://login.example.com"),
        ]);
        let err = from_env_with(|k| vars.get(k).map(|v| v.to_string())).unwrap_err();
        assert_eq!(err.kind, ErrorKind::Validation);
        assert!(!err.message.contains("s3cr3t"));
    }

    #[tokio::test]
    async fn static_token() {
        let exp = OffsetDateTime::now_utc() + time::Duration::hours(1);
        let c = StaticTokenCredential::new("abc.def.ghi", exp);
        assert!(!format!("{c:?}").contains("abc.def"));
        let t = c.get_token(&["x"], None).await.unwrap();
        assert_eq!(t.token.secret(), "abc.def.ghi");
        let old = StaticTokenCredential::new(
            "abc",
            OffsetDateTime::now_utc() - time::Duration::minutes(1),
        );
        let err = map_credential_error(old.get_token(&["x"], None).await.unwrap_err());
        assert_eq!(err.kind, ErrorKind::Authentication);
        assert!(err.message.contains("expired"));
    }

    #[test]
    fn static_token_from_jwt_reads_exp() {
        use base64::Engine as _;
        let enc = |v: serde_json::Value| {
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string())
        };
        let jwt = format!(
            "{}.{}.sig",
            enc(serde_json::json!({"alg": "RS256", "typ": "JWT"})),
            enc(serde_json::json!({"aud": "https://management.azure.com/", "exp": 2_000_000_000}))
        );
        let c = StaticTokenCredential::from_jwt(jwt.clone()).unwrap();
        assert_eq!(c.expires_on().unix_timestamp(), 2_000_000_000);
        for bad in [
            "abc",
            "a.b",
            "a.!!!.c",
            &format!("a.{}.c", enc(serde_json::json!({}))),
        ] {
            let err = StaticTokenCredential::from_jwt(bad).unwrap_err();
            assert_eq!(err.kind, ErrorKind::Validation, "{bad}");
        }
    }

    #[test]
    fn maps_foreign_errors_to_authentication() {
        let e = azure_core::Error::with_message(azure_core::error::ErrorKind::Io, "boom");
        let mapped = map_credential_error(e);
        assert_eq!(mapped.kind, ErrorKind::Authentication);
        assert!(mapped.message.contains("boom"));
    }
}
