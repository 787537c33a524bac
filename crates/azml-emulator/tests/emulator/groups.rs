//! Resource groups on the emulator: create/update, location, names, HEAD, tags, paging,
//! deletion as a long-running operation that removes what the group holds.

use std::collections::HashSet;
use std::time::Duration;

use crate::support::emulator::{start, start_with, Env};
use azml_emulator::{EmulatorConfig, Latency};
use reqwest::{Method, StatusCode};
use serde_json::json;

fn group_url(env: &Env, name: &str) -> String {
    env.url(&format!("/resourcegroups/{name}?api-version=2021-04-01"))
}

#[tokio::test]
async fn put_creates_then_updates_and_keeps_the_location() {
    let env = start(Latency::Instant).await;
    let body =
        json!({"location": "West US", "managedBy": "test_admin", "tags": {"a": "b", "c": ""}});
    let r = env.put(&group_url(&env, "Test_RG(1)"), body.clone()).await;
    assert_eq!(r.status, StatusCode::CREATED);
    assert_eq!(
        r.body,
        json!({
            "id": format!("/subscriptions/{}/resourceGroups/Test_RG(1)", env.sub()),
            "name": "Test_RG(1)",
            "type": "Microsoft.Resources/resourceGroups",
            "location": "westus",
            "managedBy": "test_admin",
            "tags": {"a": "b", "c": ""},
            "properties": {"provisioningState": "Succeeded"},
        })
    );
    // Same definition, other casing of the name and of the path: an update.
    let r = env
        .put(
            &env.url("/resourceGroups/test_rg(1)?api-version=2025-04-01"),
            json!({"location": "westus", "tags": {}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        r.body["name"], "Test_RG(1)",
        "the casing of creation is kept"
    );
    assert_eq!(r.body["tags"], json!({}));

    let r = env
        .put(
            &group_url(&env, "test_rg(1)"),
            json!({"location": "eastus"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(r.code(), "InvalidResourceGroupLocation");

    let r = env.get(&group_url(&env, "TEST_RG(1)")).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["location"], "westus");
}

#[tokio::test]
async fn names_and_bodies_are_validated() {
    let env = start(Latency::Instant).await;
    for bad in ["ends.", "has space", "semi;colon", &"a".repeat(91)] {
        let r = env
            .put(&group_url(&env, bad), json!({"location": "westus"}))
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{bad}");
        assert_eq!(r.code(), "InvalidResourceGroup");
    }
    let r = env.put(&group_url(&env, "rg"), json!({"tags": {}})).await;
    assert_eq!(r.code(), "LocationRequired");
    let r = env
        .put(&group_url(&env, "rg"), json!({"location": "atlantis"}))
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = env.send(Method::PUT, &group_url(&env, "rg"), None).await;
    assert_eq!(r.code(), "InvalidRequestContent");
}

#[tokio::test]
async fn get_head_patch_and_missing_groups() {
    let env = start(Latency::Instant).await;
    let r = env.get(&group_url(&env, "nope")).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.code(), "ResourceGroupNotFound");
    assert_eq!(r.message(), "Resource group 'nope' could not be found.");

    let r = env.send(Method::HEAD, &group_url(&env, "rg1"), None).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    env.group("rg1").await;
    let r = env.send(Method::HEAD, &group_url(&env, "RG1"), None).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);

    let r = env
        .patch(&group_url(&env, "rg1"), json!({"tags": {"x": "1"}}))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["tags"], json!({"x": "1"}));
    let r = env
        .patch(&group_url(&env, "rg1"), json!({"tags": {"y": "2"}}))
        .await;
    assert_eq!(r.body["tags"], json!({"y": "2"}), "PATCH replaces the tags");
    let r = env
        .patch(&group_url(&env, "nope"), json!({"tags": {}}))
        .await;
    assert_eq!(r.code(), "ResourceGroupNotFound");
}

#[tokio::test]
async fn list_filters_by_tag_and_pages() {
    let env = start_with(EmulatorConfig {
        latency: Latency::Instant,
        page_size: 2,
        ..EmulatorConfig::default()
    })
    .await;
    for i in 0..5 {
        let tags = if i % 2 == 0 {
            json!({"env": "dev"})
        } else {
            json!({"env": "prod"})
        };
        let r = env
            .put(
                &group_url(&env, &format!("rg{i}")),
                json!({"location": "westus", "tags": tags}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED);
    }
    let mut next = Some(env.url("/resourcegroups?api-version=2021-04-01"));
    let mut names = Vec::new();
    let mut pages = 0;
    while let Some(url) = next {
        let r = env.get(&url).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let page = r.body["value"].as_array().unwrap();
        assert!(page.len() <= 2);
        names.extend(page.iter().map(|g| g["name"].as_str().unwrap().to_string()));
        next = r.body["nextLink"].as_str().map(str::to_string);
        pages += 1;
    }
    assert_eq!(pages, 3);
    assert_eq!(names, ["rg0", "rg1", "rg2", "rg3", "rg4"]);

    let mut next = Some(env.url(
        "/resourcegroups?$filter=tagname%20eq%20%27env%27%20and%20tagvalue%20eq%20%27dev%27&api-version=2021-04-01",
    ));
    let mut dev = Vec::new();
    while let Some(url) = next {
        let r = env.get(&url).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        dev.extend(
            r.body["value"]
                .as_array()
                .unwrap()
                .iter()
                .map(|g| g["name"].as_str().unwrap().to_string()),
        );
        next = r.body["nextLink"].as_str().map(str::to_string);
    }
    assert_eq!(dev, ["rg0", "rg2", "rg4"], "the filter survives nextLink");

    let r = env
        .get(
            &env.url(
                "/resourcegroups?$filter=tagName%20eq%20%27env%27&$top=1&api-version=2021-04-01",
            ),
        )
        .await;
    assert_eq!(r.body["value"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn delete_is_a_long_running_operation_that_empties_the_group() {
    // Realistic latency, finished by moving the emulator's clock: no real waiting.
    let env = start_with(EmulatorConfig {
        latency: Latency::Realistic,
        ..EmulatorConfig::default()
    })
    .await;
    let ws_body = env.dependents("doomed", "dm").await;
    let r = env.put(&env.ws_url("doomed", "ws1"), ws_body).await;
    assert_eq!(r.status, StatusCode::ACCEPTED);
    env.emu.advance_clock(Duration::from_secs(60));

    let r = env.delete(&group_url(&env, "Doomed")).await;
    assert_eq!(r.status, StatusCode::ACCEPTED);
    assert_eq!(r.header("retry-after").as_deref(), Some("15"));
    let location = r.header("location").unwrap();
    assert!(location.starts_with(&format!(
        "{}/subscriptions/{}/operationresults/",
        env.emu.url(),
        env.sub()
    )));
    assert!(location.ends_with("?api-version=2021-04-01"));

    let r = env.get(&location).await;
    assert_eq!(r.status, StatusCode::ACCEPTED);
    let r = env.get(&group_url(&env, "doomed")).await;
    assert_eq!(r.body["properties"]["provisioningState"], "Deleting");
    let r = env.storage("doomed", "dmsa2").await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(r.code(), "ResourceGroupBeingDeleted");
    let r = env
        .put(
            &group_url(&env, "doomed"),
            json!({"location": "westeurope"}),
        )
        .await;
    assert_eq!(r.code(), "ResourceGroupBeingDeleted");

    env.emu.advance_clock(Duration::from_secs(120));
    let r = env.get(&location).await;
    assert_eq!(r.status, StatusCode::OK);
    let r = env.get(&group_url(&env, "doomed")).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    // What the group held is gone: the storage name is free again, the vault is soft-deleted,
    // the workspace is not listed.
    env.group("other").await;
    // Accepted: a new account's creation under `realistic` is a long-running operation.
    assert_eq!(
        env.storage("other", "dmsa").await.status,
        StatusCode::ACCEPTED
    );
    let r = env
        .get(&env.url("/providers/Microsoft.KeyVault/locations/westeurope/deletedVaults/dm-kv?api-version=2025-05-01"))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["type"], "Microsoft.KeyVault/deletedVaults");
    let r = env
        .get(
            &env.url(
                "/providers/Microsoft.MachineLearningServices/workspaces?api-version=2025-12-01",
            ),
        )
        .await;
    assert_eq!(r.body["value"], json!([]));
}

#[tokio::test]
async fn delete_with_fast_latency_polls_to_done() {
    let env = start(Latency::Fast).await;
    env.group("quick").await;
    let r = env.delete(&group_url(&env, "quick")).await;
    assert_eq!(r.status, StatusCode::ACCEPTED);
    assert_eq!(r.header("retry-after").as_deref(), Some("1"));
    assert_eq!(r.header("retry-after-ms").as_deref(), Some("10"));
    let location = r.header("location").unwrap();
    let done = env.wait_location(&location).await;
    assert_eq!(done.status, StatusCode::OK);
    assert_eq!(
        env.get(&group_url(&env, "quick")).await.status,
        StatusCode::NOT_FOUND
    );
    let r = env.delete(&group_url(&env, "quick")).await;
    assert_eq!(r.code(), "ResourceGroupNotFound");
}

#[tokio::test]
async fn names_are_unique_without_case() {
    let env = start(Latency::Instant).await;
    env.group("Alpha").await;
    env.group("ALPHA").await;
    let r = env
        .get(&env.url("/resourcegroups?api-version=2021-04-01"))
        .await;
    let names: HashSet<String> = r.body["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(names, HashSet::from(["Alpha".to_string()]));
}
