//! The opt-in token cache file: mode 0600, reuse across credential instances, keyed by
//! identity and scope, written atomically.

use std::os::unix::fs::PermissionsExt as _;

use crate::support::auth::TempDir;
use crate::support::mock_arm::*;
use azml_core::auth::{persistent, ClientSecretCredential};
use azure_core::credentials::TokenCredential;
use serde_json::json;

const SCOPE: &str = "https://management.azure.com/.default";
const SECRET: &str = "Persist-Secret-000";

async fn authority() -> Mock {
    mock(|r| {
        reply(
            200,
            &[],
            Some(json!({"access_token": format!("file-token-{}", r.n), "expires_in": 3600})),
        )
    })
    .await
}

fn cred(base: &str, client: &str, file: &std::path::Path) -> std::sync::Arc<dyn TokenCredential> {
    let inner = ClientSecretCredential::new(base, "tenant-1", client, SECRET, None).unwrap();
    persistent(inner, file, base, "tenant-1", client)
}

#[tokio::test]
async fn tokens_are_shared_through_a_private_file() {
    let server = authority().await;
    let dir = TempDir::new();
    let file = dir.join("sub/tokens.json");
    let a = cred(&server.base, "app-1", &file);
    assert_eq!(
        a.get_token(&[SCOPE], None).await.unwrap().token.secret(),
        "file-token-0"
    );
    let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "{mode:o}");
    let debug = format!("{a:?}");
    assert!(
        !debug.contains(SECRET) && !debug.contains("file-token"),
        "{debug}"
    );

    // A new instance (a new process, in effect) finds the token in the file.
    let b = cred(&server.base, "app-1", &file);
    assert_eq!(
        b.get_token(&[SCOPE], None).await.unwrap().token.secret(),
        "file-token-0"
    );
    assert_eq!(server.count(), 1);

    // Another client or another scope is another entry; both survive in the file.
    let c = cred(&server.base, "app-2", &file);
    assert_eq!(
        c.get_token(&[SCOPE], None).await.unwrap().token.secret(),
        "file-token-1"
    );
    b.get_token(&["https://graph.microsoft.com/.default"], None)
        .await
        .unwrap();
    assert_eq!(server.count(), 3);
    let doc: serde_json::Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    let keys: Vec<&String> = doc["tokens"].as_object().unwrap().keys().collect();
    assert_eq!(keys.len(), 3, "{keys:?}");
    assert!(keys.iter().all(|k| k.contains("|tenant-1|")), "{keys:?}");
    assert!(!std::fs::read_to_string(&file).unwrap().contains(SECRET));
    // No temporary files are left beside it.
    let names: Vec<_> = std::fs::read_dir(file.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["tokens.json"]);
}

#[tokio::test]
async fn a_corrupt_or_expired_file_means_asking_again() {
    let server = authority().await;
    let dir = TempDir::new();
    let file = dir.join("tokens.json");
    std::fs::write(&file, "{not json").unwrap();
    let a = cred(&server.base, "app-1", &file);
    a.get_token(&[SCOPE], None).await.unwrap();
    assert_eq!(server.count(), 1);
    // An entry near expiry is not used.
    let mut doc: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    for (_, e) in doc["tokens"].as_object_mut().unwrap() {
        e["expires_on"] = json!(time::OffsetDateTime::now_utc().unix_timestamp() + 60);
    }
    std::fs::write(&file, doc.to_string()).unwrap();
    let b = cred(&server.base, "app-1", &file);
    assert_eq!(
        b.get_token(&[SCOPE], None).await.unwrap().token.secret(),
        "file-token-1"
    );
    assert_eq!(server.count(), 2);
}
