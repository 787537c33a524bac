//! ARM's request throttling since 2024: token buckets per subscription, principal and kind of
//! operation (reads, writes, deletes), plus one subscription-wide bucket per kind holding
//! `global_factor` times as much. Time comes from the emulator's clock, so tests refill the
//! buckets by advancing it.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

/// One bucket's size and refill rate.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Bucket {
    pub capacity: f64,
    pub refill_per_sec: f64,
}

/// Throttling settings. `ThrottleConfig::azure()` are Azure's documented values.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ThrottleConfig {
    /// `false` turns throttling off (the rate-limit headers are still sent).
    pub enabled: bool,
    pub reads: Bucket,
    pub writes: Bucket,
    pub deletes: Bucket,
    /// The subscription-wide bucket of each kind is this many times a principal's.
    pub global_factor: f64,
}

impl ThrottleConfig {
    /// Azure's buckets: reads 250 refilled 25/s, writes and deletes 200 refilled 10/s, the
    /// subscription-wide buckets 15 times as large.
    pub fn azure() -> Self {
        ThrottleConfig {
            enabled: true,
            reads: Bucket {
                capacity: 250.0,
                refill_per_sec: 25.0,
            },
            writes: Bucket {
                capacity: 200.0,
                refill_per_sec: 10.0,
            },
            deletes: Bucket {
                capacity: 200.0,
                refill_per_sec: 10.0,
            },
            global_factor: 15.0,
        }
    }
    /// No throttling.
    pub fn off() -> Self {
        ThrottleConfig {
            enabled: false,
            ..Self::azure()
        }
    }
    /// Multiplies every capacity and refill rate by `factor` (0.1 throttles ten times sooner).
    pub fn scaled(mut self, factor: f64) -> Self {
        for b in [&mut self.reads, &mut self.writes, &mut self.deletes] {
            b.capacity *= factor;
            b.refill_per_sec *= factor;
        }
        self
    }
    pub(crate) fn validate(&self) -> Result<(), String> {
        let ok = |b: &Bucket| {
            b.capacity.is_finite()
                && b.capacity >= 1.0
                && b.refill_per_sec.is_finite()
                && b.refill_per_sec > 0.0
        };
        if !(ok(&self.reads) && ok(&self.writes) && ok(&self.deletes)) {
            return Err(
                "throttling buckets need a capacity >= 1 and a refill rate > 0 (check the scale)"
                    .into(),
            );
        }
        if !(self.global_factor.is_finite() && self.global_factor >= 1.0) {
            return Err("throttling global_factor must be >= 1".into());
        }
        Ok(())
    }
    fn bucket(&self, kind: OpClass) -> Bucket {
        match kind {
            OpClass::Read => self.reads,
            OpClass::Write => self.writes,
            OpClass::Delete => self.deletes,
        }
    }
}

impl std::str::FromStr for ThrottleConfig {
    type Err = String;
    /// `on`, `off` or `scale=F` (Azure's buckets multiplied by F).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "on" => Ok(Self::azure()),
            "off" => Ok(Self::off()),
            other => {
                let factor = other
                    .strip_prefix("scale=")
                    .and_then(|f| f.parse::<f64>().ok())
                    .filter(|f| f.is_finite() && *f > 0.0)
                    .ok_or_else(|| {
                        format!(
                            "invalid throttling '{other}': use 'on', 'off' or 'scale=F' (F > 0)"
                        )
                    })?;
                let c = Self::azure().scaled(factor);
                c.validate()?;
                Ok(c)
            }
        }
    }
}

/// The kind of operation a request counts as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum OpClass {
    Read,
    Write,
    Delete,
}

impl OpClass {
    pub(crate) fn of(method: &axum::http::Method) -> Self {
        use axum::http::Method;
        match *method {
            Method::GET | Method::HEAD | Method::OPTIONS => OpClass::Read,
            Method::DELETE => OpClass::Delete,
            _ => OpClass::Write,
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Level {
    tokens: f64,
    at_ms: i64,
}

impl Level {
    fn refill(&mut self, b: Bucket, now_ms: i64) {
        let elapsed = (now_ms - self.at_ms).max(0) as f64 / 1000.0;
        self.tokens = (self.tokens + elapsed * b.refill_per_sec).min(b.capacity);
        self.at_ms = self.at_ms.max(now_ms);
    }
    /// Whole seconds until one token is there (at least 1).
    fn wait_secs(&self, b: Bucket) -> u64 {
        (((1.0 - self.tokens) / b.refill_per_sec).ceil() as u64).max(1)
    }
}

/// What a request used up.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Outcome {
    pub class: OpClass,
    /// Tokens left in the principal's bucket.
    pub remaining: u64,
    /// Tokens left in the subscription-wide bucket.
    pub global_remaining: u64,
    /// `Some(seconds)` when the request is refused.
    pub retry_after: Option<u64>,
}

#[derive(Default)]
pub(crate) struct Buckets {
    per_principal: HashMap<(String, String, OpClass), Level>,
    global: HashMap<(String, OpClass), Level>,
}

impl Buckets {
    /// The levels without taking a token.
    pub(crate) fn peek(
        &mut self,
        cfg: &ThrottleConfig,
        subscription: &str,
        principal: &str,
        class: OpClass,
        now_ms: i64,
    ) -> Outcome {
        let b = cfg.bucket(class);
        let sub = subscription.to_ascii_lowercase();
        let level = |l: Option<&Level>, b: Bucket| {
            l.map(|l| {
                let mut l = *l;
                l.refill(b, now_ms);
                l.tokens
            })
            .unwrap_or(b.capacity)
            .floor() as u64
        };
        let g = Bucket {
            capacity: b.capacity * cfg.global_factor,
            refill_per_sec: b.refill_per_sec * cfg.global_factor,
        };
        Outcome {
            class,
            remaining: level(
                self.per_principal
                    .get(&(sub.clone(), principal.to_ascii_lowercase(), class)),
                b,
            ),
            global_remaining: level(self.global.get(&(sub, class)), g),
            retry_after: None,
        }
    }

    /// Takes one token from both the principal's and the subscription's bucket, or none when
    /// either is empty (then `retry_after` says when to come back).
    pub(crate) fn take(
        &mut self,
        cfg: &ThrottleConfig,
        subscription: &str,
        principal: &str,
        class: OpClass,
        now_ms: i64,
    ) -> Outcome {
        let b = cfg.bucket(class);
        let g = Bucket {
            capacity: b.capacity * cfg.global_factor,
            refill_per_sec: b.refill_per_sec * cfg.global_factor,
        };
        let sub = subscription.to_ascii_lowercase();
        let mine = self
            .per_principal
            .entry((sub.clone(), principal.to_ascii_lowercase(), class))
            .or_insert(Level {
                tokens: b.capacity,
                at_ms: now_ms,
            });
        mine.refill(b, now_ms);
        let all = self.global.entry((sub, class)).or_insert(Level {
            tokens: g.capacity,
            at_ms: now_ms,
        });
        all.refill(g, now_ms);
        let mut retry_after = None;
        if cfg.enabled && (mine.tokens < 1.0 || all.tokens < 1.0) {
            let mut wait = 0;
            if mine.tokens < 1.0 {
                wait = wait.max(mine.wait_secs(b));
            }
            if all.tokens < 1.0 {
                wait = wait.max(all.wait_secs(g));
            }
            retry_after = Some(wait);
        } else {
            // Off: the headers still count down, but never below zero.
            mine.tokens = (mine.tokens - 1.0).max(0.0);
            all.tokens = (all.tokens - 1.0).max(0.0);
        }
        Outcome {
            class,
            remaining: mine.tokens.floor() as u64,
            global_remaining: all.tokens.floor() as u64,
            retry_after,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_empties_and_refills() {
        let cfg = ThrottleConfig::azure().scaled(0.02); // reads: 5 tokens, 0.5/s
        let mut b = Buckets::default();
        for left in (0..5).rev() {
            let o = b.take(&cfg, "s", "p", OpClass::Read, 0);
            assert_eq!(o.remaining, left);
            assert!(o.retry_after.is_none());
        }
        let o = b.take(&cfg, "s", "p", OpClass::Read, 0);
        assert_eq!(o.retry_after, Some(2));
        // Another principal has its own bucket.
        assert!(b
            .take(&cfg, "s", "q", OpClass::Read, 0)
            .retry_after
            .is_none());
        // Writes are separate too.
        assert!(b
            .take(&cfg, "s", "p", OpClass::Write, 0)
            .retry_after
            .is_none());
        let o = b.take(&cfg, "s", "p", OpClass::Read, 2000);
        assert!(o.retry_after.is_none());
        assert_eq!(o.remaining, 0);
    }

    #[test]
    fn parses() {
        assert!("on".parse::<ThrottleConfig>().unwrap().enabled);
        assert!(!"off".parse::<ThrottleConfig>().unwrap().enabled);
        let c: ThrottleConfig = "scale=0.1".parse().unwrap();
        assert_eq!(c.reads.capacity, 25.0);
        assert!("scale=0".parse::<ThrottleConfig>().is_err());
        assert!("scale=0.001".parse::<ThrottleConfig>().is_err());
        assert!("maybe".parse::<ThrottleConfig>().is_err());
    }
}
