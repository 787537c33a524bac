//! The authorization code flow with PKCE: the authorize endpoint, where the simulated
//! user consents (or refuses) and is redirected to a loopback URI with a code, and the
//! token endpoint's redemption of that code.

use axum::http::{Method, StatusCode};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use sha2::{Digest, Sha256};

use crate::context::Ctx;
use crate::entra::common::{
    aad_error, constant_time_eq, generic_tenant, known_tenant, tenant_not_found, Form,
};
use crate::entra::grants::{
    bad_request, default_user, find_user, missing, public_client_known, unknown_client,
    user_resource, user_tokens,
};
use crate::http::{Req, Resp};
use crate::ids::random_bytes;
use crate::signin_state::AuthCode;

pub(crate) fn authorize_endpoint(ctx: &Ctx, req: &Req, tenant: &str, v2: bool) -> Resp {
    if req.method != Method::GET && req.method != Method::POST {
        return aad_error(
            ctx,
            StatusCode::BAD_REQUEST,
            "invalid_request",
            900561,
            "The authorize endpoint accepts GET (and form_post POST) requests only.",
        );
    }
    if !known_tenant(ctx, tenant) && !generic_tenant(tenant) {
        return tenant_not_found(ctx, tenant);
    }
    authorize(ctx, req, v2)
}

const AUTH_CODE_LIFETIME_SECS: i64 = 600;

/// Loopback redirect URIs only: `http://127.0.0.1:PORT/…`, `http://localhost:PORT/…`,
/// `http://[::1]:PORT/…`.
fn loopback_redirect(uri: &str) -> bool {
    let Ok(u) = url::Url::parse(uri) else {
        return false;
    };
    u.scheme() == "http"
        && u.fragment().is_none()
        && matches!(
            u.host(),
            Some(url::Host::Domain("localhost"))
                | Some(url::Host::Ipv4(std::net::Ipv4Addr::LOCALHOST))
                | Some(url::Host::Ipv6(std::net::Ipv6Addr::LOCALHOST))
        )
}

fn redirect_with(redirect_uri: &str, pairs: &[(&str, &str)]) -> Resp {
    let mut url = url::Url::parse(redirect_uri).expect("checked redirect URI");
    {
        let mut q = url.query_pairs_mut();
        for (k, v) in pairs {
            q.append_pair(k, v);
        }
    }
    Resp::empty(StatusCode::FOUND)
        .header("location", url.to_string())
        .header("cache-control", "no-store, no-cache")
}

/// `GET {tenant}/oauth2/v2.0/authorize`: the simulated user signs in and consents at once,
/// and the browser is sent back to the loopback redirect URI with the code.
pub(crate) fn authorize(ctx: &Ctx, req: &Req, v2: bool) -> Resp {
    let q = |k: &str| req.q(k).filter(|v| !v.is_empty());
    let Some(client_id) = q("client_id") else {
        return bad_request(
            ctx,
            "invalid_request",
            900144,
            "The request body must contain the following parameter: 'client_id'.",
        );
    };
    if !public_client_known(ctx, client_id) {
        return unknown_client(ctx, client_id);
    }
    let Some(redirect_uri) = q("redirect_uri").filter(|r| loopback_redirect(r)) else {
        return bad_request(
            ctx,
            "invalid_request",
            50011,
            &format!(
                "The redirect URI '{}' specified in the request does not match the redirect \
                 URIs configured for the application '{client_id}'. The emulator accepts \
                 loopback redirect URIs only (http://127.0.0.1:PORT, http://localhost:PORT).",
                q("redirect_uri").unwrap_or_default()
            ),
        );
    };
    let state = q("state").unwrap_or_default();
    let fail = |error: &str, code: u32, description: &str| {
        let description = format!("AADSTS{code}: {description}");
        let codes = code.to_string();
        let mut pairs = vec![
            ("error", error),
            ("error_description", description.as_str()),
            ("error_codes", codes.as_str()),
        ];
        if !state.is_empty() {
            pairs.push(("state", state));
        }
        redirect_with(redirect_uri, &pairs)
    };
    if q("response_type") != Some("code") {
        return fail(
            "unsupported_response_type",
            700054,
            "The emulator supports response_type 'code' only.",
        );
    }
    let Some(challenge) = q("code_challenge") else {
        return fail(
            "invalid_request",
            9002325,
            "Proof Key for Code Exchange is required for cross-origin authorization code \
             redemption.",
        );
    };
    if q("code_challenge_method") != Some("S256") {
        return fail(
            "invalid_request",
            501491,
            "Invalid code_challenge_method: the emulator requires 'S256'.",
        );
    }
    // RFC 7636: base64url of a SHA-256 digest is 43 characters.
    if challenge.len() != 43
        || !challenge
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return fail(
            "invalid_request",
            501491,
            "Invalid size of Code_Challenge parameter.",
        );
    }
    let resource = if v2 {
        match q("scope").map(|s| user_resource(ctx, s)) {
            Some(Ok(r)) => r,
            Some(Err(_)) | None => {
                return fail(
                    "invalid_scope",
                    70011,
                    "The provided value for the input parameter 'scope' is not valid.",
                )
            }
        }
    } else {
        match q("resource") {
            Some(r) => (r.to_string(), false),
            None => {
                return fail(
                    "invalid_request",
                    900144,
                    "The request must contain 'resource'.",
                )
            }
        }
    };
    if ctx.signin().settings.deny_consent {
        return fail(
            "access_denied",
            65004,
            "User declined to consent to access the app.",
        );
    }
    let user = match q("login_hint").and_then(|h| find_user(ctx, h)) {
        Some(u) => u,
        None => match default_user(ctx) {
            Ok(u) => u,
            Err(_) => {
                return fail(
                    "access_denied",
                    50034,
                    "The user account does not exist in the directory.",
                )
            }
        },
    };
    let code = format!("1.AZML.{}", URL_SAFE_NO_PAD.encode(random_bytes(48)));
    let now = ctx.clock.now_secs();
    {
        let mut signin = ctx.signin();
        signin.auth_codes.retain(|c| c.expires_at + 3600 > now);
        signin.auth_codes.push(AuthCode {
            code: code.clone(),
            client_id: client_id.to_string(),
            redirect_uri: redirect_uri.to_string(),
            challenge: challenge.to_string(),
            resource: resource.0,
            openid: resource.1,
            user,
            expires_at: now + AUTH_CODE_LIFETIME_SECS,
            redeemed: false,
        });
    }
    let mut pairs = vec![("code", code.as_str())];
    if !state.is_empty() {
        pairs.push(("state", state));
    }
    redirect_with(redirect_uri, &pairs)
}

/// `grant_type=authorization_code`: one redemption per code, the same client and redirect
/// URI, and `code_verifier` matching the challenge.
pub(crate) fn auth_code_grant(ctx: &Ctx, form: &Form, v2: bool) -> Resp {
    let Some(client_id) = form.get("client_id") else {
        return missing(ctx, "client_id");
    };
    let Some(code) = form.get("code") else {
        return missing(ctx, "code");
    };
    let Some(redirect_uri) = form.get("redirect_uri") else {
        return missing(ctx, "redirect_uri");
    };
    let now = ctx.clock.now_secs();
    let verifier = form.get("code_verifier");
    let found = {
        let mut signin = ctx.signin();
        signin
            .auth_codes
            .iter_mut()
            .find(|c| {
                c.code.len() == code.len() && constant_time_eq(c.code.as_bytes(), code.as_bytes())
            })
            .map(|c| {
                let first = !c.redeemed;
                c.redeemed = true;
                (
                    first,
                    c.client_id.clone(),
                    c.redirect_uri.clone(),
                    c.challenge.clone(),
                    c.resource.clone(),
                    c.openid,
                    c.user.clone(),
                    c.expires_at,
                )
            })
    };
    let Some((first, code_client, code_redirect, challenge, resource, openid, user, expires_at)) =
        found
    else {
        return bad_request(
            ctx,
            "invalid_grant",
            9002313,
            "Invalid request. Request is malformed or invalid: the authorization code is \
             unknown.",
        );
    };
    if !first {
        return bad_request(
            ctx,
            "invalid_grant",
            54005,
            "OAuth2 Authorization code was already redeemed, please retry with a new valid code \
             or use an existing refresh token.",
        );
    }
    if expires_at <= now {
        return bad_request(
            ctx,
            "invalid_grant",
            70008,
            "The provided authorization code or refresh token has expired due to inactivity. \
             Send a new interactive authorization request for this user and resource.",
        );
    }
    if !code_client.eq_ignore_ascii_case(client_id) {
        return bad_request(
            ctx,
            "invalid_grant",
            70000,
            "Provided grant is invalid or malformed: the code was issued to another client.",
        );
    }
    if code_redirect != redirect_uri {
        return bad_request(
            ctx,
            "invalid_grant",
            500112,
            &format!(
                "The reply address '{redirect_uri}' does not match the reply address \
                 '{code_redirect}' provided when requesting Authorization code."
            ),
        );
    }
    let Some(verifier) = verifier else {
        return bad_request(
            ctx,
            "invalid_grant",
            50148,
            "The code_verifier does not match the code_challenge supplied in the authorization \
             request for PKCE.",
        );
    };
    let computed = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    if !constant_time_eq(computed.as_bytes(), challenge.as_bytes()) {
        return bad_request(
            ctx,
            "invalid_grant",
            501481,
            "The Code_Verifier does not match the code_challenge supplied in the authorization \
             request.",
        );
    }
    user_tokens(ctx, &user, client_id, &resource, openid, v2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_redirects_only() {
        assert!(loopback_redirect("http://127.0.0.1:4711/"));
        assert!(loopback_redirect("http://localhost:80/cb"));
        assert!(loopback_redirect("http://[::1]:5/"));
        assert!(!loopback_redirect("https://127.0.0.1:4711/"));
        assert!(!loopback_redirect("http://example.com/"));
        assert!(!loopback_redirect("http://127.0.0.2/"));
    }
}
