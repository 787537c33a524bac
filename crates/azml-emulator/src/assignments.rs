//! Role assignments as ARM serves them and the store keeps them, and the Owner assignment
//! the default principal starts with in every subscription (made when a context is made,
//! so it lives below the rooms rather than with ARM's authorization provider).

use serde_json::{json, Value};

use crate::ids::new_guid;
use crate::store::Store;
use crate::timestamps::iso;

/// The built-in Owner role (its definition is in `rbac::BUILT_IN`).
pub(crate) const OWNER_ID: &str = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635";

pub(crate) struct AssignmentFields<'a> {
    pub name: &'a str,
    pub scope: &'a str,
    pub role_id: &'a str,
    pub principal: &'a str,
    pub principal_type: &'a str,
    pub created_by: &'a str,
    pub description: Value,
}

/// A role assignment as ARM serves it.
pub(crate) fn assignment_body(f: &AssignmentFields<'_>, now_ms: i64) -> Value {
    let now = iso(now_ms);
    let scope = format!("/{}", f.scope.trim_matches('/'));
    json!({
        "id": format!("{scope}/providers/Microsoft.Authorization/roleAssignments/{}", f.name),
        "name": f.name,
        "type": "Microsoft.Authorization/roleAssignments",
        "properties": {
            "roleDefinitionId": f.role_id,
            "principalId": f.principal,
            "principalType": f.principal_type,
            "scope": scope,
            "condition": null,
            "conditionVersion": null,
            "createdOn": now,
            "updatedOn": now,
            "createdBy": f.created_by,
            "updatedBy": f.created_by,
            "delegatedManagedIdentityResourceId": null,
            "description": f.description,
        }
    })
}

/// Gives the default service principal Owner over the subscription, as a real assignment
/// (listed, and removable like any other). Runs once per state: a state in which it was
/// removed stays without it.
pub(crate) fn seed_owner(st: &mut Store, subscription_id: &str, oid: &str, now_ms: i64) {
    if st.owner_seeded {
        return;
    }
    let name = new_guid();
    let role_id = format!(
        "/subscriptions/{subscription_id}/providers/Microsoft.Authorization/roleDefinitions/{}",
        OWNER_ID
    );
    let body = assignment_body(
        &AssignmentFields {
            name: &name,
            scope: &format!("/subscriptions/{subscription_id}"),
            role_id: &role_id,
            principal: oid,
            principal_type: "ServicePrincipal",
            created_by: oid,
            description: Value::Null,
        },
        now_ms,
    );
    st.role_assignments.insert(name, body);
    st.owner_seeded = true;
    st.dirty = true;
}
