//! Log Analytics workspaces (`Microsoft.OperationalInsights/workspaces`): what an
//! Application Insights component in workspace mode links to (PUT, GET, DELETE, list).

use axum::http::{Method, StatusCode};
use serde_json::{json, Value};

use crate::arm::common::{put_body, resource_id, PutBody};
use crate::arm::routes::Kind;
use crate::context::Ctx;
use crate::errors::{ArmError, ArmResult};
use crate::http::{Req, Resp};
use crate::ids::new_guid;
use crate::store::{child_key, Store, Tracked};
use crate::timestamps::iso;

/// 4–63 of letters, digits and `-`, starting and ending with a letter or digit.
fn name_error(name: &str) -> Option<ArmError> {
    let ok = (4..=63).contains(&name.len())
        && name.starts_with(|c: char| c.is_ascii_alphanumeric())
        && name.ends_with(|c: char| c.is_ascii_alphanumeric())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
    (!ok).then(|| {
        ArmError::bad_request(
            "InvalidWorkspaceName",
            format!(
                "The workspace name '{name}' is invalid: use 4 to 63 letters, digits and '-', \
                 starting and ending with a letter or a digit."
            ),
        )
    })
}

pub(crate) fn handle(
    ctx: &Ctx,
    st: &mut Store,
    req: &Req,
    rg: &str,
    name: &str,
    action: Option<&str>,
) -> ArmResult<Resp> {
    if let Some(a) = action {
        return Err(ArmError::not_found(
            "InvalidResourceType",
            format!(
                "The resource type 'workspaces/{a}' could not be found in the namespace \
                 'Microsoft.OperationalInsights'."
            ),
        ));
    }
    match req.method {
        Method::PUT => put(ctx, st, req, rg, name),
        Method::GET | Method::DELETE => {
            crate::arm::common::existing_group(st, rg)?;
            crate::arm::common::tracked_read_delete(
                &mut st.log_analytics,
                req,
                rg,
                name,
                Kind::LogAnalytics,
            )
        }
        _ => Err(crate::arm::common::method_not_allowed(req)),
    }
}

fn put(ctx: &Ctx, st: &mut Store, req: &Req, rg: &str, name: &str) -> ArmResult<Resp> {
    if let Some(e) = name_error(name) {
        return Err(e);
    }
    let PutBody {
        group_name,
        body: v,
        location,
        tags,
    } = put_body(st, req, rg)?;
    let key = child_key(rg, name);
    let props = v.get("properties").cloned().unwrap_or(json!({}));
    let now = iso(ctx.clock.now_ms());
    // The customer id (what agents send to) and creation date are the workspace's own.
    let (stored_name, customer, created, status) = match st.log_analytics.get(&key) {
        Some(t) => {
            let p = &t.body["properties"];
            (
                t.body["name"].as_str().unwrap_or(name).to_string(),
                p["customerId"].as_str().unwrap_or_default().to_string(),
                p["createdDate"].as_str().unwrap_or_default().to_string(),
                StatusCode::OK,
            )
        }
        None => (
            name.to_string(),
            new_guid(),
            now.clone(),
            StatusCode::CREATED,
        ),
    };
    let sku = props["sku"]["name"].as_str().unwrap_or("PerGB2018");
    let body = json!({
        "id": resource_id(ctx, &group_name, Kind::LogAnalytics, &stored_name),
        "name": stored_name,
        "type": Kind::LogAnalytics.ns_type(),
        "location": location,
        "tags": tags.unwrap_or(json!({})),
        "properties": {
            "provisioningState": "Succeeded",
            "customerId": customer,
            "sku": {"name": sku, "lastSkuUpdate": now},
            "retentionInDays": props.get("retentionInDays").cloned().unwrap_or(json!(30)),
            "features": {"legacy": 0, "searchVersion": 1, "enableLogAccessUsingOnlyResourcePermissions": true},
            "workspaceCapping": {"dailyQuotaGb": -1.0, "dataIngestionStatus": "RespectQuota"},
            "publicNetworkAccessForIngestion": "Enabled",
            "publicNetworkAccessForQuery": "Enabled",
            "createdDate": created,
            "modifiedDate": now,
        },
    });
    st.log_analytics.insert(
        key,
        Tracked {
            rg: rg.to_lowercase(),
            body: body.clone(),
            ready_at: ctx.clock.now_ms(),
            keys: Vec::new(),
        },
    );
    Ok(Resp::json(status, body))
}

pub(crate) fn list(st: &Store, rg: Option<&str>) -> Vec<Value> {
    crate::arm::common::tracked_list(&st.log_analytics, rg)
}

/// Whether `id` names a Log Analytics workspace that exists (an App Insights component in
/// workspace mode must link one).
pub(crate) fn exists(st: &Store, id: &str) -> bool {
    crate::names::parse_resource_id(id).is_some_and(|(_, rg, ns, ty, name)| {
        ns.eq_ignore_ascii_case("Microsoft.OperationalInsights")
            && ty.eq_ignore_ascii_case("workspaces")
            && st.log_analytics.contains_key(&child_key(&rg, &name))
    })
}
