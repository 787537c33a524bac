//! `az ml workspace list` (one subscription or several, concurrently) and `show`.

use futures::future::join_all;
use serde_json::Value;

use crate::arm::api_versions;
use crate::arm::resource_id::{self as ids, Kind};
use crate::error::Result;
use crate::ops::client::ArmApi;
use crate::ops::common::{subscription, with_message};
use crate::ops::params::{WorkspaceList, WorkspaceRef};
use crate::ops::validate;

pub async fn workspace_list<A: ArmApi>(arm: &A, sub: &str, p: WorkspaceList) -> Result<Vec<Value>> {
    if let Some(g) = &p.resource_group {
        validate::group_name(g)?;
    }
    let subs: Vec<String> = match &p.subscription_ids {
        None => {
            subscription(sub)?;
            vec![sub.to_string()]
        }
        Some(given) => validate::subscription_ids(given)?,
    };
    let path_for = |s: &str| match &p.resource_group {
        Some(g) => ids::resources_path(s, g, Kind::Workspace),
        None => ids::subscription_workspaces_path(s),
    };
    // Concurrently, every page of each; joined in the order the subscriptions were given.
    let results = join_all(subs.iter().map(|s| {
        let path = path_for(s);
        async move { (s, arm.list(&path, api_versions::WORKSPACES).await) }
    }))
    .await;
    let several = subs.len() > 1;
    let mut all = Vec::new();
    for (s, r) in results {
        match r {
            Ok(items) => all.extend(items),
            Err(e) if several => {
                let m = format!(
                    "listing the workspaces of subscription '{s}': {}",
                    e.message
                );
                return Err(with_message(e, m));
            }
            Err(e) => return Err(e),
        }
    }
    Ok(all)
}

pub async fn workspace_show<A: ArmApi>(arm: &A, sub: &str, p: WorkspaceRef) -> Result<Value> {
    subscription(sub)?;
    validate::workspace_ref(&p)?;
    arm.get(
        &ids::workspace_path(sub, &p.resource_group, &p.name),
        api_versions::WORKSPACES,
    )
    .await
}
