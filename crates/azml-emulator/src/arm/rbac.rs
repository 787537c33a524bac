//! Azure RBAC as ARM evaluates it: the built-in role definitions, action patterns with
//! wildcards, and the question "may this principal perform this action at this scope?",
//! answered from the role assignments in the store.
//!
//! A principal may perform an action at a scope when one of its assignments sits at that
//! scope or above it (subscription, group, resource) and the assignment's role has an
//! `actions` pattern matching the action and no `notActions` pattern of that same role
//! matching it (`notActions` subtract within a role; another role may still grant it).

use axum::http::StatusCode;
use serde_json::Value;

use crate::assignments::OWNER_ID;
use crate::errors::ArmError;
use crate::names::eq_ci;
use crate::store::Store;

pub(crate) struct RoleDef {
    pub name: &'static str,
    pub id: &'static str,
    pub description: &'static str,
    pub actions: &'static [&'static str],
    pub not_actions: &'static [&'static str],
    pub data_actions: &'static [&'static str],
    pub not_data_actions: &'static [&'static str],
}

/// The built-in roles azml and its users name, with Azure's permissions for them.
pub(crate) const BUILT_IN: &[RoleDef] = &[
    RoleDef {
        name: "Owner",
        id: OWNER_ID,
        description: "Grants full access to manage all resources, including the ability to assign roles in Azure RBAC.",
        actions: &["*"],
        not_actions: &[],
        data_actions: &[],
        not_data_actions: &[],
    },
    RoleDef {
        name: "Contributor",
        id: "b24988ac-6180-42a0-ab88-20f7382dd24c",
        description: "Grants full access to manage all resources, but does not allow you to assign roles in Azure RBAC, manage assignments in Azure Blueprints, or share image galleries.",
        actions: &["*"],
        not_actions: &[
            "Microsoft.Authorization/*/Delete",
            "Microsoft.Authorization/*/Write",
            "Microsoft.Authorization/elevateAccess/Action",
            "Microsoft.Blueprint/blueprintAssignments/write",
            "Microsoft.Blueprint/blueprintAssignments/delete",
            "Microsoft.Compute/galleries/share/action",
            "Microsoft.Purview/consents/write",
            "Microsoft.Purview/consents/delete",
            "Microsoft.Resources/deploymentStacks/manageDenySetting/action",
            "Microsoft.Subscription/cancel/action",
            "Microsoft.Subscription/enable/action",
        ],
        data_actions: &[],
        not_data_actions: &[],
    },
    RoleDef {
        name: "Reader",
        id: "acdd72a7-3385-48ef-bd42-f606fba81ae7",
        description: "View all resources, but does not allow you to make any changes.",
        actions: &["*/read"],
        not_actions: &[],
        data_actions: &[],
        not_data_actions: &[],
    },
    RoleDef {
        name: "User Access Administrator",
        id: "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9",
        description: "Lets you manage user access to Azure resources.",
        actions: &["*/read", "Microsoft.Authorization/*", "Microsoft.Support/*"],
        not_actions: &[],
        data_actions: &[],
        not_data_actions: &[],
    },
    RoleDef {
        name: "Managed Identity Operator",
        id: "f1a07417-d97a-45cb-824c-7a7467783830",
        description: "Read and Assign User Assigned Identity",
        actions: &[
            "Microsoft.ManagedIdentity/userAssignedIdentities/*/read",
            "Microsoft.ManagedIdentity/userAssignedIdentities/*/assign/action",
            "Microsoft.Authorization/*/read",
            "Microsoft.Insights/alertRules/*",
            "Microsoft.Resources/subscriptions/resourceGroups/read",
            "Microsoft.Resources/deployments/*",
            "Microsoft.Support/*",
        ],
        not_actions: &[],
        data_actions: &[],
        not_data_actions: &[],
    },
    RoleDef {
        name: "Network Contributor",
        id: "4d97b98b-1d4f-4787-a291-c67834d212e7",
        description: "Lets you manage networks, but not access to them.",
        actions: &[
            "Microsoft.Authorization/*/read",
            "Microsoft.Insights/alertRules/*",
            "Microsoft.Network/*",
            "Microsoft.ResourceHealth/availabilityStatuses/read",
            "Microsoft.Resources/deployments/*",
            "Microsoft.Resources/subscriptions/resourceGroups/read",
            "Microsoft.Support/*",
        ],
        not_actions: &[],
        data_actions: &[],
        not_data_actions: &[],
    },
    RoleDef {
        name: "AzureML Data Scientist",
        id: "f6c7c914-8db3-469d-8ca1-694a8f32e121",
        description: "Can perform all actions within an Azure Machine Learning workspace, except for creating or deleting compute resources and modifying the workspace itself.",
        actions: &[
            "Microsoft.MachineLearningServices/workspaces/*/read",
            "Microsoft.MachineLearningServices/workspaces/*/action",
            "Microsoft.MachineLearningServices/workspaces/*/delete",
            "Microsoft.MachineLearningServices/workspaces/*/write",
        ],
        not_actions: &[
            "Microsoft.MachineLearningServices/workspaces/delete",
            "Microsoft.MachineLearningServices/workspaces/write",
            "Microsoft.MachineLearningServices/workspaces/computes/*/write",
            "Microsoft.MachineLearningServices/workspaces/computes/*/delete",
            "Microsoft.MachineLearningServices/workspaces/computes/listKeys/action",
            "Microsoft.MachineLearningServices/workspaces/listKeys/action",
            "Microsoft.MachineLearningServices/workspaces/hubs/write",
            "Microsoft.MachineLearningServices/workspaces/hubs/delete",
            "Microsoft.MachineLearningServices/workspaces/featurestores/write",
            "Microsoft.MachineLearningServices/workspaces/featurestores/delete",
        ],
        data_actions: &[],
        not_data_actions: &[],
    },
    RoleDef {
        name: "AzureML Compute Operator",
        id: "e503ece1-11d0-4e8e-8e2c-7a6c3bf38815",
        description: "Can access and perform CRUD operations on Machine Learning Services managed compute resources (including Notebook VMs).",
        actions: &[
            "Microsoft.MachineLearningServices/workspaces/computes/*",
            "Microsoft.MachineLearningServices/workspaces/notebooks/vm/*",
        ],
        not_actions: &[],
        data_actions: &[],
        not_data_actions: &[],
    },
];

pub(crate) fn role_by_id(id: &str) -> Option<&'static RoleDef> {
    BUILT_IN.iter().find(|d| eq_ci(d.id, id))
}

/// Azure's action patterns: `*` stands for any run of characters (slashes included), the
/// rest compares without case. `*` alone, `Microsoft.X/*`, `*/read` and
/// `Microsoft.X/things/*/read` are the usual shapes. A `/*/` may also stand for a single
/// `/`: the built-in roles rely on it (AzureML Data Scientist grants
/// `workspaces/*/write` and must then exclude `workspaces/write` in its notActions).
pub(crate) fn action_matches(pattern: &str, action: &str) -> bool {
    let pattern = pattern.to_lowercase();
    let action = action.to_lowercase();
    if glob(&pattern, &action) {
        return true;
    }
    // Each `/*/` either stays or collapses; patterns hold one or two, so few variants.
    let pieces: Vec<&str> = pattern.split("/*/").collect();
    if pieces.len() == 1 || pieces.len() > 5 {
        return false;
    }
    let gaps = pieces.len() - 1;
    (0..(1u32 << gaps)).any(|mask| {
        let mut p = pieces[0].to_string();
        for (i, piece) in pieces[1..].iter().enumerate() {
            p.push_str(if mask & (1 << i) != 0 { "/" } else { "/*/" });
            p.push_str(piece);
        }
        glob(&p, &action)
    })
}

/// `*` matches any run of characters; everything else matches itself.
fn glob(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let a: Vec<char> = text.chars().collect();
    // Iterative glob: remember the last `*` and how much of the action it has eaten.
    let (mut pi, mut ai) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ai < a.len() {
        if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ai));
            pi += 1;
        } else if pi < p.len() && p[pi] == a[ai] {
            pi += 1;
            ai += 1;
        } else if let Some((sp, sa)) = star {
            pi = sp + 1;
            ai = sa + 1;
            star = Some((sp, sa + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

pub(crate) fn role_permits(role: &RoleDef, action: &str) -> bool {
    role.actions.iter().any(|p| action_matches(p, action))
        && !role.not_actions.iter().any(|p| action_matches(p, action))
}

/// Scopes compare without case and without a trailing `/`.
pub(crate) fn norm_scope(scope: &str) -> String {
    format!("/{}", scope.trim_matches('/')).to_lowercase()
}

/// `ancestor` is `scope` itself or one of the scopes above it.
pub(crate) fn covers(ancestor: &str, scope: &str) -> bool {
    let (a, s) = (norm_scope(ancestor), norm_scope(scope));
    a == "/" || s == a || s.starts_with(&format!("{a}/"))
}

fn assignment_fields(a: &Value) -> (&str, &str, &str) {
    let p = &a["properties"];
    (
        p["principalId"].as_str().unwrap_or_default(),
        p["scope"].as_str().unwrap_or_default(),
        p["roleDefinitionId"]
            .as_str()
            .unwrap_or_default()
            .rsplit('/')
            .next()
            .unwrap_or_default(),
    )
}

/// The scopes (normalized) at which `oid` holds an assignment whose role permits `action`:
/// the action is allowed at those scopes and everything below them.
pub(crate) fn granting_scopes(st: &Store, oid: &str, action: &str) -> Vec<String> {
    st.role_assignments
        .values()
        .filter_map(|a| {
            let (principal, scope, role) = assignment_fields(a);
            (eq_ci(principal, oid) && role_by_id(role).is_some_and(|r| role_permits(r, action)))
                .then(|| norm_scope(scope))
        })
        .collect()
}

/// `oid` holds at least one assignment, of any role, at `scope` or below it (what makes
/// a subscription show up in the caller's subscription list).
pub(crate) fn has_any_assignment_within(st: &Store, oid: &str, scope: &str) -> bool {
    st.role_assignments.values().any(|a| {
        let (principal, s, _) = assignment_fields(a);
        eq_ci(principal, oid) && covers(scope, s)
    })
}

/// ARM's refusal, word for word. For a service principal both names are its object id,
/// as ARM writes them.
pub(crate) fn authorization_failed(oid: &str, action: &str, scope: &str) -> ArmError {
    ArmError::new(
        StatusCode::FORBIDDEN,
        "AuthorizationFailed",
        format!(
            "The client '{oid}' with object id '{oid}' does not have authorization to perform \
             action '{action}' over scope '{scope}' or the scope is invalid. If access was \
             recently granted, please refresh your credentials."
        ),
    )
}

/// ARM's refusal when the request's own action is allowed but an action on a resource it
/// links to is not. Several refused actions are listed in the order of their scopes, as
/// ARM lists them ("respectively").
pub(crate) fn linked_authorization_failed(
    oid: &str,
    action: &str,
    scope: &str,
    refused: &[(&str, String)],
) -> ArmError {
    let mut actions: Vec<&str> = refused.iter().map(|(a, _)| *a).collect();
    actions.dedup();
    let scopes: Vec<&str> = refused.iter().map(|(_, s)| s.as_str()).collect();
    let (what, respectively) = if actions.len() == 1 {
        (format!("action '{}'", actions[0]), "")
    } else {
        let all: Vec<&str> = refused.iter().map(|(a, _)| *a).collect();
        (format!("action(s) '{}'", all.join(",")), " (respectively)")
    };
    ArmError::new(
        StatusCode::FORBIDDEN,
        "LinkedAuthorizationFailed",
        format!(
            "The client '{oid}' with object id '{oid}' has permission to perform action \
             '{action}' on scope '{scope}'; however, it does not have permission to perform \
             {what} on the linked scope(s) '{}'{respectively} or the linked scope(s) are \
             invalid.",
            scopes.join(",")
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn managed_identity_operator_may_assign_but_not_write_identities() {
        let mio = role_by_id("f1a07417-d97a-45cb-824c-7a7467783830").unwrap();
        assert!(role_permits(
            mio,
            "Microsoft.ManagedIdentity/userAssignedIdentities/assign/action"
        ));
        assert!(!role_permits(
            mio,
            "Microsoft.ManagedIdentity/userAssignedIdentities/write"
        ));
        let reader = role_by_id("acdd72a7-3385-48ef-bd42-f606fba81ae7").unwrap();
        assert!(!role_permits(
            reader,
            "Microsoft.Network/virtualNetworks/subnets/join/action"
        ));
    }

    #[test]
    fn wildcards() {
        assert!(action_matches(
            "*",
            "Microsoft.Storage/storageAccounts/read"
        ));
        assert!(action_matches(
            "*/read",
            "Microsoft.Storage/storageAccounts/read"
        ));
        assert!(!action_matches(
            "*/read",
            "Microsoft.Storage/storageAccounts/write"
        ));
        assert!(action_matches(
            "Microsoft.Authorization/*",
            "microsoft.authorization/roleassignments/write"
        ));
        assert!(action_matches(
            "Microsoft.Authorization/*/Write",
            "Microsoft.Authorization/roleAssignments/write"
        ));
        assert!(!action_matches(
            "Microsoft.Authorization/*/Write",
            "Microsoft.Authorization/roleAssignments/read"
        ));
        let ws = "Microsoft.MachineLearningServices/workspaces/*/read";
        assert!(action_matches(
            ws,
            "Microsoft.MachineLearningServices/workspaces/computes/read"
        ));
        assert!(action_matches(
            ws,
            "Microsoft.MachineLearningServices/workspaces/read"
        ));
        assert!(!action_matches(
            ws,
            "Microsoft.MachineLearningServices/workspacesread"
        ));
        assert!(!action_matches(
            "Microsoft.Storage/*",
            "Microsoft.KeyVault/vaults/read"
        ));
        assert!(action_matches("a*b*c", "aXXbYYbc"));
        assert!(!action_matches("a*b", "ab/c"));
    }

    #[test]
    fn roles() {
        let by_name = |n: &str| BUILT_IN.iter().find(|r| r.name == n).unwrap();
        let contributor = by_name("Contributor");
        assert!(role_permits(
            contributor,
            "Microsoft.MachineLearningServices/workspaces/write"
        ));
        assert!(!role_permits(
            contributor,
            "Microsoft.Authorization/roleAssignments/write"
        ));
        assert!(role_permits(
            contributor,
            "Microsoft.Authorization/roleAssignments/read"
        ));
        let reader = by_name("Reader");
        assert!(role_permits(
            reader,
            "Microsoft.Resources/subscriptions/resourcegroups/read"
        ));
        assert!(!role_permits(
            reader,
            "Microsoft.Storage/storageAccounts/listKeys/action"
        ));
        let uaa = by_name("User Access Administrator");
        assert!(role_permits(
            uaa,
            "Microsoft.Authorization/roleAssignments/write"
        ));
        assert!(!role_permits(
            uaa,
            "Microsoft.Storage/storageAccounts/write"
        ));
        let ds = by_name("AzureML Data Scientist");
        assert!(!role_permits(
            ds,
            "Microsoft.MachineLearningServices/workspaces/listKeys/action"
        ));
        assert!(role_permits(
            ds,
            "Microsoft.MachineLearningServices/workspaces/jobs/write"
        ));
        assert!(!role_permits(
            ds,
            "Microsoft.MachineLearningServices/workspaces/computes/write"
        ));
        assert!(role_permits(
            ds,
            "Microsoft.MachineLearningServices/workspaces/read"
        ));
        assert!(!role_permits(
            ds,
            "Microsoft.MachineLearningServices/workspaces/write"
        ));
        let op = by_name("AzureML Compute Operator");
        assert!(role_permits(
            op,
            "Microsoft.MachineLearningServices/workspaces/computes/write"
        ));
        assert!(!role_permits(
            op,
            "Microsoft.MachineLearningServices/workspaces/read"
        ));
    }

    #[test]
    fn scopes() {
        assert!(covers(
            "/subscriptions/S",
            "/subscriptions/s/resourceGroups/rg"
        ));
        assert!(covers(
            "/subscriptions/s/resourcegroups/RG/",
            "/subscriptions/s/resourceGroups/rg"
        ));
        assert!(!covers(
            "/subscriptions/s/resourceGroups/rg",
            "/subscriptions/s/resourceGroups/rg2"
        ));
        assert!(!covers(
            "/subscriptions/s/resourceGroups/rg",
            "/subscriptions/s"
        ));
        assert!(covers("/", "/subscriptions/s"));
    }
}
