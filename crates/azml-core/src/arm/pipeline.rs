//! One request through the pipeline: origin check → bearer token → headers → send → retry →
//! typed error. Everything that leaves the process for ARM goes through [`Pipeline::send`].

use std::sync::Arc;
use std::time::{Duration, Instant};

use azure_core::credentials::TokenCredential;
use reqwest::header::{HeaderMap, HeaderValue, ACCEPT, AUTHORIZATION, CONTENT_TYPE, USER_AGENT};
use reqwest::{Method, StatusCode};
use serde_json::Value;
use url::Url;

use super::pacer::Pacer;
use super::retry::{Decision, RetryPolicy};
use super::ArmConfig;
use crate::error::{Error, ErrorKind, Result};
use crate::http::describe;

/// A successful (2xx) response, body parsed (`Null` when empty).
#[derive(Debug, Clone)]
pub struct ArmResponse {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Value,
}

impl ArmResponse {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// Scheme, host and port: the only origin the token may be sent to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Origin {
    scheme: String,
    host: String,
    port: Option<u16>,
}

impl Origin {
    pub(crate) fn of(url: &Url) -> Origin {
        Origin {
            scheme: url.scheme().to_ascii_lowercase(),
            host: url.host_str().unwrap_or("").to_ascii_lowercase(),
            port: url.port_or_known_default(),
        }
    }
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}://{}", self.scheme, self.host)?;
        if let Some(p) = self.port {
            write!(f, ":{p}")?;
        }
        Ok(())
    }
}

pub(crate) struct Pipeline {
    pub(crate) config: ArmConfig,
    pub(crate) endpoint: Url,
    pub(crate) origin: Origin,
    pub(crate) credential: Arc<dyn TokenCredential>,
    pub(crate) http: reqwest::Client,
    pub(crate) retry: RetryPolicy,
    pub(crate) user_agent: HeaderValue,
    pub(crate) pacer: Pacer,
}

impl std::fmt::Debug for Pipeline {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ArmClient")
            .field("endpoint", &self.config.endpoint)
            .field("scope", &self.config.scope)
            .field("credential", &self.credential)
            .field("retry", &self.retry)
            .field("pacing", &self.config.pacing)
            .finish()
    }
}

impl Pipeline {
    /// `{endpoint}{path}?api-version=…` for a caller-given path (segments already encoded).
    /// An empty `api_version` adds none (for services such as Graph that do not use it).
    pub(crate) fn url_for(&self, path: &str, api_version: &str) -> Result<Url> {
        if !path.starts_with('/') {
            return Err(Error::validation(format!(
                "request path must start with '/': {path:?}"
            )));
        }
        if path.starts_with("//") {
            return Err(Error::validation(format!(
                "request path must not start with '//': {path:?}"
            )));
        }
        let (p, query) = match path.split_once('?') {
            Some((p, q)) => (p, Some(q)),
            None => (path, None),
        };
        // `.`/`..` (also percent-encoded) would be normalised away by the URL parser and
        // address another resource; an empty segment means a name was left out.
        let inner = p[1..].trim_end_matches('/');
        for seg in inner.split('/') {
            let decoded = percent_encoding::percent_decode_str(seg).decode_utf8_lossy();
            if decoded == "." || decoded == ".." {
                return Err(Error::validation(format!(
                    "request path has a '.' or '..' segment: {path:?}"
                )));
            }
            if seg.is_empty() && !inner.is_empty() {
                return Err(Error::validation(format!(
                    "request path has an empty segment: {path:?}"
                )));
            }
        }
        // A backslash counts as '/' to the URL parser; '#' would start a fragment.
        if path
            .chars()
            .any(|c| c.is_control() || c == ' ' || c == '#' || c == '\\')
        {
            return Err(Error::validation(format!(
                "request path has characters that must be encoded: {path:?}"
            )));
        }
        if api_version
            .chars()
            .any(|c| !(c.is_ascii_alphanumeric() || c == '-' || c == '.'))
        {
            return Err(Error::validation(format!(
                "invalid api-version {api_version:?}"
            )));
        }
        let base = self.config.endpoint.trim_end_matches('/');
        let mut s = format!("{base}{p}");
        let mut sep = '?';
        if let Some(q) = query.filter(|q| !q.is_empty()) {
            s.push('?');
            s.push_str(q);
            sep = '&';
        }
        if !api_version.is_empty() {
            s.push(sep);
            s.push_str("api-version=");
            s.push_str(api_version);
        }
        Url::parse(&s)
            .map_err(|e| Error::validation(format!("cannot build a URL from path {path:?}: {e}")))
    }

    /// Resolves a URL the service handed us (polling header, nextLink) and refuses it unless
    /// it points at the configured endpoint's scheme, host and port.
    pub(crate) fn service_url(&self, what: &str, raw: &str) -> Result<Url> {
        let url = self.endpoint.join(raw.trim()).map_err(|e| {
            Error::transport(format!("the service sent an invalid {what} URL: {e}"))
        })?;
        self.check_origin(what, &url)?;
        Ok(url)
    }

    fn check_origin(&self, what: &str, url: &Url) -> Result<()> {
        let origin = Origin::of(url);
        if origin != self.origin {
            return Err(Error::transport(format!(
                "refusing to follow the {what} URL to host {origin}: it is not the configured \
                 ARM endpoint {}; no request (and no token) was sent there",
                self.origin
            )));
        }
        Ok(())
    }

    async fn bearer(&self) -> Result<HeaderValue> {
        let token = self
            .credential
            .get_token(&[self.config.scope.as_str()], None)
            .await
            .map_err(crate::auth::map_credential_error)?;
        let mut value = HeaderValue::from_str(&format!("Bearer {}", token.token.secret()))
            .map_err(|_| {
                Error::new(
                    ErrorKind::Authentication,
                    "the credential returned a token that is not a valid header value",
                )
            })?;
        value.set_sensitive(true);
        Ok(value)
    }

    /// Sends one logical request, retrying per the policy; 2xx → [`ArmResponse`], anything
    /// else → a typed [`Error`]. The `x-ms-client-request-id` stays the same across the tries
    /// of one logical request so that the service can correlate them. A 409
    /// `MissingSubscriptionRegistration` registers the provider and sends the request once
    /// more (when `auto_register` is on).
    pub(crate) async fn send(
        &self,
        method: Method,
        url: Url,
        body: Option<&Value>,
    ) -> Result<ArmResponse> {
        match self.send_tries(&method, &url, body).await {
            Err(e)
                if self.config.auto_register
                    && e.status == Some(409)
                    && e.code.as_deref() == Some("MissingSubscriptionRegistration") =>
            {
                let Some((subscription, namespace)) = registration_target(&url, &e.message) else {
                    return Err(e);
                };
                tracing::info!(
                    %method,
                    url = %loggable_url(&url),
                    namespace = %namespace,
                    "the subscription is not registered for {namespace}; registering it and \
                     sending the request once more"
                );
                self.register_provider(&subscription, &namespace).await?;
                self.send_tries(&method, &url, body).await
            }
            other => other,
        }
    }

    /// What the Azure SDKs' auto-registration policy does: POST `…/register`, then GET the
    /// provider until its `registrationState` is `Registered` (bounded by
    /// `registration_timeout`).
    async fn register_provider(&self, subscription: &str, namespace: &str) -> Result<()> {
        let path = format!(
            "/subscriptions/{}/providers/{}",
            super::encode_segment(subscription),
            super::encode_segment(namespace)
        );
        let register = self.url_for(&format!("{path}/register"), super::api_versions::PROVIDERS)?;
        let provider = self.url_for(&path, super::api_versions::PROVIDERS)?;
        let fail = |e: Error| {
            let mut out = Error::new(
                e.kind,
                format!(
                    "the subscription is not registered for the resource provider \
                     {namespace}, and registering it failed: {}",
                    e.message
                ),
            );
            out.status = e.status;
            out.code = e.code.clone();
            out.request_id = e.request_id.clone();
            out
        };
        let r = self
            .send_tries(&Method::POST, &register, None)
            .await
            .map_err(fail)?;
        let started = Instant::now();
        let mut state = registration_state(&r.body);
        let mut polls = 0u32;
        while !state.eq_ignore_ascii_case("Registered") {
            if started.elapsed() >= self.config.registration_timeout {
                return Err(Error::new(
                    ErrorKind::Timeout,
                    format!(
                        "the resource provider {namespace} was still '{state}' after {} s of \
                         registration",
                        self.config.registration_timeout.as_secs_f64()
                    ),
                ));
            }
            let delay = Duration::from_millis(100)
                .saturating_mul(1u32 << polls.min(16))
                .min(self.config.poll_interval);
            tokio::time::sleep(delay).await;
            polls += 1;
            let r = self
                .send_tries(&Method::GET, &provider, None)
                .await
                .map_err(fail)?;
            state = registration_state(&r.body);
            tracing::debug!(namespace, state = %state, polls, "provider registration poll");
        }
        tracing::info!(namespace, "resource provider registered");
        Ok(())
    }

    /// One logical request: its tries and the waits between them.
    async fn send_tries(
        &self,
        method: &Method,
        url: &Url,
        body: Option<&Value>,
    ) -> Result<ArmResponse> {
        self.check_origin("request", url)?;
        let request = LogicalRequest::new(method, url, body)?;
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            match self.try_once(&request, attempt).await? {
                Tried::Answered(response) => return Ok(response),
                Tried::RetryAfter(wait) => tokio::time::sleep(wait).await,
            }
        }
    }

    /// One try: paced, with a token, sent; what came back decides whether to try again.
    async fn try_once(&self, r: &LogicalRequest<'_>, attempt: u32) -> Result<Tried> {
        // Paced first, so that a request held back for long still gets a fresh token.
        let ticket = self.pacer.acquire(r.method, r.url).await;
        let bearer = self.bearer().await?;
        let mut req = self
            .http
            .request(r.method.clone(), r.url.clone())
            .header(AUTHORIZATION, bearer)
            .header("x-ms-client-request-id", r.client_request_id.as_str())
            .header(USER_AGENT, self.user_agent.clone())
            .header(ACCEPT, "application/json");
        if let Some(id) = &r.correlation {
            req = req.header("x-ms-correlation-request-id", id.as_str());
        }
        if let Some(b) = &r.body {
            req = req.header(CONTENT_TYPE, "application/json").body(b.clone());
        }
        let sent = Instant::now();
        let outcome = match req.send().await {
            Ok(resp) => {
                let status = resp.status();
                let headers = resp.headers().clone();
                match resp.bytes().await {
                    Ok(bytes) => Ok((status, headers, bytes)),
                    Err(e) => Err((e, Some(headers))),
                }
            }
            Err(e) => Err((e, None)),
        };
        let took_ms = sent.elapsed().as_millis() as u64;
        match outcome {
            Ok((status, headers, bytes)) => {
                ticket.complete(Some(&headers));
                self.on_answer(r, attempt, took_ms, status, headers, &bytes)
            }
            Err((e, headers)) => {
                ticket.complete(headers.as_ref());
                self.on_transport_error(r, attempt, took_ms, &e)
            }
        }
    }

    /// No answer (connection refused or lost, timeout): retried only where that is safe.
    fn on_transport_error(
        &self,
        r: &LogicalRequest<'_>,
        attempt: u32,
        took_ms: u64,
        e: &reqwest::Error,
    ) -> Result<Tried> {
        let (method, shown) = (r.method, &r.shown);
        let not_sent = e.is_connect();
        tracing::debug!(
            %method,
            url = %shown,
            attempt,
            duration_ms = took_ms,
            client_request_id = %r.client_request_id,
            error = %describe(e),
            "ARM request failed without a response"
        );
        match self.retry.on_failure(r.repeatable, not_sent, attempt) {
            Decision::RetryAfter(wait) if self.retry.within_budget(r.first_try.elapsed(), wait) => {
                tracing::info!(
                    %method,
                    url = %shown,
                    attempt,
                    wait_ms = wait.as_millis() as u64,
                    "retrying after a transport error"
                );
                Ok(Tried::RetryAfter(wait))
            }
            _ => {
                if !r.repeatable && !not_sent {
                    tracing::info!(
                        %method,
                        url = %shown,
                        "not retrying: the request may have been acted on and is not safe to \
                         send twice"
                    );
                }
                Err(transport_error(method, r.url, e))
            }
        }
    }

    /// An answer: a success is parsed, a throttling or server error may be retried, any
    /// other status is the typed error.
    fn on_answer(
        &self,
        r: &LogicalRequest<'_>,
        attempt: u32,
        took_ms: u64,
        status: StatusCode,
        headers: HeaderMap,
        bytes: &[u8],
    ) -> Result<Tried> {
        let (method, shown) = (r.method, &r.shown);
        let rid = request_id(&headers);
        tracing::debug!(
            %method,
            url = %shown,
            status = status.as_u16(),
            duration_ms = took_ms,
            request_id = rid.as_deref().unwrap_or("-"),
            client_request_id = %r.client_request_id,
            correlation_request_id = r.correlation.as_deref().unwrap_or("-"),
            attempt,
            "ARM {method} {shown} -> {}",
            status.as_u16()
        );
        if status.is_success() {
            let body = parse_body(bytes).map_err(|msg| {
                let mut e = Error::transport(format!(
                    "{method} {}: the response body is not JSON: {msg}",
                    r.url.path()
                ))
                .with_status(status.as_u16());
                e.request_id = rid.clone();
                e
            })?;
            return Ok(Tried::Answered(ArmResponse {
                status: status.as_u16(),
                headers,
                body,
            }));
        }
        match self
            .retry
            .on_response(r.repeatable, attempt, status.as_u16(), &headers)
        {
            Decision::RetryAfter(wait) if self.retry.within_budget(r.first_try.elapsed(), wait) => {
                tracing::info!(
                    %method,
                    url = %shown,
                    status = status.as_u16(),
                    attempt,
                    wait_ms = wait.as_millis() as u64,
                    request_id = rid.as_deref().unwrap_or("-"),
                    "retrying after status {}",
                    status.as_u16()
                );
                Ok(Tried::RetryAfter(wait))
            }
            _ => {
                if RetryPolicy::is_retryable_status(status.as_u16()) && !r.repeatable {
                    tracing::info!(
                        %method,
                        url = %shown,
                        status = status.as_u16(),
                        "not retrying: the request may have been acted on and is not safe to \
                         send twice"
                    );
                }
                Err(status_error(status, &headers, bytes))
            }
        }
    }
}

/// What every try of one logical request shares: the same ids (ARM correlates the tries by
/// them), the same body, and the start of the retry budget.
struct LogicalRequest<'a> {
    method: &'a Method,
    url: &'a Url,
    body: Option<Vec<u8>>,
    client_request_id: String,
    correlation: Option<String>,
    repeatable: bool,
    /// The URL as logs show it.
    shown: String,
    first_try: Instant,
}

impl<'a> LogicalRequest<'a> {
    fn new(method: &'a Method, url: &'a Url, body: Option<&Value>) -> Result<Self> {
        let body = match body {
            Some(v) => Some(
                serde_json::to_vec(v)
                    .map_err(|e| Error::validation(format!("cannot serialise the body: {e}")))?,
            ),
            None => None,
        };
        Ok(LogicalRequest {
            method,
            url,
            body,
            client_request_id: uuid::Uuid::new_v4().to_string(),
            correlation: super::correlation_id(),
            repeatable: RetryPolicy::is_safe_to_repeat(method, url.path()),
            shown: loggable_url(url),
            first_try: Instant::now(),
        })
    }
}

/// How one try ended, when it did not end the request with an error.
enum Tried {
    Answered(ArmResponse),
    RetryAfter(Duration),
}

fn registration_state(body: &Value) -> String {
    body.get("registrationState")
        .and_then(Value::as_str)
        .unwrap_or("Unknown")
        .to_string()
}

/// The subscription and provider namespace to register after a
/// `MissingSubscriptionRegistration`: the namespace ARM names in its message ("…to use
/// namespace 'Microsoft.X'"), else the resource's provider in the URL.
fn registration_target(url: &Url, message: &str) -> Option<(String, String)> {
    let segs: Vec<String> = url
        .path_segments()?
        .map(|s| {
            percent_encoding::percent_decode_str(s)
                .decode_utf8_lossy()
                .into_owned()
        })
        .collect();
    if segs.len() < 2 || !segs[0].eq_ignore_ascii_case("subscriptions") {
        return None;
    }
    let subscription = segs[1].clone();
    let from_message = message
        .to_ascii_lowercase()
        .find("namespace '")
        .and_then(|i| {
            let rest = &message[i + "namespace '".len()..];
            rest.split_once('\'').map(|(ns, _)| ns.to_string())
        });
    let from_path = || {
        segs.iter()
            .position(|s| s.eq_ignore_ascii_case("providers"))
            .and_then(|i| segs.get(i + 1).cloned())
    };
    let namespace = from_message.or_else(from_path)?;
    let valid = !namespace.is_empty()
        && namespace
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.')
        && namespace.contains('.');
    valid.then_some((subscription, namespace))
}

/// Query parameters whose values are shown in logs; every other value (signatures, codes,
/// tokens, opaque polling parameters) is replaced.
const SHOWN_QUERY: &[&str] = &[
    "api-version",
    "$top",
    "$filter",
    "$expand",
    "$select",
    "$orderby",
    "$skip",
    "forcedeletion",
    "forcetodelete",
    "operationresultresponsetype",
];

/// The URL as logged: no user information, query values outside [`SHOWN_QUERY`] redacted.
pub(crate) fn loggable_url(url: &Url) -> String {
    let mut out = format!("{}{}", Origin::of(url), url.path());
    let mut sep = '?';
    for (k, v) in url.query_pairs() {
        out.push(sep);
        sep = '&';
        out.push_str(&k);
        out.push('=');
        if SHOWN_QUERY.iter().any(|s| s.eq_ignore_ascii_case(&k)) {
            out.push_str(&v);
        } else {
            out.push_str("REDACTED");
        }
    }
    out
}

fn parse_body(bytes: &[u8]) -> std::result::Result<Value, String> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Null);
    }
    serde_json::from_slice(bytes).map_err(|e| e.to_string())
}

fn request_id(headers: &HeaderMap) -> Option<String> {
    headers
        .get("x-ms-request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

fn transport_error(method: &Method, url: &Url, err: &reqwest::Error) -> Error {
    let what = if err.is_timeout() {
        "timed out"
    } else if err.is_connect() {
        "could not connect"
    } else {
        "failed"
    };
    Error::transport(format!(
        "{method} {}{} {what}: {}",
        Origin::of(url),
        url.path(),
        describe(err)
    ))
}

/// The error kind for an HTTP status.
pub fn kind_for_status(status: u16) -> ErrorKind {
    match status {
        401 => ErrorKind::Authentication,
        403 => ErrorKind::Authorization,
        404 => ErrorKind::NotFound,
        409 => ErrorKind::Exists,
        429 => ErrorKind::Throttled,
        _ => ErrorKind::Http,
    }
}

/// Maps a non-success response to an [`Error`]: ARM envelope `{"error":{code,message}}`
/// (or a bare `{code,message}`), else the status text.
pub(crate) fn status_error(status: StatusCode, headers: &HeaderMap, body: &[u8]) -> Error {
    let parsed: Option<Value> = serde_json::from_slice(body).ok();
    let envelope = parsed
        .as_ref()
        .map(|v| v.get("error").filter(|e| e.is_object()).unwrap_or(v));
    let field = |name: &str| {
        envelope
            .and_then(|e| e.get(name))
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    let code = field("code");
    let message = field("message").unwrap_or_else(|| {
        format!(
            "Operation returned an invalid status '{}'",
            status.canonical_reason().unwrap_or("Unknown")
        )
    });
    let mut err =
        Error::new(kind_for_status(status.as_u16()), message).with_status(status.as_u16());
    err.code = code;
    err.request_id = request_id(headers);
    err
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logged_urls_keep_only_harmless_query_values() {
        let u = Url::parse(
            "https://user:pw@example.com:8443/subscriptions/s/operationresults/x?api-version=2025-04-01&sig=abc%2Fdef&code=123&t=638&c=MIIB&s=zzz&$top=5",
        )
        .unwrap();
        let shown = loggable_url(&u);
        assert_eq!(
            shown,
            "https://example.com:8443/subscriptions/s/operationresults/x?api-version=2025-04-01\
             &sig=REDACTED&code=REDACTED&t=REDACTED&c=REDACTED&s=REDACTED&$top=5"
        );
        assert!(!shown.contains("pw") && !shown.contains("abc"));
    }

    #[test]
    fn registration_targets() {
        let u = Url::parse(
            "http://127.0.0.1:1/subscriptions/S1/resourceGroups/g/providers/Microsoft.Storage/storageAccounts/a",
        )
        .unwrap();
        assert_eq!(
            registration_target(&u, "no namespace named"),
            Some(("S1".into(), "Microsoft.Storage".into()))
        );
        assert_eq!(
            registration_target(
                &u,
                "The subscription is not registered to use namespace 'Microsoft.Network'."
            ),
            Some(("S1".into(), "Microsoft.Network".into()))
        );
        assert_eq!(
            registration_target(&u, "to use namespace 'bad/ns'"),
            None,
            "a namespace that is not one is not registered"
        );
        let tenant = Url::parse("http://127.0.0.1:1/providers/Microsoft.Storage").unwrap();
        assert_eq!(registration_target(&tenant, ""), None);
    }
}
