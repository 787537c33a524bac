//! From a parsed route to the provider that answers it: Azure RBAC and the provider's
//! registration are checked first (as ARM does before forwarding), then the handler runs
//! under the store's lock. Also the registration changes made outside ARM.

use crate::arm::access;
use crate::arm::common::{existing_group, only_get, paged};
use crate::arm::inventory::items_of;
use crate::arm::providers::{
    appinsights, authorization, generic, groups, identities, keyvault, loganalytics, network,
    registries, storage, subscriptions, workspaces,
};
use crate::arm::rbac;
use crate::arm::routes::{Kind, Route};
use crate::catalog;
use crate::context::Ctx;
use crate::errors::{ArmError, ArmResult};
use crate::http::{Req, Resp};
use crate::store::Store;
use crate::tokens::Claims;

pub(crate) fn handle(ctx: &Ctx, req: &Req, claims: &Claims, route: Route) -> ArmResult<Resp> {
    let mut st = ctx.store();
    let st: &mut Store = &mut st;
    // ARM authorizes first, then looks at the provider's registration, then forwards.
    let visible = authorize(st, req, claims, &route)?;
    if let Some(ns) = access::namespace(&route) {
        let state = st.registration(ns, ctx.clock.now_ms());
        if state != crate::store::RegState::Registered {
            return Err(ArmError::missing_registration(ns));
        }
    }
    let visible = |id: &str| {
        visible
            .as_ref()
            .is_none_or(|scopes| scopes.iter().any(|s| rbac::covers(s, id)))
    };
    if !matches!(
        req.method,
        axum::http::Method::GET | axum::http::Method::HEAD
    ) {
        st.dirty = true;
    }
    match route {
        Route::Tenants => subscriptions::tenants(ctx, req),
        Route::Subscriptions => {
            let mine = rbac::has_any_assignment_within(
                st,
                &claims.oid,
                &format!("/subscriptions/{}", ctx.cfg.subscription_id),
            );
            subscriptions::list(ctx, req, mine)
        }
        Route::Subscription { .. } => subscriptions::get(ctx, req),
        Route::Providers { .. } => subscriptions::providers(ctx, st, req),
        Route::Provider { ns, .. } => subscriptions::provider(ctx, st, req, &ns),
        Route::ProviderAction { ns, register, .. } => {
            subscriptions::register(ctx, st, req, &ns, register)
        }
        Route::Groups { .. } => groups::list(ctx, st, req, &visible),
        Route::Group { rg, .. } => groups::handle(ctx, st, req, &rg),
        Route::OperationResult { token, .. } => groups::operation_result(ctx, st, req, &token),
        Route::List { rg, kind, .. } => {
            only_get(req)?;
            if let Some(rg) = &rg {
                existing_group(st, rg)?;
            }
            let items = items_of(ctx, st, kind, rg.as_deref())
                .into_iter()
                .filter(|v| visible(v["id"].as_str().unwrap_or_default()))
                .collect();
            let param = if kind == Kind::Workspace {
                "$skip"
            } else {
                "$skiptoken"
            };
            paged(ctx, req, items, param)
        }
        Route::Resource {
            rg,
            kind,
            name,
            action,
            ..
        } => match kind {
            Kind::Storage => storage::handle(ctx, st, req, &rg, &name, action.as_deref()),
            Kind::Vault => keyvault::handle(ctx, st, req, claims, &rg, &name, action.as_deref()),
            Kind::Component => appinsights::handle(ctx, st, req, &rg, &name, action.as_deref()),
            Kind::Workspace => match action.as_deref().map(str::to_ascii_lowercase).as_deref() {
                Some("privateendpointconnections") => {
                    network::list_connections(st, req, &rg, &name)
                }
                Some("privatelinkresources") => {
                    network::private_link_resources(st, req, &rg, &name)
                }
                _ => workspaces::handle(ctx, st, req, claims, &rg, &name, action.as_deref()),
            },
            Kind::Registry => {
                registries::handle(ctx, st, req, claims, &rg, &name, action.as_deref())
            }
            Kind::Identity => identities::handle(ctx, st, req, &rg, &name, action.as_deref()),
            Kind::LogAnalytics => loganalytics::handle(ctx, st, req, &rg, &name, action.as_deref()),
            Kind::VirtualNetwork => network::vnet(ctx, st, req, &rg, &name, action.as_deref()),
            Kind::PrivateEndpoint => network::endpoint(ctx, st, req, &rg, &name, action.as_deref()),
        },
        Route::Child {
            rg,
            kind,
            name,
            child_type,
            child,
            ..
        } => match (kind, child_type.to_ascii_lowercase().as_str()) {
            (Kind::VirtualNetwork, "subnets") => network::subnet(ctx, st, req, &rg, &name, &child),
            (Kind::Workspace, "privateendpointconnections") => {
                network::connection(st, req, &rg, &name, &child)
            }
            _ => Err(ArmError::not_found(
                "InvalidResourceType",
                format!(
                    "The resource type '{}/{child_type}' could not be found in the namespace \
                     '{}' for api version '{}'.",
                    kind.ns_type().split('/').nth(1).unwrap_or_default(),
                    kind.ns_type().split('/').next().unwrap_or_default(),
                    req.api_version()
                ),
            )),
        },
        Route::NetworkOp { id, result, .. } => network::operation(ctx, st, req, &id, result),
        Route::WorkspaceOpStatus { id, .. } => workspaces::operation_status(ctx, st, req, &id),
        Route::GenericResources { rg, .. } => {
            only_get(req)?;
            if let Some(rg) = &rg {
                existing_group(st, rg)?;
            }
            generic::list(ctx, st, req, rg.as_deref(), &visible)
        }
        Route::StorageOpStatus { id, .. } => storage::operation_status(ctx, st, req, &id),
        Route::CheckName { kind, .. } => match kind {
            Kind::Storage => storage::check_name(st, req),
            _ => keyvault::check_name(st, req),
        },
        Route::DeletedVaults { .. } => {
            only_get(req)?;
            let items = st.deleted_vaults.values().cloned().collect();
            paged(ctx, req, items, "$skiptoken")
        }
        Route::DeletedVault { name, purge, .. } => keyvault::deleted(ctx, st, req, &name, purge),
        Route::RoleDefinitions { name, .. } => {
            authorization::definitions(ctx, req, name.as_deref())
        }
        Route::RoleAssignments { scope, name, .. } => {
            authorization::assignments(ctx, st, req, claims, &scope, name.as_deref())
        }
    }
}

/// Azure RBAC for this request. `Ok(None)`: allowed outright; `Ok(Some(scopes))`: a list
/// the caller may only see the items under `scopes` of; `Err`: 403 `AuthorizationFailed`.
fn authorize(
    st: &Store,
    req: &Req,
    claims: &Claims,
    route: &Route,
) -> ArmResult<Option<Vec<String>>> {
    match access::need(req, route) {
        access::Need::Nothing => Ok(None),
        access::Need::InSubscription { action } => {
            let sub = format!(
                "/subscriptions/{}",
                route.subscription().unwrap_or_default()
            );
            if rbac::has_any_assignment_within(st, &claims.oid, &sub) {
                Ok(None)
            } else {
                Err(rbac::authorization_failed(&claims.oid, &action, &sub))
            }
        }
        access::Need::Action {
            action,
            scope,
            list,
        } => {
            let grants = rbac::granting_scopes(st, &claims.oid, &action);
            if grants.iter().any(|g| rbac::covers(g, &scope)) {
                let refused: Vec<(&str, String)> = access::linked(req, route)
                    .into_iter()
                    .filter(|(linked_action, linked_scope)| {
                        !rbac::granting_scopes(st, &claims.oid, linked_action)
                            .iter()
                            .any(|g| rbac::covers(g, linked_scope))
                    })
                    .collect();
                if !refused.is_empty() {
                    return Err(rbac::linked_authorization_failed(
                        &claims.oid,
                        &action,
                        &scope,
                        &refused,
                    ));
                }
                return Ok(None);
            }
            let below: Vec<String> = grants
                .into_iter()
                .filter(|g| rbac::covers(&scope, g))
                .collect();
            if list && !below.is_empty() {
                Ok(Some(below))
            } else {
                Err(rbac::authorization_failed(&claims.oid, &action, &scope))
            }
        }
    }
}

/// Sets a namespace's registration at once, outside ARM (admin API, `Emulator`); returns
/// its canonical spelling.
pub(crate) fn set_registered(
    ctx: &Ctx,
    ns: &str,
    registered: bool,
) -> Result<&'static str, String> {
    let canonical = catalog::known_namespace(ns)
        .ok_or_else(|| format!("unknown resource provider namespace '{ns}'"))?;
    if !registered && catalog::registration_free(canonical) {
        return Err(format!("'{canonical}' is always registered"));
    }
    let state = if registered {
        crate::store::RegState::Registered
    } else {
        crate::store::RegState::NotRegistered
    };
    ctx.store().set_registration(canonical, state, 0);
    ctx.persist();
    Ok(canonical)
}

/// `(namespace, registrationState)` of every namespace the emulator serves.
pub(crate) fn registrations(ctx: &Ctx) -> Vec<(&'static str, &'static str)> {
    let st = ctx.store();
    let now = ctx.clock.now_ms();
    catalog::namespaces()
        .map(|ns| (ns, st.registration(ns, now).as_str()))
        .collect()
}
