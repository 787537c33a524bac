//! Long-running operations and paging against mock servers, including the rule that the
//! client never follows a polling URL or nextLink to another host.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use crate::support::mock_arm::*;
use azml_core::arm::{LroPattern, LroState, LroVerb};
use azml_core::ErrorKind;
use serde_json::json;

const V: &str = "2025-12-01";
const WS: &str =
    "/subscriptions/s/resourceGroups/g/providers/Microsoft.MachineLearningServices/workspaces/w";
const OP: &str = "/subscriptions/s/providers/Microsoft.MachineLearningServices/locations/westeurope/workspaceOperationsStatus/op1";

#[tokio::test]
async fn async_operation_in_progress_then_succeeded_then_get() {
    let polls = Arc::new(AtomicUsize::new(0));
    let p = polls.clone();
    let server = mock(move |r| match (r.method.as_str(), r.path.as_str()) {
        ("PUT", WS) => reply(
            202,
            &[
                (
                    "Azure-AsyncOperation",
                    &format!("{}{OP}?api-version={V}&type=async", r.base),
                ),
                (
                    "Location",
                    &format!("{}{OP}?api-version={V}&type=location", r.base),
                ),
            ],
            None,
        ),
        ("GET", OP) => {
            let n = p.fetch_add(1, Ordering::SeqCst);
            if n < 2 {
                reply(200, &[], Some(json!({"status": "InProgress"})))
            } else {
                reply(
                    200,
                    &[],
                    Some(json!({"status": "Succeeded", "percentComplete": 100.0})),
                )
            }
        }
        ("GET", WS) => reply(
            200,
            &[],
            Some(json!({"name": "w", "properties": {"provisioningState": "Succeeded"}})),
        ),
        _ => reply(500, &[], None),
    })
    .await;
    let arm = client(&server.base);
    let got = arm
        .put(WS, V, &json!({"location": "westeurope"}))
        .await
        .unwrap();
    assert_eq!(got["name"], "w");
    assert_eq!(
        server.trace(),
        [
            format!("PUT {WS}"),
            format!("GET {OP}"),
            format!("GET {OP}"),
            format!("GET {OP}"),
            format!("GET {WS}"),
        ]
    );
    let reqs = server.requests();
    assert!(reqs[1].query.contains("type=async"), "{}", reqs[1].query);
    for r in &reqs {
        assert_eq!(r.header("authorization"), Some(&*format!("Bearer {TOKEN}")));
    }
}

#[tokio::test]
async fn async_operation_failed_is_operation_failed_with_code() {
    for status in ["Failed", "Canceled"] {
        let server = mock(move |r| match r.method.as_str() {
            "PUT" => reply(
                201,
                &[("Azure-AsyncOperation", &format!("{}{OP}", r.base))],
                Some(json!({"properties": {"provisioningState": "Creating"}})),
            ),
            _ => reply(
                200,
                &[("x-ms-request-id", "poll-req")],
                Some(json!({"status": status, "error": {"code": "QuotaExceeded", "message": "no quota left"}})),
            ),
        })
        .await;
        let arm = client(&server.base);
        let err = arm.put(WS, V, &json!({})).await.unwrap_err();
        assert_eq!(err.kind, ErrorKind::OperationFailed, "{status}");
        assert_eq!(err.code.as_deref(), Some("QuotaExceeded"));
        assert_eq!(err.message, "no quota left");
        assert_eq!(err.request_id.as_deref(), Some("poll-req"));
        // No GET of the resource after a failure.
        assert_eq!(server.count(), 2);
    }
}

#[tokio::test]
async fn async_operation_for_delete_does_not_get_the_resource() {
    let server = mock(|r| match r.method.as_str() {
        "DELETE" => reply(
            202,
            &[("Azure-AsyncOperation", &format!("{}{OP}", r.base))],
            None,
        ),
        _ => reply(200, &[], Some(json!({"status": "Succeeded"}))),
    })
    .await;
    let arm = client(&server.base);
    arm.delete(WS, V, false).await.unwrap();
    assert_eq!(
        server.trace(),
        [format!("DELETE {WS}"), format!("GET {OP}")]
    );
}

#[tokio::test]
async fn location_polling_until_not_accepted() {
    let server = mock(|r| match (r.method.as_str(), r.path.as_str()) {
        ("POST", _) => reply(
            202,
            &[(
                "Location",
                &format!("{}/subscriptions/s/operationresults/t1", r.base),
            )],
            None,
        ),
        ("GET", "/subscriptions/s/operationresults/t1") if r.n < 3 => reply(202, &[], None),
        ("GET", "/subscriptions/s/operationresults/t1") => {
            reply(200, &[], Some(json!({"value": {"Results": []}})))
        }
        _ => reply(500, &[], None),
    })
    .await;
    let arm = client(&server.base);
    let got = arm
        .post(&format!("{WS}/diagnose"), V, Some(&json!({"value": {}})))
        .await
        .unwrap();
    assert_eq!(got, Some(json!({"value": {"Results": []}})));
    assert_eq!(server.count(), 4);
}

#[tokio::test]
async fn location_polling_with_relative_url_and_delete() {
    // Resource-group delete as recorded: 202 + Location + Retry-After, 202s, then 200.
    let server = mock(|r| match r.method.as_str() {
        "DELETE" => reply(
            202,
            &[
                ("Location", "/subscriptions/s/operationresults/abc"),
                ("Retry-After", "0"),
            ],
            None,
        ),
        _ if r.n < 3 => reply(202, &[("Retry-After", "0")], None),
        _ => reply(200, &[], None),
    })
    .await;
    let arm = client(&server.base);
    arm.delete("/subscriptions/s/resourcegroups/g", "2025-04-01", false)
        .await
        .unwrap();
    assert_eq!(
        server.trace(),
        [
            "DELETE /subscriptions/s/resourcegroups/g",
            "GET /subscriptions/s/operationresults/abc",
            "GET /subscriptions/s/operationresults/abc",
            "GET /subscriptions/s/operationresults/abc",
        ]
    );
}

#[tokio::test]
async fn put_with_location_and_empty_final_body_gets_the_resource() {
    let server = mock(|r| match (r.method.as_str(), r.path.as_str()) {
        ("PUT", _) => reply(202, &[("Location", &format!("{}/op", r.base))], None),
        ("GET", "/op") => reply(200, &[], None),
        ("GET", WS) => reply(200, &[], Some(json!({"name": "w"}))),
        _ => reply(500, &[], None),
    })
    .await;
    let arm = client(&server.base);
    assert_eq!(
        arm.put(WS, V, &json!({})).await.unwrap(),
        json!({"name": "w"})
    );
    assert_eq!(
        server.trace(),
        [
            format!("PUT {WS}"),
            "GET /op".to_string(),
            format!("GET {WS}")
        ]
    );
}

#[tokio::test]
async fn provisioning_state_is_polled_until_terminal() {
    let server = mock(|r| match r.method.as_str() {
        "PUT" => reply(
            201,
            &[],
            Some(json!({"properties": {"provisioningState": "RegisteringDns"}})),
        ),
        _ if r.n < 3 => reply(
            200,
            &[],
            Some(json!({"properties": {"provisioningState": "Updating"}})),
        ),
        _ => reply(
            200,
            &[],
            Some(json!({"name": "kv", "properties": {"provisioningState": "Succeeded"}})),
        ),
    })
    .await;
    let arm = client(&server.base);
    let path = "/subscriptions/s/resourceGroups/g/providers/Microsoft.KeyVault/vaults/kv";
    let got = arm.put(path, "2025-05-01", &json!({})).await.unwrap();
    assert_eq!(got["name"], "kv");
    assert_eq!(server.count(), 4);
    assert!(server.requests()[1..]
        .iter()
        .all(|r| r.method == "GET" && r.path == path));
}

#[tokio::test]
async fn provisioning_state_failed_is_operation_failed() {
    let server = mock(|r| match r.method.as_str() {
        "PUT" => reply(
            200,
            &[],
            Some(json!({"properties": {"provisioningState": "Creating"}})),
        ),
        _ => reply(
            200,
            &[],
            Some(json!({"properties": {"provisioningState": "Failed"}})),
        ),
    })
    .await;
    let arm = client(&server.base);
    let err = arm.put(WS, V, &json!({})).await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::OperationFailed);
    assert!(err.message.contains("Failed"), "{}", err.message);
}

#[tokio::test]
async fn synchronous_success_needs_no_polling() {
    let server = mock(|_| {
        reply(
            200,
            &[],
            Some(json!({"name": "g", "properties": {"provisioningState": "Succeeded"}})),
        )
    })
    .await;
    let arm = client(&server.base);
    let got = arm
        .put(
            "/subscriptions/s/resourcegroups/g",
            "2025-04-01",
            &json!({}),
        )
        .await
        .unwrap();
    assert_eq!(got["name"], "g");
    assert_eq!(server.count(), 1);
}

#[tokio::test]
async fn retry_after_on_polls_is_honoured() {
    let server = mock(|r| match r.method.as_str() {
        "PUT" => reply(
            202,
            &[
                ("Azure-AsyncOperation", &format!("{}{OP}", r.base)),
                ("Retry-After", "1"),
            ],
            None,
        ),
        _ if r.path == OP => reply(200, &[], Some(json!({"status": "Succeeded"}))),
        _ => reply(200, &[], Some(json!({"name": "w"}))),
    })
    .await;
    let arm = client(&server.base);
    arm.put(WS, V, &json!({})).await.unwrap();
    let reqs = server.requests();
    assert_eq!(reqs.len(), 3);
    assert!(reqs[1].at - reqs[0].at >= Duration::from_secs(1));
}

#[tokio::test]
async fn retry_after_on_polls_has_a_ceiling() {
    let server = mock(|r| match r.method.as_str() {
        "PUT" => reply(
            202,
            &[
                ("Azure-AsyncOperation", &format!("{}{OP}", r.base)),
                ("Retry-After", "86400"),
            ],
            None,
        ),
        _ if r.path == OP => reply(200, &[], Some(json!({"status": "Succeeded"}))),
        _ => reply(200, &[], Some(json!({"name": "w"}))),
    })
    .await;
    let mut cfg = config(&server.base);
    cfg.poll_max_wait = Duration::from_millis(50);
    let arm = client_with(cfg, fast_retry());
    assert_eq!(arm.put(WS, V, &json!({})).await.unwrap()["name"], "w");
}

#[tokio::test]
async fn operation_that_never_ends_times_out() {
    let server = mock(|r| match r.method.as_str() {
        "PUT" => reply(
            202,
            &[("Azure-AsyncOperation", &format!("{}{OP}", r.base))],
            None,
        ),
        _ => reply(200, &[], Some(json!({"status": "InProgress"}))),
    })
    .await;
    let mut cfg = config(&server.base);
    cfg.lro_timeout = Duration::from_millis(300);
    let arm = client_with(cfg, fast_retry());
    let err = arm.put(WS, V, &json!({})).await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::Timeout);
    assert!(server.count() >= 2);
}

#[tokio::test]
async fn polling_url_on_another_host_is_refused_and_never_contacted() {
    for header in ["Azure-AsyncOperation", "Location"] {
        let foreign = mock(|_| reply(200, &[], Some(json!({"status": "Succeeded"})))).await;
        let foreign_url = format!("{}{OP}", foreign.base);
        let foreign_host = foreign.base.trim_start_matches("http://").to_string();
        let server = mock(move |_| reply(202, &[(header, foreign_url.as_str())], None)).await;
        let arm = client(&server.base);
        let err = arm.put(WS, V, &json!({})).await.unwrap_err();
        assert_eq!(err.kind, ErrorKind::Transport, "{header}");
        assert!(err.message.contains(&foreign_host), "{}", err.message);
        assert_eq!(
            foreign.count(),
            0,
            "{header}: the foreign host was contacted"
        );
        assert_eq!(server.count(), 1);

        // delete and post too
        let err = arm.delete(WS, V, false).await.unwrap_err();
        assert_eq!(err.kind, ErrorKind::Transport);
        let err = arm
            .post(&format!("{WS}/diagnose"), V, None)
            .await
            .unwrap_err();
        assert_eq!(err.kind, ErrorKind::Transport);
        assert_eq!(foreign.count(), 0);
    }
}

#[tokio::test]
async fn polling_url_with_other_scheme_or_host_name_is_refused() {
    let server = mock(|r| {
        let port = r.base.rsplit(':').next().unwrap().to_string();
        let url = match r.n {
            0 => format!("https://127.0.0.1:{port}{OP}"),
            _ => format!("http://localhost:{port}{OP}"),
        };
        reply(202, &[("Azure-AsyncOperation", &url)], None)
    })
    .await;
    let arm = client(&server.base);
    for _ in 0..2 {
        assert_eq!(
            arm.put(WS, V, &json!({})).await.unwrap_err().kind,
            ErrorKind::Transport
        );
    }
    assert_eq!(server.count(), 2);
}

#[tokio::test]
async fn list_follows_next_link_over_three_pages() {
    let server = mock(|r| {
        let page = r
            .query
            .split('&')
            .find_map(|kv| kv.strip_prefix("$skipToken="))
            .unwrap_or("0")
            .to_string();
        let (items, next) = match page.as_str() {
            "0" => (json!([{"name": "a"}, {"name": "b"}]), Some("1")),
            "1" => (json!([{"name": "c"}]), Some("2")),
            _ => (json!([{"name": "d"}]), None),
        };
        let mut body = json!({"value": items});
        if let Some(n) = next {
            body["nextLink"] = json!(format!(
                "{}{}?api-version={V}&$skipToken={n}",
                r.base, r.path
            ));
        }
        reply(200, &[], Some(body))
    })
    .await;
    let arm = client(&server.base);
    let items = arm
        .list(
            "/subscriptions/s/providers/Microsoft.MachineLearningServices/workspaces",
            V,
        )
        .await
        .unwrap();
    let names: Vec<_> = items.iter().map(|i| i["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["a", "b", "c", "d"]);
    assert_eq!(server.count(), 3);
    for r in server.requests() {
        assert_eq!(r.header("authorization"), Some(&*format!("Bearer {TOKEN}")));
    }
}

#[tokio::test]
async fn list_without_next_link_and_with_empty_value() {
    let server = mock(|_| reply(200, &[], Some(json!({"value": [], "nextLink": null})))).await;
    let arm = client(&server.base);
    assert!(arm
        .list("/subscriptions/s/resourcegroups", V)
        .await
        .unwrap()
        .is_empty());
    assert_eq!(server.count(), 1);
}

#[tokio::test]
async fn next_link_to_a_foreign_host_is_refused() {
    let foreign = mock(|_| reply(200, &[], Some(json!({"value": [{"name": "evil"}]})))).await;
    let next = format!(
        "{}/subscriptions/s/resourcegroups?api-version={V}&page=2",
        foreign.base
    );
    let server = mock(move |_| {
        reply(
            200,
            &[],
            Some(json!({"value": [{"name": "a"}], "nextLink": next})),
        )
    })
    .await;
    let arm = client(&server.base);
    let err = arm
        .list("/subscriptions/s/resourcegroups", V)
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::Transport);
    assert!(
        err.message
            .contains(foreign.base.trim_start_matches("http://")),
        "{}",
        err.message
    );
    assert_eq!(foreign.count(), 0);
}

#[tokio::test]
async fn repeated_next_link_is_an_error_not_a_loop() {
    let server = mock(|r| {
        reply(
            200,
            &[],
            Some(json!({"value": [], "nextLink": format!("{}/same?api-version={V}", r.base)})),
        )
    })
    .await;
    let arm = client(&server.base);
    let err = arm
        .list("/subscriptions/s/resourcegroups", V)
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::Transport);
    assert!(server.count() <= 3);
}

#[tokio::test]
async fn polls_are_retried_on_transient_errors() {
    let server = mock(|r| match (r.method.as_str(), r.n) {
        ("PUT", _) => reply(
            202,
            &[("Azure-AsyncOperation", &format!("{}{OP}", r.base))],
            None,
        ),
        (_, 1) => reply(503, &[], None),
        (_, 2) => reply(200, &[], Some(json!({"status": "Succeeded"}))),
        _ => reply(200, &[], Some(json!({"name": "w"}))),
    })
    .await;
    let arm = client(&server.base);
    assert_eq!(arm.put(WS, V, &json!({})).await.unwrap()["name"], "w");
    assert_eq!(server.count(), 4);
}

#[tokio::test]
async fn async_operation_answering_202_without_body_is_still_running() {
    let server = mock(|r| match (r.method.as_str(), r.n) {
        ("PUT", _) => reply(
            202,
            &[("Azure-AsyncOperation", &format!("{}{OP}", r.base))],
            None,
        ),
        (_, 1) => reply(202, &[], None),
        (_, 2) => reply(200, &[], Some(json!({"status": "Succeeded"}))),
        _ => reply(200, &[], Some(json!({"name": "w"}))),
    })
    .await;
    let arm = client(&server.base);
    assert_eq!(arm.put(WS, V, &json!({})).await.unwrap()["name"], "w");
    assert_eq!(server.count(), 4);
}

#[tokio::test]
async fn async_operation_without_status_is_an_error() {
    let server = mock(|r| match r.method.as_str() {
        "PUT" => reply(
            202,
            &[("Azure-AsyncOperation", &format!("{}{OP}", r.base))],
            None,
        ),
        _ => reply(200, &[], Some(json!({"percentComplete": 10}))),
    })
    .await;
    let arm = client(&server.base);
    let err = arm.put(WS, V, &json!({})).await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::Transport);
    assert_eq!(server.count(), 2);
}

#[tokio::test]
async fn post_with_async_operation_and_location_reads_the_result_from_location() {
    let server = mock(|r| match (r.method.as_str(), r.path.as_str()) {
        ("POST", _) => reply(
            202,
            &[
                ("Azure-AsyncOperation", &format!("{}{OP}", r.base)),
                ("Location", &format!("{}/result", r.base)),
            ],
            None,
        ),
        ("GET", OP) => reply(200, &[], Some(json!({"status": "Succeeded"}))),
        ("GET", "/result") => reply(200, &[], Some(json!({"keys": 1}))),
        _ => reply(500, &[], None),
    })
    .await;
    let arm = client(&server.base);
    let got = arm.post(&format!("{WS}/listKeys"), V, None).await.unwrap();
    assert_eq!(got, Some(json!({"keys": 1})));
    assert_eq!(
        server.trace(),
        [
            format!("POST {WS}/listKeys"),
            format!("GET {OP}"),
            "GET /result".to_string()
        ]
    );
}

#[tokio::test]
async fn delete_with_deleting_state_polls_until_gone() {
    let server = mock(|r| match (r.method.as_str(), r.n) {
        ("DELETE", _) => reply(
            200,
            &[],
            Some(json!({"properties": {"provisioningState": "Deleting"}})),
        ),
        (_, 1) => reply(
            200,
            &[],
            Some(json!({"properties": {"provisioningState": "Deleting"}})),
        ),
        _ => reply(404, &[], None),
    })
    .await;
    let arm = client(&server.base);
    arm.delete(WS, V, false).await.unwrap();
    assert_eq!(server.count(), 3);
}

#[tokio::test]
async fn post_with_plain_200_returns_body_and_204_returns_none() {
    let server = mock(|r| match r.path.as_str() {
        "/a/listKeys" => reply(200, &[], Some(json!({"userStorageKey": "k"}))),
        _ => reply(204, &[], None),
    })
    .await;
    let arm = client(&server.base);
    assert_eq!(
        arm.post("/a/listKeys", V, None).await.unwrap(),
        Some(json!({"userStorageKey": "k"}))
    );
    assert_eq!(arm.post("/a/resyncKeys", V, None).await.unwrap(), None);
    assert_eq!(server.count(), 2);
}

#[tokio::test]
async fn an_operation_begun_by_one_client_is_finished_by_another_from_its_json() {
    let polls = Arc::new(AtomicUsize::new(0));
    let p = polls.clone();
    let server = mock(move |r| match (r.method.as_str(), r.path.as_str()) {
        ("PUT", WS) => reply(
            202,
            &[(
                "Azure-AsyncOperation",
                &format!("{}{OP}?api-version={V}&type=async", r.base),
            )],
            None,
        ),
        ("GET", OP) if p.fetch_add(1, Ordering::SeqCst) < 1 => {
            reply(200, &[], Some(json!({"status": "InProgress"})))
        }
        ("GET", OP) => reply(200, &[], Some(json!({"status": "Succeeded"}))),
        ("GET", WS) => reply(200, &[], Some(json!({"name": "w"}))),
        _ => reply(500, &[], None),
    })
    .await;
    let state = client(&server.base)
        .begin(LroVerb::Put, WS, V, Some(&json!({})))
        .await
        .unwrap();
    assert_eq!(server.count(), 1, "begin does not poll");
    let json = serde_json::to_string(&state).unwrap();
    assert!(!json.contains(&server.base), "paths only: {json}");
    assert!(!json.contains(TOKEN));
    let resumed: LroState = serde_json::from_str(&json).unwrap();
    let other = client(&server.base);
    assert_eq!(other.wait_for(&resumed).await.unwrap()["name"], "w");
    assert_eq!(
        server.trace(),
        [
            format!("PUT {WS}"),
            format!("GET {OP}"),
            format!("GET {OP}"),
            format!("GET {WS}"),
        ]
    );
}

#[tokio::test]
async fn a_resumed_state_naming_another_host_is_refused_and_the_host_never_contacted() {
    let foreign = mock(|_| reply(200, &[], Some(json!({"status": "Succeeded"})))).await;
    let server = mock(|_| reply(200, &[], Some(json!({"name": "w"})))).await;
    for pattern in [
        json!({"via": "azureAsyncOperation", "url": format!("{}{OP}", foreign.base)}),
        json!({"via": "location", "url": format!("{}{OP}", foreign.base)}),
        json!({"via": "location", "url": format!("//{}{OP}", foreign.base.trim_start_matches("http://"))}),
    ] {
        let mut state = json!({"verb": "PUT", "resource": format!("{WS}?api-version={V}")});
        state
            .as_object_mut()
            .unwrap()
            .extend(pattern.as_object().unwrap().clone());
        let state: LroState = serde_json::from_value(state).unwrap();
        let err = client(&server.base).wait_for(&state).await.unwrap_err();
        assert_eq!(err.kind, ErrorKind::Transport, "{err}");
    }
    assert_eq!(foreign.count(), 0);
    assert_eq!(server.count(), 0);
}

#[tokio::test]
async fn a_delete_of_something_already_gone_begins_finished() {
    let server = mock(|_| reply(404, &[], Some(json!({"error": {"code": "NotFound"}})))).await;
    let arm = client(&server.base);
    let state = arm.begin(LroVerb::Delete, WS, V, None).await.unwrap();
    assert_eq!(state.pattern, LroPattern::Done);
    assert!(arm.wait_for(&state).await.unwrap().is_null());
    assert_eq!(server.count(), 1);
}
