//! What the ARM providers share: method checks, the group a resource lives in, plain
//! tracked records, paging, resource ids and the common part of a resource PUT. A leaf of
//! the ARM room: the providers and the dispatcher import it, it imports none of them.

use axum::http::StatusCode;
use serde_json::{json, Value};

use crate::arm::routes::Kind;
use crate::catalog::REGIONS;
use crate::context::Ctx;
use crate::errors::{ArmError, ArmResult};
use crate::http::{Req, Resp};
use crate::store::Store;

pub(crate) fn method_not_allowed(req: &Req) -> ArmError {
    ArmError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "MethodNotAllowed",
        format!(
            "The requested resource does not support http method '{}'.",
            req.method
        ),
    )
}

pub(crate) fn only_get(req: &Req) -> ArmResult<()> {
    if req.method == axum::http::Method::GET {
        Ok(())
    } else {
        Err(method_not_allowed(req))
    }
}

/// The group a resource lives in: it must exist.
pub(crate) fn existing_group<'a>(st: &'a Store, rg: &str) -> ArmResult<&'a crate::store::Group> {
    st.groups
        .get(&rg.to_lowercase())
        .ok_or_else(|| ArmError::group_not_found(rg))
}

/// The group a resource is written into: it must exist and not be being deleted.
pub(crate) fn writable_group<'a>(st: &'a Store, rg: &str) -> ArmResult<&'a crate::store::Group> {
    let group = existing_group(st, rg)?;
    if group.deleting.is_some() {
        return Err(ArmError::group_being_deleted(&group.name));
    }
    Ok(group)
}

/// GET and DELETE of a resource kept as a plain [`Tracked`] entry keyed `rg/name`.
pub(crate) fn tracked_read_delete(
    map: &mut indexmap::IndexMap<String, crate::store::Tracked>,
    req: &Req,
    rg: &str,
    name: &str,
    kind: Kind,
) -> ArmResult<Resp> {
    let key = crate::store::child_key(rg, name);
    if req.method == axum::http::Method::DELETE {
        return Ok(match map.shift_remove(&key) {
            Some(_) => Resp::empty(axum::http::StatusCode::OK),
            None => Resp::empty(axum::http::StatusCode::NO_CONTENT),
        });
    }
    map.get(&key)
        .map(|t| Resp::ok(t.body.clone()))
        .ok_or_else(|| ArmError::resource_not_found(kind.ns_type(), name, rg))
}

/// The bodies of plain [`Tracked`] entries, in group `rg` if given.
pub(crate) fn tracked_list(
    map: &indexmap::IndexMap<String, crate::store::Tracked>,
    rg: Option<&str>,
) -> Vec<Value> {
    let rg = rg.map(str::to_lowercase);
    map.values()
        .filter(|t| rg.as_ref().is_none_or(|rg| &t.rg == rg))
        .map(|t| t.body.clone())
        .collect()
}

/// One page of `items`, with a `nextLink` that repeats the request's query and carries the
/// position in `param` (`$skiptoken` for ARM's own lists, `$skip` for ML workspaces).
pub(crate) fn paged(ctx: &Ctx, req: &Req, items: Vec<Value>, param: &str) -> ArmResult<Resp> {
    let start = match req.q(param) {
        None => 0,
        Some(token) => token.parse::<usize>().map_err(|_| {
            ArmError::bad_request(
                "InvalidSkipToken",
                format!("The value '{token}' of '{param}' is not a valid continuation token."),
            )
        })?,
    };
    let mut size = ctx.cfg.page_size;
    if let Some(top) = req.q("$top") {
        let top: usize = top.parse().map_err(|_| {
            ArmError::bad_request(
                "InvalidTopValue",
                format!("The value '{top}' of '$top' is not a valid positive integer."),
            )
        })?;
        if top > 0 {
            size = size.min(top);
        }
    }
    let end = (start + size).min(items.len());
    let page: Vec<Value> = items
        .get(start..end)
        .map(<[Value]>::to_vec)
        .unwrap_or_default();
    let mut body = json!({ "value": page });
    if end < items.len() {
        let mut next = url::Url::parse(&format!("{}{}", ctx.url, req.path))
            .map_err(|e| ArmError::bad_request("InvalidRequestUri", e.to_string()))?;
        {
            let mut pairs = next.query_pairs_mut();
            for (k, v) in &req.query {
                if !k.eq_ignore_ascii_case(param) {
                    pairs.append_pair(k, v);
                }
            }
            pairs.append_pair(param, &end.to_string());
        }
        body["nextLink"] = json!(next.to_string());
    }
    Ok(Resp::ok(body))
}

pub(crate) fn resource_id(ctx: &Ctx, rg: &str, kind: Kind, name: &str) -> String {
    format!(
        "/subscriptions/{}/resourceGroups/{rg}/providers/{}/{name}",
        ctx.cfg.subscription_id,
        kind.ns_type()
    )
}

/// The `location` of a request body: required, and a region ARM knows.
/// What every resource PUT reads before its own rules: the group it goes into (which
/// must exist and not be being deleted), the body, its location and its tags.
pub(crate) struct PutBody {
    pub group_name: String,
    pub body: Value,
    pub location: String,
    pub tags: Option<Value>,
}

pub(crate) fn put_body(st: &Store, req: &Req, rg: &str) -> ArmResult<PutBody> {
    let group_name = writable_group(st, rg)?.name.clone();
    let body = req.json()?;
    let location = body_location(&body)?;
    let tags = tags_of(&body)?;
    Ok(PutBody {
        group_name,
        body,
        location,
        tags,
    })
}

pub(crate) fn body_location(body: &Value) -> ArmResult<String> {
    let Some(loc) = body
        .get("location")
        .and_then(Value::as_str)
        .filter(|l| !l.trim().is_empty())
    else {
        return Err(ArmError::bad_request(
            "LocationRequired",
            "The location property is required for this definition.",
        ));
    };
    let norm = crate::names::normalize_location(loc);
    if !REGIONS.iter().any(|(name, _)| *name == norm) {
        return Err(ArmError::bad_request(
            "LocationNotAvailableForResourceType",
            format!(
                "The provided location '{loc}' is not available for resource type. List of \
                 available regions is '{}'.",
                REGIONS
                    .iter()
                    .map(|(n, _)| *n)
                    .collect::<Vec<_>>()
                    .join(",")
            ),
        ));
    }
    Ok(norm)
}

pub(crate) fn tags_of(body: &Value) -> ArmResult<Option<Value>> {
    match body.get("tags") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(map)) => {
            if map.len() > 50 {
                return Err(ArmError::bad_request(
                    "InvalidTag",
                    "The number of tags exceeds the limit of 50.",
                ));
            }
            for (k, v) in map {
                if !v.is_string() {
                    return Err(ArmError::bad_request(
                        "InvalidTag",
                        format!("The value of tag '{k}' must be a string."),
                    ));
                }
            }
            Ok(Some(Value::Object(map.clone())))
        }
        Some(_) => Err(ArmError::invalid_content("'tags' must be an object")),
    }
}
