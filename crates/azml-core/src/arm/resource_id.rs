//! ARM resource ids: the kinds of resource a workspace links to, the ids users give for them
//! (parsed and checked before any request), and every request path the client builds. Every
//! name that goes into a path goes through `encode_segment`, so a name can never add a
//! segment or a query to the URL.

use crate::arm::api_versions;
use crate::error::{Error, Result};

pub const ML_NAMESPACE: &str = "Microsoft.MachineLearningServices";

/// Percent-encode one path segment (a resource or group name).
pub fn encode_segment(segment: &str) -> String {
    percent_encoding::utf8_percent_encode(segment, SEGMENT).to_string()
}

const SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~')
    .remove(b'(')
    .remove(b')');

/// The kinds of resource a workspace links to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Kind {
    StorageAccount,
    KeyVault,
    AppInsights,
    ContainerRegistry,
    Workspace,
    VirtualNetwork,
    UserAssignedIdentity,
    /// What a (workspace-based) App Insights component sends its data to.
    LogAnalytics,
}

impl Kind {
    pub fn namespace(self) -> &'static str {
        match self {
            Kind::StorageAccount => "Microsoft.Storage",
            Kind::KeyVault => "Microsoft.KeyVault",
            Kind::AppInsights => "Microsoft.Insights",
            Kind::ContainerRegistry => "Microsoft.ContainerRegistry",
            Kind::Workspace => ML_NAMESPACE,
            Kind::VirtualNetwork => "Microsoft.Network",
            Kind::UserAssignedIdentity => "Microsoft.ManagedIdentity",
            Kind::LogAnalytics => "Microsoft.OperationalInsights",
        }
    }

    pub fn type_name(self) -> &'static str {
        match self {
            Kind::StorageAccount => "storageAccounts",
            Kind::KeyVault => "vaults",
            Kind::AppInsights => "components",
            Kind::ContainerRegistry => "registries",
            Kind::Workspace => "workspaces",
            Kind::VirtualNetwork => "virtualNetworks",
            Kind::UserAssignedIdentity => "userAssignedIdentities",
            Kind::LogAnalytics => "workspaces",
        }
    }

    pub fn api_version(self) -> &'static str {
        match self {
            Kind::StorageAccount => api_versions::STORAGE_ACCOUNTS,
            Kind::KeyVault => api_versions::KEY_VAULTS,
            Kind::AppInsights => api_versions::APP_INSIGHTS,
            Kind::ContainerRegistry => api_versions::CONTAINER_REGISTRIES,
            Kind::Workspace => api_versions::WORKSPACES,
            Kind::VirtualNetwork => api_versions::NETWORK,
            Kind::UserAssignedIdentity => api_versions::MANAGED_IDENTITIES,
            Kind::LogAnalytics => api_versions::LOG_ANALYTICS,
        }
    }

    /// How error messages name it.
    pub fn label(self) -> &'static str {
        match self {
            Kind::StorageAccount => "storage account",
            Kind::KeyVault => "key vault",
            Kind::AppInsights => "application insights",
            Kind::ContainerRegistry => "container registry",
            Kind::Workspace => "workspace",
            Kind::VirtualNetwork => "virtual network",
            Kind::UserAssignedIdentity => "user-assigned identity",
            Kind::LogAnalytics => "log analytics workspace",
        }
    }

    /// `Microsoft.Storage/storageAccounts`.
    pub fn full_type(self) -> String {
        format!("{}/{}", self.namespace(), self.type_name())
    }

    /// The kind of a parsed id, if it is one of ours (case-insensitive: the service echoes
    /// ids with its own casing, e.g. `Microsoft.Keyvault`).
    pub fn of(id: &ArmId) -> Option<Kind> {
        [
            Kind::StorageAccount,
            Kind::KeyVault,
            Kind::AppInsights,
            Kind::ContainerRegistry,
            Kind::Workspace,
            Kind::VirtualNetwork,
            Kind::UserAssignedIdentity,
            Kind::LogAnalytics,
        ]
        .into_iter()
        .find(|k| id.is_type(*k))
    }
}

/// A parsed resource id `/subscriptions/{s}/resourceGroups/{g}/providers/{ns}/{type}/{name}`
/// (nested types allowed). Casing of values kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArmId {
    pub subscription: String,
    pub resource_group: String,
    pub namespace: String,
    /// `(type, name)` pairs, outermost first.
    pub types: Vec<(String, String)>,
}

impl ArmId {
    /// Parse a resource id; the error says what is wrong with it.
    pub fn parse(id: &str) -> std::result::Result<ArmId, String> {
        if id.chars().any(|c| c.is_control() || matches!(c, '?' | '#')) {
            return Err("it contains a control character, '?' or '#'".into());
        }
        let rest = id
            .strip_prefix('/')
            .ok_or_else(|| "it does not start with '/subscriptions/'".to_string())?;
        let parts: Vec<&str> = rest.trim_end_matches('/').split('/').collect();
        if parts.iter().any(|p| p.is_empty()) {
            return Err("it has an empty segment".into());
        }
        let expect = |i: usize, key: &str| -> std::result::Result<(), String> {
            match parts.get(i) {
                Some(p) if p.eq_ignore_ascii_case(key) => Ok(()),
                _ => Err(format!(
                    "expected the form /subscriptions/{{id}}/resourceGroups/{{group}}/providers/{{namespace}}/{{type}}/{{name}} (no '{key}' segment where expected)"
                )),
            }
        };
        expect(0, "subscriptions")?;
        expect(2, "resourceGroups")?;
        expect(4, "providers")?;
        if parts.len() < 8 || !(parts.len() - 6).is_multiple_of(2) {
            return Err(
                "expected the form /subscriptions/{id}/resourceGroups/{group}/providers/{namespace}/{type}/{name}"
                    .into(),
            );
        }
        let types = parts[6..]
            .chunks(2)
            .map(|c| (c[0].to_string(), c[1].to_string()))
            .collect();
        Ok(ArmId {
            subscription: parts[1].to_string(),
            resource_group: parts[3].to_string(),
            namespace: parts[5].to_string(),
            types,
        })
    }

    /// The last name (the resource's own).
    pub fn name(&self) -> &str {
        &self.types.last().expect("parse guarantees one type").1
    }

    /// A top-level resource of this kind (not a child resource).
    pub fn is_type(&self, kind: Kind) -> bool {
        self.types.len() == 1
            && self.namespace.eq_ignore_ascii_case(kind.namespace())
            && self.types[0].0.eq_ignore_ascii_case(kind.type_name())
    }

    /// The request path, every segment encoded.
    pub fn path(&self) -> String {
        let mut p = format!(
            "/subscriptions/{}/resourceGroups/{}/providers/{}",
            encode_segment(&self.subscription),
            encode_segment(&self.resource_group),
            encode_segment(&self.namespace)
        );
        for (t, n) in &self.types {
            p.push('/');
            p.push_str(&encode_segment(t));
            p.push('/');
            p.push_str(&encode_segment(n));
        }
        p
    }
}

/// Parse the id given for option `option` and check it is a `kind`.
pub fn parse_dependent(option: &str, id: &str, kind: Kind) -> Result<ArmId> {
    let parsed = ArmId::parse(id).map_err(|why| {
        Error::validation(format!(
            "{option} must be the ARM id of an existing {} (e.g. /subscriptions/{{id}}/resourceGroups/{{group}}/providers/{}/{{name}}); '{id}' is not: {why}",
            kind.label(),
            kind.full_type()
        ))
    })?;
    if !parsed.is_type(kind) {
        let got: Vec<&str> = parsed.types.iter().map(|(t, _)| t.as_str()).collect();
        return Err(Error::validation(format!(
            "{option} must be the id of a {} ({}), but '{id}' is a {}/{}",
            kind.label(),
            kind.full_type(),
            parsed.namespace,
            got.join("/")
        )));
    }
    Ok(parsed)
}

pub fn subscription_path(sub: &str) -> String {
    format!("/subscriptions/{}", encode_segment(sub))
}

pub fn group_path(sub: &str, group: &str) -> String {
    format!(
        "/subscriptions/{}/resourcegroups/{}",
        encode_segment(sub),
        encode_segment(group)
    )
}

pub fn groups_path(sub: &str) -> String {
    format!("/subscriptions/{}/resourcegroups", encode_segment(sub))
}

/// Path of a top-level resource of `kind` named `name` in `group`.
pub fn resource_path(sub: &str, group: &str, kind: Kind, name: &str) -> String {
    format!(
        "{}/{}",
        resources_path(sub, group, kind),
        encode_segment(name)
    )
}

/// Path of the collection of `kind` in `group`.
pub fn resources_path(sub: &str, group: &str, kind: Kind) -> String {
    format!(
        "/subscriptions/{}/resourceGroups/{}/providers/{}/{}",
        encode_segment(sub),
        encode_segment(group),
        kind.namespace(),
        kind.type_name()
    )
}

/// The plain (unencoded) id of a resource, as the service writes it in bodies.
pub fn resource_id(sub: &str, group: &str, kind: Kind, name: &str) -> String {
    format!(
        "/subscriptions/{sub}/resourceGroups/{group}/providers/{}/{}/{name}",
        kind.namespace(),
        kind.type_name()
    )
}

pub fn workspace_path(sub: &str, group: &str, name: &str) -> String {
    resource_path(sub, group, Kind::Workspace, name)
}

/// Every workspace of the subscription.
pub fn subscription_workspaces_path(sub: &str) -> String {
    format!(
        "/subscriptions/{}/providers/{ML_NAMESPACE}/workspaces",
        encode_segment(sub)
    )
}

pub fn private_endpoint_path(sub: &str, group: &str, name: &str) -> String {
    format!(
        "/subscriptions/{}/resourceGroups/{}/providers/Microsoft.Network/privateEndpoints/{}",
        encode_segment(sub),
        encode_segment(group),
        encode_segment(name)
    )
}

/// Path of a subnet (for the existence check) and its plain id (for the endpoint body).
pub fn subnet_path_and_id(sub: &str, group: &str, vnet: &str, subnet: &str) -> (String, String) {
    let path = format!(
        "{}/subnets/{}",
        resource_path(sub, group, Kind::VirtualNetwork, vnet),
        encode_segment(subnet)
    );
    let id = format!(
        "{}/subnets/{subnet}",
        resource_id(sub, group, Kind::VirtualNetwork, vnet)
    );
    (path, id)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SA: &str =
        "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/sa1";

    #[test]
    fn parses_ids_case_insensitively() {
        let id = ArmId::parse(
            "/SUBSCRIPTIONS/s/resourcegroups/My-RG/providers/microsoft.keyvault/VAULTS/kv1",
        )
        .unwrap();
        assert_eq!(id.subscription, "s");
        assert_eq!(id.resource_group, "My-RG");
        assert_eq!(id.name(), "kv1");
        assert!(id.is_type(Kind::KeyVault));
        assert_eq!(Kind::of(&id), Some(Kind::KeyVault));
        assert!(!id.is_type(Kind::StorageAccount));
    }

    #[test]
    fn rejects_malformed_ids() {
        for bad in [
            "",
            "sa1",
            "subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/sa1",
            "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts",
            "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/sa1/x",
            "/subscriptions/s/groups/rg/providers/Microsoft.Storage/storageAccounts/sa1",
            "/subscriptions//resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/sa1",
            "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/sa1?x=1",
        ] {
            assert!(ArmId::parse(bad).is_err(), "{bad:?} accepted");
        }
        assert!(ArmId::parse(SA).is_ok());
        assert!(ArmId::parse(&format!("{SA}/")).is_ok());
    }

    #[test]
    fn dependent_of_wrong_type_is_a_validation_error() {
        let err = parse_dependent("keyvault", SA, Kind::KeyVault).unwrap_err();
        assert_eq!(err.kind, crate::ErrorKind::Validation);
        assert!(
            err.message.contains("Microsoft.KeyVault/vaults"),
            "{}",
            err.message
        );
        assert!(err.message.contains("Microsoft.Storage/storageAccounts"));
        let err = parse_dependent("storage_account", "sa1", Kind::StorageAccount).unwrap_err();
        assert!(err
            .message
            .starts_with("storage_account must be the ARM id"));
        assert!(parse_dependent("storage_account", SA, Kind::StorageAccount).is_ok());
    }

    #[test]
    fn paths_encode_names() {
        assert_eq!(
            workspace_path("s", "rg (1)", "ws"),
            "/subscriptions/s/resourceGroups/rg%20(1)/providers/Microsoft.MachineLearningServices/workspaces/ws"
        );
        assert_eq!(
            group_path("s", "a/b"),
            "/subscriptions/s/resourcegroups/a%2Fb"
        );
        let id = ArmId::parse(SA).unwrap();
        assert_eq!(id.path(), SA);
        let (path, id) = subnet_path_and_id("s", "rg", "vnet", "default");
        assert_eq!(
            path,
            "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/vnet/subnets/default"
        );
        assert_eq!(path, id);
    }
}
