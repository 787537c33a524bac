//! `workspace create` with a private endpoint, end to end: ops → arm → the emulator. The
//! virtual network is made with plain ARM calls first, as a user would with
//! `az network vnet create`.

use std::time::Duration;

use azml_core::arm::{ArmClient, ArmConfig};
use azml_core::ops::{GroupCreate, Ops, WorkspaceCreate, WorkspaceDelete};
use azml_core::output::{self, Format};
use azml_core::ErrorKind;
use azml_emulator::{Emulator, EmulatorConfig, Latency};
use serde_json::{json, Value};

const NET: &str = "2025-07-01";

async fn start(latency: Latency) -> (Emulator, ArmClient, Ops) {
    let emu = Emulator::start(EmulatorConfig {
        latency,
        ..EmulatorConfig::default()
    })
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
    let ops = Ops::new(arm.clone(), emu.subscription_id());
    (emu, arm, ops)
}

fn rid(emu: &Emulator, rg: &str, ns_type: &str, name: &str) -> String {
    format!(
        "/subscriptions/{}/resourceGroups/{rg}/providers/{ns_type}/{name}",
        emu.subscription_id()
    )
}

async fn group(ops: &Ops, name: &str, location: &str) {
    ops.group_create(GroupCreate {
        name: name.into(),
        location: location.into(),
        ..Default::default()
    })
    .await
    .expect("group create");
}

/// `az network vnet create -g {rg} -n {name} --subnet-name pe-subnet` in `location`.
async fn vnet(emu: &Emulator, arm: &ArmClient, rg: &str, name: &str, location: &str) -> Value {
    let body = json!({"location": location, "properties": {
        "addressSpace": {"addressPrefixes": ["10.1.0.0/16"]},
        "subnets": [
            {"name": "default", "properties": {"addressPrefix": "10.1.0.0/24"}},
            {"name": "pe-subnet", "properties": {"addressPrefix": "10.1.1.0/24"}},
        ],
    }});
    let v = arm
        .put(
            &rid(emu, rg, "Microsoft.Network/virtualNetworks", name),
            NET,
            &body,
        )
        .await
        .expect("vnet create");
    assert_eq!(v["properties"]["provisioningState"], "Succeeded");
    v
}

fn with_pe(name: &str, rg: &str, pe: &str, net_rg: &str, vnet: &str) -> WorkspaceCreate {
    WorkspaceCreate {
        name: name.into(),
        resource_group: rg.into(),
        pe_name: Some(pe.into()),
        pe_resource_group: Some(net_rg.into()),
        pe_vnet_name: Some(vnet.into()),
        pe_subnet_name: Some("pe-subnet".into()),
        ..Default::default()
    }
}

#[tokio::test]
async fn auto_approved_endpoint() {
    // `fast`: every operation really runs for a while, so the client has to wait for each.
    let (emu, arm, ops) = start(Latency::Fast).await;
    group(&ops, "ml", "eastus").await;
    group(&ops, "net", "westeurope").await;
    vnet(&emu, &arm, "net", "vnet1", "westeurope").await;

    let created = ops
        .workspace_create(WorkspaceCreate {
            pe_auto_approval: true,
            ..with_pe("ws1", "ml", "pe1", "net", "vnet1")
        })
        .await
        .unwrap();
    let ws_id = rid(
        &emu,
        "ml",
        "Microsoft.MachineLearningServices/workspaces",
        "ws1",
    );
    let pe_id = rid(&emu, "net", "Microsoft.Network/privateEndpoints", "pe1");
    assert_eq!(created["properties"]["privateLinkCount"], 1);
    let conns = created["properties"]["privateEndpointConnections"]
        .as_array()
        .unwrap();
    assert_eq!(conns.len(), 1);
    assert_eq!(conns[0]["properties"]["privateEndpoint"]["id"], pe_id);
    assert_eq!(
        conns[0]["properties"]["privateLinkServiceConnectionState"]["status"],
        "Approved"
    );

    // The v1 dict shows the connection as ARM gave it.
    let v1 = output::workspace(&created, Format::V1);
    assert_eq!(v1["privateEndpointConnections"], json!(conns));
    assert_eq!(v1["location"], "eastus");

    // The endpoint: in the network's region, finished, auto-approved.
    let pe = arm.get(&pe_id, NET).await.unwrap();
    assert_eq!(pe["location"], "westeurope");
    assert_eq!(pe["properties"]["provisioningState"], "Succeeded");
    assert_eq!(
        pe["properties"]["subnet"]["id"],
        format!(
            "{}/subnets/pe-subnet",
            rid(&emu, "net", "Microsoft.Network/virtualNetworks", "vnet1")
        )
    );
    let c = &pe["properties"]["privateLinkServiceConnections"][0]["properties"];
    assert_eq!(c["privateLinkServiceId"], ws_id);
    assert_eq!(c["groupIds"], json!(["amlworkspace"]));
    assert_eq!(c["privateLinkServiceConnectionState"]["status"], "Approved");
    assert_eq!(
        pe["properties"]["manualPrivateLinkServiceConnections"],
        json!([])
    );
}

#[tokio::test]
async fn manual_endpoint_is_pending_and_default_group_is_the_workspaces() {
    let (emu, arm, ops) = start(Latency::Instant).await;
    group(&ops, "rg", "eastus").await;
    vnet(&emu, &arm, "rg", "vnet1", "eastus").await;
    let created = ops
        .workspace_create(WorkspaceCreate {
            pe_resource_group: None,
            ..with_pe("ws1", "rg", "pe1", "rg", "vnet1")
        })
        .await
        .unwrap();
    let conn = &created["properties"]["privateEndpointConnections"][0]["properties"];
    assert_eq!(
        conn["privateLinkServiceConnectionState"]["status"],
        "Pending"
    );
    assert_eq!(created["properties"]["privateLinkCount"], 1);
    let pe = arm
        .get(
            &rid(&emu, "rg", "Microsoft.Network/privateEndpoints", "pe1"),
            NET,
        )
        .await
        .unwrap();
    assert_eq!(pe["properties"]["privateLinkServiceConnections"], json!([]));
    let c = &pe["properties"]["manualPrivateLinkServiceConnections"][0]["properties"];
    assert_eq!(c["privateLinkServiceConnectionState"]["status"], "Pending");

    // The workspace's subnet is held: the network cannot go while the endpoint is there.
    let err = arm
        .delete(
            &rid(&emu, "rg", "Microsoft.Network/virtualNetworks", "vnet1"),
            NET,
            false,
        )
        .await
        .unwrap_err();
    assert_eq!(err.code.as_deref(), Some("InUseSubnetCannotBeDeleted"));

    // Deleting the workspace leaves the endpoint, disconnected.
    ops.workspace_delete(WorkspaceDelete {
        name: "ws1".into(),
        resource_group: "rg".into(),
        ..Default::default()
    })
    .await
    .unwrap();
    let pe = arm
        .get(
            &rid(&emu, "rg", "Microsoft.Network/privateEndpoints", "pe1"),
            NET,
        )
        .await
        .unwrap();
    assert_eq!(
        pe["properties"]["manualPrivateLinkServiceConnections"][0]["properties"]
            ["privateLinkServiceConnectionState"]["status"],
        "Disconnected"
    );
}

#[tokio::test]
async fn a_missing_subnet_creates_nothing() {
    let (emu, arm, ops) = start(Latency::Instant).await;
    group(&ops, "rg", "eastus").await;
    for (vnet_name, subnet, expect) in [
        ("nope", "pe-subnet", "no such virtual network"),
        ("vnet1-in-no-group", "pe-subnet", "no such resource group"),
        ("vnet1", "missing", "its subnets are default, pe-subnet"),
    ] {
        if vnet_name == "vnet1" {
            vnet(&emu, &arm, "rg", "vnet1", "eastus").await;
        }
        let pe_rg = if vnet_name.ends_with("-in-no-group") {
            "nogroup"
        } else {
            "rg"
        };
        let err = ops
            .workspace_create(WorkspaceCreate {
                pe_subnet_name: Some(subnet.into()),
                ..with_pe("ws1", "rg", "pe1", pe_rg, vnet_name)
            })
            .await
            .unwrap_err();
        assert_eq!(err.kind, ErrorKind::NotFound, "{err}");
        assert!(err.message.contains(expect), "{}", err.message);
        assert!(
            err.message.contains("nothing was created"),
            "{}",
            err.message
        );
        // Nothing at all: no storage account, vault, workspace or endpoint.
        for path in [
            "/providers/Microsoft.Storage/storageAccounts",
            "/providers/Microsoft.KeyVault/vaults",
            "/providers/Microsoft.MachineLearningServices/workspaces",
            "/providers/Microsoft.Network/privateEndpoints",
        ] {
            let version = match path {
                p if p.contains("Storage") => "2025-01-01",
                p if p.contains("KeyVault") => "2025-05-01",
                p if p.contains("MachineLearning") => "2025-12-01",
                _ => NET,
            };
            let items = arm
                .list(
                    &format!("/subscriptions/{}{path}", emu.subscription_id()),
                    version,
                )
                .await
                .unwrap();
            assert!(items.is_empty(), "{path}: {items:?}");
        }
    }
}

#[tokio::test]
async fn a_failed_endpoint_says_the_workspace_was_created() {
    use azml_emulator::{FaultAction, FaultRule};
    let (emu, arm, ops) = start(Latency::Instant).await;
    group(&ops, "rg", "eastus").await;
    vnet(&emu, &arm, "rg", "vnet1", "eastus").await;
    emu.add_fault(FaultRule {
        method: Some("PUT".into()),
        path: Some("/privateEndpoints/[^/]+$".into()),
        count: Some(1),
        action: FaultAction::FailOperation {
            code: Some("InternalServerError".into()),
            message: Some("Endpoint provisioning failed in a test.".into()),
        },
        ..FaultRule::status("/", 500)
    })
    .unwrap();
    let err = ops
        .workspace_create(with_pe("ws1", "rg", "pe1", "rg", "vnet1"))
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::OperationFailed, "{err}");
    assert!(
        err.message.starts_with(
            "workspace 'ws1' was created, but its private endpoint 'pe1' could not be"
        ),
        "{}",
        err.message
    );
    assert!(
        err.message
            .contains("Endpoint provisioning failed in a test."),
        "{}",
        err.message
    );
    let ws = arm
        .get(
            &rid(
                &emu,
                "rg",
                "Microsoft.MachineLearningServices/workspaces",
                "ws1",
            ),
            "2025-12-01",
        )
        .await
        .unwrap();
    assert_eq!(ws["properties"]["provisioningState"], "Succeeded");
}
