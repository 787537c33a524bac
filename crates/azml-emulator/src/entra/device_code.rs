//! The device code flow: the devicecode endpoint hands out codes, the token endpoint's
//! polls answer pending until the simulated user (or the admin API) approves.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::json;

use crate::context::Ctx;
use crate::entra::common::{
    constant_time_eq, form, generic_tenant, known_tenant, post_only, tenant_not_found, Form,
};
use crate::entra::grants::{
    bad_request, default_user, missing, public_client_known, resource_of, unknown_client,
    user_tokens,
};
use crate::http::{Req, Resp};
use crate::ids::random_bytes;
use crate::signin_state::{DeviceCode, DeviceState, User};

pub(crate) fn devicecode_endpoint(ctx: &Ctx, req: &Req, tenant: &str, v2: bool) -> Resp {
    if let Some(refusal) = post_only(ctx, req) {
        return refusal;
    }
    if !known_tenant(ctx, tenant) && !generic_tenant(tenant) {
        return tenant_not_found(ctx, tenant);
    }
    devicecode(ctx, &form(req), v2)
}

pub(crate) const DEVICE_CODE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

const DEVICE_CODE_LIFETIME_SECS: i64 = 900;

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
