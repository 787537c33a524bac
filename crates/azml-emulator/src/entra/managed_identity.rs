//! The App Service style managed-identity endpoint (`IDENTITY_ENDPOINT`): tokens for the
//! host's system-assigned identity or a user-assigned one, behind `X-IDENTITY-HEADER`.

use axum::http::StatusCode;
use serde_json::json;

use crate::context::Ctx;
use crate::entra::common::constant_time_eq;
use crate::entra::grants::app_claims;
use crate::http::{Req, Resp};
use crate::ids::new_guid;
use crate::signin_state::Identity;
use crate::tokens::TOKEN_LIFETIME_SECS;

fn mi_error(status: StatusCode, message: &str) -> Resp {
    Resp::json(
        status,
        json!({
            "statusCode": status.as_u16(),
            "message": message,
            "correlationId": new_guid(),
        }),
    )
}

/// `GET {url}/msi/token?resource=…&api-version=2019-08-01` with `X-IDENTITY-HEADER`
/// (`client_id`, `principal_id` or `mi_res_id` pick a user-assigned identity); also the
/// older `MSI_ENDPOINT` protocols: `api-version=2017-09-01` with a `secret` header
/// (`clientid`), and Cloud Shell's form POST with `Metadata: true`.
pub(crate) fn managed_identity(ctx: &Ctx, req: &Req) -> Resp {
    let expected = ctx.signin().identity_header.clone();
    let secret_ok = |h: &str| constant_time_eq(h.as_bytes(), expected.as_bytes());
    // App Service 2019-08-01 (`X-IDENTITY-HEADER`), App Service 2017-09-01 (`secret`), or
    // Cloud Shell (a form POST with `Metadata: true`, as `MSI_ENDPOINT` without
    // `MSI_SECRET`).
    let (version, params): (&str, Vec<(String, String)>) = if req.method == axum::http::Method::GET
    {
        let (given, version, name) = match (req.header("x-identity-header"), req.header("secret")) {
            (Some(h), _) => (h, "2019-08-01", "X-IDENTITY-HEADER"),
            (None, Some(h)) => (h, "2017-09-01", "secret"),
            (None, None) => {
                return mi_error(
                    StatusCode::BAD_REQUEST,
                    "The request is missing the X-IDENTITY-HEADER header.",
                )
            }
        };
        if !secret_ok(given) {
            return mi_error(
                StatusCode::UNAUTHORIZED,
                &format!("The {name} header is not valid."),
            );
        }
        if req.q("api-version") != Some(version) {
            return mi_error(
                StatusCode::BAD_REQUEST,
                &format!(
                    "The api-version '{}' is not supported with the {name} header; use {version}.",
                    req.q("api-version").unwrap_or_default()
                ),
            );
        }
        (version, req.query.clone())
    } else if req.method == axum::http::Method::POST {
        if !req
            .header("metadata")
            .is_some_and(|m| m.eq_ignore_ascii_case("true"))
        {
            return mi_error(
                StatusCode::BAD_REQUEST,
                "Required metadata header not specified.",
            );
        }
        let form = url::form_urlencoded::parse(&req.body)
            .into_owned()
            .collect();
        ("cloudshell", form)
    } else {
        return mi_error(
            StatusCode::METHOD_NOT_ALLOWED,
            "Only GET and POST are supported.",
        );
    };
    let q = |k: &str| {
        params
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(k))
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.is_empty())
    };
    let Some(resource) = q("resource") else {
        return mi_error(
            StatusCode::BAD_REQUEST,
            "The request is missing the 'resource' parameter.",
        );
    };
    let pick = |i: &&Identity| {
        if let Some(c) = q("client_id").or(q("clientid")) {
            i.client_id.eq_ignore_ascii_case(c)
        } else if let Some(p) = q("principal_id").or(q("object_id")) {
            i.principal_id.eq_ignore_ascii_case(p)
        } else if let Some(r) = q("mi_res_id") {
            identity_resource_id(ctx, i).eq_ignore_ascii_case(r)
        } else {
            i.system
        }
    };
    let identity = ctx.signin().identities.iter().find(pick).cloned();
    let Some(identity) = identity else {
        return mi_error(
            StatusCode::BAD_REQUEST,
            "Unable to load the proper Managed Identity.",
        );
    };
    let claims = app_claims(
        ctx,
        resource.to_string(),
        &identity.client_id,
        &identity.principal_id,
        "2",
    );
    let token = ctx.signer.mint(&claims);
    let mut body = json!({
        "access_token": token,
        "expires_on": claims.exp.to_string(),
        "resource": resource,
        "token_type": "Bearer",
    });
    match version {
        "2019-08-01" => body["client_id"] = json!(identity.client_id),
        "cloudshell" => body["expires_in"] = json!(TOKEN_LIFETIME_SECS.to_string()),
        _ => {}
    }
    Resp::ok(body)
}

/// The ARM id of a user-assigned identity (the system-assigned one has the host's).
pub(crate) fn identity_resource_id(ctx: &Ctx, identity: &Identity) -> String {
    format!(
        "/subscriptions/{}/resourceGroups/azml-emulator/providers/Microsoft.ManagedIdentity/userAssignedIdentities/{}",
        ctx.cfg.subscription_id, identity.name
    )
}
