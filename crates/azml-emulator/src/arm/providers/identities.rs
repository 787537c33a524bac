//! User-assigned managed identities (`Microsoft.ManagedIdentity/userAssignedIdentities`):
//! enough for a workspace to name one as its primary identity (PUT, GET, DELETE, list).

use axum::http::{Method, StatusCode};
use serde_json::{json, Value};

use crate::arm::common::{put_body, resource_id, PutBody};
use crate::arm::routes::Kind;
use crate::context::Ctx;
use crate::errors::{ArmError, ArmResult};
use crate::http::{Req, Resp};
use crate::ids::new_guid;
use crate::store::{child_key, Store, Tracked};

/// 3–128 of letters, digits, `-` and `_`, starting with a letter or digit.
fn name_error(name: &str) -> Option<ArmError> {
    let ok = (3..=128).contains(&name.len())
        && name.starts_with(|c: char| c.is_ascii_alphanumeric())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    (!ok).then(|| {
        ArmError::bad_request(
            "InvalidResourceName",
            format!(
                "The resource name '{name}' is invalid. It must be 3 to 128 characters of \
                 letters, digits, '-' and '_', starting with a letter or a digit."
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
    if let Some(a) = action {
        return Err(ArmError::not_found(
            "InvalidResourceType",
            format!(
                "The resource type 'userAssignedIdentities/{a}' could not be found in the \
                 namespace 'Microsoft.ManagedIdentity'."
            ),
        ));
    }
    match req.method {
        Method::PUT => put(ctx, st, req, rg, name),
        Method::GET | Method::DELETE => {
            crate::arm::common::existing_group(st, rg)?;
            crate::arm::common::tracked_read_delete(
                &mut st.identities,
                req,
                rg,
                name,
                Kind::Identity,
            )
        }
        _ => Err(crate::arm::common::method_not_allowed(req)),
    }
}

fn put(ctx: &Ctx, st: &mut Store, req: &Req, rg: &str, name: &str) -> ArmResult<Resp> {
    if let Some(e) = name_error(name) {
        return Err(e);
    }
    let PutBody {
        group_name,
        location,
        tags,
        ..
    } = put_body(st, req, rg)?;
    let key = child_key(rg, name);
    // The principal and client ids are the identity's: a PUT on an existing one keeps them.
    let (stored_name, principal, client, status) = match st.identities.get(&key) {
        Some(t) => {
            let p = &t.body["properties"];
            (
                t.body["name"].as_str().unwrap_or(name).to_string(),
                p["principalId"].as_str().unwrap_or_default().to_string(),
                p["clientId"].as_str().unwrap_or_default().to_string(),
                StatusCode::OK,
            )
        }
        None => (
            name.to_string(),
            new_guid(),
            new_guid(),
            StatusCode::CREATED,
        ),
    };
    let body = json!({
        "id": resource_id(ctx, &group_name, Kind::Identity, &stored_name),
        "name": stored_name,
        "type": Kind::Identity.ns_type(),
        "location": location,
        "tags": tags.unwrap_or(json!({})),
        "properties": {
            "tenantId": ctx.cfg.tenant_id,
            "principalId": principal,
            "clientId": client,
        },
    });
    st.identities.insert(
        key,
        Tracked {
            rg: rg.to_lowercase(),
            body: body.clone(),
            ready_at: ctx.clock.now_ms(),
            keys: Vec::new(),
        },
    );
    Ok(Resp::json(status, body))
}

pub(crate) fn list(st: &Store, rg: Option<&str>) -> Vec<Value> {
    crate::arm::common::tracked_list(&st.identities, rg)
}
