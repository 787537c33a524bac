//! The pipeline under the emulator's injected faults, judged by the emulator's journal:
//! - under 429s with `Retry-After`, every operation succeeds and no retry arrives before the
//!   wait it was told (recorded times: the retry's arrival ≥ the 429's answer + Retry-After);
//! - under 500/503 and dropped connections, GET, PUT and DELETE succeed; a POST that is not
//!   safe to repeat (`resyncKeys`, `diagnose`) is sent once, a safe one (`listKeys`) again;
//! - a `Location` or `Azure-AsyncOperation` naming another host fails the call, and that
//!   host (a second loopback server) receives nothing;
//! - a 409 `MissingSubscriptionRegistration` registers the provider and retries once.

use std::sync::Arc;
use std::time::Duration;

use crate::support::mock_arm::{mock, reply};
use azml_core::arm::{ArmClient, ArmConfig, RetryPolicy};
use azml_core::ops::{GroupCreate, GroupDelete, Ops, WorkspaceCreate, WorkspaceRef};
use azml_core::ErrorKind;
use azml_emulator::{Emulator, EmulatorConfig, FaultAction, FaultRule, JournalEntry, Latency};
use serde_json::json;

async fn start() -> (Emulator, Ops) {
    let emu = Emulator::start(EmulatorConfig {
        latency: Latency::Instant,
        ..EmulatorConfig::default()
    })
    .await
    .expect("emulator starts");
    let ops = ops_for(&emu, RetryPolicy::default());
    (emu, ops)
}

fn ops_for(emu: &Emulator, retry: RetryPolicy) -> Ops {
    let cred = azml_core::auth::client_secret(
        &emu.url(),
        emu.tenant_id(),
        emu.client_id(),
        emu.client_secret(),
        None,
    )
    .expect("credential");
    let mut config = ArmConfig::new(emu.url());
    config.poll_interval = Duration::from_millis(20);
    let retry = RetryPolicy {
        base_delay: Duration::from_millis(10),
        max_delay: Duration::from_millis(50),
        ..retry
    };
    let arm = ArmClient::with_retry_policy(config, cred, retry).expect("arm client");
    Ops::new(arm, emu.subscription_id())
}

fn rule(method: Option<&str>, path: &str, action: FaultAction) -> FaultRule {
    FaultRule {
        method: method.map(str::to_string),
        path: Some(path.to_string()),
        path_prefix: None,
        every_nth: None,
        rate: None,
        seed: None,
        count: None,
        action,
    }
}

fn status(code: u16, retry_after: Option<u64>) -> FaultAction {
    FaultAction::Status {
        status: code,
        retry_after,
        code: None,
        message: None,
    }
}

fn header<'a>(e: &'a JournalEntry, name: &str) -> Option<&'a str> {
    e.headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

fn arm_requests(emu: &Emulator) -> Vec<JournalEntry> {
    emu.journal()
        .into_iter()
        .filter(|e| e.path.starts_with("/subscriptions"))
        .collect()
}

async fn group(ops: &Ops, name: &str) {
    ops.group_create(GroupCreate {
        name: name.into(),
        location: "eastus".into(),
        ..Default::default()
    })
    .await
    .expect("group create");
}

fn ws(name: &str, rg: &str) -> WorkspaceRef {
    WorkspaceRef {
        name: name.into(),
        resource_group: rg.into(),
    }
}

async fn workspace(ops: &Ops, name: &str, rg: &str) {
    ops.workspace_create(WorkspaceCreate {
        name: name.into(),
        resource_group: rg.into(),
        ..Default::default()
    })
    .await
    .expect("workspace create");
}

#[tokio::test]
async fn throttled_requests_wait_as_long_as_told_and_succeed() {
    let (emu, ops) = start().await;
    // Every other ARM request is refused with Retry-After: 1, six times in all, across
    // reads, writes, deletes and long-running operation polls.
    let mut r = rule(None, "^/subscriptions/", status(429, Some(1)));
    r.every_nth = Some(2);
    r.count = Some(6);
    emu.add_fault(r).unwrap();

    group(&ops, "rg-429").await;
    workspace(&ops, "ws429", "rg-429").await;
    assert_eq!(ops.group_show("rg-429").await.unwrap()["name"], "rg-429");
    ops.workspace_list_keys(ws("ws429", "rg-429"))
        .await
        .unwrap();
    ops.group_delete(GroupDelete {
        name: "rg-429".into(),
        no_wait: false,
    })
    .await
    .unwrap();
    assert!(!ops.group_exists("rg-429").await.unwrap());

    let journal = arm_requests(&emu);
    let refused: Vec<_> = journal.iter().filter(|e| e.status == Some(429)).collect();
    assert_eq!(refused.len(), 6, "{:?}", emu.faults());
    for e in refused {
        let id = header(e, "x-ms-client-request-id").expect("client request id");
        let retry = journal
            .iter()
            .find(|n| n.seq > e.seq && header(n, "x-ms-client-request-id") == Some(id))
            .unwrap_or_else(|| panic!("no retry of {} {}", e.method, e.path));
        let answered = e.answered_ms.expect("answered");
        assert!(
            retry.elapsed_ms >= answered + 1000,
            "{} {} retried {} ms after the 429 that asked for 1 s",
            e.method,
            e.path,
            retry.elapsed_ms - answered
        );
    }
}

#[tokio::test]
async fn idempotent_operations_ride_out_5xx_and_resets() {
    let (emu, ops) = start().await;
    group(&ops, "rg-5xx").await;
    for (method, nth, action) in [
        ("GET", 3, status(503, None)),
        ("PUT", 2, status(500, None)),
        ("DELETE", 2, status(502, None)),
        ("GET", 5, FaultAction::Reset),
        ("PUT", 3, FaultAction::Reset),
    ] {
        let mut r = rule(Some(method), "^/subscriptions/", action);
        r.every_nth = Some(nth);
        r.count = Some(2);
        emu.add_fault(r).unwrap();
    }
    workspace(&ops, "ws5xx", "rg-5xx").await;
    assert_eq!(
        ops.workspace_show(ws("ws5xx", "rg-5xx")).await.unwrap()["name"],
        "ws5xx"
    );
    ops.group_delete(GroupDelete {
        name: "rg-5xx".into(),
        no_wait: false,
    })
    .await
    .unwrap();
    let triggered: u64 = emu.faults().iter().map(|f| f.triggered).sum();
    assert!(triggered >= 5, "{:?}", emu.faults());
    assert!(arm_requests(&emu).iter().any(|e| e.status.is_none()));
}

fn posts_to(emu: &Emulator, action: &str) -> usize {
    emu.journal()
        .iter()
        .filter(|e| e.method == "POST" && e.path.split('?').next().unwrap().ends_with(action))
        .count()
}

#[tokio::test]
async fn an_unsafe_post_is_sent_once_a_safe_one_again() {
    let (emu, ops) = start().await;
    group(&ops, "rg-post").await;
    workspace(&ops, "wspost", "rg-post").await;

    let id = emu
        .add_fault(rule(Some("POST"), "/resyncKeys$", status(503, None)))
        .unwrap();
    let err = ops
        .workspace_sync_keys(ws("wspost", "rg-post"))
        .await
        .unwrap_err();
    assert_eq!(err.status, Some(503));
    assert_eq!(posts_to(&emu, "/resyncKeys"), 1);
    emu.remove_fault(id);

    let id = emu
        .add_fault(rule(Some("POST"), "/diagnose$", FaultAction::Reset))
        .unwrap();
    let err = ops
        .workspace_diagnose(ws("wspost", "rg-post"))
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::Transport);
    assert_eq!(posts_to(&emu, "/diagnose"), 1);
    emu.remove_fault(id);

    // listKeys only reads: a 500 and a dropped connection are retried.
    let mut r = rule(Some("POST"), "/listKeys$", status(500, None));
    r.count = Some(1);
    emu.add_fault(r).unwrap();
    let mut r = rule(Some("POST"), "/listKeys$", FaultAction::Reset);
    r.count = Some(1);
    emu.add_fault(r).unwrap();
    ops.workspace_list_keys(ws("wspost", "rg-post"))
        .await
        .unwrap();
    assert_eq!(posts_to(&emu, "/listKeys"), 3);

    // A throttled POST was refused before ARM acted on it: even resyncKeys goes again.
    let mut r = rule(Some("POST"), "/resyncKeys$", status(429, Some(1)));
    r.count = Some(1);
    emu.add_fault(r).unwrap();
    ops.workspace_sync_keys(ws("wspost", "rg-post"))
        .await
        .unwrap();
    assert_eq!(posts_to(&emu, "/resyncKeys"), 3);
}

#[tokio::test]
async fn polling_urls_on_another_host_are_refused_and_that_host_hears_nothing() {
    let (emu, ops) = start().await;
    let elsewhere = mock(|_| reply(200, &[], Some(json!({"status": "Succeeded"})))).await;
    group(&ops, "rg-lro").await;

    // Azure-AsyncOperation (and Location) of the workspace PUT point at the other server.
    let id = emu
        .add_fault(rule(
            Some("PUT"),
            "/workspaces/",
            FaultAction::RewriteLro {
                url: format!("{}/op/1?api-version=1", elsewhere.base),
            },
        ))
        .unwrap();
    let err = ops
        .workspace_create(WorkspaceCreate {
            name: "wslro".into(),
            resource_group: "rg-lro".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::Transport, "{err:?}");
    assert!(err.message.contains("refusing"), "{}", err.message);
    assert!(err.message.contains(&elsewhere.base.replace("http://", "")));
    emu.remove_fault(id);

    // Location of the group DELETE.
    emu.add_fault(rule(
        Some("DELETE"),
        "/resourcegroups/rg-lro$",
        FaultAction::RewriteLro {
            url: format!("{}/op/2", elsewhere.base),
        },
    ))
    .unwrap();
    let err = ops
        .group_delete(GroupDelete {
            name: "rg-lro".into(),
            no_wait: false,
        })
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::Transport, "{err:?}");
    assert_eq!(elsewhere.count(), 0, "{:?}", elsewhere.trace());
}

/// A small ARM stand-in that refuses a PUT until the provider is registered, and registers
/// it over two polls.
#[tokio::test]
async fn missing_registration_registers_the_provider_and_retries_once() {
    use std::sync::atomic::{AtomicU32, Ordering};
    let polls = Arc::new(AtomicU32::new(0));
    let registered = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let (p, reg) = (polls.clone(), registered.clone());
    let server = mock(move |r| {
        let path = r.path.as_str();
        match (r.method.as_str(), path) {
            ("POST", "/subscriptions/s1/providers/Microsoft.MachineLearningServices/register") => {
                reply(200, &[], Some(json!({"registrationState": "Registering"})))
            }
            ("GET", "/subscriptions/s1/providers/Microsoft.MachineLearningServices") => {
                let n = p.fetch_add(1, Ordering::SeqCst) + 1;
                let state = if n >= 2 { "Registered" } else { "Registering" };
                if n >= 2 {
                    reg.store(true, Ordering::SeqCst);
                }
                reply(200, &[], Some(json!({"registrationState": state})))
            }
            ("PUT", _) if !reg.load(Ordering::SeqCst) => reply(
                409,
                &[("x-ms-request-id", "rid-409")],
                Some(json!({"error": {"code": "MissingSubscriptionRegistration",
                    "message": "The subscription is not registered to use namespace 'Microsoft.MachineLearningServices'. See https://aka.ms/rps-not-found for how to register subscriptions."}})),
            ),
            ("PUT", _) => reply(200, &[], Some(json!({"name": "w", "properties": {"provisioningState": "Succeeded"}}))),
            _ => reply(404, &[], None),
        }
    })
    .await;
    let mut config = crate::support::mock_arm::config(&server.base);
    config.poll_interval = Duration::from_millis(5);
    let arm = crate::support::mock_arm::client_with(config, crate::support::mock_arm::fast_retry());
    let path = "/subscriptions/s1/resourceGroups/g/providers/Microsoft.MachineLearningServices/workspaces/w";
    let v = arm.put(path, "2025-12-01", &json!({})).await.unwrap();
    assert_eq!(v["name"], "w");
    let trace = server.trace();
    assert_eq!(
        trace,
        [
            format!("PUT {path}"),
            "POST /subscriptions/s1/providers/Microsoft.MachineLearningServices/register".into(),
            "GET /subscriptions/s1/providers/Microsoft.MachineLearningServices".into(),
            "GET /subscriptions/s1/providers/Microsoft.MachineLearningServices".into(),
            format!("PUT {path}"),
        ]
    );
    assert!(server.requests()[1].query.contains("api-version="));

    // Without auto-registration, the 409 is the answer.
    let mut config = crate::support::mock_arm::config(&server.base);
    config.auto_register = false;
    registered.store(false, Ordering::SeqCst);
    let arm = crate::support::mock_arm::client_with(config, crate::support::mock_arm::fast_retry());
    let err = arm.put(path, "2025-12-01", &json!({})).await.unwrap_err();
    assert_eq!(err.code.as_deref(), Some("MissingSubscriptionRegistration"));
    assert_eq!(err.request_id.as_deref(), Some("rid-409"));
}

#[tokio::test]
async fn a_registration_that_never_completes_is_bounded() {
    let server = mock(|r| match r.method.as_str() {
        "PUT" => reply(
            409,
            &[],
            Some(json!({"error": {"code": "MissingSubscriptionRegistration",
                "message": "The subscription is not registered to use namespace 'Microsoft.Storage'."}})),
        ),
        _ => reply(200, &[], Some(json!({"registrationState": "Registering"}))),
    })
    .await;
    let mut config = crate::support::mock_arm::config(&server.base);
    config.poll_interval = Duration::from_millis(5);
    config.registration_timeout = Duration::from_millis(100);
    let arm = crate::support::mock_arm::client_with(config, crate::support::mock_arm::fast_retry());
    let path = "/subscriptions/s1/resourceGroups/g/providers/Microsoft.Storage/storageAccounts/a";
    let err = arm.put(path, "2025-01-01", &json!({})).await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::Timeout, "{err:?}");
    assert!(err.message.contains("Microsoft.Storage"));
    // The original request is not sent again after a registration that did not finish.
    assert_eq!(
        server
            .trace()
            .iter()
            .filter(|t| t.starts_with("PUT"))
            .count(),
        1
    );
}

#[tokio::test]
async fn user_agent_names_azml_and_the_suffix() {
    let (emu, _) = start().await;
    let cred = azml_core::auth::client_secret(
        &emu.url(),
        emu.tenant_id(),
        emu.client_id(),
        emu.client_secret(),
        None,
    )
    .unwrap();
    let mut config = ArmConfig::new(emu.url());
    config.user_agent_suffix = Some("my-tool/2.1".into());
    config.python_version = Some("3.12.4".into());
    let arm = ArmClient::new(config, cred).unwrap();
    let expected = format!(
        "azml/{} (Python 3.12.4; {}) my-tool/2.1",
        env!("CARGO_PKG_VERSION"),
        std::env::consts::OS
    );
    assert_eq!(arm.user_agent(), expected);
    arm.get(
        &format!("/subscriptions/{}/resourcegroups", emu.subscription_id()),
        "2025-04-01",
    )
    .await
    .unwrap();
    let last = arm_requests(&emu).pop().unwrap();
    assert_eq!(header(&last, "user-agent"), Some(expected.as_str()));
}
