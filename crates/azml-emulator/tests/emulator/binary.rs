//! The `azml-emulator` binary: prints `export` lines, serves, stops on SIGTERM.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

#[test]
fn prints_its_environment_then_serves_until_terminated() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_azml-emulator"))
        .args(["--port", "0", "--latency", "instant", "--page-size", "5"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    let mut vars = Vec::new();
    while vars.len() < 6 {
        let line = lines.next().expect("an export line").unwrap();
        let rest = line.strip_prefix("export ").expect("export NAME=value");
        let (name, value) = rest.split_once('=').unwrap();
        vars.push((name.to_string(), value.to_string()));
    }
    let names: Vec<&str> = vars.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "AZURE_SUBSCRIPTION_ID",
            "AZURE_TENANT_ID",
            "AZURE_CLIENT_ID",
            "AZURE_CLIENT_SECRET",
            "AZURE_AUTHORITY_HOST",
            "AZML_ENDPOINT"
        ]
    );
    let endpoint = &vars[5].1;
    assert!(endpoint.starts_with("http://127.0.0.1:"));

    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let status = rt.block_on(async {
        crate::support::emulator::install_tls_provider();
        reqwest::Client::builder()
            .no_proxy()
            .build()
            .unwrap()
            .get(format!(
                "{endpoint}/{}/v2.0/.well-known/openid-configuration",
                vars[1].1
            ))
            .send()
            .await
            .unwrap()
            .status()
    });
    assert_eq!(status, reqwest::StatusCode::OK);

    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    for _ in 0..200 {
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.success(), "exits cleanly on SIGTERM: {status}");
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    child.kill().unwrap();
    panic!("the emulator did not stop on SIGTERM");
}

#[test]
fn rejects_bad_arguments() {
    let out = Command::new(env!("CARGO_BIN_EXE_azml-emulator"))
        .args(["--latency", "slow"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown latency profile"));
}
