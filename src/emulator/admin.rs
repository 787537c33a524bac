//! The emulator's own API under `/_emulator/…`: fault rules, the request journal, the clock
//! and a summary of the state. No authentication, so it only answers loopback clients.

use std::time::Duration;

use axum::http::{Method, StatusCode};
use serde_json::{json, Value};

use super::faults::FaultRule;
use super::http::Resp;
use super::server::Ctx;
use super::util::iso;

pub(crate) fn error(status: StatusCode, code: &str, message: impl Into<String>) -> Resp {
    Resp::json(
        status,
        json!({"error": {"code": code, "message": message.into()}}),
    )
}

pub(crate) fn body_json(body: &[u8]) -> Result<Value, Resp> {
    serde_json::from_slice(body).map_err(|e| {
        error(
            StatusCode::BAD_REQUEST,
            "InvalidRequestContent",
            format!("the request body is not valid JSON: {e}"),
        )
    })
}

pub(crate) fn route(ctx: &Ctx, method: &Method, path: &str, body: &[u8]) -> Resp {
    let segs: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let rest = &segs[1..];
    match (method, rest) {
        (&Method::GET, ["faults"]) => Resp::ok(json!({"value": ctx.faults.list()})),
        (&Method::POST, ["faults"]) => {
            let v = match body_json(body) {
                Ok(v) => v,
                Err(r) => return r,
            };
            let rule: FaultRule = match serde_json::from_value(v) {
                Ok(r) => r,
                Err(e) => {
                    return error(
                        StatusCode::BAD_REQUEST,
                        "InvalidFaultRule",
                        format!("invalid fault rule: {e}"),
                    )
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
        (&Method::GET, ["journal"]) => Resp::ok(json!({"value": ctx.journal.entries()})),
        (&Method::DELETE, ["journal"]) => {
            ctx.journal.clear();
            Resp::empty(StatusCode::NO_CONTENT)
        }
        (&Method::POST, ["clock", "advance"]) => {
            let v = match body_json(body) {
                Ok(v) => v,
                Err(r) => return r,
            };
            let Some(secs) = v["seconds"]
                .as_f64()
                .filter(|s| s.is_finite() && *s >= 0.0 && *s < 1e10)
            else {
                return error(
                    StatusCode::BAD_REQUEST,
                    "InvalidRequestContent",
                    "give {\"seconds\": N} with N >= 0",
                );
            };
            ctx.clock.advance(Duration::from_secs_f64(secs));
            Resp::ok(json!({"now": iso(ctx.clock.now_ms())}))
        }
        (&Method::POST, ["clock", "freeze"]) => {
            ctx.clock.freeze();
            Resp::ok(json!({"now": iso(ctx.clock.now_ms())}))
        }
        (&Method::GET, ["clock"]) => Resp::ok(json!({"now": iso(ctx.clock.now_ms())})),
        (&Method::GET, ["state"]) => Resp::ok(state(ctx)),
        (
            _,
            ["users"]
            | ["apps", ..]
            | ["signin"]
            | ["devicecode", ..]
            | ["workload-issuer", ..]
            | ["managed-identity", ..],
        ) => match super::signin_admin::route(ctx, method, rest, body) {
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
            | ["clock"],
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
        "operations": {
            "running": st.ops.values().filter(|o| !o.applied).count(),
            "done": st.ops.values().filter(|o| o.applied).count(),
        },
    })
}
