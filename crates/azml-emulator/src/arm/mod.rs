//! The ARM room: Azure Resource Manager's front door (bearer token, throttling, api-version,
//! subscription), then the route table and the resource providers behind it.

mod access;
mod common;
pub(crate) mod dispatch;
mod inventory;
pub(crate) mod providers;
mod rbac;
mod routes;

use axum::http::StatusCode;

use crate::context::Ctx;
use crate::errors::{ArmError, ArmResult};
use crate::http::{Req, Resp};
use crate::throttle::{OpClass, Outcome};
use crate::timestamps::us_time;
use crate::tokens::{Claims, TokenError};

/// ARM: authenticate, throttle, route, check api-version and subscription, run the handler.
/// Returns the response, the authenticated principal's object id and what the request took
/// from the throttling buckets (for the standard headers the caller adds).
pub(crate) fn serve(ctx: &Ctx, req: &Req) -> (Resp, Option<String>, Option<Outcome>) {
    let mut outcome = None;
    let mut principal = None;
    let result = authenticate(ctx, req).and_then(|claims| {
        principal = Some(claims.oid.clone());
        let o = ctx.throttle(&claims.oid, OpClass::of(&req.method));
        outcome = Some(o);
        if let Some(wait) = o.retry_after {
            return Err(ArmError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "SubscriptionRequestsThrottled",
                format!(
                    "Number of '{}' requests for subscription '{}' actor '{}' exceeded. Please try again after '{wait}' seconds after the additional tokens are available. Refer to https://aka.ms/arm-throttling for additional information.",
                    match o.class {
                        OpClass::Read => "read",
                        OpClass::Write => "write",
                        OpClass::Delete => "delete",
                    },
                    ctx.cfg.subscription_id,
                    claims.oid
                ),
            )
            .with_header("retry-after", wait.to_string()));
        }
        arm_inner(ctx, req, &claims)
    });
    let resp = match result {
        Ok(r) => r,
        Err(e) => {
            // Recorded: ARM's front door, not the provider, answers these.
            let gateway = matches!(
                e.code.as_str(),
                "ResourceNotFound" | "ResourceGroupNotFound" | "SubscriptionNotFound"
            );
            let mut resp: Resp = e.into();
            if gateway {
                resp.headers.push(("x-ms-failure-cause", "gateway".into()));
            }
            resp
        }
    };
    (resp, principal, outcome)
}

fn arm_inner(ctx: &Ctx, req: &Req, claims: &Claims) -> ArmResult<Resp> {
    let route = routes::parse(req)?;
    let version = req.q("api-version");
    match version {
        None | Some("") => {
            return Err(ArmError::bad_request(
                "MissingApiVersionParameter",
                "The api-version query parameter (?api-version=) is required for all requests.",
            ))
        }
        Some(v) => {
            let family = route.family();
            if !family.accepts(v) {
                return Err(ArmError::bad_request(
                    "InvalidApiVersionParameter",
                    format!(
                        "The api-version '{v}' is invalid. The supported versions are '{}'.",
                        family.versions().join(",")
                    ),
                ));
            }
        }
    }
    if let Some(sub) = route.subscription() {
        if !sub.eq_ignore_ascii_case(&ctx.cfg.subscription_id) {
            return Err(ArmError::not_found(
                "SubscriptionNotFound",
                format!("The subscription '{sub}' could not be found."),
            ));
        }
    }
    dispatch::handle(ctx, req, claims, route)
}

/// The ARM audiences this emulator accepts: the public cloud's and its own URL.
fn audience_ok(ctx: &Ctx, aud: &str) -> bool {
    let aud = aud.trim_end_matches('/');
    [
        "https://management.azure.com",
        "https://management.core.windows.net",
        ctx.url.as_str(),
    ]
    .iter()
    .any(|a| a.eq_ignore_ascii_case(aud))
}

fn authenticate(ctx: &Ctx, req: &Req) -> ArmResult<Claims> {
    let challenge = |description: &str| {
        format!(
            "Bearer authorization_uri=\"{}/{}\", error=\"invalid_token\", error_description=\"{}\"",
            ctx.url, ctx.cfg.tenant_id, description
        )
    };
    let unauthorized = |code: &str, message: String, description: &str| {
        ArmError::new(StatusCode::UNAUTHORIZED, code, message)
            .with_header("www-authenticate", challenge(description))
    };
    let Some(header) = req.header("authorization") else {
        return Err(unauthorized(
            "AuthenticationFailed",
            "Authentication failed. The 'Authorization' header is missing.".into(),
            "The authentication failed because of missing 'Authorization' header.",
        ));
    };
    let token = match header.split_once(' ') {
        Some((scheme, token))
            if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() =>
        {
            token.trim()
        }
        _ => {
            return Err(unauthorized(
                "AuthenticationFailed",
                "Authentication failed. The 'Authorization' header is provided in an invalid \
                 format."
                    .into(),
                "The authentication failed because of invalid 'Authorization' header format.",
            ))
        }
    };
    let now = ctx.clock.now_secs();
    let claims = match ctx.signer.verify(token, now) {
        Ok(c) => c,
        Err(TokenError::Invalid) => {
            return Err(unauthorized(
                "InvalidAuthenticationToken",
                "The access token is invalid.".into(),
                "The access token is invalid.",
            ))
        }
        Err(TokenError::Expired { exp, now }) => {
            let message = format!(
                "The access token expiry UTC time '{}' is earlier than current UTC time '{}'.",
                us_time(exp),
                us_time(now)
            );
            return Err(unauthorized(
                "ExpiredAuthenticationToken",
                message.clone(),
                &message,
            ));
        }
    };
    if !audience_ok(ctx, &claims.aud) {
        let message = format!(
            "The access token has been obtained for wrong audience or resource '{}'. It should \
             exactly match with one of the allowed audiences \
             'https://management.core.windows.net/','https://management.core.windows.net',\
             'https://management.azure.com/','https://management.azure.com','{}/','{}'.",
            claims.aud, ctx.url, ctx.url
        );
        return Err(unauthorized(
            "InvalidAuthenticationTokenAudience",
            message,
            "The access token has been obtained for wrong audience or resource.",
        ));
    }
    if !claims.tid.eq_ignore_ascii_case(&ctx.cfg.tenant_id) {
        return Err(unauthorized(
            "InvalidAuthenticationTokenTenant",
            format!(
                "The access token is from the wrong issuer '{}'. It must match the tenant \
                 '{}/{}/' associated with this subscription.",
                claims.iss, ctx.url, ctx.cfg.tenant_id
            ),
            "The access token is from the wrong issuer.",
        ));
    }
    Ok(claims)
}
