//! ARM routes: parsing a path into a `Route` (case-insensitively), and one module per
//! resource provider.

mod access;
mod appinsights;
mod authorization;
mod generic;
mod groups;
mod identities;
mod keyvault;
pub(crate) mod loganalytics;
pub(crate) mod network;
mod registries;
mod storage;
mod subscriptions;
mod workspaces;

use axum::http::StatusCode;
use serde_json::{json, Value};

pub(crate) use authorization::assign_role;

use crate::api_versions::Family;
use crate::catalog::{self, REGIONS};
use crate::context::Ctx;
use crate::errors::{ArmError, ArmResult};
use crate::http::{Req, Resp};
use crate::rbac;
use crate::store::Store;
use crate::tokens::Claims;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Storage,
    Vault,
    Component,
    Workspace,
    Registry,
    Identity,
    LogAnalytics,
    VirtualNetwork,
    PrivateEndpoint,
}

impl Kind {
    /// Every tracked type, for the generic `…/resources` list.
    pub(crate) const ALL: [Kind; 9] = [
        Kind::Storage,
        Kind::Vault,
        Kind::Component,
        Kind::Workspace,
        Kind::Registry,
        Kind::Identity,
        Kind::LogAnalytics,
        Kind::VirtualNetwork,
        Kind::PrivateEndpoint,
    ];
    fn from(ns: &str, ty: &str) -> Option<Kind> {
        match (
            ns.to_ascii_lowercase().as_str(),
            ty.to_ascii_lowercase().as_str(),
        ) {
            ("microsoft.storage", "storageaccounts") => Some(Kind::Storage),
            ("microsoft.keyvault", "vaults") => Some(Kind::Vault),
            ("microsoft.insights", "components") => Some(Kind::Component),
            ("microsoft.machinelearningservices", "workspaces") => Some(Kind::Workspace),
            ("microsoft.containerregistry", "registries") => Some(Kind::Registry),
            ("microsoft.managedidentity", "userassignedidentities") => Some(Kind::Identity),
            ("microsoft.operationalinsights", "workspaces") => Some(Kind::LogAnalytics),
            ("microsoft.network", "virtualnetworks") => Some(Kind::VirtualNetwork),
            ("microsoft.network", "privateendpoints") => Some(Kind::PrivateEndpoint),
            _ => None,
        }
    }
    fn family(self) -> Family {
        match self {
            Kind::Storage => Family::Storage,
            Kind::Vault => Family::KeyVault,
            Kind::Component => Family::AppInsights,
            Kind::Workspace => Family::Workspaces,
            Kind::Registry => Family::ContainerRegistry,
            Kind::Identity => Family::ManagedIdentity,
            Kind::LogAnalytics => Family::LogAnalytics,
            Kind::VirtualNetwork | Kind::PrivateEndpoint => Family::Network,
        }
    }
    /// `Namespace/type` with ARM's canonical casing.
    pub(crate) fn ns_type(self) -> &'static str {
        match self {
            Kind::Storage => "Microsoft.Storage/storageAccounts",
            Kind::Vault => "Microsoft.KeyVault/vaults",
            Kind::Component => "Microsoft.Insights/components",
            Kind::Workspace => "Microsoft.MachineLearningServices/workspaces",
            Kind::Registry => "Microsoft.ContainerRegistry/registries",
            Kind::Identity => "Microsoft.ManagedIdentity/userAssignedIdentities",
            Kind::LogAnalytics => "Microsoft.OperationalInsights/workspaces",
            Kind::VirtualNetwork => "Microsoft.Network/virtualNetworks",
            Kind::PrivateEndpoint => "Microsoft.Network/privateEndpoints",
        }
    }
}

/// A parsed ARM path. Names keep the casing of the request.
#[derive(Debug)]
pub(crate) enum Route {
    Tenants,
    Subscriptions,
    Subscription {
        sub: String,
    },
    Providers {
        sub: String,
    },
    Provider {
        sub: String,
        ns: String,
    },
    /// `POST …/providers/{ns}/register` (or `unregister`).
    ProviderAction {
        sub: String,
        ns: String,
        register: bool,
    },
    Groups {
        sub: String,
    },
    Group {
        sub: String,
        rg: String,
    },
    OperationResult {
        sub: String,
        token: String,
    },
    List {
        sub: String,
        rg: Option<String>,
        kind: Kind,
    },
    Resource {
        sub: String,
        rg: String,
        kind: Kind,
        name: String,
        action: Option<String>,
    },
    /// `Location` of a storage account being created.
    StorageOpStatus {
        sub: String,
        id: String,
    },
    /// `GET /subscriptions/{sub}[/resourceGroups/{rg}]/resources`: every type at once.
    GenericResources {
        sub: String,
        rg: Option<String>,
    },
    /// `{resource}/{child type}/{child}`: a subnet, a workspace's endpoint connection.
    Child {
        sub: String,
        rg: String,
        kind: Kind,
        name: String,
        child_type: String,
        child: String,
    },
    WorkspaceOpStatus {
        sub: String,
        id: String,
    },
    /// `…/providers/Microsoft.Network/locations/{loc}/operations|operationResults/{id}`.
    NetworkOp {
        sub: String,
        id: String,
        result: bool,
    },
    CheckName {
        sub: String,
        kind: Kind,
    },
    DeletedVaults {
        sub: String,
    },
    DeletedVault {
        sub: String,
        name: String,
        purge: bool,
    },
    RoleDefinitions {
        sub: String,
        scope: String,
        name: Option<String>,
    },
    RoleAssignments {
        sub: String,
        scope: String,
        name: Option<String>,
    },
}

impl Route {
    pub(crate) fn family(&self) -> Family {
        match self {
            Route::Tenants | Route::Subscriptions | Route::Subscription { .. } => {
                Family::Subscriptions
            }
            Route::Providers { .. }
            | Route::Provider { .. }
            | Route::ProviderAction { .. }
            | Route::Groups { .. }
            | Route::Group { .. }
            | Route::OperationResult { .. }
            | Route::GenericResources { .. } => Family::Resources,
            Route::List { kind, .. }
            | Route::Resource { kind, .. }
            | Route::Child { kind, .. }
            | Route::CheckName { kind, .. } => kind.family(),
            Route::WorkspaceOpStatus { .. } => Family::Workspaces,
            Route::StorageOpStatus { .. } => Family::Storage,
            Route::NetworkOp { .. } => Family::Network,
            Route::DeletedVaults { .. } | Route::DeletedVault { .. } => Family::KeyVault,
            Route::RoleDefinitions { .. } | Route::RoleAssignments { .. } => Family::Authorization,
        }
    }
    pub(crate) fn subscription(&self) -> Option<&str> {
        match self {
            Route::Tenants | Route::Subscriptions => None,
            Route::Subscription { sub }
            | Route::Providers { sub }
            | Route::Provider { sub, .. }
            | Route::ProviderAction { sub, .. }
            | Route::Groups { sub }
            | Route::Group { sub, .. }
            | Route::OperationResult { sub, .. }
            | Route::List { sub, .. }
            | Route::Resource { sub, .. }
            | Route::Child { sub, .. }
            | Route::WorkspaceOpStatus { sub, .. }
            | Route::StorageOpStatus { sub, .. }
            | Route::GenericResources { sub, .. }
            | Route::NetworkOp { sub, .. }
            | Route::CheckName { sub, .. }
            | Route::DeletedVaults { sub }
            | Route::DeletedVault { sub, .. }
            | Route::RoleDefinitions { sub, .. }
            | Route::RoleAssignments { sub, .. } => Some(sub),
        }
    }
}

fn unknown_type(ns: &str, ty: &str, req: &Req) -> ArmError {
    ArmError::not_found(
        "InvalidResourceType",
        format!(
            "The resource type '{ty}' could not be found in the namespace '{ns}' for api version \
             '{}'.",
            req.api_version()
        ),
    )
}

fn no_route(req: &Req) -> ArmError {
    ArmError::not_found(
        "NotFound",
        format!(
            "No HTTP resource was found that matches the request URI '{}'.",
            req.path
        ),
    )
}

pub(crate) fn parse(req: &Req) -> ArmResult<Route> {
    let s: Vec<&str> = req.segs.iter().map(String::as_str).collect();
    let lower: Vec<String> = s.iter().map(|x| x.to_ascii_lowercase()).collect();
    let l: Vec<&str> = lower.iter().map(String::as_str).collect();
    let own = |i: usize| s[i].to_string();
    // `{scope}/providers/Microsoft.Authorization/role…[/{name}]`, at any scope.
    if let Some(i) = l.iter().rposition(|x| *x == "microsoft.authorization") {
        if i >= 3 && l[i - 1] == "providers" && l[0] == "subscriptions" && l.len() <= i + 3 {
            let name = s.get(i + 2).map(|n| n.to_string());
            let scope = format!("/{}", s[..i - 1].join("/"));
            match l.get(i + 1) {
                Some(&"roleassignments") => {
                    return Ok(Route::RoleAssignments {
                        sub: own(1),
                        scope,
                        name,
                    })
                }
                Some(&"roledefinitions") => {
                    return Ok(Route::RoleDefinitions {
                        sub: own(1),
                        scope,
                        name,
                    })
                }
                _ => {}
            }
        }
    }
    let route = match l.as_slice() {
        ["tenants"] => Route::Tenants,
        ["subscriptions"] => Route::Subscriptions,
        ["subscriptions", _] => Route::Subscription { sub: own(1) },
        ["subscriptions", _, "providers"] => Route::Providers { sub: own(1) },
        ["subscriptions", _, "providers", _] => Route::Provider {
            sub: own(1),
            ns: own(3),
        },
        ["subscriptions", _, "providers", _, action @ ("register" | "unregister")] => {
            Route::ProviderAction {
                sub: own(1),
                ns: own(3),
                register: *action == "register",
            }
        }
        ["subscriptions", _, "resourcegroups"] => Route::Groups { sub: own(1) },
        ["subscriptions", _, "resourcegroups", _] => Route::Group {
            sub: own(1),
            rg: own(3),
        },
        ["subscriptions", _, "resources"] => Route::GenericResources {
            sub: own(1),
            rg: None,
        },
        ["subscriptions", _, "resourcegroups", _, "resources"] => Route::GenericResources {
            sub: own(1),
            rg: Some(own(3)),
        },
        ["subscriptions", _, "operationresults", _] => Route::OperationResult {
            sub: own(1),
            token: own(3),
        },
        ["subscriptions", _, "providers", "microsoft.machinelearningservices", "locations", _, "workspaceoperationsstatus", _] => {
            Route::WorkspaceOpStatus {
                sub: own(1),
                id: own(7),
            }
        }
        ["subscriptions", _, "providers", "microsoft.storage", "locations", _, "asyncoperations", _] => {
            Route::StorageOpStatus {
                sub: own(1),
                id: own(7),
            }
        }
        ["subscriptions", _, "providers", "microsoft.network", "locations", _, what @ ("operations" | "operationresults"), _] => {
            Route::NetworkOp {
                sub: own(1),
                id: own(7),
                result: *what == "operationresults",
            }
        }
        ["subscriptions", _, "providers", "microsoft.storage", "checknameavailability"] => {
            Route::CheckName {
                sub: own(1),
                kind: Kind::Storage,
            }
        }
        ["subscriptions", _, "providers", "microsoft.keyvault", "checknameavailability"] => {
            Route::CheckName {
                sub: own(1),
                kind: Kind::Vault,
            }
        }
        ["subscriptions", _, "providers", "microsoft.keyvault", "deletedvaults"] => {
            Route::DeletedVaults { sub: own(1) }
        }
        ["subscriptions", _, "providers", "microsoft.keyvault", "locations", _, "deletedvaults", _] => {
            Route::DeletedVault {
                sub: own(1),
                name: own(7),
                purge: false,
            }
        }
        ["subscriptions", _, "providers", "microsoft.keyvault", "locations", _, "deletedvaults", _, "purge"] => {
            Route::DeletedVault {
                sub: own(1),
                name: own(7),
                purge: true,
            }
        }
        ["subscriptions", _, "providers", ns, ty] => match Kind::from(ns, ty) {
            Some(kind) => Route::List {
                sub: own(1),
                rg: None,
                kind,
            },
            None => return Err(unknown_type(s[3], s[4], req)),
        },
        ["subscriptions", _, "resourcegroups", _, "providers", ns, ty] => {
            match Kind::from(ns, ty) {
                Some(kind) => Route::List {
                    sub: own(1),
                    rg: Some(own(3)),
                    kind,
                },
                None => return Err(unknown_type(s[5], s[6], req)),
            }
        }
        ["subscriptions", _, "resourcegroups", _, "providers", ns, ty, _] => {
            match Kind::from(ns, ty) {
                Some(kind) => Route::Resource {
                    sub: own(1),
                    rg: own(3),
                    kind,
                    name: own(7),
                    action: None,
                },
                None => return Err(unknown_type(s[5], s[6], req)),
            }
        }
        ["subscriptions", _, "resourcegroups", _, "providers", ns, ty, _, action] => {
            match Kind::from(ns, ty) {
                Some(kind) => Route::Resource {
                    sub: own(1),
                    rg: own(3),
                    kind,
                    name: own(7),
                    action: Some(action.to_string()),
                },
                None => return Err(unknown_type(s[5], s[6], req)),
            }
        }
        ["subscriptions", _, "resourcegroups", _, "providers", ns, ty, _, child_type, _] => {
            match Kind::from(ns, ty) {
                Some(kind) => Route::Child {
                    sub: own(1),
                    rg: own(3),
                    kind,
                    name: own(7),
                    child_type: child_type.to_string(),
                    child: own(9),
                },
                None => return Err(unknown_type(s[5], s[6], req)),
            }
        }
        _ => return Err(no_route(req)),
    };
    Ok(route)
}

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

pub(crate) fn method_not_allowed(req: &Req) -> ArmError {
    ArmError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "MethodNotAllowed",
        format!(
            "The requested resource does not support http method '{}'.",
            req.method
        ),
    )
}

pub(crate) fn only_get(req: &Req) -> ArmResult<()> {
    if req.method == axum::http::Method::GET {
        Ok(())
    } else {
        Err(method_not_allowed(req))
    }
}

/// The group a resource lives in: it must exist.
pub(crate) fn existing_group<'a>(st: &'a Store, rg: &str) -> ArmResult<&'a crate::store::Group> {
    st.groups
        .get(&rg.to_lowercase())
        .ok_or_else(|| ArmError::group_not_found(rg))
}

/// The group a resource is written into: it must exist and not be being deleted.
pub(crate) fn writable_group<'a>(st: &'a Store, rg: &str) -> ArmResult<&'a crate::store::Group> {
    let group = existing_group(st, rg)?;
    if group.deleting.is_some() {
        return Err(ArmError::group_being_deleted(&group.name));
    }
    Ok(group)
}

/// GET and DELETE of a resource kept as a plain [`Tracked`] entry keyed `rg/name`.
pub(crate) fn tracked_read_delete(
    map: &mut indexmap::IndexMap<String, crate::store::Tracked>,
    req: &Req,
    rg: &str,
    name: &str,
    kind: Kind,
) -> ArmResult<Resp> {
    let key = crate::store::child_key(rg, name);
    if req.method == axum::http::Method::DELETE {
        return Ok(match map.shift_remove(&key) {
            Some(_) => Resp::empty(axum::http::StatusCode::OK),
            None => Resp::empty(axum::http::StatusCode::NO_CONTENT),
        });
    }
    map.get(&key)
        .map(|t| Resp::ok(t.body.clone()))
        .ok_or_else(|| ArmError::resource_not_found(kind.ns_type(), name, rg))
}

/// The bodies of plain [`Tracked`] entries, in group `rg` if given.
pub(crate) fn tracked_list(
    map: &indexmap::IndexMap<String, crate::store::Tracked>,
    rg: Option<&str>,
) -> Vec<Value> {
    let rg = rg.map(str::to_lowercase);
    map.values()
        .filter(|t| rg.as_ref().is_none_or(|rg| &t.rg == rg))
        .map(|t| t.body.clone())
        .collect()
}

/// Every resource of `kind` (in group `rg` if given), as its own GET serves it.
pub(crate) fn items_of(ctx: &Ctx, st: &Store, kind: Kind, rg: Option<&str>) -> Vec<Value> {
    match kind {
        Kind::Storage => storage::list(ctx, st, rg),
        Kind::Vault => keyvault::list(ctx, st, rg),
        Kind::Component => appinsights::list(st, rg),
        Kind::Workspace => workspaces::list(st, rg),
        Kind::Registry => registries::list(st, rg),
        Kind::Identity => identities::list(st, rg),
        Kind::LogAnalytics => loganalytics::list(st, rg),
        Kind::VirtualNetwork => network::list_vnets(st, rg),
        Kind::PrivateEndpoint => network::list_endpoints(st, rg),
    }
}

/// One page of `items`, with a `nextLink` that repeats the request's query and carries the
/// position in `param` (`$skiptoken` for ARM's own lists, `$skip` for ML workspaces).
pub(crate) fn paged(ctx: &Ctx, req: &Req, items: Vec<Value>, param: &str) -> ArmResult<Resp> {
    let start = match req.q(param) {
        None => 0,
        Some(token) => token.parse::<usize>().map_err(|_| {
            ArmError::bad_request(
                "InvalidSkipToken",
                format!("The value '{token}' of '{param}' is not a valid continuation token."),
            )
        })?,
    };
    let mut size = ctx.cfg.page_size;
    if let Some(top) = req.q("$top") {
        let top: usize = top.parse().map_err(|_| {
            ArmError::bad_request(
                "InvalidTopValue",
                format!("The value '{top}' of '$top' is not a valid positive integer."),
            )
        })?;
        if top > 0 {
            size = size.min(top);
        }
    }
    let end = (start + size).min(items.len());
    let page: Vec<Value> = items
        .get(start..end)
        .map(<[Value]>::to_vec)
        .unwrap_or_default();
    let mut body = json!({ "value": page });
    if end < items.len() {
        let mut next = url::Url::parse(&format!("{}{}", ctx.url, req.path))
            .map_err(|e| ArmError::bad_request("InvalidRequestUri", e.to_string()))?;
        {
            let mut pairs = next.query_pairs_mut();
            for (k, v) in &req.query {
                if !k.eq_ignore_ascii_case(param) {
                    pairs.append_pair(k, v);
                }
            }
            pairs.append_pair(param, &end.to_string());
        }
        body["nextLink"] = json!(next.to_string());
    }
    Ok(Resp::ok(body))
}

pub(crate) fn resource_id(ctx: &Ctx, rg: &str, kind: Kind, name: &str) -> String {
    format!(
        "/subscriptions/{}/resourceGroups/{rg}/providers/{}/{name}",
        ctx.cfg.subscription_id,
        kind.ns_type()
    )
}

/// The `location` of a request body: required, and a region ARM knows.
/// What every resource PUT reads before its own rules: the group it goes into (which
/// must exist and not be being deleted), the body, its location and its tags.
pub(crate) struct PutBody {
    pub group_name: String,
    pub body: Value,
    pub location: String,
    pub tags: Option<Value>,
}

pub(crate) fn put_body(st: &Store, req: &Req, rg: &str) -> ArmResult<PutBody> {
    let group_name = writable_group(st, rg)?.name.clone();
    let body = req.json()?;
    let location = body_location(&body)?;
    let tags = tags_of(&body)?;
    Ok(PutBody {
        group_name,
        body,
        location,
        tags,
    })
}

pub(crate) fn body_location(body: &Value) -> ArmResult<String> {
    let Some(loc) = body
        .get("location")
        .and_then(Value::as_str)
        .filter(|l| !l.trim().is_empty())
    else {
        return Err(ArmError::bad_request(
            "LocationRequired",
            "The location property is required for this definition.",
        ));
    };
    let norm = crate::names::normalize_location(loc);
    if !REGIONS.iter().any(|(name, _)| *name == norm) {
        return Err(ArmError::bad_request(
            "LocationNotAvailableForResourceType",
            format!(
                "The provided location '{loc}' is not available for resource type. List of \
                 available regions is '{}'.",
                REGIONS
                    .iter()
                    .map(|(n, _)| *n)
                    .collect::<Vec<_>>()
                    .join(",")
            ),
        ));
    }
    Ok(norm)
}

pub(crate) fn tags_of(body: &Value) -> ArmResult<Option<Value>> {
    match body.get("tags") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(map)) => {
            if map.len() > 50 {
                return Err(ArmError::bad_request(
                    "InvalidTag",
                    "The number of tags exceeds the limit of 50.",
                ));
            }
            for (k, v) in map {
                if !v.is_string() {
                    return Err(ArmError::bad_request(
                        "InvalidTag",
                        format!("The value of tag '{k}' must be a string."),
                    ));
                }
            }
            Ok(Some(Value::Object(map.clone())))
        }
        Some(_) => Err(ArmError::invalid_content("'tags' must be an object")),
    }
}
