//! `az group …`: create, show, list (with az's `--tag` filter), exists, update, delete.

use serde_json::{json, Value};

use super::client::ArmApi;
use super::common::{encode_query, odata_literal, subscription};
use super::params::{GroupCreate, GroupDelete, GroupList, GroupUpdate};
use super::{bodies, validate};
use crate::arm::resource_id as ids;
use crate::arm::{api_versions, LroState, LroVerb};
use crate::error::{Error, Result};

pub async fn create<A: ArmApi>(arm: &A, sub: &str, p: GroupCreate) -> Result<Value> {
    subscription(sub)?;
    validate::group_create(&p)?;
    let body = bodies::group(&p.location, p.tags.as_ref(), p.managed_by.as_deref());
    arm.put(
        &ids::group_path(sub, &p.name),
        api_versions::RESOURCE_GROUPS,
        &body,
    )
    .await
}

pub async fn show<A: ArmApi>(arm: &A, sub: &str, name: &str) -> Result<Value> {
    subscription(sub)?;
    validate::group_name(name)?;
    arm.get(&ids::group_path(sub, name), api_versions::RESOURCE_GROUPS)
        .await
}

pub async fn exists<A: ArmApi>(arm: &A, sub: &str, name: &str) -> Result<bool> {
    subscription(sub)?;
    validate::group_name(name)?;
    arm.exists(&ids::group_path(sub, name), api_versions::RESOURCE_GROUPS)
        .await
}

pub async fn delete<A: ArmApi>(arm: &A, sub: &str, p: GroupDelete) -> Result<()> {
    subscription(sub)?;
    validate::group_name(&p.name)?;
    arm.delete(
        &ids::group_path(sub, &p.name),
        api_versions::RESOURCE_GROUPS,
        p.no_wait,
    )
    .await
}

/// The group deletion, accepted by ARM.
pub async fn delete_begin<A: ArmApi>(arm: &A, sub: &str, p: GroupDelete) -> Result<LroState> {
    subscription(sub)?;
    validate::group_name(&p.name)?;
    arm.begin(
        LroVerb::Delete,
        &ids::group_path(sub, &p.name),
        api_versions::RESOURCE_GROUPS,
        None,
    )
    .await
}

pub async fn update<A: ArmApi>(arm: &A, sub: &str, p: GroupUpdate) -> Result<Value> {
    subscription(sub)?;
    validate::group_name(&p.name)?;
    let path = ids::group_path(sub, &p.name);
    match &p.tags {
        Some(tags) => {
            validate::tags(tags)?;
            arm.patch(
                &path,
                api_versions::RESOURCE_GROUPS,
                &json!({ "tags": Value::Object(tags.clone()) }),
            )
            .await
        }
        // Nothing to change: az prints the group as it is.
        None => arm.get(&path, api_versions::RESOURCE_GROUPS).await,
    }
}

/// az's `--tag key[=value]` as an ARM `$filter` (`None`: no filter).
pub fn tag_filter(tag: Option<&str>) -> Result<Option<String>> {
    let Some(tag) = tag else { return Ok(None) };
    let (key, value) = match tag.split_once('=') {
        Some((k, v)) => (k, v),
        None => (tag, ""),
    };
    if key.trim().is_empty() {
        return Err(Error::validation(format!(
            "tag filter '{tag}' has no tag name: use 'name' or 'name=value'"
        )));
    }
    let mut filter = format!("tagName eq {}", odata_literal(key));
    // az leaves the value out of the filter when it is empty (`--tag k` or `--tag k=`).
    if !value.is_empty() {
        filter.push_str(&format!(" and tagValue eq {}", odata_literal(value)));
    }
    Ok(Some(filter))
}

pub async fn list<A: ArmApi>(arm: &A, sub: &str, p: GroupList) -> Result<Vec<Value>> {
    subscription(sub)?;
    let mut path = ids::groups_path(sub);
    if let Some(filter) = tag_filter(p.tag.as_deref())? {
        path.push_str("?$filter=");
        path.push_str(&encode_query(&filter));
    }
    arm.list(&path, api_versions::RESOURCE_GROUPS).await
}
