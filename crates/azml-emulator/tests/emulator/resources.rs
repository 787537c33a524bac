//! Storage accounts, key vaults and App Insights components on the emulator.

use crate::support::emulator::{start, Env};
use azml_emulator::Latency;
use reqwest::StatusCode;
use serde_json::json;

fn url(env: &Env, rg: &str, ns_type: &str, name: &str, version: &str) -> String {
    format!(
        "{}{}?api-version={version}",
        env.emu.url(),
        env.rid(rg, ns_type, name)
    )
}

#[tokio::test]
async fn storage_accounts() {
    let env = start(Latency::Instant).await;
    env.group("Data-RG").await;
    for bad in ["ab", "Upper1", "with-dash", &"a".repeat(25)] {
        let r = env.storage("data-rg", bad).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{bad}");
        assert_eq!(r.code(), "AccountNameInvalid");
    }
    let r = env.storage("data-rg", "mystore1").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let b = &r.body;
    assert_eq!(
        b["id"],
        format!("/subscriptions/{}/resourceGroups/Data-RG/providers/Microsoft.Storage/storageAccounts/mystore1", env.sub())
    );
    assert_eq!(
        b["sku"],
        json!({"name": "Standard_LRS", "tier": "Standard"})
    );
    assert_eq!(b["kind"], "StorageV2");
    assert_eq!(b["properties"]["isHnsEnabled"], false);
    assert_eq!(b["properties"]["provisioningState"], "Succeeded");
    assert_eq!(
        b["properties"]["primaryEndpoints"]["blob"],
        "https://mystore1.blob.core.windows.net/"
    );

    // Same group: an update. Another group: the name is taken (names are global).
    assert_eq!(
        env.storage("DATA-RG", "mystore1").await.status,
        StatusCode::OK
    );
    env.group("other").await;
    let r = env.storage("other", "mystore1").await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(r.code(), "StorageAccountAlreadyTaken");
    let r = env
        .post(
            &env.url("/providers/Microsoft.Storage/checkNameAvailability?api-version=2025-01-01"),
            json!({"name": "mystore1", "type": "Microsoft.Storage/storageAccounts"}),
        )
        .await;
    assert_eq!(r.body["nameAvailable"], false);

    let sa = |rg: &str, n: &str| {
        url(
            &env,
            rg,
            "Microsoft.Storage/storageAccounts",
            n,
            "2023-01-01",
        )
    };
    let r = env.get(&sa("data-rg", "MYSTORE1")).await;
    assert_eq!(r.status, StatusCode::OK);
    let r = env
        .post(
            &format!(
                "{}{}/listKeys?api-version=2023-01-01",
                env.emu.url(),
                env.rid("data-rg", "Microsoft.Storage/storageAccounts", "mystore1")
            ),
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["keys"].as_array().unwrap().len(), 2);
    let r = env.get(&sa("other", "mystore1")).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.code(), "ResourceNotFound");
    assert_eq!(
        r.message(),
        "The Resource 'Microsoft.Storage/storageAccounts/mystore1' under resource group 'other' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix"
    );
    let r = env.get(&sa("nogroup", "mystore1")).await;
    assert_eq!(r.code(), "ResourceGroupNotFound");
    let r = env.storage("nogroup", "newstore").await;
    assert_eq!(r.code(), "ResourceGroupNotFound");

    let r = env
        .get(&env.url("/resourceGroups/data-rg/providers/Microsoft.Storage/storageAccounts?api-version=2023-01-01"))
        .await;
    assert_eq!(r.body["value"].as_array().unwrap().len(), 1);

    assert_eq!(
        env.delete(&sa("data-rg", "mystore1")).await.status,
        StatusCode::OK
    );
    assert_eq!(
        env.delete(&sa("data-rg", "mystore1")).await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        env.storage("other", "mystore1").await.status,
        StatusCode::OK,
        "free again"
    );
}

#[tokio::test]
async fn key_vaults() {
    let env = start(Latency::Instant).await;
    env.group("sec").await;
    for bad in ["kv", "1kv", "kv--x", "kv-", "kv_x", &"k".repeat(25)] {
        let r = env.vault("sec", bad).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{bad}");
        assert_eq!(r.code(), "VaultNameNotValid");
    }
    let r = env.vault("sec", "My-Vault1").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["name"], "My-Vault1");
    assert_eq!(
        r.body["properties"]["vaultUri"],
        "https://My-Vault1.vault.azure.net/"
    );
    assert_eq!(r.body["properties"]["tenantId"], env.emu.tenant_id());
    let kv = url(
        &env,
        "sec",
        "Microsoft.KeyVault/vaults",
        "my-vault1",
        "2025-05-01",
    );
    let r = env.get(&kv).await;
    assert_eq!(r.body["properties"]["provisioningState"], "Succeeded");

    env.group("other").await;
    let r = env.vault("other", "my-vault1").await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(r.code(), "VaultAlreadyExists");

    // Deletion is soft: the name stays taken until the vault is purged.
    assert_eq!(env.delete(&kv).await.status, StatusCode::OK);
    assert_eq!(env.get(&kv).await.status, StatusCode::NOT_FOUND);
    let r = env.vault("sec", "my-vault1").await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    let deleted =
        env.url("/providers/Microsoft.KeyVault/locations/westeurope/deletedVaults/my-vault1");
    let r = env.get(&format!("{deleted}?api-version=2025-05-01")).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        r.body["properties"]["vaultId"],
        env.rid("sec", "Microsoft.KeyVault/vaults", "My-Vault1")
    );
    let r = env
        .post(
            &format!("{deleted}/purge?api-version=2025-05-01"),
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(env.vault("other", "my-vault1").await.status, StatusCode::OK);
}

#[tokio::test]
async fn app_insights_components() {
    let env = start(Latency::Instant).await;
    env.group("mon").await;
    let r = env.component("mon", "My-Insights").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let p = &r.body["properties"];
    let ikey = p["InstrumentationKey"].as_str().unwrap().to_string();
    assert_eq!(ikey.len(), 36);
    assert!(p["ConnectionString"]
        .as_str()
        .unwrap()
        .starts_with(&format!("InstrumentationKey={ikey};")));
    assert_eq!(p["AppId"].as_str().unwrap().len(), 36);
    assert_eq!(p["Application_Type"], "web");
    // An update keeps the keys.
    let r = env.component("MON", "my-insights").await;
    assert_eq!(r.body["properties"]["InstrumentationKey"], ikey.as_str());
    assert_eq!(r.body["name"], "My-Insights");
    let ai = url(
        &env,
        "mon",
        "Microsoft.Insights/components",
        "my-insights",
        "2020-02-02",
    );
    assert_eq!(env.get(&ai).await.status, StatusCode::OK);
    assert_eq!(env.delete(&ai).await.status, StatusCode::OK);
    assert_eq!(env.delete(&ai).await.status, StatusCode::NO_CONTENT);
    let r = env.get(&ai).await;
    assert_eq!(r.code(), "ResourceNotFound");
    let r = env.component("mon", "bad/name").await;
    assert_eq!(r.status.as_u16() / 100, 4);
}

#[tokio::test]
async fn container_registries() {
    let env = start(Latency::Instant).await;
    env.group("reg").await;
    let acr = |rg: &str, n: &str| {
        url(
            &env,
            rg,
            "Microsoft.ContainerRegistry/registries",
            n,
            "2025-04-01",
        )
    };
    let body = json!({"location": "westeurope", "sku": {"name": "Basic"}, "properties": {"adminUserEnabled": true}});
    let r = env.put(&acr("reg", "bad-name"), body.clone()).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = env.put(&acr("reg", "MyRegistry1"), body.clone()).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(
        r.body["properties"]["loginServer"],
        "myregistry1.azurecr.io"
    );
    assert_eq!(r.body["sku"], json!({"name": "Basic", "tier": "Basic"}));
    assert_eq!(
        env.put(&acr("reg", "myregistry1"), body.clone())
            .await
            .status,
        StatusCode::OK
    );
    env.group("other").await;
    let r = env.put(&acr("other", "myregistry1"), body).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(r.code(), "AlreadyInUse");

    let creds = format!(
        "{}{}/listCredentials?api-version=2025-04-01",
        env.emu.url(),
        env.rid(
            "reg",
            "Microsoft.ContainerRegistry/registries",
            "myregistry1"
        )
    );
    let r = env.post(&creds, json!({})).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["username"], "MyRegistry1");
    assert_eq!(r.body["passwords"].as_array().unwrap().len(), 2);

    let r = env
        .put(
            &acr("reg", "noadmin1"),
            json!({"location": "westeurope", "sku": {"name": "Standard"}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    let r = env
        .post(&creds.replace("myregistry1", "noadmin1"), json!({}))
        .await;
    assert_eq!(r.code(), "UnAuthorizedForCredentialOperations");

    assert_eq!(
        env.delete(&acr("reg", "myregistry1")).await.status,
        StatusCode::OK
    );
    assert_eq!(
        env.get(&acr("reg", "myregistry1")).await.code(),
        "ResourceNotFound"
    );
}
