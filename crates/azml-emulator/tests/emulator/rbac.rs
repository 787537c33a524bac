//! ARM enforces role assignments: a second service principal, added through the admin API,
//! is refused (403 `AuthorizationFailed`) until the subscription's Owner gives it a role.

use crate::support::emulator::{sign_in, start, Env, Reply, ARM};
use azml_emulator::Latency;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

const READER: &str = "acdd72a7-3385-48ef-bd42-f606fba81ae7";
const CONTRIBUTOR: &str = "b24988ac-6180-42a0-ab88-20f7382dd24c";
const OWNER: &str = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635";
const DATA_SCIENTIST: &str = "f6c7c914-8db3-469d-8ca1-694a8f32e121";

/// A principal other than the emulator's default one.
struct Other {
    oid: String,
    token: String,
}

async fn other(env: &Env) -> Other {
    let r = env
        .http
        .post(format!("{}/_emulator/servicePrincipals", env.emu.url()))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let sp: Value = r.json().await.unwrap();
    let (app_id, secret) = (
        sp["appId"].as_str().unwrap(),
        sp["secret"].as_str().unwrap(),
    );
    let token = sign_in(&env.http, &env.emu, app_id, secret, ARM).await;
    Other {
        oid: sp["objectId"].as_str().unwrap().to_string(),
        token,
    }
}

impl Other {
    async fn get(&self, env: &Env, url: &str) -> Reply {
        env.send_as(&self.token, Method::GET, url, None).await
    }
    async fn put(&self, env: &Env, url: &str, body: Value) -> Reply {
        env.send_as(&self.token, Method::PUT, url, Some(body)).await
    }
    async fn post(&self, env: &Env, url: &str) -> Reply {
        env.send_as(&self.token, Method::POST, url, None).await
    }
}

fn group_url(env: &Env, rg: &str) -> String {
    env.url(&format!("/resourcegroups/{rg}?api-version=2025-04-01"))
}

fn assignment_url(env: &Env, scope: &str, name: &str) -> String {
    format!(
        "{}{scope}/providers/Microsoft.Authorization/roleAssignments/{name}?api-version=2022-04-01",
        env.emu.url()
    )
}

fn role_id(env: &Env, guid: &str) -> String {
    format!(
        "/subscriptions/{}/providers/Microsoft.Authorization/roleDefinitions/{guid}",
        env.sub()
    )
}

/// The default principal (Owner) gives `oid` the role `guid` over `scope`; returns the
/// assignment's URL.
async fn grant(env: &Env, oid: &str, guid: &str, scope: &str) -> String {
    let url = assignment_url(env, scope, &uuid::Uuid::new_v4().to_string());
    let r = env
        .put(
            &url,
            json!({"properties": {"roleDefinitionId": role_id(env, guid), "principalId": oid}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(r.body["properties"]["principalType"], "ServicePrincipal");
    url
}

fn assert_refused(r: &Reply, oid: &str, action: &str, scope: &str) {
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    assert_eq!(r.code(), "AuthorizationFailed");
    assert_eq!(
        r.message(),
        format!(
            "The client '{oid}' with object id '{oid}' does not have authorization to perform \
             action '{action}' over scope '{scope}' or the scope is invalid. If access was \
             recently granted, please refresh your credentials."
        )
    );
}

/// A group `rg` holding workspace `ws` (made by the Owner); returns the workspace id.
async fn workspace(env: &Env, rg: &str, ws: &str) -> String {
    let body = env.dependents(rg, ws).await;
    let r = env.put(&env.ws_url(rg, ws), body).await;
    assert!(r.status.is_success(), "{}", r.body);
    env.rid(rg, "Microsoft.MachineLearningServices/workspaces", ws)
}

#[tokio::test]
async fn the_default_principal_is_owner_of_the_subscription() {
    let env = start(Latency::Instant).await;
    let sub = format!("/subscriptions/{}", env.sub());
    let r = env
        .get(&format!(
            "{}{sub}/providers/Microsoft.Authorization/roleAssignments?$filter=atScope()&api-version=2022-04-01",
            env.emu.url()
        ))
        .await;
    let value = r.body["value"].as_array().unwrap();
    assert_eq!(value.len(), 1, "{}", r.body);
    let p = &value[0]["properties"];
    assert_eq!(p["principalId"], env.emu.principal_oid());
    assert_eq!(p["scope"], sub.as_str());
    assert!(p["roleDefinitionId"].as_str().unwrap().ends_with(OWNER));
}

#[tokio::test]
async fn a_principal_without_role_is_refused_until_reader_at_the_group() {
    let env = start(Latency::Instant).await;
    let ws_id = workspace(&env, "rg-a", "wsa").await;
    let sp = other(&env).await;

    let r = sp.get(&env, &env.ws_url("rg-a", "wsa")).await;
    assert_refused(
        &r,
        &sp.oid,
        "Microsoft.MachineLearningServices/workspaces/read",
        &ws_id,
    );
    let r = sp.get(&env, &group_url(&env, "rg-a")).await;
    assert_refused(
        &r,
        &sp.oid,
        "Microsoft.Resources/subscriptions/resourcegroups/read",
        &format!("/subscriptions/{}/resourcegroups/rg-a", env.sub()),
    );
    // No assignment anywhere: the subscription is not among the caller's, and its group
    // list is refused at the subscription.
    let r = sp
        .get(
            &env,
            &format!("{}/subscriptions?api-version=2022-12-01", env.emu.url()),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["value"], json!([]));
    let r = sp
        .get(&env, &env.url("/resourcegroups?api-version=2025-04-01"))
        .await;
    assert_refused(
        &r,
        &sp.oid,
        "Microsoft.Resources/subscriptions/resourcegroups/read",
        &format!("/subscriptions/{}", env.sub()),
    );
    // Authorization comes before existence ("or the scope is invalid").
    let r = sp.get(&env, &group_url(&env, "no-such-group")).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    let rg_scope = format!("/subscriptions/{}/resourceGroups/rg-a", env.sub());
    grant(&env, &sp.oid, READER, &rg_scope).await;
    env.group("rg-b").await;

    let r = sp.get(&env, &env.ws_url("rg-a", "wsa")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["id"], ws_id.as_str());
    assert_eq!(
        sp.get(&env, &group_url(&env, "rg-a")).await.status,
        StatusCode::OK
    );
    // The other group stays out of reach, and lists show what the caller may read only.
    assert_eq!(
        sp.get(&env, &group_url(&env, "rg-b")).await.status,
        StatusCode::FORBIDDEN
    );
    let r = sp
        .get(&env, &env.url("/resourcegroups?api-version=2025-04-01"))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let names: Vec<&str> = r.body["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["rg-a"]);
    let r = sp
        .get(
            &env,
            &format!("{}/subscriptions?api-version=2022-12-01", env.emu.url()),
        )
        .await;
    assert_eq!(r.body["value"].as_array().unwrap().len(), 1);

    // Reader writes nothing and lists no keys.
    let r = sp
        .put(
            &env,
            &group_url(&env, "rg-a"),
            json!({"location": "westeurope", "tags": {"x": "y"}}),
        )
        .await;
    assert_refused(
        &r,
        &sp.oid,
        "Microsoft.Resources/subscriptions/resourcegroups/write",
        &format!("/subscriptions/{}/resourcegroups/rg-a", env.sub()),
    );
    let r = sp
        .put(
            &env,
            &env.ws_url("rg-a", "wsa"),
            json!({"location": "westeurope"}),
        )
        .await;
    assert_refused(
        &r,
        &sp.oid,
        "Microsoft.MachineLearningServices/workspaces/write",
        &ws_id,
    );
    let keys = format!("{}{ws_id}/listKeys?api-version=2025-12-01", env.emu.url());
    let r = sp.post(&env, &keys).await;
    assert_refused(
        &r,
        &sp.oid,
        "Microsoft.MachineLearningServices/workspaces/listKeys/action",
        &ws_id,
    );
    // The Owner is not affected.
    assert_eq!(env.post(&keys, json!({})).await.status, StatusCode::OK);
}

#[tokio::test]
async fn contributor_writes_but_assigns_no_roles_owner_does() {
    let env = start(Latency::Instant).await;
    let ws_id = workspace(&env, "rg-c", "wsc").await;
    let sp = other(&env).await;
    let rg_scope = format!("/subscriptions/{}/resourceGroups/rg-c", env.sub());
    grant(&env, &sp.oid, CONTRIBUTOR, &rg_scope).await;

    let r = sp
        .put(
            &env,
            &group_url(&env, "rg-c"),
            json!({"location": "westeurope", "tags": {"by": "contributor"}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = env
        .send_as(
            &sp.token,
            Method::PATCH,
            &env.ws_url("rg-c", "wsc"),
            Some(json!({"properties": {"description": "changed"}})),
        )
        .await;
    assert!(r.status.is_success(), "{}", r.body);
    let keys = format!("{}{ws_id}/listKeys?api-version=2025-12-01", env.emu.url());
    assert_eq!(sp.post(&env, &keys).await.status, StatusCode::OK);

    let user = env.emu.add_user("carol@contoso.com", "Carol");
    let name = uuid::Uuid::new_v4().to_string();
    let body =
        json!({"properties": {"roleDefinitionId": role_id(&env, READER), "principalId": user}});
    let r = sp
        .put(&env, &assignment_url(&env, &ws_id, &name), body.clone())
        .await;
    assert_refused(
        &r,
        &sp.oid,
        "Microsoft.Authorization/roleAssignments/write",
        &format!("{ws_id}/providers/Microsoft.Authorization/roleAssignments/{name}"),
    );
    // Reading them is fine (Contributor keeps `*/read`).
    let list = format!(
        "{}{ws_id}/providers/Microsoft.Authorization/roleAssignments?api-version=2022-04-01",
        env.emu.url()
    );
    assert_eq!(sp.get(&env, &list).await.status, StatusCode::OK);

    grant(&env, &sp.oid, OWNER, &rg_scope).await;
    let r = sp
        .put(&env, &assignment_url(&env, &ws_id, &name), body)
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(r.body["properties"]["createdBy"], sp.oid.as_str());
}

#[tokio::test]
async fn an_assignment_at_the_subscription_reaches_every_resource_until_removed() {
    let env = start(Latency::Instant).await;
    let ws_id = workspace(&env, "rg-s", "wss").await;
    env.group("rg-t").await;
    let sp = other(&env).await;
    let sub = format!("/subscriptions/{}", env.sub());
    let assignment = grant(&env, &sp.oid, READER, &sub).await;

    assert_eq!(
        sp.get(&env, &env.ws_url("rg-s", "wss")).await.status,
        StatusCode::OK
    );
    let sa = format!(
        "{}{}?api-version=2025-01-01",
        env.emu.url(),
        env.rid("rg-s", "Microsoft.Storage/storageAccounts", "wsssa")
    );
    assert_eq!(sp.get(&env, &sa).await.status, StatusCode::OK);
    let r = sp
        .get(&env, &env.url("/resourcegroups?api-version=2025-04-01"))
        .await;
    assert_eq!(r.body["value"].as_array().unwrap().len(), 2, "{}", r.body);
    let r = sp
        .get(
            &env,
            &env.url(
                "/providers/Microsoft.MachineLearningServices/workspaces?api-version=2025-12-01",
            ),
        )
        .await;
    assert_eq!(r.body["value"][0]["id"], ws_id.as_str());
    assert_eq!(
        sp.get(
            &env,
            &format!("{}{sub}/providers?api-version=2025-04-01", env.emu.url())
        )
        .await
        .status,
        StatusCode::OK
    );

    assert_eq!(env.delete(&assignment).await.status, StatusCode::OK);
    assert_eq!(
        sp.get(&env, &env.ws_url("rg-s", "wss")).await.status,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn resource_scoped_roles_and_filtered_lists() {
    let env = start(Latency::Instant).await;
    let ws_id = workspace(&env, "rg-d", "wsd").await;
    let sp = other(&env).await;
    grant(&env, &sp.oid, DATA_SCIENTIST, &ws_id).await;

    // AzureML Data Scientist reads the workspace (`workspaces/*/read` covers
    // `workspaces/read`) but neither changes it nor lists its keys.
    assert_eq!(
        sp.get(&env, &env.ws_url("rg-d", "wsd")).await.status,
        StatusCode::OK
    );
    let r = sp
        .put(
            &env,
            &env.ws_url("rg-d", "wsd"),
            json!({"location": "westeurope"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let keys = format!("{}{ws_id}/listKeys?api-version=2025-12-01", env.emu.url());
    assert_eq!(sp.post(&env, &keys).await.status, StatusCode::FORBIDDEN);
    // The group's workspace list shows that one workspace; its storage accounts, none
    // (no grant reaches them: refused).
    let r = sp
        .get(
            &env,
            &env.url("/resourceGroups/rg-d/providers/Microsoft.MachineLearningServices/workspaces?api-version=2025-12-01"),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["value"].as_array().unwrap().len(), 1);
    let r = sp
        .get(
            &env,
            &env.url(
                "/resourceGroups/rg-d/providers/Microsoft.Storage/storageAccounts?api-version=2025-01-01",
            ),
        )
        .await;
    assert_refused(
        &r,
        &sp.oid,
        "Microsoft.Storage/storageAccounts/read",
        &format!("/subscriptions/{}/resourceGroups/rg-d", env.sub()),
    );
    // No group read either: the role is the workspace's only.
    assert_eq!(
        sp.get(&env, &group_url(&env, "rg-d")).await.status,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn roles_can_be_given_outside_arm_for_tests() {
    let env = start(Latency::Instant).await;
    env.group("rg-e").await;
    let sp = other(&env).await;
    let scope = format!("/subscriptions/{}/resourceGroups/rg-e", env.sub());
    let name = env.emu.assign_role(&sp.oid, "Reader", &scope).unwrap();
    assert_eq!(
        env.emu.assign_role(&sp.oid, READER, &scope).unwrap(),
        name,
        "the same assignment again"
    );
    assert_eq!(
        sp.get(&env, &group_url(&env, "rg-e")).await.status,
        StatusCode::OK
    );
    assert!(env.emu.assign_role(&sp.oid, "Chief", &scope).is_err());
    assert!(env
        .emu
        .assign_role("11111111-1111-1111-1111-111111111111", "Reader", &scope)
        .is_err());
    assert!(env
        .emu
        .assign_role(&sp.oid, "Reader", "/subscriptions/other")
        .is_err());
}

const MANAGED_IDENTITY_OPERATOR: &str = "f1a07417-d97a-45cb-824c-7a7467783830";
const NETWORK_CONTRIBUTOR: &str = "4d97b98b-1d4f-4787-a291-c67834d212e7";

fn assert_linked_refused(r: &Reply, oid: &str, action: &str, scope: &str, linked: (&str, &str)) {
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    assert_eq!(r.code(), "LinkedAuthorizationFailed");
    assert_eq!(
        r.message(),
        format!(
            "The client '{oid}' with object id '{oid}' has permission to perform action \
             '{action}' on scope '{scope}'; however, it does not have permission to perform \
             action '{}' on the linked scope(s) '{}' or the linked scope(s) are invalid.",
            linked.0, linked.1
        )
    );
}

#[tokio::test]
async fn attaching_an_identity_needs_assign_on_it_as_well() {
    let env = start(Latency::Instant).await;
    let sp = other(&env).await;
    let body = env.dependents("rg-l", "wsl").await;
    let uai_url = format!(
        "{}?api-version=2023-01-31",
        env.url(
            "/resourceGroups/rg-ids/providers/Microsoft.ManagedIdentity/userAssignedIdentities/shared"
        )
    );
    assert!(env
        .put(
            &group_url(&env, "rg-ids"),
            json!({"location": "westeurope"})
        )
        .await
        .status
        .is_success());
    let r = env.put(&uai_url, json!({"location": "westeurope"})).await;
    assert!(r.status.is_success(), "{}", r.body);
    let uai_id = r.body["id"].as_str().unwrap().to_string();
    let rg_scope = format!("/subscriptions/{}/resourceGroups/rg-l", env.sub());
    grant(&env, &sp.oid, CONTRIBUTOR, &rg_scope).await;

    let mut with_identity = body.clone();
    with_identity["identity"] =
        json!({"type": "SystemAssigned,UserAssigned", "userAssignedIdentities": {&uai_id: {}}});
    with_identity["properties"]["primaryUserAssignedIdentity"] = json!(uai_id);
    let ws_url = env.ws_url("rg-l", "wsl");
    let r = sp.put(&env, &ws_url, with_identity.clone()).await;
    assert_linked_refused(
        &r,
        &sp.oid,
        "Microsoft.MachineLearningServices/workspaces/write",
        &env.rid(
            "rg-l",
            "Microsoft.MachineLearningServices/workspaces",
            "wsl",
        ),
        (
            "Microsoft.ManagedIdentity/userAssignedIdentities/assign/action",
            &uai_id,
        ),
    );
    // Refused before the provider saw it: nothing was created.
    assert_eq!(env.get(&ws_url).await.status, StatusCode::NOT_FOUND);
    // Without the identity the same principal may create it: only the link was missing.
    let plain = env.dependents("rg-l", "plain").await;
    let r = sp.put(&env, &env.ws_url("rg-l", "plain"), plain).await;
    assert!(r.status.is_success(), "{}", r.body);

    // Managed Identity Operator on the identity alone is what Azure asks for.
    grant(&env, &sp.oid, MANAGED_IDENTITY_OPERATOR, &uai_id).await;
    let r = sp.put(&env, &ws_url, with_identity).await;
    assert!(r.status.is_success(), "{}", r.body);
}

#[tokio::test]
async fn a_private_endpoint_needs_join_on_its_subnet() {
    let env = start(Latency::Instant).await;
    let sp = other(&env).await;
    let v = "2025-07-01";
    for rg in ["rg-net", "rg-pe"] {
        let r = env
            .put(&group_url(&env, rg), json!({"location": "westeurope"}))
            .await;
        assert!(r.status.is_success(), "{}", r.body);
    }
    let vnet = env.rid("rg-net", "Microsoft.Network/virtualNetworks", "vnet");
    let r = env
        .put(
            &format!("{}{vnet}?api-version={v}", env.emu.url()),
            json!({"location": "westeurope", "properties": {
                "addressSpace": {"addressPrefixes": ["10.0.0.0/16"]},
                "subnets": [{"name": "default", "properties": {"addressPrefix": "10.0.0.0/24"}}]
            }}),
        )
        .await;
    assert!(r.status.is_success(), "{}", r.body);
    let ws_id = workspace(&env, "rg-pe", "wspe").await;
    let subnet = format!("{vnet}/subnets/default");
    grant(
        &env,
        &sp.oid,
        CONTRIBUTOR,
        &format!("/subscriptions/{}/resourceGroups/rg-pe", env.sub()),
    )
    .await;
    let pe = env.rid("rg-pe", "Microsoft.Network/privateEndpoints", "pe1");
    let pe_url = format!("{}{pe}?api-version={v}", env.emu.url());
    let body = json!({"location": "westeurope", "properties": {
        "subnet": {"id": subnet},
        "privateLinkServiceConnections": [{"name": "c1", "properties": {
            "privateLinkServiceId": ws_id, "groupIds": ["amlworkspace"]}}]
    }});
    let r = sp.put(&env, &pe_url, body.clone()).await;
    assert_linked_refused(
        &r,
        &sp.oid,
        "Microsoft.Network/privateEndpoints/write",
        &pe,
        (
            "Microsoft.Network/virtualNetworks/subnets/join/action",
            &subnet,
        ),
    );
    assert_eq!(env.get(&pe_url).await.status, StatusCode::NOT_FOUND);

    grant(
        &env,
        &sp.oid,
        NETWORK_CONTRIBUTOR,
        &format!("/subscriptions/{}/resourceGroups/rg-net", env.sub()),
    )
    .await;
    let r = sp.put(&env, &pe_url, body).await;
    assert!(r.status.is_success(), "{}", r.body);
}

#[tokio::test]
async fn the_state_summary_counts_the_principals_added_at_run_time() {
    let env = start(Latency::Instant).await;
    let count = |state: &Value, k: &str| state[k].as_u64().unwrap();
    let state_url = format!("{}/_emulator/state", env.emu.url());
    let before: Value = env
        .http
        .get(&state_url)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    other(&env).await;
    other(&env).await;
    env.emu.add_user_assigned_identity("id-for-state");
    let after: Value = env
        .http
        .get(&state_url)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        count(&after, "servicePrincipals"),
        count(&before, "servicePrincipals") + 2
    );
    assert_eq!(
        count(&after, "managedIdentities"),
        count(&before, "managedIdentities") + 1
    );
}
