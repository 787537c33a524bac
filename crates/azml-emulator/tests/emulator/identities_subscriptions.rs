//! The emulator's user-assigned identities (a workspace's primary identity), its extra
//! subscriptions, and the ML provider's error codes.

use crate::support::emulator::{start, start_with, Env};
use azml_emulator::{EmulatorConfig, Latency};
use reqwest::StatusCode;
use serde_json::{json, Value};

const UAI: &str = "Microsoft.ManagedIdentity/userAssignedIdentities";
const SECOND: &str = "00000000-0000-4000-8000-0000000000b2";

fn uai_url(env: &Env, rg: &str, name: &str) -> String {
    format!(
        "{}{}?api-version=2023-01-31",
        env.emu.url(),
        env.rid(rg, UAI, name)
    )
}

async fn create_ws(env: &Env, rg: &str, name: &str, body: Value) -> Value {
    let r = env.put(&env.ws_url(rg, name), body).await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.body);
    let r = env.get(&env.ws_url(rg, name)).await;
    assert_eq!(r.status, StatusCode::OK);
    r.body
}

#[tokio::test]
async fn user_assigned_identities_put_get_delete_and_list() {
    let env = start(Latency::Instant).await;
    env.group("rg").await;
    let r = env
        .put(
            &uai_url(&env, "rg", "id1"),
            json!({"location": "westeurope", "tags": {"a": "b"}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let p = &r.body["properties"];
    assert_eq!(r.body["id"], env.rid("rg", UAI, "id1"));
    assert_eq!(r.body["type"], UAI);
    assert_eq!(p["tenantId"], env.emu.tenant_id());
    let (principal, client) = (p["principalId"].clone(), p["clientId"].clone());
    assert!(principal.as_str().unwrap().len() == 36 && principal != client);
    // A second PUT keeps the identity's ids.
    let r = env
        .put(
            &uai_url(&env, "rg", "ID1"),
            json!({"location": "westeurope"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["properties"]["principalId"], principal);
    assert_eq!(r.body["name"], "id1");
    let list = env
        .get(&env.url(&format!(
            "/resourceGroups/rg/providers/{UAI}?api-version=2023-01-31"
        )))
        .await;
    assert_eq!(list.body["value"].as_array().unwrap().len(), 1);
    let r = env
        .put(&uai_url(&env, "rg", "x"), json!({"location": "westeurope"}))
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.code(), "InvalidResourceName");
    assert_eq!(
        env.delete(&uai_url(&env, "rg", "id1")).await.status,
        StatusCode::OK
    );
    assert_eq!(
        env.get(&uai_url(&env, "rg", "id1")).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        env.delete(&uai_url(&env, "rg", "id1")).await.status,
        StatusCode::NO_CONTENT
    );
}

#[tokio::test]
async fn a_primary_identity_must_exist_and_be_attached() {
    let env = start(Latency::Instant).await;
    let body = env.dependents("rg", "uai").await;
    let id = env
        .put(
            &uai_url(&env, "rg", "primary"),
            json!({"location": "westeurope"}),
        )
        .await
        .body;
    let uai_id = id["id"].as_str().unwrap().to_string();
    let with = |ids: Value, primary: &str| {
        let mut b = body.clone();
        b["identity"] =
            json!({"type": "SystemAssigned,UserAssigned", "userAssignedIdentities": ids});
        b["properties"]["primaryUserAssignedIdentity"] = json!(primary);
        b
    };
    // Missing identity: the provider's UserError, nothing created.
    let missing = env.rid("rg", UAI, "nope");
    let r = env
        .put(
            &env.ws_url("rg", "ws1"),
            with(json!({&missing: {}}), &missing),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.code(), "UserError");
    assert!(r.message().contains("nope"), "{}", r.message());
    // Primary not among the attached ones.
    let r = env
        .put(
            &env.ws_url("rg", "ws1"),
            with(json!({&uai_id: {}}), &missing),
        )
        .await;
    assert_eq!(r.code(), "UserError");
    assert!(r.message().contains("primaryUserAssignedIdentity"));
    assert_eq!(
        env.get(&env.ws_url("rg", "ws1")).await.status,
        StatusCode::NOT_FOUND
    );

    let ws = create_ws(&env, "rg", "ws1", with(json!({&uai_id: {}}), &uai_id)).await;
    assert_eq!(ws["identity"]["type"], "SystemAssigned,UserAssigned");
    assert_eq!(
        ws["identity"]["userAssignedIdentities"][&uai_id]["principalId"],
        id["properties"]["principalId"]
    );
    assert_eq!(
        ws["properties"]["primaryUserAssignedIdentity"],
        json!(uai_id)
    );

    // PATCH: a primary identity the workspace does not have is refused.
    let other = env
        .put(
            &uai_url(&env, "rg", "other"),
            json!({"location": "westeurope"}),
        )
        .await
        .body["id"]
        .clone();
    let r = env
        .patch(
            &env.ws_url("rg", "ws1"),
            json!({"properties": {"primaryUserAssignedIdentity": other}}),
        )
        .await;
    assert_eq!(r.code(), "UserError");
    let r = env
        .patch(
            &env.ws_url("rg", "ws1"),
            json!({"identity": {"type": "SystemAssigned,UserAssigned",
                                "userAssignedIdentities": {&uai_id: {}, other.as_str().unwrap(): {}}},
                   "properties": {"primaryUserAssignedIdentity": other}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.body);
    let ws2 = env.get(&env.ws_url("rg", "ws1")).await.body;
    assert_eq!(ws2["properties"]["primaryUserAssignedIdentity"], other);
    // The system identity is kept.
    assert_eq!(
        ws2["identity"]["principalId"],
        ws["identity"]["principalId"]
    );
}

#[tokio::test]
async fn validation_errors_use_the_providers_codes_and_location_changes_are_400() {
    let env = start(Latency::Instant).await;
    let body = env.dependents("rg", "codes").await;
    let r = env.put(&env.ws_url("rg", "ab"), body.clone()).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.code(), "UserError");
    create_ws(&env, "rg", "ws1", body.clone()).await;
    let mut moved = body.clone();
    moved["location"] = json!("eastus");
    let r = env.put(&env.ws_url("rg", "ws1"), moved).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    assert_eq!(r.code(), "InvalidResourceLocation");
    let r = env
        .patch(
            &env.ws_url("rg", "ws1"),
            json!({"properties": {"hbiWorkspace": true}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.code(), "UserError");
}

#[tokio::test]
async fn extra_subscriptions_have_their_own_resources() {
    let env = start_with(EmulatorConfig {
        latency: Latency::Instant,
        extra_subscriptions: vec![SECOND.into()],
        ..EmulatorConfig::default()
    })
    .await;
    assert_eq!(env.emu.extra_subscriptions(), [SECOND.to_string()]);
    let subs = env
        .get(&format!(
            "{}/subscriptions?api-version=2022-12-01",
            env.emu.url()
        ))
        .await;
    let ids: Vec<&str> = subs.body["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["subscriptionId"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [env.sub(), SECOND]);
    let second = |path: &str| format!("{}/subscriptions/{SECOND}{path}", env.emu.url());
    let r = env.get(&second("?api-version=2022-12-01")).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["subscriptionId"], SECOND);
    assert_eq!(r.body["tenantId"], env.emu.tenant_id());

    // The same group name in both: two groups.
    env.group("shared").await;
    let r = env
        .put(
            &second("/resourcegroups/shared?api-version=2025-04-01"),
            json!({"location": "eastus"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(
        r.body["id"],
        format!("/subscriptions/{SECOND}/resourceGroups/shared")
    );
    let main = env
        .get(&env.url("/resourcegroups/shared?api-version=2025-04-01"))
        .await;
    assert_eq!(main.body["location"], "westeurope");
    let only_second = env
        .put(
            &second("/resourcegroups/onlyhere?api-version=2025-04-01"),
            json!({"location": "eastus"}),
        )
        .await;
    assert!(only_second.status.is_success());
    assert_eq!(
        env.get(&env.url("/resourcegroups/onlyhere?api-version=2025-04-01"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    // A subscription it does not serve is still unknown.
    let r = env
        .get(&format!(
            "{}/subscriptions/00000000-0000-4000-8000-0000000000ff/resourcegroups?api-version=2025-04-01",
            env.emu.url()
        ))
        .await;
    assert_eq!(r.code(), "SubscriptionNotFound");
}

#[tokio::test]
async fn extra_subscriptions_must_be_distinct_guids() {
    for bad in [
        vec!["nope".to_string()],
        vec![SECOND.into(), SECOND.to_uppercase()],
    ] {
        let config = EmulatorConfig {
            extra_subscriptions: bad,
            ..EmulatorConfig::default()
        };
        let err = azml_emulator::Emulator::start(config)
            .await
            .err()
            .expect("refused");
        assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
    }
}
