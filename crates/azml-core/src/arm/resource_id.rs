//! ARM resource ids: parsing (case-insensitive keys, casing of values preserved) and
//! building paths with encoded segments.

use std::fmt;
use std::hash::{Hash, Hasher};
use std::str::FromStr;

use crate::error::{Error, Result};

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

/// Checks one value that is about to become a path segment. `.` and `..` are refused
/// because URL normalisation would turn them into a different path.
fn check_segment(what: &str, value: &str) -> Result<()> {
    if value.is_empty() {
        return Err(Error::validation(format!("{what} must not be empty")));
    }
    if value == "." || value == ".." {
        return Err(Error::validation(format!("{what} must not be '{value}'")));
    }
    if value.chars().any(|c| c.is_control()) {
        return Err(Error::validation(format!(
            "{what} must not contain control characters"
        )));
    }
    Ok(())
}

/// `/subscriptions/{sub}`.
pub fn subscription_path(subscription: &str) -> Result<String> {
    check_segment("subscription id", subscription)?;
    Ok(format!("/subscriptions/{}", encode_segment(subscription)))
}

/// `/subscriptions/{sub}/resourceGroups/{group}`.
pub fn resource_group_path(subscription: &str, group: &str) -> Result<String> {
    check_segment("resource group name", group)?;
    Ok(format!(
        "{}/resourceGroups/{}",
        subscription_path(subscription)?,
        encode_segment(group)
    ))
}

/// `/subscriptions/{sub}/resourceGroups/{group}/providers/{namespace}/{type}` (a collection).
/// `resource_type` may be nested (`virtualNetworks/subnets` is not valid here; use
/// [`child_path`] for children).
pub fn provider_collection_path(
    subscription: &str,
    group: &str,
    namespace: &str,
    resource_type: &str,
) -> Result<String> {
    check_segment("provider namespace", namespace)?;
    check_segment("resource type", resource_type)?;
    Ok(format!(
        "{}/providers/{}/{}",
        resource_group_path(subscription, group)?,
        encode_segment(namespace),
        encode_segment(resource_type)
    ))
}

/// `/subscriptions/{sub}/resourceGroups/{group}/providers/{namespace}/{type}/{name}`.
pub fn resource_path(
    subscription: &str,
    group: &str,
    namespace: &str,
    resource_type: &str,
    name: &str,
) -> Result<String> {
    check_segment("resource name", name)?;
    Ok(format!(
        "{}/{}",
        provider_collection_path(subscription, group, namespace, resource_type)?,
        encode_segment(name)
    ))
}

/// `/subscriptions/{sub}/providers/{namespace}/{type}` (a subscription-wide collection).
pub fn subscription_provider_path(
    subscription: &str,
    namespace: &str,
    resource_type: &str,
) -> Result<String> {
    check_segment("provider namespace", namespace)?;
    check_segment("resource type", resource_type)?;
    Ok(format!(
        "{}/providers/{}/{}",
        subscription_path(subscription)?,
        encode_segment(namespace),
        encode_segment(resource_type)
    ))
}

/// `{parent}/{child_type}/{name}` for a child resource (`…/virtualNetworks/v/subnets/s`) or an
/// action path when `name` is the action. `parent` must already be an encoded path.
pub fn child_path(parent: &str, child_type: &str, name: &str) -> Result<String> {
    if !parent.starts_with('/') {
        return Err(Error::validation(format!(
            "parent path must start with '/': {parent:?}"
        )));
    }
    check_segment("child resource type", child_type)?;
    check_segment("child resource name", name)?;
    Ok(format!(
        "{}/{}/{}",
        parent.trim_end_matches('/'),
        encode_segment(child_type),
        encode_segment(name)
    ))
}

/// A parsed ARM resource id.
///
/// Accepted shapes (keywords `subscriptions`, `resourceGroups`, `providers` in any casing):
/// `/subscriptions/{s}`, `/subscriptions/{s}/resourceGroups/{g}`,
/// `/subscriptions/{s}[/resourceGroups/{g}]/providers/{ns}/{type}/{name}[/{child}/{n}…]`,
/// optionally followed by extension resources (`…/providers/{ns2}/{type2}/{name2}`).
/// Equality and hashing ignore case, as ARM does.
#[derive(Debug, Clone)]
pub struct ResourceId {
    original: String,
    subscription: String,
    resource_group: Option<String>,
    /// The namespace of the last `providers/{ns}` block.
    namespace: Option<String>,
    /// `Microsoft.X/type[/child…]`, or `Microsoft.Resources/resourceGroups` /
    /// `Microsoft.Resources/subscriptions` for ids without a provider block.
    resource_type: String,
    name: String,
    /// All raw segments (unencoded), for rebuilding the encoded path and the parent.
    segments: Vec<String>,
}

impl ResourceId {
    /// Parses an ARM id. Errors are [`crate::ErrorKind::Validation`] and name the problem.
    pub fn parse(id: &str) -> Result<ResourceId> {
        let bad = |why: &str| Error::validation(format!("invalid ARM resource id {id:?}: {why}"));
        let trimmed = id.trim();
        if !trimmed.starts_with('/') {
            return Err(bad("it must start with '/subscriptions/'"));
        }
        let body = trimmed.trim_end_matches('/');
        let segments: Vec<String> = body[1..].split('/').map(str::to_string).collect();
        if segments.iter().any(|s| s.is_empty()) {
            return Err(bad("it has an empty segment"));
        }
        if !segments[0].eq_ignore_ascii_case("subscriptions") {
            return Err(bad("it must start with '/subscriptions/'"));
        }
        let subscription = segments
            .get(1)
            .cloned()
            .ok_or_else(|| bad("the subscription id is missing"))?;
        let mut resource_group = None;
        let mut i = 2;
        if let Some(kw) = segments.get(i) {
            if kw.eq_ignore_ascii_case("resourceGroups") {
                let g = segments
                    .get(i + 1)
                    .ok_or_else(|| bad("the resource group name is missing"))?;
                resource_group = Some(g.clone());
                i += 2;
            }
        }
        let mut namespace = None;
        let mut resource_type = match &resource_group {
            Some(_) => "Microsoft.Resources/resourceGroups".to_string(),
            None => "Microsoft.Resources/subscriptions".to_string(),
        };
        let mut name = resource_group
            .clone()
            .unwrap_or_else(|| subscription.clone());
        if i < segments.len() {
            // One or more provider blocks: providers/{ns}/{type}/{name}(/{type}/{name})*
            while i < segments.len() {
                if !segments[i].eq_ignore_ascii_case("providers") {
                    return Err(bad(&format!(
                        "expected 'providers' but found {:?}",
                        segments[i]
                    )));
                }
                let ns = segments
                    .get(i + 1)
                    .ok_or_else(|| bad("the provider namespace is missing"))?;
                i += 2;
                let mut full_type = ns.clone();
                let mut pairs = 0;
                while i < segments.len() && !segments[i].eq_ignore_ascii_case("providers") {
                    let t = &segments[i];
                    let n = segments
                        .get(i + 1)
                        .ok_or_else(|| bad(&format!("the name after type {t:?} is missing")))?;
                    full_type.push('/');
                    full_type.push_str(t);
                    name = n.clone();
                    pairs += 1;
                    i += 2;
                }
                if pairs == 0 {
                    return Err(bad(&format!(
                        "no resource type and name after provider {ns:?}"
                    )));
                }
                namespace = Some(ns.clone());
                resource_type = full_type;
            }
        }
        Ok(ResourceId {
            original: body.to_string(),
            subscription,
            resource_group,
            namespace,
            resource_type,
            name,
            segments,
        })
    }

    pub fn subscription(&self) -> &str {
        &self.subscription
    }

    pub fn resource_group(&self) -> Option<&str> {
        self.resource_group.as_deref()
    }

    /// Provider namespace of the (last) resource, e.g. `Microsoft.MachineLearningServices`.
    pub fn namespace(&self) -> Option<&str> {
        self.namespace.as_deref()
    }

    /// Full type, e.g. `Microsoft.MachineLearningServices/workspaces` or
    /// `Microsoft.Network/virtualNetworks/subnets` for a child.
    pub fn resource_type(&self) -> &str {
        &self.resource_type
    }

    /// Name of the last resource in the id (for a child, the child's name).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The id as given (trailing `/` removed), unencoded.
    pub fn as_str(&self) -> &str {
        &self.original
    }

    /// The id as a request path with every segment percent-encoded, for [`super::ArmClient`].
    pub fn to_path(&self) -> String {
        let mut out = String::with_capacity(self.original.len() + 8);
        for s in &self.segments {
            out.push('/');
            out.push_str(&encode_segment(s));
        }
        out
    }

    /// The enclosing resource: the parent of a child, the resource an extension resource
    /// hangs on, the group of a top-level resource, the subscription of a group; `None` for a
    /// subscription.
    pub fn parent(&self) -> Option<ResourceId> {
        let n = self.segments.len();
        if n <= 2 {
            return None;
        }
        // Drop the last type/name pair; then a dangling `providers/{ns}` too.
        let mut keep = n - 2;
        if keep >= 2 && self.segments[keep - 2].eq_ignore_ascii_case("providers") {
            keep -= 2;
        }
        let id = format!("/{}", self.segments[..keep].join("/"));
        ResourceId::parse(&id).ok()
    }

    /// Case-insensitive comparison with another id string (false if it does not parse).
    pub fn matches(&self, other: &str) -> bool {
        ResourceId::parse(other).is_ok_and(|o| o == *self)
    }
}

impl PartialEq for ResourceId {
    fn eq(&self, other: &Self) -> bool {
        self.segments.len() == other.segments.len()
            && self
                .segments
                .iter()
                .zip(&other.segments)
                .all(|(a, b)| a.to_lowercase() == b.to_lowercase())
    }
}

impl Eq for ResourceId {}

impl Hash for ResourceId {
    fn hash<H: Hasher>(&self, state: &mut H) {
        for s in &self.segments {
            s.to_lowercase().hash(state);
        }
    }
}

impl fmt::Display for ResourceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.original)
    }
}

impl FromStr for ResourceId {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        ResourceId::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    const WS: &str = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/My-RG/providers/Microsoft.MachineLearningServices/workspaces/MyWs";

    #[test]
    fn parses_workspace_id() {
        let id = ResourceId::parse(WS).unwrap();
        assert_eq!(id.subscription(), "00000000-0000-0000-0000-000000000001");
        assert_eq!(id.resource_group(), Some("My-RG"));
        assert_eq!(id.namespace(), Some("Microsoft.MachineLearningServices"));
        assert_eq!(
            id.resource_type(),
            "Microsoft.MachineLearningServices/workspaces"
        );
        assert_eq!(id.name(), "MyWs");
        assert_eq!(id.as_str(), WS);
        assert_eq!(id.to_string(), WS);
    }

    #[test]
    fn keywords_are_case_insensitive_values_keep_casing() {
        let id = ResourceId::parse(
            "/SUBSCRIPTIONS/abc/resourcegroups/Rg.One/PROVIDERS/Microsoft.Keyvault/vaults/KV1/",
        )
        .unwrap();
        assert_eq!(id.subscription(), "abc");
        assert_eq!(id.resource_group(), Some("Rg.One"));
        assert_eq!(id.namespace(), Some("Microsoft.Keyvault"));
        assert_eq!(id.resource_type(), "Microsoft.Keyvault/vaults");
        assert_eq!(id.name(), "KV1");
        let other = ResourceId::parse(
            "/subscriptions/ABC/resourceGroups/rg.one/providers/Microsoft.KeyVault/vaults/kv1",
        )
        .unwrap();
        assert_eq!(id, other);
        assert!(id.matches(other.as_str()));
    }

    #[test]
    fn child_and_extension_resources() {
        let id = ResourceId::parse(
            "/subscriptions/s/resourceGroups/g/providers/Microsoft.Network/virtualNetworks/v/subnets/default",
        )
        .unwrap();
        assert_eq!(
            id.resource_type(),
            "Microsoft.Network/virtualNetworks/subnets"
        );
        assert_eq!(id.name(), "default");
        let parent = id.parent().unwrap();
        assert_eq!(parent.resource_type(), "Microsoft.Network/virtualNetworks");
        assert_eq!(parent.name(), "v");
        assert_eq!(
            parent.parent().unwrap().resource_type(),
            "Microsoft.Resources/resourceGroups"
        );

        let ra = ResourceId::parse(&format!(
            "{WS}/providers/Microsoft.Authorization/roleAssignments/1234"
        ))
        .unwrap();
        assert_eq!(ra.namespace(), Some("Microsoft.Authorization"));
        assert_eq!(
            ra.resource_type(),
            "Microsoft.Authorization/roleAssignments"
        );
        assert_eq!(ra.name(), "1234");
        assert_eq!(ra.resource_group(), Some("My-RG"));
        assert_eq!(ra.parent().unwrap().as_str(), WS);
    }

    #[test]
    fn subscription_and_group_ids() {
        let s = ResourceId::parse("/subscriptions/s1").unwrap();
        assert_eq!(s.resource_group(), None);
        assert_eq!(s.namespace(), None);
        assert_eq!(s.resource_type(), "Microsoft.Resources/subscriptions");
        assert_eq!(s.name(), "s1");
        assert!(s.parent().is_none());
        let g = ResourceId::parse("/subscriptions/s1/resourceGroups/g1").unwrap();
        assert_eq!(g.resource_type(), "Microsoft.Resources/resourceGroups");
        assert_eq!(g.name(), "g1");
        assert_eq!(g.parent().unwrap(), s);
        let sub_level = ResourceId::parse(
            "/subscriptions/s1/providers/Microsoft.Authorization/roleDefinitions/r",
        )
        .unwrap();
        assert_eq!(sub_level.resource_group(), None);
        assert_eq!(
            sub_level.resource_type(),
            "Microsoft.Authorization/roleDefinitions"
        );
    }

    #[test]
    fn malformed_ids_are_validation_errors() {
        for bad in [
            "",
            "subscriptions/s",
            "/subscriptions",
            "/subscriptions/",
            "/tenants/t",
            "/subscriptions/s//resourceGroups/g",
            "/subscriptions/s/resourceGroups",
            "/subscriptions/s/resourceGroups/g/providers",
            "/subscriptions/s/resourceGroups/g/providers/Microsoft.X",
            "/subscriptions/s/resourceGroups/g/providers/Microsoft.X/workspaces",
            "/subscriptions/s/resourceGroups/g/providers/Microsoft.X/workspaces/w/child",
            "/subscriptions/s/resourceGroups/g/somethingElse/x",
        ] {
            let err = ResourceId::parse(bad).unwrap_err();
            assert_eq!(err.kind, ErrorKind::Validation, "{bad:?}");
            assert!(err.message.contains("invalid ARM resource id"), "{err}");
        }
    }

    #[test]
    fn paths_encode_segments() {
        assert_eq!(
            resource_group_path("s", "my group(1)").unwrap(),
            "/subscriptions/s/resourceGroups/my%20group(1)"
        );
        assert_eq!(
            resource_path("s", "grüppe", "Microsoft.X", "things", "a/b").unwrap(),
            "/subscriptions/s/resourceGroups/gr%C3%BCppe/providers/Microsoft.X/things/a%2Fb"
        );
        assert_eq!(
            child_path("/subscriptions/s/resourceGroups/g", "x", "y?z").unwrap(),
            "/subscriptions/s/resourceGroups/g/x/y%3Fz"
        );
        assert_eq!(
            ResourceId::parse("/subscriptions/s/resourceGroups/a b")
                .unwrap()
                .to_path(),
            "/subscriptions/s/resourceGroups/a%20b"
        );
        for bad in ["", ".", ".."] {
            assert_eq!(
                resource_group_path("s", bad).unwrap_err().kind,
                ErrorKind::Validation
            );
        }
    }
}
