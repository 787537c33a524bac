//! Role definitions (the built-in ones azml uses) and role assignments at any scope under
//! the subscription (`{scope}/providers/Microsoft.Authorization/roleAssignments/{guid}`).
//! Assignments are recorded, not enforced.

use axum::http::{Method, StatusCode};
use serde_json::{json, Value};

use super::{parse_resource_id, Kind};
use crate::emulator::errors::{ArmError, ArmResult};
use crate::emulator::http::{Req, Resp};
use crate::emulator::server::Ctx;
use crate::emulator::store::{child_key, Store};
use crate::emulator::tokens::Claims;
use crate::emulator::util::{eq_ci, iso};

/// (name, id, description, actions)
const BUILT_IN: &[(&str, &str, &str, &[&str])] = &[
    ("Owner", "8e3af657-a8ff-443c-a75c-2fe8c4bcb635", "Grants full access to manage all resources, including the ability to assign roles in Azure RBAC.", &["*"]),
    ("Contributor", "b24988ac-6180-42a0-ab88-20f7382dd24c", "Grants full access to manage all resources, but does not allow you to assign roles in Azure RBAC.", &["*"]),
    ("Reader", "acdd72a7-3385-48ef-bd42-f606fba81ae7", "View all resources, but does not allow you to make any changes.", &["*/read"]),
    ("User Access Administrator", "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9", "Lets you manage user access to Azure resources.", &["*/read", "Microsoft.Authorization/*"]),
    ("AzureML Data Scientist", "f6c7c914-8db3-469d-8ca1-694a8f32e121", "Can perform all actions within an Azure Machine Learning workspace, except for creating or deleting compute resources and modifying the workspace itself.", &["Microsoft.MachineLearningServices/workspaces/*/read", "Microsoft.MachineLearningServices/workspaces/*/action", "Microsoft.MachineLearningServices/workspaces/*/delete", "Microsoft.MachineLearningServices/workspaces/*/write"]),
    ("AzureML Compute Operator", "e503ece1-11d0-4e8e-8e2c-7a6c3bf38815", "Can access and perform CRUD operations on Machine Learning Services managed compute resources (including Notebook VMs).", &["Microsoft.MachineLearningServices/workspaces/computes/*/read", "Microsoft.MachineLearningServices/workspaces/computes/*/write", "Microsoft.MachineLearningServices/workspaces/computes/*/delete", "Microsoft.MachineLearningServices/workspaces/computes/*/action"]),
];

fn definition_body(ctx: &Ctx, def: &(&str, &str, &str, &[&str])) -> Value {
    let (name, id, description, actions) = def;
    json!({
        "id": format!("/subscriptions/{}/providers/Microsoft.Authorization/roleDefinitions/{id}", ctx.cfg.subscription_id),
        "name": id,
        "type": "Microsoft.Authorization/roleDefinitions",
        "properties": {
            "roleName": name,
            "type": "BuiltInRole",
            "description": description,
            "assignableScopes": ["/"],
            "permissions": [{"actions": actions, "notActions": [], "dataActions": [], "notDataActions": []}],
            "createdOn": "2015-02-02T21:55:09.8806423Z",
            "updatedOn": "2024-01-01T00:00:00.0000000Z",
            "createdBy": null,
            "updatedBy": null,
        }
    })
}

/// `{scope}/providers/Microsoft.Authorization/roleDefinitions[/{id}]`.
pub(crate) fn definitions(ctx: &Ctx, req: &Req, name: Option<&str>) -> ArmResult<Resp> {
    super::only_get(req)?;
    if let Some(name) = name {
        return BUILT_IN
            .iter()
            .find(|d| eq_ci(d.1, name))
            .map(|d| Resp::ok(definition_body(ctx, d)))
            .ok_or_else(|| {
                ArmError::not_found(
                    "RoleDefinitionDoesNotExist",
                    format!("The specified role definition with ID '{name}' does not exist."),
                )
            });
    }
    let wanted = match req.q("$filter") {
        None => None,
        Some(f) => {
            let lower = f.to_ascii_lowercase();
            let Some(rest) = lower.trim().strip_prefix("rolename") else {
                return Err(bad_filter(f));
            };
            let value = f
                .split_once('\'')
                .and_then(|(_, v)| v.rsplit_once('\''))
                .map(|(v, _)| v.to_string());
            match (rest.trim_start().starts_with("eq"), value) {
                (true, Some(v)) => Some(v),
                _ => return Err(bad_filter(f)),
            }
        }
    };
    let value: Vec<Value> = BUILT_IN
        .iter()
        .filter(|d| wanted.as_deref().is_none_or(|w| eq_ci(d.0, w)))
        .map(|d| definition_body(ctx, d))
        .collect();
    Ok(Resp::ok(json!({ "value": value })))
}

fn bad_filter(f: &str) -> ArmError {
    ArmError::bad_request(
        "InvalidFilterInQueryString",
        format!("The filter '{f}' is not supported."),
    )
}

/// Scopes compare without case and without a trailing `/`.
fn norm_scope(scope: &str) -> String {
    scope.trim_end_matches('/').to_lowercase()
}

/// The scope must exist: the subscription, a group, or a resource the emulator holds.
fn check_scope(st: &Store, scope: &str) -> ArmResult<()> {
    let parts: Vec<&str> = scope.split('/').filter(|p| !p.is_empty()).collect();
    if parts.len() >= 4 && parts[2].eq_ignore_ascii_case("resourcegroups") {
        let rg = parts[3];
        super::existing_group(st, rg)?;
        if parts.len() > 4 {
            let Some((_, rg, ns, ty, name)) = parse_resource_id(scope) else {
                return Ok(());
            };
            let found = match Kind::from(&ns, &ty) {
                Some(Kind::Storage) => st
                    .storage
                    .get(&name.to_lowercase())
                    .is_some_and(|t| t.rg == rg.to_lowercase()),
                Some(Kind::Vault) => st
                    .vaults
                    .get(&name.to_lowercase())
                    .is_some_and(|t| t.rg == rg.to_lowercase()),
                Some(Kind::Component) => st.components.contains_key(&child_key(&rg, &name)),
                Some(Kind::Workspace) => st.workspaces.contains_key(&child_key(&rg, &name)),
                Some(Kind::Identity) => st.identities.contains_key(&child_key(&rg, &name)),
                Some(Kind::VirtualNetwork) => st.vnets.contains_key(&child_key(&rg, &name)),
                Some(Kind::PrivateEndpoint) => {
                    st.private_endpoints.contains_key(&child_key(&rg, &name))
                }
                Some(Kind::Registry) => st
                    .registries
                    .get(&name.to_lowercase())
                    .is_some_and(|t| t.rg == rg.to_lowercase()),
                None => true,
            };
            if !found {
                return Err(ArmError::resource_not_found(
                    &format!("{ns}/{ty}"),
                    &name,
                    &rg,
                ));
            }
        }
    }
    Ok(())
}

fn principal_type(ctx: &Ctx, st: &Store, id: &str) -> Option<&'static str> {
    if st
        .users
        .values()
        .any(|u| u["id"].as_str().is_some_and(|u| eq_ci(u, id)))
    {
        return Some("User");
    }
    if eq_ci(&ctx.principal_oid, id) {
        return Some("ServicePrincipal");
    }
    // Applications and managed identities added at run time (the sign-in lock is taken
    // inside the store's, never the other way round).
    let added_app = ctx
        .principals
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .iter()
        .any(|p| eq_ci(&p.oid, id));
    if added_app
        || ctx
            .signin()
            .identities
            .iter()
            .any(|i| eq_ci(&i.principal_id, id))
    {
        return Some("ServicePrincipal");
    }
    let ws_identity = st.workspaces.values().any(|w| {
        w.body["identity"]["principalId"]
            .as_str()
            .is_some_and(|p| eq_ci(p, id))
    });
    ws_identity.then_some("ServicePrincipal")
}

/// `{scope}/providers/Microsoft.Authorization/roleAssignments[/{name}]`.
pub(crate) fn assignments(
    ctx: &Ctx,
    st: &mut Store,
    req: &Req,
    claims: &Claims,
    scope: &str,
    name: Option<&str>,
) -> ArmResult<Resp> {
    let Some(name) = name else {
        super::only_get(req)?;
        return list(st, req, scope);
    };
    let key = name.to_lowercase();
    let not_found = || {
        ArmError::not_found(
            "RoleAssignmentNotFound",
            format!("The role assignment '{name}' is not found."),
        )
    };
    match req.method {
        Method::GET => st
            .role_assignments
            .get(&key)
            .filter(|a| {
                norm_scope(a["properties"]["scope"].as_str().unwrap_or_default())
                    == norm_scope(scope)
            })
            .map(|a| Resp::ok(a.clone()))
            .ok_or_else(not_found),
        Method::DELETE => Ok(match st.role_assignments.shift_remove(&key) {
            Some(a) => Resp::ok(a),
            None => Resp::empty(StatusCode::NO_CONTENT),
        }),
        Method::PUT => put(ctx, st, req, claims, scope, name),
        _ => Err(super::method_not_allowed(req)),
    }
}

fn put(
    ctx: &Ctx,
    st: &mut Store,
    req: &Req,
    claims: &Claims,
    scope: &str,
    name: &str,
) -> ArmResult<Resp> {
    if uuid::Uuid::parse_str(name).is_err() {
        return Err(ArmError::bad_request(
            "InvalidRoleAssignmentId",
            format!("The role assignment ID '{name}' is not valid. The role assignment ID must be a GUID."),
        ));
    }
    check_scope(st, scope)?;
    let v = req.json()?;
    let props = &v["properties"];
    let role = props["roleDefinitionId"].as_str().unwrap_or_default();
    let role_guid = role.rsplit('/').next().unwrap_or_default();
    let Some(def) = BUILT_IN.iter().find(|d| eq_ci(d.1, role_guid)) else {
        return Err(ArmError::bad_request(
            "RoleDefinitionDoesNotExist",
            format!("The specified role definition with ID '{role_guid}' does not exist."),
        ));
    };
    let principal = props["principalId"].as_str().unwrap_or_default();
    let Some(kind) = principal_type(ctx, st, principal) else {
        return Err(ArmError::bad_request(
            "PrincipalNotFound",
            format!(
                "Principal {principal} does not exist in the directory {}. Check that you have \
                 the correct principal ID.",
                ctx.cfg.tenant_id
            ),
        ));
    };
    let role_id = definition_body(ctx, def)["id"].clone();
    let same = |a: &Value| {
        let p = &a["properties"];
        norm_scope(p["scope"].as_str().unwrap_or_default()) == norm_scope(scope)
            && p["principalId"]
                .as_str()
                .is_some_and(|x| eq_ci(x, principal))
            && p["roleDefinitionId"]
                .as_str()
                .is_some_and(|x| x.to_lowercase().ends_with(&def.1.to_lowercase()))
    };
    let key = name.to_lowercase();
    if let Some(existing) = st.role_assignments.get(&key) {
        return if same(existing) {
            Ok(Resp::ok(existing.clone()))
        } else {
            Err(ArmError::bad_request(
                "RoleAssignmentUpdateNotPermitted",
                "Tenant ID, application ID, principal ID, and scope are not allowed to be updated.",
            ))
        };
    }
    if st.role_assignments.values().any(same) {
        return Err(ArmError::conflict(
            "RoleAssignmentExists",
            "The role assignment already exists.",
        ));
    }
    let now = iso(ctx.clock.now_ms());
    let scope_out = format!("/{}", scope.trim_matches('/'));
    let body = json!({
        "id": format!("{scope_out}/providers/Microsoft.Authorization/roleAssignments/{name}"),
        "name": name,
        "type": "Microsoft.Authorization/roleAssignments",
        "properties": {
            "roleDefinitionId": role_id,
            "principalId": principal,
            "principalType": props["principalType"].as_str().unwrap_or(kind),
            "scope": scope_out,
            "condition": null,
            "conditionVersion": null,
            "createdOn": now,
            "updatedOn": now,
            "createdBy": claims.oid,
            "updatedBy": claims.oid,
            "delegatedManagedIdentityResourceId": null,
            "description": props.get("description").cloned().unwrap_or(Value::Null),
        }
    });
    st.role_assignments.insert(key, body.clone());
    Ok(Resp::json(StatusCode::CREATED, body))
}

fn list(st: &Store, req: &Req, scope: &str) -> ArmResult<Resp> {
    let here = norm_scope(scope);
    let filter = req.q("$filter").unwrap_or("");
    let at_scope = filter.to_ascii_lowercase().contains("atscope()");
    let principal = filter
        .to_ascii_lowercase()
        .contains("principalid")
        .then(|| filter.split('\'').nth(1).unwrap_or_default().to_string());
    let value: Vec<Value> = st
        .role_assignments
        .values()
        .filter(|a| {
            let s = norm_scope(a["properties"]["scope"].as_str().unwrap_or_default());
            let above = here == s || here.starts_with(&format!("{s}/"));
            let below = s.starts_with(&format!("{here}/"));
            (above || (!at_scope && below))
                && principal.as_deref().is_none_or(|p| {
                    a["properties"]["principalId"]
                        .as_str()
                        .is_some_and(|x| eq_ci(x, p))
                })
        })
        .cloned()
        .collect();
    Ok(Resp::ok(json!({ "value": value })))
}
