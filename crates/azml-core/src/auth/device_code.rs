//! Interactive sign-in with the device code flow (RFC 8628) against an Entra ID style
//! authority; the refresh token it yields is kept in memory and used for later tokens.

use std::fmt;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use azure_core::credentials::{AccessToken, Secret, TokenCredential, TokenRequestOptions};
use serde_json::Value;
use url::Url;

use super::oauth::{self, auth_error, Answer};
use super::to_azure_error;
use crate::error::{ErrorKind, Result};
use crate::http::build_http_client;

const WHO: &str = "DeviceCodeCredential";
const DEVICE_CODE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

/// What the user is shown: the authority's `message` ("To sign in, use a web browser to open
/// … and enter the code …"), plus its parts.
#[derive(Debug, Clone)]
pub struct DeviceCodePrompt {
    pub message: String,
    pub user_code: String,
    pub verification_uri: String,
    /// When the user code stops working (now + the authority's `expires_in`).
    pub expires_on: time::OffsetDateTime,
}

pub type PromptCallback = Arc<dyn Fn(&DeviceCodePrompt) + Send + Sync>;

/// Device code sign-in. No caching of access tokens here: wrap it in [`super::Cached`].
pub struct DeviceCodeCredential {
    devicecode_url: Url,
    token_url: Url,
    tenant_id: String,
    client_id: String,
    prompt: PromptCallback,
    refresh_token: Mutex<Option<Secret>>,
    /// The length of one "second" of the authority's `interval`; tests shorten it.
    time_unit: Duration,
    http: reqwest::Client,
}

impl fmt::Debug for DeviceCodeCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DeviceCodeCredential")
            .field("token_url", &self.token_url.as_str())
            .field("tenant_id", &self.tenant_id)
            .field("client_id", &self.client_id)
            .field(
                "refresh_token",
                &super::oauth::refresh_token_shown(&self.refresh_token),
            )
            .finish()
    }
}

enum Poll {
    Done(AccessToken),
    Wait(Duration),
}

impl DeviceCodeCredential {
    /// The Azure CLI's public client id, which the Azure SDKs use for interactive sign-in
    /// when no application of one's own is registered.
    pub const AZURE_CLI_CLIENT_ID: &'static str = "04b07795-8ddb-461a-bbee-02f9e1bf7b46";

    /// The message is printed to stderr unless [`DeviceCodeCredential::with_prompt`] says
    /// otherwise.
    pub fn new(
        authority: &str,
        tenant_id: &str,
        client_id: &str,
        ca_file: Option<&Path>,
    ) -> Result<Self> {
        let devicecode_url = oauth::endpoint_url(authority, tenant_id, "devicecode")?;
        let token_url = oauth::endpoint_url(authority, tenant_id, "token")?;
        oauth::check_client(client_id)?;
        Ok(DeviceCodeCredential {
            devicecode_url,
            token_url,
            tenant_id: tenant_id.to_string(),
            client_id: client_id.to_string(),
            prompt: Arc::new(|p: &DeviceCodePrompt| eprintln!("{}", p.message)),
            refresh_token: Mutex::new(None),
            time_unit: Duration::from_secs(1),
            http: build_http_client(Duration::from_secs(10), Duration::from_secs(30), ca_file)?,
        })
    }

    /// Shows the sign-in message through `prompt` instead of stderr.
    pub fn with_prompt(
        mut self,
        prompt: impl Fn(&DeviceCodePrompt) + Send + Sync + 'static,
    ) -> Self {
        self.prompt = Arc::new(prompt);
        self
    }

    /// Scales the authority's `interval` and `slow_down` step (seconds) to `unit` each; for
    /// tests, which cannot wait five seconds per poll.
    pub fn with_time_unit(mut self, unit: Duration) -> Self {
        self.time_unit = unit;
        self
    }

    /// True once a sign-in left a refresh token.
    pub fn has_refresh_token(&self) -> bool {
        self.refresh_token
            .lock()
            .map(|r| r.is_some())
            .unwrap_or(false)
    }

    fn scopes_with_offline(scopes: &[&str]) -> String {
        let mut all: Vec<&str> = scopes.to_vec();
        if !all.contains(&"offline_access") {
            all.push("offline_access");
        }
        all.join(" ")
    }

    fn keep(&self, refresh: Option<Secret>) {
        if let Some(r) = refresh {
            *self.refresh_token.lock().unwrap_or_else(|e| e.into_inner()) = Some(r);
        }
    }

    async fn request_token(&self, scopes: &[&str]) -> Result<AccessToken> {
        if scopes.is_empty() {
            return Err(crate::Error::validation(
                "no scope was given for the token request",
            ));
        }
        let refresh = self
            .refresh_token
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        if let Some(refresh) = refresh {
            match self.refresh(&refresh, scopes).await {
                Ok(t) => return Ok(t),
                // A refused refresh token (expired, revoked) means signing in again; a
                // network failure does not.
                Err(e) if e.status.is_some() => {
                    tracing::info!(
                        "the refresh token was refused; starting a new device code sign-in"
                    );
                    *self.refresh_token.lock().unwrap_or_else(|e| e.into_inner()) = None;
                }
                Err(e) => return Err(e),
            }
        }
        self.sign_in(scopes).await
    }

    async fn refresh(&self, refresh: &Secret, scopes: &[&str]) -> Result<AccessToken> {
        let form = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("grant_type", "refresh_token")
            .append_pair("client_id", &self.client_id)
            .append_pair("refresh_token", refresh.secret())
            .append_pair("scope", &Self::scopes_with_offline(scopes))
            .finish();
        let granted = oauth::post_form(&self.http, &self.token_url, form, &[refresh.secret()])
            .await?
            .into_granted(WHO)?;
        self.keep(granted.refresh_token);
        Ok(granted.token)
    }

    async fn sign_in(&self, scopes: &[&str]) -> Result<AccessToken> {
        let form = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("client_id", &self.client_id)
            .append_pair("scope", &Self::scopes_with_offline(scopes))
            .finish();
        let resp = self
            .http
            .post(self.devicecode_url.clone())
            .header("content-type", "application/x-www-form-urlencoded")
            .header("accept", "application/json")
            .body(form)
            .send()
            .await
            .map_err(|e| {
                auth_error(format!(
                    "{WHO}: cannot reach {}: {}",
                    self.devicecode_url,
                    crate::http::describe(&e)
                ))
            })?;
        let status = resp.status();
        let body: Value = resp.json().await.unwrap_or(Value::Null);
        let text = |k: &str| body.get(k).and_then(Value::as_str).map(str::to_string);
        if !status.is_success() {
            return Err(oauth::refusal_error(
                WHO,
                status.as_u16(),
                text("error"),
                text("error_description"),
            ));
        }
        let device_code = text("device_code")
            .filter(|c| !c.is_empty())
            .map(Secret::new)
            .ok_or_else(|| {
                auth_error(format!("{WHO}: the devicecode answer has no device_code"))
            })?;
        let num = |k: &str| match body.get(k) {
            Some(Value::Number(n)) => n.as_u64(),
            Some(Value::String(s)) => s.trim().parse().ok(),
            _ => None,
        };
        let expires_in = num("expires_in").unwrap_or(900);
        // An interval of 0 would poll as fast as the network allows.
        let mut interval = num("interval").unwrap_or(5).max(1);
        let prompt = DeviceCodePrompt {
            expires_on: time::OffsetDateTime::now_utc()
                + time::Duration::seconds(expires_in.min(i64::MAX as u64) as i64),
            user_code: text("user_code").unwrap_or_default(),
            verification_uri: text("verification_uri").unwrap_or_default(),
            message: text("message").unwrap_or_else(|| {
                format!(
                    "To sign in, open {} and enter the code {}.",
                    text("verification_uri").unwrap_or_default(),
                    text("user_code").unwrap_or_default()
                )
            }),
        };
        (self.prompt)(&prompt);
        let deadline = tokio::time::Instant::now() + self.time_unit * expires_in as u32;
        loop {
            tokio::time::sleep(self.time_unit * interval as u32).await;
            if tokio::time::Instant::now() >= deadline {
                return Err(auth_error(format!(
                    "{WHO}: the device code expired before sign-in completed; try again"
                )));
            }
            match self.poll(&device_code).await? {
                Poll::Done(token) => return Ok(token),
                Poll::Wait(extra) => interval += extra.as_secs(),
            }
        }
    }

    async fn poll(&self, device_code: &Secret) -> Result<Poll> {
        let form = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("grant_type", DEVICE_CODE_GRANT)
            .append_pair("client_id", &self.client_id)
            .append_pair("device_code", device_code.secret())
            .finish();
        match oauth::post_form(&self.http, &self.token_url, form, &[device_code.secret()]).await? {
            Answer::Granted(g) => {
                self.keep(g.refresh_token);
                Ok(Poll::Done(g.token))
            }
            Answer::Refused {
                status,
                code,
                description,
            } => match code.as_deref() {
                Some("authorization_pending") => Ok(Poll::Wait(Duration::ZERO)),
                // RFC 8628 §3.5: add five seconds to the interval from now on.
                Some("slow_down") => Ok(Poll::Wait(Duration::from_secs(5))),
                Some("expired_token") => Err(auth_error(format!(
                    "{WHO}: the device code expired before sign-in completed; try again"
                ))
                .with_status(status)
                .with_code("expired_token")),
                Some("access_denied") | Some("authorization_declined") => {
                    Err(auth_error(format!("{WHO}: the sign-in was declined"))
                        .with_status(status)
                        .with_code("access_denied"))
                }
                _ => Err(oauth::refusal_error(WHO, status, code, description)),
            },
        }
    }
}

#[async_trait::async_trait]
impl TokenCredential for DeviceCodeCredential {
    async fn get_token(
        &self,
        scopes: &[&str],
        _options: Option<TokenRequestOptions<'_>>,
    ) -> azure_core::Result<AccessToken> {
        self.request_token(scopes).await.map_err(|mut e| {
            e.kind = ErrorKind::Authentication;
            to_azure_error(e)
        })
    }
}
