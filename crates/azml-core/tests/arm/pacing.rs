//! Pacing instead of throttling: a fan-out of concurrent reads against the emulator's ARM
//! throttling runs at the bucket's rate and is never answered 429, where the same fan-out
//! without pacing is. Proved through the emulator's journal (counts, not timings).

use std::sync::Arc;
use std::time::Duration;

use azml_core::arm::{ArmClient, ArmConfig, PacingConfig, RetryPolicy};
use azml_core::ErrorKind;
use azml_emulator::{Bucket, Emulator, EmulatorConfig, Latency, ThrottleConfig};
use azure_core::credentials::TokenCredential;
use serde_json::json;

/// A bucket small and fast enough that the test takes seconds: 100 tokens refilled 100/s.
/// Not smaller: the client keeps a fifth of the capacity in hand for requests that a loaded
/// machine delivers in bunches, and 20 tokens left only 4 (the test then failed under load).
const CAPACITY: f64 = 100.0;
const REFILL: f64 = 100.0;
const FAN_OUT: usize = 500;
const RG_API: &str = "2025-04-01";

async fn emulator() -> Emulator {
    let b = Bucket {
        capacity: CAPACITY,
        refill_per_sec: REFILL,
    };
    Emulator::start(EmulatorConfig {
        latency: Latency::Instant,
        throttling: Some(ThrottleConfig {
            enabled: true,
            reads: b,
            writes: b,
            deletes: b,
            global_factor: 15.0,
        }),
        ..EmulatorConfig::default()
    })
    .await
    .expect("emulator starts")
}

fn credential(emu: &Emulator) -> Arc<dyn TokenCredential> {
    azml_core::auth::client_secret(
        &emu.url(),
        emu.tenant_id(),
        emu.client_id(),
        emu.client_secret(),
        None,
    )
    .expect("credential")
}

fn client(emu: &Emulator, pacing: PacingConfig, retry: RetryPolicy) -> ArmClient {
    let mut config = ArmConfig::new(emu.url());
    config.pacing = pacing;
    config.poll_interval = Duration::from_millis(20);
    ArmClient::with_retry_policy(config, credential(emu), retry).expect("client")
}

fn group_path(emu: &Emulator) -> String {
    format!(
        "/subscriptions/{}/resourcegroups/rg-pace",
        emu.subscription_id()
    )
}

async fn make_group(emu: &Emulator) {
    let raw = client(emu, PacingConfig::off(), RetryPolicy::default());
    raw.put(&group_path(emu), RG_API, &json!({"location": "eastus"}))
        .await
        .expect("group create");
}

fn throttled(emu: &Emulator) -> usize {
    emu.journal()
        .iter()
        .filter(|e| e.status == Some(429))
        .count()
}

fn reads_answered(emu: &Emulator) -> usize {
    emu.journal()
        .iter()
        .filter(|e| e.method == "GET" && e.status == Some(200) && e.path.contains("rg-pace"))
        .count()
}

async fn fan_out(
    arm: &ArmClient,
    path: &str,
    n: usize,
) -> Vec<azml_core::Result<serde_json::Value>> {
    let calls = (0..n).map(|_| {
        let arm = arm.clone();
        let path = path.to_string();
        async move { arm.get(&path, RG_API).await }
    });
    futures::future::join_all(calls).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paced_fan_out_is_never_throttled() {
    let emu = emulator().await;
    make_group(&emu).await;
    emu.clear_journal();
    // No retries: a 429 would surface as an error as well as in the journal.
    let arm = client(
        &emu,
        PacingConfig::uniform(CAPACITY, REFILL),
        RetryPolicy::none(),
    );
    let results = fan_out(&arm, &group_path(&emu), FAN_OUT).await;
    let failed: Vec<_> = results.iter().filter_map(|r| r.as_ref().err()).collect();
    assert!(
        failed.is_empty(),
        "{} failed: {:?}",
        failed.len(),
        failed.first()
    );
    assert_eq!(throttled(&emu), 0, "the emulator answered 429");
    assert_eq!(reads_answered(&emu), FAN_OUT);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_pacing_the_same_fan_out_is_throttled() {
    let emu = emulator().await;
    make_group(&emu).await;
    emu.clear_journal();
    let arm = client(&emu, PacingConfig::off(), RetryPolicy::none());
    let results = fan_out(&arm, &group_path(&emu), FAN_OUT).await;
    let refused = results
        .iter()
        .filter(|r| matches!(r, Err(e) if e.kind == ErrorKind::Throttled))
        .count();
    let ok = results.iter().filter(|r| r.is_ok()).count();
    assert_eq!(ok + refused, FAN_OUT);
    assert!(refused > 0, "no request was throttled");
    assert_eq!(throttled(&emu), refused);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pacing_learns_a_bucket_someone_else_emptied() {
    let emu = emulator().await;
    make_group(&emu).await;
    // Another client of the same principal (pacing off) empties the read bucket.
    let other = client(&emu, PacingConfig::off(), RetryPolicy::none());
    for _ in 0..50 {
        let _ = fan_out(&other, &group_path(&emu), 2 * CAPACITY as usize).await;
        if throttled(&emu) > 0 {
            break;
        }
    }
    assert!(throttled(&emu) > 0, "the bucket was not emptied");
    emu.clear_journal();
    // A fresh paced client knows nothing of that: it sends one request alone, learns the
    // level from its answer (that one may well be a 429, retried after its Retry-After) and
    // paces the rest by it.
    let arm = client(
        &emu,
        PacingConfig::uniform(CAPACITY, REFILL),
        RetryPolicy::default(),
    );
    let results = fan_out(&arm, &group_path(&emu), 100).await;
    assert!(results.iter().all(Result::is_ok));
    assert!(
        throttled(&emu) <= 1,
        "{} requests answered 429 after the first",
        throttled(&emu)
    );
    assert_eq!(reads_answered(&emu), 100);
}

#[tokio::test]
async fn invalid_pacing_is_refused_before_any_request() {
    let emu = emulator().await;
    let mut config = ArmConfig::new(emu.url());
    config.pacing = PacingConfig::uniform(0.0, 1.0);
    let err = ArmClient::new(config, credential(&emu)).unwrap_err();
    assert_eq!(err.kind, ErrorKind::Validation);
    assert!(emu.journal().is_empty());
}
