//! `az ml workspace update`: a PATCH of what was passed only; a new primary identity is
//! checked to exist and added to those attached.

use serde_json::Value;

use crate::arm::resource_id::{self as ids, ArmId};
use crate::arm::{api_versions, LroState, LroVerb};
use crate::error::{Error, Result};
use crate::ops::bodies;
use crate::ops::client::ArmApi;
use crate::ops::common::{not_found, subscription, with_message};
use crate::ops::params::WorkspaceUpdate;
use crate::ops::validate;

pub async fn workspace_update<A: ArmApi>(arm: &A, sub: &str, p: WorkspaceUpdate) -> Result<Value> {
    let state = workspace_update_begin(arm, sub, p).await?;
    arm.wait_for(&state).await
}

/// The PATCH, accepted by ARM (or, with nothing to change, the workspace as it is).
pub async fn workspace_update_begin<A: ArmApi>(
    arm: &A,
    sub: &str,
    p: WorkspaceUpdate,
) -> Result<LroState> {
    subscription(sub)?;
    validate::workspace_update(&p)?;
    let path = ids::workspace_path(sub, &p.resource_group, &p.name);
    let Some(mut body) = bodies::workspace_patch(&p) else {
        // Nothing to change: what is there now, without a write.
        let now = arm.get(&path, api_versions::WORKSPACES).await?;
        return Ok(LroState::finished(
            LroVerb::Put,
            format!("{path}?api-version={}", api_versions::WORKSPACES),
            now,
        ));
    };
    if let Some(uai) = &p.primary_user_assigned_identity {
        // The primary identity must be attached: read what is attached now, and check the
        // identity exists, before writing.
        let uai_path = ArmId::parse(uai).map_err(Error::validation)?.path();
        let (current, found) = futures::join!(
            arm.get(&path, api_versions::WORKSPACES),
            arm.get(&uai_path, api_versions::MANAGED_IDENTITIES)
        );
        let current = current?;
        if let Err(e) = found {
            if not_found(&e) {
                let m = format!(
                    "primary_user_assigned_identity '{uai}' not found; nothing was changed: create the identity first or fix the id"
                );
                return Err(with_message(e, m));
            }
            return Err(e);
        }
        let identity = current.get("identity").cloned().unwrap_or(Value::Null);
        body["identity"] = bodies::identity_with(&identity, uai);
    }
    arm.begin(LroVerb::Patch, &path, api_versions::WORKSPACES, Some(&body))
        .await
}
