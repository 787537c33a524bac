//! The ARM pipeline against mock servers: headers, error mapping, retries, HEAD/DELETE
//! semantics, and the checks made before anything is sent.

use std::sync::Arc;
use std::time::Duration;

use crate::support::mock_arm::*;
use azml_core::arm::{ArmClient, RetryPolicy};
use azml_core::ErrorKind;
use serde_json::json;

const V: &str = "2025-04-01";

#[tokio::test]
async fn every_request_carries_token_request_id_user_agent_and_api_version() {
    let server = mock(|r| match r.method.as_str() {
        "PUT" => reply(200, &[], Some(r.json())),
        _ => reply(200, &[], Some(json!({"name": "g"}))),
    })
    .await;
    let mut cfg = config(&server.base);
    cfg.user_agent_suffix = Some("tests/1.0".into());
    let arm = client_with(cfg, fast_retry());

    let got = arm
        .get("/subscriptions/s/resourceGroups/g", V)
        .await
        .unwrap();
    assert_eq!(got, json!({"name": "g"}));
    let put = arm
        .put(
            "/subscriptions/s/resourceGroups/g",
            V,
            &json!({"location": "westeurope"}),
        )
        .await
        .unwrap();
    assert_eq!(put, json!({"location": "westeurope"}));

    let reqs = server.requests();
    assert_eq!(reqs.len(), 2);
    for r in &reqs {
        assert_eq!(r.header("authorization"), Some(&*format!("Bearer {TOKEN}")));
        let id = r
            .header("x-ms-client-request-id")
            .expect("client request id");
        uuid::Uuid::parse_str(id).expect("a GUID");
        let ua = r.header("user-agent").unwrap();
        assert!(
            ua.starts_with(&format!("azml/{} (", env!("CARGO_PKG_VERSION"))),
            "{ua}"
        );
        assert!(ua.ends_with(" tests/1.0"), "{ua}");
        assert_eq!(r.header("accept"), Some("application/json"));
        assert_eq!(r.query, format!("api-version={V}"));
        assert_eq!(r.path, "/subscriptions/s/resourceGroups/g");
    }
    assert_ne!(
        reqs[0].header("x-ms-client-request-id"),
        reqs[1].header("x-ms-client-request-id")
    );
    assert_eq!(reqs[1].header("content-type"), Some("application/json"));
    assert_eq!(reqs[1].json(), json!({"location": "westeurope"}));
}

#[tokio::test]
async fn existing_query_gets_api_version_appended() {
    let server = mock(|_| reply(200, &[], Some(json!({"value": []})))).await;
    let arm = client(&server.base);
    arm.get("/subscriptions/s/resourcegroups?$top=5", V)
        .await
        .unwrap();
    assert_eq!(
        server.requests()[0].query,
        format!("$top=5&api-version={V}")
    );
}

#[tokio::test]
async fn error_envelope_maps_to_kind_status_code_and_request_id() {
    let cases = [
        (400, "InvalidApiVersionParameter", ErrorKind::Http),
        (401, "InvalidAuthenticationToken", ErrorKind::Authentication),
        (403, "AuthorizationFailed", ErrorKind::Authorization),
        (404, "ResourceGroupNotFound", ErrorKind::NotFound),
        (409, "StorageAccountAlreadyTaken", ErrorKind::Exists),
        (429, "SubscriptionRequestsThrottled", ErrorKind::Throttled),
        (500, "InternalServerError", ErrorKind::Http),
    ];
    for (status, code, kind) in cases {
        let server = mock(move |_| {
            reply(
                status,
                &[("x-ms-request-id", "req-123")],
                Some(json!({"error": {"code": code, "message": format!("message for {code}")}})),
            )
        })
        .await;
        let arm = client_with(config(&server.base), RetryPolicy::none());
        let err = arm.get("/subscriptions/s", V).await.unwrap_err();
        assert_eq!(err.kind, kind, "{status}");
        assert_eq!(err.status, Some(status));
        assert_eq!(err.code.as_deref(), Some(code));
        assert_eq!(err.message, format!("message for {code}"));
        assert_eq!(err.request_id.as_deref(), Some("req-123"));
        assert!(!err.to_string().contains(TOKEN));
    }
}

#[tokio::test]
async fn error_without_envelope_falls_back_to_status_text() {
    let server = mock(|_| reply(502, &[], None)).await;
    let arm = client_with(config(&server.base), RetryPolicy::none());
    let err = arm.get("/subscriptions/s", V).await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::Http);
    assert_eq!(err.status, Some(502));
    assert_eq!(err.code, None);
    assert!(err.message.contains("Bad Gateway"), "{}", err.message);
}

#[tokio::test]
async fn throttled_request_waits_for_retry_after_then_succeeds() {
    let server = mock(|r| {
        if r.n == 0 {
            reply(
                429,
                &[("Retry-After", "1")],
                Some(json!({"error": {"code": "SubscriptionRequestsThrottled", "message": "slow down"}})),
            )
        } else {
            reply(200, &[], Some(json!({"ok": true})))
        }
    })
    .await;
    let arm = client(&server.base);
    let got = arm.get("/subscriptions/s", V).await.unwrap();
    assert_eq!(got, json!({"ok": true}));
    let reqs = server.requests();
    assert_eq!(reqs.len(), 2);
    let waited = reqs[1].at - reqs[0].at;
    assert!(waited >= Duration::from_secs(1), "retried after {waited:?}");
    // The same logical request: the id is kept across tries for correlation.
    assert_eq!(
        reqs[0].header("x-ms-client-request-id"),
        reqs[1].header("x-ms-client-request-id")
    );
}

#[tokio::test]
async fn retry_after_ms_header_is_honoured() {
    let server = mock(|r| {
        if r.n == 0 {
            reply(
                429,
                &[("x-ms-retry-after-ms", "300"), ("Retry-After", "0")],
                None,
            )
        } else {
            reply(200, &[], None)
        }
    })
    .await;
    let arm = client(&server.base);
    assert_eq!(
        arm.get("/subscriptions/s", V).await.unwrap(),
        serde_json::Value::Null
    );
    let reqs = server.requests();
    assert_eq!(reqs.len(), 2);
    assert!(reqs[1].at - reqs[0].at >= Duration::from_millis(300));
}

#[tokio::test]
async fn throttling_that_outlasts_the_retries_is_a_throttled_error() {
    let server = mock(|_| reply(429, &[("Retry-After", "0")], None)).await;
    let arm = client(&server.base);
    let err = arm.get("/subscriptions/s", V).await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::Throttled);
    assert_eq!(server.count(), 4);
}

#[tokio::test]
async fn service_unavailable_is_retried_for_get() {
    let server = mock(|r| {
        if r.n < 2 {
            reply(503, &[], None)
        } else {
            reply(200, &[], Some(json!({"n": r.n})))
        }
    })
    .await;
    let arm = client(&server.base);
    assert_eq!(
        arm.get("/subscriptions/s", V).await.unwrap(),
        json!({"n": 2})
    );
    assert_eq!(server.count(), 3);
}

#[tokio::test]
async fn retries_are_bounded() {
    let server = mock(|_| reply(503, &[], None)).await;
    let arm = client(&server.base);
    let err = arm.get("/subscriptions/s", V).await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::Http);
    assert_eq!(err.status, Some(503));
    assert_eq!(server.count(), fast_retry().max_attempts as usize);
}

#[tokio::test]
async fn unsafe_post_is_not_retried_after_5xx() {
    for status in [503, 500] {
        let server = mock(move |_| reply(status, &[("Retry-After", "0")], None)).await;
        let arm = client(&server.base);
        let err = arm
            .post(
                "/subscriptions/s/resourceGroups/g/providers/P/t/n/resyncKeys",
                V,
                None,
            )
            .await
            .unwrap_err();
        assert_eq!(err.status, Some(status));
        assert_eq!(server.count(), 1, "POST answered {status} was sent again");
    }
}

#[tokio::test]
async fn throttled_post_is_retried_since_arm_did_not_act_on_it() {
    let server = mock(|_| reply(429, &[("Retry-After", "0")], None)).await;
    let arm = client(&server.base);
    let err = arm
        .post(
            "/subscriptions/s/resourceGroups/g/providers/P/t/n/resyncKeys",
            V,
            None,
        )
        .await
        .unwrap_err();
    assert_eq!(err.status, Some(429));
    assert_eq!(server.count(), fast_retry().max_attempts as usize);
}

#[tokio::test]
async fn not_found_is_not_retried() {
    let server = mock(|_| reply(404, &[], None)).await;
    let arm = client(&server.base);
    assert_eq!(
        arm.get("/subscriptions/s", V).await.unwrap_err().kind,
        ErrorKind::NotFound
    );
    assert_eq!(server.count(), 1);
}

#[tokio::test]
async fn exists_uses_head() {
    let server = mock(|r| match r.path.as_str() {
        "/subscriptions/s/resourcegroups/yes" => reply(204, &[], None),
        "/subscriptions/s/resourcegroups/no" => reply(404, &[], None),
        _ => reply(403, &[], None),
    })
    .await;
    let arm = client(&server.base);
    assert!(arm
        .exists("/subscriptions/s/resourcegroups/yes", V)
        .await
        .unwrap());
    assert!(!arm
        .exists("/subscriptions/s/resourcegroups/no", V)
        .await
        .unwrap());
    let err = arm
        .exists("/subscriptions/s/resourcegroups/forbidden", V)
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::Authorization);
    assert!(server.requests().iter().all(|r| r.method == "HEAD"));
}

#[tokio::test]
async fn delete_not_found_and_no_content_are_done() {
    let server = mock(|r| match r.path.as_str() {
        "/gone" => reply(404, &[], None),
        _ => reply(204, &[], None),
    })
    .await;
    let arm = client(&server.base);
    arm.delete("/gone", V, false).await.unwrap();
    arm.delete("/there", V, false).await.unwrap();
    assert_eq!(server.count(), 2);
}

#[tokio::test]
async fn delete_no_wait_returns_after_the_first_response() {
    let server = mock(|r| {
        reply(
            202,
            &[("Location", &format!("{}/operationresults/x", r.base))],
            None,
        )
    })
    .await;
    let arm = client(&server.base);
    arm.delete("/subscriptions/s/resourcegroups/g", V, true)
        .await
        .unwrap();
    assert_eq!(server.trace(), ["DELETE /subscriptions/s/resourcegroups/g"]);
}

#[tokio::test]
async fn bad_paths_are_refused_before_any_request() {
    let server = mock(|_| reply(200, &[], None)).await;
    let arm = client(&server.base);
    for path in [
        "subscriptions/s",
        "//evil.example.com/x",
        "/subscriptions/s/../t",
        "/subscriptions/s/%2e%2e/t",
        "/subscriptions//resourceGroups/g",
        "/subscriptions/s/resourceGroups/a b",
        "/subscriptions/s/resourceGroups/a\\..\\b",
        "/subscriptions/s?$filter=x#frag",
    ] {
        let err = arm.get(path, V).await.unwrap_err();
        assert_eq!(err.kind, ErrorKind::Validation, "{path}");
    }
    assert_eq!(
        arm.get("/subscriptions/s", "2025-01-01&x=y")
            .await
            .unwrap_err()
            .kind,
        ErrorKind::Validation
    );
    assert_eq!(server.count(), 0);
}

#[tokio::test]
async fn plain_http_is_only_for_loopback() {
    for bad in [
        "http://management.example.com",
        "ftp://127.0.0.1",
        "not a url",
        "https://host.example.com/with/path",
    ] {
        let err = ArmClient::new(config(bad), credential()).unwrap_err();
        assert_eq!(err.kind, ErrorKind::Validation, "{bad}");
    }
    for good in [
        "http://127.0.0.1:8080",
        "http://localhost:1/",
        "http://[::1]:8080",
        "https://management.azure.com",
    ] {
        let arm = ArmClient::new(config(good), credential()).unwrap();
        assert_eq!(arm.endpoint(), good.trim_end_matches('/'));
    }
}

#[tokio::test]
async fn redirects_are_not_followed() {
    let other = mock(|_| reply(200, &[], None)).await;
    let target = format!("{}/stolen", other.base);
    let server = mock(move |_| reply(307, &[("Location", &target)], None)).await;
    let arm = client(&server.base);
    let err = arm.get("/subscriptions/s", V).await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::Http);
    assert_eq!(err.status, Some(307));
    assert_eq!(other.count(), 0);
}

#[tokio::test]
async fn connection_refused_is_a_transport_error() {
    // Bind then drop, so the port is (very likely) closed.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let arm = client(&format!("http://127.0.0.1:{port}"));
    let err = arm.get("/subscriptions/s", V).await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::Transport);
    assert!(err.message.contains("could not connect"), "{}", err.message);
}

#[tokio::test]
async fn credential_failure_is_authentication_and_sends_nothing() {
    let server = mock(|_| reply(200, &[], None)).await;
    let expired = Arc::new(azml_core::auth::StaticTokenCredential::new(
        "old-token",
        time::OffsetDateTime::now_utc() - time::Duration::minutes(1),
    ));
    let arm = ArmClient::new(config(&server.base), expired).unwrap();
    let err = arm.get("/subscriptions/s", V).await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::Authentication);
    assert!(!err.message.contains("old-token"));
    assert_eq!(server.count(), 0);
}

#[tokio::test]
async fn debug_output_has_no_token() {
    let arm = client("http://127.0.0.1:1");
    let debug = format!("{arm:?}");
    assert!(debug.contains("127.0.0.1"), "{debug}");
    assert!(!debug.contains(TOKEN), "{debug}");
}

/// A raw server whose first connection is dropped without an answer; later ones get a 200.
async fn flaky_server() -> (String, Arc<std::sync::atomic::AtomicUsize>) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let connections = Arc::new(AtomicUsize::new(0));
    let c = connections.clone();
    tokio::spawn(async move {
        loop {
            let (mut sock, _) = listener.accept().await.unwrap();
            if c.fetch_add(1, Ordering::SeqCst) == 0 {
                drop(sock);
                continue;
            }
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 1024];
                while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
                    let n = sock.read(&mut chunk).await.unwrap();
                    if n == 0 {
                        return;
                    }
                    buf.extend_from_slice(&chunk[..n]);
                }
                let body = br#"{"ok":true}"#;
                let head = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                    body.len()
                );
                sock.write_all(head.as_bytes()).await.unwrap();
                sock.write_all(body).await.unwrap();
            });
        }
    });
    (base, connections)
}

#[tokio::test]
async fn dropped_connection_is_retried_for_get_but_not_for_post() {
    use std::sync::atomic::Ordering;
    let (base, connections) = flaky_server().await;
    let arm = client(&base);
    assert_eq!(
        arm.get("/subscriptions/s", V).await.unwrap(),
        json!({"ok": true})
    );
    assert_eq!(connections.load(Ordering::SeqCst), 2);

    let (base, connections) = flaky_server().await;
    let arm = client(&base);
    let err = arm
        .post("/subscriptions/s/x/y/action", V, None)
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::Transport);
    assert_eq!(connections.load(Ordering::SeqCst), 1);
}
