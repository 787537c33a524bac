//! The Graph room: the slice of Microsoft Graph azml needs (ARM-CONTRACT.md §3,
//! `share --user`): users by object id or user principal name, and service principals by
//! application id.

use axum::http::{Method, StatusCode};
use serde_json::{json, Value};

use crate::context::Ctx;
use crate::http::{Req, Resp};
use crate::ids::new_guid;
use crate::timestamps::iso;
use crate::tokens::TokenError;

fn error(ctx: &Ctx, req: &Req, status: StatusCode, code: &str, message: &str) -> Resp {
    let request_id = new_guid();
    let mut inner = json!({
        "date": iso(ctx.clock.now_ms()).split('.').next().unwrap_or_default().to_string() + "Z",
        "request-id": request_id,
    });
    if let Some(id) = req.header("client-request-id") {
        inner["client-request-id"] = json!(id);
    }
    Resp::json(
        status,
        json!({"error": {"code": code, "message": message, "innerError": inner}}),
    )
    .header("request-id", request_id)
}

fn audience_ok(ctx: &Ctx, aud: &str) -> bool {
    let aud = aud.trim_end_matches('/');
    aud.eq_ignore_ascii_case("https://graph.microsoft.com")
        || aud.eq_ignore_ascii_case("00000003-0000-0000-c000-000000000000")
        || aud.eq_ignore_ascii_case(&ctx.url)
}

pub(crate) fn route(ctx: &Ctx, req: &Req) -> Resp {
    let token = req
        .header("authorization")
        .and_then(|h| h.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, t)| t.trim())
        .unwrap_or("");
    if token.is_empty() {
        return error(
            ctx,
            req,
            StatusCode::UNAUTHORIZED,
            "InvalidAuthenticationToken",
            "Access token is empty.",
        );
    }
    match ctx.signer.verify(token, ctx.clock.now_secs()) {
        Ok(claims) if audience_ok(ctx, &claims.aud) => {}
        Ok(_) => {
            return error(
                ctx,
                req,
                StatusCode::UNAUTHORIZED,
                "InvalidAuthenticationToken",
                "Access token validation failure. Invalid audience.",
            )
        }
        Err(TokenError::Expired { .. }) => {
            return error(
                ctx,
                req,
                StatusCode::UNAUTHORIZED,
                "InvalidAuthenticationToken",
                "Lifetime validation failed, the token is expired.",
            )
        }
        Err(TokenError::Invalid) => {
            return error(
                ctx,
                req,
                StatusCode::UNAUTHORIZED,
                "InvalidAuthenticationToken",
                "Access token validation failure.",
            )
        }
    }
    if req.method != Method::GET {
        return error(
            ctx,
            req,
            StatusCode::METHOD_NOT_ALLOWED,
            "Request_BadRequest",
            "Only GET is supported by the emulator's Graph.",
        );
    }
    let segs: Vec<&str> = req.segs.iter().map(String::as_str).collect();
    let context = |what: &str| format!("{}/v1.0/$metadata#{what}", ctx.url);
    match segs.as_slice() {
        [_, users, key] if users.eq_ignore_ascii_case("users") => {
            let store = ctx.store();
            let found = store.users.values().find(|u| {
                u["id"]
                    .as_str()
                    .is_some_and(|id| id.eq_ignore_ascii_case(key))
                    || u["userPrincipalName"]
                        .as_str()
                        .is_some_and(|upn| upn.eq_ignore_ascii_case(key))
            });
            match found {
                Some(user) => {
                    let mut body = json!({"@odata.context": context("users/$entity")});
                    if let (Some(b), Some(u)) = (body.as_object_mut(), user.as_object()) {
                        b.extend(u.clone());
                    }
                    Resp::ok(body)
                }
                None => error(
                    ctx,
                    req,
                    StatusCode::NOT_FOUND,
                    "Request_ResourceNotFound",
                    &format!(
                        "Resource '{key}' does not exist or one of its queried \
                         reference-property objects are not present."
                    ),
                ),
            }
        }
        [_, sps] if sps.eq_ignore_ascii_case("servicePrincipals") => {
            let filter = req.q("$filter").unwrap_or("");
            // servicePrincipalNames/any(c:c eq '{appId}') or appId eq '{appId}'
            let wanted = filter
                .split('\'')
                .nth(1)
                .map(str::to_string)
                .unwrap_or_default();
            let sp = |oid: &str, app_id: &str, name: &str| {
                json!({
                    "id": oid,
                    "appId": app_id,
                    "displayName": name,
                    "servicePrincipalNames": [app_id],
                    "servicePrincipalType": "Application",
                    "accountEnabled": true,
                    "appOwnerOrganizationId": ctx.cfg.tenant_id,
                })
            };
            let mut all = vec![sp(&ctx.principal_oid, &ctx.cfg.client_id, "azml-emulator")];
            all.extend(
                ctx.principals
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .iter()
                    .map(|p| sp(&p.oid, &p.client_id, &p.client_id)),
            );
            let value: Vec<Value> = all
                .into_iter()
                .filter(|v| {
                    filter.is_empty()
                        || v["appId"]
                            .as_str()
                            .is_some_and(|a| a.eq_ignore_ascii_case(&wanted))
                })
                .collect();
            Resp::ok(json!({"@odata.context": context("servicePrincipals"), "value": value}))
        }
        _ => error(
            ctx,
            req,
            StatusCode::BAD_REQUEST,
            "BadRequest",
            &format!(
                "Resource not found for the segment '{}'.",
                segs.last().unwrap_or(&"")
            ),
        ),
    }
}
