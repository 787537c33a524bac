//! Fan-out throughput with and without pacing, against the emulator's ARM throttling.
//!
//! N concurrent GETs of one resource group, the read bucket being 50 tokens refilled 250/s
//! (ARM's 250 refilled 25/s, made smaller and faster so that a run takes seconds). Three
//! clients: paced; unpaced with the default retry policy (4 tries, Retry-After honoured);
//! unpaced with a patient policy (20 tries). For each: wall time, calls that succeeded and
//! failed, requests the emulator saw, and how many it answered 429.
//!
//!     cargo bench --bench pacing                 # optimised build
//!     cargo test --bench pacing                  # same, debug build (no release compile)
//!     BENCH_N=2000 cargo bench --bench pacing
//!
//! Not a pass/fail test: the numbers go into the report.

use std::time::{Duration, Instant};

use azml_core::arm::{ArmClient, ArmConfig, PacingConfig, RetryPolicy};
use azml_emulator::{Bucket, Emulator, EmulatorConfig, Latency, ThrottleConfig};
use serde_json::json;

const CAPACITY: f64 = 50.0;
const REFILL: f64 = 250.0;

async fn run(name: &str, pacing: PacingConfig, retry: RetryPolicy, n: usize) {
    let b = Bucket {
        capacity: CAPACITY,
        refill_per_sec: REFILL,
    };
    let emu = Emulator::start(EmulatorConfig {
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
    .expect("emulator");
    let cred = azml_core::auth::client_secret(
        &emu.url(),
        emu.tenant_id(),
        emu.client_id(),
        emu.client_secret(),
        None,
    )
    .expect("credential");
    let mut config = ArmConfig::new(emu.url());
    config.pacing = pacing;
    let arm = ArmClient::with_retry_policy(config, cred, retry).expect("client");
    let path = format!(
        "/subscriptions/{}/resourcegroups/rg-bench",
        emu.subscription_id()
    );
    arm.put(&path, "2025-04-01", &json!({"location": "eastus"}))
        .await
        .expect("group");
    // A full bucket for every run.
    tokio::time::sleep(Duration::from_secs_f64(CAPACITY / REFILL + 0.1)).await;
    emu.clear_journal();
    let started = Instant::now();
    let calls = (0..n).map(|_| {
        let arm = arm.clone();
        let path = path.clone();
        async move { arm.get(&path, "2025-04-01").await.is_ok() }
    });
    let results = futures::future::join_all(calls).await;
    let took = started.elapsed();
    let ok = results.iter().filter(|r| **r).count();
    let journal = emu.journal();
    let throttled = journal.iter().filter(|e| e.status == Some(429)).count();
    println!(
        "{name:<28} n={n:<5} {:>7.2} s  {:>7.1} ok/s  ok={ok:<5} failed={:<5} requests={:<5} 429s={throttled}",
        took.as_secs_f64(),
        ok as f64 / took.as_secs_f64(),
        n - ok,
        journal.len(),
    );
}

fn main() {
    let n: usize = std::env::var("BENCH_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    println!(
        "read bucket {CAPACITY} tokens refilled {REFILL}/s; ideal: {:.2} s for {n} reads",
        (n as f64 - CAPACITY).max(0.0) / REFILL
    );
    rt.block_on(async {
        run(
            "paced",
            PacingConfig::uniform(CAPACITY, REFILL),
            RetryPolicy::default(),
            n,
        )
        .await;
        run(
            "unpaced, 4 tries",
            PacingConfig::off(),
            RetryPolicy::default(),
            n,
        )
        .await;
        run(
            "unpaced, 20 tries",
            PacingConfig::off(),
            RetryPolicy {
                max_attempts: 20,
                ..RetryPolicy::default()
            },
            n,
        )
        .await;
    });
}
