//! What the Entra ID endpoints share: form bodies, Entra ID's error shape, tenant checks and
//! the token answer's body. A leaf of the room: the endpoints import it, it imports none of
//! them.

use axum::http::{Method, StatusCode};
use serde_json::{json, Value};

use crate::context::Ctx;
use crate::http::{Req, Resp};
use crate::ids::new_guid;
use crate::tokens::{Claims, TOKEN_LIFETIME_SECS};

/// A form body (`application/x-www-form-urlencoded`); empty values count as absent.
pub(crate) struct Form(Vec<(String, String)>);

impl Form {
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.is_empty())
    }
}

pub(crate) fn known_tenant(ctx: &Ctx, tenant: &str) -> bool {
    tenant.eq_ignore_ascii_case(&ctx.cfg.tenant_id)
}

pub(crate) fn aad_error(
    ctx: &Ctx,
    status: StatusCode,
    error: &str,
    code: u32,
    description: &str,
) -> Resp {
    let trace = new_guid();
    let correlation = new_guid();
    let timestamp = {
        let t = crate::timestamps::iso(ctx.clock.now_ms());
        // Entra ID's style: "2026-11-26 22:03:09Z".
        format!("{} {}Z", &t[..10], &t[11..19])
    };
    Resp::json(
        status,
        json!({
            "error": error,
            "error_description": format!(
                "AADSTS{code}: {description} Trace ID: {trace} Correlation ID: {correlation} \
                 Timestamp: {timestamp}"
            ),
            "error_codes": [code],
            "timestamp": timestamp,
            "trace_id": trace,
            "correlation_id": correlation,
            "error_uri": format!("{}/error?code={code}", ctx.url),
        }),
    )
}

pub(crate) fn tenant_not_found(ctx: &Ctx, tenant: &str) -> Resp {
    aad_error(
        ctx,
        StatusCode::BAD_REQUEST,
        "invalid_request",
        90002,
        &format!(
            "Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID and \
             are signing into the correct cloud."
        ),
    )
}

pub(crate) fn form(req: &Req) -> Form {
    Form(
        url::form_urlencoded::parse(&req.body)
            .into_owned()
            .collect(),
    )
}

pub(crate) fn post_only(ctx: &Ctx, req: &Req) -> Option<Resp> {
    (req.method != Method::POST).then(|| {
        aad_error(
            ctx,
            StatusCode::BAD_REQUEST,
            "invalid_request",
            900561,
            &format!(
                "The endpoint only accepts POST requests. Received a {} request.",
                req.method
            ),
        )
    })
}

/// `organizations` and `common` resolve to the emulator's one tenant for users.
pub(crate) fn generic_tenant(tenant: &str) -> bool {
    ["common", "organizations"]
        .iter()
        .any(|t| t.eq_ignore_ascii_case(tenant))
}

/// The token answer's body for `claims` (v1 adds strings and the resource).
pub(crate) fn token_body(ctx: &Ctx, claims: &Claims, v2: bool) -> Value {
    let access_token = ctx.signer.mint(claims);
    let mut body = json!({
        "token_type": "Bearer",
        "expires_in": TOKEN_LIFETIME_SECS,
        "ext_expires_in": TOKEN_LIFETIME_SECS,
        "access_token": access_token,
    });
    if !v2 {
        // The v1 endpoint answers with strings and the resource.
        let obj = body.as_object_mut().expect("object");
        obj.insert(
            "expires_in".into(),
            Value::from(TOKEN_LIFETIME_SECS.to_string()),
        );
        obj.insert(
            "ext_expires_in".into(),
            Value::from(TOKEN_LIFETIME_SECS.to_string()),
        );
        obj.insert("expires_on".into(), Value::from(claims.exp.to_string()));
        obj.insert("not_before".into(), Value::from(claims.nbf.to_string()));
        obj.insert("resource".into(), Value::from(claims.aud.clone()));
    }
    body
}

pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
