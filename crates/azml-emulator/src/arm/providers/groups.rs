//! Resource groups (`/subscriptions/{sub}/resourcegroups/{rg}`) and the deletion operation
//! results (`/subscriptions/{sub}/operationresults/{token}`).

use axum::http::{Method, StatusCode};
use base64::Engine;
use serde_json::{json, Value};

use crate::arm::common::{paged, tags_of};
use crate::context::Ctx;
use crate::errors::{ArmError, ArmResult};
use crate::http::{Req, Resp};
use crate::store::{Group, OpKind, Store};

/// Recorded: a group deletion took about 75 s, polled every 15 s.
const DELETE_MS: u64 = 75_000;

pub(crate) fn validate_name(name: &str) -> ArmResult<()> {
    let invalid: String = name
        .chars()
        .filter(|c| !(c.is_alphanumeric() || matches!(c, '_' | '(' | ')' | '-' | '.')))
        .collect();
    if !invalid.is_empty() {
        return Err(ArmError::bad_request(
            "InvalidResourceGroup",
            format!(
                "The provided resource group name '{name}' has these invalid characters: \
                 '{invalid}'. The name can only be a letter, digit, '-', '.', '(', ')' or '_'. \
                 For more details, visit https://aka.ms/ResourceGroupNamingRestrictions."
            ),
        ));
    }
    if name.chars().count() > 90 || name.ends_with('.') {
        return Err(ArmError::bad_request(
            "InvalidResourceGroup",
            format!(
                "The provided resource group name '{name}' is invalid. The name can be up to 90 \
                 characters long and cannot end with a period."
            ),
        ));
    }
    Ok(())
}

fn body(ctx: &Ctx, g: &Group) -> Value {
    let mut b = json!({
        "id": format!("/subscriptions/{}/resourceGroups/{}", ctx.cfg.subscription_id, g.name),
        "name": g.name,
        "type": "Microsoft.Resources/resourceGroups",
        "location": g.location,
    });
    if let Some(m) = &g.managed_by {
        b["managedBy"] = json!(m);
    }
    if let Some(t) = &g.tags {
        b["tags"] = t.clone();
    }
    let state = if g.deleting.is_some() {
        "Deleting"
    } else {
        "Succeeded"
    };
    b["properties"] = json!({ "provisioningState": state });
    b
}

pub(crate) fn handle(ctx: &Ctx, st: &mut Store, req: &Req, rg: &str) -> ArmResult<Resp> {
    let key = rg.to_lowercase();
    match req.method {
        Method::PUT => put(ctx, st, req, rg),
        Method::GET => st
            .groups
            .get(&key)
            .map(|g| Resp::ok(body(ctx, g)))
            .ok_or_else(|| ArmError::group_not_found(rg)),
        Method::HEAD => match st.groups.get(&key) {
            Some(_) => Ok(Resp::empty(StatusCode::NO_CONTENT)),
            None => Err(ArmError::group_not_found(rg)),
        },
        Method::PATCH => patch(ctx, st, req, rg),
        Method::DELETE => delete(ctx, st, req, rg),
        _ => Err(crate::arm::common::method_not_allowed(req)),
    }
}

fn managed_by(v: &Value) -> ArmResult<Option<String>> {
    match v.get("managedBy") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(ArmError::invalid_content("'managedBy' must be a string")),
    }
}

fn put(ctx: &Ctx, st: &mut Store, req: &Req, rg: &str) -> ArmResult<Resp> {
    validate_name(rg)?;
    let v = req.json()?;
    let location = crate::arm::common::body_location(&v)?;
    let tags = tags_of(&v)?;
    let managed = managed_by(&v)?;
    let key = rg.to_lowercase();
    if let Some(g) = st.groups.get_mut(&key) {
        if g.deleting.is_some() {
            return Err(ArmError::group_being_deleted(&g.name));
        }
        if g.location != location {
            return Err(ArmError::conflict(
                "InvalidResourceGroupLocation",
                format!(
                    "Invalid resource group location '{location}'. The Resource group already \
                     exists in location '{}'.",
                    g.location
                ),
            ));
        }
        // PUT replaces the group's definition.
        g.tags = tags;
        g.managed_by = managed;
        return Ok(Resp::ok(body(ctx, g)));
    }
    let g = Group {
        name: rg.to_string(),
        location,
        tags,
        managed_by: managed,
        deleting: None,
    };
    let resp = Resp::json(StatusCode::CREATED, body(ctx, &g));
    st.groups.insert(key, g);
    Ok(resp)
}

fn patch(ctx: &Ctx, st: &mut Store, req: &Req, rg: &str) -> ArmResult<Resp> {
    let v = req.json()?;
    let tags = tags_of(&v)?;
    let managed = managed_by(&v)?;
    let g = st
        .groups
        .get_mut(&rg.to_lowercase())
        .ok_or_else(|| ArmError::group_not_found(rg))?;
    if g.deleting.is_some() {
        return Err(ArmError::group_being_deleted(&g.name));
    }
    if let Some(loc) = v.get("location").and_then(Value::as_str) {
        let loc = crate::names::normalize_location(loc);
        if loc != g.location {
            return Err(ArmError::conflict(
                "InvalidResourceGroupLocation",
                format!(
                    "Invalid resource group location '{loc}'. The Resource group already exists \
                     in location '{}'.",
                    g.location
                ),
            ));
        }
    }
    if tags.is_some() {
        g.tags = tags;
    }
    if managed.is_some() {
        g.managed_by = managed;
    }
    Ok(Resp::ok(body(ctx, g)))
}

fn operation_url(ctx: &Ctx, req: &Req, token: &str) -> String {
    format!(
        "{}/subscriptions/{}/operationresults/{token}?api-version={}",
        ctx.url,
        ctx.cfg.subscription_id,
        req.api_version()
    )
}

fn delete(ctx: &Ctx, st: &mut Store, req: &Req, rg: &str) -> ArmResult<Resp> {
    let key = rg.to_lowercase();
    let g = st
        .groups
        .get(&key)
        .ok_or_else(|| ArmError::group_not_found(rg))?;
    let token = match &g.deleting {
        Some(token) => token.clone(),
        None => {
            // Opaque like ARM's: base64url of a job description.
            let job = json!({
                "jobId": format!("RESOURCEGROUPDELETIONJOB-{}", crate::ids::random_hex(8).to_uppercase()),
                "jobLocation": g.location,
            });
            let token = base64::engine::general_purpose::URL_SAFE_NO_PAD
                .encode(serde_json::to_vec(&job).unwrap_or_default());
            let ready = ctx.clock.now_ms() + ctx.op_duration_ms(DELETE_MS);
            st.add_op(
                token.clone(),
                ready,
                OpKind::GroupDelete { rg: key.clone() },
            );
            if let Some(g) = st.groups.get_mut(&key) {
                g.deleting = Some(token.clone());
            }
            // Instant deletions are visible to the very next request.
            st.advance(ctx.clock.now_ms());
            token
        }
    };
    let resp =
        Resp::empty(StatusCode::ACCEPTED).header("location", operation_url(ctx, req, &token));
    Ok(ctx.poll_hint(resp, Some("15")))
}

pub(crate) fn operation_result(
    ctx: &Ctx,
    st: &mut Store,
    req: &Req,
    token: &str,
) -> ArmResult<Resp> {
    crate::arm::common::only_get(req)?;
    let op = st
        .ops
        .get(token)
        .filter(|op| matches!(op.kind, OpKind::GroupDelete { .. }));
    match op {
        None => Err(ArmError::not_found(
            "OperationNotFound",
            format!("The operation '{token}' could not be found."),
        )),
        Some(op) if !op.applied => {
            let resp = Resp::empty(StatusCode::ACCEPTED)
                .header("location", operation_url(ctx, req, token));
            Ok(ctx.poll_hint(resp, Some("15")))
        }
        Some(op) => match &op.failure {
            Some(f) => Err(f.to_error()),
            None => Ok(Resp::empty(StatusCode::OK)),
        },
    }
}

/// `$filter=tagName eq 'a' and tagValue eq 'b'` (or only `tagName eq 'a'`).
fn tag_filter(filter: &str) -> ArmResult<(String, Option<String>)> {
    let invalid = || {
        ArmError::bad_request(
            "InvalidFilterInQueryString",
            format!(
                "The filter '{filter}' is not supported. Supported: \"tagName eq '<name>' [and \
                 tagValue eq '<value>']\"."
            ),
        )
    };
    let clause = |c: &str, field: &str| -> Option<String> {
        let c = c.trim();
        let (lhs, rest) = c.split_once(char::is_whitespace)?;
        if !lhs.eq_ignore_ascii_case(field) {
            return None;
        }
        let rest = rest.trim_start();
        let (op, value) = rest.split_once(char::is_whitespace)?;
        if !op.eq_ignore_ascii_case("eq") {
            return None;
        }
        let value = value.trim();
        let inner = value.strip_prefix('\'')?.strip_suffix('\'')?;
        Some(inner.replace("''", "'"))
    };
    let lower = filter.to_ascii_lowercase();
    match lower.find(" and ") {
        Some(i) => {
            let name = clause(&filter[..i], "tagName").ok_or_else(invalid)?;
            let value = clause(&filter[i + 5..], "tagValue").ok_or_else(invalid)?;
            Ok((name, Some(value)))
        }
        None => Ok((clause(filter, "tagName").ok_or_else(invalid)?, None)),
    }
}

/// `visible`: whether the caller may see a group, by its id.
pub(crate) fn list(
    ctx: &Ctx,
    st: &mut Store,
    req: &Req,
    visible: &dyn Fn(&str) -> bool,
) -> ArmResult<Resp> {
    crate::arm::common::only_get(req)?;
    let filter = req.q("$filter").map(tag_filter).transpose()?;
    let items = st
        .groups
        .values()
        .filter(|g| match &filter {
            None => true,
            Some((name, value)) => g
                .tags
                .as_ref()
                .and_then(Value::as_object)
                .and_then(|t| t.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)))
                .is_some_and(|(_, v)| value.as_ref().is_none_or(|want| v == want)),
        })
        .map(|g| body(ctx, g))
        .filter(|b| visible(b["id"].as_str().unwrap_or_default()))
        .collect();
    paged(ctx, req, items, "$skiptoken")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert!(validate_name("rg-1_(a).b").is_ok());
        assert!(validate_name("grüppe").is_ok());
        assert!(validate_name("ends.").is_err());
        assert!(validate_name("has space").is_err());
        assert!(validate_name(&"a".repeat(90)).is_ok());
        assert!(validate_name(&"a".repeat(91)).is_err());
    }

    #[test]
    fn filters() {
        assert_eq!(
            tag_filter("tagname eq 'a' and tagvalue eq 'b'").unwrap(),
            ("a".into(), Some("b".into()))
        );
        assert_eq!(
            tag_filter("tagName eq 'it''s'").unwrap(),
            ("it's".into(), None)
        );
        assert!(tag_filter("location eq 'westus'").is_err());
    }
}
