//! Subscription-level reads that sign-in flows make first (ARM-CONTRACT.md §6): tenants,
//! subscriptions, and the resource provider registry.

use axum::http::Method;
use serde_json::{json, Value};

use super::REGIONS;
use crate::emulator::api_versions::Family;
use crate::emulator::errors::{ArmError, ArmResult};
use crate::emulator::http::{Req, Resp};
use crate::emulator::server::Ctx;

fn get_only(req: &Req) -> ArmResult<()> {
    if req.method == Method::GET {
        Ok(())
    } else {
        Err(super::method_not_allowed(req))
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

pub(crate) fn list(ctx: &Ctx, req: &Req) -> ArmResult<Resp> {
    get_only(req)?;
    let mut value = vec![subscription(ctx)];
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

/// (namespace, [(type, family)]) of the providers the emulator implements.
const PROVIDERS: &[(&str, &[(&str, Family)])] = &[
    (
        "Microsoft.MachineLearningServices",
        &[
            ("workspaces", Family::Workspaces),
            ("locations/workspaceOperationsStatus", Family::Workspaces),
        ],
    ),
    (
        "Microsoft.Storage",
        &[
            ("storageAccounts", Family::Storage),
            ("checkNameAvailability", Family::Storage),
        ],
    ),
    (
        "Microsoft.KeyVault",
        &[
            ("vaults", Family::KeyVault),
            ("deletedVaults", Family::KeyVault),
        ],
    ),
    ("Microsoft.Insights", &[("components", Family::AppInsights)]),
    (
        "Microsoft.ContainerRegistry",
        &[("registries", Family::ContainerRegistry)],
    ),
    (
        "Microsoft.ManagedIdentity",
        &[("userAssignedIdentities", Family::ManagedIdentity)],
    ),
    (
        "Microsoft.Network",
        &[
            ("virtualNetworks", Family::Network),
            ("virtualNetworks/subnets", Family::Network),
            ("privateEndpoints", Family::Network),
            ("locations/operations", Family::Network),
            ("locations/operationResults", Family::Network),
        ],
    ),
    (
        "Microsoft.Authorization",
        &[
            ("roleAssignments", Family::Authorization),
            ("roleDefinitions", Family::Authorization),
        ],
    ),
    (
        "Microsoft.Resources",
        &[
            ("resourceGroups", Family::Resources),
            ("subscriptions", Family::Subscriptions),
        ],
    ),
];

fn provider_body(ctx: &Ctx, ns: &str, types: &[(&str, Family)]) -> Value {
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
        "registrationState": "Registered",
        "registrationPolicy": "RegistrationRequired",
        "resourceTypes": resource_types,
    })
}

pub(crate) fn providers(ctx: &Ctx, req: &Req) -> ArmResult<Resp> {
    get_only(req)?;
    let value: Vec<Value> = PROVIDERS
        .iter()
        .map(|(ns, types)| provider_body(ctx, ns, types))
        .collect();
    Ok(Resp::ok(json!({ "value": value })))
}

pub(crate) fn provider(ctx: &Ctx, req: &Req, ns: &str) -> ArmResult<Resp> {
    get_only(req)?;
    PROVIDERS
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(ns))
        .map(|(n, types)| Resp::ok(provider_body(ctx, n, types)))
        .ok_or_else(|| {
            ArmError::not_found(
                "InvalidResourceNamespace",
                format!("The resource namespace '{ns}' is invalid."),
            )
        })
}
