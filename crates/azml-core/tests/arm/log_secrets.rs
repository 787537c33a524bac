//! Every `tracing` event of an op-heavy scenario (creates, keys, retries after injected
//! faults, long-running operations, deletes) is captured at TRACE, and none holds the token,
//! the client secret or a key the scenario saw.

use std::fmt::Write as _;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use azml_core::arm::{ArmClient, ArmConfig, RetryPolicy};
use azml_core::ops::{GroupCreate, GroupDelete, Ops, WorkspaceCreate, WorkspaceRef};
use azml_emulator::{Emulator, EmulatorConfig, FaultAction, FaultRule, Latency};
use serde_json::Value;
use tracing::field::{Field, Visit};
use tracing::{span, Event, Metadata, Subscriber};

#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<String>>>);

struct Line<'a>(&'a mut String);

impl Visit for Line<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        let _ = write!(self.0, " {}={value:?}", field.name());
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        let _ = write!(self.0, " {}={value}", field.name());
    }
}

impl Subscriber for Capture {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, attrs: &span::Attributes<'_>) -> span::Id {
        let mut line = format!("span {}", attrs.metadata().name());
        attrs.record(&mut Line(&mut line));
        self.0.lock().unwrap().push(line);
        span::Id::from_u64(1)
    }
    fn record(&self, _: &span::Id, values: &span::Record<'_>) {
        let mut line = String::from("record");
        values.record(&mut Line(&mut line));
        self.0.lock().unwrap().push(line);
    }
    fn record_follows_from(&self, _: &span::Id, _: &span::Id) {}
    fn event(&self, event: &Event<'_>) {
        let mut line = format!("{} {}", event.metadata().level(), event.metadata().target());
        event.record(&mut Line(&mut line));
        self.0.lock().unwrap().push(line);
    }
    fn enter(&self, _: &span::Id) {}
    fn exit(&self, _: &span::Id) {}
}

/// Strings under secret-looking fields of a response.
fn secrets_in(v: &Value, field: &str, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => m.iter().for_each(|(k, v)| secrets_in(v, k, out)),
        Value::Array(a) => a.iter().for_each(|v| secrets_in(v, field, out)),
        Value::String(s) if s.len() >= 8 => {
            let f = field.to_ascii_lowercase();
            if ["key", "password", "secret", "token"]
                .iter()
                .any(|w| f.contains(w))
                && !f.ends_with("id")
            {
                out.push(s.clone());
            }
        }
        _ => {}
    }
}

#[test]
fn no_secret_reaches_the_logs() {
    let capture = Capture::default();
    tracing::subscriber::set_global_default(capture.clone()).unwrap();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let mut secrets: Vec<String> = rt.block_on(async {
        let emu = Emulator::start(EmulatorConfig {
            latency: Latency::Fast,
            ..EmulatorConfig::default()
        })
        .await
        .unwrap();
        // Throttling, 5xx and a dropped connection, so that retries are logged too.
        for (method, nth, action) in [
            (
                None,
                7,
                FaultAction::Status {
                    status: 429,
                    retry_after: Some(1),
                    code: None,
                    message: None,
                },
            ),
            (
                Some("GET"),
                5,
                FaultAction::Status {
                    status: 503,
                    retry_after: None,
                    code: None,
                    message: None,
                },
            ),
            (Some("PUT"), 4, FaultAction::Reset),
        ] {
            emu.add_fault(FaultRule {
                method: method.map(str::to_string),
                path: Some("^/subscriptions/".into()),
                path_prefix: None,
                every_nth: Some(nth),
                rate: None,
                seed: None,
                count: Some(2),
                action,
            })
            .unwrap();
        }
        let cred = azml_core::auth::client_secret(
            &emu.url(),
            emu.tenant_id(),
            emu.client_id(),
            emu.client_secret(),
            None,
        )
        .unwrap();
        let token = cred
            .get_token(&["https://management.azure.com/.default"], None)
            .await
            .unwrap();
        let mut config = ArmConfig::new(emu.url());
        config.poll_interval = Duration::from_millis(20);
        let retry = RetryPolicy {
            base_delay: Duration::from_millis(10),
            max_delay: Duration::from_millis(50),
            ..RetryPolicy::default()
        };
        let arm = ArmClient::with_retry_policy(config, cred, retry).unwrap();
        let ops = Ops::new(arm, emu.subscription_id());
        ops.group_create(GroupCreate {
            name: "rg-logs".into(),
            location: "eastus".into(),
            ..Default::default()
        })
        .await
        .unwrap();
        ops.workspace_create(WorkspaceCreate {
            name: "wslogs".into(),
            resource_group: "rg-logs".into(),
            ..Default::default()
        })
        .await
        .unwrap();
        let r = || WorkspaceRef {
            name: "wslogs".into(),
            resource_group: "rg-logs".into(),
        };
        let keys = ops.workspace_list_keys(r()).await.unwrap();
        ops.workspace_sync_keys(r()).await.unwrap();
        ops.workspace_diagnose(r()).await.unwrap();
        ops.group_delete(GroupDelete {
            name: "rg-logs".into(),
            no_wait: false,
        })
        .await
        .unwrap();
        let mut secrets = vec![
            token.token.secret().to_string(),
            emu.client_secret().to_string(),
        ];
        secrets_in(&keys, "", &mut secrets);
        assert!(secrets.len() > 3, "list_keys returned no key to look for");
        secrets
    });
    secrets.retain(|s| !s.is_empty());
    let lines = capture.0.lock().unwrap().clone();
    assert!(
        lines
            .iter()
            .any(|l| l.contains("ARM PUT") && l.contains("request_id=")),
        "the request lines were not captured"
    );
    assert!(lines.iter().any(|l| l.contains("retrying")));
    let jwt = regex::Regex::new(r"eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.").unwrap();
    let leaks: Vec<usize> = lines
        .iter()
        .enumerate()
        .filter(|(_, l)| {
            jwt.is_match(l) || l.contains("Bearer ") || secrets.iter().any(|s| l.contains(s))
        })
        .map(|(i, _)| i)
        .collect();
    // Which lines, never what they hold.
    assert!(
        leaks.is_empty(),
        "{} of {} log lines hold a secret (lines {leaks:?})",
        leaks.len(),
        lines.len()
    );
}
