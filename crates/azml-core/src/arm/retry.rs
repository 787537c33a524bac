//! When and how long to wait before sending a request again. Kept apart from the transport so
//! the policy can grow (per-status budgets, circuit breaking) without touching the pipeline.

use std::time::{Duration, SystemTime};

use rand::Rng;
use reqwest::header::HeaderMap;
use reqwest::Method;

/// Retry settings for one [`super::ArmClient`].
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// Total tries of one request, the first included (1 = never retry).
    pub max_attempts: u32,
    /// Base of the exponential backoff: attempt `n` (from 1) waits up to `base * 2^(n-1)`.
    pub base_delay: Duration,
    /// Cap of one backoff wait.
    pub max_delay: Duration,
    /// The longest server-requested wait (`Retry-After`) we accept; a longer one ends the
    /// retries with the error at hand. (Poll waits have their own bounds in `ArmConfig`.)
    pub max_retry_after: Duration,
    /// Total time one logical request may spend on its tries and the waits between them;
    /// a retry whose wait would go beyond it is not made. `None`: attempts alone bound it.
    pub max_elapsed: Option<Duration>,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 4,
            base_delay: Duration::from_millis(800),
            max_delay: Duration::from_secs(30),
            max_retry_after: Duration::from_secs(120),
            max_elapsed: Some(Duration::from_secs(600)),
        }
    }
}

/// What the policy says about one failed attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Give up and surface the error.
    Stop,
    /// Send again after this long.
    RetryAfter(Duration),
}

impl RetryPolicy {
    /// A policy that never retries.
    pub fn none() -> Self {
        RetryPolicy {
            max_attempts: 1,
            ..RetryPolicy::default()
        }
    }

    /// Methods whose repetition does not change the outcome. POST in general is not: an
    /// action such as `resyncKeys` or a create-by-POST could run twice (see
    /// [`RetryPolicy::is_safe_to_repeat`] for the POSTs that are).
    pub fn is_retryable_method(method: &Method) -> bool {
        matches!(
            *method,
            Method::GET | Method::HEAD | Method::PUT | Method::PATCH | Method::DELETE
        )
    }

    /// Whether a request may be sent again after a failure that leaves unknown whether the
    /// service acted on it (5xx, 408, a connection lost after sending).
    ///
    /// GET, HEAD, PUT, PATCH and DELETE are idempotent in ARM. A POST is, by ARM semantics,
    /// an action, so it is repeated only when the action reads without changing anything, or
    /// changes nothing when done twice:
    /// - `list*` actions (`listKeys`, `listSecrets`, `listNotebookKeys`,
    ///   `listStorageAccountKeys`, `listCredentials`, …): they return secrets or lists;
    /// - `checkNameAvailability`;
    /// - `/providers/{namespace}/register` and `unregister`: they set a registration state.
    ///
    /// Not safe, never repeated: `resyncKeys` (starts a long-running key resynchronisation;
    /// a second one would race the first), `diagnose` (starts a diagnosis operation each
    /// time), `regenerateKey`-style actions, creates by POST and anything unknown.
    pub fn is_safe_to_repeat(method: &Method, path: &str) -> bool {
        if Self::is_retryable_method(method) {
            return true;
        }
        if *method != Method::POST {
            return false;
        }
        let mut segs = path.trim_end_matches('/').rsplit('/');
        let last = segs.next().unwrap_or("");
        let lower = last.to_ascii_lowercase();
        if lower.starts_with("list") || lower == "checknameavailability" {
            return true;
        }
        // `/subscriptions/{id}/providers/{namespace}/register`
        if lower == "register" || lower == "unregister" {
            let _namespace = segs.next();
            return segs
                .next()
                .is_some_and(|s| s.eq_ignore_ascii_case("providers"));
        }
        false
    }

    /// Statuses worth another try: throttling, request timeout and transient server errors.
    pub fn is_retryable_status(status: u16) -> bool {
        matches!(status, 408 | 429 | 500 | 502 | 503 | 504)
    }

    /// Decision after attempt number `attempt` (from 1) came back with `status`, for a
    /// request of this method (safe to repeat when [`RetryPolicy::is_retryable_method`]).
    pub fn on_status(
        &self,
        method: &Method,
        attempt: u32,
        status: u16,
        headers: &HeaderMap,
    ) -> Decision {
        self.on_response(Self::is_retryable_method(method), attempt, status, headers)
    }

    /// Decision after attempt number `attempt` came back with `status`. `repeatable`: the
    /// request is safe to send twice ([`RetryPolicy::is_safe_to_repeat`]). A 429 is retried
    /// whatever the request: ARM refuses a throttled request before acting on it.
    pub fn on_response(
        &self,
        repeatable: bool,
        attempt: u32,
        status: u16,
        headers: &HeaderMap,
    ) -> Decision {
        if !Self::is_retryable_status(status)
            || (status != 429 && !repeatable)
            || attempt >= self.max_attempts
        {
            return Decision::Stop;
        }
        match retry_after(headers) {
            Some(wait) if wait > self.max_retry_after => Decision::Stop,
            Some(wait) => Decision::RetryAfter(wait),
            None => Decision::RetryAfter(self.backoff(attempt)),
        }
    }

    /// Decision after attempt number `attempt` failed without a response (connection refused
    /// or reset, timeout).
    pub fn on_transport_error(&self, method: &Method, attempt: u32) -> Decision {
        self.on_failure(Self::is_retryable_method(method), false, attempt)
    }

    /// Decision after attempt number `attempt` failed without a response. `not_sent`: the
    /// connection could not be made, so the service cannot have acted on the request and
    /// even an unsafe one may go again.
    pub fn on_failure(&self, repeatable: bool, not_sent: bool, attempt: u32) -> Decision {
        if !(repeatable || not_sent) || attempt >= self.max_attempts {
            return Decision::Stop;
        }
        Decision::RetryAfter(self.backoff(attempt))
    }

    /// Whether a retry after `wait` still ends within [`RetryPolicy::max_elapsed`] of the
    /// first try (`spent` since then).
    pub fn within_budget(&self, spent: Duration, wait: Duration) -> bool {
        self.max_elapsed.is_none_or(|max| spent + wait <= max)
    }

    /// Exponential backoff with full jitter: uniform in `[0, min(max, base * 2^(attempt-1))]`,
    /// so that many clients throttled together do not come back together.
    pub fn backoff(&self, attempt: u32) -> Duration {
        let exp = attempt.saturating_sub(1).min(20);
        let ceiling = self
            .base_delay
            .saturating_mul(1u32 << exp)
            .min(self.max_delay);
        let nanos = ceiling.as_nanos().min(u64::MAX as u128) as u64;
        if nanos == 0 {
            return Duration::ZERO;
        }
        Duration::from_nanos(rand::rng().random_range(0..=nanos))
    }
}

/// The wait a response asks for: `x-ms-retry-after-ms` / `retry-after-ms` (milliseconds)
/// first, being the more precise, then `Retry-After` as seconds or as an HTTP date.
pub fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    for name in ["x-ms-retry-after-ms", "retry-after-ms"] {
        if let Some(ms) = header_str(headers, name).and_then(|v| v.trim().parse::<f64>().ok()) {
            if ms.is_finite() && ms >= 0.0 {
                return Some(Duration::from_secs_f64(ms / 1000.0));
            }
        }
    }
    let value = header_str(headers, "retry-after")?.trim();
    if let Ok(secs) = value.parse::<i64>() {
        return Some(Duration::from_secs(secs.max(0) as u64));
    }
    if let Ok(secs) = value.parse::<f64>() {
        if secs.is_finite() {
            return Some(Duration::from_secs_f64(secs.max(0.0)));
        }
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(
        when.duration_since(SystemTime::now())
            .unwrap_or(Duration::ZERO),
    )
}

fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::{HeaderName, HeaderValue};

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(
                HeaderName::from_bytes(k.as_bytes()).unwrap(),
                HeaderValue::from_str(v).unwrap(),
            );
        }
        h
    }

    #[test]
    fn retry_after_forms() {
        assert_eq!(
            retry_after(&headers(&[("Retry-After", "7")])),
            Some(Duration::from_secs(7))
        );
        assert_eq!(
            retry_after(&headers(&[("Retry-After", "-3")])),
            Some(Duration::ZERO)
        );
        assert_eq!(
            retry_after(&headers(&[
                ("Retry-After", "7"),
                ("x-ms-retry-after-ms", "250")
            ])),
            Some(Duration::from_millis(250))
        );
        assert_eq!(
            retry_after(&headers(&[("retry-after-ms", "1500")])),
            Some(Duration::from_millis(1500))
        );
        let future = SystemTime::now() + Duration::from_secs(100);
        let d = retry_after(&headers(&[(
            "Retry-After",
            &httpdate::fmt_http_date(future),
        )]))
        .unwrap();
        assert!(
            d > Duration::from_secs(90) && d <= Duration::from_secs(100),
            "{d:?}"
        );
        let past = SystemTime::now() - Duration::from_secs(100);
        assert_eq!(
            retry_after(&headers(&[("Retry-After", &httpdate::fmt_http_date(past))])),
            Some(Duration::ZERO)
        );
        assert_eq!(retry_after(&headers(&[("Retry-After", "soon")])), None);
        assert_eq!(retry_after(&HeaderMap::new()), None);
    }

    #[test]
    fn decisions() {
        let p = RetryPolicy::default();
        let none = HeaderMap::new();
        assert!(matches!(
            p.on_status(&Method::GET, 1, 503, &none),
            Decision::RetryAfter(_)
        ));
        assert_eq!(p.on_status(&Method::POST, 1, 503, &none), Decision::Stop);
        // Throttled requests were not acted on: even a POST goes again.
        assert!(matches!(
            p.on_status(&Method::POST, 1, 429, &none),
            Decision::RetryAfter(_)
        ));
        assert_eq!(p.on_status(&Method::GET, 1, 404, &none), Decision::Stop);
        assert_eq!(p.on_status(&Method::GET, 1, 501, &none), Decision::Stop);
        assert_eq!(p.on_status(&Method::GET, 4, 503, &none), Decision::Stop);
        assert_eq!(
            p.on_status(&Method::PUT, 1, 429, &headers(&[("Retry-After", "3")])),
            Decision::RetryAfter(Duration::from_secs(3))
        );
        assert_eq!(
            p.on_status(&Method::PUT, 1, 429, &headers(&[("Retry-After", "3600")])),
            Decision::Stop
        );
        assert_eq!(p.on_transport_error(&Method::POST, 1), Decision::Stop);
        assert!(matches!(
            p.on_transport_error(&Method::DELETE, 1),
            Decision::RetryAfter(_)
        ));
    }

    #[test]
    fn safe_posts() {
        let safe = |p: &str| RetryPolicy::is_safe_to_repeat(&Method::POST, p);
        assert!(safe("/subscriptions/s/resourceGroups/g/providers/Microsoft.MachineLearningServices/workspaces/w/listKeys"));
        assert!(safe("/subscriptions/s/resourceGroups/g/providers/Microsoft.Storage/storageAccounts/a/listKeys/"));
        assert!(safe(
            "/subscriptions/s/providers/Microsoft.Storage/checkNameAvailability"
        ));
        assert!(safe(
            "/subscriptions/s/providers/Microsoft.Storage/register"
        ));
        assert!(!safe("/subscriptions/s/resourceGroups/g/providers/Microsoft.MachineLearningServices/workspaces/w/resyncKeys"));
        assert!(!safe("/subscriptions/s/resourceGroups/g/providers/Microsoft.MachineLearningServices/workspaces/w/diagnose"));
        assert!(!safe(
            "/subscriptions/s/resourceGroups/g/providers/X.Y/things/register"
        ));
        assert!(RetryPolicy::is_safe_to_repeat(&Method::DELETE, "/x"));
        assert!(!RetryPolicy::is_safe_to_repeat(&Method::OPTIONS, "/x"));
        let p = RetryPolicy::default();
        let none = HeaderMap::new();
        assert_eq!(p.on_response(false, 1, 503, &none), Decision::Stop);
        assert!(matches!(
            p.on_response(true, 1, 503, &none),
            Decision::RetryAfter(_)
        ));
        assert_eq!(p.on_failure(false, false, 1), Decision::Stop);
        assert!(matches!(
            p.on_failure(false, true, 1),
            Decision::RetryAfter(_)
        ));
        assert!(p.within_budget(Duration::from_secs(599), Duration::from_secs(1)));
        assert!(!p.within_budget(Duration::from_secs(599), Duration::from_secs(2)));
    }

    #[test]
    fn backoff_is_bounded() {
        let p = RetryPolicy {
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(350),
            ..RetryPolicy::default()
        };
        for attempt in 1..30 {
            let cap = Duration::from_millis(100 * (1u64 << (attempt - 1).min(10))).min(p.max_delay);
            for _ in 0..20 {
                assert!(p.backoff(attempt) <= cap);
            }
        }
    }
}
