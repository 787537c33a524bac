//! Injected faults: rules that match requests by method and path and, when they trigger,
//! answer with an error status, drop the connection, slow the response down, or make the
//! long-running operation the request starts end `Failed`.

use std::cell::RefCell;
use std::sync::Mutex;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};

/// What a triggered rule does.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum FaultAction {
    /// Answer with this status and ARM's error envelope; the request is not executed.
    Status {
        status: u16,
        /// Seconds, sent as `Retry-After`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        retry_after: Option<u64>,
        /// Error code of the envelope (a usual one for the status when absent).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        code: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        message: Option<String>,
    },
    /// Drop the connection without answering; the request is not executed.
    Reset,
    /// Wait this long (real time), then handle the request normally.
    Delay { delay_ms: u64 },
    /// Handle the request normally, then point the `Location` and `Azure-AsyncOperation`
    /// headers of the answer (those it has) at `url`: a client must refuse to follow them
    /// to another host.
    RewriteLro { url: String },
    /// Handle the request normally, but the long-running operation it starts ends `Failed`
    /// with this error.
    FailOperation {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        code: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        message: Option<String>,
    },
}

/// A fault rule. Without `every_nth` and `rate`, every matching request triggers it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultRule {
    /// HTTP method to match (any when absent), without case.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    /// Regular expression searched in the request path (without the query), without case.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// Prefix of the request path, without case.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path_prefix: Option<String>,
    /// Trigger on the n-th, 2n-th, … matching request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub every_nth: Option<u64>,
    /// Trigger on this fraction (0..=1) of matching requests, drawn from `seed`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
    /// Trigger at most this many times.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<u64>,
    pub action: FaultAction,
}

impl FaultRule {
    /// A rule answering `status` to every request whose path starts with `path_prefix`.
    pub fn status(path_prefix: &str, status: u16) -> Self {
        FaultRule {
            method: None,
            path: None,
            path_prefix: Some(path_prefix.to_string()),
            every_nth: None,
            rate: None,
            seed: None,
            count: None,
            action: FaultAction::Status {
                status,
                retry_after: None,
                code: None,
                message: None,
            },
        }
    }

    fn compile(&self) -> Result<Option<regex::Regex>, String> {
        if let Some(m) = &self.method {
            if m.is_empty() || !m.chars().all(|c| c.is_ascii_alphabetic()) {
                return Err(format!("invalid method '{m}'"));
            }
        }
        if self.every_nth == Some(0) {
            return Err("every_nth must be at least 1".into());
        }
        if let Some(r) = self.rate {
            if !(0.0..=1.0).contains(&r) {
                return Err(format!("rate {r} is not between 0 and 1"));
            }
        }
        if self.every_nth.is_some() && self.rate.is_some() {
            return Err("give every_nth or rate, not both".into());
        }
        match &self.action {
            FaultAction::Status { status, .. } if !(400..=599).contains(status) => {
                return Err(format!("status {status} is not an error status (400-599)"));
            }
            FaultAction::RewriteLro { url } if url::Url::parse(url).is_err() => {
                return Err(format!("rewrite_lro url '{url}' is not an absolute URL"));
            }
            _ => {}
        }
        match &self.path {
            Some(p) => regex::RegexBuilder::new(p)
                .case_insensitive(true)
                .size_limit(1 << 20)
                .build()
                .map(Some)
                .map_err(|e| format!("invalid path regex: {e}")),
            None => Ok(None),
        }
    }

    /// Parses the binary's `--fault` value: a JSON rule, or `key=value` pairs separated by
    /// `;`: `method=PUT;path=REGEX;prefix=/subscriptions;every=2;rate=0.5;seed=7;count=1`
    /// plus one action: `status=503` (with optional `retry_after=5`, `code=…`,
    /// `message=…`), `reset`, `delay_ms=200`, `rewrite_lro=URL` or `fail_operation`
    /// (optional `code`/`message`).
    pub fn parse_spec(spec: &str) -> Result<Self, String> {
        let spec = spec.trim();
        if spec.starts_with('{') {
            let rule: FaultRule =
                serde_json::from_str(spec).map_err(|e| format!("invalid fault rule: {e}"))?;
            rule.compile()?;
            return Ok(rule);
        }
        let mut rule = FaultRule {
            method: None,
            path: None,
            path_prefix: None,
            every_nth: None,
            rate: None,
            seed: None,
            count: None,
            action: FaultAction::Reset,
        };
        let mut action: Option<&str> = None;
        let (mut status, mut retry_after, mut delay) = (None, None, None);
        let mut rewrite = None;
        let (mut code, mut message) = (None, None);
        let num = |k: &str, v: &str| -> Result<u64, String> {
            v.parse()
                .map_err(|_| format!("fault: {k} needs a whole number, not '{v}'"))
        };
        for part in spec.split(';').map(str::trim).filter(|p| !p.is_empty()) {
            let (k, v) = part.split_once('=').unwrap_or((part, ""));
            match k {
                "method" => rule.method = Some(v.to_string()),
                "path" => rule.path = Some(v.to_string()),
                "prefix" | "path_prefix" => rule.path_prefix = Some(v.to_string()),
                "every" | "every_nth" => rule.every_nth = Some(num(k, v)?),
                "rate" => {
                    rule.rate = Some(
                        v.parse()
                            .map_err(|_| format!("fault: rate needs a number, not '{v}'"))?,
                    )
                }
                "seed" => rule.seed = Some(num(k, v)?),
                "count" => rule.count = Some(num(k, v)?),
                "status" => {
                    action = Some("status");
                    status = Some(
                        u16::try_from(num(k, v)?)
                            .map_err(|_| format!("fault: invalid status '{v}'"))?,
                    );
                }
                "retry_after" => retry_after = Some(num(k, v)?),
                "reset" => action = Some("reset"),
                "delay_ms" => {
                    action = Some("delay");
                    delay = Some(num(k, v)?);
                }
                "fail_operation" => action = Some("fail"),
                "rewrite_lro" => {
                    action = Some("rewrite");
                    rewrite = Some(v.to_string());
                }
                "code" => code = Some(v.to_string()),
                "message" => message = Some(v.to_string()),
                other => return Err(format!("fault: unknown key '{other}'")),
            }
        }
        rule.action = match action {
            Some("status") => FaultAction::Status {
                status: status.unwrap_or(500),
                retry_after,
                code,
                message,
            },
            Some("reset") => FaultAction::Reset,
            Some("delay") => FaultAction::Delay {
                delay_ms: delay.unwrap_or(0),
            },
            Some("fail") => FaultAction::FailOperation { code, message },
            Some("rewrite") => FaultAction::RewriteLro {
                url: rewrite.unwrap_or_default(),
            },
            _ => {
                return Err(
                    "fault: give an action: status=N, reset, delay_ms=N, rewrite_lro=URL or \
                     fail_operation"
                        .into(),
                )
            }
        };
        rule.compile()?;
        Ok(rule)
    }
}

/// A rule as listed by `GET /_emulator/faults`.
#[derive(Debug, Clone, Serialize)]
pub struct FaultStatus {
    pub id: u64,
    #[serde(flatten)]
    pub rule: FaultRule,
    /// Requests that matched method and path.
    pub matched: u64,
    /// Times the action was applied.
    pub triggered: u64,
}

struct Active {
    id: u64,
    rule: FaultRule,
    regex: Option<regex::Regex>,
    rng: StdRng,
    matched: u64,
    triggered: u64,
}

#[derive(Default)]
pub(crate) struct Faults {
    inner: Mutex<(u64, Vec<Active>)>,
}

/// A triggered rule's action, with the rule's id (for the journal).
pub(crate) struct Hit {
    pub id: u64,
    pub action: FaultAction,
}

impl Faults {
    pub(crate) fn add(&self, rule: FaultRule) -> Result<u64, String> {
        let regex = rule.compile()?;
        let mut g = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        g.0 += 1;
        let id = g.0;
        let rng = StdRng::seed_from_u64(rule.seed.unwrap_or(id));
        g.1.push(Active {
            id,
            rule,
            regex,
            rng,
            matched: 0,
            triggered: 0,
        });
        Ok(id)
    }
    pub(crate) fn clear(&self) {
        self.inner
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .1
            .clear();
    }
    pub(crate) fn remove(&self, id: u64) -> bool {
        let mut g = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let before = g.1.len();
        g.1.retain(|a| a.id != id);
        g.1.len() != before
    }
    pub(crate) fn list(&self) -> Vec<FaultStatus> {
        let g = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        g.1.iter()
            .map(|a| FaultStatus {
                id: a.id,
                rule: a.rule.clone(),
                matched: a.matched,
                triggered: a.triggered,
            })
            .collect()
    }

    /// The first rule that triggers on this request, if any. Every matching rule counts the
    /// request, so that `every_nth` and `rate` do not depend on the other rules.
    pub(crate) fn check(&self, method: &str, path: &str) -> Option<Hit> {
        let mut g = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let lower = path.to_lowercase();
        let mut hit = None;
        for a in g.1.iter_mut() {
            if let Some(m) = &a.rule.method {
                if !m.eq_ignore_ascii_case(method) {
                    continue;
                }
            }
            if let Some(p) = &a.rule.path_prefix {
                if !lower.starts_with(&p.to_lowercase()) {
                    continue;
                }
            }
            if let Some(re) = &a.regex {
                if !re.is_match(path) {
                    continue;
                }
            }
            a.matched += 1;
            if a.rule.count.is_some_and(|c| a.triggered >= c) {
                continue;
            }
            let fires = match (a.rule.every_nth, a.rule.rate) {
                (Some(n), _) => a.matched % n == 0,
                (None, Some(rate)) => a.rng.random::<f64>() < rate,
                (None, None) => true,
            };
            if fires && hit.is_none() {
                a.triggered += 1;
                hit = Some(Hit {
                    id: a.id,
                    action: a.rule.action.clone(),
                });
            }
        }
        hit
    }
}

/// The error a long-running operation ends with.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct OpFailure {
    pub code: String,
    pub message: String,
}

impl OpFailure {
    /// What a `Location` poll of the failed operation answers: the error, as a client error
    /// so that retry policies (which retry 5xx) give up at once.
    pub(crate) fn to_error(&self) -> crate::errors::ArmError {
        crate::errors::ArmError::bad_request(&self.code, self.message.clone())
    }
    /// The `Azure-AsyncOperation` status body of the failed operation.
    pub(crate) fn status_body(&self) -> serde_json::Value {
        serde_json::json!({
            "status": "Failed",
            "error": {"code": self.code, "message": self.message},
        })
    }
}

thread_local! {
    // Set for the duration of one (synchronous) request handling: the next operation the
    // store registers on this thread takes it.
    static FAIL_NEXT_OP: RefCell<Option<OpFailure>> = const { RefCell::new(None) };
}

/// Runs `f` with the next operation registered inside it failing with `failure`.
pub(crate) fn with_failing_op<T>(failure: Option<OpFailure>, f: impl FnOnce() -> T) -> T {
    FAIL_NEXT_OP.with(|c| *c.borrow_mut() = failure);
    let out = f();
    FAIL_NEXT_OP.with(|c| *c.borrow_mut() = None);
    out
}

/// The failure planned for the operation being registered, if any (taken: one operation).
pub(crate) fn take_op_failure() -> Option<OpFailure> {
    FAIL_NEXT_OP.with(|c| c.borrow_mut().take())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_nth_and_count() {
        let f = Faults::default();
        let mut rule = FaultRule::status("/subscriptions", 503);
        rule.every_nth = Some(2);
        rule.count = Some(2);
        f.add(rule).unwrap();
        let fired: Vec<bool> = (0..8)
            .map(|_| f.check("GET", "/Subscriptions/x").is_some())
            .collect();
        assert_eq!(
            fired,
            [false, true, false, true, false, false, false, false]
        );
        assert!(f.check("GET", "/other").is_none());
    }

    #[test]
    fn seeded_rate_is_deterministic() {
        let run = || {
            let f = Faults::default();
            let mut rule = FaultRule::status("/", 500);
            rule.rate = Some(0.5);
            rule.seed = Some(42);
            f.add(rule).unwrap();
            (0..64)
                .map(|_| f.check("GET", "/a").is_some())
                .collect::<Vec<_>>()
        };
        let a = run();
        assert_eq!(a, run());
        let n = a.iter().filter(|x| **x).count();
        assert!(n > 10 && n < 54, "{n}");
    }

    #[test]
    fn specs() {
        let r =
            FaultRule::parse_spec("method=PUT;path=/workspaces/;every=3;status=429;retry_after=7")
                .unwrap();
        assert_eq!(r.method.as_deref(), Some("PUT"));
        assert_eq!(r.every_nth, Some(3));
        assert_eq!(
            r.action,
            FaultAction::Status {
                status: 429,
                retry_after: Some(7),
                code: None,
                message: None
            }
        );
        assert_eq!(
            FaultRule::parse_spec("prefix=/x;reset").unwrap().action,
            FaultAction::Reset
        );
        let j = FaultRule::parse_spec(r#"{"path":"x","action":{"type":"delay","delay_ms":5}}"#)
            .unwrap();
        assert_eq!(j.action, FaultAction::Delay { delay_ms: 5 });
        assert_eq!(
            FaultRule::parse_spec("method=PUT;rewrite_lro=http://127.0.0.1:9/op")
                .unwrap()
                .action,
            FaultAction::RewriteLro {
                url: "http://127.0.0.1:9/op".into()
            }
        );
        assert!(FaultRule::parse_spec("rewrite_lro=nope").is_err());
        assert!(FaultRule::parse_spec("path=(;status=500").is_err());
        assert!(FaultRule::parse_spec("status=200").is_err());
        assert!(FaultRule::parse_spec("path=x").is_err());
        assert!(FaultRule::parse_spec("rate=2;reset").is_err());
        assert!(FaultRule::parse_spec("bogus=1;reset").is_err());
    }
}
