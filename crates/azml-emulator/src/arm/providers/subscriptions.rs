//! Subscription-level reads that sign-in flows make first (ARM-CONTRACT.md §6): tenants,
//! subscriptions, and the resource provider registry.

use axum::http::Method;
use serde_json::{json, Value};

use crate::api_versions::Family;
use crate::catalog::{registration_free, PROVIDERS, REGIONS};
use crate::context::Ctx;
use crate::errors::{ArmError, ArmResult};
use crate::http::{Req, Resp};
use crate::store::{RegState, Store};

fn get_only(req: &Req) -> ArmResult<()> {
    if req.method == Method::GET {
        Ok(())
    } else {
        Err(crate::arm::common::method_not_allowed(req))
    }
}

pub(crate) fn tenants(ctx: &Ctx, req: &Req) -> ArmResult<Resp> {
    get_only(req)?;
    Ok(Resp::ok(json!({"value": [{
        "id": format!("/tenants/{}", ctx.cfg.tenant_id),
        "tenantId": ctx.cfg.tenant_id,
        "tenantCategory": "Home",
        "countryCode": "US",
        "displayName": "azml emulator",
        "domains": ["azml-emulator.onmicrosoft.com"],
        "defaultDomain": "azml-emulator.onmicrosoft.com",
        "tenantType": "AAD",
    }]})))
}

fn subscription(ctx: &Ctx) -> Value {
    subscription_body(ctx, &ctx.cfg.subscription_id)
}

fn subscription_body(ctx: &Ctx, sub: &str) -> Value {
    json!({
        "id": format!("/subscriptions/{sub}"),
        "authorizationSource": "RoleBased",
        "managedByTenants": [],
        "subscriptionId": sub,
        "tenantId": ctx.cfg.tenant_id,
        "displayName": "azml emulator",
        "state": "Enabled",
        "subscriptionPolicies": {
            "locationPlacementId": "Public_2014-09-01",
            "quotaId": "PayAsYouGo_2014-09-01",
            "spendingLimit": "Off",
        },
    })
}

/// `mine`: the caller holds some role assignment within the subscription (ARM lists only
/// the subscriptions a caller has access to).
pub(crate) fn list(ctx: &Ctx, req: &Req, mine: bool) -> ArmResult<Resp> {
    get_only(req)?;
    let mut value: Vec<Value> = if mine {
        vec![subscription(ctx)]
    } else {
        Vec::new()
    };
    value.extend(
        ctx.cfg
            .extra_subscriptions
            .iter()
            .map(|s| subscription_body(ctx, s)),
    );
    Ok(Resp::ok(
        json!({"count": {"type": "Total", "value": value.len()}, "value": value}),
    ))
}

pub(crate) fn get(ctx: &Ctx, req: &Req) -> ArmResult<Resp> {
    get_only(req)?;
    Ok(Resp::ok(subscription(ctx)))
}

/// How long a registration takes under `realistic` (Azure's take a minute or so).
const REGISTER_MS: u64 = 30_000;

fn provider_body(ctx: &Ctx, st: &Store, ns: &str, types: &[(&str, Family)]) -> Value {
    let locations: Vec<&str> = REGIONS.iter().map(|(_, display)| *display).collect();
    let resource_types: Vec<Value> = types
        .iter()
        .map(|(ty, family)| {
            let mut versions: Vec<&str> = family.versions().to_vec();
            versions.reverse();
            json!({
                "resourceType": ty,
                "locations": locations,
                "apiVersions": versions,
                "defaultApiVersion": versions.iter().find(|v| !v.contains("preview")).unwrap_or(&versions[0]),
                "capabilities": "SupportsTags, SupportsLocation",
            })
        })
        .collect();
    json!({
        "id": format!("/subscriptions/{}/providers/{ns}", ctx.cfg.subscription_id),
        "namespace": ns,
        "registrationState": st.registration(ns, ctx.clock.now_ms()).as_str(),
        "registrationPolicy": if registration_free(ns) { "RegistrationFree" } else { "RegistrationRequired" },
        "resourceTypes": resource_types,
    })
}

pub(crate) fn providers(ctx: &Ctx, st: &Store, req: &Req) -> ArmResult<Resp> {
    get_only(req)?;
    let value: Vec<Value> = PROVIDERS
        .iter()
        .map(|(ns, types)| provider_body(ctx, st, ns, types))
        .collect();
    Ok(Resp::ok(json!({ "value": value })))
}

fn find(ns: &str) -> ArmResult<&'static (&'static str, &'static [(&'static str, Family)])> {
    PROVIDERS
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(ns))
        .ok_or_else(|| {
            ArmError::not_found(
                "InvalidResourceNamespace",
                format!("The resource namespace '{ns}' is invalid."),
            )
        })
}

pub(crate) fn provider(ctx: &Ctx, st: &Store, req: &Req, ns: &str) -> ArmResult<Resp> {
    get_only(req)?;
    let (n, types) = find(ns)?;
    Ok(Resp::ok(provider_body(ctx, st, n, types)))
}

/// `POST …/providers/{ns}/register` and `…/unregister`: 200 with the provider, whose state
/// moves through `Registering` (`Unregistering`) for a while under the latency profile.
pub(crate) fn register(
    ctx: &Ctx,
    st: &mut Store,
    req: &Req,
    ns: &str,
    register: bool,
) -> ArmResult<Resp> {
    if req.method != Method::POST {
        return Err(crate::arm::common::method_not_allowed(req));
    }
    let (n, types) = find(ns)?;
    let now = ctx.clock.now_ms();
    let current = st.registration(n, now);
    if registration_free(n) {
        if !register {
            return Err(ArmError::conflict(
                "Conflict",
                format!(
                    "The resource namespace '{n}' is registration-free and cannot be unregistered."
                ),
            ));
        }
    } else if register {
        if !matches!(current, RegState::Registered | RegState::Registering) {
            let until = now + ctx.op_duration_ms(REGISTER_MS);
            let state = if until <= now {
                RegState::Registered
            } else {
                RegState::Registering
            };
            st.set_registration(n, state, until);
        }
    } else if !matches!(
        current,
        RegState::Unregistered | RegState::NotRegistered | RegState::Unregistering
    ) {
        let until = now + ctx.op_duration_ms(REGISTER_MS);
        let state = if until <= now {
            RegState::Unregistered
        } else {
            RegState::Unregistering
        };
        st.set_registration(n, state, until);
    }
    Ok(Resp::ok(provider_body(ctx, st, n, types)))
}
