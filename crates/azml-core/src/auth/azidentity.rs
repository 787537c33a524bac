//! azure_identity's `ClientSecretCredential` and `WorkloadIdentityCredential` serving azml's
//! credential trait (azure_core's `TokenCredential`), over azml's own reqwest client: the
//! client that trusts `AZML_CA_FILE`, ignores proxies from the environment and never follows
//! redirects is handed to azure_core as the pipeline's transport, so the token requests use
//! its connection pool and its TLS roots rather than a second, default-configured client.
//!
//! Only for `https` authorities: azure_identity refuses any other scheme (it checks the
//! authority host when the credential is built), and the plain emulator serves `http`. There
//! azml keeps its own implementations (`ClientSecretCredential`,
//! `ClientAssertionCredential`). The authority is always given explicitly (a custom cloud
//! configuration), so that azure_identity never reads `AZURE_AUTHORITY_HOST` behind our back.

use std::fmt;
use std::path::Path;
use std::sync::Arc;

use azure_core::cloud::{CloudConfiguration, CustomConfiguration};
use azure_core::credentials::{AccessToken, Secret, TokenCredential, TokenRequestOptions};
use azure_core::http::{ClientOptions, ExponentialRetryOptions, RetryOptions, Transport};
use azure_core::time::Duration;
use azure_identity::{
    ClientAssertionCredentialOptions, ClientSecretCredential as AzClientSecretCredential,
    ClientSecretCredentialOptions, WorkloadIdentityCredential as AzWorkloadIdentityCredential,
    WorkloadIdentityCredentialOptions,
};

use super::oauth::{check_client, check_tenant};
use crate::error::{Error, ErrorKind, Result};
use crate::http::parse_endpoint;

/// Whether azure_identity can sign in at `authority` (it only accepts `https`).
pub fn supports_authority(authority: &str) -> bool {
    url::Url::parse(authority.trim()).is_ok_and(|u| u.scheme() == "https")
}

fn https_authority(authority: &str) -> Result<url::Url> {
    let url = parse_endpoint("authority", authority.trim().trim_end_matches('/'))?;
    if url.scheme() != "https" {
        return Err(Error::validation(format!(
            "azure_identity only signs in at an https authority, not {:?}: use azml's own \
             credentials (auth::client_secret, auth::workload_identity) for http",
            url.as_str()
        )));
    }
    Ok(url)
}

/// azure_core options that send through `http` and sign in at `authority`.
fn client_options(authority: &url::Url, http: reqwest::Client) -> ClientOptions {
    let mut cloud = CustomConfiguration::default();
    cloud.authority_host = authority.as_str().trim_end_matches('/').to_string();
    ClientOptions {
        // typespec implements its `HttpClient` for reqwest's client: a clone shares the pool.
        transport: Some(Transport::new(Arc::new(http))),
        // azure_core's default retries a failed connection for up to a minute; a token
        // request that cannot connect (a wrong host, an untrusted certificate) should fail
        // within seconds, as azml's own credentials do.
        retry: RetryOptions::exponential(ExponentialRetryOptions {
            initial_delay: Duration::milliseconds(200),
            max_retries: 3,
            max_total_elapsed: Duration::seconds(10),
            max_delay: Duration::seconds(2),
        }),
        cloud: Some(Arc::new(CloudConfiguration::Custom(cloud))),
        ..ClientOptions::default()
    }
}

/// An azure_identity credential as azml serves it: a `Debug` that names the credential and
/// its public parts only, and errors carrying [`ErrorKind::Authentication`] with the
/// credential's name.
pub struct AzIdentity {
    name: &'static str,
    authority: String,
    tenant_id: String,
    client_id: String,
    inner: Arc<dyn TokenCredential>,
}

impl fmt::Debug for AzIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AzIdentity")
            .field("credential", &self.name)
            .field("authority", &self.authority)
            .field("tenant_id", &self.tenant_id)
            .field("client_id", &self.client_id)
            .finish_non_exhaustive()
    }
}

#[async_trait::async_trait]
impl TokenCredential for AzIdentity {
    async fn get_token(
        &self,
        scopes: &[&str],
        options: Option<TokenRequestOptions<'_>>,
    ) -> azure_core::Result<AccessToken> {
        self.inner.get_token(scopes, options).await.map_err(|e| {
            // azure_identity keeps secrets out of its messages; ours says who failed.
            super::to_azure_error(Error::new(
                ErrorKind::Authentication,
                format!("{} (azure_identity): {e}", self.name),
            ))
        })
    }
}

fn build_error(name: &str, e: azure_core::Error) -> Error {
    Error::validation(format!("{name} (azure_identity): {e}"))
}

/// azure_identity's `ClientSecretCredential` at an `https` authority, sending through
/// `http`. Arguments are checked before anything is sent; errors never hold the secret.
pub fn client_secret(
    authority: &str,
    tenant_id: &str,
    client_id: &str,
    client_secret: &str,
    http: reqwest::Client,
) -> Result<Arc<dyn TokenCredential>> {
    let url = https_authority(authority)?;
    check_tenant(tenant_id)?;
    check_client(client_id)?;
    if client_secret.is_empty() {
        return Err(Error::validation("the client secret is empty"));
    }
    let options = ClientSecretCredentialOptions {
        client_options: client_options(&url, http),
    };
    let inner = AzClientSecretCredential::new(
        tenant_id,
        client_id.to_string(),
        Secret::new(client_secret.to_string()),
        Some(options),
    )
    .map_err(|e| build_error("ClientSecretCredential", e))?;
    Ok(Arc::new(AzIdentity {
        name: "ClientSecretCredential",
        authority: url.as_str().trim_end_matches('/').to_string(),
        tenant_id: tenant_id.to_string(),
        client_id: client_id.to_string(),
        inner,
    }))
}

/// azure_identity's `WorkloadIdentityCredential` (the federated token in `token_file` as the
/// client assertion) at an `https` authority, sending through `http`. Every argument is
/// given: nothing is read from the environment here.
pub fn workload_identity(
    authority: &str,
    tenant_id: &str,
    client_id: &str,
    token_file: &Path,
    http: reqwest::Client,
) -> Result<Arc<dyn TokenCredential>> {
    let url = https_authority(authority)?;
    check_tenant(tenant_id)?;
    check_client(client_id)?;
    if token_file.as_os_str().is_empty() {
        return Err(Error::validation("the federated token file path is empty"));
    }
    let options = WorkloadIdentityCredentialOptions {
        credential_options: ClientAssertionCredentialOptions {
            client_options: client_options(&url, http),
        },
        client_id: Some(client_id.to_string()),
        tenant_id: Some(tenant_id.to_string()),
        token_file_path: Some(token_file.to_path_buf()),
    };
    let inner = AzWorkloadIdentityCredential::new(Some(options))
        .map_err(|e| build_error("WorkloadIdentityCredential", e))?;
    Ok(Arc::new(AzIdentity {
        name: "WorkloadIdentityCredential",
        authority: url.as_str().trim_end_matches('/').to_string(),
        tenant_id: tenant_id.to_string(),
        client_id: client_id.to_string(),
        inner,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn http() -> reqwest::Client {
        crate::install_tls_provider();
        reqwest::Client::builder().no_proxy().build().unwrap()
    }

    #[test]
    fn refuses_http_and_bad_input_before_sending() {
        let err = client_secret("http://127.0.0.1:1", "t", "c", "s", http()).unwrap_err();
        assert_eq!(err.kind, ErrorKind::Validation);
        assert!(err.message.contains("https"));
        let err = client_secret("https://login.example", "t/x", "c", "s", http()).unwrap_err();
        assert_eq!(err.kind, ErrorKind::Validation);
        let err = client_secret("https://login.example", "t", "c", "", http()).unwrap_err();
        assert_eq!(err.kind, ErrorKind::Validation);
        let err = workload_identity(
            "https://login.example",
            "t",
            "c",
            Path::new("/nonexistent/azml-token"),
            http(),
        )
        .unwrap_err();
        assert_eq!(err.kind, ErrorKind::Validation);
        assert!(supports_authority("https://login.microsoftonline.com"));
        assert!(!supports_authority("http://127.0.0.1:8443"));
    }

    #[test]
    fn debug_shows_no_secret() {
        let cred = client_secret(
            "https://login.example/",
            "tenant",
            "client",
            "hunter2-secret",
            http(),
        )
        .unwrap();
        let shown = format!("{cred:?}");
        assert!(shown.contains("ClientSecretCredential") && shown.contains("client"));
        assert!(!shown.contains("hunter2"));
    }
}
