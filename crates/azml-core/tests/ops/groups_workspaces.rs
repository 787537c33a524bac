//! The commands end to end: ops → arm → the emulator over loopback.

use std::time::Duration;

use azml_core::arm::{ArmClient, ArmConfig};
use azml_core::ops::{
    GroupCreate, GroupDelete, GroupList, Ops, WorkspaceCreate, WorkspaceDelete, WorkspaceList,
    WorkspaceRef, WorkspaceUpdate,
};
use azml_core::output::{self, Format};
use azml_core::ErrorKind;
use azml_emulator::{Emulator, EmulatorConfig};
use serde_json::{Map, Value};

async fn start() -> (Emulator, Ops) {
    let emu = Emulator::start(EmulatorConfig::default())
        .await
        .expect("emulator starts");
    let cred = azml_core::auth::client_secret(
        &emu.url(),
        emu.tenant_id(),
        emu.client_id(),
        emu.client_secret(),
        None,
    )
    .expect("credential");
    let mut config = ArmConfig::new(emu.url());
    config.poll_interval = Duration::from_millis(20);
    let arm = ArmClient::new(config, cred).expect("arm client");
    let ops = Ops::new(arm, emu.subscription_id());
    (emu, ops)
}

fn tags(pairs: &[(&str, &str)]) -> Map<String, Value> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), Value::String(v.to_string())))
        .collect()
}

async fn make_group(ops: &Ops, name: &str) {
    ops.group_create(GroupCreate {
        name: name.into(),
        location: "eastus".into(),
        ..Default::default()
    })
    .await
    .expect("group create");
}

fn ws_ref(name: &str, rg: &str) -> WorkspaceRef {
    WorkspaceRef {
        name: name.into(),
        resource_group: rg.into(),
    }
}

#[tokio::test]
async fn group_lifecycle() {
    let (_emu, ops) = start().await;
    assert!(!ops.group_exists("rg1").await.unwrap());
    let g = ops
        .group_create(GroupCreate {
            name: "rg1".into(),
            location: "westus".into(),
            tags: Some(tags(&[("a", "b"), ("c", "")])),
            managed_by: None,
        })
        .await
        .unwrap();
    let shown = output::group(&g);
    assert_eq!(shown["name"], "rg1");
    assert_eq!(shown["location"], "westus");
    assert_eq!(shown["properties"]["provisioningState"], "Succeeded");
    assert_eq!(shown["tags"]["c"], "");
    assert!(ops.group_exists("rg1").await.unwrap());
    assert_eq!(ops.group_show("RG1").await.unwrap()["name"], "rg1");
    assert!(ops
        .group_list(GroupList::default())
        .await
        .unwrap()
        .iter()
        .any(|g| g["name"] == "rg1"));
    ops.group_delete(GroupDelete {
        name: "rg1".into(),
        no_wait: false,
    })
    .await
    .unwrap();
    assert!(!ops.group_exists("rg1").await.unwrap());
    let err = ops.group_show("rg1").await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::NotFound);
}

#[tokio::test]
async fn workspace_lifecycle_with_created_dependents() {
    let (_emu, ops) = start().await;
    make_group(&ops, "rg").await;
    let created = ops
        .workspace_create(WorkspaceCreate {
            name: "ws1".into(),
            resource_group: "rg".into(),
            description: Some("first".into()),
            tags: Some(tags(&[("team", "ml")])),
            ..Default::default()
        })
        .await
        .unwrap();
    let v1 = output::workspace(&created, Format::V1);
    assert_eq!(v1["name"], "ws1");
    assert_eq!(v1["resourceGroup"], "rg");
    assert_eq!(v1["location"], "eastus");
    assert_eq!(v1["friendlyName"], "ws1");
    assert_eq!(v1["identityType"], "SystemAssigned");
    assert_eq!(v1["sku"], "Basic");
    for key in [
        "storageAccount",
        "keyVault",
        "applicationInsights",
        "workspaceid",
    ] {
        assert!(v1[key].is_string(), "{key} missing in {v1}");
    }

    // The dependents really exist.
    let storage_id = created["properties"]["storageAccount"].as_str().unwrap();
    assert!(storage_id.contains("/storageAccounts/ws1storage"));

    let list = ops
        .workspace_list(WorkspaceList {
            resource_group: Some("rg".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(list.len(), 1);
    let entry = output::workspace_list_entry(&list[0], Format::V1);
    assert_eq!(entry["workspaceName"], "ws1");
    assert_eq!(entry["resourceGroup"], "rg");

    let updated = ops
        .workspace_update(WorkspaceUpdate {
            name: "ws1".into(),
            resource_group: "rg".into(),
            description: Some("second".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(updated["properties"]["description"], "second");
    assert_eq!(updated["tags"]["team"], "ml", "omitted tags are kept");

    let err = ops
        .workspace_create(WorkspaceCreate {
            name: "ws1".into(),
            resource_group: "rg".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::Exists);

    ops.workspace_delete(WorkspaceDelete {
        name: "ws1".into(),
        resource_group: "rg".into(),
        all_resources: true,
        permanently_delete: true,
        no_wait: false,
    })
    .await
    .unwrap();
    let err = ops.workspace_show(ws_ref("ws1", "rg")).await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::NotFound);
    let remaining = ops
        .workspace_list(WorkspaceList {
            resource_group: Some("rg".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(remaining.is_empty());
}

#[tokio::test]
async fn create_needs_the_group_unless_told_to_make_it() {
    let (_emu, ops) = start().await;
    let err = ops
        .workspace_create(WorkspaceCreate {
            name: "ws2".into(),
            resource_group: "nogroup".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::NotFound);
    assert!(!ops.group_exists("nogroup").await.unwrap());

    let ws = ops
        .workspace_create(WorkspaceCreate {
            name: "ws2".into(),
            resource_group: "nogroup".into(),
            location: Some("westeurope".into()),
            create_resource_group: true,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(ws["location"], "westeurope");
    assert!(ops.group_exists("nogroup").await.unwrap());

    let again = ops
        .workspace_create(WorkspaceCreate {
            name: "ws2".into(),
            resource_group: "nogroup".into(),
            exist_ok: true,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(again["id"], ws["id"]);
}

#[tokio::test]
async fn a_missing_given_dependent_creates_nothing() {
    let (emu, ops) = start().await;
    make_group(&ops, "rg").await;
    let sa = format!(
        "/subscriptions/{}/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/nosuchaccount",
        emu.subscription_id()
    );
    let err = ops
        .workspace_create(WorkspaceCreate {
            name: "ws3".into(),
            resource_group: "rg".into(),
            storage_account: Some(sa),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::NotFound);
    let err = ops.workspace_show(ws_ref("ws3", "rg")).await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::NotFound);
}
