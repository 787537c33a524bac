//! `EmulatorConfig::state_file`: what was created survives a restart.

mod emulator_support;

use std::time::Duration;

use _azml::emulator::{EmulatorConfig, Latency};
use emulator_support::start_with;
use reqwest::StatusCode;

#[tokio::test]
async fn state_survives_a_restart() {
    let dir = std::env::temp_dir().join(format!("azml-emulator-state-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("state.json");
    let _ = std::fs::remove_file(&file);
    let config = EmulatorConfig {
        latency: Latency::Instant,
        state_file: Some(file.clone()),
        ..EmulatorConfig::default()
    };

    let env = start_with(config.clone()).await;
    let body = env.dependents("Kept-RG", "kept").await;
    let r = env.put(&env.ws_url("kept-rg", "kept-ws"), body).await;
    assert_eq!(r.status, StatusCode::ACCEPTED);
    let before = env.get(&env.ws_url("kept-rg", "kept-ws")).await.body;
    env.emu.stop(Duration::from_secs(1)).await;
    assert!(file.exists());

    let env = start_with(config).await;
    let r = env
        .get(&env.url("/resourcegroups/kept-rg?api-version=2025-04-01"))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["name"], "Kept-RG");
    let after = env.get(&env.ws_url("kept-rg", "kept-ws")).await.body;
    assert_eq!(after, before);
    // Global names stay taken.
    env.group("elsewhere").await;
    assert_eq!(
        env.storage("elsewhere", "keptsa").await.status,
        StatusCode::CONFLICT
    );
    env.emu.stop(Duration::from_secs(1)).await;

    // A corrupt file is an error, not a silent reset.
    std::fs::write(&file, b"{not json").unwrap();
    let err = _azml::emulator::Emulator::start(EmulatorConfig {
        state_file: Some(file.clone()),
        ..EmulatorConfig::default()
    })
    .await;
    assert!(err.is_err());
    let _ = std::fs::remove_dir_all(&dir);
}
