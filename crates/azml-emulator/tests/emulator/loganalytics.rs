//! Log Analytics workspaces, what workspace-based App Insights components link to, and the
//! container registry's refusal of non-ASCII group names.

use crate::support::emulator::start;
use azml_emulator::Latency;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn app_insights_links_an_existing_log_analytics_workspace_only() {
    let env = start(Latency::Instant).await;
    env.group("rg-la").await;
    let la_url = |name: &str| {
        format!(
            "{}{}?api-version=2023-09-01",
            env.emu.url(),
            env.rid("rg-la", "Microsoft.OperationalInsights/workspaces", name)
        )
    };
    let r = env
        .put(
            &la_url("ws-logs"),
            json!({"location": "westeurope", "properties": {"sku": {"name": "PerGB2018"}}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let la_id = r.body["id"].as_str().unwrap().to_string();
    let customer = r.body["properties"]["customerId"].clone();
    assert!(customer.is_string());
    // A second PUT updates it and keeps its customer id.
    let again = env
        .put(&la_url("ws-logs"), json!({"location": "westeurope"}))
        .await;
    assert_eq!(again.status, StatusCode::OK);
    assert_eq!(again.body["properties"]["customerId"], customer);
    assert_eq!(
        env.put(&la_url("-bad"), json!({"location": "westeurope"}))
            .await
            .status,
        StatusCode::BAD_REQUEST
    );

    let ai_url = format!(
        "{}{}?api-version=2020-02-02",
        env.emu.url(),
        env.rid("rg-la", "Microsoft.Insights/components", "ai1")
    );
    let ai = |ws: &str| {
        json!({"location": "westeurope", "kind": "web",
               "properties": {"Application_Type": "web", "WorkspaceResourceId": ws}})
    };
    let missing = la_id.replace("ws-logs", "nope");
    let r = env.put(&ai_url, ai(&missing)).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.code(), "BadRequest");
    assert!(
        r.message()
            .starts_with("Could not retrieve the Log Analytics workspace from ARM"),
        "{}",
        r.message()
    );
    let r = env.put(&ai_url, ai(&la_id)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["properties"]["WorkspaceResourceId"], la_id);
    assert_eq!(r.body["properties"]["IngestionMode"], "LogAnalytics");

    // Listed at the subscription.
    let list = env
        .get(&format!(
            "{}/subscriptions/{}/providers/Microsoft.OperationalInsights/workspaces?api-version=2023-09-01",
            env.emu.url(),
            env.sub()
        ))
        .await;
    assert_eq!(list.body["value"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn a_registry_in_a_group_with_a_non_ascii_name_is_refused() {
    let env = start(Latency::Instant).await;
    env.group("données").await;
    let url = format!(
        "{}{}?api-version=2025-04-01",
        env.emu.url(),
        env.rid(
            "données",
            "Microsoft.ContainerRegistry/registries",
            "acrunicode1"
        )
    );
    let r = env
        .put(
            &url,
            json!({"location": "westeurope", "sku": {"name": "Basic"}, "properties": {"adminUserEnabled": true}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    assert_eq!(r.code(), "InvalidResourceGroupName");
}
