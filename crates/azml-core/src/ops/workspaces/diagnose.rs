//! `az ml workspace diagnose`: a POST the service answers with an operation to poll.

use serde_json::{json, Map, Value};

use crate::arm::{api_versions, LroState, LroVerb};
use crate::error::Result;
use crate::ops::client::ArmApi;
use crate::ops::common::workspace_path;
use crate::ops::params::WorkspaceRef;

/// The `diagnose` POST, accepted by ARM (answered with a `Location` to poll).
pub async fn workspace_diagnose_begin<A: ArmApi>(
    arm: &A,
    sub: &str,
    p: WorkspaceRef,
) -> Result<LroState> {
    let path = format!("{}/diagnose", workspace_path(sub, &p)?);
    // A diagnosis holds no secret: one answered at once travels in the token.
    Ok(arm
        .begin(
            LroVerb::Post,
            &path,
            api_versions::WORKSPACES,
            Some(&json!({"value": {}})),
        )
        .await?
        .keeping_result())
}

pub async fn workspace_diagnose<A: ArmApi>(arm: &A, sub: &str, p: WorkspaceRef) -> Result<Value> {
    let path = format!("{}/diagnose", workspace_path(sub, &p)?);
    Ok(arm
        .post(&path, api_versions::WORKSPACES, Some(&json!({"value": {}})))
        .await?
        .unwrap_or_else(|| Value::Object(Map::new())))
}
