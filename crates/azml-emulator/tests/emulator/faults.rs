//! Fault injection, the request journal and the admin API (`/_emulator/…`).

use std::time::Duration;

use crate::support::emulator::{start, start_with, Env};
use azml_emulator::{Emulator, EmulatorConfig, FaultAction, FaultRule, Latency};
use reqwest::StatusCode;
use serde_json::{json, Value};

fn admin(env: &Env, path: &str) -> String {
    format!("{}/_emulator/{path}", env.emu.url())
}

async fn admin_post(env: &Env, path: &str, body: Value) -> (StatusCode, Value) {
    let r = env
        .http
        .post(admin(env, path))
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = r.status();
    (status, r.json().await.unwrap_or(Value::Null))
}

async fn admin_get(env: &Env, path: &str) -> Value {
    let r = env.http.get(admin(env, path)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    r.json().await.unwrap()
}

fn groups_url(env: &Env) -> String {
    env.url("/resourcegroups?api-version=2025-04-01")
}

#[tokio::test]
async fn every_nth_rule_through_the_admin_api() {
    let env = start(Latency::Instant).await;
    let (status, rule) = admin_post(
        &env,
        "faults",
        json!({"method": "get", "path": "/RESOURCEGROUPS$", "every_nth": 3,
               "action": {"type": "status", "status": 503}}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{rule}");
    let id = rule["id"].as_u64().unwrap();
    let mut statuses = Vec::new();
    for _ in 0..6 {
        let r = env.get(&groups_url(&env)).await;
        if r.status == StatusCode::SERVICE_UNAVAILABLE {
            assert_eq!(r.code(), "ServiceUnavailable");
            assert!(r.header("x-ms-request-id").is_some());
        }
        statuses.push(r.status.as_u16());
    }
    assert_eq!(statuses, [200, 200, 503, 200, 200, 503]);
    // Other paths and methods are not matched.
    env.group("rg-nth").await;
    let listed = admin_get(&env, "faults").await;
    assert_eq!(listed["value"][0]["id"], id);
    assert_eq!(listed["value"][0]["matched"], 6);
    assert_eq!(listed["value"][0]["triggered"], 2);
    assert_eq!(listed["value"][0]["every_nth"], 3);

    let r = env.http.delete(admin(&env, "faults")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_eq!(admin_get(&env, "faults").await["value"], json!([]));
    for _ in 0..3 {
        assert_eq!(env.get(&groups_url(&env)).await.status, StatusCode::OK);
    }

    // Bad rules are refused with a reason.
    let (status, body) = admin_post(
        &env,
        "faults",
        json!({"path": "(", "action": {"type": "reset"}}),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["code"], "InvalidFaultRule");
    let (status, _) = admin_post(
        &env,
        "faults",
        json!({"rate": 1.5, "action": {"type": "reset"}}),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn seeded_rate_is_the_same_on_every_run_and_retry_after_is_sent() {
    let rule = FaultRule {
        rate: Some(0.5),
        seed: Some(7),
        action: FaultAction::Status {
            status: 429,
            retry_after: Some(3),
            code: None,
            message: None,
        },
        ..FaultRule::status("/subscriptions/", 500)
    };
    let mut runs = Vec::new();
    for _ in 0..2 {
        let env = start_with(EmulatorConfig {
            latency: Latency::Instant,
            faults: vec![rule.clone()],
            ..EmulatorConfig::default()
        })
        .await;
        let mut seen = Vec::new();
        for _ in 0..24 {
            let r = env.get(&groups_url(&env)).await;
            if r.status == StatusCode::TOO_MANY_REQUESTS {
                assert_eq!(r.header("retry-after").as_deref(), Some("3"));
                assert_eq!(r.code(), "TooManyRequests");
            } else {
                assert_eq!(r.status, StatusCode::OK);
            }
            seen.push(r.status.as_u16());
        }
        runs.push(seen);
    }
    assert_eq!(runs[0], runs[1]);
    assert!(runs[0].contains(&429) && runs[0].contains(&200));
}

#[tokio::test]
async fn reset_drops_the_connection_and_delay_still_answers() {
    let env = start(Latency::Instant).await;
    let id = env
        .emu
        .add_fault(FaultRule {
            count: Some(1),
            action: FaultAction::Reset,
            ..FaultRule::status("/subscriptions/", 500)
        })
        .unwrap();
    let err = env
        .http
        .get(groups_url(&env))
        .bearer_auth(&env.token)
        .send()
        .await;
    assert!(err.is_err(), "a reset must not look like an answer");
    // `count` ran out: the next request is served.
    assert_eq!(env.get(&groups_url(&env)).await.status, StatusCode::OK);
    assert!(env.emu.remove_fault(id));

    env.emu
        .add_fault(FaultRule {
            method: Some("GET".into()),
            action: FaultAction::Delay { delay_ms: 30 },
            ..FaultRule::status("/subscriptions/", 500)
        })
        .unwrap();
    assert_eq!(env.get(&groups_url(&env)).await.status, StatusCode::OK);
    let journal = env.emu.journal();
    let faults: Vec<Option<String>> = journal.iter().map(|e| e.fault.clone()).collect();
    assert!(
        faults[1].as_deref().unwrap().ends_with("reset"),
        "{faults:?}"
    );
    assert_eq!(journal[1].status, None);
    assert_eq!(journal[2].fault, None);
    assert!(faults[3].as_deref().unwrap().contains("delay 30 ms"));
    assert_eq!(journal[3].status, Some(200));
}

#[tokio::test]
async fn fail_operation_makes_the_workspace_creation_fail() {
    let env = start(Latency::Instant).await;
    let body = env.dependents("rg-fail", "failing").await;
    env.emu
        .add_fault(FaultRule {
            method: Some("PUT".into()),
            path: Some("/workspaces/[^/]+$".into()),
            count: Some(1),
            action: FaultAction::FailOperation {
                code: Some("InternalServerError".into()),
                message: Some("Provisioning failed in a test.".into()),
            },
            ..FaultRule::status("/", 500)
        })
        .unwrap();
    let r = env
        .put(&env.ws_url("rg-fail", "ws-fail"), body.clone())
        .await;
    assert_eq!(r.status, StatusCode::ACCEPTED);
    let status = env
        .wait_async(&r.header("azure-asyncoperation").unwrap())
        .await;
    assert_eq!(status["status"], "Failed");
    assert_eq!(status["error"]["code"], "InternalServerError");
    assert_eq!(status["error"]["message"], "Provisioning failed in a test.");
    let location = env.wait_location(&r.header("location").unwrap()).await;
    assert_eq!(location.status, StatusCode::BAD_REQUEST);
    assert_eq!(location.code(), "InternalServerError");
    let ws = env.get(&env.ws_url("rg-fail", "ws-fail")).await;
    assert_eq!(ws.body["properties"]["provisioningState"], "Failed");

    // The rule is spent: trying again succeeds.
    let r = env.put(&env.ws_url("rg-fail", "ws-fail"), body).await;
    let status = env
        .wait_async(&r.header("azure-asyncoperation").unwrap())
        .await;
    assert_eq!(status["status"], "Succeeded");
    let ws = env.get(&env.ws_url("rg-fail", "ws-fail")).await;
    assert_eq!(ws.body["properties"]["provisioningState"], "Succeeded");
}

#[tokio::test]
async fn journal_lists_requests_without_secrets() {
    let env = start(Latency::Instant).await;
    env.group("rg-journal").await;
    let r = env
        .http
        .get(format!("{}&sig=topsecretsig", groups_url(&env)))
        .bearer_auth(&env.token)
        .header("x-ms-client-request-id", "journal-test")
        .header("cookie", "session=cookiesecret")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let _ = env
        .http
        .get(groups_url(&env))
        .bearer_auth("not-a-token")
        .send()
        .await
        .unwrap();

    let journal = admin_get(&env, "journal").await;
    let text = journal.to_string();
    for secret in [
        env.token.as_str(),
        env.emu.client_secret(),
        "topsecretsig",
        "cookiesecret",
        "not-a-token",
    ] {
        assert!(!text.contains(secret), "the journal leaks a secret");
    }
    let entries = journal["value"].as_array().unwrap();
    // The token request, the group PUT and the two lists.
    assert_eq!(entries.len(), 4, "{text}");
    assert_eq!(entries[0]["method"], "POST");
    assert!(entries[0]["path"]
        .as_str()
        .unwrap()
        .ends_with("/oauth2/v2.0/token"));
    assert_eq!(entries[0]["status"], 200);
    assert_eq!(entries[1]["method"], "PUT");
    assert_eq!(entries[1]["principal"], env.emu.principal_oid());
    let list = &entries[2];
    assert!(list["path"]
        .as_str()
        .unwrap()
        .ends_with("api-version=2025-04-01&sig=<redacted>"));
    let headers: Vec<(String, String)> = serde_json::from_value(list["headers"].clone()).unwrap();
    let get = |n: &str| {
        headers
            .iter()
            .find(|(k, _)| k == n)
            .map(|(_, v)| v.as_str())
    };
    assert_eq!(get("authorization"), Some("<redacted>"));
    assert_eq!(get("cookie"), Some("<redacted>"));
    assert_eq!(get("x-ms-client-request-id"), Some("journal-test"));
    assert!(list["time"].as_str().unwrap().ends_with('Z'));
    assert!(list["elapsed_ms"].is_u64());
    assert!(list["seq"].as_u64().unwrap() > entries[1]["seq"].as_u64().unwrap());
    assert_eq!(entries[3]["status"], 401);
    assert!(entries[3].get("principal").is_none());
    // The Rust view is the same.
    assert_eq!(env.emu.journal().len(), 4);

    let r = env
        .http
        .delete(admin(&env, "journal"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_eq!(admin_get(&env, "journal").await["value"], json!([]));
}

#[tokio::test]
async fn clock_and_state_through_the_admin_api() {
    let env = start(Latency::Realistic).await;
    let body = env.dependents("rg-admin", "adm").await;
    let r = env.put(&env.ws_url("rg-admin", "ws-admin"), body).await;
    assert_eq!(r.status, StatusCode::ACCEPTED);
    let state = admin_get(&env, "state").await;
    assert_eq!(state["resourceGroups"], json!(["rg-admin"]));
    assert_eq!(state["latency"], "realistic");
    assert_eq!(state["throttling"]["enabled"], true);
    // The storage account's creation (~20 s) and the workspace's (~30 s).
    assert_eq!(state["operations"]["running"], 2);
    assert_eq!(state["workspaces"].as_array().unwrap().len(), 1);
    let ws = env.get(&env.ws_url("rg-admin", "ws-admin")).await;
    assert_eq!(ws.body["properties"]["provisioningState"], "Creating");

    let (status, now) = admin_post(&env, "clock/advance", json!({"seconds": 31})).await;
    assert_eq!(status, StatusCode::OK);
    assert!(now["now"].is_string());
    let ws = env.get(&env.ws_url("rg-admin", "ws-admin")).await;
    assert_eq!(ws.body["properties"]["provisioningState"], "Succeeded");
    assert_eq!(admin_get(&env, "state").await["operations"]["running"], 0);

    let (status, _) = admin_post(&env, "clock/advance", json!({"seconds": -1})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let r = env.http.get(admin(&env, "nothing")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn restart_on_the_same_state_file_and_port_serves_the_same_resources() {
    let dir = std::env::temp_dir().join(format!("azml-emulator-restart-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("state.json");
    let _ = std::fs::remove_file(&file);
    let config = EmulatorConfig {
        latency: Latency::Instant,
        state_file: Some(file.clone()),
        ..EmulatorConfig::default()
    };
    let env = start_with(config.clone()).await;
    let port = env.emu.url().rsplit(':').next().unwrap().to_string();
    let body = env.dependents("rg-restart", "rst").await;
    let r = env.put(&env.ws_url("rg-restart", "ws-restart"), body).await;
    assert_eq!(r.status, StatusCode::ACCEPTED);
    let before_ws = env.get(&env.ws_url("rg-restart", "ws-restart")).await.body;
    let before_state = admin_get(&env, "state").await;
    let oid = env.emu.principal_oid().to_string();
    env.emu.stop(Duration::from_secs(1)).await;

    let again = EmulatorConfig {
        bind: format!("127.0.0.1:{port}").parse().unwrap(),
        ..config
    };
    let emu = Emulator::start(again)
        .await
        .expect("restarts on the same port");
    assert!(emu.url().ends_with(&format!(":{port}")));
    assert_eq!(emu.principal_oid(), oid);
    let http = crate::support::emulator::client();
    let token =
        crate::support::emulator::token_for(&http, &emu, crate::support::emulator::ARM).await;
    let env = Env { emu, http, token };
    assert_eq!(
        env.get(&env.ws_url("rg-restart", "ws-restart")).await.body,
        before_ws
    );
    let after_state = admin_get(&env, "state").await;
    for k in [
        "resourceGroups",
        "storageAccounts",
        "vaults",
        "components",
        "workspaces",
    ] {
        assert_eq!(after_state[k], before_state[k], "{k}");
    }
    env.emu.stop(Duration::from_secs(1)).await;
    let _ = std::fs::remove_dir_all(&dir);
}
