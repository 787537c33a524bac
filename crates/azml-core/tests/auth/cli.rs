//! The Azure CLI credential against a fake `az` script (given by path; PATH is untouched).

use std::time::Duration;

use crate::support::auth::{script, TempDir};
use azml_core::auth::{azure_cli, map_credential_error, AzureCliCredential};
use azml_core::ErrorKind;
use azure_core::credentials::TokenCredential;

const SCOPE: &str = "https://management.azure.com/.default";

/// A fake az that appends its arguments to `calls` and prints a token valid `lifetime` s.
fn fake_az(dir: &TempDir, lifetime: i64) -> std::path::PathBuf {
    let calls = dir.join("calls");
    script(
        dir,
        "az",
        &format!(
            r#"echo "$@" >> '{calls}'
n=$(wc -l < '{calls}' | tr -d ' ')
exp=$(( $(date +%s) + {lifetime} ))
printf '{{"accessToken": "cli-token-%s", "expiresOn": "2000-01-01 00:00:00.000000", "expires_on": %s, "subscription": "s", "tenant": "t", "tokenType": "Bearer"}}\n' "$n" "$exp""#,
            calls = calls.display()
        ),
    )
}

fn calls(dir: &TempDir) -> Vec<String> {
    std::fs::read_to_string(dir.join("calls"))
        .unwrap_or_default()
        .lines()
        .map(str::to_string)
        .collect()
}

#[tokio::test]
async fn az_runs_once_per_token_lifetime() {
    let dir = TempDir::new();
    let az = fake_az(&dir, 3600);
    let cred = azure_cli(AzureCliCredential::with_program(&az));
    for _ in 0..5 {
        let t = cred.get_token(&[SCOPE], None).await.unwrap();
        assert_eq!(t.token.secret(), "cli-token-1");
        // expires_on wins over the (stale) local expiresOn.
        assert!(t.expires_on > time::OffsetDateTime::now_utc() + time::Duration::minutes(55));
    }
    assert_eq!(
        calls(&dir),
        ["account get-access-token --resource https://management.azure.com/ -o json"]
    );
    // Another resource is another token.
    cred.get_token(&["https://graph.microsoft.com/.default"], None)
        .await
        .unwrap();
    assert_eq!(calls(&dir).len(), 2);
}

#[tokio::test]
async fn tenant_is_passed_and_a_short_lived_token_is_reused() {
    let dir = TempDir::new();
    let az = fake_az(&dir, 60);
    let cred = AzureCliCredential::with_program(&az)
        .tenant("contoso.onmicrosoft.com")
        .unwrap();
    let cached = azure_cli(cred);
    // One minute left is inside the refresh window: the cache fetches again after half of it,
    // not on the very next call.
    cached.get_token(&[SCOPE], None).await.unwrap();
    cached.get_token(&[SCOPE], None).await.unwrap();
    assert_eq!(calls(&dir).len(), 1);
    assert!(calls(&dir)[0].contains("--tenant contoso.onmicrosoft.com"));
    assert!(AzureCliCredential::new().tenant("bad/tenant").is_err());
}

#[tokio::test]
async fn not_logged_in_says_to_run_az_login() {
    let dir = TempDir::new();
    let az = script(
        &dir,
        "az",
        "echo \"ERROR: Please run 'az login' to setup account.\" >&2\nexit 1",
    );
    let err = map_credential_error(
        AzureCliCredential::with_program(&az)
            .get_token(&[SCOPE], None)
            .await
            .unwrap_err(),
    );
    assert_eq!(err.kind, ErrorKind::Authentication);
    assert!(err.message.contains("az login"), "{}", err.message);
}

#[tokio::test]
async fn missing_az_hanging_az_and_garbage_are_clear_errors() {
    let dir = TempDir::new();
    let err = map_credential_error(
        AzureCliCredential::with_program(dir.join("no-az"))
            .get_token(&[SCOPE], None)
            .await
            .unwrap_err(),
    );
    assert!(err.message.contains("was not found"), "{}", err.message);

    let slow = script(&dir, "slow-az", "sleep 30");
    let err = map_credential_error(
        AzureCliCredential::with_program(&slow)
            .timeout(Duration::from_millis(300))
            .get_token(&[SCOPE], None)
            .await
            .unwrap_err(),
    );
    assert_eq!(err.kind, ErrorKind::Authentication);
    assert!(err.message.contains("did not finish"), "{}", err.message);

    let garbage = script(&dir, "garbage-az", "echo 'eyJsecret-looking garbage'");
    let err = map_credential_error(
        AzureCliCredential::with_program(&garbage)
            .get_token(&[SCOPE], None)
            .await
            .unwrap_err(),
    );
    assert!(err.message.contains("not JSON"), "{}", err.message);
    assert!(!err.message.contains("eyJsecret"), "{}", err.message);
}
