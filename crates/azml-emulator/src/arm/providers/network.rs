//! Virtual networks, their subnets and private endpoints (`Microsoft.Network`), and the
//! private endpoint connections they make on ML workspaces.
//!
//! As the network provider answers: a PUT is 201 (new) or 200 (existing) with the body in
//! `provisioningState: Updating` and an `Azure-AsyncOperation` header pointing at
//! `…/providers/Microsoft.Network/locations/{loc}/operations/{id}`; a DELETE is 202 with
//! `Azure-AsyncOperation` and `Location` (`…/operationResults/{id}`), or 204 when there was
//! nothing to delete. Unlike Azure, a deleted resource disappears at once (its operation
//! still runs for the configured latency), so its dependents are released at once too.
//!
//! A private endpoint to a workspace (group id `amlworkspace`) shows up on the workspace as
//! a `privateEndpointConnections` entry, `Approved` for an automatic connection
//! (`privateLinkServiceConnections`) and `Pending` for a manual one
//! (`manualPrivateLinkServiceConnections`); `privateLinkCount` counts the entries. The
//! workspace side may approve, reject or delete the connection, and the endpoint's own
//! connection then shows the same state (`Disconnected` after a delete). When the workspace
//! is deleted, endpoints pointing at it stay, their connection `Disconnected`, as Azure
//! leaves an endpoint whose target resource is gone.

use axum::http::{Method, StatusCode};
use serde_json::{json, Value};

use crate::arm::common::{put_body, writable_group, PutBody};
use crate::arm::routes::Kind;
use crate::context::Ctx;
use crate::errors::{ArmError, ArmResult};
use crate::http::{Req, Resp};
use crate::ids::new_guid;
use crate::names::eq_ci;
use crate::names::parse_resource_id;
use crate::private_links::{
    drop_connections, etag, mirror_on_endpoint, refresh_workspace, release_subnet, subnet_parts,
    LISTS,
};
use crate::store::{child_key, OpKind, Store, Tracked};

const VNET_TYPE: &str = "Microsoft.Network/virtualNetworks";
const SUBNET_TYPE: &str = "Microsoft.Network/virtualNetworks/subnets";
const PE_TYPE: &str = "Microsoft.Network/privateEndpoints";
const WS_TYPE: &str = "Microsoft.MachineLearningServices/workspaces";
const CONNECTION_TYPE: &str =
    "Microsoft.MachineLearningServices/workspaces/privateEndpointConnections";
/// The one private link resource (sub-resource) of a workspace.
const GROUP_ID: &str = "amlworkspace";

/// Realistic durations: a virtual network or subnet takes seconds, a private endpoint about
/// half a minute.
const VNET_MS: u64 = 10_000;
const SUBNET_MS: u64 = 5_000;
const PE_MS: u64 = 30_000;
/// The network provider's `Retry-After` on its operations.
const RETRY_AFTER: &str = "10";

// ---------------------------------------------------------------------------------------
// IPv4 prefixes

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Prefix {
    base: u32,
    len: u8,
}

impl Prefix {
    fn mask(len: u8) -> u32 {
        if len == 0 {
            0
        } else {
            u32::MAX << (32 - u32::from(len))
        }
    }
    fn contains(self, inner: Prefix) -> bool {
        inner.len >= self.len && inner.base & Self::mask(self.len) == self.base
    }
    fn overlaps(self, other: Prefix) -> bool {
        let len = self.len.min(other.len);
        self.base & Self::mask(len) == other.base & Self::mask(len)
    }
    fn size(self) -> u64 {
        1u64 << (32 - u32::from(self.len))
    }
}

fn ip_string(ip: u32) -> String {
    std::net::Ipv4Addr::from(ip).to_string()
}

/// A prefix as ARM checks it: well formed (`NetcfgInvalidIPAddressPrefix`), and with no
/// bits set past the prefix length (`InvalidCIDRNotation`).
fn parse_prefix(text: &str, owner: &str) -> ArmResult<Prefix> {
    let invalid = || {
        ArmError::bad_request(
            "NetcfgInvalidIPAddressPrefix",
            format!("Value provided: {text} is not a valid IP address prefix."),
        )
    };
    let (ip, len) = text.split_once('/').ok_or_else(invalid)?;
    let ip: std::net::Ipv4Addr = ip.parse().map_err(|_| invalid())?;
    let len: u8 = len.parse().map_err(|_| invalid())?;
    if len > 32 {
        return Err(invalid());
    }
    let base = u32::from(ip);
    if base & !Prefix::mask(len) != 0 {
        return Err(ArmError::bad_request(
            "InvalidCIDRNotation",
            format!(
                "The address prefix {text} in resource {owner} has an invalid CIDR notation. For \
                 the given prefix length, the address prefix should be {}/{len}.",
                ip_string(base & Prefix::mask(len))
            ),
        ));
    }
    Ok(Prefix { base, len })
}

// ---------------------------------------------------------------------------------------
// Names, ids, bodies

/// Network resource names: up to 80 (virtual networks: 2–64) of word characters, `.`, `-`,
/// starting with a word character and ending with one or `_`.
fn check_name(name: &str, min: usize, max: usize) -> ArmResult<()> {
    let chars: Vec<char> = name.chars().collect();
    let word = |c: &char| c.is_ascii_alphanumeric() || *c == '_';
    let ok = (min..=max).contains(&chars.len())
        && chars.first().is_some_and(word)
        && chars.last().is_some_and(word)
        && chars.iter().all(|c| word(c) || *c == '.' || *c == '-');
    if ok {
        return Ok(());
    }
    Err(ArmError::bad_request(
        "InvalidResourceName",
        format!(
            "Resource name {name} is invalid. The name can be up to {max} characters long. It \
             must begin with a word character, and it must end with a word character or with \
             '_'. The name may contain word characters or '.', '-', '_'."
        ),
    ))
}

fn vnet_id(ctx: &Ctx, rg: &str, name: &str) -> String {
    crate::arm::common::resource_id(ctx, rg, Kind::VirtualNetwork, name)
}

/// A subnet id of the emulator's subscription: `(group, vnet, subnet)`.
fn parse_subnet_id(ctx: &Ctx, id: &str) -> Option<(String, String, String)> {
    let parts: Vec<&str> = id.split('/').filter(|p| !p.is_empty()).collect();
    if !parts
        .get(1)
        .is_some_and(|s| eq_ci(s, &ctx.cfg.subscription_id))
    {
        return None;
    }
    subnet_parts(id)
}

fn subnets_of(vnet: &Value) -> &[Value] {
    vnet["properties"]["subnets"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
}

fn find_subnet<'a>(vnet: &'a Value, name: &str) -> Option<&'a Value> {
    subnets_of(vnet)
        .iter()
        .find(|s| s["name"].as_str().is_some_and(|n| eq_ci(n, name)))
}

fn subnet_prefixes(subnet: &Value, owner: &str) -> ArmResult<Vec<Prefix>> {
    let p = &subnet["properties"];
    let mut texts: Vec<&str> = Vec::new();
    if let Some(one) = p["addressPrefix"].as_str() {
        texts.push(one);
    }
    if let Some(many) = p["addressPrefixes"].as_array() {
        texts.extend(many.iter().filter_map(Value::as_str));
    }
    texts.iter().map(|t| parse_prefix(t, owner)).collect()
}

fn in_use_by(subnet: &Value) -> Option<String> {
    subnet["properties"]["ipConfigurations"]
        .as_array()
        .and_then(|c| c.first())
        .and_then(|c| c["id"].as_str())
        .map(str::to_string)
}

fn in_use_error(subnet_name: &str, user: &str) -> ArmError {
    ArmError::bad_request(
        "InUseSubnetCannotBeDeleted",
        format!(
            "Subnet {subnet_name} is in use by {user} and cannot be deleted. In order to delete \
             the subnet, delete all the resources within the subnet. See aka.ms/deletesubnet."
        ),
    )
}

/// The subnet body for `input` (a subnet as sent: `{name, properties{addressPrefix…}}`),
/// keeping what the endpoints in it put there.
fn build_subnet(
    vnet_id: &str,
    name: &str,
    input: &Value,
    existing: Option<&Value>,
) -> ArmResult<Value> {
    check_name(name, 1, 80)?;
    let id = format!("{vnet_id}/subnets/{name}");
    let props = &input["properties"];
    if props["addressPrefix"].as_str().is_none()
        && props["addressPrefixes"]
            .as_array()
            .is_none_or(|a| a.is_empty())
    {
        return Err(ArmError::bad_request(
            "NoAddressPrefixOrPoolProvided",
            format!("No address prefix or pool provided for subnet '{id}'."),
        ));
    }
    subnet_prefixes(input, &id)?;
    let policy = |field: &str, default: &str, allowed: &[&str]| -> ArmResult<Value> {
        match props.get(field).and_then(Value::as_str) {
            None => Ok(existing
                .map(|e| e["properties"][field].clone())
                .filter(|v| v.is_string())
                .unwrap_or(json!(default))),
            Some(v) => allowed
                .iter()
                .find(|a| eq_ci(a, v))
                .map(|a| json!(a))
                .ok_or_else(|| {
                    ArmError::bad_request(
                        "InvalidRequestFormat",
                        format!(
                            "Cannot parse the request: properties.{field} '{v}' is not one of {}.",
                            allowed.join(", ")
                        ),
                    )
                }),
        }
    };
    let mut properties = json!({
        "provisioningState": "Updating",
        "privateEndpointNetworkPolicies": policy(
            "privateEndpointNetworkPolicies",
            "Disabled",
            &["Disabled", "Enabled", "NetworkSecurityGroupEnabled", "RouteTableEnabled"],
        )?,
        "privateLinkServiceNetworkPolicies": policy(
            "privateLinkServiceNetworkPolicies",
            "Enabled",
            &["Enabled", "Disabled"],
        )?,
        "delegations": props.get("delegations").cloned().unwrap_or(json!([])),
    });
    for field in ["addressPrefix", "addressPrefixes"] {
        if let Some(v) = props.get(field).filter(|v| !v.is_null()) {
            properties[field] = v.clone();
        }
    }
    if let Some(e) = existing {
        for field in ["privateEndpoints", "ipConfigurations"] {
            if let Some(v) = e["properties"].get(field) {
                properties[field] = v.clone();
            }
        }
        if e["properties"]["provisioningState"] == "Succeeded" {
            // An unchanged subnet in a vnet PUT is not re-provisioned.
            properties["provisioningState"] = json!("Succeeded");
        }
    }
    Ok(json!({
        "name": existing.and_then(|e| e["name"].as_str()).unwrap_or(name),
        "id": existing.and_then(|e| e["id"].as_str()).map(str::to_string).unwrap_or(id),
        "etag": etag(),
        "type": SUBNET_TYPE,
        "properties": properties,
    }))
}

/// Every subnet inside the address space, and no two overlapping.
fn check_layout(vnet_name: &str, space: &[Prefix], subnets: &[Value]) -> ArmResult<()> {
    let mut seen: Vec<Prefix> = Vec::new();
    for s in subnets {
        let name = s["name"].as_str().unwrap_or_default();
        let id = s["id"].as_str().unwrap_or_default();
        for p in subnet_prefixes(s, id)? {
            if !space.iter().any(|outer| outer.contains(p)) {
                return Err(ArmError::bad_request(
                    "NetcfgSubnetRangeOutsideVnet",
                    format!(
                        "Subnet '{name}' is not valid because its IP address range is outside \
                         the IP address range of virtual network '{vnet_name}'."
                    ),
                ));
            }
            if seen.iter().any(|q| q.overlaps(p)) {
                return Err(ArmError::bad_request(
                    "NetcfgSubnetRangesOverlap",
                    format!(
                        "Subnet '{name}' is not valid because its IP address range overlaps \
                         with that of an existing subnet in virtual network '{vnet_name}'."
                    ),
                ));
            }
            seen.push(p);
        }
    }
    Ok(())
}

fn address_space(body: &Value, owner: &str) -> ArmResult<Vec<Prefix>> {
    let prefixes = body["properties"]["addressSpace"]["addressPrefixes"]
        .as_array()
        .filter(|a| !a.is_empty())
        .ok_or_else(|| {
            ArmError::bad_request(
                "InvalidRequestFormat",
                "Cannot parse the request: properties.addressSpace.addressPrefixes must list at \
                 least one address prefix.",
            )
        })?;
    prefixes
        .iter()
        .map(|p| {
            p.as_str()
                .ok_or_else(|| {
                    ArmError::bad_request(
                        "InvalidRequestFormat",
                        "Cannot parse the request: address prefixes must be strings.",
                    )
                })
                .and_then(|t| parse_prefix(t, owner))
        })
        .collect()
}

// ---------------------------------------------------------------------------------------
// Operations

fn new_op(ctx: &Ctx, st: &mut Store, resource_id: &str, realistic_ms: u64) -> String {
    let id = new_guid();
    let now = ctx.clock.now_ms();
    st.add_op(
        id.clone(),
        now + ctx.op_duration_ms(realistic_ms),
        OpKind::Network {
            resource: resource_id.to_string(),
        },
    );
    st.advance(now);
    id
}

fn op_url(ctx: &Ctx, req: &Req, location: &str, id: &str, what: &str) -> String {
    format!(
        "{}/subscriptions/{}/providers/Microsoft.Network/locations/{location}/{what}/{id}?api-version={}",
        ctx.url,
        ctx.cfg.subscription_id,
        req.api_version()
    )
}

fn written(ctx: &Ctx, req: &Req, created: bool, location: &str, op: &str, body: Value) -> Resp {
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    let resp = Resp::json(status, body).header(
        "azure-asyncoperation",
        op_url(ctx, req, location, op, "operations"),
    );
    ctx.poll_hint(resp, Some(RETRY_AFTER))
}

fn deleting(ctx: &Ctx, req: &Req, location: &str, op: &str) -> Resp {
    let resp = Resp::empty(StatusCode::ACCEPTED)
        .header(
            "azure-asyncoperation",
            op_url(ctx, req, location, op, "operations"),
        )
        .header(
            "location",
            op_url(ctx, req, location, op, "operationResults"),
        );
    ctx.poll_hint(resp, Some(RETRY_AFTER))
}

/// `GET …/providers/Microsoft.Network/locations/{loc}/operations/{id}` (`result == false`)
/// and `…/operationResults/{id}`.
pub(crate) fn operation(
    ctx: &Ctx,
    st: &Store,
    req: &Req,
    id: &str,
    result: bool,
) -> ArmResult<Resp> {
    crate::arm::common::only_get(req)?;
    let op = st
        .ops
        .get(id)
        .filter(|o| matches!(o.kind, OpKind::Network { .. }))
        .ok_or_else(|| {
            ArmError::not_found(
                "OperationNotFound",
                format!("The operation '{id}' could not be found."),
            )
        })?;
    if !op.applied {
        return Ok(if result {
            ctx.poll_hint(Resp::empty(StatusCode::ACCEPTED), Some(RETRY_AFTER))
        } else {
            ctx.poll_hint(Resp::ok(json!({"status": "InProgress"})), Some(RETRY_AFTER))
        });
    }
    match (&op.failure, result) {
        (Some(f), false) => Ok(Resp::ok(f.status_body())),
        (Some(f), true) => Err(f.to_error()),
        (None, false) => Ok(Resp::ok(json!({"status": "Succeeded"}))),
        (None, true) => Ok(Resp::empty(StatusCode::NO_CONTENT)),
    }
}

// ---------------------------------------------------------------------------------------
// Virtual networks

pub(crate) fn list_vnets(st: &Store, rg: Option<&str>) -> Vec<Value> {
    let rg = rg.map(str::to_lowercase);
    st.vnets
        .values()
        .filter(|v| rg.as_ref().is_none_or(|rg| &v.rg == rg))
        .map(|v| v.body.clone())
        .collect()
}

pub(crate) fn list_endpoints(st: &Store, rg: Option<&str>) -> Vec<Value> {
    let rg = rg.map(str::to_lowercase);
    st.private_endpoints
        .values()
        .filter(|v| rg.as_ref().is_none_or(|rg| &v.rg == rg))
        .map(|v| v.body.clone())
        .collect()
}

/// `…/virtualNetworks/{name}` and `…/virtualNetworks/{name}/subnets` (the list).
pub(crate) fn vnet(
    ctx: &Ctx,
    st: &mut Store,
    req: &Req,
    rg: &str,
    name: &str,
    action: Option<&str>,
) -> ArmResult<Resp> {
    let key = child_key(rg, name);
    let not_found = || ArmError::resource_not_found(VNET_TYPE, name, rg);
    match (action.map(str::to_ascii_lowercase).as_deref(), &req.method) {
        (Some("subnets"), &Method::GET) => {
            crate::arm::common::existing_group(st, rg)?;
            let vnet = st.vnets.get(&key).ok_or_else(not_found)?;
            let items = subnets_of(&vnet.body).to_vec();
            crate::arm::common::paged(ctx, req, items, "$skiptoken")
        }
        (Some("subnets"), _) => Err(crate::arm::common::method_not_allowed(req)),
        (None, &Method::PATCH) => {
            let body = update_tags(st, req, rg, &key, Kind::VirtualNetwork, name)?;
            Ok(Resp::ok(body))
        }
        (Some(a), _) => Err(ArmError::not_found(
            "InvalidResourceType",
            format!(
                "The resource type 'virtualNetworks/{a}' could not be found in the namespace \
                 'Microsoft.Network' for api version '{}'.",
                req.api_version()
            ),
        )),
        (None, &Method::GET) => {
            crate::arm::common::existing_group(st, rg)?;
            Ok(Resp::ok(
                st.vnets.get(&key).ok_or_else(not_found)?.body.clone(),
            ))
        }
        (None, &Method::PUT) => put_vnet(ctx, st, req, rg, name),
        (None, &Method::DELETE) => {
            crate::arm::common::existing_group(st, rg)?;
            let Some(vnet) = st.vnets.get(&key) else {
                return Ok(Resp::empty(StatusCode::NO_CONTENT));
            };
            for s in subnets_of(&vnet.body) {
                if let Some(user) = in_use_by(s) {
                    return Err(in_use_error(s["name"].as_str().unwrap_or_default(), &user));
                }
            }
            let location = vnet.body["location"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            let id = vnet.body["id"].as_str().unwrap_or_default().to_string();
            st.vnets.shift_remove(&key);
            let op = new_op(ctx, st, &id, VNET_MS);
            Ok(deleting(ctx, req, &location, &op))
        }
        (None, _) => Err(crate::arm::common::method_not_allowed(req)),
    }
}

fn put_vnet(ctx: &Ctx, st: &mut Store, req: &Req, rg: &str, name: &str) -> ArmResult<Resp> {
    check_name(name, 2, 64)?;
    let PutBody {
        group_name,
        body: v,
        location,
        tags,
    } = put_body(st, req, rg)?;
    let key = child_key(rg, name);
    let existing = st.vnets.get(&key).map(|t| t.body.clone());
    if let Some(e) = &existing {
        let was = e["location"].as_str().unwrap_or_default();
        if was != location {
            return Err(ArmError::conflict(
                "InvalidResourceLocation",
                format!(
                    "The resource '{name}' already exists in location '{was}' in resource group \
                     '{group_name}'. A resource with the same name cannot be created in location \
                     '{location}'. Please select a new resource name."
                ),
            ));
        }
    }
    let id = existing
        .as_ref()
        .and_then(|e| e["id"].as_str())
        .map(str::to_string)
        .unwrap_or_else(|| vnet_id(ctx, &group_name, name));
    let stored_name = existing
        .as_ref()
        .and_then(|e| e["name"].as_str())
        .unwrap_or(name)
        .to_string();
    let space = address_space(&v, &id)?;
    let props = &v["properties"];
    // The subnets sent replace the vnet's: one left out is deleted, which an endpoint in it
    // forbids (Azure's well-known redeployment error).
    let mut subnets = Vec::new();
    for s in props["subnets"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
    {
        let Some(sname) = s["name"].as_str() else {
            return Err(ArmError::bad_request(
                "InvalidRequestFormat",
                "Cannot parse the request: every subnet needs a name.",
            ));
        };
        if subnets
            .iter()
            .any(|x: &Value| x["name"].as_str().is_some_and(|n| eq_ci(n, sname)))
        {
            return Err(ArmError::bad_request(
                "InvalidRequestFormat",
                format!("Cannot parse the request: subnet '{sname}' is given twice."),
            ));
        }
        let old = existing.as_ref().and_then(|e| find_subnet(e, sname));
        subnets.push(build_subnet(&id, sname, s, old)?);
    }
    if let Some(e) = &existing {
        for old in subnets_of(e) {
            let oname = old["name"].as_str().unwrap_or_default();
            let kept = subnets
                .iter()
                .any(|s| s["name"].as_str().is_some_and(|n| eq_ci(n, oname)));
            if let (false, Some(user)) = (kept, in_use_by(old)) {
                return Err(in_use_error(oname, &user));
            }
        }
    }
    check_layout(&stored_name, &space, &subnets)?;
    let prefixes: Vec<Value> = props["addressSpace"]["addressPrefixes"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let body = json!({
        "name": stored_name,
        "id": id,
        "etag": etag(),
        "type": VNET_TYPE,
        "location": location,
        "tags": tags.unwrap_or(json!({})),
        "properties": {
            "provisioningState": "Updating",
            "resourceGuid": existing
                .as_ref()
                .map(|e| e["properties"]["resourceGuid"].clone())
                .unwrap_or_else(|| json!(new_guid())),
            "addressSpace": {"addressPrefixes": prefixes},
            "dhcpOptions": props.get("dhcpOptions").cloned().unwrap_or(json!({"dnsServers": []})),
            "subnets": subnets,
            "virtualNetworkPeerings": [],
            "enableDdosProtection": props.get("enableDdosProtection").and_then(Value::as_bool).unwrap_or(false),
            "privateEndpointVNetPolicies": props.get("privateEndpointVNetPolicies").cloned().unwrap_or(json!("Disabled")),
        },
    });
    st.vnets.insert(
        key.clone(),
        Tracked {
            rg: rg.to_lowercase(),
            body,
            ready_at: 0,
            keys: Vec::new(),
        },
    );
    let op = new_op(ctx, st, &id, VNET_MS);
    let body = st.vnets[&key].body.clone();
    Ok(written(ctx, req, existing.is_none(), &location, &op, body))
}

/// PATCH `{tags}` (the network provider's UpdateTags): synchronous, 200 with the body.
fn update_tags(
    st: &mut Store,
    req: &Req,
    rg: &str,
    key: &str,
    kind: Kind,
    name: &str,
) -> ArmResult<Value> {
    writable_group(st, rg)?;
    let v = req.json()?;
    let tags = crate::arm::common::tags_of(&v)?;
    let map = match kind {
        Kind::VirtualNetwork => &mut st.vnets,
        _ => &mut st.private_endpoints,
    };
    let t = map
        .get_mut(key)
        .ok_or_else(|| ArmError::resource_not_found(kind.ns_type(), name, rg))?;
    if let Some(tags) = tags {
        t.body["tags"] = tags;
        t.body["etag"] = json!(etag());
    }
    Ok(t.body.clone())
}

/// `…/virtualNetworks/{vnet}/subnets/{name}`.
pub(crate) fn subnet(
    ctx: &Ctx,
    st: &mut Store,
    req: &Req,
    rg: &str,
    vnet_name: &str,
    name: &str,
) -> ArmResult<Resp> {
    let key = child_key(rg, vnet_name);
    let vnet_missing = || ArmError::resource_not_found(VNET_TYPE, vnet_name, rg);
    let subnet_missing = || {
        ArmError::not_found(
            "NotFound",
            format!(
                "Resource {}/subnets/{name} not found.",
                vnet_id(ctx, rg, vnet_name)
            ),
        )
    };
    match req.method {
        Method::GET => {
            crate::arm::common::existing_group(st, rg)?;
            let vnet = st.vnets.get(&key).ok_or_else(vnet_missing)?;
            find_subnet(&vnet.body, name)
                .map(|s| Resp::ok(s.clone()))
                .ok_or_else(subnet_missing)
        }
        Method::PUT => {
            writable_group(st, rg)?;
            let input = req.json()?;
            let vnet = st.vnets.get(&key).ok_or_else(vnet_missing)?;
            let vid = vnet.body["id"].as_str().unwrap_or_default().to_string();
            let vname = vnet.body["name"].as_str().unwrap_or_default().to_string();
            let location = vnet.body["location"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            let old = find_subnet(&vnet.body, name).cloned();
            if let (Some(old), Some(user)) = (&old, old.as_ref().and_then(in_use_by)) {
                let before = subnet_prefixes(old, "")?;
                let after = subnet_prefixes(&input, "").unwrap_or_default();
                if before != after {
                    return Err(ArmError::bad_request(
                        "InUseSubnetCannotBeUpdated",
                        format!(
                            "Subnet {name} is in use by {user} and its address prefix cannot be \
                             changed. In order to change it, delete all the resources within \
                             the subnet."
                        ),
                    ));
                }
            }
            let mut new = build_subnet(&vid, name, &input, old.as_ref())?;
            new["properties"]["provisioningState"] = json!("Updating");
            let space = address_space(&vnet.body, &vid)?;
            let mut all: Vec<Value> = subnets_of(&vnet.body)
                .iter()
                .filter(|s| !s["name"].as_str().is_some_and(|n| eq_ci(n, name)))
                .cloned()
                .collect();
            all.push(new.clone());
            check_layout(&vname, &space, &all)?;
            let id = new["id"].as_str().unwrap_or_default().to_string();
            let vnet = st.vnets.get_mut(&key).expect("checked above");
            let list = vnet.body["properties"]["subnets"]
                .as_array_mut()
                .expect("a stored vnet has a subnet list");
            match list
                .iter_mut()
                .find(|s| s["name"].as_str().is_some_and(|n| eq_ci(n, name)))
            {
                Some(slot) => *slot = new,
                None => list.push(new),
            }
            vnet.body["etag"] = json!(etag());
            let op = new_op(ctx, st, &id, SUBNET_MS);
            let body = find_subnet(&st.vnets[&key].body, name)
                .cloned()
                .unwrap_or_default();
            Ok(written(ctx, req, old.is_none(), &location, &op, body))
        }
        Method::DELETE => {
            crate::arm::common::existing_group(st, rg)?;
            let vnet = st.vnets.get(&key).ok_or_else(vnet_missing)?;
            let Some(s) = find_subnet(&vnet.body, name) else {
                return Ok(Resp::empty(StatusCode::NO_CONTENT));
            };
            if let Some(user) = in_use_by(s) {
                return Err(in_use_error(s["name"].as_str().unwrap_or(name), &user));
            }
            let id = s["id"].as_str().unwrap_or_default().to_string();
            let location = vnet.body["location"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            let vnet = st.vnets.get_mut(&key).expect("checked above");
            if let Some(list) = vnet.body["properties"]["subnets"].as_array_mut() {
                list.retain(|s| !s["name"].as_str().is_some_and(|n| eq_ci(n, name)));
            }
            vnet.body["etag"] = json!(etag());
            let op = new_op(ctx, st, &id, SUBNET_MS);
            Ok(deleting(ctx, req, &location, &op))
        }
        _ => Err(crate::arm::common::method_not_allowed(req)),
    }
}

// ---------------------------------------------------------------------------------------
// Private endpoints

fn connection_state(manual: bool, request_message: Option<&str>) -> Value {
    if manual {
        json!({
            "status": "Pending",
            "description": request_message.unwrap_or("Awaiting approval"),
            "actionsRequired": "None",
        })
    } else {
        json!({"status": "Approved", "description": "Auto-Approved", "actionsRequired": "None"})
    }
}

fn call_failed(message: impl std::fmt::Display) -> ArmError {
    ArmError::bad_request(
        "BadRequest",
        format!("Call to {WS_TYPE} failed. Error message: {message}"),
    )
}

/// The workspace a connection points at: `(key in st.workspaces, its id)`.
fn target_workspace(ctx: &Ctx, st: &Store, target: &str) -> ArmResult<(String, String)> {
    let Some((sub, rg, ns, ty, name)) =
        parse_resource_id(target).filter(|(_, _, ns, ty, _)| eq_ci(&format!("{ns}/{ty}"), WS_TYPE))
    else {
        return Err(ArmError::bad_request(
            "LinkedInvalidPropertyId",
            format!(
                "Property id '{target}' at path 'properties.privateLinkServiceConnections[0].\
                 properties.privateLinkServiceId' is invalid. Expect fully qualified resource Id \
                 of a private link resource; azml's emulator links private endpoints to \
                 {WS_TYPE} only."
            ),
        ));
    };
    let _ = (ns, ty);
    let key = child_key(&rg, &name);
    let ws = st
        .workspaces
        .get(&key)
        .filter(|_| eq_ci(&sub, &ctx.cfg.subscription_id))
        .ok_or_else(|| {
            call_failed(format!(
                "The Resource '{WS_TYPE}/{name}' under resource group '{rg}' was not found."
            ))
        })?;
    if matches!(ws.pending, Some((_, crate::store::WsAction::Delete { .. }))) {
        return Err(call_failed(format!(
            "The workspace '{name}' is being deleted."
        )));
    }
    Ok((key, ws.body["id"].as_str().unwrap_or_default().to_string()))
}

/// The first free address of the subnet (Azure keeps the first four).
fn free_address(st: &Store, subnet_id: &str, prefix: Prefix) -> Option<u32> {
    let used: Vec<String> = st
        .private_endpoints
        .values()
        .filter(|pe| {
            eq_ci(
                pe.body["properties"]["subnet"]["id"]
                    .as_str()
                    .unwrap_or_default(),
                subnet_id,
            )
        })
        .filter_map(|pe| {
            pe.body["properties"]["customDnsConfigs"][0]["ipAddresses"][0]
                .as_str()
                .map(str::to_string)
        })
        .collect();
    (4..prefix.size().saturating_sub(1))
        .map(|i| prefix.base + i as u32)
        .find(|ip| !used.contains(&ip_string(*ip)))
}

pub(crate) fn endpoint(
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
                "The resource type 'privateEndpoints/{a}' could not be found in the namespace \
                 'Microsoft.Network' for api version '{}'.",
                req.api_version()
            ),
        ));
    }
    let key = child_key(rg, name);
    match req.method {
        Method::GET => {
            crate::arm::common::existing_group(st, rg)?;
            st.private_endpoints
                .get(&key)
                .map(|t| Resp::ok(t.body.clone()))
                .ok_or_else(|| ArmError::resource_not_found(PE_TYPE, name, rg))
        }
        Method::PUT => put_endpoint(ctx, st, req, rg, name),
        Method::PATCH => Ok(Resp::ok(update_tags(
            st,
            req,
            rg,
            &key,
            Kind::PrivateEndpoint,
            name,
        )?)),
        Method::DELETE => {
            crate::arm::common::existing_group(st, rg)?;
            let Some(pe) = st.private_endpoints.shift_remove(&key) else {
                return Ok(Resp::empty(StatusCode::NO_CONTENT));
            };
            let id = pe.body["id"].as_str().unwrap_or_default().to_string();
            let location = pe.body["location"].as_str().unwrap_or_default().to_string();
            drop_connections(st, &id);
            release_subnet(st, &pe.body);
            let op = new_op(ctx, st, &id, PE_MS);
            Ok(deleting(ctx, req, &location, &op))
        }
        _ => Err(crate::arm::common::method_not_allowed(req)),
    }
}

/// What a PUT asks to connect to.
struct Wanted {
    list: &'static str,
    manual: bool,
    name: String,
    target: String,
    group_ids: Value,
    request_message: Option<String>,
}

fn wanted(props: &Value) -> ArmResult<Wanted> {
    let mut found: Vec<(&'static str, bool, &Value)> = Vec::new();
    for (list, manual) in LISTS {
        for c in props[list]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default()
        {
            found.push((list, manual, c));
        }
    }
    let [(list, manual, c)] = found.as_slice() else {
        return Err(ArmError::bad_request(
            "InvalidRequestFormat",
            format!(
                "Cannot parse the request: a private endpoint needs exactly one connection in \
                 privateLinkServiceConnections (automatic approval) or \
                 manualPrivateLinkServiceConnections (manual approval); {} given.",
                found.len()
            ),
        ));
    };
    let name = c["name"].as_str().unwrap_or_default().to_string();
    check_name(&name, 1, 80)?;
    let cp = &c["properties"];
    let target = cp["privateLinkServiceId"]
        .as_str()
        .filter(|s| !s.is_empty())
        .ok_or_else(|| {
            ArmError::bad_request(
                "InvalidRequestFormat",
                "Cannot parse the request: the connection needs properties.privateLinkServiceId.",
            )
        })?
        .to_string();
    let groups: Vec<&str> = cp["groupIds"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    if groups.len() > 1 {
        return Err(ArmError::bad_request(
            "OnlyOneGroupIdPermitted",
            format!(
                "Private link service connection {name} has the following group Ids: {}. Only one \
                 group Id is permitted when connecting to a first-party resource ({target}).",
                groups.join(", ")
            ),
        ));
    }
    match groups.first() {
        Some(g) if eq_ci(g, GROUP_ID) => {}
        other => {
            return Err(call_failed(format!(
                "Invalid groupId '{}': the private link resource of a workspace is '{GROUP_ID}'.",
                other.unwrap_or(&"")
            )))
        }
    }
    Ok(Wanted {
        list,
        manual: *manual,
        name,
        target,
        group_ids: json!([GROUP_ID]),
        request_message: cp["requestMessage"].as_str().map(str::to_string),
    })
}

fn put_endpoint(ctx: &Ctx, st: &mut Store, req: &Req, rg: &str, name: &str) -> ArmResult<Resp> {
    check_name(name, 2, 64)?;
    let PutBody {
        group_name,
        body: v,
        location,
        tags,
    } = put_body(st, req, rg)?;
    let key = child_key(rg, name);
    let pe_id = st
        .private_endpoints
        .get(&key)
        .and_then(|t| t.body["id"].as_str().map(str::to_string))
        .unwrap_or_else(|| {
            crate::arm::common::resource_id(ctx, &group_name, Kind::PrivateEndpoint, name)
        });
    let props = &v["properties"];
    let subnet_id = props["subnet"]["id"]
        .as_str()
        .filter(|s| !s.is_empty())
        .ok_or_else(|| {
            ArmError::bad_request(
                "InvalidRequestFormat",
                "Cannot parse the request: a private endpoint needs properties.subnet.id.",
            )
        })?
        .to_string();
    let want = wanted(props)?;
    if let Some(existing) = st.private_endpoints.get(&key) {
        // Only tags may change: moving or re-pointing an endpoint means a new one.
        let e = &existing.body;
        let same_subnet = eq_ci(
            e["properties"]["subnet"]["id"].as_str().unwrap_or_default(),
            &subnet_id,
        );
        let same_conn = e["properties"][want.list].as_array().is_some_and(|l| {
            l.len() == 1
                && eq_ci(l[0]["name"].as_str().unwrap_or_default(), &want.name)
                && eq_ci(
                    l[0]["properties"]["privateLinkServiceId"]
                        .as_str()
                        .unwrap_or_default(),
                    &want.target,
                )
        });
        if !(same_subnet && same_conn && e["location"].as_str() == Some(location.as_str())) {
            return Err(ArmError::bad_request(
                "PrivateEndpointCannotBeUpdated",
                format!(
                    "Private endpoint {pe_id} already exists with another subnet, location or \
                     connection; only its tags can change. Delete it and create it again."
                ),
            ));
        }
        let pe = st.private_endpoints.get_mut(&key).expect("checked above");
        pe.body["tags"] = tags.unwrap_or(json!({}));
        pe.body["etag"] = json!(etag());
        pe.body["properties"]["provisioningState"] = json!("Updating");
        let op = new_op(ctx, st, &pe_id, PE_MS);
        let body = st.private_endpoints[&key].body.clone();
        return Ok(written(ctx, req, false, &location, &op, body));
    }

    // The subnet must exist, in the endpoint's region.
    let missing_subnet = || {
        ArmError::bad_request(
            "InvalidResourceReference",
            format!(
                "Resource {subnet_id} referenced by resource {pe_id} was not found. Please make \
                 sure that the referenced resource exists, and that both resources are in the \
                 same region."
            ),
        )
    };
    let (srg, svnet, ssubnet) = parse_subnet_id(ctx, &subnet_id).ok_or_else(missing_subnet)?;
    let vnet_key = child_key(&srg, &svnet);
    let vnet = st.vnets.get(&vnet_key).ok_or_else(missing_subnet)?;
    if vnet.body["location"].as_str() != Some(location.as_str()) {
        return Err(missing_subnet());
    }
    let subnet = find_subnet(&vnet.body, &ssubnet).ok_or_else(missing_subnet)?;
    let canonical_subnet = subnet["id"].as_str().unwrap_or(&subnet_id).to_string();
    let prefix = subnet_prefixes(subnet, &canonical_subnet)?
        .first()
        .copied()
        .ok_or_else(missing_subnet)?;
    let ip = free_address(st, &canonical_subnet, prefix).ok_or_else(|| {
        ArmError::bad_request(
            "SubnetIsFull",
            format!(
                "Subnet {ssubnet} with address prefix {}/{} does not have enough capacity for 1 \
                 IP addresses.",
                ip_string(prefix.base),
                prefix.len
            ),
        )
    })?;
    let (ws_key, ws_id) = target_workspace(ctx, st, &want.target)?;

    // The endpoint, its network interface and the connection on both sides.
    let state = connection_state(want.manual, want.request_message.as_deref());
    let nic_id = format!(
        "/subscriptions/{}/resourceGroups/{group_name}/providers/Microsoft.Network/networkInterfaces/{name}.nic.{}",
        ctx.cfg.subscription_id,
        new_guid()
    );
    let ip_config = format!(
        "{nic_id}/ipConfigurations/privateEndpointIpConfig.{}",
        new_guid()
    );
    let ws = &st.workspaces[&ws_key];
    let ws_name = ws.body["name"].as_str().unwrap_or_default().to_string();
    let ws_location = ws.body["location"].as_str().unwrap_or_default().to_string();
    let workspace_guid = ws.body["properties"]["workspaceId"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let ip_text = ip_string(ip);
    let dns = |fqdn: String| json!({"fqdn": fqdn, "ipAddresses": [ip_text]});
    let custom_dns = json!([
        dns(format!(
            "{workspace_guid}.workspace.{ws_location}.api.azureml.ms"
        )),
        dns(format!(
            "{workspace_guid}.workspace.{ws_location}.cert.api.azureml.ms"
        )),
        dns(format!(
            "ml-{}-{ws_location}-{workspace_guid}.{ws_location}.notebooks.azure.net",
            ws_name.to_lowercase()
        )),
        dns(format!(
            "*.{workspace_guid}.inference.{ws_location}.api.azureml.ms"
        )),
    ]);
    let mut conn_props = json!({
        "provisioningState": "Succeeded",
        "privateLinkServiceId": ws_id,
        "groupIds": want.group_ids,
        "privateLinkServiceConnectionState": state.clone(),
    });
    if let Some(m) = &want.request_message {
        conn_props["requestMessage"] = json!(m);
    }
    let conn = json!({
        "name": want.name,
        "id": format!("{pe_id}/{}/{}", want.list, want.name),
        "etag": etag(),
        "type": format!("{PE_TYPE}/{}", want.list),
        "properties": conn_props,
    });
    let (auto, manual) = if want.manual {
        (json!([]), json!([conn]))
    } else {
        (json!([conn]), json!([]))
    };
    let body = json!({
        "name": name,
        "id": pe_id,
        "etag": etag(),
        "type": PE_TYPE,
        "location": location,
        "tags": tags.unwrap_or(json!({})),
        "properties": {
            "provisioningState": "Updating",
            "resourceGuid": new_guid(),
            "privateLinkServiceConnections": auto,
            "manualPrivateLinkServiceConnections": manual,
            "customNetworkInterfaceName": props.get("customNetworkInterfaceName").cloned().unwrap_or(json!("")),
            "subnet": {"id": canonical_subnet},
            "ipConfigurations": [],
            "networkInterfaces": [{"id": nic_id}],
            "customDnsConfigs": custom_dns,
        },
    });
    let connection_name = format!("{name}.{}", new_guid());
    let ws_connection = json!({
        "id": format!("{ws_id}/privateEndpointConnections/{connection_name}"),
        "name": connection_name,
        "type": CONNECTION_TYPE,
        "location": ws_location,
        "properties": {
            "privateEndpoint": {"id": pe_id, "subnetArmId": canonical_subnet},
            "privateLinkServiceConnectionState": state,
            "provisioningState": "Succeeded",
        },
    });
    let ws = st.workspaces.get_mut(&ws_key).expect("found above");
    let p = &mut ws.body["properties"];
    if !p["privateEndpointConnections"].is_array() {
        p["privateEndpointConnections"] = json!([]);
    }
    if let Some(list) = p["privateEndpointConnections"].as_array_mut() {
        list.push(ws_connection);
    }
    refresh_workspace(&mut ws.body);
    let vnet = st.vnets.get_mut(&vnet_key).expect("found above");
    if let Some(s) = vnet.body["properties"]["subnets"]
        .as_array_mut()
        .and_then(|l| {
            l.iter_mut()
                .find(|s| s["name"].as_str().is_some_and(|n| eq_ci(n, &ssubnet)))
        })
    {
        let p = &mut s["properties"];
        for (field, entry) in [
            ("privateEndpoints", json!({"id": pe_id})),
            ("ipConfigurations", json!({"id": ip_config})),
        ] {
            if !p[field].is_array() {
                p[field] = json!([]);
            }
            if let Some(a) = p[field].as_array_mut() {
                a.push(entry);
            }
        }
    }
    st.private_endpoints.insert(
        key.clone(),
        Tracked {
            rg: rg.to_lowercase(),
            body,
            ready_at: 0,
            keys: Vec::new(),
        },
    );
    let op = new_op(ctx, st, &pe_id, PE_MS);
    let body = st.private_endpoints[&key].body.clone();
    Ok(written(ctx, req, true, &location, &op, body))
}

// ---------------------------------------------------------------------------------------
// The workspace side

fn workspace_key(st: &Store, rg: &str, ws: &str) -> ArmResult<String> {
    crate::arm::common::existing_group(st, rg)?;
    let key = child_key(rg, ws);
    if st.workspaces.contains_key(&key) {
        Ok(key)
    } else {
        Err(ArmError::resource_not_found(WS_TYPE, ws, rg))
    }
}

/// `GET …/workspaces/{ws}/privateEndpointConnections`.
pub(crate) fn list_connections(st: &Store, req: &Req, rg: &str, ws: &str) -> ArmResult<Resp> {
    crate::arm::common::only_get(req)?;
    let key = workspace_key(st, rg, ws)?;
    let value = st.workspaces[&key].body["properties"]["privateEndpointConnections"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    Ok(Resp::ok(json!({ "value": value })))
}

/// `GET …/workspaces/{ws}/privateLinkResources`.
pub(crate) fn private_link_resources(st: &Store, req: &Req, rg: &str, ws: &str) -> ArmResult<Resp> {
    crate::arm::common::only_get(req)?;
    let key = workspace_key(st, rg, ws)?;
    let body = &st.workspaces[&key].body;
    Ok(Resp::ok(json!({"value": [{
        "id": format!("{}/privateLinkResources/{GROUP_ID}", body["id"].as_str().unwrap_or_default()),
        "name": GROUP_ID,
        "type": "Microsoft.MachineLearningServices/workspaces/privateLinkResources",
        "location": body["location"],
        "properties": {
            "groupId": GROUP_ID,
            "requiredMembers": ["api", "notebook"],
            "requiredZoneNames": ["privatelink.api.azureml.ms", "privatelink.notebooks.azure.net"],
        },
    }]})))
}

/// `GET/PUT/DELETE …/workspaces/{ws}/privateEndpointConnections/{name}`: synchronous, as
/// the spec defines them (200, or 204 for a delete of nothing).
pub(crate) fn connection(
    st: &mut Store,
    req: &Req,
    rg: &str,
    ws: &str,
    name: &str,
) -> ArmResult<Resp> {
    let key = workspace_key(st, rg, ws)?;
    let not_found = || {
        ArmError::not_found(
            "ResourceNotFound",
            format!(
                "The Resource '{WS_TYPE}/{ws}/privateEndpointConnections/{name}' under resource \
                 group '{rg}' was not found."
            ),
        )
    };
    let position = |st: &Store| {
        st.workspaces[&key].body["properties"]["privateEndpointConnections"]
            .as_array()
            .and_then(|l| {
                l.iter()
                    .position(|c| c["name"].as_str().is_some_and(|n| eq_ci(n, name)))
            })
    };
    let ws_id = st.workspaces[&key].body["id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    match req.method {
        Method::GET => {
            let i = position(st).ok_or_else(not_found)?;
            Ok(Resp::ok(
                st.workspaces[&key].body["properties"]["privateEndpointConnections"][i].clone(),
            ))
        }
        Method::PUT => {
            writable_group(st, rg)?;
            let v = req.json()?;
            let i = position(st).ok_or_else(not_found)?;
            let wanted = &v["properties"]["privateLinkServiceConnectionState"];
            let status = wanted["status"].as_str().unwrap_or_default();
            let status = ["Approved", "Rejected", "Pending"]
                .into_iter()
                .find(|s| eq_ci(s, status))
                .ok_or_else(|| {
                    ArmError::bad_request(
                        "BadRequest",
                        format!(
                            "properties.privateLinkServiceConnectionState.status '{status}' is \
                             invalid: use Approved or Rejected."
                        ),
                    )
                })?;
            let current =
                st.workspaces[&key].body["properties"]["privateEndpointConnections"][i].clone();
            let was = current["properties"]["privateLinkServiceConnectionState"]["status"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            if was != status && (was == "Rejected" || was == "Disconnected" || status == "Pending")
            {
                return Err(ArmError::bad_request(
                    "BadRequest",
                    format!(
                        "The private endpoint connection '{name}' is {was} and cannot become \
                         {status}: delete the private endpoint and create it again."
                    ),
                ));
            }
            let state = json!({
                "status": status,
                "description": wanted["description"].as_str().unwrap_or_default(),
                "actionsRequired": wanted["actionsRequired"].as_str().unwrap_or("None"),
            });
            let pe_id = current["properties"]["privateEndpoint"]["id"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            let ws_body = &mut st.workspaces.get_mut(&key).expect("checked above").body;
            let entry = &mut ws_body["properties"]["privateEndpointConnections"][i];
            entry["properties"]["privateLinkServiceConnectionState"] = state.clone();
            let reply = entry.clone();
            refresh_workspace(ws_body);
            mirror_on_endpoint(st, &pe_id, &ws_id, &state);
            Ok(Resp::ok(reply))
        }
        Method::DELETE => {
            writable_group(st, rg)?;
            let Some(i) = position(st) else {
                return Ok(Resp::empty(StatusCode::NO_CONTENT));
            };
            let ws_body = &mut st.workspaces.get_mut(&key).expect("checked above").body;
            let removed = ws_body["properties"]["privateEndpointConnections"]
                .as_array_mut()
                .map(|l| l.remove(i))
                .unwrap_or_default();
            refresh_workspace(ws_body);
            let pe_id = removed["properties"]["privateEndpoint"]["id"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            mirror_on_endpoint(st, &pe_id, &ws_id, &disconnected());
            Ok(Resp::empty(StatusCode::OK))
        }
        _ => Err(crate::arm::common::method_not_allowed(req)),
    }
}

fn disconnected() -> Value {
    json!({
        "status": "Disconnected",
        "description": "The private endpoint connection was removed by the workspace.",
        "actionsRequired": "None",
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Prefix {
        parse_prefix(s, "x").unwrap()
    }

    #[test]
    fn prefixes() {
        assert!(p("10.0.0.0/16").contains(p("10.0.1.0/24")));
        assert!(!p("10.0.0.0/16").contains(p("10.1.0.0/24")));
        assert!(!p("10.0.1.0/24").contains(p("10.0.0.0/16")));
        assert!(p("10.0.0.0/16").overlaps(p("10.0.200.0/24")));
        assert!(!p("10.0.0.0/24").overlaps(p("10.0.1.0/24")));
        assert_eq!(p("10.0.0.0/24").size(), 256);
        assert_eq!(p("0.0.0.0/0").size(), 1 << 32);
        let e = parse_prefix("10.0.0.1/24", "x").unwrap_err();
        assert_eq!(e.code, "InvalidCIDRNotation");
        assert!(e.message.contains("10.0.0.0/24"), "{}", e.message);
        for bad in ["10.0.0/16", "10.0.0.0", "10.0.0.0/33", "x/8", "::1/128"] {
            let e = parse_prefix(bad, "x").unwrap_err();
            assert_eq!(e.code, "NetcfgInvalidIPAddressPrefix", "{bad}");
        }
    }

    #[test]
    fn names() {
        assert!(check_name("vnet-1", 2, 64).is_ok());
        assert!(check_name("a_", 2, 64).is_ok());
        assert!(check_name("a", 2, 64).is_err());
        assert!(check_name("a", 1, 80).is_ok());
        assert!(check_name("-a", 1, 80).is_err());
        assert!(check_name("a.", 1, 80).is_err());
        assert!(check_name("a b", 1, 80).is_err());
        assert!(check_name(&"a".repeat(65), 2, 64).is_err());
        assert_eq!(
            check_name("", 1, 80).unwrap_err().code,
            "InvalidResourceName"
        );
    }
}
