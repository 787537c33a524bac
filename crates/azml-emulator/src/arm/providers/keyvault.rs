//! Key vaults (`Microsoft.KeyVault/vaults`): names are global; deletion is soft (the name
//! stays taken until purged or recovered).

use axum::http::{Method, StatusCode};
use serde_json::{json, Value};

use crate::arm::common::{put_body, resource_id, PutBody};
use crate::arm::routes::Kind;
use crate::context::Ctx;
use crate::errors::{ArmError, ArmResult};
use crate::http::{Req, Resp};
use crate::store::{deleted_vault_body, soft_delete_enabled, Store, Tracked};
use crate::timestamps::iso;
use crate::tokens::Claims;

/// A new vault shows `RegisteringDns` for about 10 s before `Succeeded`.
const DNS_MS: u64 = 10_000;

fn name_error(name: &str) -> Option<ArmError> {
    let chars: Vec<char> = name.chars().collect();
    let ok = (3..=24).contains(&chars.len())
        && chars.iter().all(|c| c.is_ascii_alphanumeric() || *c == '-')
        && chars[0].is_ascii_alphabetic()
        && chars[chars.len() - 1].is_ascii_alphanumeric()
        && !name.contains("--");
    (!ok).then(|| {
        ArmError::bad_request(
            "VaultNameNotValid",
            format!(
                "The vault name '{name}' is invalid. A vault's name must be between 3-24 \
                 alphanumeric characters. The name must begin with a letter, end with a letter \
                 or digit, and not contain consecutive hyphens. Follow this link for more \
                 information: https://go.microsoft.com/fwlink/?linkid=2147742"
            ),
        )
    })
}

fn already_exists(name: &str) -> ArmError {
    ArmError::conflict(
        "VaultAlreadyExists",
        format!(
            "The vault name '{name}' is already in use. Vault names are globally unique so it is \
             possible that the name is already taken. If you are sure that the vault name was \
             not taken then it is possible that a vault with the same name was recently deleted \
             but not purged after being placed in a recoverable state. If the vault is in a \
             recoverable state then the vault will need to be purged before reusing the name. \
             For more information on VaultAlreadyExists, soft delete and purging a vault follow \
             this link https://go.microsoft.com/fwlink/?linkid=2147740."
        ),
    )
}

/// The body as served: `RegisteringDns` until the vault's DNS name is "registered".
fn served(ctx: &Ctx, v: &Tracked) -> Value {
    let mut body = v.body.clone();
    if ctx.clock.now_ms() < v.ready_at {
        body["properties"]["provisioningState"] = json!("RegisteringDns");
    }
    body
}

#[allow(clippy::too_many_arguments)]
pub(crate) fn handle(
    ctx: &Ctx,
    st: &mut Store,
    req: &Req,
    claims: &Claims,
    rg: &str,
    name: &str,
    action: Option<&str>,
) -> ArmResult<Resp> {
    let key = name.to_lowercase();
    let rg_key = rg.to_lowercase();
    let in_group = |st: &Store| st.vaults.get(&key).filter(|v| v.rg == rg_key).is_some();
    if let Some(a) = action {
        return Err(ArmError::not_found(
            "InvalidResourceType",
            format!("The resource type 'vaults/{a}' could not be found in the namespace 'Microsoft.KeyVault'."),
        ));
    }
    match req.method {
        Method::PUT => put(ctx, st, req, claims, rg, name),
        Method::GET => {
            crate::arm::common::existing_group(st, rg)?;
            if !in_group(st) {
                return Err(ArmError::resource_not_found(
                    Kind::Vault.ns_type(),
                    name,
                    rg,
                ));
            }
            Ok(Resp::ok(served(ctx, &st.vaults[&key])))
        }
        Method::DELETE => {
            crate::arm::common::existing_group(st, rg)?;
            if !in_group(st) {
                return Ok(Resp::empty(StatusCode::NO_CONTENT));
            }
            if let Some(vault) = st.vaults.shift_remove(&key) {
                if soft_delete_enabled(&vault.body) {
                    let deleted = deleted_vault_body(&vault.body, ctx.clock.now_ms());
                    st.deleted_vaults.insert(key, deleted);
                }
            }
            Ok(Resp::empty(StatusCode::OK))
        }
        _ => Err(crate::arm::common::method_not_allowed(req)),
    }
}

fn put(
    ctx: &Ctx,
    st: &mut Store,
    req: &Req,
    claims: &Claims,
    rg: &str,
    name: &str,
) -> ArmResult<Resp> {
    if let Some(e) = name_error(name) {
        return Err(e);
    }
    let PutBody {
        group_name,
        body: v,
        location,
        tags,
    } = put_body(st, req, rg)?;
    let key = name.to_lowercase();
    let rg_key = rg.to_lowercase();
    let props = v.get("properties").cloned().unwrap_or(json!({}));
    let recover = props["createMode"]
        .as_str()
        .is_some_and(|m| m.eq_ignore_ascii_case("recover"));
    if let Some(existing) = st.vaults.get(&key) {
        if existing.rg != rg_key {
            return Err(already_exists(name));
        }
    } else if st.deleted_vaults.contains_key(&key) && !recover {
        return Err(ArmError::conflict(
            "ConflictError",
            format!(
                "A vault with the same name already exists in deleted state. You need to either \
                 recover or purge existing key vault. Follow this link \
                 https://go.microsoft.com/fwlink/?linkid=2149745 for more information on soft \
                 delete. Vault name: '{name}'."
            ),
        ));
    }
    let tenant = props["tenantId"]
        .as_str()
        .unwrap_or(&ctx.cfg.tenant_id)
        .to_string();
    let sku = props
        .get("sku")
        .cloned()
        .unwrap_or(json!({"family": "A", "name": "standard"}));
    let now = ctx.clock.now_ms();
    let existing = st.vaults.get(&key);
    let (stored_name, created, ready_at) = match existing {
        Some(e) => (
            e.body["name"].as_str().unwrap_or(name).to_string(),
            e.body["systemData"]["createdAt"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
            e.ready_at,
        ),
        None => {
            // Only `realistic` shows `RegisteringDns`: the vault PUT carries no polling hint,
            // so SDKs would wait their default 30 s for a few milliseconds of "fast" latency.
            let dns = match ctx.cfg.latency {
                crate::config::Latency::Realistic => ctx.op_duration_ms(DNS_MS),
                _ => 0,
            };
            (name.to_string(), iso(now), now + dns)
        }
    };
    let flag = |k: &str, default: bool| props.get(k).and_then(Value::as_bool).unwrap_or(default);
    let mut properties = json!({
        "sku": sku,
        "tenantId": tenant,
        "accessPolicies": props.get("accessPolicies").cloned().unwrap_or(json!([])),
        "enabledForDeployment": flag("enabledForDeployment", false),
        "enabledForDiskEncryption": flag("enabledForDiskEncryption", false),
        "enabledForTemplateDeployment": flag("enabledForTemplateDeployment", false),
        "enableSoftDelete": flag("enableSoftDelete", true),
        "softDeleteRetentionInDays": props.get("softDeleteRetentionInDays").cloned().unwrap_or(json!(90)),
        "enableRbacAuthorization": flag("enableRbacAuthorization", false),
        "vaultUri": format!("https://{stored_name}.vault.azure.net/"),
        "provisioningState": "Succeeded",
        "publicNetworkAccess": props.get("publicNetworkAccess").cloned().unwrap_or(json!("Enabled")),
    });
    if flag("enablePurgeProtection", false) {
        properties["enablePurgeProtection"] = json!(true);
    }
    let body = json!({
        "id": resource_id(ctx, &group_name, Kind::Vault, &stored_name),
        "name": stored_name,
        "type": Kind::Vault.ns_type(),
        "location": location,
        "tags": tags.unwrap_or(json!({})),
        "systemData": {
            "createdBy": claims.appid,
            "createdByType": "Application",
            "createdAt": created,
            "lastModifiedBy": claims.appid,
            "lastModifiedByType": "Application",
            "lastModifiedAt": iso(now),
        },
        "properties": properties,
    });
    st.deleted_vaults.shift_remove(&key);
    let tracked = Tracked {
        rg: rg_key,
        body,
        ready_at,
        keys: Vec::new(),
    };
    let resp = Resp::ok(served(ctx, &tracked));
    st.vaults.insert(key, tracked);
    Ok(resp)
}

/// Lets a workspace's system identity use the vault, as the ML service does on create.
pub(crate) fn grant_access(st: &mut Store, vault_name: &str, tenant: &str, object_id: &str) {
    if let Some(v) = st.vaults.get_mut(&vault_name.to_lowercase()) {
        if let Some(policies) = v.body["properties"]["accessPolicies"].as_array_mut() {
            policies.push(json!({
                "tenantId": tenant,
                "objectId": object_id,
                "permissions": {
                    "keys": ["all"],
                    "secrets": ["all"],
                    "certificates": ["all"],
                    "storage": [],
                },
            }));
        }
    }
}

pub(crate) fn list(ctx: &Ctx, st: &Store, rg: Option<&str>) -> Vec<Value> {
    let rg = rg.map(str::to_lowercase);
    st.vaults
        .values()
        .filter(|v| rg.as_ref().is_none_or(|rg| &v.rg == rg))
        .map(|v| served(ctx, v))
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
    let key = name.to_lowercase();
    if st.vaults.contains_key(&key) || st.deleted_vaults.contains_key(&key) {
        return Ok(Resp::ok(json!({
            "nameAvailable": false,
            "reason": "AlreadyExists",
            "message": format!("The vault name '{name}' is already in use."),
        })));
    }
    Ok(Resp::ok(json!({"nameAvailable": true})))
}

/// `GET …/locations/{loc}/deletedVaults/{name}` and `POST …/purge`.
pub(crate) fn deleted(
    _ctx: &Ctx,
    st: &mut Store,
    req: &Req,
    name: &str,
    purge: bool,
) -> ArmResult<Resp> {
    let key = name.to_lowercase();
    let not_found = || {
        ArmError::not_found(
            "ResourceNotFound",
            format!("The Resource 'Microsoft.KeyVault/deletedVaults/{name}' was not found."),
        )
    };
    match (purge, &req.method) {
        (false, &Method::GET) => st
            .deleted_vaults
            .get(&key)
            .map(|b| Resp::ok(b.clone()))
            .ok_or_else(not_found),
        (true, &Method::POST) => {
            let body = st.deleted_vaults.get(&key).ok_or_else(not_found)?;
            if body["properties"]["purgeProtectionEnabled"] == json!(true) {
                return Err(ArmError::conflict(
                    "ConflictError",
                    format!("Vault '{name}' has purge protection enabled and cannot be purged."),
                ));
            }
            st.deleted_vaults.shift_remove(&key);
            Ok(Resp::empty(StatusCode::OK))
        }
        _ => Err(crate::arm::common::method_not_allowed(req)),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn names() {
        assert!(super::name_error("kv-1").is_none());
        assert!(super::name_error("1kv").is_some());
        assert!(super::name_error("kv--1").is_some());
        assert!(super::name_error("kv-").is_some());
        assert!(super::name_error("kv").is_some());
        assert!(super::name_error(&"k".repeat(25)).is_some());
    }
}
