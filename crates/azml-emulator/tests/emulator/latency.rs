//! The `realistic` latency profile: Azure's recorded durations, scaled by `time_scale`, seen
//! by advancing the emulator's clock.

use std::time::Duration;

use crate::support::emulator::{start_with, Env};
use azml_emulator::{EmulatorConfig, Latency};
use reqwest::StatusCode;

async fn realistic(time_scale: f64) -> Env {
    let env = start_with(EmulatorConfig {
        latency: Latency::Realistic,
        time_scale,
        ..EmulatorConfig::default()
    })
    .await;
    env.emu.freeze_clock();
    env
}

fn vault_url(env: &Env, rg: &str, name: &str) -> String {
    format!(
        "{}{}?api-version=2025-05-01",
        env.emu.url(),
        env.rid(rg, "Microsoft.KeyVault/vaults", name)
    )
}

#[tokio::test]
async fn key_vault_registers_dns_for_about_ten_seconds() {
    let env = realistic(1.0).await;
    env.group("rg-kv").await;
    let r = env.vault("rg-kv", "slow-kv").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["properties"]["provisioningState"], "RegisteringDns");
    env.emu.advance_clock(Duration::from_secs(9));
    let r = env.get(&vault_url(&env, "rg-kv", "slow-kv")).await;
    assert_eq!(r.body["properties"]["provisioningState"], "RegisteringDns");
    env.emu.advance_clock(Duration::from_secs(1));
    let r = env.get(&vault_url(&env, "rg-kv", "slow-kv")).await;
    assert_eq!(r.body["properties"]["provisioningState"], "Succeeded");
}

#[tokio::test]
async fn storage_account_creation_is_a_location_operation_of_about_twenty_seconds() {
    let env = realistic(1.0).await;
    env.group("rg-sa").await;
    let r = env.storage("rg-sa", "slowsa").await;
    assert_eq!(r.status, StatusCode::ACCEPTED);
    assert_eq!(r.header("retry-after").as_deref(), Some("17"));
    let location = r.header("location").unwrap();
    assert!(
        location.contains("/providers/Microsoft.Storage/locations/westeurope/asyncoperations/"),
        "{location}"
    );
    let url = format!(
        "{}{}?api-version=2025-01-01",
        env.emu.url(),
        env.rid("rg-sa", "Microsoft.Storage/storageAccounts", "slowsa")
    );
    let acct = env.get(&url).await;
    assert_eq!(acct.body["properties"]["provisioningState"], "Creating");
    env.emu.advance_clock(Duration::from_secs(19));
    let poll = env.get(&location).await;
    assert_eq!(poll.status, StatusCode::ACCEPTED);
    assert!(poll.header("location").is_some());
    env.emu.advance_clock(Duration::from_secs(1));
    let done = env.get(&location).await;
    assert_eq!(done.status, StatusCode::OK);
    assert_eq!(done.body["name"], "slowsa");
    assert_eq!(done.body["properties"]["provisioningState"], "Succeeded");
    // Updating an account that exists is synchronous.
    assert_eq!(env.storage("rg-sa", "slowsa").await.status, StatusCode::OK);
}

#[tokio::test]
async fn time_scale_stretches_workspace_creation_and_group_deletion() {
    let env = realistic(2.0).await;
    let body = env.dependents("rg-slow", "slow").await;
    let r = env.put(&env.ws_url("rg-slow", "ws-slow"), body).await;
    assert_eq!(r.status, StatusCode::ACCEPTED);
    let status_url = r.header("azure-asyncoperation").unwrap();
    // 30 s recorded, times 2.
    env.emu.advance_clock(Duration::from_secs(59));
    assert_eq!(env.get(&status_url).await.body["status"], "InProgress");
    let ws = env.get(&env.ws_url("rg-slow", "ws-slow")).await;
    assert_eq!(ws.body["properties"]["provisioningState"], "Creating");
    env.emu.advance_clock(Duration::from_secs(1));
    assert_eq!(env.get(&status_url).await.body["status"], "Succeeded");

    let r = env
        .delete(&env.url("/resourcegroups/rg-slow?api-version=2025-04-01"))
        .await;
    assert_eq!(r.status, StatusCode::ACCEPTED);
    // What ARM sends, not scaled: it is a polling hint.
    assert_eq!(r.header("retry-after").as_deref(), Some("15"));
    let location = r.header("location").unwrap();
    env.emu.advance_clock(Duration::from_secs(60));
    let poll = env.get(&location).await;
    assert_eq!(poll.status, StatusCode::ACCEPTED);
    assert_eq!(poll.header("retry-after").as_deref(), Some("15"));
    // 75 s recorded, times 2.
    env.emu.advance_clock(Duration::from_secs(90));
    assert_eq!(env.get(&location).await.status, StatusCode::OK);
    assert_eq!(
        env.get(&env.url("/resourcegroups/rg-slow?api-version=2025-04-01"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}
