//! `az storage account show`, `keyvault show`, `acr show`, `monitor app-insights component
//! show`: looking up the resources whose ids `workspace create` takes.

use serde_json::Value;

use super::client::ArmApi;
use super::common::subscription;
use super::params::FindResource;
use super::validate;
use crate::arm::encode_segment;
use crate::arm::resource_id::{self as ids, Kind};
use crate::error::{Error, ErrorKind, Result};

fn resource_name(kind: Kind, name: &str) -> Result<()> {
    let bad = name.trim().is_empty()
        || name.len() > 260
        || name
            .chars()
            .any(|c| c.is_control() || matches!(c, '/' | '\\' | '?' | '#' | '%'));
    if bad {
        return Err(Error::validation(format!(
            "{} name '{name}' is not a resource name: give the name alone, not an id or a path",
            kind.label()
        )));
    }
    Ok(())
}

/// `az storage account show` / `keyvault show` / `acr show` / `monitor app-insights
/// component show`: the resource's ARM body; without a group, the subscription's resources
/// of that type are listed and the one of that name (case-insensitive) is taken, as az does.
pub async fn find_resource<A: ArmApi>(
    arm: &A,
    sub: &str,
    kind: Kind,
    p: FindResource,
) -> Result<Value> {
    subscription(sub)?;
    resource_name(kind, &p.name)?;
    if let Some(g) = &p.resource_group {
        validate::group_name(g)?;
        return arm
            .get(
                &ids::resource_path(sub, g, kind, &p.name),
                kind.api_version(),
            )
            .await;
    }
    let path = format!(
        "/subscriptions/{}/providers/{}/{}",
        encode_segment(sub),
        kind.namespace(),
        kind.type_name()
    );
    let all = arm.list(&path, kind.api_version()).await?;
    all.into_iter()
        .find(|r| {
            r.get("name")
                .and_then(Value::as_str)
                .is_some_and(|n| n.eq_ignore_ascii_case(&p.name))
        })
        .ok_or_else(|| {
            Error::new(
                ErrorKind::NotFound,
                format!(
                    "{} '{}' was not found in subscription '{sub}': check the name, or pass its resource group",
                    kind.label(),
                    p.name
                ),
            )
            .with_code("ResourceNotFound")
        })
}
