//! The admin room: the emulator's own API under `/_emulator/…` — fault rules, the request
//! journal, the clock, service principals, role assignments, resource-provider registration,
//! a summary of the state, and the sign-in part (`signin`). No authentication, so it only
//! answers loopback clients.

mod common;
pub(crate) mod signin;

use std::time::Duration;

use axum::http::{Method, StatusCode};
use serde_json::{json, Value};

use crate::admin::common::{body_json, error};
use crate::context::Ctx;
use crate::faults::FaultRule;
use crate::http::Resp;
use crate::timestamps::iso;

pub(crate) fn route(ctx: &Ctx, method: &Method, path: &str, body: &[u8]) -> Resp {
    let segs: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let rest = &segs[1..];
    let answered = match rest.first().copied() {
        Some("faults") => faults(ctx, method, rest, body),
        Some("journal") => journal(ctx, method, rest),
        Some("clock") => clock(ctx, method, rest, body),
        Some("state") if method == Method::GET && rest.len() == 1 => Some(Resp::ok(state(ctx))),
        Some("servicePrincipals" | "roleAssignments") => principals(ctx, method, rest, body),
        Some("providers") => providers(ctx, method, rest),
        _ => None,
    };
    if let Some(resp) = answered {
        return resp;
    }
    // Not answered above: the sign-in part's paths, then the method or the path is wrong.
    match (method, rest) {
        (
            _,
            ["users"]
            | ["apps", ..]
            | ["signin"]
            | ["devicecode", ..]
            | ["workload-issuer", ..]
            | ["managed-identity", ..],
        ) => match signin::route(ctx, method, rest, body) {
            Some(resp) => resp,
            None => error(
                StatusCode::METHOD_NOT_ALLOWED,
                "MethodNotAllowed",
                format!("{method} is not allowed on {path}"),
            ),
        },
        (
            _,
            ["faults"]
            | ["journal"]
            | ["clock", "advance"]
            | ["clock", "freeze"]
            | ["state"]
            | ["clock"]
            | ["servicePrincipals"]
            | ["providers"]
            | ["providers", _, "register" | "unregister"],
        ) => error(
            StatusCode::METHOD_NOT_ALLOWED,
            "MethodNotAllowed",
            format!("{method} is not allowed on {path}"),
        ),
        _ => error(
            StatusCode::NOT_FOUND,
            "NotFound",
            format!("no emulator endpoint '{method} {path}'"),
        ),
    }
}

/// `/faults[/{id}]`: the fault rules.
fn faults(ctx: &Ctx, method: &Method, rest: &[&str], body: &[u8]) -> Option<Resp> {
    let resp = match (method, rest) {
        (&Method::GET, ["faults"]) => Resp::ok(json!({"value": ctx.faults.list()})),
        (&Method::POST, ["faults"]) => {
            let v = match body_json(body) {
                Ok(v) => v,
                Err(r) => return Some(r),
            };
            let rule: FaultRule = match serde_json::from_value(v) {
                Ok(r) => r,
                Err(e) => {
                    return Some(error(
                        StatusCode::BAD_REQUEST,
                        "InvalidFaultRule",
                        format!("invalid fault rule: {e}"),
                    ))
                }
            };
            match ctx.faults.add(rule) {
                Ok(id) => {
                    let listed = ctx.faults.list().into_iter().find(|f| f.id == id);
                    Resp::json(StatusCode::CREATED, json!(listed))
                }
                Err(e) => error(StatusCode::BAD_REQUEST, "InvalidFaultRule", e),
            }
        }
        (&Method::DELETE, ["faults"]) => {
            ctx.faults.clear();
            Resp::empty(StatusCode::NO_CONTENT)
        }
        (&Method::DELETE, ["faults", id]) => match id.parse::<u64>() {
            Ok(id) if ctx.faults.remove(id) => Resp::empty(StatusCode::NO_CONTENT),
            _ => error(
                StatusCode::NOT_FOUND,
                "NotFound",
                format!("no fault rule '{id}'"),
            ),
        },
        _ => return None,
    };
    Some(resp)
}

/// `/journal`: the requests served so far.
fn journal(ctx: &Ctx, method: &Method, rest: &[&str]) -> Option<Resp> {
    let resp = match (method, rest) {
        (&Method::GET, ["journal"]) => Resp::ok(json!({"value": ctx.journal.entries()})),
        (&Method::DELETE, ["journal"]) => {
            ctx.journal.clear();
            Resp::empty(StatusCode::NO_CONTENT)
        }
        _ => return None,
    };
    Some(resp)
}

/// `/clock[/advance|/freeze]`: the emulator's time.
fn clock(ctx: &Ctx, method: &Method, rest: &[&str], body: &[u8]) -> Option<Resp> {
    let resp = match (method, rest) {
        (&Method::POST, ["clock", "advance"]) => {
            let v = match body_json(body) {
                Ok(v) => v,
                Err(r) => return Some(r),
            };
            let Some(secs) = v["seconds"]
                .as_f64()
                .filter(|s| s.is_finite() && *s >= 0.0 && *s < 1e10)
            else {
                return Some(error(
                    StatusCode::BAD_REQUEST,
                    "InvalidRequestContent",
                    "give {\"seconds\": N} with N >= 0",
                ));
            };
            ctx.clock.advance(Duration::from_secs_f64(secs));
            Resp::ok(json!({"now": iso(ctx.clock.now_ms())}))
        }
        (&Method::POST, ["clock", "freeze"]) => {
            ctx.clock.freeze();
            Resp::ok(json!({"now": iso(ctx.clock.now_ms())}))
        }
        (&Method::GET, ["clock"]) => Resp::ok(json!({"now": iso(ctx.clock.now_ms())})),
        _ => return None,
    };
    Some(resp)
}

/// `/servicePrincipals` and `/roleAssignments`: principals and their roles, outside ARM.
fn principals(ctx: &Ctx, method: &Method, rest: &[&str], body: &[u8]) -> Option<Resp> {
    let resp = match (method, rest) {
        (&Method::GET, ["servicePrincipals"]) => {
            let list = ctx.principals.lock().unwrap_or_else(|e| e.into_inner());
            let mut value =
                vec![json!({"appId": ctx.cfg.client_id, "objectId": ctx.principal_oid})];
            value.extend(
                list.iter()
                    .map(|p| json!({"appId": p.client_id, "objectId": p.oid})),
            );
            Resp::ok(json!({ "value": value }))
        }
        (&Method::POST, ["servicePrincipals"]) => {
            let v = if body.is_empty() {
                json!({})
            } else {
                match body_json(body) {
                    Ok(v) => v,
                    Err(r) => return Some(r),
                }
            };
            let field = |name: &str| -> Result<Option<String>, Resp> {
                match &v[name] {
                    Value::Null => Ok(None),
                    Value::String(s) if !s.trim().is_empty() => Ok(Some(s.clone())),
                    _ => Err(error(
                        StatusCode::BAD_REQUEST,
                        "InvalidRequestContent",
                        format!("'{name}' must be a non-empty string"),
                    )),
                }
            };
            let (app_id, secret, federated) =
                match (field("appId"), field("secret"), field("federatedToken")) {
                    (Ok(a), Ok(s), Ok(f)) => (a, s, f),
                    (Err(r), _, _) | (_, Err(r), _) | (_, _, Err(r)) => return Some(r),
                };
            let app_id = app_id.unwrap_or_else(crate::ids::new_guid);
            let secret = secret.unwrap_or_else(|| crate::ids::random_hex(24));
            let (oid, secret) = ctx.add_service_principal(&app_id, &secret);
            if let Some(token) = federated {
                if !ctx.set_federated_token(&app_id, &token) {
                    return Some(error(
                        StatusCode::BAD_REQUEST,
                        "InvalidRequestContent",
                        "the default service principal takes no federated credential",
                    ));
                }
            }
            // The secret is handed back so that the test can sign in with it; this API only
            // answers loopback clients and is never journaled.
            Resp::json(
                StatusCode::CREATED,
                json!({"appId": app_id, "objectId": oid, "secret": secret, "tenantId": ctx.cfg.tenant_id}),
            )
        }
        (&Method::POST, ["roleAssignments"]) => {
            // A role for any principal (user, app, managed identity) without going through
            // ARM: what a test or a demo sets up before signing in as that principal.
            let v = match body_json(body) {
                Ok(v) => v,
                Err(r) => return Some(r),
            };
            let (Some(principal), Some(role)) = (v["principalId"].as_str(), v["role"].as_str())
            else {
                return Some(error(
                    StatusCode::BAD_REQUEST,
                    "InvalidRequest",
                    "principalId and role (a built-in role's name or GUID) are required",
                ));
            };
            let scope = v["scope"]
                .as_str()
                .map(str::to_string)
                .unwrap_or_else(|| format!("/subscriptions/{}", ctx.cfg.subscription_id));
            match crate::arm::providers::authorization::assign_role(ctx, principal, role, &scope) {
                Ok(name) => Resp::json(
                    StatusCode::CREATED,
                    json!({"name": name, "principalId": principal, "role": role, "scope": scope}),
                ),
                Err(e) => error(StatusCode::BAD_REQUEST, "InvalidRequest", e),
            }
        }
        _ => return None,
    };
    Some(resp)
}

/// `/providers[/{ns}/register|unregister]`: resource-provider registration at once.
fn providers(ctx: &Ctx, method: &Method, rest: &[&str]) -> Option<Resp> {
    let resp = match (method, rest) {
        (&Method::GET, ["providers"]) => {
            let value: Vec<Value> = crate::arm::dispatch::registrations(ctx)
                .into_iter()
                .map(|(ns, state)| json!({"namespace": ns, "registrationState": state}))
                .collect();
            Resp::ok(json!({ "value": value }))
        }
        (&Method::POST, ["providers", ns, verb @ ("register" | "unregister")]) => {
            match crate::arm::dispatch::set_registered(ctx, ns, *verb == "register") {
                Ok(canonical) => {
                    let state = crate::arm::dispatch::registrations(ctx)
                        .into_iter()
                        .find(|(n, _)| *n == canonical)
                        .map(|(_, s)| s)
                        .unwrap_or_default();
                    Resp::ok(json!({"namespace": canonical, "registrationState": state}))
                }
                Err(e) if e.starts_with("unknown") => error(StatusCode::NOT_FOUND, "NotFound", e),
                Err(e) => error(StatusCode::BAD_REQUEST, "InvalidRequest", e),
            }
        }
        _ => return None,
    };
    Some(resp)
}

fn state(ctx: &Ctx) -> Value {
    let throttling = ctx.throttle_cfg;
    let st = ctx.store();
    let names =
        |it: Vec<&Value>| -> Vec<Value> { it.into_iter().map(|b| b["id"].clone()).collect() };
    json!({
        "url": ctx.url,
        "subscriptionId": ctx.cfg.subscription_id,
        "tenantId": ctx.cfg.tenant_id,
        "latency": format!("{:?}", ctx.cfg.latency).to_lowercase(),
        "timeScale": ctx.cfg.time_scale,
        "throttling": throttling,
        "now": iso(ctx.clock.now_ms()),
        "stateFile": ctx.cfg.state_file.as_ref().map(|p| p.display().to_string()),
        "faultRules": ctx.faults.list().len(),
        "journalEntries": ctx.journal.entries().len(),
        "resourceGroups": st.groups.values().map(|g| g.name.clone()).collect::<Vec<_>>(),
        "storageAccounts": names(st.storage.values().map(|t| &t.body).collect()),
        "vaults": names(st.vaults.values().map(|t| &t.body).collect()),
        "deletedVaults": st.deleted_vaults.len(),
        "components": names(st.components.values().map(|t| &t.body).collect()),
        "registries": names(st.registries.values().map(|t| &t.body).collect()),
        "workspaces": names(st.workspaces.values().map(|w| &w.body).collect()),
        "deletedWorkspaces": st.deleted_workspaces.len(),
        "virtualNetworks": names(st.vnets.values().map(|t| &t.body).collect()),
        "privateEndpoints": names(st.private_endpoints.values().map(|t| &t.body).collect()),
        "roleAssignments": st.role_assignments.len(),
        "users": st.users.len(),
        // Beside the configured principal (Owner), those added at run time.
        "servicePrincipals": ctx.principals.lock().unwrap_or_else(|e| e.into_inner()).len(),
        "managedIdentities": ctx.signin().identities.len(),
        "operations": {
            "running": st.ops.values().filter(|o| !o.applied).count(),
            "done": st.ops.values().filter(|o| o.applied).count(),
        },
    })
}
