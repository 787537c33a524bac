//! What each ARM request asks of Azure RBAC (the action and the scope ARM checks), and
//! which resource-provider namespace it needs registered.

use axum::http::Method;

use crate::arm::routes::{Kind, Route};
use crate::http::Req;

/// The check a request goes through before its handler runs.
pub(crate) enum Need {
    /// Nothing beyond authentication: the tenant list, and the status of a long-running
    /// operation (its URL was handed out by a request that passed its own check).
    Nothing,
    /// Subscription reads: the caller must hold some assignment within the subscription;
    /// otherwise `action` is refused over the subscription.
    InSubscription { action: String },
    /// `action` over `scope`. A `list` with no grant at `scope` itself still answers when
    /// the caller may read some of the items below it: it then sees those only (what ARM
    /// does for resource-group and resource lists).
    Action {
        action: String,
        scope: String,
        list: bool,
    },
}

fn verb(method: &Method) -> &'static str {
    match *method {
        Method::GET | Method::HEAD => "read",
        Method::DELETE => "delete",
        Method::POST => "action",
        _ => "write",
    }
}

/// `/seg/seg/…` of the first `n` path segments (decoded, casing as sent).
fn prefix(req: &Req, n: usize) -> String {
    format!("/{}", req.segs[..n.min(req.segs.len())].join("/"))
}

pub(crate) fn need(req: &Req, route: &Route) -> Need {
    let sub_scope = |sub: &str| format!("/subscriptions/{sub}");
    let action = |a: String, scope: String| Need::Action {
        action: a,
        scope,
        list: false,
    };
    match route {
        Route::Tenants
        | Route::Subscriptions
        | Route::OperationResult { .. }
        | Route::WorkspaceOpStatus { .. }
        | Route::StorageOpStatus { .. }
        | Route::NetworkOp { .. } => Need::Nothing,
        Route::GenericResources { sub, rg } => Need::Action {
            action: match rg {
                Some(_) => "Microsoft.Resources/subscriptions/resourceGroups/resources/read",
                None => "Microsoft.Resources/subscriptions/resources/read",
            }
            .into(),
            scope: match rg {
                Some(_) => prefix(req, 4),
                None => sub_scope(sub),
            },
            list: true,
        },
        Route::Child { kind, .. } => {
            // The child type as sent (`subnets`, `privateEndpointConnections`).
            let child_type = req.segs.get(8).map(String::as_str).unwrap_or_default();
            let v = match verb(&req.method) {
                "action" => "write",
                v => v,
            };
            action(
                format!("{}/{child_type}/{v}", kind.ns_type()),
                prefix(req, 10),
            )
        }
        Route::Subscription { .. } => Need::InSubscription {
            action: "Microsoft.Resources/subscriptions/read".into(),
        },
        Route::Providers { .. } | Route::Provider { .. } => Need::InSubscription {
            action: "Microsoft.Resources/subscriptions/providers/read".into(),
        },
        Route::ProviderAction { sub, ns, register } => action(
            format!(
                "{ns}/{}/action",
                if *register { "register" } else { "unregister" }
            ),
            sub_scope(sub),
        ),
        Route::Groups { sub } => Need::Action {
            action: "Microsoft.Resources/subscriptions/resourcegroups/read".into(),
            scope: sub_scope(sub),
            list: true,
        },
        Route::Group { .. } => action(
            format!(
                "Microsoft.Resources/subscriptions/resourcegroups/{}",
                match verb(&req.method) {
                    "action" => "write",
                    v => v,
                }
            ),
            prefix(req, 4),
        ),
        Route::List { sub, rg, kind } => Need::Action {
            action: format!("{}/read", kind.ns_type()),
            scope: match rg {
                Some(rg) => format!("/subscriptions/{sub}/resourceGroups/{rg}"),
                None => sub_scope(sub),
            },
            list: true,
        },
        Route::Resource {
            kind, action: op, ..
        } => {
            // The route keeps the operation lower-cased; ARM echoes it as sent.
            let a = match op.as_ref().map(|op| req.segs.get(8).unwrap_or(op)) {
                None => format!("{}/{}", kind.ns_type(), verb(&req.method)),
                Some(op) => format!("{}/{op}/{}", kind.ns_type(), verb(&req.method)),
            };
            action(a, prefix(req, 8))
        }
        Route::CheckName { sub, kind } => action(
            format!("{}/checkNameAvailability/read", namespace_of(*kind)),
            sub_scope(sub),
        ),
        Route::DeletedVaults { sub } => action(
            "Microsoft.KeyVault/deletedVaults/read".into(),
            sub_scope(sub),
        ),
        Route::DeletedVault { purge, .. } => action(
            if *purge {
                "Microsoft.KeyVault/locations/deletedVaults/purge/action".into()
            } else {
                "Microsoft.KeyVault/locations/deletedVaults/read".into()
            },
            prefix(req, 8),
        ),
        Route::RoleDefinitions { scope, .. } => action(
            "Microsoft.Authorization/roleDefinitions/read".into(),
            scope.clone(),
        ),
        Route::RoleAssignments { scope, name, .. } => match name {
            // ARM names the assignment itself as the scope of a refused write.
            Some(_) => action(
                format!(
                    "Microsoft.Authorization/roleAssignments/{}",
                    verb(&req.method)
                ),
                format!("/{}", req.segs.join("/")),
            ),
            None => action(
                "Microsoft.Authorization/roleAssignments/read".into(),
                scope.clone(),
            ),
        },
    }
}

/// The linked access checks ARM runs once the request's own check passed: a write that
/// names another resource in a way that uses it needs a permission on that resource too.
/// Those ARM enforces for every provider, and which azml's requests meet: attaching a
/// user-assigned identity (`…/userAssignedIdentities/assign/action`, the Managed Identity
/// Operator's grant) and placing a private endpoint in a subnet (`…/subnets/join/action`).
/// Pairs of (action, linked scope as written in the body).
pub(crate) fn linked(req: &Req, route: &Route) -> Vec<(&'static str, String)> {
    let Route::Resource {
        kind, action: None, ..
    } = route
    else {
        return Vec::new();
    };
    if !matches!(req.method, Method::PUT | Method::PATCH) {
        return Vec::new();
    }
    // A body that is not JSON is refused later by the handler, with its own error.
    let Ok(body) = serde_json::from_slice::<serde_json::Value>(&req.body) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    if let Some(ids) = body
        .pointer("/identity/userAssignedIdentities")
        .and_then(serde_json::Value::as_object)
    {
        // A PATCH removes an identity by sending null for it: nothing is assigned then.
        for (id, value) in ids {
            if !value.is_null() {
                out.push((
                    "Microsoft.ManagedIdentity/userAssignedIdentities/assign/action",
                    id.clone(),
                ));
            }
        }
    }
    if *kind == Kind::PrivateEndpoint {
        if let Some(subnet) = body
            .pointer("/properties/subnet/id")
            .and_then(serde_json::Value::as_str)
        {
            out.push((
                "Microsoft.Network/virtualNetworks/subnets/join/action",
                subnet.to_string(),
            ));
        }
    }
    out
}

fn namespace_of(kind: Kind) -> &'static str {
    kind.ns_type().split('/').next().unwrap_or_default()
}

/// The namespace whose registration the request needs, if any. Microsoft.Resources and
/// Microsoft.Authorization are always registered, so routes of theirs need none.
pub(crate) fn namespace(route: &Route) -> Option<&'static str> {
    match route {
        Route::List { kind, .. }
        | Route::Resource { kind, .. }
        | Route::Child { kind, .. }
        | Route::CheckName { kind, .. } => Some(namespace_of(*kind)),
        Route::StorageOpStatus { .. } => Some("Microsoft.Storage"),
        Route::NetworkOp { .. } => Some("Microsoft.Network"),
        Route::WorkspaceOpStatus { .. } => Some("Microsoft.MachineLearningServices"),
        Route::DeletedVaults { .. } | Route::DeletedVault { .. } => Some("Microsoft.KeyVault"),
        _ => None,
    }
}
