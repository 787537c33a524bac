//! End to end against the emulator: share (ARM + Graph, each with its own token), keys,
//! diagnose, group update/--tag, the dependents' show.

use std::time::Duration;

use azml_core::arm::resource_id::Kind;
use azml_core::arm::{ArmClient, ArmConfig};
use azml_core::ops::{
    FindResource, GroupCreate, GroupList, GroupUpdate, Ops, WorkspaceCreate, WorkspaceRef,
    WorkspaceShare,
};
use azml_core::ErrorKind;
use azml_emulator::{Emulator, EmulatorConfig};
use serde_json::{json, Map, Value};

async fn start(graph_scope: Option<&str>) -> (Emulator, Ops) {
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
    let arm = ArmClient::new(config, cred.clone()).expect("arm client");
    let mut graph = ArmConfig::new(emu.url());
    graph.scope = graph_scope
        .map(str::to_string)
        .unwrap_or_else(|| format!("{}/.default", emu.url()));
    let graph = ArmClient::new(graph, cred).expect("graph client");
    let ops = Ops::new(arm, emu.subscription_id()).with_graph(graph);
    (emu, ops)
}

async fn workspace(ops: &Ops, rg: &str, ws: &str) -> Value {
    ops.group_create(GroupCreate {
        name: rg.into(),
        location: "eastus".into(),
        ..Default::default()
    })
    .await
    .expect("group");
    ops.workspace_create(WorkspaceCreate {
        name: ws.into(),
        resource_group: rg.into(),
        ..Default::default()
    })
    .await
    .expect("workspace")
}

fn share(user: &str, role: &str) -> WorkspaceShare {
    WorkspaceShare {
        name: "ws1".into(),
        resource_group: "rg1".into(),
        user: user.into(),
        role: role.into(),
    }
}

#[tokio::test]
async fn share_by_upn_is_idempotent() {
    let (emu, ops) = start(None).await;
    workspace(&ops, "rg1", "ws1").await;
    let oid = emu.add_user("someone@azml-emulator.onmicrosoft.com", "Some One");
    let first = ops
        .workspace_share(share(
            "someone@azml-emulator.onmicrosoft.com",
            "Contributor",
        ))
        .await
        .expect("share");
    assert_eq!(first["properties"]["principalId"], json!(oid));
    assert_eq!(first["properties"]["principalType"], "User");
    let again = ops
        .workspace_share(share(&oid, "b24988ac-6180-42a0-ab88-20f7382dd24c"))
        .await
        .expect("share again");
    assert_eq!(again["name"], first["name"]);
    let e = ops
        .workspace_share(share("nobody@azml-emulator.onmicrosoft.com", "Reader"))
        .await
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::NotFound);
}

#[tokio::test]
async fn graph_refuses_a_token_for_another_audience() {
    // A Graph client asking for an ARM token is refused by Graph: the scope each client
    // asks for is what decides where its token is good.
    let (_emu, ops) = start(Some("https://management.azure.com/.default")).await;
    workspace(&ops, "rg1", "ws1").await;
    let e = ops
        .workspace_share(share("user@azml-emulator.onmicrosoft.com", "Reader"))
        .await
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::Authentication, "{e}");
}

#[tokio::test]
async fn keys_diagnose_groups_and_finders() {
    let (_emu, ops) = start(None).await;
    let ws = workspace(&ops, "rg1", "ws1").await;
    let r = || WorkspaceRef {
        name: "ws1".into(),
        resource_group: "rg1".into(),
    };
    ops.workspace_sync_keys(r()).await.expect("sync");
    let keys = ops.workspace_list_keys(r()).await.expect("keys");
    assert!(
        keys.get("userStorageKey").is_some(),
        "{:?}",
        keys.as_object().map(|m| m.keys().collect::<Vec<_>>())
    );
    let diagnosis = ops.workspace_diagnose(r()).await.expect("diagnose");
    assert!(diagnosis["value"].is_object());

    let mut tags = Map::new();
    tags.insert("team".into(), json!("ml"));
    let updated = ops
        .group_update(GroupUpdate {
            name: "rg1".into(),
            tags: Some(tags),
        })
        .await
        .expect("update");
    assert_eq!(updated["tags"], json!({"team": "ml"}));
    let found = ops
        .group_list(GroupList {
            tag: Some("team=ml".into()),
        })
        .await
        .expect("list");
    assert_eq!(found.len(), 1);
    let none = ops
        .group_list(GroupList {
            tag: Some("team=other".into()),
        })
        .await
        .expect("list");
    assert!(none.is_empty());

    let sa_id = ws["properties"]["storageAccount"]
        .as_str()
        .unwrap()
        .to_string();
    let sa_name = sa_id.rsplit('/').next().unwrap().to_string();
    let sa = ops
        .find_resource(
            Kind::StorageAccount,
            FindResource {
                name: sa_name,
                resource_group: None,
            },
        )
        .await
        .expect("storage account");
    assert!(sa["id"].as_str().unwrap().eq_ignore_ascii_case(&sa_id));
}
