//! The parameters of each command, as the Python layer passes them: keyword arguments with
//! the snake_case names of the Python API, deserialized here; an unknown keyword is refused
//! before any request is sent.

use serde::Deserialize;
use serde_json::{Map, Value};

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GroupCreate {
    pub name: String,
    pub location: String,
    #[serde(default)]
    pub tags: Option<Map<String, Value>>,
    #[serde(default)]
    pub managed_by: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GroupDelete {
    pub name: String,
    #[serde(default)]
    pub no_wait: bool,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkspaceCreate {
    pub name: String,
    pub resource_group: String,
    #[serde(default)]
    pub location: Option<String>,
    #[serde(default)]
    pub storage_account: Option<String>,
    #[serde(default)]
    pub keyvault: Option<String>,
    #[serde(default)]
    pub application_insights: Option<String>,
    #[serde(default)]
    pub container_registry: Option<String>,
    #[serde(default)]
    pub pe_name: Option<String>,
    #[serde(default)]
    pub pe_auto_approval: bool,
    #[serde(default)]
    pub pe_resource_group: Option<String>,
    #[serde(default)]
    pub pe_vnet_name: Option<String>,
    #[serde(default)]
    pub pe_subnet_name: Option<String>,
    #[serde(default)]
    pub cmk_keyvault: Option<String>,
    #[serde(default)]
    pub resource_cmk_uri: Option<String>,
    #[serde(default)]
    pub hbi_workspace: bool,
    #[serde(default)]
    pub friendly_name: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub tags: Option<Map<String, Value>>,
    #[serde(default)]
    pub exist_ok: bool,
    #[serde(default)]
    pub create_resource_group: bool,
    /// The workspace edition: `basic` (the only one left; `enterprise` was retired).
    #[serde(default)]
    pub sku: Option<String>,
    /// `properties.v1LegacyMode`: keep the v1 API surface (no v2 features).
    #[serde(default)]
    pub v1_legacy_mode: bool,
    /// The ARM id of a user-assigned identity that becomes the workspace's primary identity
    /// (beside its system-assigned one).
    #[serde(default)]
    pub primary_user_assigned_identity: Option<String>,
    /// When the workspace cannot be created after this call created some of its dependents:
    /// keep them (`true`) instead of removing them (the default).
    #[serde(default)]
    pub keep_dependents_on_failure: bool,
    /// The tenant of a key vault created for the workspace. `None`: the subscription's
    /// (`GET /subscriptions/{id}`). Unused when `keyvault` is given.
    #[serde(default)]
    pub tenant_id: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkspaceRef {
    pub name: String,
    pub resource_group: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkspaceList {
    #[serde(default)]
    pub resource_group: Option<String>,
    /// List these subscriptions (concurrently) instead of the client's; results come in the
    /// order given, each subscription's in ARM's order.
    #[serde(default)]
    pub subscription_ids: Option<Vec<String>>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkspaceUpdate {
    pub name: String,
    pub resource_group: String,
    #[serde(default)]
    pub friendly_name: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    /// `None`: tags untouched. `Some(map)`: the whole map replaced.
    #[serde(default)]
    pub tags: Option<Map<String, Value>>,
    #[serde(default)]
    pub image_build_compute: Option<String>,
    #[serde(default)]
    pub allow_public_access: Option<bool>,
    /// The ARM id of a user-assigned identity to make primary; it is attached to the
    /// workspace if it is not already.
    #[serde(default)]
    pub primary_user_assigned_identity: Option<String>,
    #[serde(default)]
    pub v1_legacy_mode: Option<bool>,
    /// Properties fixed at creation. Accepted only to be refused with a message that says
    /// so, before any request (`validate::workspace_update`).
    #[serde(default)]
    pub location: Option<Value>,
    #[serde(default)]
    pub storage_account: Option<Value>,
    #[serde(default)]
    pub keyvault: Option<Value>,
    #[serde(default)]
    pub hbi_workspace: Option<Value>,
    #[serde(default)]
    pub cmk_keyvault: Option<Value>,
    #[serde(default)]
    pub allow_public_access_when_behind_vnet: Option<Value>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkspaceDelete {
    pub name: String,
    pub resource_group: String,
    #[serde(default)]
    pub all_resources: bool,
    #[serde(default)]
    pub permanently_delete: bool,
    #[serde(default)]
    pub no_wait: bool,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GroupUpdate {
    pub name: String,
    /// `None`: tags untouched. `Some(map)`: the whole map replaced.
    #[serde(default)]
    pub tags: Option<Map<String, Value>>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GroupList {
    /// az's `--tag key[=value]`.
    #[serde(default)]
    pub tag: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkspaceShare {
    pub name: String,
    pub resource_group: String,
    /// A user principal name, an object id, or a service principal's application id.
    pub user: String,
    /// A role name, a role definition GUID, or a role definition id.
    pub role: String,
}

/// A storage account, key vault, Application Insights component or container registry by
/// name; without a group, searched in the whole subscription.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FindResource {
    pub name: String,
    #[serde(default)]
    pub resource_group: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn keyword_arguments_deserialize_and_unknown_ones_are_rejected() {
        let p: WorkspaceCreate = serde_json::from_value(json!({
            "name": "ws", "resource_group": "rg", "tenant_id": "t", "hbi_workspace": true
        }))
        .unwrap();
        assert_eq!(p.tenant_id.as_deref(), Some("t"));
        assert!(p.hbi_workspace && !p.exist_ok);
        let err = serde_json::from_value::<WorkspaceCreate>(json!({
            "name": "ws", "resource_group": "rg", "storage": "x"
        }))
        .unwrap_err();
        assert!(err.to_string().contains("unknown field `storage`"), "{err}");
    }
}
