//! Azure ML workspaces (`Microsoft.MachineLearningServices/workspaces`), as the recorded
//! service behaves: PUT, PATCH and DELETE answer 202 with an empty body and both
//! `Azure-AsyncOperation` and `Location` pointing at `workspaceOperationsStatus`; deletion is
//! soft unless purged; dependents are validated on create and never deleted with the
//! workspace.

use axum::http::{Method, StatusCode};
use base64::Engine;
use serde_json::{json, Map, Value};

use crate::arm::common::{put_body, tags_of, writable_group, PutBody};
use crate::arm::routes::Kind;
use crate::context::Ctx;
use crate::errors::{ArmError, ArmResult};
use crate::http::{Req, Resp};
use crate::ids::{new_guid, random_hex, random_key};
use crate::names::parse_resource_id;
use crate::names::{eq_ci, normalize_location};
use crate::store::{child_key, OpKind, Store, Workspace, WsAction};
use crate::timestamps::iso;
use crate::tokens::Claims;

/// Recorded: create, update and delete each took about 30 s (polls 30 s apart).
const CREATE_MS: u64 = 30_000;
const UPDATE_MS: u64 = 30_000;
const DELETE_MS: u64 = 30_000;
const DIAGNOSE_MS: u64 = 30_000;
const RESYNC_MS: u64 = 10_000;

const NS_TYPE: &str = "Microsoft.MachineLearningServices/workspaces";

/// The ML resource provider reports input it refuses as `UserError` (what azure-ai-ml
/// prints as "(UserError) …"), not ARM's generic `BadRequest`.
fn bad(message: impl Into<String>) -> ArmError {
    ArmError::bad_request("UserError", message)
}

fn validate_name(name: &str) -> ArmResult<()> {
    let chars: Vec<char> = name.chars().collect();
    let ok = (3..=33).contains(&chars.len())
        && chars[0].is_ascii_alphanumeric()
        && chars
            .iter()
            .all(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-');
    if ok {
        Ok(())
    } else {
        Err(bad(format!(
            "Workspace name '{name}' is invalid. It must be 3 to 33 characters long, start with \
             a letter or a digit, and contain only letters, digits, '_' and '-' \
             (^[a-zA-Z0-9][a-zA-Z0-9_-]{{2,32}}$)."
        )))
    }
}

#[allow(clippy::too_many_arguments)]
pub(crate) fn handle(
    ctx: &Ctx,
    st: &mut Store,
    req: &Req,
    claims: &Claims,
    rg: &str,
    name: &str,
    action: Option<&str>,
) -> ArmResult<Resp> {
    let action = action.map(str::to_ascii_lowercase);
    match (action.as_deref(), &req.method) {
        (None, &Method::PUT) => put(ctx, st, req, claims, rg, name),
        (None, &Method::GET) => {
            crate::arm::common::existing_group(st, rg)?;
            st.workspaces
                .get(&child_key(rg, name))
                .map(|w| Resp::ok(w.body.clone()))
                .ok_or_else(|| ArmError::resource_not_found(NS_TYPE, name, rg))
        }
        (None, &Method::PATCH) => patch(ctx, st, req, claims, rg, name),
        (None, &Method::DELETE) => delete(ctx, st, req, rg, name),
        (None, _) => Err(crate::arm::common::method_not_allowed(req)),
        (Some("listkeys"), &Method::POST) => list_keys(st, rg, name),
        (Some("resynckeys"), &Method::POST) => resync_keys(ctx, st, req, rg, name),
        (Some("diagnose"), &Method::POST) => diagnose(ctx, st, req, rg, name),
        (Some(a), _) => Err(ArmError::not_found(
            "InvalidResourceType",
            format!(
                "The resource type 'workspaces/{a}' could not be found in the namespace \
                 'Microsoft.MachineLearningServices' for api version '{}'.",
                req.api_version()
            ),
        )),
    }
}

fn active<'a>(st: &'a Store, rg: &str, name: &str) -> ArmResult<&'a Workspace> {
    crate::arm::common::existing_group(st, rg)?;
    st.workspaces
        .get(&child_key(rg, name))
        .ok_or_else(|| ArmError::resource_not_found(NS_TYPE, name, rg))
}

/// An opaque operation id like the service's (`7t-BOrv0Tg0zloic8sLE0PIAxFDH0PZ2kHb4LakyYr4`).
fn new_op_id() -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(crate::ids::random_bytes(32))
}

fn status_url(ctx: &Ctx, req: &Req, location: &str, id: &str, ty: &str) -> String {
    format!(
        "{}/subscriptions/{}/providers/Microsoft.MachineLearningServices/locations/{location}/workspaceOperationsStatus/{id}?api-version={}&type={ty}",
        ctx.url,
        ctx.cfg.subscription_id,
        req.api_version()
    )
}

/// 202, empty, with the operation's URLs.
fn accepted(ctx: &Ctx, req: &Req, location: &str, id: &str, with_async: bool) -> Resp {
    let mut resp = Resp::empty(StatusCode::ACCEPTED);
    if with_async {
        resp = resp.header(
            "azure-asyncoperation",
            status_url(ctx, req, location, id, "async"),
        );
    }
    resp = resp.header("location", status_url(ctx, req, location, id, "location"));
    with_poll_hint(ctx, resp)
}

/// The service sends no `Retry-After` on these (recorded); see `Ctx::poll_hint`.
fn with_poll_hint(ctx: &Ctx, resp: Resp) -> Resp {
    ctx.poll_hint(resp, None)
}

/// Registers an operation and applies it at once when it is already due (latency `instant`).
fn start_op(ctx: &Ctx, st: &mut Store, id: &str, realistic_ms: u64, kind: OpKind) {
    let now = ctx.clock.now_ms();
    st.add_op(id.to_string(), now + ctx.op_duration_ms(realistic_ms), kind);
    st.advance(now);
}

/// A linked resource (storage account, vault, App Insights): it must exist; returns its id
/// with the service's casing of the namespace, as the real service echoes it.
fn linked(ctx: &Ctx, st: &Store, field: &str, id: &str, kind: Kind) -> ArmResult<String> {
    let wrong = || {
        bad(format!(
            "The value of properties.{field} '{id}' is not a valid resource id of type \
             '{}'.",
            kind.ns_type()
        ))
    };
    let (sub, rg, ns, ty, name) = parse_resource_id(id).ok_or_else(wrong)?;
    if !eq_ci(&ns, kind.ns_type().split('/').next().unwrap_or_default())
        || !eq_ci(&ty, kind.ns_type().split('/').nth(1).unwrap_or_default())
    {
        return Err(wrong());
    }
    let missing = || {
        bad(format!(
            "The resource '{id}' given as properties.{field} does not exist. Create it first \
             or give an existing one."
        ))
    };
    if !eq_ci(&sub, &ctx.cfg.subscription_id) {
        return Err(missing());
    }
    let group = st.groups.get(&rg.to_lowercase()).ok_or_else(missing)?;
    let (tracked, service_ns) = match kind {
        Kind::Storage => (
            st.storage.get(&name.to_lowercase()),
            "Microsoft.Storage/storageAccounts",
        ),
        Kind::Vault => (
            st.vaults.get(&name.to_lowercase()),
            "Microsoft.Keyvault/vaults",
        ),
        Kind::Component => (
            st.components.get(&child_key(&rg, &name)),
            "Microsoft.insights/components",
        ),
        Kind::Registry => (
            st.registries.get(&name.to_lowercase()),
            "Microsoft.ContainerRegistry/registries",
        ),
        Kind::Identity => (
            st.identities.get(&child_key(&rg, &name)),
            "Microsoft.ManagedIdentity/userAssignedIdentities",
        ),
        Kind::Workspace | Kind::VirtualNetwork | Kind::PrivateEndpoint | Kind::LogAnalytics => {
            (None, NS_TYPE)
        }
    };
    let tracked = tracked
        .filter(|t| t.rg == rg.to_lowercase())
        .ok_or_else(missing)?;
    if kind == Kind::Registry && tracked.body["properties"]["adminUserEnabled"] != json!(true) {
        return Err(bad(format!(
            "The container registry '{id}' must have the admin user enabled to be attached to \
             a workspace."
        )));
    }
    if kind == Kind::Storage {
        let sku = tracked.body["sku"]["name"].as_str().unwrap_or_default();
        if sku.starts_with("Premium") {
            return Err(bad(format!(
                "The storage account '{id}' has SKU '{sku}': premium storage accounts cannot be \
                 a workspace's default storage account."
            )));
        }
        if tracked.body["properties"]["isHnsEnabled"] == json!(true) {
            return Err(bad(format!(
                "The storage account '{id}' has hierarchical namespace enabled, which a \
                 workspace's default storage account must not have."
            )));
        }
    }
    Ok(format!(
        "/subscriptions/{}/resourceGroups/{}/providers/{service_ns}/{}",
        ctx.cfg.subscription_id,
        group.name,
        tracked.body["name"].as_str().unwrap_or(&name)
    ))
}

/// Optional linked resource: absent, null or "" means none.
fn optional_str<'a>(props: &'a Value, field: &str) -> Option<&'a str> {
    props
        .get(field)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
}

fn identity(
    ctx: &Ctx,
    st: &Store,
    input: Option<&Value>,
    existing: Option<&Value>,
) -> ArmResult<Value> {
    let default = json!({"type": "SystemAssigned"});
    let input = input.filter(|v| !v.is_null()).unwrap_or(&default);
    let raw = input["type"].as_str().unwrap_or("SystemAssigned");
    let norm: String = raw
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_lowercase();
    let (ty, system, user) = match norm.as_str() {
        "systemassigned" => ("SystemAssigned", true, false),
        "userassigned" => ("UserAssigned", false, true),
        "systemassigned,userassigned" => ("SystemAssigned,UserAssigned", true, true),
        "none" => ("None", false, false),
        _ => {
            return Err(bad(format!(
                "identity.type '{raw}' is invalid: use SystemAssigned, UserAssigned, \
                 'SystemAssigned,UserAssigned' or None."
            )))
        }
    };
    let mut out = json!({ "type": ty });
    if system {
        let principal = existing
            .and_then(|e| e["principalId"].as_str())
            .map(str::to_string)
            .unwrap_or_else(new_guid);
        out["principalId"] = json!(principal);
        out["tenantId"] = json!(ctx.cfg.tenant_id);
    }
    if user {
        let Some(ids) = input["userAssignedIdentities"]
            .as_object()
            .filter(|m| !m.is_empty())
        else {
            return Err(bad(
                "identity.userAssignedIdentities is required for a UserAssigned identity.",
            ));
        };
        let mut map = Map::new();
        for id in ids.keys() {
            // Each must be an existing identity; its ids are the ones it was created with.
            linked(
                ctx,
                st,
                "identity.userAssignedIdentities",
                id,
                Kind::Identity,
            )?;
            let stored = parse_resource_id(id)
                .and_then(|(_, rg, _, _, n)| st.identities.get(&child_key(&rg, &n)))
                .map(|t| {
                    json!({
                        "principalId": t.body["properties"]["principalId"],
                        "clientId": t.body["properties"]["clientId"],
                    })
                })
                .unwrap_or_else(|| json!({"principalId": new_guid(), "clientId": new_guid()}));
            map.insert(id.clone(), stored);
        }
        out["userAssignedIdentities"] = Value::Object(map);
    }
    Ok(out)
}

/// `primaryUserAssignedIdentity` must be one of the workspace's user-assigned identities.
fn check_primary_identity(props: &Value, identity: &Value) -> ArmResult<()> {
    let Some(primary) = optional_str(props, "primaryUserAssignedIdentity") else {
        return Ok(());
    };
    let attached = identity["userAssignedIdentities"]
        .as_object()
        .is_some_and(|m| m.keys().any(|k| eq_ci(k, primary)));
    if attached {
        Ok(())
    } else {
        Err(bad(format!(
            "properties.primaryUserAssignedIdentity '{primary}' must be one of the \
             workspace's identity.userAssignedIdentities."
        )))
    }
}

fn public_network_access(props: &Value) -> ArmResult<Option<&'static str>> {
    match props.get("publicNetworkAccess").and_then(Value::as_str) {
        None => Ok(None),
        Some(v) if v.eq_ignore_ascii_case("enabled") => Ok(Some("Enabled")),
        Some(v) if v.eq_ignore_ascii_case("disabled") => Ok(Some("Disabled")),
        Some(v) => Err(bad(format!(
            "properties.publicNetworkAccess '{v}' is invalid: use Enabled or Disabled."
        ))),
    }
}

/// A PUT or PATCH may not change what is fixed at creation.
fn check_immutable(name: &str, current: &Value, props: &Value) -> ArmResult<()> {
    let cur = &current["properties"];
    let refuse = |p: &str| {
        Err(bad(format!(
            "The property '{p}' of workspace '{name}' cannot be changed after the workspace is \
             created."
        )))
    };
    for field in ["storageAccount", "keyVault"] {
        if let Some(new) = optional_str(props, field) {
            if !eq_ci(new, cur[field].as_str().unwrap_or_default()) {
                return refuse(field);
            }
        }
    }
    for field in ["hbiWorkspace", "allowPublicAccessWhenBehindVnet"] {
        if let Some(new) = props.get(field).and_then(Value::as_bool) {
            if new != cur[field].as_bool().unwrap_or(false) {
                return refuse(field);
            }
        }
    }
    if let Some(status) = props["encryption"]["status"].as_str() {
        let current_status = cur["encryption"]["status"].as_str().unwrap_or("Disabled");
        if !eq_ci(status, current_status) {
            return refuse("encryption.status");
        }
    }
    if let Some(kv) = props["encryption"]["keyVaultProperties"]["keyVaultArmId"].as_str() {
        let current_kv = cur["encryption"]["keyVaultProperties"]["keyVaultArmId"]
            .as_str()
            .unwrap_or_default();
        if !eq_ci(kv, current_kv) {
            return refuse("encryption.keyVaultProperties.keyVaultArmId");
        }
    }
    Ok(())
}

fn put(
    ctx: &Ctx,
    st: &mut Store,
    req: &Req,
    claims: &Claims,
    rg: &str,
    name: &str,
) -> ArmResult<Resp> {
    validate_name(name)?;
    let PutBody {
        group_name,
        body: v,
        location,
        tags,
    } = put_body(st, req, rg)?;
    let props = v.get("properties").cloned().unwrap_or(json!({}));
    if !props.is_object() {
        return Err(ArmError::invalid_content("'properties' must be an object"));
    }
    let key = child_key(rg, name);
    if st.deleted_workspaces.contains_key(&key) {
        return Err(bad(
            "Soft-deleted workspace exists. Please purge or recover it. https://aka.ms/wsoftdelete",
        ));
    }
    let pna = public_network_access(&props)?;
    let now = ctx.clock.now_ms();

    if let Some(existing) = st.workspaces.get(&key) {
        // PUT on an existing workspace: an update of what may change.
        if matches!(existing.pending, Some((_, WsAction::Delete { .. }))) {
            return Err(being_deleted(name));
        }
        let existing_loc = existing.body["location"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        if normalize_location(&existing_loc) != location {
            // ARM-CONTRACT.md §2: location is immutable, and changing it is a 400.
            return Err(ArmError::bad_request(
                "InvalidResourceLocation",
                format!(
                    "The resource '{name}' already exists in location '{existing_loc}' in \
                     resource group '{group_name}'. A resource with the same name cannot be \
                     created in location '{location}'. Please select a new resource name."
                ),
            ));
        }
        check_immutable(name, &existing.body, &props)?;
        let app_insights = optional_str(&props, "applicationInsights")
            .map(|id| linked(ctx, st, "applicationInsights", id, Kind::Component))
            .transpose()?;
        let registry = optional_str(&props, "containerRegistry")
            .map(|id| linked(ctx, st, "containerRegistry", id, Kind::Registry))
            .transpose()?;
        let new_identity = identity(
            ctx,
            st,
            v.get("identity"),
            Some(&st.workspaces[&key].body["identity"]),
        )?;
        check_primary_identity(&props, &new_identity)?;
        let op = new_op_id();
        let ws = st.workspaces.get_mut(&key).expect("checked above");
        let b = &mut ws.body;
        b["tags"] = tags.unwrap_or(json!({}));
        b["identity"] = new_identity;
        let p = &mut b["properties"];
        apply_mutable(p, &props, app_insights, registry, pna);
        p["provisioningState"] = json!("Updating");
        touch(b, claims, now);
        ws.pending = Some((op.clone(), WsAction::Update));
        start_op(
            ctx,
            st,
            &op,
            UPDATE_MS,
            OpKind::Workspace {
                key,
                action: WsAction::Update,
            },
        );
        return Ok(accepted(ctx, req, &location, &op, true));
    }

    // Creation: the dependents must exist.
    let Some(storage) = optional_str(&props, "storageAccount") else {
        return Err(bad(
            "properties.storageAccount is required: the workspace's default storage account.",
        ));
    };
    let Some(vault) = optional_str(&props, "keyVault") else {
        return Err(bad(
            "properties.keyVault is required: the workspace's key vault.",
        ));
    };
    let storage = linked(ctx, st, "storageAccount", storage, Kind::Storage)?;
    let vault = linked(ctx, st, "keyVault", vault, Kind::Vault)?;
    let app_insights = optional_str(&props, "applicationInsights")
        .map(|id| linked(ctx, st, "applicationInsights", id, Kind::Component))
        .transpose()?;
    let registry = optional_str(&props, "containerRegistry")
        .map(|id| linked(ctx, st, "containerRegistry", id, Kind::Registry))
        .transpose()?;
    let encryption = props.get("encryption").filter(|e| !e.is_null()).cloned();
    if let Some(e) = &encryption {
        if e["status"]
            .as_str()
            .is_some_and(|s| s.eq_ignore_ascii_case("enabled"))
        {
            let kv = e["keyVaultProperties"]["keyVaultArmId"]
                .as_str()
                .unwrap_or_default();
            if kv.is_empty()
                || e["keyVaultProperties"]["keyIdentifier"]
                    .as_str()
                    .unwrap_or_default()
                    .is_empty()
            {
                return Err(bad(
                    "encryption.keyVaultProperties.keyVaultArmId and keyIdentifier are required \
                     when encryption.status is Enabled.",
                ));
            }
            linked(
                ctx,
                st,
                "encryption.keyVaultProperties.keyVaultArmId",
                kv,
                Kind::Vault,
            )?;
        }
    }
    let ident = identity(ctx, st, v.get("identity"), None)?;
    check_primary_identity(&props, &ident)?;
    let id = crate::arm::common::resource_id(ctx, &group_name, Kind::Workspace, name);
    let workspace_id = new_guid();
    let short: String = name
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .take(11)
        .collect::<String>()
        .to_lowercase();
    let kind = match v["kind"].as_str() {
        Some(k)
            if ["Default", "Hub", "Project", "FeatureStore"]
                .iter()
                .any(|x| x.eq_ignore_ascii_case(k)) =>
        {
            ["Default", "Hub", "Project", "FeatureStore"]
                .into_iter()
                .find(|x| x.eq_ignore_ascii_case(k))
                .unwrap_or("Default")
        }
        _ => "Default",
    };
    let mut properties = json!({
        "friendlyName": props.get("friendlyName").cloned().unwrap_or(json!(name)),
        "description": props.get("description").cloned().unwrap_or(json!("")),
        "storageAccount": storage,
        "keyVault": vault,
        "applicationInsights": app_insights,
        "hbiWorkspace": props.get("hbiWorkspace").and_then(Value::as_bool).unwrap_or(false),
        "tenantId": ctx.cfg.tenant_id,
        "imageBuildCompute": props.get("imageBuildCompute").cloned().unwrap_or(Value::Null),
        "provisioningState": "Creating",
        "v1LegacyMode": props.get("v1LegacyMode").and_then(Value::as_bool).unwrap_or(false),
        "softDeleteEnabled": true,
        "containerRegistry": registry.unwrap_or_default(),
        "notebookInfo": {
            "resourceId": random_hex(16),
            "fqdn": format!("ml-{short}-{location}-{workspace_id}.{location}.notebooks.azure.net"),
            "isPrivateLinkEnabled": false,
            "notebookPreparationError": null,
        },
        "storageHnsEnabled": false,
        "workspaceId": workspace_id,
        "linkedModelInventoryArmId": null,
        "privateLinkCount": 0,
        "publicNetworkAccess": pna.unwrap_or("Enabled"),
        "discoveryUrl": format!("https://{location}.api.azureml.ms/discovery"),
        "mlFlowTrackingUri": format!("azureml://{location}.api.azureml.ms/mlflow/v1.0{id}"),
        "sdkTelemetryAppInsightsKey": new_guid(),
        "sasGetterUri": "",
        "creationTime": iso(now),
        "allowPublicAccessWhenBehindVnet": props.get("allowPublicAccessWhenBehindVnet").and_then(Value::as_bool).unwrap_or(false),
        "enableDataIsolation": props.get("enableDataIsolation").and_then(Value::as_bool).unwrap_or(false),
    });
    // Kept as sent, as the service echoes them (the spec's create example shows
    // sharedPrivateLinkResources coming back).
    for field in [
        "systemDatastoresAuthMode",
        "primaryUserAssignedIdentity",
        "managedNetwork",
        "sharedPrivateLinkResources",
    ] {
        if let Some(value) = props.get(field).filter(|v| !v.is_null()) {
            properties[field] = value.clone();
        }
    }
    if let Some(e) = encryption {
        properties["encryption"] = e;
    }
    let principal = ident["principalId"].as_str().map(str::to_string);
    let mut body = json!({
        "id": id,
        "name": name,
        "type": NS_TYPE,
        "location": location,
        "tags": tags.unwrap_or(json!({})),
        "etag": null,
        "properties": properties,
        "identity": ident,
        "kind": kind,
        "sku": {"name": "Basic", "tier": "Basic"},
        "systemData": {},
    });
    body["systemData"] = json!({
        "createdAt": iso(now),
        "createdBy": claims.appid,
        "createdByType": "Application",
    });
    touch(&mut body, claims, now);
    if let Some(principal) = principal {
        // The service lets the workspace's identity use its vault.
        let vault_name = vault.rsplit('/').next().unwrap_or_default().to_string();
        crate::arm::providers::keyvault::grant_access(
            st,
            &vault_name,
            &ctx.cfg.tenant_id,
            &principal,
        );
    }
    let op = new_op_id();
    st.workspaces.insert(
        key.clone(),
        Workspace {
            rg: rg.to_lowercase(),
            body,
            pending: Some((op.clone(), WsAction::Create)),
            notebook_keys: (random_key(), random_key()),
        },
    );
    start_op(
        ctx,
        st,
        &op,
        CREATE_MS,
        OpKind::Workspace {
            key,
            action: WsAction::Create,
        },
    );
    Ok(accepted(ctx, req, &location, &op, true))
}

fn being_deleted(name: &str) -> ArmError {
    ArmError::conflict(
        "Conflict",
        format!("The workspace '{name}' is being deleted."),
    )
}

fn touch(body: &mut Value, claims: &Claims, now: i64) {
    body["systemData"]["lastModifiedAt"] = json!(iso(now));
    body["systemData"]["lastModifiedBy"] = json!(claims.appid);
    body["systemData"]["lastModifiedByType"] = json!("Application");
}

fn patch(
    ctx: &Ctx,
    st: &mut Store,
    req: &Req,
    claims: &Claims,
    rg: &str,
    name: &str,
) -> ArmResult<Resp> {
    writable_group(st, rg)?;
    let v = req.json()?;
    let key = child_key(rg, name);
    let ws = active(st, rg, name)?;
    if matches!(ws.pending, Some((_, WsAction::Delete { .. }))) {
        return Err(being_deleted(name));
    }
    let props = v.get("properties").cloned().unwrap_or(json!({}));
    check_immutable(name, &ws.body, &props)?;
    let tags = tags_of(&v)?;
    let pna = public_network_access(&props)?;
    let app_insights = optional_str(&props, "applicationInsights")
        .map(|id| linked(ctx, st, "applicationInsights", id, Kind::Component))
        .transpose()?;
    let registry = optional_str(&props, "containerRegistry")
        .map(|id| linked(ctx, st, "containerRegistry", id, Kind::Registry))
        .transpose()?;
    let new_identity = match v.get("identity").filter(|i| !i.is_null()) {
        Some(i) => Some(identity(ctx, st, Some(i), Some(&ws.body["identity"]))?),
        None => None,
    };
    // The primary identity must be among the identities the workspace will have.
    check_primary_identity(
        &props,
        new_identity.as_ref().unwrap_or(&ws.body["identity"]),
    )?;
    let location = ws.body["location"].as_str().unwrap_or_default().to_string();
    let now = ctx.clock.now_ms();
    let op = new_op_id();
    let ws = st.workspaces.get_mut(&key).expect("checked above");
    let b = &mut ws.body;
    if let Some(tags) = tags {
        b["tags"] = tags;
    }
    if let Some(sku) = v.get("sku").and_then(Value::as_object) {
        if let Some(n) = sku.get("name").and_then(Value::as_str) {
            let tier = sku.get("tier").and_then(Value::as_str).unwrap_or(n);
            b["sku"] = json!({"name": n, "tier": tier});
        }
    }
    if let Some(i) = new_identity {
        b["identity"] = i;
    }
    let p = &mut b["properties"];
    apply_mutable(p, &props, app_insights, registry, pna);
    if let Some(kid) = props["encryption"]["keyVaultProperties"]["keyIdentifier"].as_str() {
        if p["encryption"].is_object() {
            p["encryption"]["keyVaultProperties"]["keyIdentifier"] = json!(kid);
        }
    }
    touch(b, claims, now);
    if synchronous_update(req.api_version()) {
        b["properties"]["provisioningState"] = json!("Succeeded");
        ws.pending = None;
        return Ok(Resp::ok(b.clone()));
    }
    b["properties"]["provisioningState"] = json!("Updating");
    ws.pending = Some((op.clone(), WsAction::Update));
    start_op(
        ctx,
        st,
        &op,
        UPDATE_MS,
        OpKind::Workspace {
            key,
            action: WsAction::Update,
        },
    );
    Ok(accepted(ctx, req, &location, &op, true))
}

/// Before 2022-05-01 the API defined PATCH as a plain 200 with the workspace; the
/// long-running PATCH (202, recorded) came with 2022-05-01.
fn synchronous_update(api_version: &str) -> bool {
    api_version < "2022-05-01"
}

/// Up to 2020-08-01 the API defined resyncKeys as a plain 200: that version's SDK
/// (azure-mgmt-machinelearningservices 1.0) fails on a 202. The 2021-07-01 spec has it
/// long-running; the versions in between are answered like the later ones.
fn synchronous_resync(api_version: &str) -> bool {
    api_version < "2021-01-01"
}

fn delete(ctx: &Ctx, st: &mut Store, req: &Req, rg: &str, name: &str) -> ArmResult<Resp> {
    crate::arm::common::existing_group(st, rg)?;
    let key = child_key(rg, name);
    let purge = req
        .q("forceToPurge")
        .is_some_and(|v| v.eq_ignore_ascii_case("true"));
    let op = new_op_id();
    if let Some(ws) = st.workspaces.get_mut(&key) {
        // A workspace encrypted with a customer-managed key is never soft-deleted.
        let cmk = ws.body["properties"]["encryption"]["status"]
            .as_str()
            .is_some_and(|s| s.eq_ignore_ascii_case("enabled"));
        let action = WsAction::Delete {
            purge: purge || cmk,
        };
        ws.body["properties"]["provisioningState"] = json!("Deleting");
        ws.pending = Some((op.clone(), action));
        let location = ws.body["location"].as_str().unwrap_or_default().to_string();
        start_op(ctx, st, &op, DELETE_MS, OpKind::Workspace { key, action });
        return Ok(accepted(ctx, req, &location, &op, true));
    }
    if purge {
        if let Some(ws) = st.deleted_workspaces.get_mut(&key) {
            let action = WsAction::Delete { purge: true };
            ws.pending = Some((op.clone(), action));
            let location = ws.body["location"].as_str().unwrap_or_default().to_string();
            start_op(ctx, st, &op, DELETE_MS, OpKind::Workspace { key, action });
            return Ok(accepted(ctx, req, &location, &op, true));
        }
    }
    Ok(Resp::empty(StatusCode::NO_CONTENT))
}

pub(crate) fn list(st: &Store, rg: Option<&str>) -> Vec<Value> {
    let rg = rg.map(str::to_lowercase);
    st.workspaces
        .values()
        .filter(|w| rg.as_ref().is_none_or(|rg| &w.rg == rg))
        .map(|w| w.body.clone())
        .collect()
}

fn list_keys(st: &Store, rg: &str, name: &str) -> ArmResult<Resp> {
    let ws = active(st, rg, name)?;
    let p = &ws.body["properties"];
    let storage_id = p["storageAccount"].as_str().unwrap_or_default();
    let storage_key = parse_resource_id(storage_id)
        .and_then(|(_, _, _, _, n)| st.storage.get(&n.to_lowercase()))
        .and_then(|a| a.keys.first().cloned());
    let ikey = p["applicationInsights"]
        .as_str()
        .and_then(parse_resource_id)
        .and_then(|(_, r, _, _, n)| st.components.get(&child_key(&r, &n)))
        .map(|c| c.body["properties"]["InstrumentationKey"].clone())
        .unwrap_or(Value::Null);
    let registry = p["containerRegistry"]
        .as_str()
        .and_then(parse_resource_id)
        .and_then(|(_, _, _, _, n)| st.registries.get(&n.to_lowercase()))
        .and_then(|r| {
            let mut creds = crate::arm::providers::registries::credentials(r).ok()?;
            creds["location"] = r.body["location"].clone();
            Some(creds)
        });
    Ok(Resp::ok(json!({
        "userStorageKey": storage_key,
        "userStorageResourceId": storage_id,
        "appInsightsInstrumentationKey": ikey,
        "containerRegistryCredentials": registry,
        "notebookAccessKeys": {
            "primaryAccessKey": ws.notebook_keys.0,
            "secondaryAccessKey": ws.notebook_keys.1,
        },
    })))
}

fn resync_keys(ctx: &Ctx, st: &mut Store, req: &Req, rg: &str, name: &str) -> ArmResult<Resp> {
    let location = active(st, rg, name)?.body["location"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    if let Some(ws) = st.workspaces.get_mut(&child_key(rg, name)) {
        ws.notebook_keys = (random_key(), random_key());
    }
    if synchronous_resync(req.api_version()) {
        return Ok(Resp::empty(StatusCode::OK));
    }
    let op = new_op_id();
    start_op(ctx, st, &op, RESYNC_MS, OpKind::ResyncKeys);
    Ok(accepted(ctx, req, &location, &op, true))
}

fn diagnose(ctx: &Ctx, st: &mut Store, req: &Req, rg: &str, name: &str) -> ArmResult<Resp> {
    let location = active(st, rg, name)?.body["location"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    req.json_or_empty()?;
    let op = new_op_id();
    start_op(ctx, st, &op, DIAGNOSE_MS, OpKind::Diagnose);
    // Recorded: diagnose answers with Location only.
    Ok(accepted(ctx, req, &location, &op, false))
}

/// `GET …/locations/{loc}/workspaceOperationsStatus/{id}?type=async|location`.
pub(crate) fn operation_status(ctx: &Ctx, st: &mut Store, req: &Req, id: &str) -> ArmResult<Resp> {
    crate::arm::common::only_get(req)?;
    let not_found = || {
        ArmError::not_found(
            "NotFound",
            format!("The operation '{id}' could not be found."),
        )
    };
    let op = st.ops.get(id).ok_or_else(not_found)?;
    if matches!(
        op.kind,
        OpKind::GroupDelete { .. } | OpKind::StorageCreate { .. } | OpKind::Network { .. }
    ) {
        return Err(not_found());
    }
    let by_location = req
        .q("type")
        .is_some_and(|t| t.eq_ignore_ascii_case("location"));
    if let (true, Some(f)) = (op.applied, &op.failure) {
        return if by_location {
            Err(f.to_error())
        } else {
            Ok(Resp::ok(f.status_body()))
        };
    }
    if !by_location {
        return Ok(if op.applied {
            Resp::ok(json!({"status": "Succeeded", "percentComplete": 100.0}))
        } else {
            with_poll_hint(ctx, Resp::ok(json!({"status": "InProgress"})))
        });
    }
    if !op.applied {
        let this = format!("{}{}", ctx.url, req.path);
        let v = req.api_version();
        let resp = Resp::empty(StatusCode::ACCEPTED)
            .header(
                "azure-asyncoperation",
                format!("{this}?api-version={v}&type=async"),
            )
            .header("location", format!("{this}?api-version={v}&type=location"));
        return Ok(with_poll_hint(ctx, resp));
    }
    Ok(match &op.kind {
        OpKind::Workspace {
            key,
            action: WsAction::Create | WsAction::Update,
        } => match st.workspaces.get(key) {
            Some(ws) => Resp::ok(ws.body.clone()),
            None => Resp::empty(StatusCode::OK),
        },
        OpKind::Workspace {
            action: WsAction::Delete { .. },
            ..
        } => Resp::empty(StatusCode::NO_CONTENT),
        OpKind::Diagnose => Resp::ok(json!({"value": {
            "userDefinedRouteResults": [],
            "networkSecurityRuleResults": [],
            "resourceLockResults": [],
            "dnsResolutionResults": [],
            "storageAccountResults": [],
            "keyVaultResults": [],
            "containerRegistryResults": [],
            "applicationInsightsResults": [],
            "otherResults": [],
        }})),
        OpKind::ResyncKeys
        | OpKind::GroupDelete { .. }
        | OpKind::StorageCreate { .. }
        | OpKind::Network { .. } => Resp::empty(StatusCode::OK),
    })
}

/// The properties that may change after creation (ARM-CONTRACT.md §2), as an update by PUT
/// or by PATCH sets them; the links were checked by the caller.
fn apply_mutable(
    p: &mut Value,
    props: &Value,
    app_insights: Option<String>,
    registry: Option<String>,
    pna: Option<&str>,
) {
    for field in [
        "description",
        "friendlyName",
        "imageBuildCompute",
        "primaryUserAssignedIdentity",
        "managedNetwork",
        "systemDatastoresAuthMode",
        "v1LegacyMode",
        "enableDataIsolation",
    ] {
        if let Some(value) = props.get(field) {
            p[field] = value.clone();
        }
    }
    if let Some(ai) = app_insights {
        p["applicationInsights"] = json!(ai);
    }
    if let Some(r) = registry {
        p["containerRegistry"] = json!(r);
    }
    if let Some(pna) = pna {
        p["publicNetworkAccess"] = json!(pna);
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn names() {
        assert!(super::validate_name("ws1").is_ok());
        assert!(super::validate_name("a_b-c").is_ok());
        assert!(super::validate_name("ab").is_err());
        assert!(super::validate_name("_ab").is_err());
        assert!(super::validate_name("a.b").is_err());
        assert!(super::validate_name(&"a".repeat(33)).is_ok());
        assert!(super::validate_name(&"a".repeat(34)).is_err());
    }
}
