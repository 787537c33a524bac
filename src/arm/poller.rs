//! Long-running operations (ARM-CONTRACT.md §4): `Azure-AsyncOperation`, then `Location`,
//! then `properties.provisioningState`. Polling URLs come from the service and are checked
//! against the configured endpoint before anything is sent to them.

use std::time::Duration;

use reqwest::header::HeaderMap;
use reqwest::Method;
use serde_json::Value;
use url::Url;

use super::pipeline::{ArmResponse, Pipeline};
use super::retry::retry_after;
use crate::error::{Error, ErrorKind, Result};

/// The verb that started the operation: it decides where the final result comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verb {
    Put,
    Patch,
    Delete,
    Post,
}

impl Verb {
    fn is_write(self) -> bool {
        matches!(self, Verb::Put | Verb::Patch)
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

/// The wait before poll number `attempt` (0-based): the service's `Retry-After` within
/// `[0, ceiling]` when it gave one, else a delay doubling from [`FIRST_POLL`] up to the
/// configured interval.
fn poll_delay(p: &Pipeline, headers: &HeaderMap, attempt: u32) -> Duration {
    match retry_after(headers) {
        Some(d) => d.min(p.retry.max_retry_after),
        None => doubling_delay(attempt, p.config.poll_interval),
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

/// Waits for the operation `initial` started on `resource` and returns its final body
/// (`Null` when there is none).
pub(crate) async fn wait(
    p: &Pipeline,
    verb: Verb,
    resource: &Url,
    initial: ArmResponse,
) -> Result<Value> {
    let what = resource.path().to_string();
    if initial.status == 204 {
        return Ok(Value::Null);
    }
    if let Some(raw) = initial.header("azure-asyncoperation") {
        let op_url = p.service_url("Azure-AsyncOperation", raw)?;
        // Checked up front so that a bad Location fails before any polling.
        let location = match initial.header("location") {
            Some(l) if verb == Verb::Post => Some(p.service_url("Location", l)?),
            _ => None,
        };
        let mut delay = poll_delay(p, &initial.headers, 0);
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
                State::Running => delay = poll_delay(p, &r.headers, attempt),
                State::Succeeded => break,
                s => return Err(failed(s, &r.body, &r.headers, &what)),
            }
        }
        return match verb {
            Verb::Put | Verb::Patch => Ok(p.send(Method::GET, resource.clone(), None).await?.body),
            Verb::Delete => Ok(Value::Null),
            Verb::Post => match location {
                Some(url) => poll_location(p, url, Duration::ZERO).await,
                None => Ok(Value::Null),
            },
        };
    }
    if initial.status == 202 {
        if let Some(raw) = initial.header("location") {
            let url = p.service_url("Location", raw)?;
            let body = poll_location(p, url, poll_delay(p, &initial.headers, 0)).await?;
            return match verb {
                Verb::Put | Verb::Patch if body.is_null() => {
                    Ok(p.send(Method::GET, resource.clone(), None).await?.body)
                }
                Verb::Delete => Ok(Value::Null),
                _ => Ok(body),
            };
        }
    }
    match provisioning_state(&initial.body).map(state_of) {
        Some(State::Running) if verb.is_write() || verb == Verb::Delete => {
            poll_resource(p, verb, resource, &initial.headers, &what).await
        }
        Some(s @ (State::Failed | State::Canceled)) if verb != Verb::Delete => {
            Err(failed(s, &initial.body, &initial.headers, &what))
        }
        _ if initial.status == 202 && verb.is_write() && initial.body.is_null() => {
            // Accepted without any way to follow it: the resource itself is the answer.
            Ok(p.send(Method::GET, resource.clone(), None).await?.body)
        }
        _ => Ok(initial.body),
    }
}

/// GET `url` until it stops answering 202; returns the final body.
async fn poll_location(p: &Pipeline, url: Url, first_delay: Duration) -> Result<Value> {
    let mut delay = first_delay;
    let mut attempt = 0;
    loop {
        tokio::time::sleep(delay).await;
        attempt += 1;
        let r = p.send(Method::GET, url.clone(), None).await?;
        if r.status != 202 {
            return Ok(r.body);
        }
        delay = poll_delay(p, &r.headers, attempt);
    }
}

/// GET the resource until its `provisioningState` is terminal (for a delete: until 404).
async fn poll_resource(
    p: &Pipeline,
    verb: Verb,
    resource: &Url,
    initial_headers: &HeaderMap,
    what: &str,
) -> Result<Value> {
    let mut delay = poll_delay(p, initial_headers, 0);
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
            Some(State::Running) => delay = poll_delay(p, &r.headers, attempt),
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
}
