//! Interactive sign-in in the user's browser: the authorization code flow with PKCE
//! (RFC 7636) and a loopback redirect (RFC 8252 §7.3) on `127.0.0.1` and a port the system
//! picks. The refresh token it yields is kept in memory and used for later tokens.
//!
//! The browser is opened through a pluggable [`BrowserOpener`]: the default starts the
//! platform's URL handler (`xdg-open`, `open`, `rundll32 url.dll`) with the URL as one
//! argument (no shell); tests plug in one that plays the browser.

use std::fmt;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use azure_core::credentials::{AccessToken, Secret, TokenCredential, TokenRequestOptions};
use base64::Engine as _;
use rand::Rng;
use sha2::{Digest, Sha256};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use url::Url;

use super::oauth::{self, auth_error};
use super::to_azure_error;
use crate::error::{Error, ErrorKind, Result};
use crate::http::build_http_client;

const WHO: &str = "InteractiveBrowserCredential";
const B64URL: base64::engine::GeneralPurpose = base64::engine::general_purpose::URL_SAFE_NO_PAD;
/// The largest redirect request read from the browser.
const MAX_REQUEST: usize = 16 * 1024;

/// Opens `url` in a browser. An error stops the sign-in at once.
pub type BrowserOpener = Arc<dyn Fn(&str) -> std::result::Result<(), String> + Send + Sync>;

/// The platform's URL handler, started with the URL as a single argument.
pub fn system_browser() -> BrowserOpener {
    Arc::new(|url: &str| {
        let (program, args): (&str, Vec<&str>) = if cfg!(target_os = "windows") {
            ("rundll32", vec!["url.dll,FileProtocolHandler", url])
        } else if cfg!(target_os = "macos") {
            ("open", vec![url])
        } else {
            ("xdg-open", vec![url])
        };
        std::process::Command::new(program)
            .args(&args)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .map(|_| ())
            .map_err(|e| format!("cannot start {program} to open the browser: {e}"))
    })
}

/// Authorization code + PKCE sign-in. No caching of access tokens here: wrap it in
/// [`super::Cached`] ([`super::interactive_browser`] does).
pub struct InteractiveBrowserCredential {
    authorize_url: Url,
    token_url: Url,
    tenant_id: String,
    client_id: String,
    login_hint: Option<String>,
    opener: BrowserOpener,
    timeout: Duration,
    refresh_token: Mutex<Option<Secret>>,
    http: reqwest::Client,
}

impl fmt::Debug for InteractiveBrowserCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InteractiveBrowserCredential")
            .field("authorize_url", &self.authorize_url.as_str())
            .field("tenant_id", &self.tenant_id)
            .field("client_id", &self.client_id)
            .field("timeout", &self.timeout)
            .field(
                "refresh_token",
                &super::oauth::refresh_token_shown(&self.refresh_token),
            )
            .finish()
    }
}

/// What the browser brought back to the loopback listener.
struct Redirect {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

impl InteractiveBrowserCredential {
    /// Opens the system browser unless [`InteractiveBrowserCredential::with_opener`] says
    /// otherwise; gives up after five minutes without an answer.
    pub fn new(
        authority: &str,
        tenant_id: &str,
        client_id: &str,
        ca_file: Option<&Path>,
    ) -> Result<Self> {
        let authorize_url = oauth::endpoint_url(authority, tenant_id, "authorize")?;
        let token_url = oauth::endpoint_url(authority, tenant_id, "token")?;
        oauth::check_client(client_id)?;
        Ok(InteractiveBrowserCredential {
            authorize_url,
            token_url,
            tenant_id: tenant_id.to_string(),
            client_id: client_id.to_string(),
            login_hint: None,
            opener: system_browser(),
            timeout: Duration::from_secs(300),
            refresh_token: Mutex::new(None),
            http: build_http_client(Duration::from_secs(10), Duration::from_secs(30), ca_file)?,
        })
    }

    /// Opens the authorize URL through `opener` instead of the system browser.
    pub fn with_opener(mut self, opener: BrowserOpener) -> Self {
        self.opener = opener;
        self
    }

    /// How long to wait for the browser to come back.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Pre-fills the account in the sign-in page (`login_hint`).
    pub fn with_login_hint(mut self, user_principal_name: &str) -> Self {
        self.login_hint = Some(user_principal_name.to_string());
        self
    }

    /// True once a sign-in left a refresh token.
    pub fn has_refresh_token(&self) -> bool {
        self.refresh_token
            .lock()
            .map(|r| r.is_some())
            .unwrap_or(false)
    }

    fn scopes_with_oidc(scopes: &[&str]) -> String {
        let mut all: Vec<&str> = scopes.to_vec();
        for s in ["offline_access", "openid", "profile"] {
            if !all.contains(&s) {
                all.push(s);
            }
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
            return Err(Error::validation(
                "no scope was given for the token request",
            ));
        }
        let refresh = self
            .refresh_token
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        if let Some(refresh) = refresh {
            let form = url::form_urlencoded::Serializer::new(String::new())
                .append_pair("grant_type", "refresh_token")
                .append_pair("client_id", &self.client_id)
                .append_pair("refresh_token", refresh.secret())
                .append_pair("scope", &Self::scopes_with_oidc(scopes))
                .finish();
            match oauth::post_form(&self.http, &self.token_url, form, &[refresh.secret()])
                .await?
                .into_granted(WHO)
            {
                Ok(g) => {
                    self.keep(g.refresh_token);
                    return Ok(g.token);
                }
                // Refused (expired, revoked): sign in again in the browser.
                Err(_) => {
                    *self.refresh_token.lock().unwrap_or_else(|e| e.into_inner()) = None;
                }
            }
        }
        self.sign_in(scopes).await
    }

    async fn sign_in(&self, scopes: &[&str]) -> Result<AccessToken> {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await.map_err(|e| {
            auth_error(format!(
                "{WHO}: cannot listen on 127.0.0.1 for the redirect: {e}"
            ))
        })?;
        let port = listener
            .local_addr()
            .map_err(|e| auth_error(format!("{WHO}: {e}")))?
            .port();
        let redirect_uri = format!("http://127.0.0.1:{port}/");
        let mut random = [0u8; 32];
        rand::rng().fill(&mut random[..]);
        let verifier = Secret::new(B64URL.encode(random));
        let challenge = B64URL.encode(Sha256::digest(verifier.secret().as_bytes()));
        rand::rng().fill(&mut random[..16]);
        let state = B64URL.encode(&random[..16]);
        let mut url = self.authorize_url.clone();
        {
            let mut q = url.query_pairs_mut();
            q.append_pair("client_id", &self.client_id)
                .append_pair("response_type", "code")
                .append_pair("redirect_uri", &redirect_uri)
                .append_pair("response_mode", "query")
                .append_pair("scope", &Self::scopes_with_oidc(scopes))
                .append_pair("state", &state)
                .append_pair("code_challenge", &challenge)
                .append_pair("code_challenge_method", "S256")
                .append_pair("prompt", "select_account");
            if let Some(hint) = &self.login_hint {
                q.append_pair("login_hint", hint);
            }
        }
        (self.opener)(url.as_str())
            .map_err(|e| auth_error(format!("{WHO}: cannot open the browser: {e}")))?;
        let redirect = tokio::time::timeout(self.timeout, wait_for_redirect(&listener))
            .await
            .map_err(|_| {
                auth_error(format!(
                    "{WHO}: no answer from the browser within {} s; try again",
                    self.timeout.as_secs()
                ))
            })??;
        drop(listener);
        if redirect.state.as_deref() != Some(state.as_str()) {
            return Err(auth_error(format!(
                "{WHO}: the redirect's state does not match the request's; the sign-in was \
                 not completed (possible cross-site request forgery)"
            )));
        }
        if let Some(error) = redirect.error {
            let mut err = auth_error(format!(
                "{WHO} authentication failed: {}",
                redirect
                    .error_description
                    .unwrap_or_else(|| format!("the authority answered '{error}'"))
            ));
            err.code = Some(error);
            return Err(err);
        }
        let code = redirect
            .code
            .map(Secret::new)
            .ok_or_else(|| auth_error(format!("{WHO}: the redirect carried no code")))?;
        let form = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("grant_type", "authorization_code")
            .append_pair("client_id", &self.client_id)
            .append_pair("code", code.secret())
            .append_pair("redirect_uri", &redirect_uri)
            .append_pair("code_verifier", verifier.secret())
            .append_pair("scope", &Self::scopes_with_oidc(scopes))
            .finish();
        let granted = oauth::post_form(
            &self.http,
            &self.token_url,
            form,
            &[code.secret(), verifier.secret()],
        )
        .await?
        .into_granted(WHO)?;
        self.keep(granted.refresh_token);
        Ok(granted.token)
    }
}

/// Serves the loopback listener until a request carries `code` or `error` (browsers also
/// ask for `/favicon.ico` and the like, which get a 404).
async fn wait_for_redirect(listener: &TcpListener) -> Result<Redirect> {
    loop {
        let (mut stream, _) = listener
            .accept()
            .await
            .map_err(|e| auth_error(format!("{WHO}: the redirect listener failed: {e}")))?;
        let mut buf = Vec::with_capacity(1024);
        let mut chunk = [0u8; 1024];
        // The request line and headers; no body is expected.
        while !buf.windows(4).any(|w| w == b"\r\n\r\n") && buf.len() < MAX_REQUEST {
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => break,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        }
        let text = String::from_utf8_lossy(&buf);
        let target = text
            .lines()
            .next()
            .and_then(|l| l.strip_prefix("GET "))
            .and_then(|l| l.split(' ').next())
            .unwrap_or("");
        let query: Vec<(String, String)> = Url::parse(&format!("http://127.0.0.1{target}"))
            .map(|u| u.query_pairs().into_owned().collect())
            .unwrap_or_default();
        let get = |k: &str| {
            query
                .iter()
                .find(|(n, _)| n == k)
                .map(|(_, v)| v.clone())
                .filter(|v| !v.is_empty())
        };
        let redirect = Redirect {
            code: get("code"),
            state: get("state"),
            error: get("error"),
            error_description: get("error_description"),
        };
        let (status, page) = if redirect.code.is_some() || redirect.error.is_some() {
            let message = if redirect.error.is_some() {
                "Sign-in failed. You can close this window and return to azml."
            } else {
                "Sign-in complete. You can close this window and return to azml."
            };
            ("200 OK", message)
        } else {
            ("404 Not Found", "Not found.")
        };
        let body = format!("<!doctype html><html><body><p>{page}</p></body></html>");
        let response = format!(
            "HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        let _ = stream.write_all(response.as_bytes()).await;
        let _ = stream.shutdown().await;
        if status.starts_with("200") {
            return Ok(redirect);
        }
    }
}

#[async_trait::async_trait]
impl TokenCredential for InteractiveBrowserCredential {
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
