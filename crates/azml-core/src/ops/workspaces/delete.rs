//! `az ml workspace delete`: the workspace DELETE (purged with `permanently_delete`) and,
//! with `all_resources`, the resources it linked to once it is gone.

use futures::future::join_all;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::dependent::Dependent;
use crate::arm::resource_id::{self as ids, ArmId, Kind};
use crate::arm::{api_versions, LroState, LroVerb};
use crate::error::{Error, ErrorKind, Result};
use crate::ops::client::ArmApi;
use crate::ops::common::{subscription, with_message, within_subscription};
use crate::ops::params::WorkspaceDelete;
use crate::ops::validate;

pub async fn workspace_delete<A: ArmApi>(arm: &A, sub: &str, p: WorkspaceDelete) -> Result<()> {
    let no_wait = p.no_wait;
    let rest = workspace_delete_begin(arm, sub, p).await?;
    // Dependents can only go once the workspace is gone, so with all_resources the
    // workspace delete is waited for even under no_wait.
    if no_wait && rest.dependents.is_empty() && rest.skipped.is_empty() {
        return Ok(());
    }
    workspace_delete_finish(arm, rest).await
}

/// What is left of a workspace deletion once ARM has accepted the workspace DELETE:
/// waiting for it, then deleting the resources it linked to (with `all_resources`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WorkspaceDeleteRest {
    name: String,
    workspace: LroState,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    dependents: Vec<Dependent>,
    /// Linked resources whose ids azml does not know how to delete.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    skipped: Vec<String>,
    /// Do not wait for the dependents' deletions.
    #[serde(default)]
    no_wait: bool,
}

impl WorkspaceDeleteRest {
    /// Every path this deletion would touch lies in `sub`.
    pub(crate) fn within(&self, sub: &str) -> bool {
        within_subscription(&self.workspace.resource, sub)
            && self
                .dependents
                .iter()
                .all(|c| within_subscription(&c.path, sub))
    }
}

/// The workspace DELETE, accepted by ARM; with `all_resources`, its links read before.
pub async fn workspace_delete_begin<A: ArmApi>(
    arm: &A,
    sub: &str,
    p: WorkspaceDelete,
) -> Result<WorkspaceDeleteRest> {
    subscription(sub)?;
    validate::workspace_delete(&p)?;
    let ws_path = ids::workspace_path(sub, &p.resource_group, &p.name);
    // The links must be read before the workspace goes.
    let linked = if p.all_resources {
        Some(arm.get(&ws_path, api_versions::WORKSPACES).await?)
    } else {
        None
    };
    let delete_path = if p.permanently_delete {
        format!("{ws_path}?forceToPurge=true")
    } else {
        ws_path
    };
    let mut dependents = Vec::new();
    let mut skipped = Vec::new();
    let props = linked.as_ref().and_then(|b| b.get("properties"));
    for key in [
        "storageAccount",
        "keyVault",
        "applicationInsights",
        "containerRegistry",
    ] {
        let Some(id) = props
            .and_then(|p| p.get(key))
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
        else {
            continue;
        };
        match ArmId::parse(id)
            .ok()
            .and_then(|a| Kind::of(&a).map(|k| (a, k)))
        {
            Some((a, kind)) => dependents.push(Dependent {
                kind,
                name: a.name().to_string(),
                path: a.path(),
            }),
            None => skipped.push(format!("{key} '{id}'")),
        }
    }
    let workspace = arm
        .begin(
            LroVerb::Delete,
            &delete_path,
            api_versions::WORKSPACES,
            None,
        )
        .await?;
    Ok(WorkspaceDeleteRest {
        name: p.name,
        workspace,
        dependents,
        skipped,
        no_wait: p.no_wait,
    })
}

/// The rest of [`workspace_delete`], in this process or another.
pub async fn workspace_delete_finish<A: ArmApi>(arm: &A, rest: WorkspaceDeleteRest) -> Result<()> {
    arm.wait_for(&rest.workspace).await?;
    let no_wait = rest.no_wait;
    let results = join_all(
        rest.dependents
            .iter()
            .map(|c| async move { (c, arm.delete(&c.path, c.kind.api_version(), no_wait).await) }),
    )
    .await;
    let mut failed: Option<Error> = None;
    let mut problems = Vec::new();
    for (c, r) in results {
        if let Err(e) = r {
            problems.push(format!("{} ({e})", c.describe()));
            failed.get_or_insert(e);
        }
    }
    problems.extend(
        rest.skipped
            .into_iter()
            .map(|s| format!("{s} (not a resource id azml knows)")),
    );
    if problems.is_empty() {
        return Ok(());
    }
    let m = format!(
        "workspace '{}' was deleted, but not all of its resources: {}",
        rest.name,
        problems.join(", ")
    );
    Err(match failed {
        Some(e) => with_message(e, m),
        None => Error::new(ErrorKind::Http, m),
    })
}
