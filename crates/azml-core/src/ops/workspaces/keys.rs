//! `az ml workspace sync-keys` and `list-keys`: POSTs on the workspace; the keys listed are
//! secrets, which nothing here logs.

use serde_json::{Map, Value};

use crate::arm::{api_versions, LroState, LroVerb};
use crate::error::Result;
use crate::ops::client::ArmApi;
use crate::ops::common::workspace_path;
use crate::ops::params::WorkspaceRef;

pub async fn workspace_sync_keys<A: ArmApi>(arm: &A, sub: &str, p: WorkspaceRef) -> Result<()> {
    let path = format!("{}/resyncKeys", workspace_path(sub, &p)?);
    arm.post(&path, api_versions::WORKSPACES, None).await?;
    Ok(())
}

/// The `resyncKeys` POST, accepted by ARM (long-running on api-versions from 2021 on).
pub async fn workspace_sync_keys_begin<A: ArmApi>(
    arm: &A,
    sub: &str,
    p: WorkspaceRef,
) -> Result<LroState> {
    let path = format!("{}/resyncKeys", workspace_path(sub, &p)?);
    arm.begin(LroVerb::Post, &path, api_versions::WORKSPACES, None)
        .await
}

pub async fn workspace_list_keys<A: ArmApi>(arm: &A, sub: &str, p: WorkspaceRef) -> Result<Value> {
    let path = format!("{}/listKeys", workspace_path(sub, &p)?);
    Ok(arm
        .post(&path, api_versions::WORKSPACES, None)
        .await?
        .unwrap_or_else(|| Value::Object(Map::new())))
}
