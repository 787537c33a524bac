//! Request bodies and the names of auto-created dependents (pure).

use serde_json::{json, Map, Value};

use super::params::{WorkspaceCreate, WorkspaceUpdate};
use crate::arm::resource_id::Kind;

/// The name the v1 CLI gave an auto-created dependent: the first 8 of `[a-z0-9]` of the
/// lower-cased workspace name, the type word, then random hex, cut to 24 characters.
/// `random_hex` is a 32-digit uuid4 hex in production.
pub fn dependent_name(workspace: &str, kind: Kind, random_hex: &str) -> String {
    let prefix: String = workspace
        .to_lowercase()
        .chars()
        .filter(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        .take(8)
        .collect();
    let word = match kind {
        Kind::StorageAccount => "storage",
        Kind::KeyVault => "keyvault",
        Kind::AppInsights => "insights",
        Kind::ContainerRegistry => "registry",
        Kind::LogAnalytics => "logs",
        Kind::Workspace | Kind::VirtualNetwork | Kind::UserAssignedIdentity => "",
    };
    // A vault name must start with a letter; the v1 CLI produced an invalid one for a
    // workspace named "1…". Starting with the type word keeps it valid and recognisable.
    let mut name =
        if kind == Kind::KeyVault && !prefix.starts_with(|c: char| c.is_ascii_lowercase()) {
            format!("{word}{prefix}{random_hex}")
        } else {
            format!("{prefix}{word}{random_hex}")
        };
    name.truncate(24);
    name
}

pub fn random_hex() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

pub fn group(location: &str, tags: Option<&Map<String, Value>>, managed_by: Option<&str>) -> Value {
    let mut body = Map::new();
    body.insert("location".into(), Value::String(location.into()));
    if let Some(m) = managed_by {
        body.insert("managedBy".into(), Value::String(m.into()));
    }
    if let Some(t) = tags {
        body.insert("tags".into(), Value::Object(t.clone()));
    }
    Value::Object(body)
}

pub fn storage_account(location: &str) -> Value {
    json!({
        "kind": "StorageV2",
        "location": location,
        "properties": {
            "allowBlobPublicAccess": false,
            "encryption": {
                "keySource": "Microsoft.Storage",
                "services": {
                    "blob": {"enabled": true},
                    "file": {"enabled": true}
                }
            },
            "minimumTlsVersion": "TLS1_2",
            "supportsHttpsTrafficOnly": true
        },
        "sku": {"name": "Standard_LRS"}
    })
}

pub fn key_vault(location: &str, tenant_id: &str) -> Value {
    json!({
        "location": location,
        "properties": {
            "accessPolicies": [],
            "enableSoftDelete": true,
            "sku": {"family": "A", "name": "standard"},
            "tenantId": tenant_id
        }
    })
}

/// A workspace-based component (classic ones, without a Log Analytics workspace, were
/// retired in 2024).
pub fn app_insights(location: &str, log_analytics_id: &str) -> Value {
    json!({
        "kind": "web",
        "location": location,
        "properties": {
            "Application_Type": "web",
            "IngestionMode": "LogAnalytics",
            "WorkspaceResourceId": log_analytics_id
        }
    })
}

pub fn log_analytics(location: &str) -> Value {
    json!({
        "location": location,
        "properties": {"sku": {"name": "PerGB2018"}, "retentionInDays": 30}
    })
}

/// The ids the workspace links to (given or just created).
#[derive(Debug, Clone, Default)]
pub struct Links {
    pub storage_account: String,
    pub key_vault: String,
    pub application_insights: String,
    pub container_registry: Option<String>,
}

/// `sku`: ARM's spelling (`validate::sku`).
pub fn workspace(p: &WorkspaceCreate, location: &str, links: &Links, sku: &str) -> Value {
    let mut props = Map::new();
    props.insert(
        "friendlyName".into(),
        Value::String(p.friendly_name.clone().unwrap_or_else(|| p.name.clone())),
    );
    if let Some(d) = &p.description {
        props.insert("description".into(), Value::String(d.clone()));
    }
    props.insert(
        "storageAccount".into(),
        Value::String(links.storage_account.clone()),
    );
    props.insert("keyVault".into(), Value::String(links.key_vault.clone()));
    props.insert(
        "applicationInsights".into(),
        Value::String(links.application_insights.clone()),
    );
    if let Some(acr) = &links.container_registry {
        props.insert("containerRegistry".into(), Value::String(acr.clone()));
    }
    props.insert("hbiWorkspace".into(), Value::Bool(p.hbi_workspace));
    if let (Some(kv), Some(key)) = (&p.cmk_keyvault, &p.resource_cmk_uri) {
        props.insert(
            "encryption".into(),
            json!({
                "status": "Enabled",
                "keyVaultProperties": {"keyVaultArmId": kv, "keyIdentifier": key}
            }),
        );
    }
    if p.v1_legacy_mode {
        props.insert("v1LegacyMode".into(), Value::Bool(true));
    }
    let identity = match &p.primary_user_assigned_identity {
        // The system identity stays (the service grants it the vault); the user one is
        // attached and made primary.
        Some(uai) => {
            props.insert(
                "primaryUserAssignedIdentity".into(),
                Value::String(uai.clone()),
            );
            json!({
                "type": "SystemAssigned,UserAssigned",
                "userAssignedIdentities": {uai.as_str(): {}}
            })
        }
        None => json!({"type": "SystemAssigned"}),
    };
    let mut body = Map::new();
    body.insert("location".into(), Value::String(location.into()));
    body.insert("identity".into(), identity);
    body.insert("sku".into(), json!({"name": sku, "tier": sku}));
    if let Some(t) = &p.tags {
        body.insert("tags".into(), Value::Object(t.clone()));
    }
    body.insert("properties".into(), Value::Object(props));
    Value::Object(body)
}

/// The PATCH body of an update: only what was passed. `None` when nothing was.
/// `allowPublicAccessWhenBehindVnet` cannot change after create, so `allow_public_access`
/// maps to `publicNetworkAccess`, which can.
pub fn workspace_patch(p: &WorkspaceUpdate) -> Option<Value> {
    let mut props = Map::new();
    if let Some(f) = &p.friendly_name {
        props.insert("friendlyName".into(), Value::String(f.clone()));
    }
    if let Some(d) = &p.description {
        props.insert("description".into(), Value::String(d.clone()));
    }
    if let Some(c) = &p.image_build_compute {
        props.insert("imageBuildCompute".into(), Value::String(c.clone()));
    }
    if let Some(allow) = p.allow_public_access {
        let v = if allow { "Enabled" } else { "Disabled" };
        props.insert("publicNetworkAccess".into(), Value::String(v.into()));
    }
    if let Some(v1) = p.v1_legacy_mode {
        props.insert("v1LegacyMode".into(), Value::Bool(v1));
    }
    if let Some(uai) = &p.primary_user_assigned_identity {
        props.insert(
            "primaryUserAssignedIdentity".into(),
            Value::String(uai.clone()),
        );
    }
    let mut body = Map::new();
    if let Some(t) = &p.tags {
        body.insert("tags".into(), Value::Object(t.clone()));
    }
    if !props.is_empty() {
        body.insert("properties".into(), Value::Object(props));
    }
    if body.is_empty() {
        None
    } else {
        Some(Value::Object(body))
    }
}

/// The workspace's identity with user-assigned identity `uai` attached (kept if it already
/// is, compared case-insensitively), the others and the system identity kept as they are.
pub fn identity_with(current: &Value, uai: &str) -> Value {
    let ty = current
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or("None");
    let norm: String = ty
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_ascii_lowercase();
    let system = norm.split(',').any(|t| t == "systemassigned");
    let mut ids = Map::new();
    if let Some(existing) = current
        .get("userAssignedIdentities")
        .and_then(Value::as_object)
    {
        for id in existing.keys() {
            ids.insert(id.clone(), json!({}));
        }
    }
    if !ids.keys().any(|k| k.eq_ignore_ascii_case(uai)) {
        ids.insert(uai.to_string(), json!({}));
    }
    let new_type = if system {
        "SystemAssigned,UserAssigned"
    } else {
        "UserAssigned"
    };
    json!({"type": new_type, "userAssignedIdentities": ids})
}

/// A private endpoint to the workspace; manual approval (status Pending) unless
/// `auto_approval`.
pub fn private_endpoint(
    name: &str,
    location: &str,
    subnet_id: &str,
    workspace_id: &str,
    auto_approval: bool,
) -> Value {
    let mut conn_props = json!({
        "privateLinkServiceId": workspace_id,
        "groupIds": ["amlworkspace"]
    });
    let key = if auto_approval {
        "privateLinkServiceConnections"
    } else {
        conn_props["requestMessage"] = Value::String("Please approve this connection.".into());
        "manualPrivateLinkServiceConnections"
    };
    json!({
        "location": location,
        "properties": {
            "subnet": {"id": subnet_id},
            key: [{"name": name, "properties": conn_props}]
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEX: &str = "0123456789abcdef0123456789abcdef";

    #[test]
    fn dependent_names_follow_the_v1_cli() {
        assert_eq!(
            dependent_name("My_Workspace-01", Kind::StorageAccount, HEX),
            "myworksp".to_string() + "storage" + "012345678"
        );
        assert_eq!(
            dependent_name("ws1", Kind::AppInsights, HEX),
            "ws1insights0123456789abc"
        );
        assert_eq!(
            dependent_name("ws1", Kind::KeyVault, HEX),
            "ws1keyvault0123456789abc"
        );
        // A vault name must start with a letter.
        assert_eq!(
            dependent_name("1ws", Kind::KeyVault, HEX),
            "keyvault1ws0123456789abc"
        );
        for kind in [Kind::StorageAccount, Kind::KeyVault, Kind::AppInsights] {
            let n = dependent_name("ABCDEFGHIJKLMNOP", kind, &random_hex());
            assert_eq!(n.len(), 24);
            assert!(n.starts_with("abcdefgh"));
            assert!(n
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()));
        }
    }

    #[test]
    fn random_hex_is_32_hex_digits() {
        let h = random_hex();
        assert_eq!(h.len(), 32);
        assert!(h.chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(h, random_hex());
    }

    #[test]
    fn workspace_body_has_defaults_and_optional_parts() {
        let p = WorkspaceCreate {
            name: "ws".into(),
            resource_group: "rg".into(),
            hbi_workspace: true,
            cmk_keyvault: Some("/kv".into()),
            resource_cmk_uri: Some("https://kv/keys/k".into()),
            ..Default::default()
        };
        let links = Links {
            storage_account: "/sa".into(),
            key_vault: "/kv2".into(),
            application_insights: "/ai".into(),
            container_registry: None,
        };
        let b = workspace(&p, "eastus", &links, "Basic");
        assert_eq!(b["location"], "eastus");
        assert_eq!(b["identity"], json!({"type": "SystemAssigned"}));
        assert_eq!(b["sku"], json!({"name": "Basic", "tier": "Basic"}));
        assert_eq!(b["properties"]["friendlyName"], "ws");
        assert_eq!(b["properties"]["hbiWorkspace"], true);
        assert_eq!(b["properties"]["storageAccount"], "/sa");
        assert!(b["properties"].get("containerRegistry").is_none());
        assert!(b["properties"].get("description").is_none());
        assert!(b.get("tags").is_none());
        assert_eq!(
            b["properties"]["encryption"],
            json!({"status": "Enabled", "keyVaultProperties": {
                "keyVaultArmId": "/kv", "keyIdentifier": "https://kv/keys/k"}})
        );
    }

    #[test]
    fn patch_only_what_was_passed() {
        let base = WorkspaceUpdate {
            name: "ws".into(),
            resource_group: "rg".into(),
            ..Default::default()
        };
        assert_eq!(workspace_patch(&base), None);
        let p = WorkspaceUpdate {
            description: Some("d".into()),
            allow_public_access: Some(false),
            ..base.clone()
        };
        assert_eq!(
            workspace_patch(&p),
            Some(json!({"properties": {"description": "d", "publicNetworkAccess": "Disabled"}}))
        );
        let p = WorkspaceUpdate {
            tags: Some(Map::new()),
            ..base
        };
        // An explicit empty map clears the tags; omission leaves them alone.
        assert_eq!(workspace_patch(&p), Some(json!({"tags": {}})));
    }

    #[test]
    fn private_endpoint_manual_unless_auto_approved() {
        let b = private_endpoint("pe", "eastus", "/subnet", "/ws", false);
        assert!(b["properties"]
            .get("privateLinkServiceConnections")
            .is_none());
        let c = &b["properties"]["manualPrivateLinkServiceConnections"][0];
        assert_eq!(c["properties"]["groupIds"], json!(["amlworkspace"]));
        assert_eq!(c["properties"]["privateLinkServiceId"], "/ws");
        let b = private_endpoint("pe", "eastus", "/subnet", "/ws", true);
        assert_eq!(b["properties"]["subnet"]["id"], "/subnet");
        assert!(
            b["properties"]["privateLinkServiceConnections"][0]["properties"]
                .get("requestMessage")
                .is_none()
        );
    }

    #[test]
    fn group_body() {
        assert_eq!(group("westus", None, None), json!({"location": "westus"}));
        let mut t = Map::new();
        t.insert("a".into(), "b".into());
        assert_eq!(
            group("westus", Some(&t), Some("/x")),
            json!({"location": "westus", "managedBy": "/x", "tags": {"a": "b"}})
        );
    }
}
