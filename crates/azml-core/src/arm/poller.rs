//! Long-running operations (ARM-CONTRACT.md §4): `Azure-AsyncOperation`, then `Location`,
//! then `properties.provisioningState`. Polling URLs come from the service and are checked
//! against the configured endpoint before anything is sent to them.

use std::time::Duration;

use reqwest::header::HeaderMap;
use reqwest::Method;
use serde_json::Value;
use url::Url;

use serde::{Deserialize, Serialize};

use super::pipeline::{ArmResponse, Pipeline};
use super::retry::retry_after;
use crate::error::{Error, ErrorKind, Result};

/// The verb that started the operation: it decides where the final result comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Verb {
    Put,
    Patch,
    Delete,
    Post,
}

impl Verb {
    fn is_write(self) -> bool {
        matches!(self, Verb::Put | Verb::Patch)
    }

    pub(crate) fn method(self) -> Method {
        match self {
            Verb::Put => Method::PUT,
            Verb::Patch => Method::PATCH,
            Verb::Delete => Method::DELETE,
            Verb::Post => Method::POST,
        }
    }
}

/// How the service said to follow the operation (ARM-CONTRACT.md §4), with the URLs it gave,
/// as paths and queries relative to the ARM endpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "via", rename_all = "camelCase")]
pub enum Pattern {
    /// Poll `url` (`{status}`); `location` is where a POST's result is read afterwards.
    AzureAsyncOperation {
        url: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        location: Option<String>,
    },
    /// Poll `url` until it stops answering 202; its last answer is the result.
    Location { url: String },
    /// GET the resource until its `properties.provisioningState` is terminal.
    ProvisioningState,
    /// Nothing left to wait for.
    Done,
}

/// A long-running operation ARM has accepted, described by what is needed to finish it in
/// another process: no token, no secret, only URLs of the ARM endpoint.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LroState {
    pub verb: Verb,
    /// The resource (path and query with its api-version), for the final GET of a PUT/PATCH
    /// and for polling `provisioningState`.
    pub resource: String,
    #[serde(flatten)]
    pub pattern: Pattern,
    /// The final result of a POST that finished in its first response, kept (when the
    /// caller asks, see [`LroState::keeping_result`]) so that a resumed operation answers
    /// the same.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<Value>,
    /// This process's head start: the result when the operation ended in its first response,
    /// and the first wait the service asked for. Not part of the continuation token.
    #[serde(skip)]
    pub(crate) ready: Option<Value>,
    #[serde(skip)]
    pub(crate) first_wait: Option<Duration>,
}

impl LroState {
    /// An operation that finished in its first response with `body` (`Null`: no body).
    pub fn finished(verb: Verb, resource: impl Into<String>, body: Value) -> Self {
        LroState {
            verb,
            resource: resource.into(),
            pattern: Pattern::Done,
            result: None,
            ready: Some(body),
            first_wait: None,
        }
    }

    /// The same, carrying the result of a POST that finished at once into its serialised
    /// form. Only for results that hold no secret (a diagnosis, not `listKeys`).
    pub fn keeping_result(mut self) -> Self {
        if self.verb == Verb::Post && self.pattern == Pattern::Done {
            self.result = self.ready.clone().filter(|v| !v.is_null());
        }
        self
    }

    /// The final result, when this process knows it already.
    pub fn ready_value(&self) -> Option<&Value> {
        self.ready.as_ref()
    }

    /// The same operation as another process would see it after decoding its token.
    pub fn detached(&self) -> Self {
        LroState {
            ready: None,
            first_wait: None,
            ..self.clone()
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Running,
    Succeeded,
    Failed,
    Canceled,
}

fn state_of(status: &str) -> State {
    match status.to_ascii_lowercase().as_str() {
        "succeeded" => State::Succeeded,
        "failed" => State::Failed,
        "canceled" | "cancelled" => State::Canceled,
        _ => State::Running,
    }
}

fn provisioning_state(body: &Value) -> Option<&str> {
    body.get("properties")?.get("provisioningState")?.as_str()
}

/// The first wait when the service names none. Short operations (most of them against a
/// local emulator, many against Azure) then finish in a fraction of a second instead of a
/// whole `poll_interval`; the doubling keeps a long operation to a handful of extra polls.
const FIRST_POLL: Duration = Duration::from_millis(100);

/// What bounds the waits between polls (from [`super::ArmConfig`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Pacing {
    /// The wait when the service names none grows up to this.
    pub interval: Duration,
    /// No wait is shorter, whatever the service says: a `Retry-After: 0` repeated by a
    /// misbehaving service must not become a busy loop.
    pub floor: Duration,
    /// No wait is longer: a service asking for an hour is polled sooner.
    pub ceiling: Duration,
}

impl Pacing {
    pub(crate) fn of(config: &super::ArmConfig) -> Self {
        Pacing {
            interval: config.poll_interval,
            floor: config.poll_min_wait,
            ceiling: config.poll_max_wait,
        }
    }

    /// The wait before poll number `attempt` (0-based): the service's `Retry-After` when it
    /// gave one, else a delay doubling from [`FIRST_POLL`] up to the interval; always within
    /// `[floor, ceiling]` (the floor wins if they cross).
    pub(crate) fn delay(&self, headers: &HeaderMap, attempt: u32) -> Duration {
        let wanted = match retry_after(headers) {
            Some(d) => d,
            None => doubling_delay(attempt, self.interval),
        };
        wanted.min(self.ceiling).max(self.floor)
    }
}

fn doubling_delay(attempt: u32, ceiling: Duration) -> Duration {
    FIRST_POLL
        .saturating_mul(1u32 << attempt.min(16))
        .min(ceiling)
}

fn failed(state: State, body: &Value, headers: &HeaderMap, what: &str) -> Error {
    let err = body
        .get("error")
        .or_else(|| body.get("properties").and_then(|p| p.get("error")));
    let text = |k: &str| {
        err.and_then(|e| e.get(k))
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    let state_name = if state == State::Canceled {
        "Canceled"
    } else {
        "Failed"
    };
    let message = text("message")
        .unwrap_or_else(|| format!("the long-running operation on {what} ended {state_name}"));
    let mut e = Error::new(ErrorKind::OperationFailed, message);
    e.code = text("code");
    e.request_id = headers
        .get("x-ms-request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    e
}

/// A URL of the endpoint as the path and query kept in a state.
pub(crate) fn relative(url: &Url) -> String {
    match url.query() {
        Some(q) => format!("{}?{q}", url.path()),
        None => url.path().to_string(),
    }
}

/// Reads the first response of the operation started with `verb` on `resource`: what to
/// poll, or the result when there is nothing to wait for. Polling URLs on another host than
/// the endpoint's are refused here, before anything is sent to them.
pub(crate) fn classify(
    p: &Pipeline,
    verb: Verb,
    resource: &Url,
    initial: ArmResponse,
) -> Result<LroState> {
    let what = resource.path().to_string();
    let resource_rel = relative(resource);
    let pending = |pattern: Pattern| LroState {
        verb,
        resource: resource_rel.clone(),
        pattern,
        result: None,
        ready: None,
        first_wait: Some(Pacing::of(&p.config).delay(&initial.headers, 0)),
    };
    if initial.status == 204 {
        return Ok(LroState::finished(verb, resource_rel, Value::Null));
    }
    if let Some(raw) = initial.header("azure-asyncoperation") {
        let op_url = p.service_url("Azure-AsyncOperation", raw)?;
        // Checked up front so that a bad Location fails before any polling.
        let location = match initial.header("location") {
            Some(l) if verb == Verb::Post => Some(relative(&p.service_url("Location", l)?)),
            _ => None,
        };
        return Ok(pending(Pattern::AzureAsyncOperation {
            url: relative(&op_url),
            location,
        }));
    }
    if initial.status == 202 {
        if let Some(raw) = initial.header("location") {
            let url = p.service_url("Location", raw)?;
            return Ok(pending(Pattern::Location {
                url: relative(&url),
            }));
        }
    }
    match provisioning_state(&initial.body).map(state_of) {
        Some(State::Running) if verb.is_write() || verb == Verb::Delete => {
            Ok(pending(Pattern::ProvisioningState))
        }
        Some(s @ (State::Failed | State::Canceled)) if verb != Verb::Delete => {
            Err(failed(s, &initial.body, &initial.headers, &what))
        }
        _ if initial.status == 202 && verb.is_write() && initial.body.is_null() => {
            // Accepted without any way to follow it: the resource itself is the answer.
            let mut s = pending(Pattern::Done);
            s.first_wait = None;
            Ok(s)
        }
        _ => Ok(LroState::finished(verb, resource_rel, initial.body)),
    }
}

/// Follows `state` to its end and returns the final body (`Null` when there is none).
pub(crate) async fn poll(p: &Pipeline, state: &LroState) -> Result<Value> {
    if let Some(v) = &state.ready {
        return Ok(v.clone());
    }
    let resource = p.service_url("resource", &state.resource)?;
    let what = resource.path().to_string();
    let pacing = Pacing::of(&p.config);
    // A resumed operation has no first response to take a wait from: poll at once.
    let first = state.first_wait.unwrap_or(Duration::ZERO);
    let verb = state.verb;
    match &state.pattern {
        Pattern::Done => match verb {
            Verb::Put | Verb::Patch => Ok(p.send(Method::GET, resource, None).await?.body),
            Verb::Delete => Ok(Value::Null),
            Verb::Post => Ok(state.result.clone().unwrap_or(Value::Null)),
        },
        Pattern::AzureAsyncOperation { url, location } => {
            let op_url = p.service_url("Azure-AsyncOperation", url)?;
            let location = match location {
                Some(l) => Some(p.service_url("Location", l)?),
                None => None,
            };
            let mut delay = first;
            let mut attempt = 0;
            loop {
                tokio::time::sleep(delay).await;
                attempt += 1;
                let r = p.send(Method::GET, op_url.clone(), None).await?;
                let status = r.body.get("status").and_then(Value::as_str);
                // Some services answer 202 with no body while the operation runs.
                let status = match status {
                    None if r.status == 202 => Some("InProgress"),
                    s => s,
                };
                let status = status.ok_or_else(|| {
                    Error::transport(format!(
                        "the operation status for {what} has no 'status' field"
                    ))
                    .with_status(r.status)
                })?;
                match state_of(status) {
                    State::Running => delay = pacing.delay(&r.headers, attempt),
                    State::Succeeded => break,
                    s => return Err(failed(s, &r.body, &r.headers, &what)),
                }
            }
            match verb {
                Verb::Put | Verb::Patch => Ok(p.send(Method::GET, resource, None).await?.body),
                Verb::Delete => Ok(Value::Null),
                Verb::Post => match location {
                    Some(url) => poll_location(p, &pacing, url, Duration::ZERO).await,
                    None => Ok(Value::Null),
                },
            }
        }
        Pattern::Location { url } => {
            let url = p.service_url("Location", url)?;
            let body = poll_location(p, &pacing, url, first).await?;
            match verb {
                Verb::Put | Verb::Patch if body.is_null() => {
                    Ok(p.send(Method::GET, resource, None).await?.body)
                }
                Verb::Delete => Ok(Value::Null),
                _ => Ok(body),
            }
        }
        Pattern::ProvisioningState => {
            poll_resource(p, &pacing, verb, &resource, first, &what).await
        }
    }
}

/// GET `url` until it stops answering 202; returns the final body.
async fn poll_location(
    p: &Pipeline,
    pacing: &Pacing,
    url: Url,
    first_delay: Duration,
) -> Result<Value> {
    let mut delay = first_delay;
    let mut attempt = 0;
    loop {
        tokio::time::sleep(delay).await;
        attempt += 1;
        let r = p.send(Method::GET, url.clone(), None).await?;
        if r.status != 202 {
            return Ok(r.body);
        }
        delay = pacing.delay(&r.headers, attempt);
    }
}

/// GET the resource until its `provisioningState` is terminal (for a delete: until 404).
async fn poll_resource(
    p: &Pipeline,
    pacing: &Pacing,
    verb: Verb,
    resource: &Url,
    first_delay: Duration,
    what: &str,
) -> Result<Value> {
    let mut delay = first_delay;
    let mut attempt = 0;
    loop {
        tokio::time::sleep(delay).await;
        attempt += 1;
        let r = match p.send(Method::GET, resource.clone(), None).await {
            Ok(r) => r,
            Err(e) if verb == Verb::Delete && e.kind == ErrorKind::NotFound => {
                return Ok(Value::Null)
            }
            Err(e) => return Err(e),
        };
        match provisioning_state(&r.body).map(state_of) {
            Some(State::Running) => delay = pacing.delay(&r.headers, attempt),
            Some(s @ (State::Failed | State::Canceled)) => {
                return Err(failed(s, &r.body, &r.headers, what))
            }
            _ if verb == Verb::Delete => return Ok(Value::Null),
            _ => return Ok(r.body),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn polls_without_retry_after_start_fast_and_double_up_to_the_interval() {
        let ceiling = Duration::from_secs(5);
        let waits: Vec<u128> = (0..8)
            .map(|n| doubling_delay(n, ceiling).as_millis())
            .collect();
        assert_eq!(waits, [100, 200, 400, 800, 1600, 3200, 5000, 5000]);
        assert_eq!(doubling_delay(u32::MAX, ceiling), ceiling);
        assert_eq!(
            doubling_delay(0, Duration::from_millis(20)),
            Duration::from_millis(20)
        );
    }

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, v.parse().unwrap());
        }
        h
    }

    fn pacing(floor_ms: u64, ceiling_ms: u64) -> Pacing {
        Pacing {
            interval: Duration::from_secs(5),
            floor: Duration::from_millis(floor_ms),
            ceiling: Duration::from_millis(ceiling_ms),
        }
    }

    #[test]
    fn retry_after_is_honoured_within_the_floor_and_the_ceiling() {
        let p = pacing(250, 60_000);
        let ms = |h: &[(&'static str, &str)], attempt| p.delay(&headers(h), attempt).as_millis();
        // As asked, in seconds, in milliseconds (preferred), whatever the attempt.
        assert_eq!(ms(&[("retry-after", "7")], 0), 7_000);
        assert_eq!(ms(&[("retry-after", "7")], 9), 7_000);
        assert_eq!(
            ms(&[("retry-after", "7"), ("retry-after-ms", "1500")], 0),
            1_500
        );
        // Raised to the floor: a `Retry-After: 0` does not make a busy loop.
        assert_eq!(ms(&[("retry-after", "0")], 0), 250);
        assert_eq!(ms(&[("x-ms-retry-after-ms", "10")], 3), 250);
        // Lowered to the ceiling: an hour asked is a minute waited.
        assert_eq!(ms(&[("retry-after", "3600")], 0), 60_000);
        // Nothing asked: the doubling, also within the bounds.
        assert_eq!(ms(&[], 0), 250);
        assert_eq!(ms(&[], 2), 400);
        assert_eq!(ms(&[], 10), 5_000);
        assert_eq!(pacing(0, 1_000).delay(&headers(&[]), 10).as_millis(), 1_000);
        // Crossed bounds: the floor wins (never poll faster than configured).
        assert_eq!(
            pacing(2_000, 1_000)
                .delay(&headers(&[("retry-after", "1")]), 0)
                .as_millis(),
            2_000
        );
    }

    #[test]
    fn the_state_of_an_operation_round_trips_without_its_local_head_start() {
        let s = LroState {
            verb: Verb::Post,
            resource: "/subscriptions/s/x/diagnose?api-version=1".into(),
            pattern: Pattern::AzureAsyncOperation {
                url: "/op/1?api-version=1&type=async".into(),
                location: Some("/op/1?type=location".into()),
            },
            result: None,
            ready: Some(Value::Null),
            first_wait: Some(Duration::from_secs(1)),
        };
        let json = serde_json::to_value(&s).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "verb": "POST",
                "resource": "/subscriptions/s/x/diagnose?api-version=1",
                "via": "azureAsyncOperation",
                "url": "/op/1?api-version=1&type=async",
                "location": "/op/1?type=location",
            })
        );
        let back: LroState = serde_json::from_value(json).unwrap();
        assert_eq!(back, s.detached());
        for pattern in [
            Pattern::Location { url: "/l".into() },
            Pattern::ProvisioningState,
            Pattern::Done,
        ] {
            let s = LroState {
                pattern,
                ..s.detached()
            };
            let back: LroState = serde_json::from_str(&serde_json::to_string(&s).unwrap()).unwrap();
            assert_eq!(back, s);
        }
    }

    #[test]
    fn a_post_result_travels_only_when_the_caller_says_it_holds_no_secret() {
        let keys = LroState::finished(Verb::Post, "/x/listKeys", serde_json::json!({"k": "s"}));
        assert_eq!(keys.ready_value(), Some(&serde_json::json!({"k": "s"})));
        assert!(!serde_json::to_string(&keys).unwrap().contains("\"s\""));
        let kept = keys.clone().keeping_result().detached();
        assert_eq!(kept.result, Some(serde_json::json!({"k": "s"})));
        // Nothing to keep from an operation still running.
        let running = LroState {
            pattern: Pattern::Location { url: "/l".into() },
            ..keys.detached()
        };
        assert_eq!(running.keeping_result().result, None);
    }
}
