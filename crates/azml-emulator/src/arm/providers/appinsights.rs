//! Application Insights components (`Microsoft.Insights/components`).

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

fn name_error(name: &str) -> Option<ArmError> {
    let ok = !name.is_empty()
        && name.chars().count() <= 255
        && !name
            .chars()
            .any(|c| "%&\\?/#<>*:".contains(c) || c.is_control())
        && !name.ends_with('.')
        && !name.ends_with(' ');
    (!ok).then(|| {
        ArmError::bad_request(
            "InvalidResourceName",
            format!(
                "The resource name '{name}' is invalid. It must be 1 to 255 characters, must not \
                 contain '%&\\?/#<>*:' and must not end with a period or a space."
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
            format!("The resource type 'components/{a}' could not be found in the namespace 'Microsoft.Insights'."),
        ));
    }
    let key = child_key(rg, name);
    match req.method {
        Method::PUT => put(ctx, st, req, rg, name),
        Method::GET => {
            crate::arm::common::existing_group(st, rg)?;
            st.components
                .get(&key)
                .map(|c| Resp::ok(c.body.clone()))
                .ok_or_else(|| ArmError::resource_not_found(Kind::Component.ns_type(), name, rg))
        }
        Method::DELETE => {
            crate::arm::common::existing_group(st, rg)?;
            Ok(match st.components.shift_remove(&key) {
                Some(_) => Resp::empty(StatusCode::OK),
                None => Resp::empty(StatusCode::NO_CONTENT),
            })
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
    let now = ctx.clock.now_ms();
    let existing = st.components.get(&key);
    let existing_before = existing.is_some();
    let (stored_name, app_id, ikey, created) = match existing {
        Some(e) => {
            let p = &e.body["properties"];
            (
                e.body["name"].as_str().unwrap_or(name).to_string(),
                p["AppId"].as_str().unwrap_or_default().to_string(),
                p["InstrumentationKey"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
                p["CreationDate"].as_str().unwrap_or_default().to_string(),
            )
        }
        None => (name.to_string(), new_guid(), new_guid(), iso(now)),
    };
    let kind = v["kind"].as_str().unwrap_or("web");
    let app_type = props["Application_Type"].as_str().unwrap_or("web");
    let workspace = props.get("WorkspaceResourceId").and_then(Value::as_str);
    if let Some(w) = workspace {
        if !crate::arm::providers::loganalytics::exists(st, w) {
            // The service's words as seen in the field (a plain `BadRequest`, the message
            // ending on an empty detail).
            return Err(ArmError::bad_request(
                "BadRequest",
                "Could not retrieve the Log Analytics workspace from ARM: ",
            ));
        }
    }
    let mut properties = json!({
        "ApplicationId": stored_name,
        "AppId": app_id,
        "Application_Type": app_type,
        "Flow_Type": props.get("Flow_Type").cloned().unwrap_or(json!("Bluefield")),
        "Request_Source": props.get("Request_Source").cloned().unwrap_or(json!("rest")),
        "InstrumentationKey": ikey,
        "ConnectionString": format!(
            "InstrumentationKey={ikey};IngestionEndpoint=https://{location}-0.in.applicationinsights.azure.com/;LiveEndpoint=https://{location}.livediagnostics.monitor.azure.com/;ApplicationId={app_id}"
        ),
        "Name": stored_name,
        "CreationDate": created,
        "TenantId": ctx.cfg.subscription_id,
        "provisioningState": "Succeeded",
        "SamplingPercentage": props.get("SamplingPercentage").cloned().unwrap_or(Value::Null),
        "RetentionInDays": props.get("RetentionInDays").cloned().unwrap_or(json!(90)),
        "IngestionMode": if workspace.is_some() { "LogAnalytics" } else { "ApplicationInsights" },
        "publicNetworkAccessForIngestion": "Enabled",
        "publicNetworkAccessForQuery": "Enabled",
        "Ver": "v2",
    });
    if let Some(w) = workspace {
        properties["WorkspaceResourceId"] = json!(w);
    }
    let body = json!({
        "kind": kind,
        "etag": format!("\"{}\"", new_guid()),
        "id": resource_id(ctx, &group_name, Kind::Component, &stored_name),
        "name": stored_name,
        "type": "microsoft.insights/components",
        "location": location,
        "tags": tags.unwrap_or(json!({})),
        "properties": properties,
    });
    st.components.insert(
        key,
        Tracked {
            rg: rg.to_lowercase(),
            body: body.clone(),
            ready_at: now,
            keys: Vec::new(),
        },
    );
    // Synchronous in Azure, but a new component takes ~3 s to answer (recorded).
    let delay = if existing_before {
        0
    } else {
        ctx.op_duration_ms(3_000)
    };
    Ok(Resp::ok(body).delayed(delay))
}

pub(crate) fn list(st: &Store, rg: Option<&str>) -> Vec<Value> {
    let rg = rg.map(str::to_lowercase);
    st.components
        .values()
        .filter(|c| rg.as_ref().is_none_or(|rg| &c.rg == rg))
        .map(|c| c.body.clone())
        .collect()
}
