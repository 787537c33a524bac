//! Shared pieces of the token answers: the client and user checks every grant makes, the
//! resource a scope names, and the access, ID and refresh tokens a user sign-in gets.

use axum::http::StatusCode;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::json;

use crate::context::Ctx;
use crate::entra::common::{aad_error, token_body, Form};
use crate::http::Resp;
use crate::signin_state::User;
use crate::tokens::{Claims, TOKEN_LIFETIME_SECS};

/// Public clients every tenant knows: the Azure CLI, Azure PowerShell, Visual Studio Code.
const WELL_KNOWN_PUBLIC_CLIENTS: [&str; 3] = [
    "04b07795-8ddb-461a-bbee-02f9e1bf7b46",
    "1950a258-227b-4e31-a9cf-717495945fc2",
    "aebc6443-996d-45c2-90f0-388ff96faa56",
];

pub(crate) fn bad_request(ctx: &Ctx, error: &str, code: u32, description: &str) -> Resp {
    aad_error(ctx, StatusCode::BAD_REQUEST, error, code, description)
}

pub(crate) fn invalid_client(ctx: &Ctx, code: u32, description: &str) -> Resp {
    aad_error(
        ctx,
        StatusCode::UNAUTHORIZED,
        "invalid_client",
        code,
        description,
    )
}

/// The user the settings name (or another Graph user), as tokens describe them.
pub(crate) fn find_user(ctx: &Ctx, upn: &str) -> Option<User> {
    let store = ctx.store();
    let u = store.users.get(&upn.to_lowercase())?;
    Some(User {
        oid: u["id"].as_str()?.to_string(),
        upn: u["userPrincipalName"].as_str().unwrap_or(upn).to_string(),
        name: u["displayName"].as_str().unwrap_or(upn).to_string(),
    })
}

pub(crate) fn default_user(ctx: &Ctx) -> Result<User, Resp> {
    let upn = ctx.signin().settings.user.clone();
    find_user(ctx, &upn).ok_or_else(|| {
        bad_request(
            ctx,
            "invalid_grant",
            50034,
            &format!("The user account {upn} does not exist in the directory."),
        )
    })
}

/// Public clients: the well-known ones, and the configured and added applications
/// (`POST /_emulator/apps`), which the emulator lets act as public clients too.
pub(crate) fn public_client_known(ctx: &Ctx, client_id: &str) -> bool {
    WELL_KNOWN_PUBLIC_CLIENTS
        .iter()
        .any(|c| c.eq_ignore_ascii_case(client_id))
        || client_id.eq_ignore_ascii_case(&ctx.cfg.client_id)
        || ctx
            .principals
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .any(|p| p.client_id.eq_ignore_ascii_case(client_id))
}

pub(crate) fn unknown_client(ctx: &Ctx, client_id: &str) -> Resp {
    bad_request(
        ctx,
        "unauthorized_client",
        700016,
        &format!(
            "Application with identifier '{client_id}' was not found in the directory '{}'. \
             This can happen if the application has not been installed by the administrator \
             of the tenant or consented to by any user in the tenant. You may have sent your \
             authentication request to the wrong tenant.",
            ctx.cfg.tenant_id
        ),
    )
}

const OIDC_SCOPES: [&str; 4] = ["openid", "profile", "offline_access", "email"];

/// The one resource a v2 `scope` names (`https://management.azure.com/.default`,
/// `https://management.azure.com/user_impersonation`), and whether `openid` was asked.
pub(crate) fn user_resource(ctx: &Ctx, scope: &str) -> Result<(String, bool), Resp> {
    let mut resources: Vec<String> = Vec::new();
    let mut openid = false;
    for s in scope.split_whitespace() {
        if OIDC_SCOPES.contains(&s) {
            openid |= s == "openid";
            continue;
        }
        let resource = match s.strip_suffix(".default") {
            Some(r) if !r.is_empty() => r.to_string(),
            _ => match s.rfind('/') {
                Some(i) if s.contains("://") && i > s.find("://").unwrap_or(0) + 2 => {
                    s[..=i].to_string()
                }
                _ => s.to_string(),
            },
        };
        if !resources
            .iter()
            .any(|r| r.trim_end_matches('/') == resource.trim_end_matches('/'))
        {
            resources.push(resource);
        }
    }
    match resources.as_slice() {
        [one] => Ok((one.clone(), openid)),
        [] => Err(bad_request(
            ctx,
            "invalid_scope",
            70011,
            &format!(
                "The provided value for the input parameter 'scope' is not valid. The scope \
                 {scope} does not name a resource."
            ),
        )),
        _ => Err(bad_request(
            ctx,
            "invalid_scope",
            28000,
            &format!(
                "Provided value for the input parameter scope is not valid because it contains \
                 more than one resource. Scope {scope} is not valid."
            ),
        )),
    }
}

/// The resource of a v2 (`scope`) or v1 (`resource`) request from a user flow.
pub(crate) fn resource_of(ctx: &Ctx, form: &Form, v2: bool) -> Result<(String, bool), Resp> {
    if v2 {
        let scope = form.get("scope").ok_or_else(|| missing(ctx, "scope"))?;
        user_resource(ctx, scope)
    } else {
        let resource = form
            .get("resource")
            .ok_or_else(|| missing(ctx, "resource"))?;
        Ok((resource.to_string(), false))
    }
}

pub(crate) fn missing(ctx: &Ctx, name: &str) -> Resp {
    bad_request(
        ctx,
        "invalid_request",
        900144,
        &format!("The request body must contain the following parameter: '{name}'."),
    )
}

pub(crate) fn app_claims(
    ctx: &Ctx,
    resource: String,
    app_id: &str,
    oid: &str,
    appidacr: &str,
) -> Claims {
    let now = ctx.clock.now_secs();
    Claims {
        aud: resource,
        iss: format!("{}/{}/", ctx.url, ctx.cfg.tenant_id),
        iat: now,
        nbf: now,
        exp: now + TOKEN_LIFETIME_SECS,
        appid: app_id.to_string(),
        appidacr: appidacr.into(),
        idtyp: "app".into(),
        oid: oid.to_string(),
        sub: oid.to_string(),
        tid: ctx.cfg.tenant_id.clone(),
        ver: "1.0".into(),
        ..Claims::default()
    }
}

/// An access token (plus refresh token, and an ID token when `openid` was asked) for a
/// user who signed in to `client_id`.
pub(crate) fn user_tokens(
    ctx: &Ctx,
    user: &User,
    client_id: &str,
    resource: &str,
    openid: bool,
    v2: bool,
) -> Resp {
    let now = ctx.clock.now_secs();
    let claims = Claims {
        idtyp: "user".into(),
        appidacr: "0".into(),
        upn: Some(user.upn.clone()),
        name: Some(user.name.clone()),
        scp: Some("user_impersonation".into()),
        ..app_claims(ctx, resource.to_string(), client_id, &user.oid, "0")
    };
    let refresh = ctx.signin().new_refresh_token(client_id, user, now);
    let mut body = token_body(ctx, &claims, v2);
    let obj = body.as_object_mut().expect("object");
    // As Entra ID answers a `.default` request: the delegated scope and `.default` both,
    // so that MSAL's cache finds the token under the scope it asked for.
    let r = if resource.ends_with('/') {
        resource.to_string()
    } else {
        format!("{resource}/")
    };
    obj.insert(
        "scope".into(),
        json!(format!("{r}user_impersonation {r}.default")),
    );
    obj.insert("refresh_token".into(), json!(refresh));
    obj.insert(
        "client_info".into(),
        json!(
            URL_SAFE_NO_PAD.encode(json!({"uid": user.oid, "utid": ctx.cfg.tenant_id}).to_string())
        ),
    );
    if openid {
        let id_token = ctx.signer.mint_json(&json!({
            "aud": client_id,
            "iss": format!("{}/{}/v2.0", ctx.url, ctx.cfg.tenant_id),
            "iat": now,
            "nbf": now,
            "exp": now + TOKEN_LIFETIME_SECS,
            "name": user.name,
            "oid": user.oid,
            "preferred_username": user.upn,
            "sub": user.oid,
            "tid": ctx.cfg.tenant_id,
            "ver": "2.0",
        }));
        obj.insert("id_token".into(), json!(id_token));
    }
    Resp::ok(body).header("cache-control", "no-store, no-cache")
}
