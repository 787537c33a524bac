//! Emulator behaviour that Azure's own clients showed to be wrong (tests/conformance), pinned
//! here so that the Rust suite catches a regression without the Python SDKs.

use crate::support::emulator::start;
use azml_emulator::Latency;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn resync_keys_is_synchronous_before_2021() {
    let env = start(Latency::Instant).await;
    let body = env.dependents("rg", "rs").await;
    let url = format!(
        "{}{}",
        env.emu.url(),
        env.rid("rg", "Microsoft.MachineLearningServices/workspaces", "wsr")
    );
    let r = env
        .put(&format!("{url}?api-version=2020-08-01"), body)
        .await;
    assert!(r.status.is_success(), "{:?} {}", r.status, r.body);

    let keys = |v: &str| format!("{url}/listKeys?api-version={v}");
    let before = env.post(&keys("2020-08-01"), json!({})).await;
    let r = env
        .post(
            &format!("{url}/resyncKeys?api-version=2020-08-01"),
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.header("location").is_none());
    assert!(r.header("azure-asyncoperation").is_none());
    let after = env.post(&keys("2020-08-01"), json!({})).await;
    assert_ne!(
        before.body["notebookAccessKeys"]["primaryAccessKey"],
        after.body["notebookAccessKeys"]["primaryAccessKey"]
    );

    // Later versions keep the long-running contract.
    let r = env
        .post(
            &format!("{url}/resyncKeys?api-version=2021-07-01"),
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::ACCEPTED);
    assert!(r.header("azure-asyncoperation").is_some());
}

#[tokio::test]
async fn create_echoes_shared_private_link_resources() {
    // As the 2021-07-01 spec example of a workspace create answers.
    let env = start(Latency::Instant).await;
    let mut body = env.dependents("rg", "sp").await;
    let shared = json!([{
        "name": "testdbresource",
        "properties": {
            "privateLinkResourceId": "/subscriptions/x/resourceGroups/rg/providers/Microsoft.DocumentDB/databaseAccounts/db/privateLinkResources/Sql",
            "groupId": "Sql",
            "requestMessage": "Please approve",
            "status": "Approved",
        },
    }]);
    body["properties"]["sharedPrivateLinkResources"] = shared.clone();
    let url = env.ws_url("rg", "wss");
    let r = env.put(&url, body).await;
    assert!(r.status.is_success(), "{:?} {}", r.status, r.body);
    let r = env.get(&url).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["properties"]["sharedPrivateLinkResources"], shared);
}

#[tokio::test]
async fn cloud_metadata_2022_09_01_is_one_object() {
    // `az cloud register --endpoint-resource-manager` reads this version as an object; the
    // 2019-05-01 … 2020-06-01 versions answer a list of clouds.
    let env = start(Latency::Instant).await;
    let get = |v: &'static str| {
        let url = format!("{}/metadata/endpoints?api-version={v}", env.emu.url());
        let http = env.http.clone();
        async move {
            let r = http.get(url).send().await.unwrap();
            assert_eq!(r.status(), StatusCode::OK);
            r.json::<serde_json::Value>().await.unwrap()
        }
    };
    let one = get("2022-09-01").await;
    assert_eq!(one["resourceManager"], format!("{}/", env.emu.url()));
    assert_eq!(one["authentication"]["loginEndpoint"], env.emu.url());
    assert_eq!(one["suffixes"]["keyVaultDns"], "vault.azure.net");
    let listed = get("2020-06-01").await;
    assert_eq!(listed[0]["name"], one["name"]);
}
