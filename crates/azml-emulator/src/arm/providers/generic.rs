//! `GET /subscriptions/{sub}[/resourceGroups/{rg}]/resources`: ARM's list of every resource,
//! in its generic shape, with the `$filter` forms clients send (`az keyvault show` without a
//! group looks the vault up this way; `az resource list` uses it as is).

use serde_json::{Map, Value};

use crate::arm::common::paged;
use crate::arm::inventory::items_of;
use crate::arm::routes::Kind;
use crate::context::Ctx;
use crate::errors::{ArmError, ArmResult};
use crate::http::{Req, Resp};
use crate::store::Store;

/// One `field eq 'value'` clause of a `$filter`.
#[derive(Debug, PartialEq)]
enum Clause {
    ResourceType(String),
    Name(String),
    Location(String),
    ResourceGroup(String),
    TagName(String),
    TagValue(String),
}

fn bad_filter(filter: &str) -> ArmError {
    ArmError::bad_request(
        "InvalidFilterInQueryString",
        format!(
            "Invalid $filter '{filter}' specified in the query string. Supported: resourceType, \
             name, location, resourceGroup, tagName and tagValue with 'eq', joined by 'and'."
        ),
    )
}

fn parse(filter: &str) -> ArmResult<Vec<Clause>> {
    let mut clauses = Vec::new();
    for part in split_and(filter) {
        let mut words = part.trim().splitn(3, ' ');
        let (Some(field), Some(op), Some(value)) = (words.next(), words.next(), words.next())
        else {
            return Err(bad_filter(filter));
        };
        let value = value.trim();
        if !op.eq_ignore_ascii_case("eq")
            || value.len() < 2
            || !value.starts_with('\'')
            || !value.ends_with('\'')
        {
            return Err(bad_filter(filter));
        }
        // OData escapes a quote inside a literal by doubling it.
        let value = value[1..value.len() - 1].replace("''", "'");
        clauses.push(match field.to_ascii_lowercase().as_str() {
            "resourcetype" => Clause::ResourceType(value),
            "name" => Clause::Name(value),
            "location" => Clause::Location(value),
            "resourcegroup" => Clause::ResourceGroup(value),
            "tagname" => Clause::TagName(value),
            "tagvalue" => Clause::TagValue(value),
            _ => return Err(bad_filter(filter)),
        });
    }
    Ok(clauses)
}

/// Splits on ` and ` outside quoted literals, case-insensitively.
fn split_and(filter: &str) -> Vec<&str> {
    let lower = filter.to_ascii_lowercase();
    let mut parts = Vec::new();
    let (mut start, mut quoted) = (0, false);
    let bytes = filter.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'\'' {
            quoted = !quoted;
        } else if !quoted && lower[i..].starts_with(" and ") {
            parts.push(&filter[start..i]);
            i += 5;
            start = i;
            continue;
        }
        i += 1;
    }
    parts.push(&filter[start..]);
    parts
}

/// The generic shape ARM lists: identity, placement and billing fields, not `properties`.
fn generic(body: &Value) -> Value {
    let mut out = Map::new();
    for key in [
        "id",
        "name",
        "type",
        "sku",
        "kind",
        "managedBy",
        "location",
        "identity",
        "tags",
    ] {
        if let Some(v) = body.get(key).filter(|v| !v.is_null()) {
            out.insert(key.into(), v.clone());
        }
    }
    Value::Object(out)
}

fn matches(item: &Value, clauses: &[Clause]) -> bool {
    let field = |k: &str| item[k].as_str().unwrap_or_default();
    let group = item["id"]
        .as_str()
        .and_then(|id| {
            let parts: Vec<&str> = id.split('/').collect();
            parts
                .iter()
                .position(|p| p.eq_ignore_ascii_case("resourceGroups"))
                .and_then(|i| parts.get(i + 1).copied())
        })
        .unwrap_or_default();
    let tag_name = clauses.iter().find_map(|c| match c {
        Clause::TagName(n) => Some(n.as_str()),
        _ => None,
    });
    clauses.iter().all(|c| match c {
        Clause::ResourceType(t) => field("type").eq_ignore_ascii_case(t),
        Clause::Name(n) => field("name").eq_ignore_ascii_case(n),
        Clause::Location(l) => field("location").eq_ignore_ascii_case(l),
        Clause::ResourceGroup(g) => group.eq_ignore_ascii_case(g),
        Clause::TagName(n) => item["tags"]
            .as_object()
            .is_some_and(|t| t.keys().any(|k| k.eq_ignore_ascii_case(n))),
        Clause::TagValue(v) => item["tags"].as_object().is_some_and(|t| {
            t.iter().any(|(k, val)| {
                tag_name.is_none_or(|n| k.eq_ignore_ascii_case(n)) && val.as_str() == Some(v)
            })
        }),
    })
}

/// `visible`: whether the caller may see a resource id (ARM lists only what it may read).
pub(crate) fn list(
    ctx: &Ctx,
    st: &Store,
    req: &Req,
    rg: Option<&str>,
    visible: &dyn Fn(&str) -> bool,
) -> ArmResult<Resp> {
    let clauses = match req.q("$filter") {
        Some(f) if !f.trim().is_empty() => parse(f)?,
        _ => Vec::new(),
    };
    let items: Vec<Value> = Kind::ALL
        .iter()
        .flat_map(|k| items_of(ctx, st, *k, rg))
        .filter(|b| visible(b["id"].as_str().unwrap_or_default()))
        .map(|b| generic(&b))
        .filter(|item| matches(item, &clauses))
        .collect();
    paged(ctx, req, items, "$skiptoken")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn filters_parse_and_refuse_what_they_do_not_know() {
        assert_eq!(
            parse("resourceType eq 'Microsoft.KeyVault/vaults'").unwrap(),
            vec![Clause::ResourceType("Microsoft.KeyVault/vaults".into())]
        );
        assert_eq!(
            parse("tagName eq 'a and b' AND tagValue eq 'it''s'").unwrap(),
            vec![
                Clause::TagName("a and b".into()),
                Clause::TagValue("it's".into())
            ]
        );
        assert!(parse("substringof('x', name)").is_err());
        assert!(parse("name ne 'x'").is_err());
        assert!(parse("name eq x").is_err());
    }

    #[test]
    fn generic_items_match_type_group_and_tags() {
        let item = generic(&json!({
            "id": "/subscriptions/s/resourceGroups/RG1/providers/Microsoft.KeyVault/vaults/v",
            "name": "v", "type": "Microsoft.KeyVault/vaults", "location": "eastus",
            "tags": {"team": "ml"}, "properties": {"x": 1},
        }));
        assert!(item.get("properties").is_none());
        let m = |f: &str| matches(&item, &parse(f).unwrap());
        assert!(m(
            "resourceType eq 'microsoft.keyvault/vaults' and resourceGroup eq 'rg1'"
        ));
        assert!(m("tagName eq 'team' and tagValue eq 'ml'"));
        assert!(!m("tagName eq 'team' and tagValue eq 'ops'"));
        assert!(!m("name eq 'w'"));
    }
}
