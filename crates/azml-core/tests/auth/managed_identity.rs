//! Managed identity through App Service style endpoints on a loopback mock. IMDS is never
//! reached from here.

use crate::support::auth::{env_of, form_of};
use crate::support::mock_arm::*;
use azml_core::auth::{map_credential_error, Cached, ManagedIdentityCredential};
use azml_core::ErrorKind;
use azure_core::credentials::TokenCredential;
use serde_json::json;

const SCOPE: &str = "https://management.azure.com/.default";
const HEADER: &str = "Identity-Header-Secret-123";
const MSI_SECRET: &str = "Msi-Secret-456";

fn query(r: &Req) -> std::collections::HashMap<String, String> {
    form_of(r.query.as_bytes())
}

#[tokio::test]
async fn app_service_endpoint_gets_a_token_with_the_identity_header() {
    let server = mock(|r| {
        let q = query(r);
        if r.method != "GET"
            || r.path != "/msi/token"
            || r.header("x-identity-header") != Some(HEADER)
            || q.get("api-version").map(String::as_str) != Some("2019-08-01")
            || q.get("resource").map(String::as_str) != Some("https://management.azure.com/")
        {
            return reply(400, &[], Some(json!({"statusCode": 400, "message": "bad request"})));
        }
        let exp = time::OffsetDateTime::now_utc().unix_timestamp() + 3600;
        reply(
            200,
            &[],
            Some(json!({"access_token": "mi-token", "expires_on": exp.to_string(), "resource": q["resource"], "token_type": "Bearer", "client_id": "c"})),
        )
    })
    .await;
    let endpoint = format!("{}/msi/token", server.base);
    let vars = [
        ("IDENTITY_ENDPOINT", endpoint.as_str()),
        ("IDENTITY_HEADER", HEADER),
    ];
    let cred = ManagedIdentityCredential::from_env_with(&env_of(&vars))
        .unwrap()
        .expect("announced");
    let debug = format!("{cred:?}");
    assert!(!debug.contains(HEADER), "{debug}");
    let cached = Cached::new(cred);
    let t = cached.get_token(&[SCOPE], None).await.unwrap();
    assert_eq!(t.token.secret(), "mi-token");
    let left = t.expires_on - time::OffsetDateTime::now_utc();
    assert!(left > time::Duration::minutes(55), "{left}");
    cached.get_token(&[SCOPE], None).await.unwrap();
    assert_eq!(server.count(), 1);
    assert!(!query(&server.requests()[0]).contains_key("client_id"));
}

#[tokio::test]
async fn user_assigned_identity_is_selected_by_client_id() {
    let server = mock(|r| {
        let q = query(r);
        reply(
            200,
            &[],
            Some(json!({"access_token": format!("for-{}", q.get("client_id").cloned().unwrap_or_default()), "expires_on": 4_000_000_000u64})),
        )
    })
    .await;
    let cred = ManagedIdentityCredential::app_service(
        &format!("{}/msi/token", server.base),
        HEADER,
        Some("user-assigned-id"),
    )
    .unwrap();
    let t = cred.get_token(&[SCOPE], None).await.unwrap();
    assert_eq!(t.token.secret(), "for-user-assigned-id");
}

#[tokio::test]
async fn legacy_msi_endpoint_with_secret_and_cloud_shell_style() {
    let server = mock(|r| {
        let q = query(r);
        let ok = |tok: &str| {
            reply(
                200,
                &[],
                Some(json!({"access_token": tok, "expires_in": 3600})),
            )
        };
        match (r.method.as_str(), r.header("secret"), r.header("metadata")) {
            ("GET", Some(MSI_SECRET), _)
                if q.get("api-version").map(String::as_str) == Some("2017-09-01") =>
            {
                ok("msi-2017")
            }
            ("POST", None, Some("true"))
                if form_of(&r.body).get("resource").map(String::as_str)
                    == Some("https://management.azure.com/") =>
            {
                ok("cloud-shell")
            }
            _ => reply(400, &[], None),
        }
    })
    .await;
    let endpoint = format!("{}/oauth2/token", server.base);
    let with_secret = ManagedIdentityCredential::from_env_with(&env_of(&[
        ("MSI_ENDPOINT", endpoint.as_str()),
        ("MSI_SECRET", MSI_SECRET),
    ]))
    .unwrap()
    .unwrap();
    assert!(!format!("{with_secret:?}").contains(MSI_SECRET));
    assert_eq!(
        with_secret
            .get_token(&[SCOPE], None)
            .await
            .unwrap()
            .token
            .secret(),
        "msi-2017"
    );
    let cloud_shell =
        ManagedIdentityCredential::from_env_with(&env_of(&[("MSI_ENDPOINT", endpoint.as_str())]))
            .unwrap()
            .unwrap();
    assert_eq!(
        cloud_shell
            .get_token(&[SCOPE], None)
            .await
            .unwrap()
            .token
            .secret(),
        "cloud-shell"
    );
}

#[tokio::test]
async fn refusals_are_authentication_errors_without_the_header() {
    let server = mock(|r| {
        reply(
            401,
            &[],
            Some(json!({"error": {"code": "Unauthorized", "message": format!("bad header {}", r.header("x-identity-header").unwrap_or(""))}})),
        )
    })
    .await;
    let cred =
        ManagedIdentityCredential::app_service(&format!("{}/msi/token", server.base), HEADER, None)
            .unwrap();
    let err = map_credential_error(cred.get_token(&[SCOPE], None).await.unwrap_err());
    assert_eq!(err.kind, ErrorKind::Authentication);
    assert_eq!(err.status, Some(401));
    assert_eq!(err.code.as_deref(), Some("Unauthorized"));
    assert!(err.message.contains("IDENTITY_ENDPOINT"), "{}", err.message);
    assert!(!err.to_string().contains(HEADER), "{err}");
    // Two scopes cannot be one resource: refused before any request.
    let raw = cred.get_token(&[SCOPE, "x"], None).await.unwrap_err();
    let ours = raw.downcast_ref::<azml_core::Error>().expect("our error");
    assert_eq!(ours.kind, ErrorKind::Validation);
    assert_eq!(server.count(), 1);
}

#[test]
fn endpoints_are_checked_and_absence_is_not_an_error() {
    assert!(ManagedIdentityCredential::from_env_with(&env_of(&[]))
        .unwrap()
        .is_none());
    // IDENTITY_ENDPOINT without its header is not an App Service announcement.
    assert!(ManagedIdentityCredential::from_env_with(&env_of(&[(
        "IDENTITY_ENDPOINT",
        "http://127.0.0.1:1/msi/token"
    )]))
    .unwrap()
    .is_none());
    for bad in [
        "http://identity.example.com/msi/token",
        "ftp://127.0.0.1/x",
        "not a url",
    ] {
        let err = ManagedIdentityCredential::app_service(bad, HEADER, None).unwrap_err();
        assert_eq!(err.kind, ErrorKind::Validation, "{bad}");
        assert!(!err.message.contains(HEADER));
    }
    // Containers put the endpoint on a private address over plain http.
    ManagedIdentityCredential::app_service("http://172.17.0.1:8081/msi/token", HEADER, None)
        .unwrap();
    ManagedIdentityCredential::app_service("https://identity.example.com/msi/token", HEADER, None)
        .unwrap();
}
