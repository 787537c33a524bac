//! Pacing instead of throttling: a client-side model of ARM's token buckets.
//!
//! ARM meters each principal per subscription and kind of operation (reads, writes,
//! deletes) with token buckets and answers 429 once one is empty. A client that knows the
//! buckets can spread a large fan-out at their refill rate instead of running into a
//! throttling storm and backing off: the fastest a well-behaved client can go.
//!
//! The model: one bucket per (subscription, kind) shared by every request of one
//! [`super::ArmClient`]. A request *reserves* a token; the level may go negative, and a
//! reservation made at level `-k` waits `k / refill` seconds, so concurrent waiters line up
//! at the refill rate instead of waking together. Every response's
//! `x-ms-ratelimit-remaining-subscription-{reads,writes,deletes}` (and `-global-`) header
//! corrects the model: the service had `remaining` tokens when it answered, minus the other
//! requests we have in flight that it may not have counted yet. Until a bucket has seen one
//! such header, only one request of its kind is in flight, so that a bucket another process
//! emptied is learnt before a fan-out runs into it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::Instant;

use reqwest::header::HeaderMap;
use reqwest::Method;
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore};
use url::Url;

/// Added to every wait for a token: the service reads its clock at millisecond resolution
/// (and its clock is not ours), so a request sent the instant our model has the token can
/// find the service a fraction of a token short.
const SLACK: Duration = Duration::from_millis(3);

/// One bucket's size and refill rate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateBucket {
    pub capacity: f64,
    pub refill_per_sec: f64,
}

/// Client-side pacing of one [`super::ArmClient`] (on by default, with ARM's buckets).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PacingConfig {
    /// `false`: requests go out as soon as they are made (tests that want raw behaviour).
    pub enabled: bool,
    pub reads: RateBucket,
    pub writes: RateBucket,
    pub deletes: RateBucket,
}

impl PacingConfig {
    /// ARM's documented buckets: reads 250 refilled 25/s, writes and deletes 200 refilled
    /// 10/s (per principal and subscription).
    pub fn azure() -> Self {
        PacingConfig {
            enabled: true,
            reads: RateBucket {
                capacity: 250.0,
                refill_per_sec: 25.0,
            },
            writes: RateBucket {
                capacity: 200.0,
                refill_per_sec: 10.0,
            },
            deletes: RateBucket {
                capacity: 200.0,
                refill_per_sec: 10.0,
            },
        }
    }

    /// No pacing.
    pub fn off() -> Self {
        PacingConfig {
            enabled: false,
            ..Self::azure()
        }
    }

    /// The same buckets for every kind (tests against a small emulator bucket).
    pub fn uniform(capacity: f64, refill_per_sec: f64) -> Self {
        let b = RateBucket {
            capacity,
            refill_per_sec,
        };
        PacingConfig {
            enabled: true,
            reads: b,
            writes: b,
            deletes: b,
        }
    }

    pub(crate) fn validate(&self) -> Result<(), String> {
        let ok = |b: &RateBucket| {
            b.capacity.is_finite()
                && b.capacity >= 1.0
                && b.refill_per_sec.is_finite()
                && b.refill_per_sec > 0.0
        };
        if self.enabled && !(ok(&self.reads) && ok(&self.writes) && ok(&self.deletes)) {
            return Err(
                "pacing buckets need a capacity >= 1 and a refill rate > 0 per second".into(),
            );
        }
        Ok(())
    }

    fn bucket(&self, kind: Kind) -> RateBucket {
        match kind {
            Kind::Read => self.reads,
            Kind::Write => self.writes,
            Kind::Delete => self.deletes,
        }
    }
}

impl Default for PacingConfig {
    fn default() -> Self {
        Self::azure()
    }
}

/// The bucket a request draws from, as ARM counts it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Kind {
    Read,
    Write,
    Delete,
}

impl Kind {
    pub(crate) fn of(method: &Method) -> Kind {
        match *method {
            Method::GET | Method::HEAD | Method::OPTIONS => Kind::Read,
            Method::DELETE => Kind::Delete,
            _ => Kind::Write,
        }
    }
    pub(crate) fn name(self) -> &'static str {
        match self {
            Kind::Read => "reads",
            Kind::Write => "writes",
            Kind::Delete => "deletes",
        }
    }
}

/// (subscription id in lower case, or "" for tenant-level requests; kind).
type Key = (String, Kind);

/// The model's own capacity and how many requests may be on the wire at once.
///
/// We count a token as taken when we send; the service counts it when it processes the
/// request, later. While requests are on their way, a full service bucket drops refill that
/// our model (short of those tokens) keeps, and after a burst the service would then have
/// fewer tokens than modelled. Keeping at most `slots` requests on the wire and the model
/// `slots` tokens below the service's capacity makes the model never exceed the service:
/// the model fills up only to where the service still has room for everything on the wire.
fn limits(b: RateBucket) -> (f64, usize) {
    let slots = ((b.capacity / 5.0).floor() as usize).max(1);
    ((b.capacity - slots as f64).max(0.0), slots)
}

struct Model {
    /// Tokens left after every reservation made so far; negative while requests wait.
    tokens: f64,
    /// The model's capacity ([`limits`]).
    capacity: f64,
    /// Requests on the wire (sent, not answered), at most [`limits`]'s `slots`.
    wire: Arc<Semaphore>,
    at: Instant,
    /// Reserved and not yet answered (waiting or on the wire).
    in_flight: u32,
    /// A response told us the service's level at least once.
    calibrated: bool,
}

impl Model {
    fn refill(&mut self, b: RateBucket, now: Instant) {
        let dt = now.saturating_duration_since(self.at).as_secs_f64();
        self.tokens = (self.tokens + dt * b.refill_per_sec).min(self.capacity);
        self.at = self.at.max(now);
    }
}

pub(crate) struct Pacer {
    cfg: PacingConfig,
    buckets: Mutex<HashMap<Key, Model>>,
    /// Woken whenever a request of an uncalibrated bucket completes.
    calibrated: Notify,
}

/// A reserved token; hand the response headers back through [`Pacer::complete`].
pub(crate) struct Ticket<'a> {
    pacer: &'a Pacer,
    key: Option<Key>,
    /// The request's place on the wire, released with the ticket.
    _wire: Option<OwnedSemaphorePermit>,
    /// How long pacing held the request back.
    pub(crate) waited: Duration,
}

impl Drop for Ticket<'_> {
    fn drop(&mut self) {
        if let Some(key) = self.key.take() {
            self.pacer.finish(&key, None);
        }
    }
}

impl Ticket<'_> {
    /// The request got an answer with these headers (or none: a transport error).
    pub(crate) fn complete(mut self, headers: Option<&HeaderMap>) {
        if let Some(key) = self.key.take() {
            self.pacer.finish(&key, headers);
        }
    }
}

/// The subscription a request URL is metered under ("" for tenant-level ones).
fn subscription_of(url: &Url) -> String {
    let mut segs = url.path_segments().into_iter().flatten();
    match (segs.next(), segs.next()) {
        (Some(s), Some(id)) if s.eq_ignore_ascii_case("subscriptions") => id.to_ascii_lowercase(),
        _ => String::new(),
    }
}

/// The service's level for `kind`: the smaller of the principal's and the subscription-wide
/// bucket, when the response says.
fn remaining(headers: &HeaderMap, kind: Kind) -> Option<f64> {
    let read = |name: String| {
        headers
            .get(name.as_str())
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<f64>().ok())
            .filter(|v| v.is_finite() && *v >= 0.0)
    };
    let mine = read(format!(
        "x-ms-ratelimit-remaining-subscription-{}",
        kind.name()
    ));
    let global = read(format!(
        "x-ms-ratelimit-remaining-subscription-global-{}",
        kind.name()
    ));
    match (mine, global) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

impl Pacer {
    pub(crate) fn new(cfg: PacingConfig) -> Self {
        Pacer {
            cfg,
            buckets: Mutex::new(HashMap::new()),
            calibrated: Notify::new(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Key, Model>> {
        self.buckets.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Reserves a token for a request to `url` and waits until it is there.
    pub(crate) async fn acquire(&self, method: &Method, url: &Url) -> Ticket<'_> {
        if !self.cfg.enabled {
            return Ticket {
                pacer: self,
                key: None,
                _wire: None,
                waited: Duration::ZERO,
            };
        }
        let kind = Kind::of(method);
        let key = (subscription_of(url), kind);
        let b = self.cfg.bucket(kind);
        let started = Instant::now();
        let (wait, wire) = loop {
            // Registered before looking, so that a completion in between is not missed.
            let notified = self.calibrated.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            {
                let mut buckets = self.lock();
                let now = Instant::now();
                let m = buckets.entry(key.clone()).or_insert_with(|| {
                    let (capacity, slots) = limits(b);
                    Model {
                        tokens: capacity,
                        capacity,
                        wire: Arc::new(Semaphore::new(slots)),
                        at: now,
                        in_flight: 0,
                        calibrated: false,
                    }
                });
                if m.calibrated || m.in_flight == 0 {
                    m.refill(b, now);
                    m.tokens -= 1.0;
                    m.in_flight += 1;
                    let wait = if m.tokens >= 0.0 {
                        Duration::ZERO
                    } else {
                        Duration::from_secs_f64(-m.tokens / b.refill_per_sec) + SLACK
                    };
                    break (wait, m.wire.clone());
                }
            }
            notified.await;
        };
        let mut ticket = Ticket {
            pacer: self,
            key: Some(key.clone()),
            _wire: None,
            waited: Duration::ZERO,
        };
        if !wait.is_zero() {
            tracing::debug!(
                subscription = %key.0,
                kind = kind.name(),
                wait_ms = wait.as_millis() as u64,
                "pacing: holding the request back until the {} bucket has a token",
                kind.name()
            );
            tokio::time::sleep(wait).await;
        }
        // Never closed, so this cannot fail; FIFO, so requests keep their order.
        ticket._wire = wire.acquire_owned().await.ok();
        ticket.waited = started.elapsed();
        ticket
    }

    fn finish(&self, key: &Key, headers: Option<&HeaderMap>) {
        let b = self.cfg.bucket(key.1);
        let mut buckets = self.lock();
        let Some(m) = buckets.get_mut(key) else {
            return;
        };
        m.in_flight = m.in_flight.saturating_sub(1);
        let was_calibrated = m.calibrated;
        match headers.and_then(|h| remaining(h, key.1)) {
            Some(left) => {
                let now = Instant::now();
                m.refill(b, now);
                // The service had `left` when it answered; the requests still in flight
                // may not be counted in it yet.
                let projected = (left - f64::from(m.in_flight)).min(m.capacity);
                if projected < m.tokens || m.in_flight == 0 {
                    if projected < m.tokens - 1.0 {
                        tracing::debug!(
                            subscription = %key.0,
                            kind = key.1.name(),
                            model = m.tokens,
                            service = left,
                            "pacing: the service reports fewer tokens than modelled; slowing down"
                        );
                    }
                    m.tokens = projected;
                    m.at = now;
                }
                m.calibrated = true;
            }
            // An answer without the headers (another service, or no answer at all): there is
            // nothing to learn, so the model alone paces this bucket.
            None if headers.is_some() => m.calibrated = true,
            None => {}
        }
        drop(buckets);
        if !was_calibrated {
            self.calibrated.notify_waiters();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn url(p: &str) -> Url {
        Url::parse(&format!("http://127.0.0.1:1{p}")).unwrap()
    }

    #[test]
    fn keys() {
        assert_eq!(
            subscription_of(&url("/subscriptions/ABC/resourcegroups")),
            "abc"
        );
        assert_eq!(subscription_of(&url("/providers/x")), "");
        assert_eq!(Kind::of(&Method::HEAD), Kind::Read);
        assert_eq!(Kind::of(&Method::PATCH), Kind::Write);
        assert_eq!(Kind::of(&Method::POST), Kind::Write);
        assert_eq!(Kind::of(&Method::DELETE), Kind::Delete);
    }

    #[test]
    fn remaining_takes_the_smaller_bucket() {
        let mut h = HeaderMap::new();
        h.insert(
            "x-ms-ratelimit-remaining-subscription-reads",
            HeaderValue::from_static("40"),
        );
        assert_eq!(remaining(&h, Kind::Read), Some(40.0));
        assert_eq!(remaining(&h, Kind::Write), None);
        h.insert(
            "x-ms-ratelimit-remaining-subscription-global-reads",
            HeaderValue::from_static("12"),
        );
        assert_eq!(remaining(&h, Kind::Read), Some(12.0));
    }

    #[tokio::test(start_paused = true)]
    async fn reservations_line_up_at_the_refill_rate() {
        // 6 tokens: one request on the wire at a time, and the model holds 5.
        let p = Pacer::new(PacingConfig::uniform(6.0, 10.0));
        let u = url("/subscriptions/s/x");
        let mut waits = Vec::new();
        for _ in 0..8 {
            let t = p.acquire(&Method::GET, &u).await;
            waits.push(t.waited.as_millis());
            // Answered without headers: the model alone paces.
            t.complete(Some(&HeaderMap::new()));
        }
        // Five at once, then one per 100 ms (plus the slack; paused time: sleeps complete
        // exactly).
        assert_eq!(waits, [0, 0, 0, 0, 0, 103, 100, 100]);
    }

    #[tokio::test(start_paused = true)]
    async fn a_header_lowers_the_model() {
        let p = Pacer::new(PacingConfig::uniform(100.0, 10.0));
        let u = url("/subscriptions/s/x");
        let t = p.acquire(&Method::PUT, &u).await;
        assert_eq!(t.waited, Duration::ZERO);
        let mut h = HeaderMap::new();
        h.insert(
            "x-ms-ratelimit-remaining-subscription-writes",
            HeaderValue::from_static("0"),
        );
        t.complete(Some(&h));
        // The service says the bucket is empty: the next write waits for one token.
        let t = p.acquire(&Method::PUT, &u).await;
        assert_eq!(t.waited.as_millis(), 103);
        // Reads are another bucket.
        assert_eq!(p.acquire(&Method::GET, &u).await.waited, Duration::ZERO);
    }

    #[tokio::test(start_paused = true)]
    async fn an_uncalibrated_bucket_lets_one_request_out_first() {
        let p = std::sync::Arc::new(Pacer::new(PacingConfig::uniform(100.0, 10.0)));
        let u = url("/subscriptions/s/x");
        let first = p.acquire(&Method::GET, &u).await;
        let p2 = p.clone();
        let u2 = u.clone();
        let second = tokio::spawn(async move { p2.acquire(&Method::GET, &u2).await.waited });
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert!(!second.is_finished());
        let mut h = HeaderMap::new();
        h.insert(
            "x-ms-ratelimit-remaining-subscription-reads",
            HeaderValue::from_static("50"),
        );
        first.complete(Some(&h));
        assert_eq!(second.await.unwrap(), Duration::from_millis(500));
    }

    #[tokio::test(start_paused = true)]
    async fn few_requests_are_on_the_wire_at_once() {
        // 10 tokens: two on the wire, eight in the model.
        let p = std::sync::Arc::new(Pacer::new(PacingConfig::uniform(10.0, 1000.0)));
        let u = url("/subscriptions/s/x");
        let first = p.acquire(&Method::GET, &u).await;
        let mut h = HeaderMap::new();
        h.insert(
            "x-ms-ratelimit-remaining-subscription-reads",
            HeaderValue::from_static("9"),
        );
        first.complete(Some(&h));
        let a = p.acquire(&Method::GET, &u).await;
        let _b = p.acquire(&Method::GET, &u).await;
        let (p2, u2) = (p.clone(), u.clone());
        let third = tokio::spawn(async move { p2.acquire(&Method::GET, &u2).await.waited });
        tokio::time::sleep(Duration::from_millis(250)).await;
        assert!(!third.is_finished(), "a third request went on the wire");
        a.complete(Some(&h));
        assert_eq!(third.await.unwrap(), Duration::from_millis(250));
    }

    #[test]
    fn validates() {
        assert!(PacingConfig::azure().validate().is_ok());
        assert!(PacingConfig::uniform(0.5, 1.0).validate().is_err());
        assert!(PacingConfig::uniform(5.0, 0.0).validate().is_err());
        let mut off = PacingConfig::off();
        off.reads.capacity = 0.0;
        assert!(off.validate().is_ok());
    }
}
