//! Input checks made before any request is sent. Each error says what to change.

use serde_json::{Map, Value};

use super::params::{GroupCreate, WorkspaceCreate, WorkspaceDelete, WorkspaceRef, WorkspaceUpdate};
use crate::arm::resource_id::{parse_dependent, ArmId, Kind};
use crate::error::{Error, Result};

/// ARM's rule: 1–90 of letters, digits, `_ ( ) - .` (Unicode letters and digits included),
/// not ending in `.`.
pub fn group_name(name: &str) -> Result<()> {
    let len = name.chars().count();
    if len == 0 || len > 90 {
        return Err(Error::validation(format!(
            "resource group name '{name}' must be 1 to 90 characters long (it has {len})"
        )));
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_alphanumeric() || matches!(c, '_' | '(' | ')' | '-' | '.')))
    {
        return Err(Error::validation(format!(
            "resource group name '{name}' may contain only letters, digits and _ ( ) - . (found {c:?})"
        )));
    }
    if name.ends_with('.') {
        return Err(Error::validation(format!(
            "resource group name '{name}' must not end with '.'"
        )));
    }
    Ok(())
}

/// `^[a-zA-Z0-9][a-zA-Z0-9_-]{2,32}$`.
pub fn workspace_name(name: &str) -> Result<()> {
    let ok_len = (3..=33).contains(&name.len());
    let mut chars = name.chars();
    let first_ok = chars.next().is_some_and(|c| c.is_ascii_alphanumeric());
    let rest_ok = chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if ok_len && first_ok && rest_ok {
        Ok(())
    } else {
        Err(Error::validation(format!(
            "workspace name '{name}' must be 3 to 33 characters of ASCII letters, digits, '_' and '-', starting with a letter or digit"
        )))
    }
}

pub fn location(loc: &str) -> Result<()> {
    if loc.trim().is_empty() {
        return Err(Error::validation(
            "location must not be empty: give an Azure region such as 'eastus'",
        ));
    }
    if !loc
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == ' ' || c == '-')
    {
        return Err(Error::validation(format!(
            "location '{loc}' is not an Azure region name (letters and digits, e.g. 'eastus')"
        )));
    }
    Ok(())
}

/// ARM tags: string values, names 1–512 characters without `< > % & \ ? /`, values up to 256.
pub fn tags(tags: &Map<String, Value>) -> Result<()> {
    if tags.len() > 50 {
        return Err(Error::validation(format!(
            "at most 50 tags are allowed ({} given)",
            tags.len()
        )));
    }
    for (k, v) in tags {
        let klen = k.chars().count();
        if klen == 0 || klen > 512 {
            return Err(Error::validation(format!(
                "tag name '{k}' must be 1 to 512 characters long"
            )));
        }
        if let Some(c) = k
            .chars()
            .find(|c| matches!(c, '<' | '>' | '%' | '&' | '\\' | '?' | '/'))
        {
            return Err(Error::validation(format!(
                "tag name '{k}' must not contain {c:?}"
            )));
        }
        match v {
            Value::String(s) if s.chars().count() <= 256 => {}
            Value::String(_) => {
                return Err(Error::validation(format!(
                    "the value of tag '{k}' must be at most 256 characters long"
                )))
            }
            _ => {
                return Err(Error::validation(format!(
                    "the value of tag '{k}' must be a string (got {v})"
                )))
            }
        }
    }
    Ok(())
}

/// Names of network resources: 1–80 of letters, digits, `_ . -`, starting with a letter or
/// digit and ending with a letter, digit or `_`.
fn network_name(what: &str, name: &str) -> Result<()> {
    let len = name.chars().count();
    let chars_ok = name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
    let first_ok = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphanumeric());
    let last_ok = name
        .chars()
        .last()
        .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
    if (1..=80).contains(&len) && chars_ok && first_ok && last_ok {
        Ok(())
    } else {
        Err(Error::validation(format!(
            "{what} '{name}' must be 1 to 80 characters of letters, digits, '_', '.' and '-', starting with a letter or digit and ending with a letter, digit or '_'"
        )))
    }
}

pub fn group_create(p: &GroupCreate) -> Result<()> {
    group_name(&p.name)?;
    location(&p.location)?;
    if let Some(t) = &p.tags {
        tags(t)?;
    }
    if let Some(m) = &p.managed_by {
        if m.trim().is_empty() {
            return Err(Error::validation(
                "managed_by must be the id of the managing resource, or omitted",
            ));
        }
    }
    Ok(())
}

pub fn workspace_ref(p: &WorkspaceRef) -> Result<()> {
    workspace_name(&p.name)?;
    group_name(&p.resource_group)
}

/// The workspace edition as ARM spells it. `enterprise` was retired (its features went to
/// Basic), so only `basic` is left; az's spelling is lower case, any case is accepted.
pub fn sku(sku: &str) -> Result<&'static str> {
    match sku.trim().to_ascii_lowercase().as_str() {
        "basic" => Ok("Basic"),
        "enterprise" => Err(Error::validation(format!(
            "sku '{sku}': the Enterprise edition was retired and its features are part of Basic; use sku='basic' or leave sku out"
        ))),
        _ => Err(Error::validation(format!(
            "sku '{sku}' is not a workspace edition: use 'basic' (the default)"
        ))),
    }
}

/// Properties fixed when a workspace is created, by their update option names, with what to
/// do instead.
const IMMUTABLE_ON_UPDATE: &[(&str, &str)] = &[
    ("location", "a workspace cannot move: create a new one in the other region"),
    ("storage_account", "the default storage account is fixed at creation: create a new workspace to use another one"),
    ("keyvault", "the key vault is fixed at creation: create a new workspace to use another one"),
    ("hbi_workspace", "high business impact can only be chosen at creation: create a new workspace with hbi_workspace=True"),
    ("cmk_keyvault", "the customer-managed key's vault is fixed at creation (only the key, resource_cmk_uri, can rotate): create a new workspace to use another vault"),
    ("allow_public_access_when_behind_vnet", "it is fixed at creation: use allow_public_access, which sets publicNetworkAccess, instead"),
];

pub fn workspace_update(p: &WorkspaceUpdate) -> Result<()> {
    workspace_name(&p.name)?;
    group_name(&p.resource_group)?;
    let given = [
        p.location.is_some(),
        p.storage_account.is_some(),
        p.keyvault.is_some(),
        p.hbi_workspace.is_some(),
        p.cmk_keyvault.is_some(),
        p.allow_public_access_when_behind_vnet.is_some(),
    ];
    if let Some(((option, why), _)) = IMMUTABLE_ON_UPDATE
        .iter()
        .zip(given)
        .find(|(_, given)| *given)
    {
        return Err(Error::validation(format!(
            "{option} cannot be changed by an update: {why}"
        )));
    }
    if let Some(id) = &p.primary_user_assigned_identity {
        parse_dependent(
            "primary_user_assigned_identity",
            id,
            Kind::UserAssignedIdentity,
        )?;
    }
    if let Some(t) = &p.tags {
        tags(t)?;
    }
    if let Some(c) = &p.image_build_compute {
        if c.trim().is_empty() {
            return Err(Error::validation(
                "image_build_compute must name a compute target, or be omitted",
            ));
        }
    }
    Ok(())
}

pub fn workspace_delete(p: &WorkspaceDelete) -> Result<()> {
    workspace_name(&p.name)?;
    group_name(&p.resource_group)
}

/// A subscription id: a GUID (ARM answers anything else with a 404 that says less).
pub fn subscription_id(id: &str) -> Result<()> {
    if id.len() == 36 && uuid::Uuid::try_parse(id).is_ok() {
        Ok(())
    } else {
        Err(Error::validation(format!(
            "subscription id '{id}' is not a GUID such as 00000000-0000-0000-0000-000000000000"
        )))
    }
}

/// The subscriptions to list: at least one, each a GUID; repeats (any case) dropped, the
/// first occurrence's place kept.
pub fn subscription_ids(ids: &[String]) -> Result<Vec<String>> {
    if ids.is_empty() {
        return Err(Error::validation(
            "subscription_ids is empty: give at least one subscription id, or leave it out to list the client's subscription",
        ));
    }
    let mut out: Vec<String> = Vec::new();
    for id in ids {
        subscription_id(id)?;
        if !out.iter().any(|o| o.eq_ignore_ascii_case(id)) {
            out.push(id.clone());
        }
    }
    Ok(out)
}

/// The linked resources given by id, parsed and type-checked.
#[derive(Debug, Clone)]
pub struct GivenDependents {
    pub storage_account: Option<ArmId>,
    pub keyvault: Option<ArmId>,
    pub application_insights: Option<ArmId>,
    pub container_registry: Option<ArmId>,
    pub cmk_keyvault: Option<ArmId>,
    pub primary_user_assigned_identity: Option<ArmId>,
    /// ARM's spelling of the `sku` option.
    pub sku: &'static str,
}

/// The subnet name when none is given (PYTHON-API.md).
pub const DEFAULT_SUBNET: &str = "default";

/// Everything about a create request that can be checked without a request.
pub fn workspace_create(p: &WorkspaceCreate) -> Result<GivenDependents> {
    workspace_name(&p.name)?;
    group_name(&p.resource_group)?;
    if let Some(l) = &p.location {
        location(l)?;
    }
    if let Some(t) = &p.tags {
        tags(t)?;
    }
    if let Some(t) = &p.tenant_id {
        if t.trim().is_empty() {
            return Err(Error::validation(
                "tenant_id must be the directory (tenant) id, or omitted",
            ));
        }
    }
    let dep = |option: &str, v: &Option<String>, kind| -> Result<Option<ArmId>> {
        v.as_deref()
            .map(|id| parse_dependent(option, id, kind))
            .transpose()
    };
    let given = GivenDependents {
        storage_account: dep("storage_account", &p.storage_account, Kind::StorageAccount)?,
        keyvault: dep("keyvault", &p.keyvault, Kind::KeyVault)?,
        application_insights: dep(
            "application_insights",
            &p.application_insights,
            Kind::AppInsights,
        )?,
        container_registry: dep(
            "container_registry",
            &p.container_registry,
            Kind::ContainerRegistry,
        )?,
        cmk_keyvault: dep("cmk_keyvault", &p.cmk_keyvault, Kind::KeyVault)?,
        primary_user_assigned_identity: dep(
            "primary_user_assigned_identity",
            &p.primary_user_assigned_identity,
            Kind::UserAssignedIdentity,
        )?,
        sku: p.sku.as_deref().map(sku).transpose()?.unwrap_or("Basic"),
    };
    cmk(p.cmk_keyvault.as_deref(), p.resource_cmk_uri.as_deref())?;
    private_endpoint(p)?;
    Ok(given)
}

/// A customer-managed key needs both the vault and the key.
pub fn cmk(keyvault: Option<&str>, key_uri: Option<&str>) -> Result<()> {
    match (keyvault, key_uri) {
        (None, None) => Ok(()),
        (Some(_), None) => Err(Error::validation(
            "cmk_keyvault was given without resource_cmk_uri: give both (the key vault's id and the key's URI) or neither",
        )),
        (None, Some(_)) => Err(Error::validation(
            "resource_cmk_uri was given without cmk_keyvault: give both (the key vault's id and the key's URI) or neither",
        )),
        (Some(_), Some(uri)) => {
            let ok = url::Url::parse(uri).ok().is_some_and(|u| {
                u.scheme() == "https"
                    && u.host_str().is_some()
                    && u.path_segments()
                        .and_then(|mut s| s.next())
                        .is_some_and(|first| first.eq_ignore_ascii_case("keys"))
                    && u.path_segments().is_some_and(|s| s.filter(|x| !x.is_empty()).count() >= 2)
            });
            if ok {
                Ok(())
            } else {
                Err(Error::validation(format!(
                    "resource_cmk_uri '{uri}' must be a key URI such as https://{{vault}}.vault.azure.net/keys/{{key}}/{{version}}"
                )))
            }
        }
    }
}

/// `pe_*` options only make sense with `pe_name`, which needs a virtual network.
pub fn private_endpoint(p: &WorkspaceCreate) -> Result<()> {
    let Some(name) = &p.pe_name else {
        let stray: Vec<&str> = [
            ("pe_auto_approval", p.pe_auto_approval),
            ("pe_resource_group", p.pe_resource_group.is_some()),
            ("pe_vnet_name", p.pe_vnet_name.is_some()),
            (
                "pe_subnet_name",
                p.pe_subnet_name
                    .as_deref()
                    .is_some_and(|s| s != DEFAULT_SUBNET),
            ),
        ]
        .into_iter()
        .filter(|(_, set)| *set)
        .map(|(n, _)| n)
        .collect();
        if stray.is_empty() {
            return Ok(());
        }
        return Err(Error::validation(format!(
            "{} given without pe_name: give pe_name (and pe_vnet_name) to create a private endpoint, or drop them",
            stray.join(", ")
        )));
    };
    network_name("pe_name", name)?;
    let Some(vnet) = &p.pe_vnet_name else {
        return Err(Error::validation(
            "pe_name needs pe_vnet_name: the virtual network whose subnet receives the private endpoint",
        ));
    };
    if vnet.chars().count() < 2 {
        return Err(Error::validation(format!(
            "pe_vnet_name '{vnet}' must be 2 to 64 characters long"
        )));
    }
    network_name("pe_vnet_name", vnet)?;
    if let Some(subnet) = &p.pe_subnet_name {
        network_name("pe_subnet_name", subnet)?;
    }
    if let Some(g) = &p.pe_resource_group {
        group_name(g)
            .map_err(|e| Error::validation(format!("pe_resource_group: {}", e.message)))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    fn ws() -> WorkspaceCreate {
        WorkspaceCreate {
            name: "ws1".into(),
            resource_group: "rg".into(),
            ..Default::default()
        }
    }

    fn msg(r: Result<impl std::fmt::Debug>) -> String {
        let e = r.unwrap_err();
        assert_eq!(e.kind, ErrorKind::Validation);
        e.message
    }

    #[test]
    fn group_names() {
        for ok in ["a", "rg-1", "my_rg.(x)", "ñandú", &"a".repeat(90)] {
            assert!(group_name(ok).is_ok(), "{ok}");
        }
        assert!(msg(group_name("")).contains("1 to 90"));
        assert!(msg(group_name(&"a".repeat(91))).contains("1 to 90"));
        assert!(msg(group_name("rg.")).contains("must not end with '.'"));
        assert!(msg(group_name("a/b")).contains("only letters"));
        assert!(msg(group_name("a b")).contains("only letters"));
    }

    #[test]
    fn workspace_names() {
        for ok in ["abc", "A1_-", "1ws", &"a".repeat(33)] {
            assert!(workspace_name(ok).is_ok(), "{ok}");
        }
        for bad in [
            "ab",
            "_abc",
            "-abc",
            "ws.1",
            "wsé1",
            "a b c",
            &"a".repeat(34),
        ] {
            assert!(msg(workspace_name(bad)).contains("3 to 33"), "{bad}");
        }
    }

    #[test]
    fn locations() {
        assert!(location("eastus").is_ok());
        assert!(location("East US 2").is_ok());
        assert!(msg(location("")).contains("must not be empty"));
        assert!(msg(location("  ")).contains("must not be empty"));
        assert!(msg(location("east/us")).contains("not an Azure region"));
    }

    #[test]
    fn tag_rules() {
        let mut t = Map::new();
        t.insert("team".into(), "ml".into());
        t.insert("empty".into(), "".into());
        assert!(tags(&t).is_ok());
        t.insert("n".into(), Value::from(3));
        assert!(msg(tags(&t)).contains("must be a string"));
        let mut t = Map::new();
        t.insert("a/b".into(), "x".into());
        assert!(msg(tags(&t)).contains("must not contain"));
    }

    #[test]
    fn group_create_checks_everything() {
        let p = GroupCreate {
            name: "rg".into(),
            location: "".into(),
            ..Default::default()
        };
        assert!(msg(group_create(&p)).contains("location"));
        let p = GroupCreate {
            name: "rg".into(),
            location: "eastus".into(),
            managed_by: Some(" ".into()),
            ..Default::default()
        };
        assert!(msg(group_create(&p)).contains("managed_by"));
    }

    #[test]
    fn dependents_must_have_the_right_type() {
        let sa =
            "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/sa";
        let kv = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv";
        let p = WorkspaceCreate {
            storage_account: Some(kv.into()),
            ..ws()
        };
        assert!(msg(workspace_create(&p))
            .starts_with("storage_account must be the id of a storage account"));
        let p = WorkspaceCreate {
            storage_account: Some(sa.to_uppercase()),
            keyvault: Some(kv.into()),
            ..ws()
        };
        let given = workspace_create(&p).unwrap();
        assert_eq!(given.storage_account.unwrap().name(), "SA");
        assert_eq!(given.keyvault.unwrap().name(), "kv");
        let p = WorkspaceCreate {
            container_registry: Some("myacr".into()),
            ..ws()
        };
        assert!(msg(workspace_create(&p)).starts_with("container_registry must be the ARM id"));
    }

    #[test]
    fn cmk_both_or_neither() {
        let kv = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv";
        let uri = "https://kv.vault.azure.net/keys/k1/0123";
        let with = |k: Option<&str>, u: Option<&str>| WorkspaceCreate {
            cmk_keyvault: k.map(Into::into),
            resource_cmk_uri: u.map(Into::into),
            ..ws()
        };
        assert!(workspace_create(&with(Some(kv), Some(uri))).is_ok());
        assert!(workspace_create(&with(None, None)).is_ok());
        assert!(msg(workspace_create(&with(Some(kv), None))).contains("without resource_cmk_uri"));
        assert!(msg(workspace_create(&with(None, Some(uri)))).contains("without cmk_keyvault"));
        assert!(
            msg(workspace_create(&with(Some(kv), Some("http://kv/keys/k")))).contains("key URI")
        );
        assert!(msg(workspace_create(&with(
            Some(kv),
            Some("https://kv.vault.azure.net/secrets/s")
        )))
        .contains("key URI"));
        let sa =
            "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/sa";
        assert!(msg(workspace_create(&with(Some(sa), Some(uri))))
            .starts_with("cmk_keyvault must be the id of a key vault"));
    }

    #[test]
    fn private_endpoint_options_are_consistent() {
        assert!(workspace_create(&WorkspaceCreate {
            pe_subnet_name: Some("default".into()),
            ..ws()
        })
        .is_ok());
        let m = msg(workspace_create(&WorkspaceCreate {
            pe_auto_approval: true,
            pe_vnet_name: Some("vnet".into()),
            ..ws()
        }));
        assert!(
            m.contains("pe_auto_approval, pe_vnet_name given without pe_name"),
            "{m}"
        );
        let m = msg(workspace_create(&WorkspaceCreate {
            pe_name: Some("pe1".into()),
            ..ws()
        }));
        assert!(m.contains("needs pe_vnet_name"));
        assert!(workspace_create(&WorkspaceCreate {
            pe_name: Some("pe1".into()),
            pe_vnet_name: Some("vnet1".into()),
            pe_subnet_name: Some("snet".into()),
            pe_resource_group: Some("net-rg".into()),
            pe_auto_approval: true,
            ..ws()
        })
        .is_ok());
        let m = msg(workspace_create(&WorkspaceCreate {
            pe_name: Some("pe1-".into()),
            pe_vnet_name: Some("vnet1".into()),
            ..ws()
        }));
        assert!(m.starts_with("pe_name 'pe1-'"), "{m}");
        let m = msg(workspace_create(&WorkspaceCreate {
            pe_name: Some("pe1".into()),
            pe_vnet_name: Some("vnet1".into()),
            pe_resource_group: Some("bad.".into()),
            ..ws()
        }));
        assert!(m.starts_with("pe_resource_group:"), "{m}");
    }

    #[test]
    fn workspace_create_checks_names_location_and_tags() {
        assert!(msg(workspace_create(&WorkspaceCreate {
            name: "x".into(),
            ..ws()
        }))
        .contains("workspace name"));
        assert!(msg(workspace_create(&WorkspaceCreate {
            location: Some("".into()),
            ..ws()
        }))
        .contains("location"));
        let mut t = Map::new();
        t.insert("k".into(), Value::Bool(true));
        assert!(msg(workspace_create(&WorkspaceCreate {
            tags: Some(t),
            ..ws()
        }))
        .contains("tag 'k'"));
    }
}
