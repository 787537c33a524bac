//! ARM paths as the emulator understands them: `Route`, what a request path parses into
//! (case-insensitively, names keeping the request's casing), and `Kind`, the resource types
//! the providers serve.

use crate::api_versions::Family;
use crate::errors::{ArmError, ArmResult};
use crate::http::Req;

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
    pub(crate) fn from(ns: &str, ty: &str) -> Option<Kind> {
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
    pub(crate) fn family(self) -> Family {
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
