//! Container registries (`Microsoft.ContainerRegistry/registries`): names are global (they
//! become `{name}.azurecr.io`).

use axum::http::{Method, StatusCode};
use serde_json::{json, Value};

use crate::arm::common::{put_body, resource_id, PutBody};
use crate::arm::routes::Kind;
use crate::context::Ctx;
use crate::errors::{ArmError, ArmResult};
use crate::http::{Req, Resp};
use crate::ids::random_key;
use crate::store::{Store, Tracked};
use crate::timestamps::iso;
use crate::tokens::Claims;

fn name_error(name: &str) -> Option<ArmError> {
    let ok = (5..=50).contains(&name.len()) && name.chars().all(|c| c.is_ascii_alphanumeric());
    (!ok).then(|| {
        ArmError::bad_request(
            "InvalidParameter",
            format!(
                "Invalid registry name '{name}': the name must be 5 to 50 characters long and \
                 contain only letters and digits."
            ),
        )
    })
}

/// The registry's admin credentials, or the error ACR gives when the admin user is off.
pub(crate) fn credentials(r: &Tracked) -> ArmResult<Value> {
    if r.body["properties"]["adminUserEnabled"] != json!(true) {
        return Err(ArmError::bad_request(
            "UnAuthorizedForCredentialOperations",
            format!(
                "Cannot perform credential operations for {} as admin user is disabled. Kindly \
                 enable admin user as per docs: \
                 https://docs.microsoft.com/en-us/azure/container-registry/container-registry-authentication#admin-account",
                r.body["id"].as_str().unwrap_or_default()
            ),
        ));
    }
    Ok(json!({
        "username": r.body["name"],
        "passwords": [
            {"name": "password", "value": r.keys.first()},
            {"name": "password2", "value": r.keys.get(1)},
        ],
    }))
}

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
    let in_group = |st: &Store| st.registries.get(&key).is_some_and(|r| r.rg == rg_key);
    let not_found = || ArmError::resource_not_found(Kind::Registry.ns_type(), name, rg);
    match (action.map(str::to_ascii_lowercase).as_deref(), &req.method) {
        (None, &Method::PUT) => put(ctx, st, req, claims, rg, name),
        (None, &Method::GET) => {
            crate::arm::common::existing_group(st, rg)?;
            if !in_group(st) {
                return Err(not_found());
            }
            Ok(Resp::ok(st.registries[&key].body.clone()))
        }
        (None, &Method::DELETE) => {
            crate::arm::common::existing_group(st, rg)?;
            if !in_group(st) {
                return Ok(Resp::empty(StatusCode::NO_CONTENT));
            }
            st.registries.shift_remove(&key);
            Ok(Resp::empty(StatusCode::OK))
        }
        (Some("listcredentials"), &Method::POST) => {
            crate::arm::common::existing_group(st, rg)?;
            if !in_group(st) {
                return Err(not_found());
            }
            Ok(Resp::ok(credentials(&st.registries[&key])?))
        }
        (None, _) => Err(crate::arm::common::method_not_allowed(req)),
        (Some(a), _) => Err(ArmError::not_found(
            "InvalidResourceType",
            format!("The resource type 'registries/{a}' could not be found in the namespace 'Microsoft.ContainerRegistry'."),
        )),
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
    // ARM accepts Unicode letters in group names; the registry service does not.
    if !group_name.is_ascii() {
        return Err(ArmError::bad_request(
            "InvalidResourceGroupName",
            format!(
                "Resource group '{group_name}' contains characters Azure Container Registry \
                 does not support: create the registry in a group whose name is ASCII \
                 (letters, digits, '-', '_', '(', ')' and '.')."
            ),
        ));
    }
    let sku = v["sku"]["name"].as_str().unwrap_or_default();
    let Some(sku) = ["Basic", "Standard", "Premium"]
        .into_iter()
        .find(|s| s.eq_ignore_ascii_case(sku))
    else {
        return Err(ArmError::bad_request(
            "InvalidParameter",
            format!("The sku '{sku}' is invalid: use Basic, Standard or Premium."),
        ));
    };
    let key = name.to_lowercase();
    let rg_key = rg.to_lowercase();
    if let Some(existing) = st.registries.get(&key) {
        if existing.rg != rg_key {
            return Err(ArmError::conflict(
                "AlreadyInUse",
                format!(
                    "The registry DNS name {key}.azurecr.io is already in use. You can check if \
                     the name is already claimed using following API: \
                     https://docs.microsoft.com/en-us/rest/api/containerregistry/registries/checknameavailability"
                ),
            ));
        }
    }
    let now = ctx.clock.now_ms();
    let existing = st.registries.get(&key);
    let (stored_name, created, keys, status) = match existing {
        Some(e) => (
            e.body["name"].as_str().unwrap_or(name).to_string(),
            e.body["properties"]["creationDate"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
            e.keys.clone(),
            StatusCode::OK,
        ),
        None => (
            name.to_string(),
            iso(now),
            vec![random_key(), random_key()],
            StatusCode::CREATED,
        ),
    };
    let admin = v["properties"]["adminUserEnabled"]
        .as_bool()
        .unwrap_or(false);
    let body = json!({
        "sku": {"name": sku, "tier": sku},
        "type": Kind::Registry.ns_type(),
        "id": resource_id(ctx, &group_name, Kind::Registry, &stored_name),
        "name": stored_name,
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
        "properties": {
            "loginServer": format!("{key}.azurecr.io"),
            "creationDate": created,
            "provisioningState": "Succeeded",
            "adminUserEnabled": admin,
            "encryption": {"status": "disabled"},
            "dataEndpointEnabled": false,
            "dataEndpointHostNames": [],
            "privateEndpointConnections": [],
            "publicNetworkAccess": v["properties"]["publicNetworkAccess"].as_str().unwrap_or("Enabled"),
            "networkRuleBypassOptions": "AzureServices",
            "zoneRedundancy": "Disabled",
            "anonymousPullEnabled": false,
        },
    });
    st.registries.insert(
        key,
        Tracked {
            rg: rg_key,
            body: body.clone(),
            ready_at: now,
            keys,
        },
    );
    Ok(Resp::json(status, body))
}

pub(crate) fn list(st: &Store, rg: Option<&str>) -> Vec<Value> {
    let rg = rg.map(str::to_lowercase);
    st.registries
        .values()
        .filter(|r| rg.as_ref().is_none_or(|rg| &r.rg == rg))
        .map(|r| r.body.clone())
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn names() {
        assert!(super::name_error("myacr1").is_none());
        assert!(super::name_error("acr").is_some());
        assert!(super::name_error("my-acr1").is_some());
        assert!(super::name_error(&"a".repeat(51)).is_some());
    }
}
