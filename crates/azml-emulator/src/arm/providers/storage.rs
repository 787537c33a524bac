//! Storage accounts (`Microsoft.Storage/storageAccounts`): names are global.

use axum::http::{Method, StatusCode};
use serde_json::{json, Value};

use crate::arm::common::{put_body, resource_id, PutBody};
use crate::arm::routes::Kind;
use crate::context::Ctx;
use crate::errors::{ArmError, ArmResult};
use crate::http::{Req, Resp};
use crate::ids::{new_guid, random_key};
use crate::store::{OpKind, Store, Tracked};
use crate::timestamps::iso;

const SKUS: &[&str] = &[
    "Standard_LRS",
    "Standard_GRS",
    "Standard_RAGRS",
    "Standard_ZRS",
    "Premium_LRS",
    "Premium_ZRS",
    "Standard_GZRS",
    "Standard_RAGZRS",
];
const KINDS: &[&str] = &[
    "Storage",
    "StorageV2",
    "BlobStorage",
    "FileStorage",
    "BlockBlobStorage",
];

fn name_error(name: &str) -> Option<ArmError> {
    let ok = (3..=24).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    (!ok).then(|| {
        ArmError::bad_request(
            "AccountNameInvalid",
            format!(
                "{name} is not a valid storage account name. Storage account name must be \
                 between 3 and 24 characters in length and use numbers and lower-case letters \
                 only."
            ),
        )
    })
}

pub(crate) fn handle(
    ctx: &Ctx,
    st: &mut Store,
    req: &Req,
    rg: &str,
    name: &str,
    action: Option<&str>,
) -> ArmResult<Resp> {
    let key = name.to_lowercase();
    let in_group = |st: &Store| {
        st.storage
            .get(&key)
            .filter(|a| a.rg == rg.to_lowercase())
            .is_some()
    };
    match (action.map(str::to_ascii_lowercase).as_deref(), &req.method) {
        (None, &Method::PUT) => put(ctx, st, req, rg, name),
        (None, &Method::GET) => {
            crate::arm::common::existing_group(st, rg)?;
            if !in_group(st) {
                return Err(ArmError::resource_not_found(Kind::Storage.ns_type(), name, rg));
            }
            Ok(Resp::ok(served(ctx, &st.storage[&key])))
        }
        (None, &Method::DELETE) => {
            crate::arm::common::existing_group(st, rg)?;
            if !in_group(st) {
                return Ok(Resp::empty(StatusCode::NO_CONTENT));
            }
            st.storage.shift_remove(&key);
            Ok(Resp::empty(StatusCode::OK))
        }
        (Some("listkeys"), &Method::POST) => {
            crate::arm::common::existing_group(st, rg)?;
            if !in_group(st) {
                return Err(ArmError::resource_not_found(Kind::Storage.ns_type(), name, rg));
            }
            let acct = &st.storage[&key];
            let created = acct.body["properties"]["creationTime"].clone();
            let keys: Vec<Value> = acct
                .keys
                .iter()
                .enumerate()
                .map(|(i, k)| {
                    json!({"creationTime": created, "keyName": format!("key{}", i + 1), "value": k, "permissions": "FULL"})
                })
                .collect();
            Ok(Resp::ok(json!({ "keys": keys })))
        }
        (None, _) => Err(crate::arm::common::method_not_allowed(req)),
        (Some(a), _) => Err(ArmError::not_found(
            "InvalidResourceType",
            format!("The resource type 'storageAccounts/{a}' could not be found in the namespace 'Microsoft.Storage'."),
        )),
    }
}

fn put(ctx: &Ctx, st: &mut Store, req: &Req, rg: &str, name: &str) -> ArmResult<Resp> {
    if let Some(e) = name_error(name) {
        return Err(e);
    }
    let PutBody {
        group_name,
        body: v,
        location,
        tags,
    } = put_body(st, req, rg)?;
    let sku = v["sku"]["name"].as_str().unwrap_or("Standard_LRS");
    let Some(sku) = SKUS.iter().find(|s| s.eq_ignore_ascii_case(sku)) else {
        return Err(ArmError::bad_request(
            "InvalidValuesForRequestParameters",
            format!("Values for request parameters are invalid: sku.name '{sku}'."),
        ));
    };
    let kind = v["kind"].as_str().unwrap_or("StorageV2");
    let Some(kind) = KINDS.iter().find(|k| k.eq_ignore_ascii_case(kind)) else {
        return Err(ArmError::bad_request(
            "InvalidValuesForRequestParameters",
            format!("Values for request parameters are invalid: kind '{kind}'."),
        ));
    };
    let key = name.to_lowercase();
    if let Some(existing) = st.storage.get(&key) {
        if existing.rg != rg.to_lowercase() {
            return Err(ArmError::conflict(
                "StorageAccountAlreadyTaken",
                format!("The storage account named {name} is already taken."),
            ));
        }
        if existing.body["location"].as_str() != Some(location.as_str()) {
            return Err(ArmError::conflict(
                "InvalidResourceLocation",
                format!(
                    "The resource '{name}' already exists in location '{}' in resource group \
                     '{group_name}'. A resource with the same name cannot be created in location \
                     '{location}'. Please select a new resource name.",
                    existing.body["location"].as_str().unwrap_or_default()
                ),
            ));
        }
    }
    let now = ctx.clock.now_ms();
    let existing = st.storage.get(&key);
    let (created, keys, stored_name) = match existing {
        Some(e) => (
            e.body["properties"]["creationTime"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
            e.keys.clone(),
            e.body["name"].as_str().unwrap_or(name).to_string(),
        ),
        None => (iso(now), vec![random_key(), random_key()], name.to_string()),
    };
    let props = v.get("properties").cloned().unwrap_or(json!({}));
    let flag = |k: &str, default: bool| props.get(k).and_then(Value::as_bool).unwrap_or(default);
    let endpoint = |svc: &str| format!("https://{stored_name}.{svc}.core.windows.net/");
    let tier = if sku.starts_with("Premium") {
        "Premium"
    } else {
        "Standard"
    };
    let mut properties = json!({
        "keyCreationTime": {"key1": created, "key2": created},
        "allowCrossTenantReplication": flag("allowCrossTenantReplication", false),
        "privateEndpointConnections": [],
        "minimumTlsVersion": props.get("minimumTlsVersion").cloned().unwrap_or(json!("TLS1_2")),
        "allowBlobPublicAccess": flag("allowBlobPublicAccess", false),
        "allowSharedKeyAccess": flag("allowSharedKeyAccess", true),
        "isHnsEnabled": flag("isHnsEnabled", false),
        "networkAcls": props.get("networkAcls").cloned().unwrap_or(json!({"bypass": "AzureServices", "virtualNetworkRules": [], "ipRules": [], "defaultAction": "Allow"})),
        "supportsHttpsTrafficOnly": flag("supportsHttpsTrafficOnly", true),
        "encryption": {
            "services": {
                "file": {"keyType": "Account", "enabled": true, "lastEnabledTime": created},
                "blob": {"keyType": "Account", "enabled": true, "lastEnabledTime": created},
            },
            "keySource": "Microsoft.Storage",
        },
        "provisioningState": "Succeeded",
        "creationTime": created,
        "primaryEndpoints": {
            "dfs": endpoint("dfs"),
            "web": endpoint("web"),
            "blob": endpoint("blob"),
            "queue": endpoint("queue"),
            "table": endpoint("table"),
            "file": endpoint("file"),
        },
        "primaryLocation": location,
        "statusOfPrimary": "available",
    });
    if *kind == "StorageV2" || *kind == "BlobStorage" {
        properties["accessTier"] = props.get("accessTier").cloned().unwrap_or(json!("Hot"));
    }
    let body = json!({
        "sku": {"name": sku, "tier": tier},
        "kind": kind,
        "id": resource_id(ctx, &group_name, Kind::Storage, &stored_name),
        "name": stored_name,
        "type": Kind::Storage.ns_type(),
        "location": location,
        "tags": tags.unwrap_or(json!({})),
        "properties": properties,
    });
    // A new account takes ~20 s in Azure, answered 202 + Location (ARM-CONTRACT §1); an
    // update of an existing one is synchronous.
    let ready_at = match existing {
        Some(e) => e.ready_at,
        None => now + ctx.op_duration_ms(CREATE_MS),
    };
    st.storage.insert(
        key.clone(),
        Tracked {
            rg: rg.to_lowercase(),
            body: body.clone(),
            ready_at,
            keys,
        },
    );
    if ready_at <= now {
        return Ok(Resp::ok(body));
    }
    let op = new_guid();
    st.add_op(op.clone(), ready_at, OpKind::StorageCreate { key });
    Ok(accepted(ctx, req, &location, &op))
}

/// Realistic creation time of a storage account (recorded: 15–25 s).
const CREATE_MS: u64 = 20_000;

fn accepted(ctx: &Ctx, req: &Req, location: &str, op: &str) -> Resp {
    let url = format!(
        "{}/subscriptions/{}/providers/Microsoft.Storage/locations/{location}/asyncoperations/{op}?monitor=true&api-version={}",
        ctx.url,
        ctx.cfg.subscription_id,
        req.api_version()
    );
    ctx.poll_hint(Resp::empty(StatusCode::ACCEPTED), Some("17"))
        .header("location", url)
}

/// The account as served: `Creating` until its creation completes.
fn served(ctx: &Ctx, acct: &Tracked) -> Value {
    let mut body = acct.body.clone();
    if ctx.clock.now_ms() < acct.ready_at {
        body["properties"]["provisioningState"] = json!("Creating");
    }
    body
}

/// `GET` on a creation's `Location`: 202 while it runs, then 200 with the account, or the
/// error it failed with.
pub(crate) fn operation_status(ctx: &Ctx, st: &mut Store, req: &Req, id: &str) -> ArmResult<Resp> {
    if req.method != Method::GET {
        return Err(crate::arm::common::method_not_allowed(req));
    }
    st.advance(ctx.clock.now_ms());
    let not_found = || {
        ArmError::not_found(
            "ResourceNotFound",
            format!("The operation '{id}' could not be found."),
        )
    };
    let op = st.ops.get(id).ok_or_else(not_found)?;
    let OpKind::StorageCreate { key } = &op.kind else {
        return Err(not_found());
    };
    if let (true, Some(f)) = (op.applied, &op.failure) {
        return Err(f.to_error());
    }
    if !op.applied {
        let location = req.segs.get(5).cloned().unwrap_or_default();
        return Ok(accepted(ctx, req, &location, id));
    }
    match st.storage.get(key) {
        Some(acct) => Ok(Resp::ok(served(ctx, acct))),
        None => Err(not_found()),
    }
}

pub(crate) fn list(_ctx: &Ctx, st: &Store, rg: Option<&str>) -> Vec<Value> {
    let rg = rg.map(str::to_lowercase);
    st.storage
        .values()
        .filter(|a| rg.as_ref().is_none_or(|rg| &a.rg == rg))
        .map(|a| a.body.clone())
        .collect()
}

pub(crate) fn check_name(st: &Store, req: &Req) -> ArmResult<Resp> {
    if req.method != Method::POST {
        return Err(crate::arm::common::method_not_allowed(req));
    }
    let v = req.json()?;
    let name = v["name"].as_str().unwrap_or_default();
    if let Some(e) = name_error(name) {
        return Ok(Resp::ok(
            json!({"nameAvailable": false, "reason": "AccountNameInvalid", "message": e.message}),
        ));
    }
    if st.storage.contains_key(&name.to_lowercase()) {
        return Ok(Resp::ok(json!({
            "nameAvailable": false,
            "reason": "AlreadyExists",
            "message": format!("The storage account named {name} is already taken."),
        })));
    }
    Ok(Resp::ok(json!({"nameAvailable": true})))
}

#[cfg(test)]
mod tests {
    #[test]
    fn names() {
        assert!(super::name_error("abc123").is_none());
        assert!(super::name_error("ab").is_some());
        assert!(super::name_error("Abc").is_some());
        assert!(super::name_error("a-bc").is_some());
        assert!(super::name_error(&"a".repeat(25)).is_some());
    }
}
