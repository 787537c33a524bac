//! Resource-provider registration: a namespace the subscription has not registered answers
//! 409 `MissingSubscriptionRegistration` until `POST …/providers/{ns}/register`.

use std::time::Duration;

use crate::support::emulator::{sign_in, start, start_with, Env, ARM};
use azml_emulator::{Emulator, EmulatorConfig, Latency};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

const ML: &str = "Microsoft.MachineLearningServices";

fn provider_url(env: &Env, ns: &str, verb: Option<&str>) -> String {
    let verb = verb.map(|v| format!("/{v}")).unwrap_or_default();
    env.url(&format!("/providers/{ns}{verb}?api-version=2025-04-01"))
}

async fn state(env: &Env, ns: &str) -> String {
    let r = env.get(&provider_url(env, ns, None)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.body["registrationState"].as_str().unwrap().to_string()
}

fn ws_list_url(env: &Env) -> String {
    env.url("/providers/Microsoft.MachineLearningServices/workspaces?api-version=2025-12-01")
}

async fn admin(env: &Env, method: Method, path: &str) -> (StatusCode, Value) {
    let r = env
        .http
        .request(method, format!("{}/_emulator/{path}", env.emu.url()))
        .send()
        .await
        .unwrap();
    let status = r.status();
    (status, r.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn every_namespace_starts_registered() {
    let env = start(Latency::Instant).await;
    let r = env.get(&env.url("/providers?api-version=2025-04-01")).await;
    let value = r.body["value"].as_array().unwrap();
    assert!(value.len() >= 7);
    for p in value {
        assert_eq!(p["registrationState"], "Registered", "{p}");
    }
    let policy = |ns: &str| {
        value
            .iter()
            .find(|p| p["namespace"] == ns)
            .map(|p| p["registrationPolicy"].clone())
            .unwrap()
    };
    assert_eq!(policy("Microsoft.Resources"), "RegistrationFree");
    assert_eq!(policy(ML), "RegistrationRequired");
}

#[tokio::test]
async fn unregistered_namespace_answers_409_until_registered() {
    let env = start(Latency::Instant).await;
    env.group("rg").await;
    let (status, body) = admin(&env, Method::POST, &format!("providers/{ML}/unregister")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["registrationState"], "NotRegistered");
    assert_eq!(state(&env, ML).await, "NotRegistered");

    let message = format!(
        "The subscription is not registered to use namespace '{ML}'. See \
         https://aka.ms/rps-not-found for how to register subscriptions."
    );
    for r in [
        env.get(&env.ws_url("rg", "ws1")).await,
        env.put(&env.ws_url("rg", "ws1"), json!({"location": "westeurope"}))
            .await,
        env.get(&ws_list_url(&env)).await,
    ] {
        assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
        assert_eq!(
            r.body,
            json!({"error": {
                "code": "MissingSubscriptionRegistration",
                "message": message,
                "details": [{"code": "MissingSubscriptionRegistration", "target": ML, "message": message}],
            }})
        );
    }
    // Other namespaces are untouched.
    assert_eq!(env.storage("rg", "stillfine1").await.status, StatusCode::OK);

    let r = env
        .post(&provider_url(&env, ML, Some("register")), json!({}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["namespace"], ML);
    // `instant`: registered at once.
    assert_eq!(r.body["registrationState"], "Registered");
    assert_eq!(env.get(&ws_list_url(&env)).await.status, StatusCode::OK);
}

#[tokio::test]
async fn registering_and_unregistering_take_a_while() {
    let env = start(Latency::Fast).await;
    env.emu.freeze_clock();
    env.emu.set_provider_registered(ML, false).unwrap();

    let r = env
        .post(&provider_url(&env, ML, Some("register")), json!({}))
        .await;
    assert_eq!(r.body["registrationState"], "Registering");
    assert_eq!(state(&env, ML).await, "Registering");
    assert_eq!(
        env.get(&ws_list_url(&env)).await.code(),
        "MissingSubscriptionRegistration"
    );
    env.emu.advance_clock(Duration::from_secs(1));
    assert_eq!(state(&env, ML).await, "Registered");
    assert_eq!(env.get(&ws_list_url(&env)).await.status, StatusCode::OK);
    // Registering what is registered changes nothing.
    let r = env
        .post(&provider_url(&env, ML, Some("register")), json!({}))
        .await;
    assert_eq!(r.body["registrationState"], "Registered");

    let r = env
        .post(&provider_url(&env, ML, Some("unregister")), json!({}))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["registrationState"], "Unregistering");
    env.emu.advance_clock(Duration::from_secs(1));
    assert_eq!(state(&env, ML).await, "Unregistered");
    assert_eq!(
        env.get(&ws_list_url(&env)).await.code(),
        "MissingSubscriptionRegistration"
    );
}

#[tokio::test]
async fn registration_is_authorized_and_validated() {
    let env = start(Latency::Instant).await;
    let r = env
        .http
        .post(format!("{}/_emulator/servicePrincipals", env.emu.url()))
        .json(&json!({"appId": "reg-app", "secret": "reg-secret"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let sp = r.json::<Value>().await.unwrap();
    assert!(sp["objectId"].is_string());
    let token = sign_in(&env.http, &env.emu, "reg-app", "reg-secret", ARM).await;
    let r = env
        .send_as(
            &token,
            Method::POST,
            &provider_url(&env, ML, Some("register")),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(
        r.message().contains(&format!(
            "'{ML}/register/action' over scope '/subscriptions/{}'",
            env.sub()
        )),
        "{}",
        r.message()
    );

    let r = env
        .post(
            &provider_url(&env, "Microsoft.Nothing", Some("register")),
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.code(), "InvalidResourceNamespace");
    let r = env
        .post(
            &provider_url(&env, "Microsoft.Resources", Some("unregister")),
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(state(&env, "Microsoft.Resources").await, "Registered");

    let (status, _) = admin(&env, Method::POST, "providers/Microsoft.Nothing/unregister").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = admin(
        &env,
        Method::POST,
        "providers/Microsoft.Authorization/unregister",
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, body) = admin(&env, Method::GET, "providers").await;
    assert_eq!(status, StatusCode::OK);
    assert!(body["value"]
        .as_array()
        .unwrap()
        .iter()
        .all(|p| p["registrationState"] == "Registered"));
}

#[tokio::test]
async fn namespaces_can_start_unregistered() {
    let env = start_with(EmulatorConfig {
        latency: Latency::Instant,
        unregistered: vec!["microsoft.keyvault".into()],
        ..EmulatorConfig::default()
    })
    .await;
    assert_eq!(state(&env, "Microsoft.KeyVault").await, "NotRegistered");
    env.group("rg").await;
    let r = env.vault("rg", "kv-unreg").await;
    assert_eq!(r.code(), "MissingSubscriptionRegistration");
    assert!(r.message().contains("'Microsoft.KeyVault'"));

    let err = Emulator::start(EmulatorConfig {
        unregistered: vec!["Microsoft.Nothing".into()],
        ..EmulatorConfig::default()
    })
    .await
    .err()
    .expect("an unknown namespace is refused");
    assert!(err.to_string().contains("Microsoft.Nothing"));
}
