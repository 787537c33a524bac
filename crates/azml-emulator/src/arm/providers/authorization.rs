//! Role definitions (the built-in ones azml uses) and role assignments at any scope under
//! the subscription (`{scope}/providers/Microsoft.Authorization/roleAssignments/{guid}`).
//! ARM enforces them before any handler runs (`crate::arm::rbac`).

use axum::http::{Method, StatusCode};
use serde_json::{json, Value};

use crate::arm::rbac::{self, RoleDef, BUILT_IN};
use crate::arm::routes::Kind;
use crate::assignments::{assignment_body, AssignmentFields};
use crate::context::Ctx;
use crate::errors::{ArmError, ArmResult};
use crate::http::{Req, Resp};
use crate::names::eq_ci;
use crate::names::parse_resource_id;
use crate::store::{child_key, Store};
use crate::tokens::Claims;

pub(crate) fn definition_body(ctx: &Ctx, def: &RoleDef) -> Value {
    json!({
        "id": format!("/subscriptions/{}/providers/Microsoft.Authorization/roleDefinitions/{}", ctx.cfg.subscription_id, def.id),
        "name": def.id,
        "type": "Microsoft.Authorization/roleDefinitions",
        "properties": {
            "roleName": def.name,
            "type": "BuiltInRole",
            "description": def.description,
            "assignableScopes": ["/"],
            "permissions": [{
                "actions": def.actions,
                "notActions": def.not_actions,
                "dataActions": def.data_actions,
                "notDataActions": def.not_data_actions,
            }],
            "createdOn": "2015-02-02T21:55:09.8806423Z",
            "updatedOn": "2024-01-01T00:00:00.0000000Z",
            "createdBy": null,
            "updatedBy": null,
        }
    })
}

/// `{scope}/providers/Microsoft.Authorization/roleDefinitions[/{id}]`.
pub(crate) fn definitions(ctx: &Ctx, req: &Req, name: Option<&str>) -> ArmResult<Resp> {
    crate::arm::common::only_get(req)?;
    if let Some(name) = name {
        return rbac::role_by_id(name)
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
        .filter(|d| wanted.as_deref().is_none_or(|w| eq_ci(d.name, w)))
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
        crate::arm::common::existing_group(st, rg)?;
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
                Some(Kind::LogAnalytics) => st.log_analytics.contains_key(&child_key(&rg, &name)),
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

/// `Emulator::assign_role`: an assignment made outside ARM (no caller to authorize).
pub(crate) fn assign_role(
    ctx: &Ctx,
    principal: &str,
    role: &str,
    scope: &str,
) -> Result<String, String> {
    let def = BUILT_IN
        .iter()
        .find(|d| eq_ci(d.name, role) || eq_ci(d.id, role))
        .ok_or_else(|| format!("no built-in role '{role}'"))?;
    let sub = format!("/subscriptions/{}", ctx.cfg.subscription_id);
    if !rbac::covers(&sub, scope) {
        return Err(format!("scope '{scope}' is not within {sub}"));
    }
    let mut st = ctx.store();
    let kind = principal_type(ctx, &st, principal)
        .ok_or_else(|| format!("no principal with object id '{principal}'"))?;
    let role_id = format!(
        "{sub}/providers/Microsoft.Authorization/roleDefinitions/{}",
        def.id
    );
    let existing = st.role_assignments.values().find(|a| {
        let p = &a["properties"];
        p["principalId"]
            .as_str()
            .is_some_and(|x| eq_ci(x, principal))
            && p["scope"]
                .as_str()
                .is_some_and(|x| norm_scope(x) == norm_scope(scope))
            && p["roleDefinitionId"]
                .as_str()
                .is_some_and(|x| eq_ci(x, &role_id))
    });
    if let Some(a) = existing {
        return Ok(a["name"].as_str().unwrap_or_default().to_string());
    }
    let name = crate::ids::new_guid();
    let body = assignment_body(
        &AssignmentFields {
            name: &name,
            scope,
            role_id: &role_id,
            principal,
            principal_type: kind,
            created_by: &ctx.principal_oid,
            description: Value::Null,
        },
        ctx.clock.now_ms(),
    );
    st.role_assignments.insert(name.clone(), body);
    st.dirty = true;
    drop(st);
    ctx.persist();
    Ok(name)
}

fn principal_type(ctx: &Ctx, st: &Store, id: &str) -> Option<&'static str> {
    if st
        .users
        .values()
        .any(|u| u["id"].as_str().is_some_and(|u| eq_ci(u, id)))
    {
        return Some("User");
    }
    if eq_ci(&ctx.principal_oid, id) || ctx.service_principal_by_oid(id).is_some() {
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
        crate::arm::common::only_get(req)?;
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
        _ => Err(crate::arm::common::method_not_allowed(req)),
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
    let Some(def) = rbac::role_by_id(role_guid) else {
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
                .is_some_and(|x| x.to_lowercase().ends_with(&def.id.to_lowercase()))
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
    let body = assignment_body(
        &AssignmentFields {
            name,
            scope,
            role_id: role_id.as_str().unwrap_or_default(),
            principal,
            principal_type: props["principalType"].as_str().unwrap_or(kind),
            created_by: &claims.oid,
            description: props.get("description").cloned().unwrap_or(Value::Null),
        },
        ctx.clock.now_ms(),
    );
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
