//! The refresh token grant: refresh tokens rotate, each one redeemable once.

use crate::context::Ctx;
use crate::entra::common::{constant_time_eq, Form};
use crate::entra::grants::{bad_request, missing, resource_of, user_tokens};
use crate::http::Resp;
use crate::signin_state::token_hash;

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
