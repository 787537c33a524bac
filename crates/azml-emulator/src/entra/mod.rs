//! The Entra ID room: the sign-in endpoints of a tenant — the token endpoint and every
//! grant azml's credentials use, device code, authorize, the managed-identity endpoint,
//! OpenID and instance discovery — and ARM's cloud metadata, all pointing at the emulator.
//! This module only routes a path to its endpoint.

mod assertions;
mod authorize;
mod common;
mod device_code;
mod discovery;
mod grants;
mod managed_identity;
mod refresh;
mod token;

pub(crate) use assertions::{workload_issuer, TOKEN_EXCHANGE_AUDIENCE};
pub(crate) use discovery::metadata;
pub(crate) use grants::find_user;
pub(crate) use managed_identity::identity_resource_id;

use crate::context::Ctx;
use crate::entra::authorize::authorize_endpoint;
use crate::entra::device_code::{devicecode_endpoint, devicelogin};
use crate::entra::discovery::{instance_discovery, openid_configuration};
use crate::entra::managed_identity::managed_identity;
use crate::entra::token::token;
use crate::http::{Req, Resp};

/// Routes outside ARM; `None` when nothing matches.
pub(crate) fn route(ctx: &Ctx, req: &Req) -> Option<Resp> {
    let l: Vec<String> = req.segs.iter().map(|s| s.to_ascii_lowercase()).collect();
    let l: Vec<&str> = l.iter().map(String::as_str).collect();
    match l.as_slice() {
        [tenant, "v2.0", ".well-known", "openid-configuration"] => {
            Some(openid_configuration(ctx, tenant, true))
        }
        [tenant, ".well-known", "openid-configuration"] => {
            Some(openid_configuration(ctx, tenant, false))
        }
        [_, "discovery", "instance"] => Some(instance_discovery(ctx, req)),
        [tenant, "oauth2", "v2.0", "token"] => Some(token(ctx, req, tenant, true)),
        [tenant, "oauth2", "token"] => Some(token(ctx, req, tenant, false)),
        [tenant, "oauth2", "v2.0", "devicecode"] => {
            Some(devicecode_endpoint(ctx, req, tenant, true))
        }
        [tenant, "oauth2", "devicecode"] => Some(devicecode_endpoint(ctx, req, tenant, false)),
        [tenant, "oauth2", "v2.0", "authorize"] => Some(authorize_endpoint(ctx, req, tenant, true)),
        [tenant, "oauth2", "authorize"] => Some(authorize_endpoint(ctx, req, tenant, false)),
        ["devicelogin"] => Some(devicelogin(ctx)),
        ["msi", "token"] => Some(managed_identity(ctx, req)),
        _ => None,
    }
}
