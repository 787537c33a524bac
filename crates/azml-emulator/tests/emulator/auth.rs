//! The emulator's sign-in endpoints and ARM's authentication and request checks.

use std::time::Duration;

use crate::support::emulator::{client, start, token_for, ARM};
use azml_emulator::{Emulator, EmulatorConfig, Latency};
use base64::Engine;
use reqwest::StatusCode;
use serde_json::Value;

fn claims(token: &str) -> Value {
    let parts: Vec<&str> = token.split('.').collect();
    assert_eq!(parts.len(), 3, "a JWT has three parts");
    let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(parts[1])
        .unwrap();
    serde_json::from_slice(&payload).unwrap()
}

async fn token_reply(emu: &Emulator, form: &[(&str, &str)]) -> (StatusCode, Value) {
    let r = client()
        .post(format!(
            "{}/{}/oauth2/v2.0/token",
            emu.url(),
            emu.tenant_id()
        ))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(crate::support::emulator::form(form))
        .send()
        .await
        .unwrap();
    (r.status(), r.json().await.unwrap())
}

#[tokio::test]
async fn client_credentials_issue_a_jwt_shaped_token() {
    let emu = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let (status, body) = token_reply(
        &emu,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", emu.client_id()),
            ("client_secret", emu.client_secret()),
            ("scope", ARM),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 3599);
    let c = claims(body["access_token"].as_str().unwrap());
    assert_eq!(c["aud"], "https://management.azure.com");
    assert_eq!(c["tid"], emu.tenant_id());
    assert_eq!(c["appid"], emu.client_id());
    assert!(c["oid"].as_str().is_some_and(|o| o.len() == 36));
    assert_eq!(
        c["exp"].as_i64().unwrap() - c["iat"].as_i64().unwrap(),
        3599
    );
    emu.stop(Duration::from_secs(1)).await;
}

#[tokio::test]
async fn token_endpoint_rejects_bad_credentials_like_entra_id() {
    let emu = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let (status, body) = token_reply(
        &emu,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", emu.client_id()),
            ("client_secret", "wrong"),
            ("scope", ARM),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"], "invalid_client");
    assert!(body["error_description"]
        .as_str()
        .unwrap()
        .starts_with("AADSTS7000215: Invalid client secret provided"));
    assert_eq!(body["error_codes"][0], 7000215);
    // The secret is never echoed.
    assert!(!body.to_string().contains(emu.client_secret()));

    let (status, body) = token_reply(
        &emu,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", "11111111-2222-3333-4444-555555555555"),
            ("client_secret", "x"),
            ("scope", ARM),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "unauthorized_client");
    assert!(body["error_description"]
        .as_str()
        .unwrap()
        .starts_with("AADSTS700016:"));

    let (status, body) = token_reply(
        &emu,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", emu.client_id()),
            ("client_secret", emu.client_secret()),
            ("scope", "https://management.azure.com/user_impersonation"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "invalid_scope");

    let (status, body) = token_reply(&emu, &[("client_id", emu.client_id())]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "invalid_request");

    let r = client()
        .post(format!("{}/not-a-tenant/oauth2/v2.0/token", emu.url()))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(crate::support::emulator::form(&[(
            "grant_type",
            "client_credentials",
        )]))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let body: Value = r.json().await.unwrap();
    assert!(body["error_description"]
        .as_str()
        .unwrap()
        .starts_with("AADSTS90002:"));
}

#[tokio::test]
async fn discovery_documents_point_at_the_emulator() {
    let emu = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let http = client();
    for path in [
        "v2.0/.well-known/openid-configuration",
        ".well-known/openid-configuration",
    ] {
        let r = http
            .get(format!("{}/{}/{path}", emu.url(), emu.tenant_id()))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        let body: Value = r.json().await.unwrap();
        assert!(body["token_endpoint"]
            .as_str()
            .unwrap()
            .starts_with(&format!("{}/{}/oauth2/", emu.url(), emu.tenant_id())));
    }
    let r = http
        .get(format!(
            "{}/metadata/endpoints?api-version=2019-05-01",
            emu.url()
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let body: Value = r.json().await.unwrap();
    let cloud = &body[0];
    assert_eq!(cloud["resourceManager"], format!("{}/", emu.url()));
    assert_eq!(cloud["authentication"]["loginEndpoint"], emu.url());
    assert!(cloud["authentication"]["audiences"].is_array());
    assert_eq!(cloud["suffixes"]["keyVaultDns"], "vault.azure.net");
}

#[tokio::test]
async fn arm_requires_a_valid_bearer_token() {
    let env = start(Latency::Instant).await;
    let url = env.url("/resourcegroups?api-version=2025-04-01");

    let r = env.http.get(&url).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let challenge = r.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .to_string();
    assert_eq!(
        challenge,
        format!(
            "Bearer authorization_uri=\"{}/{}\", error=\"invalid_token\", error_description=\"The authentication failed because of missing 'Authorization' header.\"",
            env.emu.url(),
            env.emu.tenant_id()
        )
    );
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "AuthenticationFailed");
    assert_eq!(
        body["error"]["message"],
        "Authentication failed. The 'Authorization' header is missing."
    );

    for garbage in ["garbage", "a.b.c", &format!("{}x", env.token)] {
        let r = env
            .http
            .get(&url)
            .bearer_auth(garbage)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
        assert!(r.headers().contains_key("www-authenticate"));
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["error"]["code"], "InvalidAuthenticationToken");
    }

    // A token another emulator signed is not valid here.
    let other = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let foreign = token_for(&env.http, &other, ARM).await;
    let r = env
        .http
        .get(&url)
        .bearer_auth(&foreign)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);

    // A Graph token is for the wrong audience.
    let graph = token_for(&env.http, &env.emu, "https://graph.microsoft.com/.default").await;
    let r = env.http.get(&url).bearer_auth(&graph).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "InvalidAuthenticationTokenAudience");

    // The emulator's own URL is an ARM audience too.
    let own = token_for(&env.http, &env.emu, &format!("{}/.default", env.emu.url())).await;
    let r = env.http.get(&url).bearer_auth(&own).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);

    let r = env.get(&url).await;
    assert_eq!(r.status, StatusCode::OK);
    env.emu.advance_clock(Duration::from_secs(2 * 3600));
    let r = env.get(&url).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.code(), "ExpiredAuthenticationToken");
    assert!(r
        .message()
        .starts_with("The access token expiry UTC time '"));
}

#[tokio::test]
async fn api_version_is_required_and_checked_per_resource_type() {
    let env = start(Latency::Instant).await;
    let r = env.get(&env.url("/resourcegroups")).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.code(), "MissingApiVersionParameter");

    let r = env
        .get(&env.url("/resourcegroups?api-version=2099-01-01"))
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.code(), "InvalidApiVersionParameter");
    assert!(r
        .message()
        .starts_with("The api-version '2099-01-01' is invalid. The supported versions are '"));
    assert!(r.message().contains("2021-04-01"));

    // Old and new versions of the workspace API are both accepted; a storage version is not.
    for v in ["2021-01-01", "2024-10-01-preview", "2025-12-01"] {
        let r = env
            .get(&env.url(&format!(
                "/providers/Microsoft.MachineLearningServices/workspaces?api-version={v}"
            )))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{v}: {}", r.body);
    }
    let r = env
        .get(
            &env.url(
                "/providers/Microsoft.MachineLearningServices/workspaces?api-version=2026-09-01",
            ),
        )
        .await;
    assert_eq!(r.code(), "InvalidApiVersionParameter");
}

#[tokio::test]
async fn standard_headers_and_unknown_routes() {
    let env = start(Latency::Instant).await;
    let r = env
        .http
        .get(env.url("/resourcegroups?api-version=2025-04-01"))
        .bearer_auth(&env.token)
        .header("x-ms-correlation-request-id", "corr-123")
        .header("x-ms-client-request-id", "client-456")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let h = r.headers();
    assert_eq!(h["x-ms-correlation-request-id"], "corr-123");
    assert_eq!(h["x-ms-client-request-id"], "client-456");
    assert!(h.contains_key("x-ms-request-id"));
    assert!(h.contains_key("x-ms-routing-request-id"));
    assert!(h.contains_key("x-ms-ratelimit-remaining-subscription-reads"));
    assert_eq!(h["content-type"], "application/json; charset=utf-8");

    let r = env
        .get(
            &env.url("/resourceGroups/rg/providers/Microsoft.Nope/things/x?api-version=2025-04-01"),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.code(), "InvalidResourceType");

    let r = env
        .get(&format!(
            "{}/subscriptions/99999999-9999-9999-9999-999999999999/resourcegroups?api-version=2025-04-01",
            env.emu.url()
        ))
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.code(), "SubscriptionNotFound");

    let r = env
        .get(&format!(
            "{}/subscriptions?api-version=2022-12-01",
            env.emu.url()
        ))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["value"][0]["subscriptionId"], env.sub());
}

#[tokio::test]
async fn serves_https_with_its_own_ca() {
    let emu = Emulator::start(EmulatorConfig {
        tls: true,
        ..EmulatorConfig::default()
    })
    .await
    .unwrap();
    assert!(emu.url().starts_with("https://127.0.0.1:"));
    let ca = emu.ca_file().expect("a CA file under TLS");
    let env: Vec<(String, String)> = emu.env();
    for name in ["AZML_CA_FILE", "SSL_CERT_FILE", "REQUESTS_CA_BUNDLE"] {
        assert!(env
            .iter()
            .any(|(n, v)| n == name && *v == ca.display().to_string()));
    }
    let pem = std::fs::read(&ca).unwrap();
    crate::support::emulator::install_tls_provider();
    let http = reqwest::Client::builder()
        .no_proxy()
        .tls_certs_only([reqwest::Certificate::from_pem(&pem).unwrap()])
        .build()
        .unwrap();
    let token = token_for(&http, &emu, ARM).await;
    let r = http
        .get(format!(
            "{}/subscriptions/{}/resourcegroups?api-version=2025-04-01",
            emu.url(),
            emu.subscription_id()
        ))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    // Without the CA the certificate is not trusted.
    assert!(client().get(emu.url()).send().await.is_err());
    emu.stop(Duration::from_secs(1)).await;
    assert!(
        !ca.exists(),
        "the CA file is removed when the emulator stops"
    );
}

#[tokio::test]
async fn env_lists_the_variables_clients_need() {
    let emu = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let names: Vec<String> = emu.env().into_iter().map(|(n, _)| n).collect();
    assert_eq!(
        names,
        [
            "AZURE_SUBSCRIPTION_ID",
            "AZURE_TENANT_ID",
            "AZURE_CLIENT_ID",
            "AZURE_CLIENT_SECRET",
            "AZURE_AUTHORITY_HOST",
            "AZML_ENDPOINT"
        ]
    );
    assert!(emu.ca_file().is_none());
    // The secret stays out of Debug output.
    let shown = format!("{:?}", EmulatorConfig::default());
    assert!(!shown.contains(&EmulatorConfig::default().client_secret));
}
