//! The command flows against an in-memory ARM double: which requests are sent, in which
//! order, with which bodies, and what happens when one fails.

use std::sync::atomic::Ordering;

use serde_json::{json, Map, Value};

use super::fake_arm::{FakeArm, GROUP};
use crate::error::ErrorKind;
use crate::ops::groups;
use crate::ops::workspaces::{create, delete, read, update};
use crate::ops::{
    GroupCreate, GroupDelete, GroupList, WorkspaceCreate, WorkspaceDelete, WorkspaceList,
    WorkspaceRef, WorkspaceUpdate,
};

const SUB: &str = "s";
const WS: &str =
    "/subscriptions/s/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws1";
const SA: &str =
    "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/given";

fn create(name: &str) -> WorkspaceCreate {
    WorkspaceCreate {
        name: name.into(),
        resource_group: "rg".into(),
        ..Default::default()
    }
}

fn puts_of(calls: &[String], type_part: &str) -> Vec<String> {
    calls
        .iter()
        .filter(|c| c.starts_with("PUT ") && c.to_lowercase().contains(&type_part.to_lowercase()))
        .cloned()
        .collect()
}

#[tokio::test]
async fn create_makes_the_missing_dependents_concurrently_then_the_workspace() {
    let arm = FakeArm::with_group();
    let mut tags = Map::new();
    tags.insert("team".into(), "ml".into());
    let ws = create::workspace_create(
        &arm,
        SUB,
        WorkspaceCreate {
            description: Some("d".into()),
            tags: Some(tags),
            ..create("ws1")
        },
    )
    .await
    .unwrap();

    let calls = arm.calls();
    assert_eq!(calls[0], format!("GET {GROUP}"));
    assert_eq!(calls[1], format!("GET {WS}"));
    assert_eq!(calls[2], "GET /subscriptions/s");
    let writes = arm.writes();
    // Storage, vault, then App Insights after its Log Analytics workspace, then the workspace.
    assert_eq!(writes.len(), 5, "{writes:?}");
    assert_eq!(writes[4], format!("PUT {WS}"));
    let la = writes
        .iter()
        .position(|w| w.contains("Microsoft.OperationalInsights/workspaces/ws1logs"))
        .expect("a Log Analytics workspace");
    let ai = writes
        .iter()
        .position(|w| w.contains("Microsoft.Insights/components/ws1insights"))
        .expect("App Insights");
    assert!(la < ai, "{writes:?}");
    assert_eq!(
        arm.max_in_flight.load(Ordering::SeqCst),
        3,
        "the three dependents must be created concurrently"
    );

    let sa = puts_of(&calls, "Microsoft.Storage/storageAccounts/ws1storage");
    let kv = puts_of(&calls, "Microsoft.KeyVault/vaults/ws1keyvault");
    let ai = puts_of(&calls, "Microsoft.Insights/components/ws1insights");
    assert_eq!((sa.len(), kv.len(), ai.len()), (1, 1, 1), "{calls:?}");
    let sa_path = sa[0].trim_start_matches("PUT ");
    let name = sa_path.rsplit('/').next().unwrap();
    assert_eq!(name.len(), 24);
    assert!(name
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()));

    let sa_body = arm.body(sa_path);
    assert_eq!(sa_body["location"], "westus");
    assert_eq!(sa_body["sku"]["name"], "Standard_LRS");
    assert_eq!(sa_body["kind"], "StorageV2");
    assert_eq!(sa_body["properties"]["allowBlobPublicAccess"], false);
    let kv_body = arm.body(kv[0].trim_start_matches("PUT "));
    assert_eq!(kv_body["properties"]["tenantId"], "tenant-1");
    assert_eq!(
        kv_body["properties"]["sku"],
        json!({"family": "A", "name": "standard"})
    );
    let ai_body = arm.body(ai[0].trim_start_matches("PUT "));
    assert_eq!(ai_body["kind"], "web");

    assert_eq!(ws["location"], "westus");
    assert_eq!(ws["tags"], json!({"team": "ml"}));
    assert_eq!(ws["identity"], json!({"type": "SystemAssigned"}));
    assert_eq!(ws["properties"]["friendlyName"], "ws1");
    assert_eq!(ws["properties"]["description"], "d");
    assert_eq!(ws["properties"]["storageAccount"], sa_path);
    assert_eq!(
        ws["properties"]["keyVault"],
        kv[0].trim_start_matches("PUT ")
    );
    assert!(ws["properties"].get("containerRegistry").is_none());
}

#[tokio::test]
async fn given_dependents_are_checked_first_and_not_created() {
    let arm = FakeArm::with_group();
    arm.seed(SA, json!({"id": SA}));
    let kv = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv1";
    arm.seed(kv, json!({"id": kv}));
    let ws = create::workspace_create(
        &arm,
        SUB,
        WorkspaceCreate {
            storage_account: Some(SA.into()),
            keyvault: Some(kv.into()),
            location: Some("eastus".into()),
            ..create("ws1")
        },
    )
    .await
    .unwrap();
    let calls = arm.calls();
    assert!(calls.contains(&format!("GET {SA}")));
    assert!(calls.contains(&format!("GET {kv}")));
    // Given a key vault, no tenant is needed.
    assert!(!calls.contains(&"GET /subscriptions/s".to_string()));
    let writes = arm.writes();
    assert_eq!(writes.len(), 3, "{writes:?}");
    assert!(writes[0].contains("Microsoft.OperationalInsights/workspaces/ws1logs"));
    assert!(writes[1].contains("Microsoft.Insights/components/ws1insights"));
    assert_eq!(ws["properties"]["storageAccount"], SA);
    assert_eq!(ws["properties"]["keyVault"], kv);
    assert_eq!(ws["location"], "eastus");
}

#[tokio::test]
async fn a_missing_given_dependent_stops_everything() {
    let arm = FakeArm::with_group();
    let acr =
        "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ContainerRegistry/registries/acr1";
    let err = create::workspace_create(
        &arm,
        SUB,
        WorkspaceCreate {
            storage_account: Some(SA.into()),
            container_registry: Some(acr.into()),
            ..create("ws1")
        },
    )
    .await
    .unwrap_err();
    assert_eq!(err.kind, ErrorKind::NotFound);
    assert!(
        err.message.contains(&format!("storage_account '{SA}'")),
        "{}",
        err.message
    );
    assert!(
        err.message.contains("container_registry"),
        "{}",
        err.message
    );
    assert!(err.message.contains("nothing was created"));
    assert!(arm.writes().is_empty(), "{:?}", arm.writes());
}

#[tokio::test]
async fn missing_group_is_an_error_unless_asked_to_create_it() {
    let arm = FakeArm::default();
    arm.seed("/subscriptions/s", json!({"tenantId": "t"}));
    let err = create::workspace_create(&arm, SUB, create("ws1"))
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::NotFound);
    assert!(
        err.message.contains("create_resource_group=True"),
        "{}",
        err.message
    );
    assert!(arm.writes().is_empty());

    let err = create::workspace_create(
        &arm,
        SUB,
        WorkspaceCreate {
            create_resource_group: true,
            ..create("ws1")
        },
    )
    .await
    .unwrap_err();
    assert_eq!(err.kind, ErrorKind::Validation);
    assert!(err.message.contains("pass location"), "{}", err.message);
    assert!(arm.writes().is_empty());

    let ws = create::workspace_create(
        &arm,
        SUB,
        WorkspaceCreate {
            create_resource_group: true,
            location: Some("northeurope".into()),
            ..create("ws1")
        },
    )
    .await
    .unwrap();
    let writes = arm.writes();
    assert_eq!(writes[0], format!("PUT {GROUP}"));
    assert_eq!(arm.body(GROUP)["location"], "northeurope");
    assert_eq!(ws["location"], "northeurope");
}

#[tokio::test]
async fn errors_keep_the_service_details_and_say_what_was_kept() {
    let arm = FakeArm::default();
    arm.seed("/subscriptions/s", json!({"tenantId": "t"}));
    arm.fail(
        "PUT",
        "MachineLearningServices/workspaces/",
        ErrorKind::Http,
    );
    let err = create::workspace_create(
        &arm,
        SUB,
        WorkspaceCreate {
            create_resource_group: true,
            location: Some("westus".into()),
            ..create("ws1")
        },
    )
    .await
    .unwrap_err();
    assert_eq!(err.status, Some(400));
    assert!(
        err.message
            .ends_with("resource group 'rg', created by this call, was kept"),
        "{}",
        err.message
    );
    assert!(arm.has(GROUP));

    // A missing group: the service's 404 with a message saying what to do.
    let arm = FakeArm::default();
    let err = create::workspace_create(&arm, SUB, create("ws1"))
        .await
        .unwrap_err();
    assert_eq!((err.kind, err.status), (ErrorKind::NotFound, Some(404)));
    assert!(err.message.contains("create_resource_group=True"));
}

#[tokio::test]
async fn an_existing_workspace_is_an_error_unless_exist_ok() {
    let arm = FakeArm::with_group();
    arm.seed(WS, json!({"id": WS, "name": "ws1", "properties": {}}));
    let err = create::workspace_create(&arm, SUB, create("ws1"))
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::Exists);
    assert!(err.message.contains("exist_ok=True"));
    let ws = create::workspace_create(
        &arm,
        SUB,
        WorkspaceCreate {
            exist_ok: true,
            ..create("ws1")
        },
    )
    .await
    .unwrap();
    assert_eq!(ws["name"], "ws1");
    assert!(arm.writes().is_empty());
}

#[tokio::test]
async fn a_failed_workspace_put_removes_the_dependents_it_created() {
    let arm = FakeArm::with_group();
    arm.seed(SA, json!({"id": SA}));
    arm.fail(
        "PUT",
        "MachineLearningServices/workspaces/ws1",
        ErrorKind::Http,
    );
    let err = create::workspace_create(
        &arm,
        SUB,
        WorkspaceCreate {
            storage_account: Some(SA.into()),
            ..create("ws1")
        },
    )
    .await
    .unwrap_err();
    assert_eq!(err.kind, ErrorKind::Http);
    assert_eq!(err.code.as_deref(), Some("Injected"));
    assert!(err
        .message
        .starts_with("creating workspace 'ws1' failed: injected failure"));
    assert!(err
        .message
        .contains("removed the dependents this call had created"));
    assert!(
        err.message.contains("key vault 'ws1keyvault"),
        "{}",
        err.message
    );
    assert!(err.message.contains("application insights 'ws1insights"));
    assert!(err.message.contains("log analytics workspace 'ws1logs"));
    let deletes: Vec<String> = arm
        .writes()
        .into_iter()
        .filter(|c| c.starts_with("DELETE "))
        .collect();
    assert_eq!(deletes.len(), 3, "{deletes:?}");
    // The storage account was given, not created: it stays.
    assert!(arm.has(SA));
    assert!(!deletes.iter().any(|d| d.contains("storageAccounts")));
}

#[tokio::test]
async fn a_failed_dependent_removes_the_others_and_stops() {
    let arm = FakeArm::with_group();
    arm.fail(
        "PUT",
        "Microsoft.Storage/storageAccounts",
        ErrorKind::Exists,
    );
    arm.fail("DELETE", "Microsoft.KeyVault", ErrorKind::Authorization);
    let err = create::workspace_create(&arm, SUB, create("ws1"))
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::Exists);
    assert!(
        err.message
            .starts_with("creating storage account 'ws1storage"),
        "{}",
        err.message
    );
    assert!(
        err.message
            .contains("removed the dependents this call had created: log analytics workspace"),
        "{}",
        err.message
    );
    assert!(err.message.contains("application insights 'ws1insights"));
    assert!(err
        .message
        .contains("could not remove (delete them by hand): key vault 'ws1keyvault"));
    assert!(puts_of(&arm.calls(), "MachineLearningServices/workspaces/").is_empty());
}

#[tokio::test]
async fn tenant_lookup_failure_creates_nothing() {
    // The subscription cannot be read (404 here).
    let arm2 = FakeArm::default();
    arm2.seed(GROUP, json!({"location": "westus"}));
    let err = create::workspace_create(&arm2, SUB, create("ws1"))
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::Validation);
    assert!(err.message.contains("pass tenant_id"), "{}", err.message);
    assert!(arm2.writes().is_empty());

    let ws = create::workspace_create(
        &arm2,
        SUB,
        WorkspaceCreate {
            tenant_id: Some("given-tenant".into()),
            ..create("ws1")
        },
    )
    .await
    .unwrap();
    let kv = ws["properties"]["keyVault"].as_str().unwrap().to_string();
    assert_eq!(arm2.body(&kv)["properties"]["tenantId"], "given-tenant");
}

#[tokio::test]
async fn cmk_and_registry_go_into_the_workspace_body() {
    let arm = FakeArm::with_group();
    let acr =
        "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ContainerRegistry/registries/acr1";
    let cmk = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/cmk";
    arm.seed(acr, json!({}));
    arm.seed(cmk, json!({}));
    let ws = create::workspace_create(
        &arm,
        SUB,
        WorkspaceCreate {
            container_registry: Some(acr.into()),
            cmk_keyvault: Some(cmk.into()),
            resource_cmk_uri: Some("https://cmk.vault.azure.net/keys/k/1".into()),
            hbi_workspace: true,
            friendly_name: Some("Friendly".into()),
            ..create("ws1")
        },
    )
    .await
    .unwrap();
    assert_eq!(ws["properties"]["containerRegistry"], acr);
    assert_eq!(ws["properties"]["hbiWorkspace"], true);
    assert_eq!(ws["properties"]["friendlyName"], "Friendly");
    assert_eq!(ws["properties"]["encryption"]["status"], "Enabled");
    assert_eq!(
        ws["properties"]["encryption"]["keyVaultProperties"]["keyVaultArmId"],
        cmk
    );
}

#[tokio::test]
async fn private_endpoint_is_checked_before_and_created_after_the_workspace() {
    let arm = FakeArm::with_group();
    let subnet = "/subscriptions/s/resourceGroups/net/providers/Microsoft.Network/virtualNetworks/vnet1/subnets/default";
    let p = WorkspaceCreate {
        pe_name: Some("pe1".into()),
        pe_vnet_name: Some("vnet1".into()),
        pe_resource_group: Some("net".into()),
        ..create("ws1")
    };
    let err = create::workspace_create(&arm, SUB, p.clone())
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::NotFound);
    assert!(err
        .message
        .contains("subnet 'default' of virtual network 'vnet1'"));
    assert!(arm.writes().is_empty());

    let vnet = subnet.trim_end_matches("/subnets/default");
    arm.seed(
        vnet,
        json!({"id": vnet, "location": "westus", "properties": {"subnets": [{"name": "other", "id": format!("{vnet}/subnets/other")}]}}),
    );
    let err = create::workspace_create(&arm, SUB, p.clone())
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::NotFound);
    assert!(
        err.message.contains("its subnets are other"),
        "{}",
        err.message
    );
    assert!(arm.writes().is_empty());

    arm.seed(
        vnet,
        json!({"id": vnet, "location": "northeurope", "properties": {"subnets": [{"name": "Default", "id": subnet}]}}),
    );
    create::workspace_create(&arm, SUB, p).await.unwrap();
    let writes = arm.writes();
    let pe_path =
        "/subscriptions/s/resourceGroups/net/providers/Microsoft.Network/privateEndpoints/pe1";
    assert_eq!(writes.last().unwrap(), &format!("PUT {pe_path}"));
    assert_eq!(arm.calls().last().unwrap(), &format!("GET {WS}"));
    let pe = arm.body(pe_path);
    assert_eq!(pe["properties"]["subnet"]["id"], subnet);
    // In the network's region, not the workspace's.
    assert_eq!(pe["location"], "northeurope");
    let conn = &pe["properties"]["manualPrivateLinkServiceConnections"][0];
    assert_eq!(conn["properties"]["privateLinkServiceId"], WS);
    // In the network's region, carried by the token.
    assert_eq!(arm.body(pe_path)["location"], "northeurope");
}

#[tokio::test]
async fn invalid_input_sends_no_request() {
    let arm = FakeArm::with_group();
    let err = create::workspace_create(&arm, SUB, create("x"))
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::Validation);
    let err = groups::create(
        &arm,
        SUB,
        GroupCreate {
            name: "bad name".into(),
            location: "westus".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap_err();
    assert_eq!(err.kind, ErrorKind::Validation);
    let err = groups::show(&arm, "", "rg").await.unwrap_err();
    assert!(err.message.contains("subscription"));
    let err = read::workspace_list(
        &arm,
        SUB,
        WorkspaceList {
            resource_group: Some("rg.".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap_err();
    assert_eq!(err.kind, ErrorKind::Validation);
    assert!(arm.calls().is_empty());
}

#[tokio::test]
async fn groups() {
    let arm = FakeArm::default();
    let mut tags = Map::new();
    tags.insert("a".into(), "b".into());
    let g = groups::create(
        &arm,
        SUB,
        GroupCreate {
            name: "rg".into(),
            location: "westus".into(),
            tags: Some(tags),
            managed_by: Some("/x".into()),
        },
    )
    .await
    .unwrap();
    assert_eq!(g["managedBy"], "/x");
    assert_eq!(arm.calls(), [format!("PUT {GROUP}")]);
    assert!(groups::exists(&arm, SUB, "rg").await.unwrap());
    assert_eq!(
        groups::show(&arm, SUB, "RG").await.unwrap()["location"],
        "westus"
    );
    assert_eq!(
        groups::list(&arm, SUB, GroupList::default())
            .await
            .unwrap()
            .len(),
        1
    );
    groups::delete(
        &arm,
        SUB,
        GroupDelete {
            name: "rg".into(),
            no_wait: true,
        },
    )
    .await
    .unwrap();
    assert_eq!(
        arm.calls().last().unwrap(),
        &format!("DELETE(no_wait) {GROUP}")
    );
    assert!(!groups::exists(&arm, SUB, "rg").await.unwrap());
}

#[tokio::test]
async fn update_patches_only_what_was_passed() {
    let arm = FakeArm::with_group();
    arm.seed(
        WS,
        json!({"id": WS, "tags": {"keep": "me"}, "properties": {"friendlyName": "f"}}),
    );
    let base = WorkspaceUpdate {
        name: "ws1".into(),
        resource_group: "rg".into(),
        ..Default::default()
    };
    let ws = update::workspace_update(&arm, SUB, base.clone())
        .await
        .unwrap();
    assert_eq!(ws["tags"]["keep"], "me");
    assert!(arm.writes().is_empty(), "nothing to change: no PATCH");

    let ws = update::workspace_update(
        &arm,
        SUB,
        WorkspaceUpdate {
            description: Some("new".into()),
            allow_public_access: Some(true),
            ..base
        },
    )
    .await
    .unwrap();
    assert_eq!(arm.writes(), [format!("PATCH {WS}")]);
    assert_eq!(ws["tags"]["keep"], "me", "tags are not wiped by omission");
    assert_eq!(ws["properties"]["description"], "new");
    assert_eq!(ws["properties"]["publicNetworkAccess"], "Enabled");
    assert_eq!(ws["properties"]["friendlyName"], "f");
}

#[tokio::test]
async fn delete_all_resources_removes_the_registry_too() {
    let arm = FakeArm::with_group();
    let kv = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Keyvault/vaults/kv1";
    let ai = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.insights/components/ai1";
    let acr =
        "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ContainerRegistry/registries/acr1";
    for id in [SA, kv, ai, acr] {
        arm.seed(id, json!({"id": id}));
    }
    arm.seed(
        WS,
        json!({"id": WS, "properties": {
            "storageAccount": SA, "keyVault": kv, "applicationInsights": ai,
            "containerRegistry": acr}}),
    );
    delete::workspace_delete(
        &arm,
        SUB,
        WorkspaceDelete {
            name: "ws1".into(),
            resource_group: "rg".into(),
            all_resources: true,
            permanently_delete: true,
            no_wait: true,
        },
    )
    .await
    .unwrap();
    let writes = arm.writes();
    assert_eq!(writes[0], format!("DELETE {WS}?forceToPurge=true"));
    assert_eq!(writes.len(), 5, "{writes:?}");
    for id in [SA, kv, ai, acr] {
        assert!(
            writes.contains(&format!("DELETE(no_wait) {id}")),
            "{id}: {writes:?}"
        );
        assert!(!arm.has(id));
    }
    assert_eq!(arm.max_in_flight.load(Ordering::SeqCst), 4);
}

#[tokio::test]
async fn delete_plain_and_with_empty_registry() {
    let arm = FakeArm::with_group();
    arm.seed(
        WS,
        json!({"id": WS, "properties": {"storageAccount": SA, "containerRegistry": ""}}),
    );
    arm.seed(SA, json!({}));
    let p = WorkspaceDelete {
        name: "ws1".into(),
        resource_group: "rg".into(),
        ..Default::default()
    };
    delete::workspace_delete(&arm, SUB, p.clone())
        .await
        .unwrap();
    assert_eq!(arm.writes(), [format!("DELETE {WS}")]);
    assert!(arm.has(SA), "a plain delete keeps the dependents");

    arm.seed(
        WS,
        json!({"id": WS, "properties": {"storageAccount": SA, "containerRegistry": ""}}),
    );
    arm.fail("DELETE", "storageAccounts", ErrorKind::Authorization);
    let err = delete::workspace_delete(
        &arm,
        SUB,
        WorkspaceDelete {
            all_resources: true,
            ..p
        },
    )
    .await
    .unwrap_err();
    assert_eq!(err.kind, ErrorKind::Authorization);
    assert!(err
        .message
        .contains("was deleted, but not all of its resources: storage account 'given'"));
}

#[tokio::test]
async fn list_by_group_and_subscription() {
    let arm = FakeArm::with_group();
    arm.seed(WS, json!({"id": WS}));
    let by_group = read::workspace_list(
        &arm,
        SUB,
        WorkspaceList {
            resource_group: Some("rg".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(by_group.len(), 1);
    read::workspace_list(&arm, SUB, WorkspaceList::default())
        .await
        .unwrap();
    assert_eq!(
        arm.calls().last().unwrap(),
        "GET /subscriptions/s/providers/Microsoft.MachineLearningServices/workspaces"
    );
    let shown = read::workspace_show(
        &arm,
        SUB,
        WorkspaceRef {
            name: "ws1".into(),
            resource_group: "rg".into(),
        },
    )
    .await
    .unwrap();
    assert_eq!(shown["id"], WS);
}

const UAI: &str = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/uai1";

#[tokio::test]
async fn keep_dependents_on_failure_keeps_what_was_created_and_says_so() {
    let arm = FakeArm::with_group();
    arm.fail(
        "PUT",
        "MachineLearningServices/workspaces/ws1",
        ErrorKind::Http,
    );
    let err = create::workspace_create(
        &arm,
        SUB,
        WorkspaceCreate {
            keep_dependents_on_failure: true,
            ..create("ws1")
        },
    )
    .await
    .unwrap_err();
    assert_eq!(err.code.as_deref(), Some("Injected"));
    assert!(
        err.message.contains(
            "kept the dependents this call had created (keep_dependents_on_failure=True): "
        ),
        "{}",
        err.message
    );
    for word in [
        "storage account 'ws1storage",
        "key vault 'ws1keyvault",
        "application insights 'ws1insights",
    ] {
        assert!(err.message.contains(word), "{word}: {}", err.message);
    }
    assert!(!arm.writes().iter().any(|w| w.starts_with("DELETE")));
    assert_eq!(puts_of(&arm.calls(), "storageAccounts").len(), 1);
    let kept = puts_of(&arm.calls(), "storageAccounts")[0]
        .trim_start_matches("PUT ")
        .to_string();
    assert!(arm.has(&kept));

    // The default removes them, and the message says how to keep them.
    let arm = FakeArm::with_group();
    arm.fail(
        "PUT",
        "MachineLearningServices/workspaces/ws1",
        ErrorKind::Http,
    );
    let err = create::workspace_create(&arm, SUB, create("ws1"))
        .await
        .unwrap_err();
    assert!(err
        .message
        .contains("keep_dependents_on_failure=True keeps them"));
    assert_eq!(
        arm.writes()
            .iter()
            .filter(|w| w.starts_with("DELETE"))
            .count(),
        4
    );
}

#[tokio::test]
async fn primary_identity_sku_and_v1_legacy_mode_go_into_the_body() {
    let arm = FakeArm::with_group();
    arm.seed(UAI, json!({"id": UAI}));
    let ws = create::workspace_create(
        &arm,
        SUB,
        WorkspaceCreate {
            primary_user_assigned_identity: Some(UAI.into()),
            sku: Some("BASIC".into()),
            v1_legacy_mode: true,
            ..create("ws1")
        },
    )
    .await
    .unwrap();
    assert_eq!(
        ws["identity"],
        json!({"type": "SystemAssigned,UserAssigned", "userAssignedIdentities": {UAI: {}}})
    );
    assert_eq!(ws["properties"]["primaryUserAssignedIdentity"], UAI);
    assert_eq!(ws["properties"]["v1LegacyMode"], true);
    assert_eq!(ws["sku"], json!({"name": "Basic", "tier": "Basic"}));
}

#[tokio::test]
async fn a_missing_primary_identity_creates_nothing() {
    let arm = FakeArm::with_group();
    let err = create::workspace_create(
        &arm,
        SUB,
        WorkspaceCreate {
            primary_user_assigned_identity: Some(UAI.into()),
            ..create("ws1")
        },
    )
    .await
    .unwrap_err();
    assert_eq!(err.kind, ErrorKind::NotFound);
    assert!(
        err.message
            .starts_with(&format!("primary_user_assigned_identity '{UAI}' not found")),
        "{}",
        err.message
    );
    assert!(arm.writes().is_empty());
}

#[tokio::test]
async fn bad_sku_and_identity_ids_are_refused_before_any_request() {
    let arm = FakeArm::with_group();
    for (p, needle) in [
        (
            WorkspaceCreate {
                sku: Some("enterprise".into()),
                ..create("ws1")
            },
            "Enterprise edition was retired",
        ),
        (
            WorkspaceCreate {
                sku: Some("premium".into()),
                ..create("ws1")
            },
            "use 'basic'",
        ),
        (
            WorkspaceCreate {
                primary_user_assigned_identity: Some(SA.into()),
                ..create("ws1")
            },
            "must be the id of a user-assigned identity",
        ),
    ] {
        let err = create::workspace_create(&arm, SUB, p).await.unwrap_err();
        assert_eq!(err.kind, ErrorKind::Validation);
        assert!(err.message.contains(needle), "{needle}: {}", err.message);
    }
    assert!(arm.calls().is_empty());
}

#[tokio::test]
async fn update_attaches_the_primary_identity_and_keeps_the_others() {
    let arm = FakeArm::with_group();
    let other = UAI.replace("uai1", "other");
    arm.seed(UAI, json!({"id": UAI}));
    arm.seed(
        WS,
        json!({"id": WS, "tags": {"a": "b"}, "properties": {"friendlyName": "f"},
               "identity": {"type": "SystemAssigned,UserAssigned",
                            "userAssignedIdentities": {other.clone(): {"principalId": "p"}}}}),
    );
    let ws = update::workspace_update(
        &arm,
        SUB,
        WorkspaceUpdate {
            name: "ws1".into(),
            resource_group: "rg".into(),
            primary_user_assigned_identity: Some(UAI.into()),
            v1_legacy_mode: Some(false),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(ws["properties"]["primaryUserAssignedIdentity"], UAI);
    assert_eq!(ws["properties"]["v1LegacyMode"], false);
    assert_eq!(ws["properties"]["friendlyName"], "f");
    assert_eq!(ws["tags"], json!({"a": "b"}));
    assert_eq!(ws["identity"]["type"], "SystemAssigned,UserAssigned");
    let ids = ws["identity"]["userAssignedIdentities"]
        .as_object()
        .unwrap();
    assert!(ids.contains_key(UAI) && ids.contains_key(&other), "{ids:?}");

    // A missing identity: nothing is written.
    let before = arm.writes().len();
    let err = update::workspace_update(
        &arm,
        SUB,
        WorkspaceUpdate {
            name: "ws1".into(),
            resource_group: "rg".into(),
            primary_user_assigned_identity: Some(UAI.replace("uai1", "nope")),
            ..Default::default()
        },
    )
    .await
    .unwrap_err();
    assert_eq!(err.kind, ErrorKind::NotFound);
    assert!(
        err.message.contains("nothing was changed"),
        "{}",
        err.message
    );
    assert_eq!(arm.writes().len(), before);
}

#[tokio::test]
async fn immutable_properties_are_refused_before_any_request() {
    let arm = FakeArm::with_group();
    let base = WorkspaceUpdate {
        name: "ws1".into(),
        resource_group: "rg".into(),
        ..Default::default()
    };
    for (p, option) in [
        (
            WorkspaceUpdate {
                location: Some(json!("westus")),
                ..base.clone()
            },
            "location",
        ),
        (
            WorkspaceUpdate {
                storage_account: Some(json!(SA)),
                ..base.clone()
            },
            "storage_account",
        ),
        (
            WorkspaceUpdate {
                keyvault: Some(json!("x")),
                ..base.clone()
            },
            "keyvault",
        ),
        (
            WorkspaceUpdate {
                hbi_workspace: Some(json!(true)),
                ..base.clone()
            },
            "hbi_workspace",
        ),
        (
            WorkspaceUpdate {
                cmk_keyvault: Some(json!("x")),
                ..base.clone()
            },
            "cmk_keyvault",
        ),
    ] {
        let err = update::workspace_update(&arm, SUB, p).await.unwrap_err();
        assert_eq!(err.kind, ErrorKind::Validation);
        assert!(
            err.message
                .starts_with(&format!("{option} cannot be changed by an update: ")),
            "{}",
            err.message
        );
    }
    assert!(arm.calls().is_empty());
}

#[tokio::test]
async fn list_over_several_subscriptions_in_the_order_given() {
    let arm = FakeArm::default();
    let s1 = "11111111-1111-1111-1111-111111111111";
    let s2 = "22222222-2222-2222-2222-222222222222";
    for (s, names) in [(s1, ["b", "a"].as_slice()), (s2, ["c"].as_slice())] {
        for n in names {
            let id = format!(
                "/subscriptions/{s}/providers/Microsoft.MachineLearningServices/workspaces/{n}"
            );
            arm.seed(&id, json!({"id": id, "name": n}));
        }
    }
    let names = |v: Vec<Value>| -> Vec<String> {
        v.iter()
            .map(|w| w["name"].as_str().unwrap().to_string())
            .collect()
    };
    let all = read::workspace_list(
        &arm,
        SUB,
        WorkspaceList {
            subscription_ids: Some(vec![s2.into(), s1.into(), s2.to_uppercase()]),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    // s2 first, as given; the repeat (other case) listed once.
    assert_eq!(names(all), ["c", "a", "b"]);
    assert_eq!(arm.calls().len(), 2, "{:?}", arm.calls());
    for bad in [vec![], vec!["not-a-guid".to_string()]] {
        let err = read::workspace_list(
            &arm,
            SUB,
            WorkspaceList {
                subscription_ids: Some(bad),
                ..Default::default()
            },
        )
        .await
        .unwrap_err();
        assert_eq!(err.kind, ErrorKind::Validation);
    }
    assert_eq!(arm.calls().len(), 2);
    // One failing subscription fails the list, naming it.
    arm.fail("GET", s1, ErrorKind::Authorization);
    let err = read::workspace_list(
        &arm,
        SUB,
        WorkspaceList {
            subscription_ids: Some(vec![s2.into(), s1.into()]),
            ..Default::default()
        },
    )
    .await
    .unwrap_err();
    assert_eq!(err.kind, ErrorKind::Authorization);
    assert!(err
        .message
        .starts_with(&format!("listing the workspaces of subscription '{s1}'")));
}

#[tokio::test]
async fn a_create_begun_here_is_finished_from_its_json_with_the_private_endpoint_after() {
    let arm = FakeArm::with_group();
    let vnet =
        "/subscriptions/s/resourceGroups/net/providers/Microsoft.Network/virtualNetworks/vnet1";
    let subnet = format!("{vnet}/subnets/default");
    arm.seed(
        vnet,
        json!({"id": vnet, "location": "northeurope", "properties": {"subnets": [{"name": "default", "id": subnet}]}}),
    );
    let p = WorkspaceCreate {
        pe_name: Some("pe1".into()),
        pe_vnet_name: Some("vnet1".into()),
        pe_resource_group: Some("net".into()),
        ..create("ws1")
    };
    let rest = create::workspace_create_begin(&arm, SUB, p).await.unwrap();
    let pe_path =
        "/subscriptions/s/resourceGroups/net/providers/Microsoft.Network/privateEndpoints/pe1";
    // Begun is only decided: the token exists before the first write.
    assert!(arm.writes().is_empty(), "{:?}", arm.writes());
    let json = serde_json::to_string(&rest).unwrap();
    // Another process: only what the JSON says.
    let resumed: create::WorkspaceCreateRest = serde_json::from_str(&json).unwrap();
    assert_ne!(resumed, rest, "the local head start does not travel");
    let ws = create::workspace_create_finish(&arm, resumed)
        .await
        .unwrap();
    assert_eq!(arm.writes().last().unwrap(), &format!("PUT {pe_path}"));
    assert_eq!(arm.calls().last().unwrap(), &format!("GET {WS}"));
    assert_eq!(ws["id"], WS);
    let conn = &arm.body(pe_path)["properties"]["manualPrivateLinkServiceConnections"][0];
    assert_eq!(conn["properties"]["privateLinkServiceId"], WS);
}

#[tokio::test]
async fn a_workspace_operation_that_fails_removes_the_dependents_but_a_timeout_does_not() {
    let arm = FakeArm::with_group();
    arm.wait_failures.lock().unwrap().push((
        "machinelearningservices/workspaces/ws1".into(),
        ErrorKind::OperationFailed,
    ));
    let err = create::workspace_create(&arm, SUB, create("ws1"))
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::OperationFailed);
    assert!(
        err.message
            .contains("removed the dependents this call had created"),
        "{}",
        err.message
    );
    let deletes = |arm: &FakeArm| {
        arm.writes()
            .into_iter()
            .filter(|w| w.starts_with("DELETE "))
            .count()
    };
    // Storage, vault, App Insights and its Log Analytics workspace.
    assert_eq!(deletes(&arm), 4);

    // After a timeout the workspace may still come: its dependents must stay.
    let arm = FakeArm::with_group();
    arm.wait_failures.lock().unwrap().push((
        "machinelearningservices/workspaces/ws1".into(),
        ErrorKind::Timeout,
    ));
    let err = create::workspace_create(&arm, SUB, create("ws1"))
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::Timeout);
    assert_eq!(deletes(&arm), 0);
}

#[tokio::test]
async fn a_token_resumed_after_the_workspace_put_follows_the_workspace_instead_of_rewriting_it() {
    let arm = FakeArm::with_group();
    let rest = create::workspace_create_begin(&arm, SUB, create("ws1"))
        .await
        .unwrap();
    let json = serde_json::to_string(&rest).unwrap();
    // The first process gets through every write (then, say, is killed while polling).
    let first = create::workspace_create_finish(&arm, rest).await.unwrap();
    let writes_before = arm.writes();
    assert_eq!(
        puts_of(&writes_before, "MachineLearningServices/workspaces/ws1").len(),
        1
    );
    for kind in [
        "storageAccounts",
        "vaults",
        "components",
        "MachineLearningServices/workspaces/ws1",
    ] {
        assert!(
            writes_before.iter().any(|w| w.contains(kind)),
            "{kind}: {writes_before:?}"
        );
    }
    // A second process resumes the same token.
    let resumed: create::WorkspaceCreateRest = serde_json::from_str(&json).unwrap();
    let again = create::workspace_create_finish(&arm, resumed)
        .await
        .unwrap();
    assert_eq!(again, first);
    let writes = arm.writes();
    let new_writes = &writes[writes_before.len()..];
    // Everything was there: read, not written again (a vault PUT would reset its access
    // policies, which the workspace has changed).
    assert!(new_writes.is_empty(), "{new_writes:?}");
    let calls = arm.calls();
    assert!(
        calls
            .iter()
            .any(|c| c.starts_with("GET ") && c.contains("Microsoft.KeyVault/vaults/")),
        "{calls:?}"
    );
}

#[tokio::test]
async fn a_token_resumed_before_any_write_makes_everything() {
    let arm = FakeArm::with_group();
    let rest = create::workspace_create_begin(&arm, SUB, create("ws1"))
        .await
        .unwrap();
    let json = serde_json::to_string(&rest).unwrap();
    drop(rest);
    let resumed: create::WorkspaceCreateRest = serde_json::from_str(&json).unwrap();
    let ws = create::workspace_create_finish(&arm, resumed)
        .await
        .unwrap();
    assert_eq!(ws["id"], WS);
    let writes = arm.writes();
    let la = writes
        .iter()
        .position(|w| w.contains("Microsoft.OperationalInsights/workspaces/"))
        .expect("a Log Analytics workspace");
    let ai = writes
        .iter()
        .position(|w| w.contains("Microsoft.Insights/components/"))
        .expect("an App Insights component");
    assert!(la < ai, "{writes:?}");
    assert_eq!(
        puts_of(&writes, "MachineLearningServices/workspaces/ws1").len(),
        1,
        "{writes:?}"
    );
}

#[tokio::test]
async fn accepting_a_creation_makes_its_writes_and_leaves_only_the_waiting() {
    let arm = FakeArm::with_group();
    let rest = create::workspace_create_begin(&arm, SUB, create("ws1"))
        .await
        .unwrap();
    assert!(arm.writes().is_empty());
    let accepted = create::workspace_create_accept(&arm, rest).await.unwrap();
    let writes = arm.writes();
    assert_eq!(
        puts_of(&writes, "MachineLearningServices/workspaces/ws1").len(),
        1
    );
    let json = serde_json::to_value(&accepted).unwrap();
    assert!(json.get("plan").is_none(), "{json}");
    assert_eq!(json["created"].as_array().unwrap().len(), 4, "{json}");
    let ws = create::workspace_create_finish(&arm, accepted)
        .await
        .unwrap();
    assert_eq!(ws["id"], WS);
    assert_eq!(
        arm.writes().len(),
        writes.len(),
        "finishing sends no write of its own"
    );
}
