//! Role definitions and role assignments on the emulator.

use crate::support::emulator::start;
use azml_emulator::Latency;
use reqwest::StatusCode;
use serde_json::json;

const DATA_SCIENTIST: &str = "f6c7c914-8db3-469d-8ca1-694a8f32e121";

#[tokio::test]
async fn role_definitions_by_name() {
    let env = start(Latency::Instant).await;
    env.group("rg").await;
    let r = env
        .get(&env.url(
            "/resourceGroups/rg/providers/Microsoft.Authorization/roleDefinitions?$filter=roleName%20eq%20'AzureML%20Data%20Scientist'&api-version=2022-04-01",
        ))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let defs = r.body["value"].as_array().unwrap();
    assert_eq!(defs.len(), 1);
    assert_eq!(defs[0]["name"], DATA_SCIENTIST);
    assert_eq!(defs[0]["properties"]["type"], "BuiltInRole");
    let r = env
        .get(&env.url(
            "/providers/Microsoft.Authorization/roleDefinitions?$filter=roleName%20eq%20'Nobody'&api-version=2022-04-01",
        ))
        .await;
    assert_eq!(r.body["value"], json!([]));
}

#[tokio::test]
async fn role_assignments_at_a_workspace() {
    let env = start(Latency::Instant).await;
    let body = env.dependents("rg", "ra").await;
    let r = env.put(&env.ws_url("rg", "wsra"), body).await;
    assert_eq!(r.status, StatusCode::ACCEPTED);
    let user = env.emu.add_user("alice@contoso.com", "Alice");
    let scope = env.rid("rg", "Microsoft.MachineLearningServices/workspaces", "wsra");
    let role = format!(
        "/subscriptions/{}/providers/Microsoft.Authorization/roleDefinitions/{DATA_SCIENTIST}",
        env.sub()
    );
    let url = |name: &str| {
        format!(
            "{}{scope}/providers/Microsoft.Authorization/roleAssignments/{name}?api-version=2022-04-01",
            env.emu.url()
        )
    };
    let name = "0b0f3a1e-6a4b-4c55-9d3c-0d6f2c9c1a01";
    let assignment = json!({"properties": {"roleDefinitionId": role, "principalId": user}});
    let r = env.put(&url(name), assignment.clone()).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(r.body["properties"]["scope"], scope.as_str());
    assert_eq!(r.body["properties"]["principalType"], "User");

    let r = env
        .put(
            &url("0b0f3a1e-6a4b-4c55-9d3c-0d6f2c9c1a02"),
            assignment.clone(),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(r.code(), "RoleAssignmentExists");
    let r = env.put(&url("not-a-guid"), assignment).await;
    assert_eq!(r.code(), "InvalidRoleAssignmentId");
    let r = env
        .put(
            &url("0b0f3a1e-6a4b-4c55-9d3c-0d6f2c9c1a03"),
            json!({"properties": {"roleDefinitionId": role, "principalId": "11111111-1111-1111-1111-111111111111"}}),
        )
        .await;
    assert_eq!(r.code(), "PrincipalNotFound");
    let r = env
        .put(
            &url("0b0f3a1e-6a4b-4c55-9d3c-0d6f2c9c1a04"),
            json!({"properties": {"roleDefinitionId": format!("/subscriptions/{}/providers/Microsoft.Authorization/roleDefinitions/11111111-1111-1111-1111-111111111111", env.sub()), "principalId": user}}),
        )
        .await;
    assert_eq!(r.code(), "RoleDefinitionDoesNotExist");

    assert_eq!(env.get(&url(name)).await.status, StatusCode::OK);
    let list_url = |filter: &str| {
        env.url(&format!(
            "/resourceGroups/rg/providers/Microsoft.Authorization/roleAssignments?{filter}api-version=2022-04-01"
        ))
    };
    let r = env.get(&list_url("")).await;
    let scopes: Vec<&str> = r.body["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["properties"]["scope"].as_str().unwrap())
        .collect();
    assert_eq!(
        scopes,
        [format!("/subscriptions/{}", env.sub()), scope.clone()],
        "the Owner assignment above the group, and the one below it"
    );
    // atScope(): at the group or above it, not below.
    let r = env.get(&list_url("$filter=atScope()&")).await;
    let above = r.body["value"].as_array().unwrap();
    assert_eq!(above.len(), 1);
    assert_eq!(
        above[0]["properties"]["principalId"],
        env.emu.principal_oid()
    );

    let r = env.delete(&url(name)).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["name"], name);
    assert_eq!(env.delete(&url(name)).await.status, StatusCode::NO_CONTENT);
    assert_eq!(env.get(&url(name)).await.code(), "RoleAssignmentNotFound");
}
