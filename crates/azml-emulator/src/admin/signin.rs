//! The admin API's sign-in part (`/_emulator/apps`, `/signin`, `/devicecode`,
//! `/workload-issuer`, `/managed-identity`, `/users`), and the operations it shares with
//! the `Emulator` methods of the same names.

use axum::http::{Method, StatusCode};
use serde_json::{json, Value};

use crate::admin::common::{body_json, error};
use crate::context::Ctx;
use crate::directory::ServicePrincipal;
use crate::entra::{self, identity_resource_id, TOKEN_EXCHANGE_AUDIENCE};
use crate::http::Resp;
use crate::ids::new_guid;
use crate::signin_state::{Identity, Settings};
use crate::timestamps::iso;

/// Object id of the application `client_id` (the configured one or one added), if known.
pub(crate) fn app_oid(ctx: &Ctx, client_id: &str) -> Option<String> {
    if client_id.eq_ignore_ascii_case(&ctx.cfg.client_id) {
        return Some(ctx.principal_oid.clone());
    }
    ctx.principals
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .iter()
        .find(|p| p.client_id.eq_ignore_ascii_case(client_id))
        .map(|p| p.oid.clone())
}

/// Adds an application (service principal); an existing one keeps its secret and id.
pub(crate) fn add_app(ctx: &Ctx, client_id: &str, secret: &str) -> String {
    if let Some(oid) = app_oid(ctx, client_id) {
        return oid;
    }
    let oid = new_guid();
    ctx.principals
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .push(ServicePrincipal {
            client_id: client_id.to_string(),
            secret: secret.to_string(),
            oid: oid.clone(),
            federated_token: None,
        });
    oid
}

pub(crate) fn add_certificate(
    ctx: &Ctx,
    client_id: &str,
    certificate: &str,
) -> Result<(String, String), String> {
    if app_oid(ctx, client_id).is_none() {
        return Err(format!("no application '{client_id}'"));
    }
    ctx.signin().add_certificate(client_id, certificate)
}

pub(crate) fn add_federated(
    ctx: &Ctx,
    client_id: &str,
    issuer: &str,
    subject: &str,
    audiences: Vec<String>,
) -> Result<(), String> {
    if app_oid(ctx, client_id).is_none() {
        return Err(format!("no application '{client_id}'"));
    }
    if issuer.trim().is_empty() || subject.trim().is_empty() {
        return Err("issuer and subject must not be empty".into());
    }
    ctx.signin()
        .add_federated(client_id, issuer, subject, audiences);
    Ok(())
}

pub(crate) fn issue_federated_token(
    ctx: &Ctx,
    subject: &str,
    audience: &str,
    lifetime: i64,
) -> String {
    let issuer = entra::workload_issuer(ctx);
    let now = ctx.clock.now_secs();
    ctx.signin()
        .issue_federated_token(&issuer, subject, audience, now, lifetime)
}

/// Approves the device code `user_code` as `user` (the settings' user when `None`), or
/// denies it.
pub(crate) fn decide_device_code(
    ctx: &Ctx,
    user_code: &str,
    approve: bool,
    user: Option<&str>,
) -> Result<(), String> {
    let decision = if approve {
        let upn = match user {
            Some(u) => u.to_string(),
            None => ctx.signin().settings.user.clone(),
        };
        Some(entra::find_user(ctx, &upn).ok_or(format!("no user '{upn}'"))?)
    } else {
        None
    };
    let now = ctx.clock.now_secs();
    ctx.signin().decide_device_code(user_code, decision, now)
}

fn identity_json(ctx: &Ctx, i: &Identity) -> Value {
    json!({
        "name": i.name,
        "clientId": i.client_id,
        "principalId": i.principal_id,
        "type": if i.system { "SystemAssigned" } else { "UserAssigned" },
        "resourceId": if i.system { Value::Null } else { json!(identity_resource_id(ctx, i)) },
    })
}

pub(crate) fn identity_endpoint(ctx: &Ctx) -> String {
    format!("{}/msi/token", ctx.url)
}

fn settings_json(ctx: &Ctx) -> Value {
    let now = ctx.clock.now_secs();
    let s = ctx.signin();
    json!({
        "user": s.settings.user,
        "deviceCodeAutoApproveAfterPolls": s.settings.auto_approve_after_polls,
        "deviceCodeInterval": s.settings.interval,
        "enforceInterval": s.settings.enforce_interval,
        "denyConsent": s.settings.deny_consent,
        "pendingUserCodes": s.pending_user_codes(now),
        "workloadIssuer": entra::workload_issuer(ctx),
        "identityEndpoint": identity_endpoint(ctx),
    })
}

fn bad(message: impl Into<String>) -> Resp {
    error(StatusCode::BAD_REQUEST, "InvalidRequestContent", message)
}

fn str_field<'a>(v: &'a Value, name: &str) -> Result<&'a str, Resp> {
    v[name]
        .as_str()
        .filter(|s| !s.trim().is_empty())
        .ok_or_else(|| bad(format!("give \"{name}\" as a non-empty string")))
}

/// `None` when the method is not allowed on the path.
pub(crate) fn route(ctx: &Ctx, method: &Method, rest: &[&str], body: &[u8]) -> Option<Resp> {
    let json_body = || body_json(body);
    let resp = match (method, rest) {
        (&Method::POST, ["users"]) => (|| {
            let v = json_body()?;
            let upn = str_field(&v, "userPrincipalName")?;
            let name = v["displayName"].as_str().unwrap_or(upn);
            let id = ctx.store().add_user(upn, name);
            ctx.persist();
            Ok(Resp::json(
                StatusCode::CREATED,
                json!({"id": id, "userPrincipalName": upn, "displayName": name}),
            ))
        })(),
        (&Method::POST, ["apps"]) => (|| {
            let v = if body.iter().all(u8::is_ascii_whitespace) {
                json!({})
            } else {
                json_body()?
            };
            let client_id = v["clientId"]
                .as_str()
                .map(str::to_string)
                .unwrap_or_else(new_guid);
            let generated = v["clientSecret"].as_str().is_none();
            let secret = v["clientSecret"]
                .as_str()
                .map(str::to_string)
                .unwrap_or_else(crate::ids::random_key);
            let existed = app_oid(ctx, &client_id).is_some();
            let oid = add_app(ctx, &client_id, &secret);
            let mut out = json!({"clientId": client_id, "objectId": oid});
            // The secret is shown once, when the emulator made it up.
            if generated && !existed {
                out["clientSecret"] = json!(secret);
            }
            Ok(Resp::json(
                if existed {
                    StatusCode::OK
                } else {
                    StatusCode::CREATED
                },
                out,
            ))
        })(),
        (&Method::POST, ["apps", app, "certificates"]) => (|| {
            let v = json_body()?;
            let cert = str_field(&v, "certificate")?;
            let (x5t, s256) = add_certificate(ctx, app, cert).map_err(bad)?;
            Ok(Resp::json(
                StatusCode::CREATED,
                json!({"clientId": app, "x5t": x5t, "x5t#S256": s256}),
            ))
        })(),
        (&Method::POST, ["apps", app, "federatedCredentials"]) => (|| {
            let v = json_body()?;
            let issuer = v["issuer"]
                .as_str()
                .map(str::to_string)
                .unwrap_or_else(|| entra::workload_issuer(ctx));
            let subject = str_field(&v, "subject")?;
            let audiences: Vec<String> = match &v["audiences"] {
                Value::Null => vec![TOKEN_EXCHANGE_AUDIENCE.to_string()],
                Value::Array(a) => a
                    .iter()
                    .filter_map(|x| x.as_str().map(str::to_string))
                    .collect(),
                _ => return Err(bad("\"audiences\" must be a list of strings")),
            };
            add_federated(ctx, app, &issuer, subject, audiences.clone()).map_err(bad)?;
            Ok(Resp::json(
                StatusCode::CREATED,
                json!({"clientId": app, "issuer": issuer, "subject": subject, "audiences": audiences}),
            ))
        })(),
        (&Method::POST, ["workload-issuer", "tokens"]) => (|| {
            let v = json_body()?;
            let subject = str_field(&v, "subject")?;
            let audience = v["audience"].as_str().unwrap_or(TOKEN_EXCHANGE_AUDIENCE);
            let lifetime = match &v["lifetimeSeconds"] {
                Value::Null => 3600,
                n => n
                    .as_i64()
                    .filter(|n| (1..=86_400 * 7).contains(n))
                    .ok_or_else(|| bad("\"lifetimeSeconds\" must be 1 to 604800"))?,
            };
            let token = issue_federated_token(ctx, subject, audience, lifetime);
            Ok(Resp::ok(json!({
                "token": token,
                "issuer": entra::workload_issuer(ctx),
                "subject": subject,
                "expiresOn": iso((ctx.clock.now_secs() + lifetime) * 1000),
            })))
        })(),
        (&Method::GET, ["signin"]) => Ok(Resp::ok(settings_json(ctx))),
        (&Method::PATCH, ["signin"]) => (|| {
            let v = json_body()?;
            if let Some(user) = v.get("user") {
                let upn = user
                    .as_str()
                    .ok_or_else(|| bad("\"user\" must be a user principal name"))?;
                if entra::find_user(ctx, upn).is_none() {
                    return Err(bad(format!(
                        "no user '{upn}' (add one with POST /_emulator/users)"
                    )));
                }
                ctx.signin().settings.user = upn.to_string();
            }
            if let Some(n) = v.get("deviceCodeAutoApproveAfterPolls") {
                let n =
                    match n {
                        Value::Null => None,
                        n => Some(n.as_u64().and_then(|n| u32::try_from(n).ok()).ok_or_else(
                            || bad("\"deviceCodeAutoApproveAfterPolls\" must be a count or null"),
                        )?),
                    };
                ctx.signin().settings.auto_approve_after_polls = n;
            }
            if let Some(i) = v.get("deviceCodeInterval") {
                let i = i
                    .as_u64()
                    .filter(|i| (1..=60).contains(i))
                    .ok_or_else(|| bad("\"deviceCodeInterval\" must be 1 to 60"))?;
                ctx.signin().settings.interval = i;
            }
            for (name, apply) in [
                (
                    "enforceInterval",
                    (|s: &mut Settings, b| s.enforce_interval = b) as fn(&mut Settings, bool),
                ),
                ("denyConsent", |s, b| s.deny_consent = b),
            ] {
                if let Some(b) = v.get(name) {
                    let b = b
                        .as_bool()
                        .ok_or_else(|| bad(format!("\"{name}\" must be true or false")))?;
                    apply(&mut ctx.signin().settings, b);
                }
            }
            Ok(Resp::ok(settings_json(ctx)))
        })(),
        (&Method::POST, ["devicecode", action @ ("approve" | "deny")]) => (|| {
            let v = json_body()?;
            let code = str_field(&v, "userCode")?;
            let user = v["user"].as_str();
            decide_device_code(ctx, code, *action == "approve", user)
                .map_err(|e| error(StatusCode::NOT_FOUND, "NotFound", e))?;
            Ok(Resp::ok(json!({"userCode": code, "decision": action})))
        })(),
        (&Method::GET, ["managed-identity"]) => {
            let identities: Vec<Value> = ctx
                .signin()
                .identities
                .clone()
                .iter()
                .map(|i| identity_json(ctx, i))
                .collect();
            Ok(Resp::ok(json!({
                "endpoint": identity_endpoint(ctx),
                "header": ctx.signin().identity_header,
                "apiVersion": "2019-08-01",
                "identities": identities,
            })))
        }
        (&Method::POST, ["managed-identity", "identities"]) => (|| {
            let v = json_body()?;
            let name = str_field(&v, "name")?;
            let identity = ctx.signin().add_identity(name);
            Ok(Resp::json(
                StatusCode::CREATED,
                identity_json(ctx, &identity),
            ))
        })(),
        _ => return None,
    };
    Some(resp.unwrap_or_else(|e| e))
}
