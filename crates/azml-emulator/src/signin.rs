//! Sign-in beyond the client secret: certificate and federated (workload identity) client
//! assertions, device code, authorization code with PKCE, rotating refresh tokens, and an
//! App Service style managed-identity endpoint. What these flows remember between requests
//! is the tenant's sign-in state (`signin_state`).
//!
//! The simulated user: every interactive flow signs in as `Settings::user` (the emulator's
//! Graph user unless changed), or as the user the admin API names when it approves.

use axum::http::StatusCode;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::context::Ctx;
use crate::entra::{aad_error, Form};
use crate::http::{Req, Resp};
use crate::ids::{new_guid, random_bytes};
use crate::signin_state::{
    token_hash, AuthCode, DeviceCode, DeviceState, Federated, Identity, User,
};
use crate::tokens::{Claims, TOKEN_LIFETIME_SECS};

/// What clients send as `client_assertion_type`.
pub(crate) const JWT_BEARER_ASSERTION: &str =
    "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
pub(crate) const DEVICE_CODE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";
/// The audience Entra ID expects in a federated token.
pub(crate) const TOKEN_EXCHANGE_AUDIENCE: &str = "api://AzureADTokenExchange";

/// Public clients every tenant knows: the Azure CLI, Azure PowerShell, Visual Studio Code.
const WELL_KNOWN_PUBLIC_CLIENTS: [&str; 3] = [
    "04b07795-8ddb-461a-bbee-02f9e1bf7b46",
    "1950a258-227b-4e31-a9cf-717495945fc2",
    "aebc6443-996d-45c2-90f0-388ff96faa56",
];

const DEVICE_CODE_LIFETIME_SECS: i64 = 900;
const AUTH_CODE_LIFETIME_SECS: i64 = 600;
/// Clock skew Entra ID tolerates on assertions.
const SKEW_SECS: i64 = 300;

// ---------------------------------------------------------------------------------------
// Shared pieces of the token answers.

fn bad_request(ctx: &Ctx, error: &str, code: u32, description: &str) -> Resp {
    aad_error(ctx, StatusCode::BAD_REQUEST, error, code, description)
}

fn invalid_client(ctx: &Ctx, code: u32, description: &str) -> Resp {
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

fn default_user(ctx: &Ctx) -> Result<User, Resp> {
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
fn public_client_known(ctx: &Ctx, client_id: &str) -> bool {
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

fn unknown_client(ctx: &Ctx, client_id: &str) -> Resp {
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
fn resource_of(ctx: &Ctx, form: &Form, v2: bool) -> Result<(String, bool), Resp> {
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

fn missing(ctx: &Ctx, name: &str) -> Resp {
    bad_request(
        ctx,
        "invalid_request",
        900144,
        &format!("The request body must contain the following parameter: '{name}'."),
    )
}

fn app_claims(ctx: &Ctx, resource: String, app_id: &str, oid: &str, appidacr: &str) -> Claims {
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
fn user_tokens(
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
    let mut body = crate::entra::token_body(ctx, &claims, v2);
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

// ---------------------------------------------------------------------------------------
// Client assertions (certificate, federated).

fn decode_jwt(token: &str) -> Option<(Value, Value, Vec<u8>, String)> {
    let mut parts = token.split('.');
    let (Some(h), Some(p), Some(s), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return None;
    };
    let header: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(h).ok()?).ok()?;
    let payload: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(p).ok()?).ok()?;
    let sig = URL_SAFE_NO_PAD.decode(s).ok()?;
    Some((header, payload, sig, format!("{h}.{p}")))
}

fn audiences(v: &Value) -> Vec<String> {
    match v {
        Value::String(s) => vec![s.clone()],
        Value::Array(a) => a
            .iter()
            .filter_map(|x| x.as_str().map(str::to_string))
            .collect(),
        _ => Vec::new(),
    }
}

/// `client_credentials` with `client_assertion`: a certificate's signed JWT (its header
/// names the certificate by thumbprint) or a federated token from a trusted issuer.
/// Returns the access token answer, or the refusal.
pub(crate) fn assertion_grant(
    ctx: &Ctx,
    form: &Form,
    app_id: &str,
    oid: &str,
    resource: String,
    v2: bool,
    tenant: &str,
) -> Resp {
    if form.get("client_assertion_type") != Some(JWT_BEARER_ASSERTION) {
        return bad_request(
            ctx,
            "invalid_request",
            50027,
            &format!("Invalid client_assertion_type: expected '{JWT_BEARER_ASSERTION}'."),
        );
    }
    let Some(assertion) = form.get("client_assertion") else {
        return missing(ctx, "client_assertion");
    };
    let Some((header, payload, sig, signing_input)) = decode_jwt(assertion) else {
        return invalid_client(ctx, 50027, "JWT token is invalid or malformed.");
    };
    let now = ctx.clock.now_secs();
    // MSAL writes fractional seconds.
    let num = |k: &str| {
        payload[k]
            .as_i64()
            .or_else(|| payload[k].as_f64().map(|f| f as i64))
    };
    let thumb_s256 = header["x5t#S256"].as_str();
    let thumb = header["x5t"].as_str();
    let verdict = if thumb_s256.is_some() || thumb.is_some() {
        check_certificate_assertion(ctx, &header, &payload, &sig, &signing_input, app_id, tenant)
    } else {
        check_federated_assertion(ctx, &payload, assertion, app_id)
    };
    if let Err(resp) = verdict {
        return resp;
    }
    match (num("exp"), num("nbf").or(num("iat"))) {
        (Some(exp), _) if exp + SKEW_SECS <= now => {
            return invalid_client(
                ctx,
                700024,
                "Client assertion is not within its valid time range.",
            )
        }
        (Some(_), Some(nbf)) if nbf > now + SKEW_SECS => {
            return invalid_client(
                ctx,
                700024,
                "Client assertion is not within its valid time range.",
            )
        }
        (None, _) => return invalid_client(ctx, 50027, "The client assertion has no 'exp' claim."),
        _ => {}
    }
    let claims = app_claims(ctx, resource, app_id, oid, "2");
    Resp::ok(crate::entra::token_body(ctx, &claims, v2))
        .header("cache-control", "no-store, no-cache")
}

fn check_certificate_assertion(
    ctx: &Ctx,
    header: &Value,
    payload: &Value,
    sig: &[u8],
    signing_input: &str,
    app_id: &str,
    tenant: &str,
) -> Result<(), Resp> {
    if header["alg"].as_str() != Some("RS256") {
        return Err(invalid_client(
            ctx,
            5002738,
            "Invalid JWT token. 'RS256' is the only signing algorithm supported for client \
             assertions.",
        ));
    }
    for claim in ["iss", "sub"] {
        if !payload[claim]
            .as_str()
            .is_some_and(|v| v.eq_ignore_ascii_case(app_id))
        {
            return Err(invalid_client(
                ctx,
                700021,
                "Client assertion application identifier doesn't match 'client_id' parameter. \
                 Review the documentation at https://learn.microsoft.com/entra/identity-platform/certificate-credentials .",
            ));
        }
    }
    let base = format!("{}/{tenant}/oauth2", ctx.url);
    let allowed = [
        format!("{base}/v2.0/token"),
        format!("{base}/token"),
        format!("{}/{tenant}/", ctx.url),
        format!("{}/{}/oauth2/v2.0/token", ctx.url, ctx.cfg.tenant_id),
        format!("{}/{}/oauth2/token", ctx.url, ctx.cfg.tenant_id),
    ];
    let aud_ok = audiences(&payload["aud"]).iter().any(|a| {
        allowed.iter().any(|x| {
            x.trim_end_matches('/')
                .eq_ignore_ascii_case(a.trim_end_matches('/'))
        })
    });
    if !aud_ok {
        return Err(invalid_client(
            ctx,
            50012,
            "Client assertion audience claim does not match Realm issuer (the token endpoint).",
        ));
    }
    let signin = ctx.signin();
    // MSAL pads its base64url thumbprints, others do not; some send plain base64.
    let norm =
        |t: Option<&str>| t.map(|t| t.trim_end_matches('=').replace('+', "-").replace('/', "_"));
    let (s256, sha1) = (
        norm(header["x5t#S256"].as_str()),
        norm(header["x5t"].as_str()),
    );
    let cert = signin.certificates.iter().find(|c| {
        c.client_id.eq_ignore_ascii_case(app_id)
            && (s256.as_deref() == Some(c.x5t_s256.as_str())
                || sha1.as_deref() == Some(c.x5t.as_str()))
    });
    let given = header["x5t#S256"]
        .as_str()
        .or(header["x5t"].as_str())
        .unwrap_or_default();
    let Some(cert) = cert else {
        return Err(invalid_client(
            ctx,
            700027,
            &format!(
                "The certificate with identifier used to sign the client assertion is not \
                 registered on application. [Reason - The key was not found., Thumbprint of key \
                 used by client: '{given}'; Please visit the Azure Portal, Graph Explorer or \
                 directly use MS Graph to see configured keys for app Id '{app_id}'.]"
            ),
        ));
    };
    let key = ring::signature::UnparsedPublicKey::new(
        &ring::signature::RSA_PKCS1_2048_8192_SHA256,
        &cert.public_key,
    );
    if key.verify(signing_input.as_bytes(), sig).is_err() {
        return Err(invalid_client(
            ctx,
            700027,
            "Client assertion failed signature validation.",
        ));
    }
    Ok(())
}

fn check_federated_assertion(
    ctx: &Ctx,
    payload: &Value,
    assertion: &str,
    app_id: &str,
) -> Result<(), Resp> {
    let issuer = payload["iss"].as_str().unwrap_or_default();
    let subject = payload["sub"].as_str().unwrap_or_default();
    let signin = ctx.signin();
    let entries: Vec<&Federated> = signin
        .federated
        .iter()
        .filter(|f| f.client_id.eq_ignore_ascii_case(app_id))
        .collect();
    if !entries.iter().any(|f| f.issuer == issuer) {
        return Err(bad_request(
            ctx,
            "invalid_request",
            700211,
            &format!("No matching federated identity record found for presented assertion issuer '{issuer}'. Please check your federated identity credential Subject, Audience and Issuer against the presented assertion."),
        ));
    }
    let Some(entry) = entries
        .iter()
        .find(|f| f.issuer == issuer && f.subject == subject)
    else {
        return Err(bad_request(
            ctx,
            "invalid_request",
            700213,
            &format!("No matching federated identity record found for presented assertion subject '{subject}'. Please check your federated identity credential Subject, Audience and Issuer against the presented assertion."),
        ));
    };
    let presented = audiences(&payload["aud"]);
    if !presented
        .iter()
        .any(|a| entry.audiences.iter().any(|e| e.eq_ignore_ascii_case(a)))
    {
        return Err(bad_request(
            ctx,
            "invalid_request",
            700212,
            &format!("No matching federated identity record found for presented assertion audience '{}'.", presented.join(",")),
        ));
    }
    // Only the emulator's own issuer can be checked: there is no network to fetch another
    // issuer's keys from.
    if issuer != workload_issuer(ctx) {
        return Err(bad_request(
            ctx,
            "invalid_request",
            50166,
            &format!("Request to External OIDC endpoint failed. The emulator only verifies tokens of its own issuer '{}'.", workload_issuer(ctx)),
        ));
    }
    if signin.issuer_signer.verify_json(assertion).is_err() {
        return Err(invalid_client(
            ctx,
            5002738,
            "Invalid JWT token. The assertion failed signature validation.",
        ));
    }
    Ok(())
}

/// The issuer of the service account tokens the emulator hands out (a Kubernetes cluster's
/// OIDC issuer URL).
pub(crate) fn workload_issuer(ctx: &Ctx) -> String {
    format!("{}/_emulator/workload-issuer", ctx.url)
}

// ---------------------------------------------------------------------------------------
// Device code.

fn user_code() -> String {
    const ALPHABET: &[u8] = b"BCDFGHJKLMNPQRSTVWXZ23456789";
    random_bytes(9)
        .iter()
        .map(|b| char::from(ALPHABET[usize::from(*b) % ALPHABET.len()]))
        .collect()
}

/// `POST {tenant}/oauth2/v2.0/devicecode` (and the v1 `oauth2/devicecode`).
pub(crate) fn devicecode(ctx: &Ctx, form: &Form, v2: bool) -> Resp {
    let Some(client_id) = form.get("client_id") else {
        return missing(ctx, "client_id");
    };
    if !public_client_known(ctx, client_id) {
        return unknown_client(ctx, client_id);
    }
    let (resource, openid) = match resource_of(ctx, form, v2) {
        Ok(r) => r,
        Err(resp) => return resp,
    };
    let now = ctx.clock.now_secs();
    let device_code = URL_SAFE_NO_PAD.encode(random_bytes(48));
    let user_code = user_code();
    let verification_uri = format!("{}/devicelogin", ctx.url);
    let mut signin = ctx.signin();
    let interval = signin.settings.interval;
    signin.device_codes.retain(|d| d.expires_at + 3600 > now);
    signin.device_codes.push(DeviceCode {
        device_code: device_code.clone(),
        user_code: user_code.clone(),
        client_id: client_id.to_string(),
        resource,
        openid,
        expires_at: now + DEVICE_CODE_LIFETIME_SECS,
        last_poll_ms: None,
        polls: 0,
        state: DeviceState::Pending,
    });
    Resp::ok(json!({
        "user_code": user_code,
        "device_code": device_code,
        "verification_uri": verification_uri,
        "expires_in": DEVICE_CODE_LIFETIME_SECS,
        "interval": interval,
        "message": format!(
            "To sign in, use a web browser to open the page {verification_uri} and enter the \
             code {user_code} to authenticate."
        ),
    }))
    .header("cache-control", "no-store, no-cache")
}

/// The page `verification_uri` names: no browser sign-in here, it says how to approve.
pub(crate) fn devicelogin(ctx: &Ctx) -> Resp {
    Resp::ok(json!({
        "message": format!(
            "The azml emulator approves device codes by itself after {} poll(s) by default; \
             otherwise POST {{\"userCode\": \"...\"}} to {}/_emulator/devicecode/approve.",
            ctx.signin().settings.auto_approve_after_polls.map(|n| n.to_string()).unwrap_or_else(|| "no".into()),
            ctx.url
        )
    }))
}

enum PollOutcome {
    Pending,
    SlowDown,
    Expired,
    Declined,
    Invalid,
    Approved(User, String, bool),
}

/// `grant_type=urn:ietf:params:oauth:grant-type:device_code`.
pub(crate) fn device_code_grant(ctx: &Ctx, form: &Form, v2: bool) -> Resp {
    let Some(client_id) = form.get("client_id") else {
        return missing(ctx, "client_id");
    };
    let Some(code) = form.get("device_code").or(form.get("code")) else {
        return missing(ctx, "device_code");
    };
    // Looked up before taking the sign-in lock (the store has its own).
    let auto_user = default_user(ctx).ok();
    let now_ms = ctx.clock.now_ms();
    let now = now_ms.div_euclid(1000);
    let outcome = {
        let mut signin = ctx.signin();
        let settings = signin.settings.clone();
        match signin.device_codes.iter_mut().find(|d| {
            d.device_code.len() == code.len()
                && constant_time_eq(d.device_code.as_bytes(), code.as_bytes())
        }) {
            None => PollOutcome::Invalid,
            Some(dc) if !dc.client_id.eq_ignore_ascii_case(client_id) => PollOutcome::Invalid,
            Some(dc) if matches!(dc.state, DeviceState::Redeemed) => PollOutcome::Invalid,
            Some(dc) if now >= dc.expires_at => PollOutcome::Expired,
            Some(dc) if matches!(dc.state, DeviceState::Denied) => PollOutcome::Declined,
            Some(dc) => {
                let too_soon = settings.enforce_interval
                    && dc
                        .last_poll_ms
                        .is_some_and(|t| now_ms - t < settings.interval as i64 * 1000);
                dc.last_poll_ms = Some(now_ms);
                if too_soon {
                    PollOutcome::SlowDown
                } else {
                    dc.polls += 1;
                    if matches!(dc.state, DeviceState::Pending) {
                        if let (Some(n), Some(user)) =
                            (settings.auto_approve_after_polls, &auto_user)
                        {
                            if dc.polls > n {
                                dc.state = DeviceState::Approved(user.clone());
                            }
                        }
                    }
                    match std::mem::replace(&mut dc.state, DeviceState::Redeemed) {
                        DeviceState::Approved(user) => {
                            PollOutcome::Approved(user, dc.resource.clone(), dc.openid)
                        }
                        other => {
                            dc.state = other;
                            PollOutcome::Pending
                        }
                    }
                }
            }
        }
    };
    match outcome {
        PollOutcome::Pending => bad_request(
            ctx,
            "authorization_pending",
            70016,
            "OAuth 2.0 device flow error. Authorization is pending. Continue polling.",
        ),
        PollOutcome::SlowDown => bad_request(
            ctx,
            "slow_down",
            70016,
            "OAuth 2.0 device flow error. Polling too fast: slow down.",
        ),
        PollOutcome::Expired => {
            bad_request(ctx, "expired_token", 70019, "Verification code expired.")
        }
        PollOutcome::Declined => bad_request(
            ctx,
            "authorization_declined",
            70000,
            "The user declined the sign-in request.",
        ),
        PollOutcome::Invalid => bad_request(
            ctx,
            "invalid_grant",
            70000,
            "Provided grant is invalid or malformed: the device code is unknown, was already \
             redeemed, or belongs to another client.",
        ),
        PollOutcome::Approved(user, resource, openid) => {
            user_tokens(ctx, &user, client_id, &resource, openid, v2)
        }
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

// ---------------------------------------------------------------------------------------
// Refresh tokens.

/// `grant_type=refresh_token`: the refresh token is consumed and a new one issued.
pub(crate) fn refresh_grant(ctx: &Ctx, form: &Form, v2: bool) -> Resp {
    let Some(client_id) = form.get("client_id") else {
        return missing(ctx, "client_id");
    };
    let Some(token) = form.get("refresh_token") else {
        return missing(ctx, "refresh_token");
    };
    let (resource, openid) = match resource_of(ctx, form, v2) {
        Ok(r) => r,
        Err(resp) => return resp,
    };
    let now = ctx.clock.now_secs();
    let found = {
        let hash = token_hash(token);
        let mut signin = ctx.signin();
        let pos = signin
            .refresh_tokens
            .iter()
            .position(|r| constant_time_eq(r.token_hash.as_bytes(), hash.as_bytes()));
        pos.map(|i| signin.refresh_tokens.remove(i))
    };
    let Some(refresh) = found else {
        return bad_request(
            ctx,
            "invalid_grant",
            9002313,
            "Invalid request. Request is malformed or invalid: the refresh token is unknown or \
             was already used (refresh tokens rotate).",
        );
    };
    if refresh.expires_at <= now {
        return bad_request(
            ctx,
            "invalid_grant",
            700082,
            "The refresh token has expired due to inactivity.",
        );
    }
    if !refresh.client_id.eq_ignore_ascii_case(client_id) {
        // Not consumed by a client it was not issued to.
        ctx.signin().refresh_tokens.push(refresh);
        return bad_request(
            ctx,
            "invalid_grant",
            70000,
            "Provided grant is invalid or malformed: the refresh token was issued to another \
             client.",
        );
    }
    user_tokens(ctx, &refresh.user, client_id, &resource, openid, v2)
}

// ---------------------------------------------------------------------------------------
// Authorization code with PKCE.

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

// ---------------------------------------------------------------------------------------
// Managed identity (App Service, api-version 2019-08-01).

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
