//! ARM throttling in the emulator: token buckets per principal and kind of operation, and a
//! subscription-wide bucket; the clock is advanced rather than waited for.

use std::time::Duration;

use crate::support::emulator::{form, start_with, Env, Reply};
use azml_emulator::{EmulatorConfig, Latency, ThrottleConfig};
use reqwest::StatusCode;
use serde_json::json;

fn small(global_factor: f64) -> EmulatorConfig {
    // Reads: 5 tokens refilled 0.5/s; writes and deletes: 4 refilled 0.2/s.
    let mut t = ThrottleConfig::azure().scaled(0.02);
    t.global_factor = global_factor;
    EmulatorConfig {
        latency: Latency::Instant,
        throttling: Some(t),
        ..EmulatorConfig::default()
    }
}

fn num(r: &Reply, name: &str) -> u64 {
    r.header(name)
        .unwrap_or_else(|| panic!("no {name}"))
        .parse()
        .unwrap()
}

async fn list_groups(env: &Env, token: &str) -> Reply {
    let r = env
        .http
        .get(env.url("/resourcegroups?api-version=2025-04-01"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let status = r.status();
    let headers = r.headers().clone();
    let body = r.json().await.unwrap_or(json!(null));
    Reply {
        status,
        headers,
        body,
    }
}

async fn token_of(env: &Env, client_id: &str, secret: &str) -> String {
    let r = env
        .http
        .post(format!(
            "{}/{}/oauth2/v2.0/token",
            env.emu.url(),
            env.emu.tenant_id()
        ))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form(&[
            ("grant_type", "client_credentials"),
            ("client_id", client_id),
            ("client_secret", secret),
            ("scope", crate::support::emulator::ARM),
        ]))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let v: serde_json::Value = r.json().await.unwrap();
    v["access_token"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn reads_empty_the_bucket_then_429_until_refilled() {
    let env = start_with(small(15.0)).await;
    env.emu.freeze_clock();
    for left in (0..5u64).rev() {
        let r = list_groups(&env, &env.token).await;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(num(&r, "x-ms-ratelimit-remaining-subscription-reads"), left);
        assert_eq!(
            num(&r, "x-ms-ratelimit-remaining-subscription-global-reads"),
            70 + left
        );
        assert!(r
            .header("x-ms-ratelimit-remaining-subscription-writes")
            .is_none());
    }
    let r = list_groups(&env, &env.token).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(r.code(), "SubscriptionRequestsThrottled");
    // One token at 0.5 per second: 2 s.
    assert_eq!(r.header("retry-after").as_deref(), Some("2"));
    assert_eq!(num(&r, "x-ms-ratelimit-remaining-subscription-reads"), 0);

    // Writes have their own bucket, and a refused request is not executed.
    let r = env.group("rg-throttle").await;
    assert_eq!(num(&r, "x-ms-ratelimit-remaining-subscription-writes"), 3);
    assert_eq!(
        num(&r, "x-ms-ratelimit-remaining-subscription-global-writes"),
        59
    );

    env.emu.advance_clock(Duration::from_secs(1));
    assert_eq!(
        list_groups(&env, &env.token).await.status,
        StatusCode::TOO_MANY_REQUESTS
    );
    env.emu.advance_clock(Duration::from_secs(1));
    let r = list_groups(&env, &env.token).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["value"][0]["name"], "rg-throttle");
    env.emu.advance_clock(Duration::from_secs(60));
    let r = list_groups(&env, &env.token).await;
    assert_eq!(num(&r, "x-ms-ratelimit-remaining-subscription-reads"), 4);
}

#[tokio::test]
async fn deletes_are_counted_apart() {
    let env = start_with(small(15.0)).await;
    env.emu.freeze_clock();
    for i in 0..4 {
        let r = env
            .delete(&env.url(&format!("/resourcegroups/nope{i}?api-version=2025-04-01")))
            .await;
        assert_eq!(
            num(&r, "x-ms-ratelimit-remaining-subscription-deletes"),
            3 - i
        );
    }
    let r = env
        .delete(&env.url("/resourcegroups/nope?api-version=2025-04-01"))
        .await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    // 0.2 tokens per second: 5 s for one.
    assert_eq!(r.header("retry-after").as_deref(), Some("5"));
    assert_eq!(list_groups(&env, &env.token).await.status, StatusCode::OK);
}

#[tokio::test]
async fn principals_have_their_own_buckets_within_the_subscription_one() {
    // The subscription-wide bucket holds twice a principal's: 10 reads.
    let env = start_with(small(2.0)).await;
    env.emu.freeze_clock();
    let sub = format!("/subscriptions/{}", env.emu.subscription_id());
    for (app, secret) in [
        ("second-app", "second-secret"),
        ("third-app", "third-secret"),
    ] {
        let oid = env.emu.add_service_principal(app, secret);
        env.emu.assign_role(&oid, "Reader", &sub).unwrap();
    }
    let second = token_of(&env, "second-app", "second-secret").await;
    let third = token_of(&env, "third-app", "third-secret").await;
    for _ in 0..5 {
        assert_eq!(list_groups(&env, &env.token).await.status, StatusCode::OK);
    }
    assert_eq!(
        list_groups(&env, &env.token).await.status,
        StatusCode::TOO_MANY_REQUESTS
    );
    // Another principal still has its five, and takes them from the subscription's bucket.
    for left in (0..5u64).rev() {
        let r = list_groups(&env, &second).await;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(num(&r, "x-ms-ratelimit-remaining-subscription-reads"), left);
        assert_eq!(
            num(&r, "x-ms-ratelimit-remaining-subscription-global-reads"),
            left
        );
    }
    // A third principal has a full bucket of its own but the subscription's is empty.
    let r = list_groups(&env, &third).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(num(&r, "x-ms-ratelimit-remaining-subscription-reads"), 5);
    assert_eq!(
        num(&r, "x-ms-ratelimit-remaining-subscription-global-reads"),
        0
    );
    // The global bucket refills at 1/s.
    assert_eq!(r.header("retry-after").as_deref(), Some("1"));
    env.emu.advance_clock(Duration::from_secs(1));
    assert_eq!(list_groups(&env, &third).await.status, StatusCode::OK);
}

#[tokio::test]
async fn on_under_realistic_off_otherwise() {
    let env = start_with(EmulatorConfig {
        latency: Latency::Realistic,
        ..EmulatorConfig::default()
    })
    .await;
    assert_eq!(env.emu.throttling(), ThrottleConfig::azure());
    let r = list_groups(&env, &env.token).await;
    assert_eq!(num(&r, "x-ms-ratelimit-remaining-subscription-reads"), 249);
    assert_eq!(
        num(&r, "x-ms-ratelimit-remaining-subscription-global-reads"),
        3749
    );

    let env = start_with(EmulatorConfig {
        latency: Latency::Instant,
        throttling: Some(ThrottleConfig::off().scaled(0.02)),
        ..EmulatorConfig::default()
    })
    .await;
    assert!(!env.emu.throttling().enabled);
    for _ in 0..5 {
        let r = list_groups(&env, &env.token).await;
        assert_eq!(r.status, StatusCode::OK);
    }
    let r = list_groups(&env, &env.token).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(num(&r, "x-ms-ratelimit-remaining-subscription-reads"), 0);
}
