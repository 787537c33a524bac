//! Records that point at each other across providers: private endpoints, the subnets they
//! take an address in and the ML workspaces they connect to. Kept consistent here whenever
//! one side finishes provisioning or goes away; below the rooms because the store's
//! operations (a group's deletion, a workspace's) need it as much as the network provider.

use serde_json::{json, Value};

use crate::ids::new_guid;
use crate::names::{eq_ci, parse_resource_id};
use crate::store::{child_key, Store};

pub(crate) fn etag() -> String {
    format!("W/\"{}\"", new_guid())
}

/// A subnet id `(group, vnet, subnet)`, if `id` is one.
pub(crate) fn subnet_parts(id: &str) -> Option<(String, String, String)> {
    let parts: Vec<&str> = id.split('/').filter(|p| !p.is_empty()).collect();
    match parts.as_slice() {
        [s, _, r, rg, p, ns, ty, vnet, st, subnet]
            if eq_ci(s, "subscriptions")
                && eq_ci(r, "resourcegroups")
                && eq_ci(p, "providers")
                && eq_ci(ns, "microsoft.network")
                && eq_ci(ty, "virtualnetworks")
                && eq_ci(st, "subnets") =>
        {
            Some((rg.to_string(), vnet.to_string(), subnet.to_string()))
        }
        _ => None,
    }
}

/// Where `/subnets/` starts in `id`, compared without ASCII case.
pub(crate) fn subnets_segment(id: &str) -> Option<usize> {
    id.as_bytes()
        .windows(9)
        .position(|w| w.eq_ignore_ascii_case(b"/subnets/"))
}

/// An operation ended: the resource it provisions is `Succeeded` (or `Failed`).
pub(crate) fn finish(st: &mut Store, resource: &str, failed: bool) {
    let state = json!(if failed { "Failed" } else { "Succeeded" });
    let subnet_at = subnets_segment(resource);
    // A subnet id: its vnet's id is the part before `/subnets/`.
    let owner = subnet_at.map_or(resource, |at| &resource[..at]);
    let Some((_, rg, _, ty, name)) = parse_resource_id(owner) else {
        return;
    };
    let key = child_key(&rg, &name);
    if eq_ci(&ty, "privateEndpoints") {
        if let Some(pe) = st.private_endpoints.get_mut(&key) {
            if eq_ci(pe.body["id"].as_str().unwrap_or_default(), resource) {
                pe.body["properties"]["provisioningState"] = state;
            }
        }
        return;
    }
    let Some(vnet) = st.vnets.get_mut(&key) else {
        return;
    };
    if eq_ci(vnet.body["id"].as_str().unwrap_or_default(), resource) {
        vnet.body["properties"]["provisioningState"] = state.clone();
    }
    if let Some(subnets) = vnet.body["properties"]["subnets"].as_array_mut() {
        for s in subnets {
            let whole_vnet = subnet_at.is_none();
            let this = eq_ci(s["id"].as_str().unwrap_or_default(), resource);
            if this || (whole_vnet && s["properties"]["provisioningState"] == "Updating") {
                s["properties"]["provisioningState"] = state.clone();
            }
        }
    }
}

/// The connection lists of an endpoint body, with whether they are manual.
pub(crate) const LISTS: [(&str, bool); 2] = [
    ("privateLinkServiceConnections", false),
    ("manualPrivateLinkServiceConnections", true),
];

/// The workspace's connection list and `privateLinkCount` after a change.
pub(crate) fn refresh_workspace(ws_body: &mut Value) {
    let p = &mut ws_body["properties"];
    let count = p["privateEndpointConnections"]
        .as_array()
        .map_or(0, Vec::len);
    if count == 0 {
        if let Some(map) = p.as_object_mut() {
            map.remove("privateEndpointConnections");
        }
    }
    p["privateLinkCount"] = json!(count);
    let approved = p["privateEndpointConnections"].as_array().is_some_and(|c| {
        c.iter()
            .any(|x| x["properties"]["privateLinkServiceConnectionState"]["status"] == "Approved")
    });
    if p["notebookInfo"].is_object() {
        p["notebookInfo"]["isPrivateLinkEnabled"] = json!(approved);
    }
}

/// Sets the state of `pe_id`'s connections to `ws_id`, as the workspace side decided.
pub(crate) fn mirror_on_endpoint(st: &mut Store, pe_id: &str, ws_id: &str, state: &Value) {
    let Some((_, rg, _, _, name)) = parse_resource_id(pe_id) else {
        return;
    };
    let Some(pe) = st.private_endpoints.get_mut(&child_key(&rg, &name)) else {
        return;
    };
    for (list, _) in LISTS {
        if let Some(conns) = pe.body["properties"][list].as_array_mut() {
            for c in conns {
                if eq_ci(
                    c["properties"]["privateLinkServiceId"]
                        .as_str()
                        .unwrap_or_default(),
                    ws_id,
                ) {
                    c["properties"]["privateLinkServiceConnectionState"] = state.clone();
                    c["etag"] = json!(etag());
                }
            }
        }
    }
    pe.body["etag"] = json!(etag());
}

/// Removes `pe_id`'s entries from the workspaces it connects to.
pub(crate) fn drop_connections(st: &mut Store, pe_id: &str) {
    for ws in st.workspaces.values_mut() {
        let Some(list) = ws.body["properties"]["privateEndpointConnections"].as_array_mut() else {
            continue;
        };
        let before = list.len();
        list.retain(|c| {
            !eq_ci(
                c["properties"]["privateEndpoint"]["id"]
                    .as_str()
                    .unwrap_or_default(),
                pe_id,
            )
        });
        if list.len() != before {
            refresh_workspace(&mut ws.body);
        }
    }
}

/// Frees the endpoint's address in its subnet (whose id the endpoint holds as stored).
pub(crate) fn release_subnet(st: &mut Store, pe_body: &Value) {
    let pe_id = pe_body["id"].as_str().unwrap_or_default();
    let Some((rg, vnet, subnet)) = pe_body["properties"]["subnet"]["id"]
        .as_str()
        .and_then(subnet_parts)
    else {
        return;
    };
    let Some(v) = st.vnets.get_mut(&child_key(&rg, &vnet)) else {
        return;
    };
    if let Some(list) = v.body["properties"]["subnets"].as_array_mut() {
        for s in list
            .iter_mut()
            .filter(|s| s["name"].as_str().is_some_and(|n| eq_ci(n, &subnet)))
        {
            let nic = pe_body["properties"]["networkInterfaces"][0]["id"]
                .as_str()
                .unwrap_or_default()
                .to_lowercase();
            let p = &mut s["properties"];
            if let Some(pes) = p["privateEndpoints"].as_array_mut() {
                pes.retain(|x| !eq_ci(x["id"].as_str().unwrap_or_default(), pe_id));
            }
            if let Some(cfgs) = p["ipConfigurations"].as_array_mut() {
                cfgs.retain(|x| {
                    !x["id"]
                        .as_str()
                        .unwrap_or_default()
                        .to_lowercase()
                        .starts_with(&format!("{nic}/"))
                });
            }
            for field in ["privateEndpoints", "ipConfigurations"] {
                if p[field].as_array().is_some_and(Vec::is_empty) {
                    if let Some(m) = p.as_object_mut() {
                        m.remove(field);
                    }
                }
            }
        }
    }
}

/// A workspace went away (deleted, purged or with its group): the endpoints pointing at it
/// stay, disconnected.
pub(crate) fn workspace_gone(st: &mut Store, ws_id: &str) {
    let targets: Vec<String> = st
        .private_endpoints
        .values()
        .filter(|pe| {
            LISTS.iter().any(|(list, _)| {
                pe.body["properties"][list].as_array().is_some_and(|l| {
                    l.iter().any(|c| {
                        eq_ci(
                            c["properties"]["privateLinkServiceId"]
                                .as_str()
                                .unwrap_or_default(),
                            ws_id,
                        )
                    })
                })
            })
        })
        .filter_map(|pe| pe.body["id"].as_str().map(str::to_string))
        .collect();
    let state = json!({
        "status": "Disconnected",
        "description": "The private link resource was deleted.",
        "actionsRequired": "None",
    });
    for pe in targets {
        mirror_on_endpoint(st, &pe, ws_id, &state);
    }
}

/// A group is being emptied: what its endpoints connect to elsewhere lets go of them, and
/// endpoints elsewhere pointing at its workspaces are disconnected.
pub(crate) fn group_gone(st: &mut Store, rg: &str) {
    let endpoints: Vec<Value> = st
        .private_endpoints
        .values()
        .filter(|pe| pe.rg == rg)
        .map(|pe| pe.body.clone())
        .collect();
    for pe in endpoints {
        drop_connections(st, pe["id"].as_str().unwrap_or_default());
        release_subnet(st, &pe);
    }
    let workspaces: Vec<String> = st
        .workspaces
        .values()
        .filter(|w| w.rg == rg)
        .filter_map(|w| w.body["id"].as_str().map(str::to_string))
        .collect();
    for id in workspaces {
        workspace_gone(st, &id);
    }
    st.private_endpoints.retain(|_, pe| pe.rg != rg);
    st.vnets.retain(|_, v| v.rg != rg);
}
