//! The token endpoint (`/{tenant}/oauth2[/v2.0]/token`): checks the request and the
//! client, then answers the client credentials grant itself or hands the other grants
//! (refresh token, authorization code, device code, client assertions) to their flows.

use axum::http::StatusCode;
use base64::Engine;

use crate::context::Ctx;
use crate::entra::assertions::assertion_grant;
use crate::entra::authorize::auth_code_grant;
use crate::entra::common::{
    aad_error, constant_time_eq, form, generic_tenant, known_tenant, post_only, tenant_not_found,
    token_body, Form,
};
use crate::entra::device_code::{device_code_grant, DEVICE_CODE_GRANT};
use crate::entra::refresh::refresh_grant;
use crate::http::{Req, Resp};
use crate::tokens::{Claims, TOKEN_LIFETIME_SECS};

pub(crate) fn token(ctx: &Ctx, req: &Req, tenant: &str, v2: bool) -> Resp {
    if let Some(refusal) = post_only(ctx, req) {
        return refusal;
    }
    let user_flow = |g: &str| {
        matches!(
            g,
            "refresh_token" | "authorization_code" | DEVICE_CODE_GRANT
        )
    };
    let params = form(req);
    let param = |name: &str| params.get(name);
    let grant = param("grant_type");
    // Users may sign in through `organizations`/`common`; applications name their tenant.
    let tenant_ok =
        known_tenant(ctx, tenant) || (generic_tenant(tenant) && grant.is_some_and(user_flow));
    if !tenant_ok {
        return tenant_not_found(ctx, tenant);
    }
    let missing = |name: &str| missing_param(ctx, name);
    let Some(grant_type) = grant else {
        return missing("grant_type");
    };
    match grant_type {
        "client_credentials" => {}
        DEVICE_CODE_GRANT => return device_code_grant(ctx, &params, v2),
        "refresh_token" => return refresh_grant(ctx, &params, v2),
        "authorization_code" => return auth_code_grant(ctx, &params, v2),
        _ => {
            return aad_error(
                ctx,
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                70003,
                &format!("The app requested an unsupported grant type '{grant_type}'."),
            )
        }
    }
    client_credentials(ctx, req, &params, tenant, v2)
}

/// The client credentials grant: the client by secret (form or HTTP Basic) or assertion.
fn client_credentials(ctx: &Ctx, req: &Req, params: &Form, tenant: &str, v2: bool) -> Resp {
    let param = |name: &str| params.get(name);
    let missing = |name: &str| missing_param(ctx, name);
    let basic = basic_credentials(req);
    let client_id = param("client_id")
        .map(str::to_string)
        .or_else(|| basic.as_ref().map(|(id, _)| id.clone()));
    let Some(client_id) = client_id else {
        return missing("client_id");
    };
    let resource = match client_resource(ctx, params, v2) {
        Ok(r) => r,
        Err(resp) => return resp,
    };
    // The configured principal, or one added through `Emulator::add_service_principal`.
    let known = registered_app(ctx, &client_id);
    let Some((app_id, expected_secret, oid, federated)) = known else {
        return aad_error(
            ctx,
            StatusCode::BAD_REQUEST,
            "unauthorized_client",
            700016,
            &format!(
                "Application with identifier '{client_id}' was not found in the directory \
                 '{tenant}'. This can happen if the application has not been installed by the \
                 administrator of the tenant or consented to by any user in the tenant. You may \
                 have sent your authentication request to the wrong tenant."
            ),
        );
    };
    if param("client_assertion").is_some() || param("client_assertion_type").is_some() {
        // A principal given one exact federated token (`Emulator::set_federated_token`)
        // signs in with it; every other assertion (certificates, federated credentials with
        // issuer and subject) is verified as Entra ID does.
        let exact = param("client_assertion_type")
            == Some("urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
            && matches!(
                (param("client_assertion"), federated.as_deref()),
                (Some(a), Some(t)) if constant_time_eq(a.as_bytes(), t.as_bytes())
            );
        if !exact {
            return assertion_grant(ctx, params, &app_id, &oid, resource, v2, tenant);
        }
    } else {
        let secret = param("client_secret")
            .map(str::to_string)
            .or_else(|| basic.map(|(_, s)| s));
        let Some(secret) = secret else {
            return aad_error(
                ctx,
                StatusCode::UNAUTHORIZED,
                "invalid_client",
                7000216,
                "'client_assertion', 'client_secret' or 'request' is required for the \
                 'client_credentials' grant type.",
            );
        };
        if !constant_time_eq(secret.as_bytes(), expected_secret.as_bytes()) {
            return aad_error(
                ctx,
                StatusCode::UNAUTHORIZED,
                "invalid_client",
                7000215,
                &format!(
                    "Invalid client secret provided. Ensure the secret being sent in the request is \
                     the client secret value, not the client secret ID, for a secret added to app \
                     '{app_id}'."
                ),
            );
        }
    }
    let now = ctx.clock.now_secs();
    let claims = Claims {
        aud: resource,
        iss: format!("{}/{}/", ctx.url, ctx.cfg.tenant_id),
        iat: now,
        nbf: now,
        exp: now + TOKEN_LIFETIME_SECS,
        appid: app_id,
        appidacr: "1".into(),
        idtyp: "app".into(),
        oid: oid.clone(),
        sub: oid,
        tid: ctx.cfg.tenant_id.clone(),
        ver: "1.0".into(),
        ..Claims::default()
    };
    Resp::ok(token_body(ctx, &claims, v2)).header("cache-control", "no-store, no-cache")
}

/// client_secret_basic: "Authorization: Basic base64(id:secret)".
fn basic_credentials(req: &Req) -> Option<(String, String)> {
    req.header("authorization")
        .and_then(|h| h.strip_prefix("Basic "))
        .and_then(|b| {
            base64::engine::general_purpose::STANDARD
                .decode(b.trim())
                .ok()
        })
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|s| {
            s.split_once(':').map(|(id, secret)| {
                let dec = |x: &str| {
                    percent_encoding::percent_decode_str(x)
                        .decode_utf8_lossy()
                        .into_owned()
                };
                (dec(id), dec(secret))
            })
        })
}

/// The resource a client credentials request is for: v2 names it as `{resource}/.default`.
fn client_resource(ctx: &Ctx, params: &Form, v2: bool) -> Result<String, Resp> {
    if v2 {
        let Some(scope) = params.get("scope") else {
            return Err(missing_param(ctx, "scope"));
        };
        match scope.trim().strip_suffix("/.default") {
            Some(resource) if !resource.is_empty() && !scope.trim().contains(' ') => {
                Ok(resource.to_string())
            }
            _ => Err(aad_error(
                ctx,
                StatusCode::BAD_REQUEST,
                "invalid_scope",
                1002012,
                &format!(
                    "The provided value for scope {scope} is not valid. Client credential \
                         flows must have a scope value with /.default suffixed to the resource \
                         identifier (application ID URI)."
                ),
            )),
        }
    } else {
        match params.get("resource") {
            Some(r) => Ok(r.to_string()),
            None => Err(missing_param(ctx, "resource")),
        }
    }
}

/// `(app id, secret, object id, federated token)` of the configured principal or of one
/// added through `Emulator::add_service_principal`.
fn registered_app(ctx: &Ctx, client_id: &str) -> Option<(String, String, String, Option<String>)> {
    if client_id.eq_ignore_ascii_case(&ctx.cfg.client_id) {
        Some((
            ctx.cfg.client_id.clone(),
            ctx.cfg.client_secret.clone(),
            ctx.principal_oid.clone(),
            None,
        ))
    } else {
        ctx.principals
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .find(|p| p.client_id.eq_ignore_ascii_case(client_id))
            .map(|p| {
                (
                    p.client_id.clone(),
                    p.secret.clone(),
                    p.oid.clone(),
                    p.federated_token.clone(),
                )
            })
    }
}

fn missing_param(ctx: &Ctx, name: &str) -> Resp {
    aad_error(
        ctx,
        StatusCode::BAD_REQUEST,
        "invalid_request",
        900144,
        &format!("The request body must contain the following parameter: '{name}'."),
    )
}
