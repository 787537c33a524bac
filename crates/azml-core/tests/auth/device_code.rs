//! Device code sign-in against a scripted authority: pending then success, slow_down,
//! declined, expiry, and the refresh token used afterwards. The authority's `interval` is in
//! test "seconds" of 5 ms each (`with_time_unit`).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::support::auth::form_of;
use crate::support::mock_arm::*;
use azml_core::auth::{device_code, map_credential_error, DeviceCodeCredential, DeviceCodePrompt};
use azml_core::ErrorKind;
use azure_core::credentials::TokenCredential;
use serde_json::json;

const SCOPE: &str = "https://management.azure.com/.default";
const DEVICE_CODE: &str = "Device-Code-Secret-XYZ";
const REFRESH: &str = "Refresh-Token-Secret-1";

/// The authority answers the polls in turn with `script` (an OAuth error code, or "ok" for a
/// token), then keeps answering with the last entry.
async fn authority(script: &'static [&'static str], expires_in: u64) -> Mock {
    let polls = Arc::new(Mutex::new(0usize));
    mock(move |r| {
        let f = form_of(&r.body);
        if r.path == "/tenant-1/oauth2/v2.0/devicecode" {
            return reply(
                200,
                &[],
                Some(json!({
                    "device_code": DEVICE_CODE,
                    "user_code": "ABCD-EFGH",
                    "verification_uri": "https://microsoft.com/devicelogin",
                    "expires_in": expires_in,
                    "interval": 1,
                    "message": "To sign in, use a web browser to open the page https://microsoft.com/devicelogin and enter the code ABCD-EFGH to authenticate."
                })),
            );
        }
        if r.path != "/tenant-1/oauth2/v2.0/token" {
            return reply(404, &[], None);
        }
        match f.get("grant_type").map(String::as_str) {
            Some("urn:ietf:params:oauth:grant-type:device_code") => {
                if f.get("device_code").map(String::as_str) != Some(DEVICE_CODE) {
                    return reply(400, &[], Some(json!({"error": "invalid_grant"})));
                }
                let mut n = polls.lock().unwrap();
                let step = script[(*n).min(script.len() - 1)];
                *n += 1;
                if step == "ok" {
                    reply(
                        200,
                        &[],
                        Some(json!({"access_token": "dc-token", "refresh_token": REFRESH, "expires_in": 3600, "token_type": "Bearer"})),
                    )
                } else {
                    reply(
                        400,
                        &[],
                        Some(json!({"error": step, "error_description": format!("AADSTS: {step} for {DEVICE_CODE}")})),
                    )
                }
            }
            Some("refresh_token") => {
                if f.get("refresh_token").map(String::as_str) == Some(REFRESH) {
                    reply(
                        200,
                        &[],
                        Some(json!({"access_token": "refreshed-token", "refresh_token": "Refresh-Token-Secret-2", "expires_in": 3600})),
                    )
                } else {
                    reply(
                        400,
                        &[],
                        Some(json!({"error": "invalid_grant", "error_description": "AADSTS70008: the refresh token has expired"})),
                    )
                }
            }
            _ => reply(400, &[], Some(json!({"error": "unsupported_grant_type"}))),
        }
    })
    .await
}

fn credential(base: &str, prompts: Arc<Mutex<Vec<DeviceCodePrompt>>>) -> DeviceCodeCredential {
    DeviceCodeCredential::new(base, "tenant-1", "public-client-id", None)
        .unwrap()
        .with_time_unit(Duration::from_millis(5))
        .with_prompt(move |p| prompts.lock().unwrap().push(p.clone()))
}

fn grants(server: &Mock) -> Vec<String> {
    server
        .requests()
        .iter()
        .map(|r| {
            if r.path.ends_with("/devicecode") {
                "devicecode".to_string()
            } else {
                form_of(&r.body)["grant_type"]
                    .trim_start_matches("urn:ietf:params:oauth:grant-type:")
                    .to_string()
            }
        })
        .collect()
}

#[tokio::test]
async fn pending_then_success_shows_the_message_and_keeps_the_refresh_token() {
    let server = authority(
        &["authorization_pending", "authorization_pending", "ok"],
        900,
    )
    .await;
    let prompts = Arc::new(Mutex::new(Vec::new()));
    let cred = credential(&server.base, prompts.clone());
    let t = cred.get_token(&[SCOPE], None).await.unwrap();
    assert_eq!(t.token.secret(), "dc-token");
    assert!(cred.has_refresh_token());
    assert_eq!(
        grants(&server),
        ["devicecode", "device_code", "device_code", "device_code"]
    );
    let first = form_of(&server.requests()[0].body);
    assert_eq!(first["client_id"], "public-client-id");
    assert_eq!(first["scope"], format!("{SCOPE} offline_access"));
    let shown = prompts.lock().unwrap().clone();
    assert_eq!(shown.len(), 1);
    assert!(shown[0].message.contains("ABCD-EFGH"));
    assert_eq!(shown[0].user_code, "ABCD-EFGH");

    let debug = format!("{cred:?}");
    assert!(
        !debug.contains(REFRESH) && debug.contains("<redacted>"),
        "{debug}"
    );

    // The next token comes from the refresh token, without a new sign-in.
    let t = cred.get_token(&[SCOPE], None).await.unwrap();
    assert_eq!(t.token.secret(), "refreshed-token");
    let last = form_of(&server.requests().last().unwrap().body);
    assert_eq!(last["grant_type"], "refresh_token");
    assert_eq!(last["refresh_token"], REFRESH);
    assert_eq!(prompts.lock().unwrap().len(), 1);
}

#[tokio::test]
async fn slow_down_keeps_polling_until_success() {
    let server = authority(&["slow_down", "authorization_pending", "ok"], 900).await;
    let cred = credential(&server.base, Arc::new(Mutex::new(Vec::new())));
    let t = cred.get_token(&[SCOPE], None).await.unwrap();
    assert_eq!(t.token.secret(), "dc-token");
    assert_eq!(grants(&server).len(), 4);
}

#[tokio::test]
async fn declined_and_expired_sign_ins_are_authentication_errors() {
    for (step, expect, code) in [
        ("access_denied", "declined", "access_denied"),
        ("expired_token", "expired", "expired_token"),
    ] {
        let script: &'static [&'static str] = match step {
            "access_denied" => &["authorization_pending", "access_denied"],
            _ => &["expired_token"],
        };
        let server = authority(script, 900).await;
        let cred = credential(&server.base, Arc::new(Mutex::new(Vec::new())));
        let err = map_credential_error(cred.get_token(&[SCOPE], None).await.unwrap_err());
        assert_eq!(err.kind, ErrorKind::Authentication, "{step}");
        assert!(err.message.contains(expect), "{step}: {}", err.message);
        assert_eq!(err.code.as_deref(), Some(code));
        assert!(!err.to_string().contains(DEVICE_CODE));
        assert!(!cred.has_refresh_token());
    }
}

#[tokio::test]
async fn the_device_code_expiring_locally_stops_polling() {
    // expires_in of 3 "seconds" with an interval of 1: a few polls, then give up.
    let server = authority(&["authorization_pending"], 3).await;
    let cred = credential(&server.base, Arc::new(Mutex::new(Vec::new())));
    let err = map_credential_error(cred.get_token(&[SCOPE], None).await.unwrap_err());
    assert!(err.message.contains("expired"), "{}", err.message);
    let polls = grants(&server).len() - 1;
    assert!((1..=3).contains(&polls), "{polls} polls");
}

#[tokio::test]
async fn a_refused_refresh_token_starts_a_new_sign_in() {
    let server = authority(&["ok"], 900).await;
    let prompts = Arc::new(Mutex::new(Vec::new()));
    let cred = credential(&server.base, prompts.clone());
    cred.get_token(&[SCOPE], None).await.unwrap();
    cred.get_token(&[SCOPE], None).await.unwrap();
    // The second refresh token is not one the mock accepts.
    let t = cred.get_token(&[SCOPE], None).await.unwrap();
    assert_eq!(t.token.secret(), "dc-token");
    assert_eq!(
        grants(&server),
        [
            "devicecode",
            "device_code",
            "refresh_token",
            "refresh_token",
            "devicecode",
            "device_code"
        ]
    );
    assert_eq!(prompts.lock().unwrap().len(), 2);
}

#[tokio::test]
async fn cached_device_code_credential_signs_in_once() {
    let server = authority(&["ok"], 900).await;
    let cred = device_code(credential(&server.base, Arc::new(Mutex::new(Vec::new()))));
    for _ in 0..3 {
        cred.get_token(&[SCOPE], None).await.unwrap();
    }
    assert_eq!(grants(&server), ["devicecode", "device_code"]);
}
