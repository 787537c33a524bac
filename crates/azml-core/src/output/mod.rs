//! Pure functions: ARM JSON → az JSON (AZ-OUTPUT.md). Every object they return has its keys
//! in sorted order (serde_json `preserve_order` keeps insertion order), so printing with
//! `json.dumps(x, indent=2)` matches az.
//!
//! INTERFACE CONTRACT (used by `python`; bodies filled in by the output work).
//!
//! After a command returns, az does three things before printing, all here:
//! [`add_resource_group`] (its global result transform), `--query` ([`query`], JMESPath as
//! Python `jmespath` evaluates it) and `-o` ([`render`] / [`render_with`], the text az
//! writes, trailing newline included). [`az_output`] chains the last two exactly as az
//! does (`azml.az("… --query id -o tsv")` and the `azml` console script use it):
//!
//! ```
//! use azml_core::output::{az_output, OutputKind};
//! let ws = serde_json::json!({"id": "/subscriptions/s/resourceGroups/rg/providers/P/workspaces/ws"});
//! let text = az_output(&ws, Some("id"), OutputKind::Tsv, None).unwrap();
//! assert_eq!(text, "/subscriptions/s/resourceGroups/rg/providers/P/workspaces/ws\n");
//! ```

mod color;
mod json;
mod query;
mod render;
mod yaml;

pub use query::{check_query, query, QueryError};
pub use render::{
    add_resource_group, az_output, render, render_with, InvalidOutputKind, OutputError, OutputKind,
    RenderOptions, TableTransformer, TableUnavailable,
};

pub use json::to_az_json;

use serde_json::{Map, Value};

/// The shape of workspace results.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    /// The documentation's shape (azureml-core 1.1.5 era), the default.
    #[default]
    V1,
    /// The current `ml` extension's shape (azure-ai-ml).
    V2,
    /// The ARM body as received.
    Arm,
}

impl std::str::FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "v1" => Ok(Format::V1),
            "v2" => Ok(Format::V2),
            "arm" => Ok(Format::Arm),
            other => Err(format!(
                "unknown output format '{other}': use 'v1', 'v2' or 'arm'"
            )),
        }
    }
}

/// `az ml workspace show/create/update` from a workspace ARM body.
pub fn workspace(arm: &Value, format: Format) -> Value {
    match format {
        Format::V1 => sort_keys(&workspace_v1(arm)),
        Format::V2 => sort_keys(&workspace_v2(arm)),
        Format::Arm => arm.clone(),
    }
}

/// One entry of `az ml workspace list`: `{resourceGroup, subscriptionId, workspaceName}`
/// (v1); v2 prints the full workspace per entry; arm the body.
pub fn workspace_list_entry(arm: &Value, format: Format) -> Value {
    match format {
        Format::V1 => {
            let id = str_at(arm, &["id"]).unwrap_or_default();
            let name = str_at(arm, &["name"])
                .map(str::to_string)
                .or_else(|| id_value(id, "workspaces"));
            let mut out = Map::new();
            insert_opt(&mut out, "resourceGroup", id_value(id, "resourceGroups"));
            insert_opt(&mut out, "subscriptionId", id_value(id, "subscriptions"));
            insert_opt(&mut out, "workspaceName", name);
            sort_keys(&Value::Object(out))
        }
        Format::V2 | Format::Arm => workspace(arm, format),
    }
}

/// `az group create/show/list` entry from a resource group ARM body (nulls kept).
pub fn group(arm: &Value) -> Value {
    let field = |k: &str| arm.get(k).cloned().unwrap_or(Value::Null);
    let provisioning_state = arm
        .get("properties")
        .and_then(|p| p.get("provisioningState"))
        .cloned()
        .unwrap_or(Value::Null);
    let mut properties = Map::new();
    properties.insert("provisioningState".into(), provisioning_state);
    let mut out = Map::new();
    out.insert("id".into(), field("id"));
    out.insert("location".into(), field("location"));
    out.insert("managedBy".into(), field("managedBy"));
    out.insert("name".into(), field("name"));
    out.insert("properties".into(), Value::Object(properties));
    out.insert("tags".into(), field("tags"));
    out.insert("type".into(), field("type"));
    sort_keys(&Value::Object(out))
}

/// Recursively sort the keys of every object (what az does on output).
pub fn sort_keys(v: &Value) -> Value {
    match v {
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            // Byte order of UTF-8 is code point order, which is what Python's sort uses.
            entries.sort_by(|a, b| a.0.cmp(b.0));
            Value::Object(
                entries
                    .into_iter()
                    .map(|(k, v)| (k.clone(), sort_keys(v)))
                    .collect(),
            )
        }
        Value::Array(items) => Value::Array(items.iter().map(sort_keys).collect()),
        other => other.clone(),
    }
}

/// The value following `key` (compared case-insensitively) in an ARM id, e.g.
/// `resourceGroups` → the group name. `None` when the id has no such segment.
pub fn id_value(id: &str, key: &str) -> Option<String> {
    let parts: Vec<&str> = id.split('/').collect();
    parts
        .windows(2)
        .find(|w| w[0].eq_ignore_ascii_case(key) && !w[1].is_empty())
        .map(|w| w[1].to_string())
}

/// Properties the v1 CLI (azureml-core 1.1.5) copied from `properties` under the same name.
/// An allow-list: anything else the service returns (notebookInfo, tenantId …) is not shown.
const V1_PROPERTIES: &[&str] = &[
    "allowPublicAccessWhenBehindVnet",
    "applicationInsights",
    "containerRegistry",
    "creationTime",
    "description",
    "discoveryUrl",
    "friendlyName",
    "hbiWorkspace",
    "imageBuildCompute",
    "keyVault",
    "primaryUserAssignedIdentity",
    "privateEndpointConnections",
    "provisioningState",
    "serviceProvisionedResourceGroup",
    "storageAccount",
];

fn workspace_v1(arm: &Value) -> Value {
    let mut out = Map::new();
    for key in ["id", "name", "location", "type", "tags"] {
        insert_non_null(&mut out, key, arm.get(key));
    }
    let props = arm.get("properties");
    for key in V1_PROPERTIES {
        insert_non_null(&mut out, key, props.and_then(|p| p.get(*key)));
    }
    let identity = arm.get("identity");
    insert_non_null(
        &mut out,
        "identityPrincipalId",
        identity.and_then(|i| i.get("principalId")),
    );
    insert_non_null(
        &mut out,
        "identityTenantId",
        identity.and_then(|i| i.get("tenantId")),
    );
    insert_non_null(
        &mut out,
        "identityType",
        identity.and_then(|i| i.get("type")),
    );
    let kv_props = props
        .and_then(|p| p.get("encryption"))
        .and_then(|e| e.get("keyVaultProperties"));
    insert_non_null(
        &mut out,
        "cmkKeyvault",
        kv_props.and_then(|k| k.get("keyVaultArmId")),
    );
    insert_non_null(
        &mut out,
        "resourceCmkUri",
        kv_props.and_then(|k| k.get("keyIdentifier")),
    );
    // The v1 CLI printed the tier; a body carrying only a name still deserves a sku.
    let sku = arm.get("sku");
    let sku_value = sku
        .and_then(|s| s.get("tier"))
        .filter(|v| !v.is_null())
        .or_else(|| sku.and_then(|s| s.get("name")));
    insert_non_null(&mut out, "sku", sku_value);
    insert_non_null(
        &mut out,
        "workspaceid",
        props.and_then(|p| p.get("workspaceId")),
    );
    if let Some(id) = arm.get("id").and_then(Value::as_str) {
        insert_opt(&mut out, "resourceGroup", id_value(id, "resourceGroups"));
    }
    Value::Object(out)
}

/// `properties.<arm>` → `<v2>`, copied as is when not null (azure-ai-ml's WorkspaceSchema).
const V2_PROPERTIES: &[(&str, &str)] = &[
    ("allowRoleAssignmentOnRG", "allow_roleassignment_on_rg"),
    ("applicationInsights", "application_insights"),
    ("containerRegistry", "container_registry"),
    ("description", "description"),
    ("discoveryUrl", "discovery_url"),
    ("enableDataIsolation", "enable_data_isolation"),
    ("friendlyName", "display_name"),
    ("hbiWorkspace", "hbi_workspace"),
    ("imageBuildCompute", "image_build_compute"),
    ("keyVault", "key_vault"),
    ("mlFlowTrackingUri", "mlflow_tracking_uri"),
    (
        "primaryUserAssignedIdentity",
        "primary_user_assigned_identity",
    ),
    ("publicNetworkAccess", "public_network_access"),
    ("storageAccount", "storage_account"),
    ("systemDatastoresAuthMode", "system_datastores_auth_mode"),
];

fn workspace_v2(arm: &Value) -> Value {
    let mut out = Map::new();
    for key in ["id", "name", "location", "tags"] {
        insert_non_null(&mut out, key, arm.get(key));
    }
    if let Some(id) = arm.get("id").and_then(Value::as_str) {
        insert_opt(&mut out, "resource_group", id_value(id, "resourceGroups"));
    }
    // azure-ai-ml shows a hub or a project as its own entity, whose schema prints `kind`
    // in lower case; a default workspace's schema has no `kind` (the 1.35 fixture has none).
    if let Some(kind) = arm.get("kind").and_then(Value::as_str) {
        if kind.eq_ignore_ascii_case("hub") || kind.eq_ignore_ascii_case("project") {
            out.insert("kind".into(), Value::String(kind.to_ascii_lowercase()));
        }
    }
    let props = arm.get("properties");
    for (from, to) in V2_PROPERTIES {
        insert_non_null(&mut out, to, props.and_then(|p| p.get(*from)));
    }
    if let Some(identity) = arm.get("identity").and_then(v2_identity) {
        out.insert("identity".into(), identity);
    }
    if let Some(cmk) = props.and_then(|p| p.get("encryption")).and_then(v2_cmk) {
        out.insert("customer_managed_key".into(), cmk);
    }
    if let Some(mn) = props
        .and_then(|p| p.get("managedNetwork"))
        .and_then(v2_managed_network)
    {
        out.insert("managed_network".into(), mn);
    }
    if let Some(sc) = props
        .and_then(|p| p.get("serverlessComputeSettings"))
        .and_then(v2_serverless)
    {
        out.insert("serverless_compute".into(), sc);
    }
    if let Some(acls) = props
        .and_then(|p| p.get("networkAcls"))
        .and_then(v2_network_acls)
    {
        out.insert("network_acls".into(), acls);
    }
    Value::Object(out)
}

/// ARM identity type → the snake_case names azure-ai-ml prints.
fn v2_identity_type(t: &str) -> String {
    let parts: Vec<String> = t.split(',').map(|p| camel_to_snake(p.trim())).collect();
    parts.join(",")
}

fn v2_identity(identity: &Value) -> Option<Value> {
    let obj = identity.as_object()?;
    let mut out = Map::new();
    if let Some(t) = obj.get("type").and_then(Value::as_str) {
        out.insert("type".into(), Value::String(v2_identity_type(t)));
    }
    insert_non_null(&mut out, "principal_id", obj.get("principalId"));
    insert_non_null(&mut out, "tenant_id", obj.get("tenantId"));
    if let Some(uais) = obj.get("userAssignedIdentities").and_then(Value::as_object) {
        let mut m = Map::new();
        for (rid, meta) in uais {
            let mut entry = Map::new();
            // azure-ai-ml keeps only the ids that are set (not even empty strings).
            for (from, to) in [("clientId", "client_id"), ("principalId", "principal_id")] {
                if let Some(s) = meta
                    .get(from)
                    .and_then(Value::as_str)
                    .filter(|s| !s.is_empty())
                {
                    entry.insert(to.into(), Value::String(s.into()));
                }
            }
            m.insert(rid.clone(), Value::Object(entry));
        }
        if !m.is_empty() {
            out.insert("user_assigned_identities".into(), Value::Object(m));
        }
    }
    if out.is_empty() {
        None
    } else {
        Some(Value::Object(out))
    }
}

/// Only an enabled encryption is a customer-managed key for azure-ai-ml.
fn v2_cmk(encryption: &Value) -> Option<Value> {
    let status = encryption.get("status").and_then(Value::as_str)?;
    if !status.eq_ignore_ascii_case("Enabled") {
        return None;
    }
    let kv = encryption.get("keyVaultProperties");
    let mut out = Map::new();
    insert_non_null(
        &mut out,
        "key_vault",
        kv.and_then(|k| k.get("keyVaultArmId")),
    );
    insert_non_null(&mut out, "key_uri", kv.and_then(|k| k.get("keyIdentifier")));
    insert_non_null(
        &mut out,
        "cosmosdb_id",
        encryption.get("cosmosDbResourceId"),
    );
    insert_non_null(
        &mut out,
        "storage_id",
        encryption.get("storageAccountResourceId"),
    );
    insert_non_null(
        &mut out,
        "search_id",
        encryption.get("searchAccountResourceId"),
    );
    Some(Value::Object(out))
}

fn v2_managed_network(mn: &Value) -> Option<Value> {
    let obj = mn.as_object()?;
    let mut out = Map::new();
    if let Some(mode) = obj.get("isolationMode").and_then(Value::as_str) {
        out.insert("isolation_mode".into(), Value::String(camel_to_snake(mode)));
    }
    insert_non_null(&mut out, "network_id", obj.get("networkId"));
    if let Some(status) = obj.get("status").and_then(Value::as_object) {
        let mut s = Map::new();
        insert_non_null(&mut s, "spark_ready", status.get("sparkReady"));
        insert_non_null(&mut s, "status", status.get("status"));
        out.insert("status".into(), Value::Object(s));
    }
    if let Some(sku) = obj.get("firewallSku").and_then(Value::as_str) {
        out.insert("firewall_sku".into(), Value::String(camel_to_snake(sku)));
    }
    if let Some(rules) = obj.get("outboundRules").and_then(Value::as_object) {
        let list: Vec<Value> = rules
            .iter()
            .map(|(name, rule)| {
                let mut r = Map::new();
                r.insert("name".into(), Value::String(name.clone()));
                for (from, to) in [("type", "type"), ("category", "category")] {
                    if let Some(s) = rule.get(from).and_then(Value::as_str) {
                        r.insert(to.into(), Value::String(camel_to_snake(s)));
                    }
                }
                insert_non_null(&mut r, "status", rule.get("status"));
                if let Some(d) = rule.get("destination").filter(|d| !d.is_null()) {
                    r.insert("destination".into(), snake_keys(d));
                }
                Value::Object(r)
            })
            .collect();
        out.insert("outbound_rules".into(), Value::Array(list));
    }
    Some(Value::Object(out))
}

fn v2_serverless(sc: &Value) -> Option<Value> {
    let obj = sc.as_object()?;
    let mut out = Map::new();
    insert_non_null(
        &mut out,
        "custom_subnet",
        obj.get("serverlessComputeCustomSubnet"),
    );
    insert_non_null(
        &mut out,
        "no_public_ip",
        obj.get("serverlessComputeNoPublicIP"),
    );
    if out.is_empty() {
        None
    } else {
        Some(Value::Object(out))
    }
}

fn v2_network_acls(acls: &Value) -> Option<Value> {
    let obj = acls.as_object()?;
    let mut out = Map::new();
    insert_non_null(&mut out, "default_action", obj.get("defaultAction"));
    if let Some(rules) = obj.get("ipRules").and_then(Value::as_array) {
        let list: Vec<Value> = rules
            .iter()
            .map(|r| {
                let mut m = Map::new();
                insert_non_null(&mut m, "value", r.get("value"));
                Value::Object(m)
            })
            .collect();
        out.insert("ip_rules".into(), Value::Array(list));
    }
    Some(Value::Object(out))
}

/// Object keys snake_cased at every level (`serviceResourceId` → `service_resource_id`),
/// as azure-ai-ml's schemas name the fields of nested network settings.
fn snake_keys(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, v)| (camel_to_snake(k), snake_keys(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(snake_keys).collect()),
        other => other.clone(),
    }
}

/// `SystemAssigned` → `system_assigned`, `AllowInternetOutbound` → `allow_internet_outbound`.
fn camel_to_snake(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 4);
    let chars: Vec<char> = s.chars().collect();
    for (i, c) in chars.iter().enumerate() {
        if c.is_uppercase() {
            let prev_lower =
                i > 0 && (chars[i - 1].is_lowercase() || chars[i - 1].is_ascii_digit());
            let next_lower = chars.get(i + 1).is_some_and(|n| n.is_lowercase());
            let prev_upper = i > 0 && chars[i - 1].is_uppercase();
            if i > 0 && (prev_lower || (prev_upper && next_lower)) {
                out.push('_');
            }
            out.extend(c.to_lowercase());
        } else {
            out.push(*c);
        }
    }
    out
}

fn str_at<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    let mut cur = v;
    for key in path {
        cur = cur.get(*key)?;
    }
    cur.as_str()
}

fn insert_non_null(out: &mut Map<String, Value>, key: &str, value: Option<&Value>) {
    if let Some(v) = value {
        if !v.is_null() {
            out.insert(key.to_string(), v.clone());
        }
    }
}

fn insert_opt(out: &mut Map<String, Value>, key: &str, value: Option<String>) {
    if let Some(v) = value {
        out.insert(key.to_string(), Value::String(v));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn id_value_is_case_insensitive_and_keeps_casing() {
        let id = "/subscriptions/S/resourcegroups/My_RG/providers/Microsoft.X/workspaces/W";
        assert_eq!(id_value(id, "resourceGroups").as_deref(), Some("My_RG"));
        assert_eq!(id_value(id, "subscriptions").as_deref(), Some("S"));
        assert_eq!(id_value(id, "vaults"), None);
        assert_eq!(id_value("", "resourceGroups"), None);
    }

    #[test]
    fn camel_to_snake_cases() {
        assert_eq!(camel_to_snake("SystemAssigned"), "system_assigned");
        assert_eq!(camel_to_snake("UserAssigned"), "user_assigned");
        assert_eq!(camel_to_snake("None"), "none");
        assert_eq!(
            camel_to_snake("AllowInternetOutbound"),
            "allow_internet_outbound"
        );
        assert_eq!(camel_to_snake("FQDN"), "fqdn");
        assert_eq!(
            v2_identity_type("SystemAssigned,UserAssigned"),
            "system_assigned,user_assigned"
        );
    }

    #[test]
    fn sort_keys_sorts_nested_objects_in_arrays() {
        let v = json!({"b": [{"z": 1, "a": {"y": 2, "x": 3}}], "a": null});
        let s = sort_keys(&v);
        assert_eq!(
            serde_json::to_string(&s).unwrap(),
            r#"{"a":null,"b":[{"a":{"x":3,"y":2},"z":1}]}"#
        );
    }

    #[test]
    fn v1_drops_nulls_and_unknown_properties_and_adds_cmk() {
        let arm = json!({
            "id": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws",
            "name": "ws", "type": "t", "location": "eastus", "tags": null,
            "sku": {"name": "Basic"},
            "properties": {
                "friendlyName": "f", "description": null, "notebookInfo": {"fqdn": "x"},
                "encryption": {"status": "Enabled", "keyVaultProperties": {
                    "keyVaultArmId": "/kv", "keyIdentifier": "https://kv/keys/k"}}
            }
        });
        let v = workspace(&arm, Format::V1);
        let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            [
                "cmkKeyvault",
                "friendlyName",
                "id",
                "location",
                "name",
                "resourceCmkUri",
                "resourceGroup",
                "sku",
                "type"
            ]
        );
        assert_eq!(v["sku"], "Basic");
        assert_eq!(v["cmkKeyvault"], "/kv");
    }

    #[test]
    fn v2_managed_network_snake_cases_rules() {
        let arm = json!({
            "id": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws",
            "properties": {"managedNetwork": {
                "isolationMode": "AllowOnlyApprovedOutbound",
                "status": {"status": "Active", "sparkReady": false},
                "outboundRules": {
                    "pypi": {"type": "FQDN", "category": "UserDefined", "destination": "pypi.org"},
                    "sa": {"type": "PrivateEndpoint", "category": "Required", "destination": {
                        "serviceResourceId": "/sa", "subresourceTarget": "blob", "sparkEnabled": true}}
                }
            }}
        });
        let v = workspace(&arm, Format::V2);
        let mn = &v["managed_network"];
        assert_eq!(mn["isolation_mode"], "allow_only_approved_outbound");
        assert_eq!(
            mn["status"],
            json!({"spark_ready": false, "status": "Active"})
        );
        assert_eq!(
            mn["outbound_rules"][0],
            json!({"category": "user_defined", "destination": "pypi.org", "name": "pypi", "type": "fqdn"})
        );
        assert_eq!(
            mn["outbound_rules"][1]["destination"],
            json!({"service_resource_id": "/sa", "spark_enabled": true, "subresource_target": "blob"})
        );
        assert_eq!(mn["outbound_rules"][1]["type"], "private_endpoint");
        assert_eq!(v["resource_group"], "rg");
    }

    #[test]
    fn v2_kind_only_for_hubs_and_projects() {
        let kind_of = |k: Value| {
            workspace(
                &json!({"id": "/subscriptions/s/resourceGroups/rg/providers/x/workspaces/w", "kind": k}),
                Format::V2,
            )
            .get("kind")
            .cloned()
        };
        assert_eq!(kind_of(json!("Hub")), Some(json!("hub")));
        assert_eq!(kind_of(json!("project")), Some(json!("project")));
        assert_eq!(kind_of(json!("Default")), None);
        assert_eq!(kind_of(json!("FeatureStore")), None);
        assert_eq!(kind_of(Value::Null), None);
    }

    #[test]
    fn v2_cmk_only_when_enabled() {
        let enc = json!({"status": "Disabled", "keyVaultProperties": {"keyVaultArmId": "/kv"}});
        assert_eq!(v2_cmk(&enc), None);
        let enc = json!({"status": "Enabled", "keyVaultProperties": {
            "keyVaultArmId": "/kv", "keyIdentifier": "u"}});
        assert_eq!(
            v2_cmk(&enc),
            Some(json!({"key_vault": "/kv", "key_uri": "u"}))
        );
    }

    #[test]
    fn list_entry_v1() {
        let arm = json!({"id": "/subscriptions/s1/resourceGroups/rg1/providers/Microsoft.MachineLearningServices/workspaces/ws1", "name": "ws1"});
        let v = workspace_list_entry(&arm, Format::V1);
        assert_eq!(
            serde_json::to_string(&v).unwrap(),
            r#"{"resourceGroup":"rg1","subscriptionId":"s1","workspaceName":"ws1"}"#
        );
        assert_eq!(workspace_list_entry(&arm, Format::Arm), arm);
    }

    #[test]
    fn group_keeps_nulls_for_missing_fields() {
        let v = group(&json!({"id": "/subscriptions/s/resourceGroups/g", "name": "g"}));
        assert_eq!(
            serde_json::to_string(&v).unwrap(),
            r#"{"id":"/subscriptions/s/resourceGroups/g","location":null,"managedBy":null,"name":"g","properties":{"provisioningState":null},"tags":null,"type":null}"#
        );
    }
}
