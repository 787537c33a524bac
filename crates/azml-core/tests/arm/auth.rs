//! The client-secret credential and its cache against a mock token endpoint.

use std::sync::Arc;
use std::time::Duration;

use crate::support::mock_arm::*;
use azml_core::arm::ArmClient;
use azml_core::auth::{client_secret, map_credential_error, Cached, ClientSecretCredential};
use azml_core::ErrorKind;
use azure_core::credentials::TokenCredential;
use serde_json::json;

const SECRET: &str = "Sup3r~Secret.Value_42";
const SCOPE: &str = "https://management.azure.com/.default";

fn form(r: &Req) -> std::collections::HashMap<String, String> {
    url::form_urlencoded::parse(&r.body).into_owned().collect()
}

/// A token endpoint that checks the grant and issues `token-{n}` valid for `expires_in` s.
async fn token_server(expires_in: u64, delay: Duration) -> Mock {
    mock(move |r| {
        if delay > Duration::ZERO {
            std::thread::sleep(delay);
        }
        let f = form(r);
        if r.path != "/tenant-1/oauth2/v2.0/token" || r.method != "POST" {
            return reply(404, &[], None);
        }
        if f.get("client_secret").map(String::as_str) != Some(SECRET) {
            return reply(
                401,
                &[],
                Some(json!({
                    "error": "invalid_client",
                    "error_description": "AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID.",
                    "error_codes": [7000215]
                })),
            );
        }
        reply(
            200,
            &[],
            Some(json!({
                "token_type": "Bearer",
                "access_token": format!("token-{}", r.n),
                "expires_in": expires_in,
                "ext_expires_in": expires_in
            })),
        )
    })
    .await
}

#[tokio::test]
async fn client_secret_grant_sends_the_form_and_parses_the_token() {
    let server = token_server(3600, Duration::ZERO).await;
    let cred = client_secret(&server.base, "tenant-1", "app-id", SECRET, None).unwrap();
    let before = time::OffsetDateTime::now_utc();
    let tok = cred.get_token(&[SCOPE], None).await.unwrap();
    assert_eq!(tok.token.secret(), "token-0");
    let left = tok.expires_on - before;
    assert!(left > time::Duration::minutes(59) && left <= time::Duration::minutes(61));

    let reqs = server.requests();
    assert_eq!(reqs.len(), 1);
    assert_eq!(
        reqs[0].header("content-type"),
        Some("application/x-www-form-urlencoded")
    );
    let f = form(&reqs[0]);
    assert_eq!(f["grant_type"], "client_credentials");
    assert_eq!(f["client_id"], "app-id");
    assert_eq!(f["client_secret"], SECRET);
    assert_eq!(f["scope"], SCOPE);

    let debug = format!("{cred:?}");
    assert!(!debug.contains(SECRET), "{debug}");
    assert!(debug.contains("app-id"), "{debug}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_callers_share_one_token_request() {
    let server = token_server(3600, Duration::from_millis(100)).await;
    let cred = client_secret(&server.base, "tenant-1", "app-id", SECRET, None).unwrap();
    let tasks: Vec<_> = (0..32)
        .map(|_| {
            let c = cred.clone();
            tokio::spawn(async move { c.get_token(&[SCOPE], None).await.unwrap() })
        })
        .collect();
    for t in tasks {
        assert_eq!(t.await.unwrap().token.secret(), "token-0");
    }
    assert_eq!(server.count(), 1);
    // Another scope is another cache entry.
    cred.get_token(&["https://graph.microsoft.com/.default"], None)
        .await
        .unwrap();
    assert_eq!(server.count(), 2);
}

#[tokio::test]
async fn short_lived_token_is_refreshed_once_it_nears_expiry() {
    // expires_in=4 is well inside the 5-minute window: the cache refreshes it after half its
    // life rather than on every call. The cache's clock is moved on by hand: no real wait.
    let server = token_server(4, Duration::ZERO).await;
    let raw =
        ClientSecretCredential::new(&server.base, "tenant-1", "app-id", SECRET, None).unwrap();
    let skew = Arc::new(std::sync::atomic::AtomicI64::new(0));
    let seen = skew.clone();
    let clock: azml_core::auth::cache::Clock = Arc::new(move || {
        time::OffsetDateTime::now_utc()
            + time::Duration::milliseconds(seen.load(std::sync::atomic::Ordering::SeqCst))
    });
    let cred = Cached::with_clock(raw, clock);
    assert_eq!(
        cred.get_token(&[SCOPE], None).await.unwrap().token.secret(),
        "token-0"
    );
    skew.store(1_500, std::sync::atomic::Ordering::SeqCst);
    assert_eq!(
        cred.get_token(&[SCOPE], None).await.unwrap().token.secret(),
        "token-0",
        "before half its life the token is served from the cache"
    );
    assert_eq!(server.count(), 1);
    skew.store(2_100, std::sync::atomic::Ordering::SeqCst);
    assert_eq!(
        cred.get_token(&[SCOPE], None).await.unwrap().token.secret(),
        "token-1"
    );
    assert_eq!(server.count(), 2);
}

#[tokio::test]
async fn wrong_secret_is_authentication_error_without_the_secret() {
    let server = token_server(3600, Duration::ZERO).await;
    let wrong = "Wr0ng~Secret.Value_99";
    let cred = client_secret(&server.base, "tenant-1", "app-id", wrong, None).unwrap();
    let err = map_credential_error(cred.get_token(&[SCOPE], None).await.unwrap_err());
    assert_eq!(err.kind, ErrorKind::Authentication);
    assert_eq!(err.status, Some(401));
    assert_eq!(err.code.as_deref(), Some("invalid_client"));
    assert!(err.message.contains("AADSTS7000215"), "{}", err.message);
    for text in [err.to_string(), format!("{err:?}")] {
        assert!(!text.contains(wrong), "{text}");
    }
}

#[tokio::test]
async fn an_authority_echoing_the_secret_is_scrubbed() {
    let server = mock(|r| {
        let f = form(r);
        reply(
            400,
            &[],
            Some(json!({"error": "invalid_request", "error_description": format!("bad secret {}", f["client_secret"])})),
        )
    })
    .await;
    let cred = client_secret(&server.base, "t", "app", SECRET, None).unwrap();
    let err = map_credential_error(cred.get_token(&[SCOPE], None).await.unwrap_err());
    assert!(!err.to_string().contains(SECRET), "{err}");
    assert!(err.message.contains("<redacted>"), "{err}");
}

#[tokio::test]
async fn unreachable_authority_is_authentication_error() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let cred = client_secret(
        &format!("http://127.0.0.1:{port}"),
        "t",
        "app",
        SECRET,
        None,
    )
    .unwrap();
    let err = map_credential_error(cred.get_token(&[SCOPE], None).await.unwrap_err());
    assert_eq!(err.kind, ErrorKind::Authentication);
    assert!(!err.to_string().contains(SECRET));
}

#[tokio::test]
async fn arm_client_with_client_secret_fetches_one_token_for_many_requests() {
    let tokens = token_server(3600, Duration::ZERO).await;
    let arm_server = mock(|r| {
        if r.header("authorization") == Some("Bearer token-0") {
            reply(200, &[], Some(json!({"ok": true})))
        } else {
            reply(
                401,
                &[],
                Some(json!({"error": {"code": "InvalidAuthenticationToken", "message": "The access token is invalid."}})),
            )
        }
    })
    .await;
    let cred = client_secret(&tokens.base, "tenant-1", "app-id", SECRET, None).unwrap();
    let arm = ArmClient::new(config(&arm_server.base), cred).unwrap();
    for _ in 0..5 {
        assert_eq!(
            arm.get("/subscriptions/s", "2022-12-01").await.unwrap()["ok"],
            true
        );
    }
    assert_eq!(tokens.count(), 1);
    assert_eq!(arm_server.count(), 5);
    let f = form(&tokens.requests()[0]);
    assert_eq!(f["scope"], SCOPE);
}

#[tokio::test]
async fn arm_request_with_wrong_secret_fails_before_reaching_arm() {
    let tokens = token_server(3600, Duration::ZERO).await;
    let arm_server = mock(|_| reply(200, &[], None)).await;
    let cred = client_secret(&tokens.base, "tenant-1", "app-id", "nope-nope", None).unwrap();
    let arm = ArmClient::new(config(&arm_server.base), Arc::clone(&cred)).unwrap();
    let err = arm.get("/subscriptions/s", "2022-12-01").await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::Authentication);
    assert!(err.message.contains("AADSTS7000215"));
    assert!(!err.to_string().contains("nope-nope"));
    assert_eq!(arm_server.count(), 0);
}
