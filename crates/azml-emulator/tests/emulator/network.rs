//! Virtual networks, subnets and private endpoints on the emulator, and the private endpoint
//! connections they make on ML workspaces.

use crate::support::emulator::{start, Env, Reply};
use azml_emulator::Latency;
use reqwest::StatusCode;
use serde_json::{json, Value};

const V: &str = "2025-07-01";

fn vnet_url(env: &Env, rg: &str, name: &str) -> String {
    format!(
        "{}{}?api-version={V}",
        env.emu.url(),
        env.rid(rg, "Microsoft.Network/virtualNetworks", name)
    )
}

fn subnet_url(env: &Env, rg: &str, vnet: &str, name: &str) -> String {
    format!(
        "{}{}/subnets/{name}?api-version={V}",
        env.emu.url(),
        env.rid(rg, "Microsoft.Network/virtualNetworks", vnet)
    )
}

fn subnet_id(env: &Env, rg: &str, vnet: &str, name: &str) -> String {
    format!(
        "{}/subnets/{name}",
        env.rid(rg, "Microsoft.Network/virtualNetworks", vnet)
    )
}

fn pe_url(env: &Env, rg: &str, name: &str) -> String {
    format!(
        "{}{}?api-version={V}",
        env.emu.url(),
        env.rid(rg, "Microsoft.Network/privateEndpoints", name)
    )
}

fn ws_id(env: &Env, rg: &str, name: &str) -> String {
    env.rid(rg, "Microsoft.MachineLearningServices/workspaces", name)
}

/// `{ws}/{what}[/{name}]` on the workspace api-version.
fn ws_child(env: &Env, rg: &str, ws: &str, what: &str) -> String {
    format!(
        "{}{}/{what}?api-version=2025-12-01",
        env.emu.url(),
        ws_id(env, rg, ws)
    )
}

fn pe_body(subnet: &str, target: &str, manual: bool) -> Value {
    let list = if manual {
        "manualPrivateLinkServiceConnections"
    } else {
        "privateLinkServiceConnections"
    };
    json!({
        "location": "westeurope",
        "properties": {
            "subnet": {"id": subnet},
            list: [{"name": "conn", "properties": {
                "privateLinkServiceId": target,
                "groupIds": ["amlworkspace"],
                "requestMessage": "please",
            }}],
        },
    })
}

/// A PUT answered 201/200 with `Azure-AsyncOperation` on the network provider's operation
/// URL; polls it to `Succeeded`.
async fn finished(env: &Env, r: &Reply, created: bool) {
    let want = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    assert_eq!(r.status, want, "{}", r.body);
    let op = r
        .header("azure-asyncoperation")
        .expect("Azure-AsyncOperation");
    let prefix = format!(
        "{}/subscriptions/{}/providers/Microsoft.Network/locations/westeurope/operations/",
        env.emu.url(),
        env.sub()
    );
    assert!(op.starts_with(&prefix), "{op}");
    assert_eq!(env.wait_async(&op).await, json!({"status": "Succeeded"}));
}

async fn vnet(env: &Env, rg: &str, name: &str, body: Value) -> Reply {
    env.put(&vnet_url(env, rg, name), body).await
}

/// A group with a 10.0.0.0/16 network holding subnet `default` (10.0.0.0/24).
async fn network(env: &Env, rg: &str, name: &str) {
    env.group(rg).await;
    let r = vnet(
        env,
        rg,
        name,
        json!({"location": "westeurope", "properties": {
            "addressSpace": {"addressPrefixes": ["10.0.0.0/16"]},
            "subnets": [{"name": "default", "properties": {"addressPrefix": "10.0.0.0/24"}}],
        }}),
    )
    .await;
    finished(env, &r, true).await;
}

/// A workspace with its dependents in `rg`; returns its id.
async fn workspace(env: &Env, rg: &str, name: &str) -> String {
    let body = env.dependents(rg, &name.to_lowercase()).await;
    let r = env.put(&env.ws_url(rg, name), body).await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.body);
    let op = r.header("azure-asyncoperation").unwrap();
    assert_eq!(env.wait_async(&op).await["status"], "Succeeded");
    ws_id(env, rg, name)
}

async fn ws(env: &Env, rg: &str, name: &str) -> Value {
    let r = env.get(&env.ws_url(rg, name)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.body
}

#[tokio::test]
async fn virtual_networks_and_subnets() {
    let env = start(Latency::Fast).await;
    env.group("Net-RG").await;
    let r = vnet(
        &env,
        "net-rg",
        "VNet1",
        json!({"location": "West Europe", "tags": {"a": "b"}, "properties": {
            "addressSpace": {"addressPrefixes": ["10.0.0.0/16"]},
            "subnets": [{"name": "default", "properties": {"addressPrefix": "10.0.0.0/24"}}],
        }}),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    // Under `fast` the operation is still running when the PUT answers.
    assert_eq!(r.body["properties"]["provisioningState"], "Updating");
    let id = env.rid("Net-RG", "Microsoft.Network/virtualNetworks", "VNet1");
    assert_eq!(r.body["id"], id);
    assert_eq!(r.body["type"], "Microsoft.Network/virtualNetworks");
    assert_eq!(r.body["location"], "westeurope");
    assert!(r.body["etag"].as_str().unwrap().starts_with("W/\""));
    finished(&env, &r, true).await;

    let r = env.get(&vnet_url(&env, "NET-RG", "vnet1")).await;
    assert_eq!(r.status, StatusCode::OK);
    let b = &r.body;
    assert_eq!(b["name"], "VNet1");
    assert_eq!(b["properties"]["provisioningState"], "Succeeded");
    assert_eq!(
        b["properties"]["addressSpace"]["addressPrefixes"],
        json!(["10.0.0.0/16"])
    );
    let s = &b["properties"]["subnets"][0];
    assert_eq!(s["id"], format!("{id}/subnets/default"));
    assert_eq!(s["type"], "Microsoft.Network/virtualNetworks/subnets");
    assert_eq!(s["properties"]["addressPrefix"], "10.0.0.0/24");
    assert_eq!(
        s["properties"]["privateEndpointNetworkPolicies"],
        "Disabled"
    );
    assert_eq!(s["properties"]["provisioningState"], "Succeeded");

    // A child subnet; then the same PUT again is an update (200).
    let url = subnet_url(&env, "net-rg", "vnet1", "pe-subnet");
    let body = json!({"properties": {"addressPrefix": "10.0.1.0/24", "privateEndpointNetworkPolicies": "enabled"}});
    let r = env.put(&url, body.clone()).await;
    finished(&env, &r, true).await;
    assert_eq!(
        r.body["properties"]["privateEndpointNetworkPolicies"],
        "Enabled"
    );
    let r = env.put(&url, body).await;
    finished(&env, &r, false).await;
    let r = env.get(&url).await;
    assert_eq!(r.body["properties"]["provisioningState"], "Succeeded");
    let r = env
        .get(&format!("{}{}/subnets?api-version={V}", env.emu.url(), id))
        .await;
    let names: Vec<&str> = r.body["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["default", "pe-subnet"]);

    // Lists by group and subscription.
    env.group("other").await;
    let r = vnet(
        &env,
        "other",
        "vnet2",
        json!({"location": "westeurope", "properties": {"addressSpace": {"addressPrefixes": ["192.168.0.0/24"]}}}),
    )
    .await;
    finished(&env, &r, true).await;
    let r = env
        .get(&env.url(&format!(
            "/resourceGroups/net-rg/providers/Microsoft.Network/virtualNetworks?api-version={V}"
        )))
        .await;
    assert_eq!(r.body["value"].as_array().unwrap().len(), 1);
    let r = env
        .get(&env.url(&format!(
            "/providers/Microsoft.Network/virtualNetworks?api-version={V}"
        )))
        .await;
    assert_eq!(r.body["value"].as_array().unwrap().len(), 2);

    // Tags by PATCH, synchronously.
    let r = env
        .patch(
            &vnet_url(&env, "net-rg", "vnet1"),
            json!({"tags": {"x": "y"}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["tags"], json!({"x": "y"}));
    assert_eq!(
        env.get(&vnet_url(&env, "net-rg", "vnet1")).await.body["tags"],
        json!({"x": "y"})
    );
    let r = env
        .patch(&vnet_url(&env, "net-rg", "nope"), json!({"tags": {}}))
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    // Subnet delete: 202 with both operation URLs, then gone; again: 204.
    let r = env.delete(&url).await;
    assert_eq!(r.status, StatusCode::ACCEPTED);
    let op = r.header("azure-asyncoperation").unwrap();
    let loc = r.header("location").unwrap();
    assert!(
        loc.contains("/providers/Microsoft.Network/locations/westeurope/operationResults/"),
        "{loc}"
    );
    assert_eq!(env.wait_async(&op).await["status"], "Succeeded");
    assert_eq!(env.wait_location(&loc).await.status, StatusCode::NO_CONTENT);
    assert_eq!(env.get(&url).await.status, StatusCode::NOT_FOUND);
    assert_eq!(env.delete(&url).await.status, StatusCode::NO_CONTENT);

    // Vnet delete, and a group delete takes the other one.
    let r = env.delete(&vnet_url(&env, "net-rg", "vnet1")).await;
    assert_eq!(r.status, StatusCode::ACCEPTED);
    let r = env.get(&vnet_url(&env, "net-rg", "vnet1")).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.code(), "ResourceNotFound");
    let r = env
        .delete(&env.url("/resourcegroups/other?api-version=2025-04-01"))
        .await;
    let loc = r.header("location").unwrap();
    env.wait_location(&loc).await;
    let r = env
        .get(&env.url(&format!(
            "/providers/Microsoft.Network/virtualNetworks?api-version={V}"
        )))
        .await;
    assert_eq!(r.body["value"], json!([]));
}

#[tokio::test]
async fn network_input_errors() {
    let env = start(Latency::Instant).await;
    network(&env, "rg", "vnet").await;
    let space = |prefixes: Value, subnets: Value| {
        json!({"location": "westeurope", "properties": {
            "addressSpace": {"addressPrefixes": prefixes}, "subnets": subnets}})
    };
    let cases = [
        (
            "v",
            space(json!(["10.0.0.0/16"]), json!([])),
            "InvalidResourceName",
        ),
        (
            "v-",
            space(json!(["10.0.0.0/16"]), json!([])),
            "InvalidResourceName",
        ),
        ("v2", space(json!([]), json!([])), "InvalidRequestFormat"),
        (
            "v2",
            space(json!(["10.0.0/16"]), json!([])),
            "NetcfgInvalidIPAddressPrefix",
        ),
        (
            "v2",
            space(json!(["10.0.0.1/16"]), json!([])),
            "InvalidCIDRNotation",
        ),
        (
            "v2",
            space(
                json!(["10.0.0.0/16"]),
                json!([{"name": "a", "properties": {"addressPrefix": "10.1.0.0/24"}}]),
            ),
            "NetcfgSubnetRangeOutsideVnet",
        ),
        (
            "v2",
            space(
                json!(["10.0.0.0/16"]),
                json!([
                    {"name": "a", "properties": {"addressPrefix": "10.0.0.0/24"}},
                    {"name": "b", "properties": {"addressPrefix": "10.0.0.128/25"}},
                ]),
            ),
            "NetcfgSubnetRangesOverlap",
        ),
        (
            "v2",
            space(
                json!(["10.0.0.0/16"]),
                json!([{"name": "a", "properties": {}}]),
            ),
            "NoAddressPrefixOrPoolProvided",
        ),
    ];
    for (name, body, code) in cases {
        let r = vnet(&env, "rg", name, body.clone()).await;
        assert_eq!(
            r.status,
            StatusCode::BAD_REQUEST,
            "{name} {body}: {}",
            r.body
        );
        assert_eq!(r.code(), code, "{body}: {}", r.message());
    }
    let r = vnet(&env, "nope", "v2", space(json!(["10.0.0.0/16"]), json!([]))).await;
    assert_eq!(r.code(), "ResourceGroupNotFound");
    let mut moved = space(json!(["10.0.0.0/16"]), json!([]));
    moved["location"] = json!("eastus");
    let r = vnet(&env, "rg", "vnet", moved).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(r.code(), "InvalidResourceLocation");

    // Child subnets: inside the space, not overlapping, in an existing vnet.
    let put = |vnet: &'static str, name: &'static str, prefix: &'static str| {
        let env = &env;
        async move {
            env.put(
                &subnet_url(env, "rg", vnet, name),
                json!({"properties": {"addressPrefix": prefix}}),
            )
            .await
        }
    };
    let r = put("vnet", "b", "10.1.0.0/24").await;
    assert_eq!(r.code(), "NetcfgSubnetRangeOutsideVnet");
    assert!(
        r.message().contains("'b'") && r.message().contains("'vnet'"),
        "{}",
        r.message()
    );
    let r = put("vnet", "b", "10.0.0.0/25").await;
    assert_eq!(r.code(), "NetcfgSubnetRangesOverlap");
    let r = put("missing", "b", "10.0.1.0/24").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.code(), "ResourceNotFound");
    // Replacing the default subnet's own range is fine (no overlap with itself).
    let r = put("vnet", "default", "10.0.0.0/23").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = env.get(&subnet_url(&env, "rg", "vnet", "nope")).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // An unknown api-version is refused as ARM does.
    let r = env
        .get(&vnet_url(&env, "rg", "vnet").replace(V, "2099-01-01"))
        .await;
    assert_eq!(r.code(), "InvalidApiVersionParameter");
}

#[tokio::test]
async fn automatic_private_endpoint_connection() {
    let env = start(Latency::Fast).await;
    network(&env, "net", "vnet").await;
    let target = workspace(&env, "ml", "ws1").await;
    let before = ws(&env, "ml", "ws1").await;
    assert_eq!(before["properties"]["privateLinkCount"], 0);
    assert!(before["properties"]
        .get("privateEndpointConnections")
        .is_none());

    let subnet = subnet_id(&env, "net", "vnet", "default");
    let r = env
        .put(
            &pe_url(&env, "net", "pe1"),
            pe_body(&subnet, &target, false),
        )
        .await;
    assert_eq!(r.body["properties"]["provisioningState"], "Updating");
    finished(&env, &r, true).await;
    let r = env.get(&pe_url(&env, "net", "pe1")).await;
    let pe = &r.body;
    let pe_id = env.rid("net", "Microsoft.Network/privateEndpoints", "pe1");
    assert_eq!(pe["id"], pe_id);
    assert_eq!(pe["type"], "Microsoft.Network/privateEndpoints");
    assert_eq!(pe["properties"]["provisioningState"], "Succeeded");
    assert_eq!(pe["properties"]["subnet"]["id"], subnet);
    assert_eq!(
        pe["properties"]["manualPrivateLinkServiceConnections"],
        json!([])
    );
    let c = &pe["properties"]["privateLinkServiceConnections"][0];
    assert_eq!(c["name"], "conn");
    assert_eq!(
        c["id"],
        format!("{pe_id}/privateLinkServiceConnections/conn")
    );
    assert_eq!(c["properties"]["privateLinkServiceId"], target);
    assert_eq!(c["properties"]["groupIds"], json!(["amlworkspace"]));
    assert_eq!(
        c["properties"]["privateLinkServiceConnectionState"],
        json!({"status": "Approved", "description": "Auto-Approved", "actionsRequired": "None"})
    );
    let nic = pe["properties"]["networkInterfaces"][0]["id"]
        .as_str()
        .unwrap();
    assert!(
        nic.contains("/providers/Microsoft.Network/networkInterfaces/pe1.nic."),
        "{nic}"
    );
    let dns = pe["properties"]["customDnsConfigs"].as_array().unwrap();
    let guid = before["properties"]["workspaceId"].as_str().unwrap();
    assert!(dns
        .iter()
        .any(|d| d["fqdn"] == format!("{guid}.workspace.westeurope.api.azureml.ms")));
    assert!(
        dns.iter().all(|d| d["ipAddresses"] == json!(["10.0.0.4"])),
        "{dns:?}"
    );

    // The workspace lists the connection and counts it.
    let w = ws(&env, "ml", "ws1").await;
    assert_eq!(w["properties"]["privateLinkCount"], 1);
    assert_eq!(
        w["properties"]["notebookInfo"]["isPrivateLinkEnabled"],
        true
    );
    let conns = w["properties"]["privateEndpointConnections"]
        .as_array()
        .unwrap();
    assert_eq!(conns.len(), 1);
    let wc = &conns[0];
    let name = wc["name"].as_str().unwrap();
    assert!(name.starts_with("pe1."), "{name}");
    assert_eq!(
        wc["id"],
        format!("{target}/privateEndpointConnections/{name}")
    );
    assert_eq!(
        wc["type"],
        "Microsoft.MachineLearningServices/workspaces/privateEndpointConnections"
    );
    assert_eq!(wc["properties"]["privateEndpoint"]["id"], pe_id);
    assert_eq!(
        wc["properties"]["privateLinkServiceConnectionState"]["status"],
        "Approved"
    );
    assert_eq!(wc["properties"]["provisioningState"], "Succeeded");

    // The sub-resources agree.
    let r = env
        .get(&ws_child(&env, "ml", "ws1", "privateEndpointConnections"))
        .await;
    assert_eq!(r.body["value"], json!(conns));
    let r = env
        .get(&ws_child(
            &env,
            "ml",
            "ws1",
            &format!("privateEndpointConnections/{name}"),
        ))
        .await;
    assert_eq!(r.body, *wc);
    let r = env
        .get(&ws_child(&env, "ml", "ws1", "privateLinkResources"))
        .await;
    assert_eq!(r.body["value"][0]["properties"]["groupId"], "amlworkspace");
    assert_eq!(r.body["value"][0]["name"], "amlworkspace");

    // The subnet knows it is used; a second endpoint gets the next address.
    let r = env.get(&subnet_url(&env, "net", "vnet", "default")).await;
    assert_eq!(
        r.body["properties"]["privateEndpoints"],
        json!([{"id": pe_id}])
    );
    let r = env
        .put(
            &pe_url(&env, "net", "pe2"),
            pe_body(&subnet, &target, false),
        )
        .await;
    finished(&env, &r, true).await;
    assert_eq!(
        r.body["properties"]["customDnsConfigs"][0]["ipAddresses"],
        json!(["10.0.0.5"])
    );
    assert_eq!(
        ws(&env, "ml", "ws1").await["properties"]["privateLinkCount"],
        2
    );

    // A tags-only PUT is an update.
    let mut again = pe_body(&subnet, &target, false);
    again["tags"] = json!({"k": "v"});
    let r = env.put(&pe_url(&env, "net", "pe2"), again).await;
    finished(&env, &r, false).await;
    assert_eq!(r.body["tags"], json!({"k": "v"}));
    assert_eq!(
        ws(&env, "ml", "ws1").await["properties"]["privateLinkCount"],
        2
    );
    let r = env
        .patch(&pe_url(&env, "net", "pe2"), json!({"tags": {"k": "w"}}))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["tags"], json!({"k": "w"}));
    assert_eq!(
        r.body["properties"]["privateLinkServiceConnections"][0]["properties"]
            ["privateLinkServiceConnectionState"]["status"],
        "Approved"
    );

    // Deleting an endpoint removes its connection.
    let r = env.delete(&pe_url(&env, "net", "pe2")).await;
    assert_eq!(r.status, StatusCode::ACCEPTED);
    env.wait_async(&r.header("azure-asyncoperation").unwrap())
        .await;
    let w = ws(&env, "ml", "ws1").await;
    assert_eq!(w["properties"]["privateLinkCount"], 1);
    assert_eq!(
        w["properties"]["privateEndpointConnections"][0]["name"],
        name
    );
    let r = env
        .get(&env.url(&format!(
            "/providers/Microsoft.Network/privateEndpoints?api-version={V}"
        )))
        .await;
    assert_eq!(r.body["value"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn manual_connection_is_approved_from_the_workspace() {
    let env = start(Latency::Instant).await;
    network(&env, "rg", "vnet").await;
    let target = workspace(&env, "rg", "ws1").await;
    let subnet = subnet_id(&env, "rg", "vnet", "default");
    let r = env
        .put(&pe_url(&env, "rg", "pe"), pe_body(&subnet, &target, true))
        .await;
    finished(&env, &r, true).await;
    assert_eq!(
        r.body["properties"]["privateLinkServiceConnections"],
        json!([])
    );
    let c = &r.body["properties"]["manualPrivateLinkServiceConnections"][0];
    assert_eq!(
        c["properties"]["privateLinkServiceConnectionState"]["status"],
        "Pending"
    );
    assert_eq!(
        c["properties"]["privateLinkServiceConnectionState"]["description"],
        "please"
    );
    assert_eq!(c["properties"]["requestMessage"], "please");

    let w = ws(&env, "rg", "ws1").await;
    assert_eq!(w["properties"]["privateLinkCount"], 1);
    assert_eq!(
        w["properties"]["notebookInfo"]["isPrivateLinkEnabled"],
        false
    );
    let wc = &w["properties"]["privateEndpointConnections"][0];
    assert_eq!(
        wc["properties"]["privateLinkServiceConnectionState"]["status"],
        "Pending"
    );
    let name = wc["name"].as_str().unwrap().to_string();
    let url = ws_child(
        &env,
        "rg",
        "ws1",
        &format!("privateEndpointConnections/{name}"),
    );

    // Approve through the workspace: both sides show it.
    let r = env
        .put(
            &url,
            json!({"properties": {"privateLinkServiceConnectionState": {"status": "Approved", "description": "ok by me"}}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(
        r.body["properties"]["privateLinkServiceConnectionState"]["status"],
        "Approved"
    );
    let w = ws(&env, "rg", "ws1").await;
    assert_eq!(
        w["properties"]["privateEndpointConnections"][0]["properties"]
            ["privateLinkServiceConnectionState"],
        json!({"status": "Approved", "description": "ok by me", "actionsRequired": "None"})
    );
    assert_eq!(
        w["properties"]["notebookInfo"]["isPrivateLinkEnabled"],
        true
    );
    let pe = env.get(&pe_url(&env, "rg", "pe")).await.body;
    assert_eq!(
        pe["properties"]["manualPrivateLinkServiceConnections"][0]["properties"]
            ["privateLinkServiceConnectionState"]["status"],
        "Approved"
    );

    // Rejected is final.
    let state =
        |s: &str| json!({"properties": {"privateLinkServiceConnectionState": {"status": s}}});
    let r = env.put(&url, state("Rejected")).await;
    assert_eq!(r.status, StatusCode::OK);
    let r = env.put(&url, state("Approved")).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = env.put(&url, state("Disconnected")).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = env
        .put(
            &ws_child(&env, "rg", "ws1", "privateEndpointConnections/nope"),
            state("Approved"),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    // Deleting the connection on the workspace leaves the endpoint disconnected.
    let r = env.delete(&url).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(env.delete(&url).await.status, StatusCode::NO_CONTENT);
    let w = ws(&env, "rg", "ws1").await;
    assert_eq!(w["properties"]["privateLinkCount"], 0);
    assert!(w["properties"].get("privateEndpointConnections").is_none());
    let pe = env.get(&pe_url(&env, "rg", "pe")).await.body;
    assert_eq!(
        pe["properties"]["manualPrivateLinkServiceConnections"][0]["properties"]
            ["privateLinkServiceConnectionState"]["status"],
        "Disconnected"
    );
}

#[tokio::test]
async fn private_endpoint_errors() {
    let env = start(Latency::Instant).await;
    network(&env, "rg", "vnet").await;
    let target = workspace(&env, "rg", "ws1").await;
    let subnet = subnet_id(&env, "rg", "vnet", "default");
    let put = |name: &'static str, body: Value| {
        let env = &env;
        async move { env.put(&pe_url(env, "rg", name), body).await }
    };

    let r = put(
        "pe",
        pe_body(&subnet_id(&env, "rg", "vnet", "nope"), &target, false),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.code(), "InvalidResourceReference");
    assert!(
        r.message().contains("/subnets/nope referenced by resource"),
        "{}",
        r.message()
    );
    let r = put(
        "pe",
        pe_body(&subnet_id(&env, "rg", "novnet", "default"), &target, false),
    )
    .await;
    assert_eq!(r.code(), "InvalidResourceReference");
    // Another region than the network's.
    let mut body = pe_body(&subnet, &target, false);
    body["location"] = json!("eastus");
    assert_eq!(put("pe", body).await.code(), "InvalidResourceReference");
    let mut body = pe_body(&subnet, &target, false);
    body["properties"]["privateLinkServiceConnections"][0]["properties"]["groupIds"] =
        json!(["amlworkspace", "other"]);
    assert_eq!(put("pe", body).await.code(), "OnlyOneGroupIdPermitted");
    let mut body = pe_body(&subnet, &target, false);
    body["properties"]["privateLinkServiceConnections"][0]["properties"]["groupIds"] =
        json!(["blob"]);
    let r = put("pe", body).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(
        r.message()
            .starts_with("Call to Microsoft.MachineLearningServices/workspaces failed."),
        "{}",
        r.message()
    );
    let r = put("pe", pe_body(&subnet, &ws_id(&env, "rg", "missing"), false)).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.message().contains("was not found"), "{}", r.message());
    let mut body = pe_body(&subnet, &target, false);
    body["properties"]["manualPrivateLinkServiceConnections"] =
        body["properties"]["privateLinkServiceConnections"].clone();
    assert_eq!(put("pe", body).await.code(), "InvalidRequestFormat");
    let mut body = pe_body(&subnet, &target, false);
    body["properties"].as_object_mut().unwrap().remove("subnet");
    assert_eq!(put("pe", body).await.code(), "InvalidRequestFormat");
    assert_eq!(
        put("p", pe_body(&subnet, &target, false)).await.code(),
        "InvalidResourceName"
    );
    // Nothing was left behind by the failures.
    assert_eq!(
        ws(&env, "rg", "ws1").await["properties"]["privateLinkCount"],
        0
    );

    // Created; then moving it is refused.
    let r = put("pe", pe_body(&subnet, &target, false)).await;
    finished(&env, &r, true).await;
    let r = env
        .put(
            &subnet_url(&env, "rg", "vnet", "second"),
            json!({"properties": {"addressPrefix": "10.0.1.0/24"}}),
        )
        .await;
    finished(&env, &r, true).await;
    let r = put(
        "pe",
        pe_body(&subnet_id(&env, "rg", "vnet", "second"), &target, false),
    )
    .await;
    assert_eq!(r.code(), "PrivateEndpointCannotBeUpdated");
}

#[tokio::test]
async fn subnets_in_use_cannot_be_deleted() {
    let env = start(Latency::Instant).await;
    network(&env, "rg", "vnet").await;
    let target = workspace(&env, "rg", "ws1").await;
    let subnet = subnet_id(&env, "rg", "vnet", "default");
    let r = env
        .put(&pe_url(&env, "rg", "pe"), pe_body(&subnet, &target, false))
        .await;
    finished(&env, &r, true).await;

    let r = env.delete(&subnet_url(&env, "rg", "vnet", "default")).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.code(), "InUseSubnetCannotBeDeleted");
    assert!(
        r.message()
            .contains("/providers/Microsoft.Network/networkInterfaces/pe.nic.")
            && r.message()
                .contains("/ipConfigurations/privateEndpointIpConfig."),
        "{}",
        r.message()
    );
    let r = env.delete(&vnet_url(&env, "rg", "vnet")).await;
    assert_eq!(r.code(), "InUseSubnetCannotBeDeleted");
    // A vnet PUT without the subnet would delete it: refused too.
    let r = vnet(
        &env,
        "rg",
        "vnet",
        json!({"location": "westeurope", "properties": {"addressSpace": {"addressPrefixes": ["10.0.0.0/16"]}}}),
    )
    .await;
    assert_eq!(r.code(), "InUseSubnetCannotBeDeleted");
    // Its range cannot move either.
    let r = env
        .put(
            &subnet_url(&env, "rg", "vnet", "default"),
            json!({"properties": {"addressPrefix": "10.0.0.0/23"}}),
        )
        .await;
    assert_eq!(r.code(), "InUseSubnetCannotBeUpdated");
    // A vnet PUT that keeps it keeps the endpoint's hold on it.
    let r = vnet(
        &env,
        "rg",
        "vnet",
        json!({"location": "westeurope", "properties": {
            "addressSpace": {"addressPrefixes": ["10.0.0.0/16"]},
            "subnets": [{"name": "default", "properties": {"addressPrefix": "10.0.0.0/24"}}],
        }}),
    )
    .await;
    finished(&env, &r, false).await;
    assert_eq!(
        r.body["properties"]["subnets"][0]["properties"]["privateEndpoints"][0]["id"],
        env.rid("rg", "Microsoft.Network/privateEndpoints", "pe")
    );

    // Once the endpoint is gone, both can go.
    let r = env.delete(&pe_url(&env, "rg", "pe")).await;
    assert_eq!(r.status, StatusCode::ACCEPTED);
    let r = env.get(&subnet_url(&env, "rg", "vnet", "default")).await;
    assert!(
        r.body["properties"].get("privateEndpoints").is_none(),
        "{}",
        r.body
    );
    assert_eq!(
        env.delete(&pe_url(&env, "rg", "pe")).await.status,
        StatusCode::NO_CONTENT
    );
    let r = env.delete(&subnet_url(&env, "rg", "vnet", "default")).await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.body);
    let r = env.delete(&vnet_url(&env, "rg", "vnet")).await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.body);
}

#[tokio::test]
async fn deleting_the_workspace_disconnects_its_endpoints() {
    let env = start(Latency::Instant).await;
    network(&env, "net", "vnet").await;
    let target = workspace(&env, "ml", "ws1").await;
    let subnet = subnet_id(&env, "net", "vnet", "default");
    let r = env
        .put(&pe_url(&env, "net", "pe"), pe_body(&subnet, &target, false))
        .await;
    finished(&env, &r, true).await;

    let r = env.delete(&env.ws_url("ml", "ws1")).await;
    assert_eq!(r.status, StatusCode::ACCEPTED);
    env.wait_async(&r.header("azure-asyncoperation").unwrap())
        .await;
    let pe = env.get(&pe_url(&env, "net", "pe")).await.body;
    let state = &pe["properties"]["privateLinkServiceConnections"][0]["properties"]
        ["privateLinkServiceConnectionState"];
    assert_eq!(state["status"], "Disconnected", "{pe}");
    // The endpoint still holds its subnet.
    let r = env
        .delete(&subnet_url(&env, "net", "vnet", "default"))
        .await;
    assert_eq!(r.code(), "InUseSubnetCannotBeDeleted");

    // Deleting the endpoint's group releases what it held elsewhere.
    let target = workspace(&env, "ml", "ws2").await;
    env.group("pes").await;
    let r = env
        .put(
            &pe_url(&env, "pes", "pe2"),
            pe_body(&subnet, &target, false),
        )
        .await;
    finished(&env, &r, true).await;
    assert_eq!(
        ws(&env, "ml", "ws2").await["properties"]["privateLinkCount"],
        1
    );
    let r = env
        .delete(&env.url("/resourcegroups/pes?api-version=2025-04-01"))
        .await;
    env.wait_location(&r.header("location").unwrap()).await;
    assert_eq!(
        ws(&env, "ml", "ws2").await["properties"]["privateLinkCount"],
        0
    );
    let r = env.get(&subnet_url(&env, "net", "vnet", "default")).await;
    assert_eq!(
        r.body["properties"]["privateEndpoints"]
            .as_array()
            .unwrap()
            .len(),
        1
    );

    // Deleting the workspace's group disconnects the endpoints pointing into it.
    let r = env
        .put(&pe_url(&env, "net", "pe3"), pe_body(&subnet, &target, true))
        .await;
    finished(&env, &r, true).await;
    let r = env
        .delete(&env.url("/resourcegroups/ml?api-version=2025-04-01"))
        .await;
    env.wait_location(&r.header("location").unwrap()).await;
    let pe = env.get(&pe_url(&env, "net", "pe3")).await.body;
    assert_eq!(
        pe["properties"]["manualPrivateLinkServiceConnections"][0]["properties"]
            ["privateLinkServiceConnectionState"]["status"],
        "Disconnected"
    );
}

#[tokio::test]
async fn a_failed_operation_leaves_the_endpoint_failed() {
    use azml_emulator::{FaultAction, FaultRule};
    let env = start(Latency::Instant).await;
    network(&env, "rg", "vnet").await;
    let target = workspace(&env, "rg", "ws1").await;
    env.emu
        .add_fault(FaultRule {
            method: Some("PUT".into()),
            path: Some("/privateEndpoints/[^/]+$".into()),
            count: Some(1),
            action: FaultAction::FailOperation {
                code: Some("InternalServerError".into()),
                message: Some("Endpoint provisioning failed in a test.".into()),
            },
            ..FaultRule::status("/", 500)
        })
        .unwrap();
    let subnet = subnet_id(&env, "rg", "vnet", "default");
    let r = env
        .put(&pe_url(&env, "rg", "pe"), pe_body(&subnet, &target, false))
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    let status = env
        .wait_async(&r.header("azure-asyncoperation").unwrap())
        .await;
    assert_eq!(status["status"], "Failed");
    assert_eq!(status["error"]["code"], "InternalServerError");
    let pe = env.get(&pe_url(&env, "rg", "pe")).await.body;
    assert_eq!(pe["properties"]["provisioningState"], "Failed");
}
