//! Managed identity through the endpoints a host announces in its environment: App Service
//! and Functions (`IDENTITY_ENDPOINT` + `IDENTITY_HEADER`), and the older `MSI_ENDPOINT`
//! (+ `MSI_SECRET`) of App Service 2017 and Cloud Shell. The VM metadata service (IMDS,
//! 169.254.169.254) is only used when the caller opts in with
//! [`ManagedIdentityCredential::imds`]: probing it elsewhere hangs on a timeout, and tests
//! must never reach it. azure_identity's `ManagedIdentityCredential` is never built here,
//! since it falls back to IMDS on its own.

use std::fmt;
use std::net::IpAddr;
use std::time::Duration;

use azure_core::credentials::{AccessToken, Secret, TokenCredential, TokenRequestOptions};
use reqwest::header::ACCEPT;
use time::OffsetDateTime;
use url::Url;

use super::oauth;
use super::to_azure_error;
use crate::error::{Error, Result};
use crate::http::{build_http_client, describe, is_loopback};

/// The metadata service's token endpoint; fixed, never configurable, so that nothing can
/// point the opt-in path somewhere else.
const IMDS_TOKEN_URL: &str = "http://169.254.169.254/metadata/identity/oauth2/token";

/// True when the environment forbids IMDS: `AZML_DISABLE_IMDS=1` (or `true`), or a test run
/// we can recognise (`PYTEST_CURRENT_TEST`).
pub fn imds_disabled_by_env(lookup: &dyn Fn(&str) -> Option<String>) -> bool {
    let disabled = lookup("AZML_DISABLE_IMDS")
        .map(|v| matches!(v.trim().to_ascii_lowercase().as_str(), "1" | "true" | "yes"))
        .unwrap_or(false);
    disabled || lookup("PYTEST_CURRENT_TEST").is_some()
}

enum Source {
    AppService {
        endpoint: Url,
        header: Secret,
    },
    MsiEndpoint {
        endpoint: Url,
        secret: Option<Secret>,
    },
    Imds,
}

/// One managed-identity source. No caching here: wrap it in [`super::Cached`].
pub struct ManagedIdentityCredential {
    source: Source,
    client_id: Option<String>,
    http: reqwest::Client,
}

impl fmt::Debug for ManagedIdentityCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("ManagedIdentityCredential");
        match &self.source {
            Source::AppService { endpoint, .. } => d
                .field("source", &"IDENTITY_ENDPOINT")
                .field("endpoint", &endpoint.as_str())
                .field("identity_header", &"<redacted>"),
            Source::MsiEndpoint { endpoint, secret } => d
                .field("source", &"MSI_ENDPOINT")
                .field("endpoint", &endpoint.as_str())
                .field("msi_secret", &secret.as_ref().map(|_| "<redacted>")),
            Source::Imds => d.field("source", &"IMDS"),
        };
        d.field("client_id", &self.client_id).finish()
    }
}

/// Hosts put these endpoints on loopback or a private address (containers), so plain http
/// is accepted there; to anything public only https is.
fn parse_identity_endpoint(var: &str, raw: &str) -> Result<Url> {
    let url = Url::parse(raw.trim())
        .map_err(|e| Error::validation(format!("{var} {raw:?} is not a valid URL: {e}")))?;
    let private = match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_private() || ip.is_link_local() || ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        _ => is_loopback(&url),
    };
    match url.scheme() {
        "https" => {}
        "http" if private => {}
        _ => {
            return Err(Error::validation(format!(
                "{var} {raw:?} must be https, or http to a loopback or private address"
            )))
        }
    }
    if !url.username().is_empty() || url.password().is_some() || url.fragment().is_some() {
        return Err(Error::validation(format!(
            "{var} must not carry user information or a fragment"
        )));
    }
    Ok(url)
}

fn check_client_id(client_id: Option<&str>) -> Result<Option<String>> {
    match client_id.map(str::trim).filter(|c| !c.is_empty()) {
        Some(c) => {
            oauth::check_client(c)?;
            Ok(Some(c.to_string()))
        }
        None => Ok(None),
    }
}

fn http() -> Result<reqwest::Client> {
    build_http_client(Duration::from_secs(5), Duration::from_secs(30), None)
}

impl ManagedIdentityCredential {
    /// App Service / Functions: `GET {endpoint}?resource=…&api-version=2019-08-01` with
    /// `X-IDENTITY-HEADER`. `client_id` picks a user-assigned identity.
    pub fn app_service(endpoint: &str, header: &str, client_id: Option<&str>) -> Result<Self> {
        let endpoint = parse_identity_endpoint("IDENTITY_ENDPOINT", endpoint)?;
        if header.trim().is_empty() {
            return Err(Error::validation("IDENTITY_HEADER is empty"));
        }
        Ok(ManagedIdentityCredential {
            source: Source::AppService {
                endpoint,
                header: Secret::new(header.trim().to_string()),
            },
            client_id: check_client_id(client_id)?,
            http: http()?,
        })
    }

    /// The legacy `MSI_ENDPOINT`: with `MSI_SECRET` the App Service 2017-09-01 protocol,
    /// without it Cloud Shell's (a form POST with `Metadata: true`).
    pub fn msi_endpoint(
        endpoint: &str,
        secret: Option<&str>,
        client_id: Option<&str>,
    ) -> Result<Self> {
        let endpoint = parse_identity_endpoint("MSI_ENDPOINT", endpoint)?;
        Ok(ManagedIdentityCredential {
            source: Source::MsiEndpoint {
                endpoint,
                secret: secret
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(|s| Secret::new(s.to_string())),
            },
            client_id: check_client_id(client_id)?,
            http: http()?,
        })
    }

    /// The VM metadata service. Production only: refused when `AZML_DISABLE_IMDS=1` or under
    /// pytest, and never built by the default chain unless explicitly allowed.
    pub fn imds(client_id: Option<&str>) -> Result<Self> {
        if imds_disabled_by_env(&|k| std::env::var(k).ok()) {
            return Err(Error::validation(
                "the IMDS managed identity is disabled (AZML_DISABLE_IMDS=1 or a test run)",
            ));
        }
        Ok(ManagedIdentityCredential {
            source: Source::Imds,
            client_id: check_client_id(client_id)?,
            http: http()?,
        })
    }

    /// The App Service style endpoint announced in the environment, `IDENTITY_ENDPOINT` +
    /// `IDENTITY_HEADER` first, then `MSI_ENDPOINT` (+ `MSI_SECRET`); `AZURE_CLIENT_ID`
    /// selects a user-assigned identity. `Ok(None)` when the environment announces none.
    pub fn from_env_with(lookup: &dyn Fn(&str) -> Option<String>) -> Result<Option<Self>> {
        let get = |k: &str| lookup(k).filter(|v| !v.trim().is_empty());
        let client_id = get("AZURE_CLIENT_ID");
        if let (Some(endpoint), Some(header)) = (get("IDENTITY_ENDPOINT"), get("IDENTITY_HEADER")) {
            return Self::app_service(&endpoint, &header, client_id.as_deref()).map(Some);
        }
        if let Some(endpoint) = get("MSI_ENDPOINT") {
            return Self::msi_endpoint(
                &endpoint,
                get("MSI_SECRET").as_deref(),
                client_id.as_deref(),
            )
            .map(Some);
        }
        Ok(None)
    }

    fn who(&self) -> &'static str {
        match self.source {
            Source::AppService { .. } => "ManagedIdentityCredential (IDENTITY_ENDPOINT)",
            Source::MsiEndpoint { .. } => "ManagedIdentityCredential (MSI_ENDPOINT)",
            Source::Imds => "ManagedIdentityCredential (IMDS)",
        }
    }

    async fn request_token(&self, scopes: &[&str]) -> Result<AccessToken> {
        let resource = oauth::scope_to_resource(scopes, self.who())?;
        let mut secrets: Vec<&str> = Vec::new();
        let req = match &self.source {
            Source::AppService { endpoint, header } => {
                secrets.push(header.secret());
                let mut url = endpoint.clone();
                url.query_pairs_mut()
                    .append_pair("resource", &resource)
                    .append_pair("api-version", "2019-08-01");
                if let Some(c) = &self.client_id {
                    url.query_pairs_mut().append_pair("client_id", c);
                }
                self.http
                    .get(url)
                    .header("X-IDENTITY-HEADER", header.secret())
            }
            Source::MsiEndpoint {
                endpoint,
                secret: Some(secret),
            } => {
                secrets.push(secret.secret());
                let mut url = endpoint.clone();
                url.query_pairs_mut()
                    .append_pair("resource", &resource)
                    .append_pair("api-version", "2017-09-01");
                if let Some(c) = &self.client_id {
                    url.query_pairs_mut().append_pair("clientid", c);
                }
                self.http.get(url).header("secret", secret.secret())
            }
            Source::MsiEndpoint {
                endpoint,
                secret: None,
            } => {
                let mut form = url::form_urlencoded::Serializer::new(String::new());
                form.append_pair("resource", &resource);
                if let Some(c) = &self.client_id {
                    form.append_pair("client_id", c);
                }
                self.http
                    .post(endpoint.clone())
                    .header("Metadata", "true")
                    .header("content-type", "application/x-www-form-urlencoded")
                    .body(form.finish())
            }
            Source::Imds => {
                let mut url = Url::parse(IMDS_TOKEN_URL).expect("constant URL");
                url.query_pairs_mut()
                    .append_pair("api-version", "2018-02-01")
                    .append_pair("resource", &resource);
                if let Some(c) = &self.client_id {
                    url.query_pairs_mut().append_pair("client_id", c);
                }
                self.http.get(url).header("Metadata", "true")
            }
        };
        let started = OffsetDateTime::now_utc();
        let resp = req
            .header(ACCEPT, "application/json")
            .send()
            .await
            .map_err(|e| {
                oauth::auth_error(format!(
                    "{}: the managed identity endpoint is unreachable: {}",
                    self.who(),
                    oauth::scrub(&describe(&e), &secrets)
                ))
            })?;
        Ok(oauth::read_answer(resp, started, &secrets)
            .await?
            .into_granted(self.who())?
            .token)
    }
}

#[async_trait::async_trait]
impl TokenCredential for ManagedIdentityCredential {
    async fn get_token(
        &self,
        scopes: &[&str],
        _options: Option<TokenRequestOptions<'_>>,
    ) -> azure_core::Result<AccessToken> {
        self.request_token(scopes).await.map_err(to_azure_error)
    }
}
