//! How ARM compares and reads the names it is given: without case, locations without
//! spaces, resource ids by their segments.

/// ARM compares locations without case and spaces ("West US" == "westus").
pub(crate) fn normalize_location(loc: &str) -> String {
    loc.chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_lowercase)
        .collect()
}

pub(crate) fn eq_ci(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b) || a.to_lowercase() == b.to_lowercase()
}

/// `(subscription, group, namespace, type, name)` of a resource id, if it is one.
pub(crate) fn parse_resource_id(id: &str) -> Option<(String, String, String, String, String)> {
    let parts: Vec<&str> = id.split('/').filter(|p| !p.is_empty()).collect();
    match parts.as_slice() {
        [s, sub, r, rg, p, ns, ty, name]
            if s.eq_ignore_ascii_case("subscriptions")
                && r.eq_ignore_ascii_case("resourcegroups")
                && p.eq_ignore_ascii_case("providers") =>
        {
            Some((
                sub.to_string(),
                rg.to_string(),
                ns.to_string(),
                ty.to_string(),
                name.to_string(),
            ))
        }
        _ => None,
    }
}
