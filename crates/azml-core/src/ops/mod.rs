//! One function per az command. Validates input (before any request), orchestrates the
//! requests, and returns the raw ARM JSON; `output` shapes it for the user.
//!
//! INTERFACE CONTRACT (used by `python`; bodies filled in by the ops work). Parameter structs
//! deserialize from the keyword arguments the Python facade passes (snake_case names as in
//! PYTHON-API.md); unknown keys are rejected.

mod bodies;
mod client;
pub mod extra;
#[cfg(test)]
mod extra_tests;
mod flows;
#[cfg(test)]
mod flows_tests;
pub mod ids;
pub mod lro;
pub mod validate;

use serde::Deserialize;
use serde_json::{Map, Value};

pub use client::ArmApi;

use crate::arm::ArmClient;
use crate::error::Result;

/// The commands of one subscription.
#[derive(Clone, Debug)]
pub struct Ops {
    pub arm: ArmClient,
    pub subscription_id: String,
    /// Microsoft Graph (its own endpoint and token scope), for `share` by user name. The ARM
    /// client's token never goes there, nor this one's to ARM.
    pub graph: Option<ArmClient>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GroupCreate {
    pub name: String,
    pub location: String,
    #[serde(default)]
    pub tags: Option<Map<String, Value>>,
    #[serde(default)]
    pub managed_by: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GroupDelete {
    pub name: String,
    #[serde(default)]
    pub no_wait: bool,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkspaceCreate {
    pub name: String,
    pub resource_group: String,
    #[serde(default)]
    pub location: Option<String>,
    #[serde(default)]
    pub storage_account: Option<String>,
    #[serde(default)]
    pub keyvault: Option<String>,
    #[serde(default)]
    pub application_insights: Option<String>,
    #[serde(default)]
    pub container_registry: Option<String>,
    #[serde(default)]
    pub pe_name: Option<String>,
    #[serde(default)]
    pub pe_auto_approval: bool,
    #[serde(default)]
    pub pe_resource_group: Option<String>,
    #[serde(default)]
    pub pe_vnet_name: Option<String>,
    #[serde(default)]
    pub pe_subnet_name: Option<String>,
    #[serde(default)]
    pub cmk_keyvault: Option<String>,
    #[serde(default)]
    pub resource_cmk_uri: Option<String>,
    #[serde(default)]
    pub hbi_workspace: bool,
    #[serde(default)]
    pub friendly_name: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub tags: Option<Map<String, Value>>,
    #[serde(default)]
    pub exist_ok: bool,
    #[serde(default)]
    pub create_resource_group: bool,
    /// The workspace edition: `basic` (the only one left; `enterprise` was retired).
    #[serde(default)]
    pub sku: Option<String>,
    /// `properties.v1LegacyMode`: keep the v1 API surface (no v2 features).
    #[serde(default)]
    pub v1_legacy_mode: bool,
    /// The ARM id of a user-assigned identity that becomes the workspace's primary identity
    /// (beside its system-assigned one).
    #[serde(default)]
    pub primary_user_assigned_identity: Option<String>,
    /// When the workspace cannot be created after this call created some of its dependents:
    /// keep them (`true`) instead of removing them (the default).
    #[serde(default)]
    pub keep_dependents_on_failure: bool,
    /// The tenant of a key vault created for the workspace. `None`: the subscription's
    /// (`GET /subscriptions/{id}`). Unused when `keyvault` is given.
    #[serde(default)]
    pub tenant_id: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkspaceRef {
    pub name: String,
    pub resource_group: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkspaceList {
    #[serde(default)]
    pub resource_group: Option<String>,
    /// List these subscriptions (concurrently) instead of the client's; results come in the
    /// order given, each subscription's in ARM's order.
    #[serde(default)]
    pub subscription_ids: Option<Vec<String>>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkspaceUpdate {
    pub name: String,
    pub resource_group: String,
    #[serde(default)]
    pub friendly_name: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    /// `None`: tags untouched. `Some(map)`: the whole map replaced.
    #[serde(default)]
    pub tags: Option<Map<String, Value>>,
    #[serde(default)]
    pub image_build_compute: Option<String>,
    #[serde(default)]
    pub allow_public_access: Option<bool>,
    /// The ARM id of a user-assigned identity to make primary; it is attached to the
    /// workspace if it is not already.
    #[serde(default)]
    pub primary_user_assigned_identity: Option<String>,
    #[serde(default)]
    pub v1_legacy_mode: Option<bool>,
    /// Properties fixed at creation. Accepted only to be refused with a message that says
    /// so, before any request (`validate::workspace_update`).
    #[serde(default)]
    pub location: Option<Value>,
    #[serde(default)]
    pub storage_account: Option<Value>,
    #[serde(default)]
    pub keyvault: Option<Value>,
    #[serde(default)]
    pub hbi_workspace: Option<Value>,
    #[serde(default)]
    pub cmk_keyvault: Option<Value>,
    #[serde(default)]
    pub allow_public_access_when_behind_vnet: Option<Value>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkspaceDelete {
    pub name: String,
    pub resource_group: String,
    #[serde(default)]
    pub all_resources: bool,
    #[serde(default)]
    pub permanently_delete: bool,
    #[serde(default)]
    pub no_wait: bool,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GroupUpdate {
    pub name: String,
    /// `None`: tags untouched. `Some(map)`: the whole map replaced.
    #[serde(default)]
    pub tags: Option<Map<String, Value>>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GroupList {
    /// az's `--tag key[=value]`.
    #[serde(default)]
    pub tag: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkspaceShare {
    pub name: String,
    pub resource_group: String,
    /// A user principal name, an object id, or a service principal's application id.
    pub user: String,
    /// A role name, a role definition GUID, or a role definition id.
    pub role: String,
}

/// A storage account, key vault, Application Insights component or container registry by
/// name; without a group, searched in the whole subscription.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FindResource {
    pub name: String,
    #[serde(default)]
    pub resource_group: Option<String>,
}

impl Ops {
    pub fn new(arm: ArmClient, subscription_id: impl Into<String>) -> Self {
        Ops {
            arm,
            subscription_id: subscription_id.into(),
            graph: None,
        }
    }

    /// The same commands with a Microsoft Graph client for looking users up.
    pub fn with_graph(mut self, graph: ArmClient) -> Self {
        self.graph = Some(graph);
        self
    }

    /// `az group create` → the group's ARM body.
    pub async fn group_create(&self, p: GroupCreate) -> Result<Value> {
        flows::group_create(&self.arm, &self.subscription_id, p).await
    }
    /// `az group show` → the group's ARM body.
    pub async fn group_show(&self, name: &str) -> Result<Value> {
        flows::group_show(&self.arm, &self.subscription_id, name).await
    }
    /// `az group list` → every group's ARM body (all pages).
    pub async fn group_list(&self) -> Result<Vec<Value>> {
        flows::group_list(&self.arm, &self.subscription_id).await
    }
    /// `az group exists`.
    pub async fn group_exists(&self, name: &str) -> Result<bool> {
        flows::group_exists(&self.arm, &self.subscription_id, name).await
    }
    /// `az group delete --yes [--no-wait]`.
    pub async fn group_delete(&self, p: GroupDelete) -> Result<()> {
        flows::group_delete(&self.arm, &self.subscription_id, p).await
    }
    /// `az ml workspace create`: creates the missing dependents, then the workspace; returns
    /// the workspace's ARM body.
    pub async fn workspace_create(&self, p: WorkspaceCreate) -> Result<Value> {
        flows::workspace_create(&self.arm, &self.subscription_id, p).await
    }
    /// `az ml workspace list [-g]` → every workspace's ARM body (all pages), of the client's
    /// subscription or, concurrently, of `p.subscription_ids` in their order.
    pub async fn workspace_list(&self, p: WorkspaceList) -> Result<Vec<Value>> {
        flows::workspace_list(&self.arm, &self.subscription_id, p).await
    }
    /// `az ml workspace show`.
    pub async fn workspace_show(&self, p: WorkspaceRef) -> Result<Value> {
        flows::workspace_show(&self.arm, &self.subscription_id, p).await
    }
    /// `az ml workspace update`: PATCH of what was passed only; returns the ARM body after.
    pub async fn workspace_update(&self, p: WorkspaceUpdate) -> Result<Value> {
        flows::workspace_update(&self.arm, &self.subscription_id, p).await
    }
    /// `az ml workspace delete`.
    pub async fn workspace_delete(&self, p: WorkspaceDelete) -> Result<()> {
        flows::workspace_delete(&self.arm, &self.subscription_id, p).await
    }
    /// `az group update [--tags]` → the group's ARM body after.
    pub async fn group_update(&self, p: GroupUpdate) -> Result<Value> {
        extra::group_update(&self.arm, &self.subscription_id, p).await
    }
    /// `az group list [--tag k[=v]]` → the groups' ARM bodies.
    pub async fn group_list_filtered(&self, p: GroupList) -> Result<Vec<Value>> {
        extra::group_list(&self.arm, &self.subscription_id, p).await
    }
    /// `az ml workspace share` → the role assignment (new or the identical existing one).
    pub async fn workspace_share(&self, p: WorkspaceShare) -> Result<Value> {
        extra::workspace_share(&self.arm, self.graph.as_ref(), &self.subscription_id, p).await
    }
    /// `az ml workspace sync-keys`.
    pub async fn workspace_sync_keys(&self, p: WorkspaceRef) -> Result<()> {
        extra::workspace_sync_keys(&self.arm, &self.subscription_id, p).await
    }
    /// `az ml workspace list-keys` → the keys as ARM returns them. Holds secrets.
    pub async fn workspace_list_keys(&self, p: WorkspaceRef) -> Result<Value> {
        extra::workspace_list_keys(&self.arm, &self.subscription_id, p).await
    }
    /// `az ml workspace diagnose` → the diagnosis as ARM returns it.
    pub async fn workspace_diagnose(&self, p: WorkspaceRef) -> Result<Value> {
        extra::workspace_diagnose(&self.arm, &self.subscription_id, p).await
    }
    /// Start a long command; returns once ARM has accepted its long-running step.
    pub async fn begin(&self, request: lro::LongRequest) -> Result<lro::Continuation> {
        lro::begin(&self.arm, &self.subscription_id, request).await
    }
    /// Carry a begun command up to ARM's acceptance of its long-running step, for a caller
    /// that will not start polling at once (asyncio pollers): a creation's planned writes are
    /// made here. Other commands are there already.
    pub async fn accept(&self, continuation: lro::Continuation) -> Result<lro::Continuation> {
        lro::accept(&self.arm, continuation).await
    }
    /// Finish a long command begun here or in another process: the ARM JSON the plain
    /// command returns (`Null` for those that return nothing).
    pub async fn finish(&self, continuation: lro::Continuation) -> Result<Value> {
        lro::finish(&self.arm, continuation).await
    }
    /// `az storage account show` and the like → the resource's ARM body.
    pub async fn find_resource(&self, kind: ids::Kind, p: FindResource) -> Result<Value> {
        extra::find_resource(&self.arm, &self.subscription_id, kind, p).await
    }
}

/// The Python layer hands these futures to a multi-threaded runtime: they must be `Send`.
/// Checked at compile time; nothing here runs.
#[cfg(test)]
#[allow(dead_code)]
fn ops_futures_are_send(ops: &Ops) {
    fn send<T: Send>(_: T) {}
    send(ops.group_create(GroupCreate::default()));
    send(ops.group_show(""));
    send(ops.group_list());
    send(ops.group_exists(""));
    send(ops.group_delete(GroupDelete::default()));
    send(ops.workspace_create(WorkspaceCreate::default()));
    send(ops.workspace_list(WorkspaceList::default()));
    send(ops.workspace_show(WorkspaceRef::default()));
    send(ops.workspace_update(WorkspaceUpdate::default()));
    send(ops.workspace_delete(WorkspaceDelete::default()));
    send(ops.group_update(GroupUpdate::default()));
    send(ops.group_list_filtered(GroupList::default()));
    send(ops.workspace_share(WorkspaceShare::default()));
    send(ops.workspace_sync_keys(WorkspaceRef::default()));
    send(ops.workspace_list_keys(WorkspaceRef::default()));
    send(ops.workspace_diagnose(WorkspaceRef::default()));
    send(ops.find_resource(ids::Kind::StorageAccount, FindResource::default()));
    send(ops.begin(lro::LongRequest::WorkspaceSyncKeys(WorkspaceRef::default())));
}

#[cfg(test)]
mod params_tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn keyword_arguments_deserialize_and_unknown_ones_are_rejected() {
        let p: WorkspaceCreate = serde_json::from_value(json!({
            "name": "ws", "resource_group": "rg", "tenant_id": "t", "hbi_workspace": true
        }))
        .unwrap();
        assert_eq!(p.tenant_id.as_deref(), Some("t"));
        assert!(p.hbi_workspace && !p.exist_ok);
        let err = serde_json::from_value::<WorkspaceCreate>(json!({
            "name": "ws", "resource_group": "rg", "storage": "x"
        }))
        .unwrap_err();
        assert!(err.to_string().contains("unknown field `storage`"), "{err}");
    }
}
