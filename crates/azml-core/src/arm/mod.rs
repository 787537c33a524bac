//! The ARM pipeline: endpoint → bearer token → transport → typed errors; long-running
//! operation poller; pagination; resource ids.
//!
//! INTERFACE CONTRACT (used by `ops` and `python`; bodies filled in by the arm work).
//!
//! Guarantees the callers can rely on:
//! - the bearer token, and any request at all, go only to the configured endpoint's scheme,
//!   host and port: polling URLs and `nextLink`s elsewhere are refused with
//!   [`ErrorKind::Transport`], redirects are not followed;
//! - plain `http` is accepted only for loopback endpoints (emulators);
//! - a malformed path or api-version is an [`ErrorKind::Validation`] error before any request;
//! - GET, HEAD, PUT, PATCH and DELETE are retried on 408/429/5xx and connection errors per
//!   [`RetryPolicy`]; a POST only on 429 (refused before ARM acted on it), on a connection
//!   that could not be made, or when the action is known to be safe to repeat
//!   ([`RetryPolicy::is_safe_to_repeat`]: `list*`, `checkNameAvailability`, provider
//!   registration);
//! - requests are paced by a model of ARM's token buckets ([`PacingConfig`]) shared by all
//!   clones of one [`ArmClient`], so that a fan-out runs at the buckets' rate without 429s;
//! - a 409 `MissingSubscriptionRegistration` registers the provider and retries once;
//! - events go to `tracing` (target `azml_core::arm::…`): one line per response with method, URL
//!   (query values other than api-version and OData options redacted), status, duration and
//!   `x-ms-request-id`; retry, pacing and registration decisions; never a header value;
//! - errors carry status, ARM `error.code`, message and `x-ms-request-id`;
//! - every request sent within [`correlated`] carries that logical operation's
//!   `x-ms-correlation-request-id` (each request its own `x-ms-client-request-id`).

pub mod api_versions;
pub mod cloud;
mod pacer;
pub(crate) mod pipeline;
pub mod poller;
pub mod resource_id;
pub mod retry;

pub use pacer::{PacingConfig, RateBucket};
pub use pipeline::{kind_for_status, ArmResponse};
pub use poller::{LroState, Pattern as LroPattern, Verb as LroVerb};
pub use resource_id::encode_segment;
pub use retry::RetryPolicy;

tokio::task_local! {
    static CORRELATION: String;
}

/// Runs `fut` as one logical operation: every ARM request it sends (retries, polls and the
/// concurrent requests it joins included) carries `id` as `x-ms-correlation-request-id`, so
/// that the service's logs tie them together. Work spawned onto other tasks is not covered:
/// wrap it too.
pub async fn correlated<F: std::future::Future>(id: String, fut: F) -> F::Output {
    CORRELATION.scope(id, fut).await
}

/// The correlation id of the logical operation being run, if any.
pub(crate) fn correlation_id() -> Option<String> {
    CORRELATION.try_with(Clone::clone).ok()
}

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use azure_core::credentials::TokenCredential;
use reqwest::header::HeaderValue;
use reqwest::Method;
use serde_json::Value;

use crate::error::{Error, ErrorKind, Result};
use pipeline::{Origin, Pipeline};
use poller::Verb;

/// How to reach ARM.
#[derive(Debug, Clone)]
pub struct ArmConfig {
    /// ARM endpoint, e.g. `https://management.azure.com` or the emulator's URL. No trailing `/`.
    pub endpoint: String,
    /// The token scope, e.g. `https://management.azure.com/.default`.
    pub scope: String,
    /// Extra CA certificate (PEM) to trust, e.g. the emulator's under TLS.
    pub ca_file: Option<PathBuf>,
    /// Appended to the `User-Agent`.
    pub user_agent_suffix: Option<String>,
    pub connect_timeout: Duration,
    pub read_timeout: Duration,
    /// Poll interval when the service gives no `Retry-After`.
    pub poll_interval: Duration,
    /// The shortest wait between polls, whatever `Retry-After` says (0 would be a busy loop).
    pub poll_min_wait: Duration,
    /// The longest wait between polls: a longer `Retry-After` is cut to this.
    pub poll_max_wait: Duration,
    /// Overall limit for one long-running operation.
    pub lro_timeout: Duration,
    /// Client-side pacing by ARM's token buckets (on by default; [`PacingConfig::off`] for
    /// raw behaviour).
    pub pacing: PacingConfig,
    /// On a 409 `MissingSubscriptionRegistration`, register the provider and retry once.
    pub auto_register: bool,
    /// How long to wait for a provider registration to reach `Registered`.
    pub registration_timeout: Duration,
    /// The running Python's version (`3.12.4`) when called from Python: it goes into the
    /// `User-Agent` as `azml/{version} (Python {ver}; {os})`.
    pub python_version: Option<String>,
}

impl ArmConfig {
    pub fn new(endpoint: impl Into<String>) -> Self {
        let endpoint = endpoint.into().trim_end_matches('/').to_string();
        ArmConfig {
            scope: "https://management.azure.com/.default".to_string(),
            endpoint,
            ca_file: None,
            user_agent_suffix: None,
            connect_timeout: Duration::from_secs(10),
            read_timeout: Duration::from_secs(60),
            poll_interval: Duration::from_secs(5),
            // The emulator's fast profile asks for 10 ms; Azure asks for seconds.
            poll_min_wait: Duration::from_millis(10),
            poll_max_wait: Duration::from_secs(120),
            lro_timeout: Duration::from_secs(3600),
            pacing: PacingConfig::default(),
            auto_register: true,
            registration_timeout: Duration::from_secs(300),
            python_version: None,
        }
    }
}

/// One pooled HTTP client bound to one ARM endpoint and one credential. Cheap to clone.
#[derive(Clone, Debug)]
pub struct ArmClient {
    inner: Arc<Pipeline>,
}

impl ArmClient {
    pub fn new(config: ArmConfig, credential: Arc<dyn TokenCredential>) -> Result<Self> {
        Self::with_retry_policy(config, credential, RetryPolicy::default())
    }

    /// Like [`ArmClient::new`] with a chosen retry policy (tests use short waits).
    pub fn with_retry_policy(
        mut config: ArmConfig,
        credential: Arc<dyn TokenCredential>,
        retry: RetryPolicy,
    ) -> Result<Self> {
        config.endpoint = config.endpoint.trim_end_matches('/').to_string();
        let endpoint = crate::http::parse_endpoint("ARM endpoint", &config.endpoint)?;
        if endpoint.path() != "/" {
            return Err(Error::validation(format!(
                "ARM endpoint {:?} must not have a path",
                config.endpoint
            )));
        }
        if config.scope.trim().is_empty() {
            return Err(Error::validation("the token scope must not be empty"));
        }
        if config.poll_min_wait > config.poll_max_wait {
            return Err(Error::validation(
                "the shortest poll wait must not be longer than the longest",
            ));
        }
        if retry.max_attempts == 0 {
            return Err(Error::validation("retry max_attempts must be at least 1"));
        }
        config.pacing.validate().map_err(Error::validation)?;
        let ua = user_agent(&config)?;
        let http = crate::http::build_http_client(
            config.connect_timeout,
            config.read_timeout,
            config.ca_file.as_deref(),
        )?;
        Ok(ArmClient {
            inner: Arc::new(Pipeline {
                origin: Origin::of(&endpoint),
                endpoint,
                pacer: pacer::Pacer::new(config.pacing),
                config,
                credential,
                http,
                retry,
                user_agent: ua,
            }),
        })
    }

    /// The `User-Agent` this client sends.
    pub fn user_agent(&self) -> &str {
        self.inner.user_agent.to_str().unwrap_or("")
    }

    /// The configured endpoint, without trailing `/`.
    pub fn endpoint(&self) -> &str {
        &self.inner.config.endpoint
    }

    pub fn config(&self) -> &ArmConfig {
        &self.inner.config
    }

    /// One request with retries and typed errors but no long-running-operation handling:
    /// for callers that need the status or headers (e.g. `--no-wait` creates).
    pub async fn request(
        &self,
        method: Method,
        path: &str,
        api_version: &str,
        body: Option<&Value>,
    ) -> Result<ArmResponse> {
        let url = self.inner.url_for(path, api_version)?;
        self.inner.send(method, url, body).await
    }

    /// GET `path` (starting with `/`, segments already encoded) → the JSON body.
    pub async fn get(&self, path: &str, api_version: &str) -> Result<Value> {
        Ok(self
            .request(Method::GET, path, api_version, None)
            .await?
            .body)
    }

    /// HEAD `path` → true on 2xx, false on 404.
    pub async fn exists(&self, path: &str, api_version: &str) -> Result<bool> {
        match self.request(Method::HEAD, path, api_version, None).await {
            Ok(_) => Ok(true),
            Err(e) if e.kind == ErrorKind::NotFound => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// GET a collection and follow every `nextLink`; returns all items of `value`.
    pub async fn list(&self, path: &str, api_version: &str) -> Result<Vec<Value>> {
        let mut url = self.inner.url_for(path, api_version)?;
        let mut items = Vec::new();
        let mut seen = std::collections::HashSet::new();
        loop {
            let page = self.inner.send(Method::GET, url.clone(), None).await?.body;
            match page.get("value") {
                Some(Value::Array(values)) => items.extend(values.iter().cloned()),
                None | Some(Value::Null) => {}
                Some(_) => {
                    return Err(Error::transport(format!(
                        "GET {}: 'value' of the page is not an array",
                        url.path()
                    )))
                }
            }
            let next = match page.get("nextLink").and_then(Value::as_str) {
                Some(n) if !n.trim().is_empty() => n,
                _ => return Ok(items),
            };
            url = self.inner.service_url("nextLink", next)?;
            if !url.query_pairs().any(|(k, _)| k == "api-version") && !api_version.is_empty() {
                url.query_pairs_mut()
                    .append_pair("api-version", api_version);
            }
            // A service that hands back a page already seen would keep us here forever.
            if !seen.insert(url.to_string()) {
                return Err(Error::transport(format!(
                    "GET {}: the service repeated a nextLink",
                    url.path()
                )));
            }
        }
    }

    /// PUT and, if the service answers with a long-running operation, wait for it;
    /// returns the final resource body (a GET of the resource after the operation).
    pub async fn put(&self, path: &str, api_version: &str, body: &Value) -> Result<Value> {
        self.write(Verb::Put, path, api_version, Some(body)).await
    }

    /// PATCH, same long-running handling as [`ArmClient::put`].
    pub async fn patch(&self, path: &str, api_version: &str, body: &Value) -> Result<Value> {
        self.write(Verb::Patch, path, api_version, Some(body)).await
    }

    /// DELETE and wait for the operation unless `no_wait`. 404 and 204 count as done.
    pub async fn delete(&self, path: &str, api_version: &str, no_wait: bool) -> Result<()> {
        let state = self.begin(LroVerb::Delete, path, api_version, None).await?;
        if no_wait {
            return Ok(());
        }
        self.wait_for(&state).await.map(drop)
    }

    /// POST an action (`listKeys`, `resyncKeys`, `diagnose` …) and wait for it if it is
    /// long-running; returns the final body if there is one.
    pub async fn post(
        &self,
        path: &str,
        api_version: &str,
        body: Option<&Value>,
    ) -> Result<Option<Value>> {
        let v = self.write(Verb::Post, path, api_version, body).await?;
        Ok(if v.is_null() { None } else { Some(v) })
    }

    async fn write(
        &self,
        verb: Verb,
        path: &str,
        api_version: &str,
        body: Option<&Value>,
    ) -> Result<Value> {
        let state = self.begin(verb, path, api_version, body).await?;
        self.wait_for(&state).await
    }

    /// Send the request that starts a (possibly) long-running operation and return its
    /// state without waiting: what [`ArmClient::wait_for`] needs, here or (serialised, see
    /// [`LroState`]) in another process. A DELETE answered 404 is an operation already done.
    /// Polling URLs on another host than the endpoint's are refused here.
    pub async fn begin(
        &self,
        verb: LroVerb,
        path: &str,
        api_version: &str,
        body: Option<&Value>,
    ) -> Result<LroState> {
        let url = self.inner.url_for(path, api_version)?;
        let initial = match self.inner.send(verb.method(), url.clone(), body).await {
            Ok(r) => r,
            Err(e) if verb == Verb::Delete && e.kind == ErrorKind::NotFound => {
                return Ok(LroState::finished(
                    verb,
                    poller::relative(&url),
                    Value::Null,
                ))
            }
            Err(e) => return Err(e),
        };
        let state = poller::classify(&self.inner, verb, &url, initial)?;
        let polled = match &state.pattern {
            poller::Pattern::AzureAsyncOperation { url: target, .. } => {
                Some(("azure-asyncoperation", target))
            }
            poller::Pattern::Location { url: target } => Some(("location", target)),
            _ => None,
        };
        if let Some((header, target)) = polled {
            // Redacted like every request URL.
            let shown = url
                .join(target)
                .map(|u| pipeline::loggable_url(&u))
                .unwrap_or_else(|_| "<invalid URL>".into());
            tracing::debug!(
                verb = ?verb,
                resource = %pipeline::loggable_url(&url),
                header,
                poll = %shown,
                "long-running operation started; polling"
            );
        }
        Ok(state)
    }

    /// Wait for an operation begun here or in another process, within the configured
    /// `lro_timeout`; returns its final body (`Null` when there is none). Dropping the
    /// future stops the polling and nothing else: ARM goes on with the operation.
    pub async fn wait_for(&self, state: &LroState) -> Result<Value> {
        let limit = self.inner.config.lro_timeout;
        let started = std::time::Instant::now();
        let result = match tokio::time::timeout(limit, poller::poll(&self.inner, state)).await {
            Ok(r) => r,
            Err(_) => Err(Error::new(
                ErrorKind::Timeout,
                format!(
                    "the operation on {} did not finish within {} s",
                    state.resource.split('?').next().unwrap_or_default(),
                    limit.as_secs_f64()
                ),
            )),
        };
        if !matches!(state.pattern, poller::Pattern::Done) {
            tracing::debug!(
                verb = ?state.verb,
                resource = %state.resource,
                ok = result.is_ok(),
                duration_ms = started.elapsed().as_millis() as u64,
                "long-running operation ended"
            );
        }
        result
    }
}

/// `azml/{version} (Python {ver}; {os})` (`azml/{version} ({os})` outside Python), then the
/// configured suffix.
fn user_agent(config: &ArmConfig) -> Result<HeaderValue> {
    let os = std::env::consts::OS;
    let mut ua = match config.python_version.as_deref().map(str::trim) {
        Some(v) if !v.is_empty() => {
            format!("azml/{} (Python {v}; {os})", env!("CARGO_PKG_VERSION"))
        }
        _ => format!("azml/{} ({os})", env!("CARGO_PKG_VERSION")),
    };
    if let Some(suffix) = config.user_agent_suffix.as_deref().map(str::trim) {
        if !suffix.is_empty() {
            ua.push(' ');
            ua.push_str(suffix);
        }
    }
    HeaderValue::from_str(&ua).map_err(|_| {
        Error::validation("the User-Agent suffix has characters not allowed in a header")
    })
}
