//! Azure ML workspaces on the emulator, as the recorded service behaves.

use std::time::Duration;

use crate::support::emulator::{start, start_with, Env};
use azml_emulator::{EmulatorConfig, Latency};
use reqwest::StatusCode;
use serde_json::{json, Value};

/// PUT/PATCH/DELETE answer 202, empty, with both operation URLs; returns the async one.
fn assert_accepted(env: &Env, r: &crate::support::emulator::Reply, location: &str) -> String {
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.body);
    assert_eq!(r.body, Value::Null, "empty body");
    let async_url = r
        .header("azure-asyncoperation")
        .expect("Azure-AsyncOperation");
    let location_url = r.header("location").expect("Location");
    let prefix = format!(
        "{}/subscriptions/{}/providers/Microsoft.MachineLearningServices/locations/{location}/workspaceOperationsStatus/",
        env.emu.url(),
        env.sub()
    );
    assert!(async_url.starts_with(&prefix), "{async_url}");
    assert!(
        async_url.ends_with("?api-version=2025-12-01&type=async"),
        "{async_url}"
    );
    assert_eq!(
        location_url.replace("type=location", "type=async"),
        async_url
    );
    async_url
}

async fn create(env: &Env, rg: &str, name: &str, body: Value) -> Value {
    let r = env.put(&env.ws_url(rg, name), body).await;
    let op = assert_accepted(env, &r, "westeurope");
    let status = env.wait_async(&op).await;
    assert_eq!(
        status,
        json!({"status": "Succeeded", "percentComplete": 100.0})
    );
    let r = env.get(&env.ws_url(rg, name)).await;
    assert_eq!(r.status, StatusCode::OK);
    r.body
}

#[tokio::test]
async fn create_polls_to_succeeded_and_fills_server_fields() {
    let env = start(Latency::Fast).await;
    let body = env.dependents("ML-RG", "mlrg").await;
    let ws = create(&env, "ml-rg", "My_Workspace-1", body).await;

    let id = env.rid(
        "ML-RG",
        "Microsoft.MachineLearningServices/workspaces",
        "My_Workspace-1",
    );
    assert_eq!(ws["id"], id.as_str());
    assert_eq!(ws["name"], "My_Workspace-1");
    assert_eq!(ws["type"], "Microsoft.MachineLearningServices/workspaces");
    assert_eq!(ws["location"], "westeurope");
    assert_eq!(ws["tags"], json!({"team": "ml"}));
    assert_eq!(ws["sku"], json!({"name": "Basic", "tier": "Basic"}));
    assert_eq!(ws["kind"], "Default");
    let p = &ws["properties"];
    assert_eq!(p["provisioningState"], "Succeeded");
    assert_eq!(p["friendlyName"], "My workspace");
    assert_eq!(p["tenantId"], env.emu.tenant_id());
    assert_eq!(p["workspaceId"].as_str().unwrap().len(), 36);
    assert_eq!(
        p["discoveryUrl"],
        "https://westeurope.api.azureml.ms/discovery"
    );
    assert_eq!(
        p["mlFlowTrackingUri"],
        format!("azureml://westeurope.api.azureml.ms/mlflow/v1.0{id}")
    );
    assert!(p["notebookInfo"]["fqdn"]
        .as_str()
        .unwrap()
        .ends_with(".westeurope.notebooks.azure.net"));
    assert_eq!(p["privateLinkCount"], 0);
    assert_eq!(p["publicNetworkAccess"], "Enabled");
    assert_eq!(p["hbiWorkspace"], false);
    assert_eq!(p["v1LegacyMode"], false);
    assert_eq!(p["storageHnsEnabled"], false);
    assert!(p["creationTime"].is_string());
    // Linked ids come back with the service's own casing: compare them without case.
    assert!(p["keyVault"]
        .as_str()
        .unwrap()
        .contains("/providers/Microsoft.Keyvault/vaults/"));
    assert!(p["storageAccount"]
        .as_str()
        .unwrap()
        .eq_ignore_ascii_case(&env.rid("ml-rg", "Microsoft.Storage/storageAccounts", "mlrgsa")));
    assert_eq!(ws["identity"]["type"], "SystemAssigned");
    assert_eq!(ws["identity"]["principalId"].as_str().unwrap().len(), 36);
    assert_eq!(ws["identity"]["tenantId"], env.emu.tenant_id());
    assert_eq!(ws["systemData"]["createdBy"], env.emu.client_id());

    // The service gives the workspace's identity access to its vault.
    let kv = env
        .get(&format!(
            "{}{}?api-version=2025-05-01",
            env.emu.url(),
            env.rid("ml-rg", "Microsoft.KeyVault/vaults", "mlrg-kv")
        ))
        .await;
    assert!(kv.body["properties"]["accessPolicies"]
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p["objectId"] == ws["identity"]["principalId"]));

    // Case-insensitive lookup, casing of creation preserved.
    let r = env
        .get(&format!(
            "{}/subscriptions/{}/resourcegroups/ml-rg/providers/microsoft.machinelearningservices/WORKSPACES/my_workspace-1?api-version=2025-12-01",
            env.emu.url(),
            env.sub()
        ))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["name"], "My_Workspace-1");
}

#[tokio::test]
async fn operations_run_for_a_while_under_realistic_latency() {
    let env = start_with(EmulatorConfig {
        latency: Latency::Realistic,
        ..EmulatorConfig::default()
    })
    .await;
    let body = env.dependents("rg", "rl").await;
    let r = env.put(&env.ws_url("rg", "slow"), body).await;
    let op = assert_accepted(&env, &r, "westeurope");
    let location = r.header("location").unwrap();
    assert_eq!(r.header("retry-after"), None, "recorded: no Retry-After");

    assert_eq!(env.get(&op).await.body, json!({"status": "InProgress"}));
    let r = env.get(&location).await;
    assert_eq!(r.status, StatusCode::ACCEPTED);
    assert!(r.header("azure-asyncoperation").is_some());
    let r = env.get(&env.ws_url("rg", "slow")).await;
    assert_eq!(r.body["properties"]["provisioningState"], "Creating");

    env.emu.advance_clock(Duration::from_secs(31));
    assert_eq!(
        env.get(&op).await.body,
        json!({"status": "Succeeded", "percentComplete": 100.0})
    );
    let r = env.get(&location).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["properties"]["provisioningState"], "Succeeded");
}

#[tokio::test]
async fn create_validates_its_input() {
    let env = start(Latency::Instant).await;
    let body = env.dependents("rg", "val").await;
    for bad in ["ab", "_ws", "with.dot", &"w".repeat(34)] {
        let r = env.put(&env.ws_url("rg", bad), body.clone()).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{bad}");
    }
    let r = env.put(&env.ws_url("nogroup", "ws1"), body.clone()).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.code(), "ResourceGroupNotFound");

    let mut missing = body.clone();
    missing["properties"]["keyVault"] =
        json!(env.rid("rg", "Microsoft.KeyVault/vaults", "nosuchvault"));
    let r = env.put(&env.ws_url("rg", "ws1"), missing).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.message().contains("nosuchvault"), "{}", r.message());

    let mut no_storage = body.clone();
    no_storage["properties"]
        .as_object_mut()
        .unwrap()
        .remove("storageAccount");
    let r = env.put(&env.ws_url("rg", "ws1"), no_storage).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.message().contains("storageAccount"));

    // A premium account cannot be a workspace's default storage.
    let r = env
        .put(
            &format!(
                "{}{}?api-version=2025-01-01",
                env.emu.url(),
                env.rid("rg", "Microsoft.Storage/storageAccounts", "valpremium")
            ),
            json!({"location": "westeurope", "sku": {"name": "Premium_LRS"}, "kind": "StorageV2"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let mut premium = body.clone();
    premium["properties"]["storageAccount"] =
        json!(env.rid("rg", "Microsoft.Storage/storageAccounts", "valpremium"));
    let r = env.put(&env.ws_url("rg", "ws1"), premium).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);

    let mut no_location = body.clone();
    no_location.as_object_mut().unwrap().remove("location");
    let r = env.put(&env.ws_url("rg", "ws1"), no_location).await;
    assert_eq!(r.code(), "LocationRequired");

    // Nothing was created by the refused requests.
    let r = env.get(&env.ws_url("rg", "ws1")).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(
        r.message(),
        "The Resource 'Microsoft.MachineLearningServices/workspaces/ws1' under resource group 'rg' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix"
    );
}

#[tokio::test]
async fn patch_updates_what_may_change() {
    let env = start(Latency::Fast).await;
    let body = env.dependents("rg", "pt").await;
    let before = create(&env, "rg", "wsa", body.clone()).await;

    let r = env
        .patch(
            &env.ws_url("rg", "wsa"),
            json!({
                "tags": {"new": "tag"},
                "properties": {
                    "description": "changed",
                    "friendlyName": "Renamed",
                    "publicNetworkAccess": "Disabled",
                    "imageBuildCompute": "cpu-cluster",
                }
            }),
        )
        .await;
    let op = assert_accepted(&env, &r, "westeurope");
    env.wait_async(&op).await;
    let after = env.get(&env.ws_url("rg", "wsa")).await.body;
    assert_eq!(after["tags"], json!({"new": "tag"}), "tags are replaced");
    let p = &after["properties"];
    assert_eq!(p["description"], "changed");
    assert_eq!(p["friendlyName"], "Renamed");
    assert_eq!(p["publicNetworkAccess"], "Disabled");
    assert_eq!(p["imageBuildCompute"], "cpu-cluster");
    assert_eq!(p["provisioningState"], "Succeeded");
    assert_eq!(p["workspaceId"], before["properties"]["workspaceId"]);
    assert_eq!(
        after["identity"]["principalId"],
        before["identity"]["principalId"]
    );

    // Immutable properties.
    let r = env
        .patch(
            &env.ws_url("rg", "wsa"),
            json!({"properties": {"hbiWorkspace": true}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    env.storage("rg", "ptother").await;
    let mut changed = body.clone();
    changed["properties"]["storageAccount"] =
        json!(env.rid("rg", "Microsoft.Storage/storageAccounts", "ptother"));
    let r = env.put(&env.ws_url("rg", "wsa"), changed).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.message().contains("storageAccount"));
    let mut moved = body.clone();
    moved["location"] = json!("eastus");
    let r = env.put(&env.ws_url("rg", "wsa"), moved).await;
    assert_eq!(r.status.as_u16() / 100, 4);

    // PUT of the same definition is an update, answered like a create.
    let r = env.put(&env.ws_url("rg", "wsa"), body).await;
    let op = assert_accepted(&env, &r, "westeurope");
    env.wait_async(&op).await;

    let r = env
        .patch(&env.ws_url("rg", "nope"), json!({"tags": {}}))
        .await;
    assert_eq!(r.code(), "ResourceNotFound");
}

async fn collect(env: &Env, first: String) -> Vec<String> {
    let mut next = Some(first);
    let mut names = Vec::new();
    while let Some(url) = next {
        let r = env.get(&url).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert!(r.body["value"].as_array().unwrap().len() <= 2);
        names.extend(
            r.body["value"]
                .as_array()
                .unwrap()
                .iter()
                .map(|w| w["name"].as_str().unwrap().to_string()),
        );
        next = r.body["nextLink"].as_str().map(str::to_string);
        if let Some(n) = &next {
            assert!(n.contains("%24skip=") || n.contains("$skip="), "{n}");
        }
    }
    names
}

#[tokio::test]
async fn lists_page_with_skip_tokens() {
    let env = start_with(EmulatorConfig {
        latency: Latency::Instant,
        page_size: 2,
        ..EmulatorConfig::default()
    })
    .await;
    let body = env.dependents("rga", "lst").await;
    for i in 0..3 {
        create(&env, "rga", &format!("ws{i}"), body.clone()).await;
    }
    let mut other = env.dependents("rgb", "lsb").await;
    other["location"] = json!("westeurope");
    create(&env, "rgb", "wsb", other).await;

    let in_group = collect(&env, env.url(
        "/resourceGroups/rga/providers/Microsoft.MachineLearningServices/workspaces?api-version=2025-12-01",
    ))
    .await;
    assert_eq!(in_group, ["ws0", "ws1", "ws2"]);
    let all = collect(
        &env,
        env.url("/providers/Microsoft.MachineLearningServices/workspaces?api-version=2025-12-01"),
    )
    .await;
    assert_eq!(all, ["ws0", "ws1", "ws2", "wsb"]);
}

#[tokio::test]
async fn delete_is_soft_unless_purged_and_keeps_dependents() {
    let env = start(Latency::Fast).await;
    let body = env.dependents("rg", "sd").await;
    create(&env, "rg", "wsa", body.clone()).await;

    let r = env.delete(&env.ws_url("rg", "wsa")).await;
    let op = assert_accepted(&env, &r, "westeurope");
    let location = r.header("location").unwrap();
    env.wait_async(&op).await;
    assert_eq!(env.get(&location).await.status, StatusCode::NO_CONTENT);
    assert_eq!(
        env.get(&env.ws_url("rg", "wsa")).await.status,
        StatusCode::NOT_FOUND
    );

    let r = env.put(&env.ws_url("rg", "WSA"), body.clone()).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        r.message(),
        "Soft-deleted workspace exists. Please purge or recover it. https://aka.ms/wsoftdelete"
    );

    // Dependents survive the workspace.
    for (ns_type, name, v) in [
        ("Microsoft.Storage/storageAccounts", "sdsa", "2025-01-01"),
        ("Microsoft.KeyVault/vaults", "sd-kv", "2025-05-01"),
        ("Microsoft.Insights/components", "sd-ai", "2020-02-02"),
    ] {
        let r = env
            .get(&format!(
                "{}{}?api-version={v}",
                env.emu.url(),
                env.rid("rg", ns_type, name)
            ))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{ns_type}");
    }

    // Purging the soft-deleted workspace frees the name.
    let r = env
        .delete(&format!("{}&forceToPurge=true", env.ws_url("rg", "wsa")))
        .await;
    let op = assert_accepted(&env, &r, "westeurope");
    env.wait_async(&op).await;
    create(&env, "rg", "wsa", body.clone()).await;

    // forceToPurge on a live workspace skips the soft delete.
    let r = env
        .delete(&format!("{}&forceToPurge=true", env.ws_url("rg", "wsa")))
        .await;
    let op = assert_accepted(&env, &r, "westeurope");
    env.wait_async(&op).await;
    create(&env, "rg", "wsa", body).await;

    // Deleting what does not exist.
    let r = env.delete(&env.ws_url("rg", "never")).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn keys_and_diagnose() {
    let env = start(Latency::Fast).await;
    let body = env.dependents("rg", "ky").await;
    let ws = create(&env, "rg", "wsa", body).await;
    let base = format!(
        "{}{}",
        env.emu.url(),
        env.rid("rg", "Microsoft.MachineLearningServices/workspaces", "wsa")
    );
    let r = env
        .post(
            &format!("{base}/listKeys?api-version=2025-12-01"),
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body["userStorageKey"]
        .as_str()
        .is_some_and(|k| !k.is_empty()));
    assert_eq!(
        r.body["userStorageResourceId"],
        ws["properties"]["storageAccount"]
    );
    assert_eq!(
        r.body["appInsightsInstrumentationKey"]
            .as_str()
            .unwrap()
            .len(),
        36
    );
    let first = r.body["notebookAccessKeys"]["primaryAccessKey"].clone();

    let r = env
        .post(
            &format!("{base}/resyncKeys?api-version=2025-12-01"),
            json!({}),
        )
        .await;
    let op = assert_accepted(&env, &r, "westeurope");
    env.wait_async(&op).await;
    let r = env
        .post(
            &format!("{base}/listKeys?api-version=2025-12-01"),
            json!({}),
        )
        .await;
    assert_ne!(r.body["notebookAccessKeys"]["primaryAccessKey"], first);

    let r = env
        .post(
            &format!("{base}/diagnose?api-version=2025-12-01"),
            json!({"value": {}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::ACCEPTED);
    assert!(
        r.header("azure-asyncoperation").is_none(),
        "recorded: Location only"
    );
    let done = env.wait_location(&r.header("location").unwrap()).await;
    assert_eq!(done.status, StatusCode::OK);
    assert_eq!(done.body["value"]["storageAccountResults"], json!([]));
}

#[tokio::test]
async fn older_api_versions_patch_synchronously() {
    let env = start(Latency::Fast).await;
    let body = env.dependents("rg", "old").await;
    let r = env.put(&env.ws_url("rg", "wsold"), body).await;
    let op = assert_accepted(&env, &r, "westeurope");
    // Polling hints under the fast profile (the service itself sends none).
    assert_eq!(r.header("retry-after").as_deref(), Some("1"));
    assert_eq!(r.header("retry-after-ms").as_deref(), Some("10"));
    env.wait_async(&op).await;

    let url = env
        .ws_url("rg", "wsold")
        .replace("2025-12-01", "2021-07-01");
    let r = env
        .patch(&url, json!({"properties": {"description": "sync"}}))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["properties"]["description"], "sync");
    assert_eq!(r.body["properties"]["provisioningState"], "Succeeded");
}

#[tokio::test]
async fn a_container_registry_needs_its_admin_user() {
    let env = start(Latency::Instant).await;
    let mut body = env.dependents("rg", "cr").await;
    let acr_url = |n: &str| {
        format!(
            "{}{}?api-version=2025-04-01",
            env.emu.url(),
            env.rid("rg", "Microsoft.ContainerRegistry/registries", n)
        )
    };
    for (name, admin) in [("cradmin1", true), ("crnoadmin1", false)] {
        let r = env
            .put(
                &acr_url(name),
                json!({"location": "westeurope", "sku": {"name": "Basic"}, "properties": {"adminUserEnabled": admin}}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED);
    }
    body["properties"]["containerRegistry"] =
        json!(env.rid("rg", "Microsoft.ContainerRegistry/registries", "crnoadmin1"));
    let r = env.put(&env.ws_url("rg", "wscr"), body.clone()).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.message().contains("admin user"), "{}", r.message());

    body["properties"]["containerRegistry"] =
        json!(env.rid("rg", "Microsoft.ContainerRegistry/registries", "cradmin1"));
    let ws = create(&env, "rg", "wscr", body).await;
    assert!(ws["properties"]["containerRegistry"]
        .as_str()
        .unwrap()
        .ends_with("/registries/cradmin1"));
    let r = env
        .post(
            &format!(
                "{}{}/listKeys?api-version=2025-12-01",
                env.emu.url(),
                env.rid("rg", "Microsoft.MachineLearningServices/workspaces", "wscr")
            ),
            json!({}),
        )
        .await;
    assert_eq!(
        r.body["containerRegistryCredentials"]["username"],
        "cradmin1"
    );
    assert_eq!(
        r.body["containerRegistryCredentials"]["location"],
        "westeurope"
    );
}

#[tokio::test]
async fn writes_during_deletion_conflict() {
    let env = start_with(EmulatorConfig {
        latency: Latency::Realistic,
        ..EmulatorConfig::default()
    })
    .await;
    let body = env.dependents("rg", "wd").await;
    env.put(&env.ws_url("rg", "wsdel"), body.clone()).await;
    env.emu.advance_clock(Duration::from_secs(60));
    let r = env.delete(&env.ws_url("rg", "wsdel")).await;
    assert_eq!(r.status, StatusCode::ACCEPTED);
    let r = env.get(&env.ws_url("rg", "wsdel")).await;
    assert_eq!(r.body["properties"]["provisioningState"], "Deleting");
    assert_eq!(
        env.put(&env.ws_url("rg", "wsdel"), body).await.status,
        StatusCode::CONFLICT
    );
    let r = env
        .patch(&env.ws_url("rg", "wsdel"), json!({"tags": {}}))
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    env.emu.advance_clock(Duration::from_secs(60));
    assert_eq!(
        env.get(&env.ws_url("rg", "wsdel")).await.status,
        StatusCode::NOT_FOUND
    );
}
