//! One function per az command, grouped by resource: `groups`, `workspaces` (read, create,
//! update, delete, share, keys, diagnose), `dependents` (the lookups of the resources a
//! workspace links to). Each validates its input before any request, makes the requests, and
//! returns the raw ARM JSON; `output` shapes it as az prints it. `Ops` is the one entry point
//! the bindings call; `lro` carries a long command across processes.

mod bodies;
mod client;
mod common;
pub mod dependents;
pub mod groups;
pub mod lro;
mod params;
#[cfg(test)]
mod unit_tests;
pub mod validate;
pub mod workspaces;

use serde_json::Value;

pub use client::ArmApi;
pub use params::*;

use crate::arm::resource_id::Kind;
use crate::arm::ArmClient;
use crate::error::Result;
use workspaces::{create, delete, diagnose, keys, read, share, update};

/// The commands of one subscription.
#[derive(Clone, Debug)]
pub struct Ops {
    pub arm: ArmClient,
    pub subscription_id: String,
    /// Microsoft Graph (its own endpoint and token scope), for `share` by user name. The ARM
    /// client's token never goes there, nor this one's to ARM.
    pub graph: Option<ArmClient>,
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
        groups::create(&self.arm, &self.subscription_id, p).await
    }
    /// `az group show` → the group's ARM body.
    pub async fn group_show(&self, name: &str) -> Result<Value> {
        groups::show(&self.arm, &self.subscription_id, name).await
    }
    /// `az group exists`.
    pub async fn group_exists(&self, name: &str) -> Result<bool> {
        groups::exists(&self.arm, &self.subscription_id, name).await
    }
    /// `az group delete --yes [--no-wait]`.
    pub async fn group_delete(&self, p: GroupDelete) -> Result<()> {
        groups::delete(&self.arm, &self.subscription_id, p).await
    }
    /// `az ml workspace create`: creates the missing dependents, then the workspace; returns
    /// the workspace's ARM body.
    pub async fn workspace_create(&self, p: WorkspaceCreate) -> Result<Value> {
        create::workspace_create(&self.arm, &self.subscription_id, p).await
    }
    /// `az ml workspace list [-g]` → every workspace's ARM body (all pages), of the client's
    /// subscription or, concurrently, of `p.subscription_ids` in their order.
    pub async fn workspace_list(&self, p: WorkspaceList) -> Result<Vec<Value>> {
        read::workspace_list(&self.arm, &self.subscription_id, p).await
    }
    /// `az ml workspace show`.
    pub async fn workspace_show(&self, p: WorkspaceRef) -> Result<Value> {
        read::workspace_show(&self.arm, &self.subscription_id, p).await
    }
    /// `az ml workspace update`: PATCH of what was passed only; returns the ARM body after.
    pub async fn workspace_update(&self, p: WorkspaceUpdate) -> Result<Value> {
        update::workspace_update(&self.arm, &self.subscription_id, p).await
    }
    /// `az ml workspace delete`.
    pub async fn workspace_delete(&self, p: WorkspaceDelete) -> Result<()> {
        delete::workspace_delete(&self.arm, &self.subscription_id, p).await
    }
    /// `az group update [--tags]` → the group's ARM body after.
    pub async fn group_update(&self, p: GroupUpdate) -> Result<Value> {
        groups::update(&self.arm, &self.subscription_id, p).await
    }
    /// `az group list [--tag k[=v]]` → the groups' ARM bodies (all pages).
    pub async fn group_list(&self, p: GroupList) -> Result<Vec<Value>> {
        groups::list(&self.arm, &self.subscription_id, p).await
    }
    /// `az ml workspace share` → the role assignment (new or the identical existing one).
    pub async fn workspace_share(&self, p: WorkspaceShare) -> Result<Value> {
        share::workspace_share(&self.arm, self.graph.as_ref(), &self.subscription_id, p).await
    }
    /// `az ml workspace sync-keys`.
    pub async fn workspace_sync_keys(&self, p: WorkspaceRef) -> Result<()> {
        keys::workspace_sync_keys(&self.arm, &self.subscription_id, p).await
    }
    /// `az ml workspace list-keys` → the keys as ARM returns them. Holds secrets.
    pub async fn workspace_list_keys(&self, p: WorkspaceRef) -> Result<Value> {
        keys::workspace_list_keys(&self.arm, &self.subscription_id, p).await
    }
    /// `az ml workspace diagnose` → the diagnosis as ARM returns it.
    pub async fn workspace_diagnose(&self, p: WorkspaceRef) -> Result<Value> {
        diagnose::workspace_diagnose(&self.arm, &self.subscription_id, p).await
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
    pub async fn find_resource(&self, kind: Kind, p: FindResource) -> Result<Value> {
        dependents::find_resource(&self.arm, &self.subscription_id, kind, p).await
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
    send(ops.group_exists(""));
    send(ops.group_delete(GroupDelete::default()));
    send(ops.workspace_create(WorkspaceCreate::default()));
    send(ops.workspace_list(WorkspaceList::default()));
    send(ops.workspace_show(WorkspaceRef::default()));
    send(ops.workspace_update(WorkspaceUpdate::default()));
    send(ops.workspace_delete(WorkspaceDelete::default()));
    send(ops.group_update(GroupUpdate::default()));
    send(ops.group_list(GroupList::default()));
    send(ops.workspace_share(WorkspaceShare::default()));
    send(ops.workspace_sync_keys(WorkspaceRef::default()));
    send(ops.workspace_list_keys(WorkspaceRef::default()));
    send(ops.workspace_diagnose(WorkspaceRef::default()));
    send(ops.find_resource(Kind::StorageAccount, FindResource::default()));
    send(ops.begin(lro::LongRequest::WorkspaceSyncKeys(WorkspaceRef::default())));
}
