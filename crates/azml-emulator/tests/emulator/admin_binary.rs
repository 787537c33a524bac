//! The binary's `--fault` and `--throttle` flags, seen through the admin API.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

#[test]
fn fault_and_throttle_flags_are_in_force() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_azml-emulator"))
        .args([
            "--port",
            "0",
            "--latency",
            "instant",
            "--throttle",
            "scale=0.5",
            "--fault",
            "path=openid-configuration$;every=2;status=503;retry_after=4",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut endpoint = String::new();
    let mut tenant = String::new();
    for line in BufReader::new(stdout).lines().take(6) {
        let line = line.unwrap();
        if let Some(v) = line.strip_prefix("export AZML_ENDPOINT=") {
            endpoint = v.to_string();
        }
        if let Some(v) = line.strip_prefix("export AZURE_TENANT_ID=") {
            tenant = v.to_string();
        }
    }
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let result = rt.block_on(async {
        crate::support::emulator::install_tls_provider();
        let http = reqwest::Client::builder().no_proxy().build().unwrap();
        let oidc = format!("{endpoint}/{tenant}/v2.0/.well-known/openid-configuration");
        let first = http.get(&oidc).send().await.unwrap();
        let second = http.get(&oidc).send().await.unwrap();
        let retry = second
            .headers()
            .get("retry-after")
            .map(|v| v.to_str().unwrap().to_string());
        let faults: serde_json::Value = http
            .get(format!("{endpoint}/_emulator/faults"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let state: serde_json::Value = http
            .get(format!("{endpoint}/_emulator/state"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        (first.status(), second.status(), retry, faults, state)
    });
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    for _ in 0..200 {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    let (first, second, retry, faults, state) = result;
    assert_eq!(first, reqwest::StatusCode::OK);
    assert_eq!(second, reqwest::StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(retry.as_deref(), Some("4"));
    assert_eq!(faults["value"][0]["triggered"], 1);
    assert_eq!(faults["value"][0]["matched"], 2);
    assert_eq!(state["throttling"]["enabled"], true);
    assert_eq!(state["throttling"]["reads"]["capacity"], 125.0);
}
