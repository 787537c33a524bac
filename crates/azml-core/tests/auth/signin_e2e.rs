//! Each credential kind of azml signs in against the emulator's own sign-in endpoints and
//! then makes an ARM call that succeeds; the emulator's journal names the principal that
//! made it. Client secret, certificate, workload identity (federated token file), managed
//! identity (App Service endpoint, given explicitly: nothing here can reach IMDS), device code
//! (approved through the admin API, or by itself after N polls), refresh tokens, and the
//! interactive browser flow (authorization code + PKCE) with a test opener playing the
//! browser; and the default chain picking each kind its environment configures.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use azml_core::arm::{ArmClient, ArmConfig};
use azml_core::auth::{
    self, map_credential_error, BrowserOpener, Cached, DeviceCodeCredential, DeviceCodePrompt,
    InteractiveBrowserCredential, ManagedIdentityCredential, StaticTokenCredential,
};
use azml_core::ErrorKind;
use azml_emulator::{Emulator, EmulatorConfig};
use azure_core::credentials::TokenCredential;
use base64::Engine as _;
use serde_json::{json, Value};

const ARM_SCOPE: &str = "https://management.azure.com/.default";
const USER: &str = "user@azml-emulator.onmicrosoft.com";
const AZURE_CLI: &str = DeviceCodeCredential::AZURE_CLI_CLIENT_ID;

fn data(name: &str) -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
        .join("tests/data/auth")
        .join(name)
}

fn http() -> reqwest::Client {
    azml_core::install_tls_provider();
    reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

async fn start() -> Emulator {
    Emulator::start(EmulatorConfig::default())
        .await
        .expect("emulator starts")
}

fn claims(token: &str) -> Value {
    let payload = token.split('.').nth(1).expect("JWT-shaped");
    serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .unwrap(),
    )
    .unwrap()
}

/// Lists the resource groups with `cred` and returns the principal the emulator saw.
/// The principal first gets Reader on the subscription: ARM refuses a principal with no
/// role (what these tests check is the sign-in, not the authorization).
async fn arm_call(emu: &Emulator, cred: Arc<dyn TokenCredential>) -> String {
    let token = cred.get_token(&[ARM_SCOPE], None).await.expect("a token");
    let oid = claims(token.token.secret())["oid"]
        .as_str()
        .expect("an oid claim")
        .to_string();
    let scope = format!("/subscriptions/{}", emu.subscription_id());
    if oid != emu.principal_oid() {
        emu.assign_role(&oid, "Reader", &scope).expect("Reader");
    }
    let arm = ArmClient::new(ArmConfig::new(emu.url()), cred).expect("arm client");
    let path = format!("/subscriptions/{}/resourcegroups", emu.subscription_id());
    arm.list(&path, "2025-04-01").await.expect("ARM call");
    emu.journal()
        .iter()
        .rev()
        .find(|e| e.path.starts_with(&path) && e.status == Some(200))
        .and_then(|e| e.principal.clone())
        .expect("the ARM call is journaled with its principal")
}

async fn admin(emu: &Emulator, method: reqwest::Method, path: &str, body: Value) -> Value {
    let r = http()
        .request(method, format!("{}/_emulator/{path}", emu.url()))
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = r.status();
    let v: Value = r.json().await.unwrap_or(Value::Null);
    assert!(status.is_success(), "{path}: {status} {v}");
    v
}

async fn form_post(emu: &Emulator, leaf: &str, form: &[(&str, &str)]) -> (u16, Value) {
    let r = http()
        .post(format!(
            "{}/{}/oauth2/v2.0/{leaf}",
            emu.url(),
            emu.tenant_id()
        ))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(encode(form.iter().map(|(k, v)| (*k, *v))))
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap())
}

fn encode<'a>(pairs: impl Iterator<Item = (&'a str, &'a str)>) -> String {
    let mut s = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        s.append_pair(k, v);
    }
    s.finish()
}

fn aadsts(body: &Value) -> u64 {
    body["error_codes"][0].as_u64().unwrap_or(0)
}

#[tokio::test]
async fn client_secret_signs_in() {
    let emu = start().await;
    let cred = auth::client_secret(
        &emu.url(),
        emu.tenant_id(),
        emu.client_id(),
        emu.client_secret(),
        None,
    )
    .unwrap();
    assert_eq!(arm_call(&emu, cred).await, emu.principal_oid());
}

#[tokio::test]
async fn certificate_signs_in_and_an_unregistered_one_is_refused() {
    let emu = start().await;
    let app = "11111111-2222-4333-8444-555555555555";
    let oid = emu.add_service_principal(app, "unused-secret-value");
    let cert_pem = std::fs::read_to_string(data("client-cert-only.pem")).unwrap();
    let s256 = emu.add_certificate(app, &cert_pem).unwrap();
    assert_eq!(s256.len(), 43);

    for key_file in ["client-pkcs8.pem", "client-pkcs1.pem"] {
        let cred = auth::client_certificate(
            &emu.url(),
            emu.tenant_id(),
            app,
            &data(key_file),
            None,
            None,
        )
        .unwrap();
        assert_eq!(arm_call(&emu, cred).await, oid, "{key_file}");
    }

    // Another application, no certificate registered: AADSTS700027, and the assertion is in
    // no error.
    let other = "66666666-2222-4333-8444-555555555555";
    emu.add_service_principal(other, "unused-secret-value");
    let cred = auth::client_certificate(
        &emu.url(),
        emu.tenant_id(),
        other,
        &data("client-pkcs8.pem"),
        None,
        None,
    )
    .unwrap();
    let err = map_credential_error(cred.get_token(&[ARM_SCOPE], None).await.unwrap_err());
    assert_eq!(err.kind, ErrorKind::Authentication);
    assert_eq!(err.status, Some(401));
    assert_eq!(err.code.as_deref(), Some("invalid_client"));
    assert!(err.message.contains("AADSTS700027"), "{err}");
    assert!(!err.message.contains("eyJ"), "{err}");
}

#[tokio::test]
async fn certificate_assertions_are_checked() {
    let emu = start().await;
    let app = emu.client_id().to_string();
    let cert_pem = std::fs::read_to_string(data("client-cert-only.pem")).unwrap();
    let s256 = emu.add_certificate(&app, &cert_pem).unwrap();
    let b64 = |v: Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string());
    let token_url = format!("{}/{}/oauth2/v2.0/token", emu.url(), emu.tenant_id());
    // A header and claims with a made-up signature: the key is registered, the signature is
    // not its.
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let forged = format!(
        "{}.{}.{}",
        b64(json!({"alg": "RS256", "typ": "JWT", "x5t#S256": s256})),
        b64(json!({"aud": token_url, "iss": app, "sub": app, "exp": now + 600, "nbf": now})),
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode([7u8; 256])
    );
    let form = |assertion: &str| {
        vec![
            ("grant_type", "client_credentials".to_string()),
            ("client_id", app.clone()),
            (
                "client_assertion_type",
                "urn:ietf:params:oauth:client-assertion-type:jwt-bearer".to_string(),
            ),
            ("client_assertion", assertion.to_string()),
            ("scope", ARM_SCOPE.to_string()),
        ]
    };
    let post = |f: Vec<(&'static str, String)>| {
        let url = token_url.clone();
        async move {
            let r = http()
                .post(url)
                .header("content-type", "application/x-www-form-urlencoded")
                .body(encode(f.iter().map(|(k, v)| (*k, v.as_str()))))
                .send()
                .await
                .unwrap();
            (r.status().as_u16(), r.json::<Value>().await.unwrap())
        }
    };
    let (status, body) = post(form(&forged)).await;
    assert_eq!((status, aadsts(&body)), (401, 700027), "{body}");
    assert_eq!(body["error"], "invalid_client");

    // A real assertion from the credential, checked for audience: sent to the v1 endpoint of
    // another tenant path it still names the v2 token URL, which the emulator accepts; but
    // one for another audience is refused.
    let wrong_aud = format!(
        "{}.{}.{}",
        b64(json!({"alg": "RS256", "typ": "JWT", "x5t#S256": s256})),
        b64(
            json!({"aud": "https://elsewhere.example/token", "iss": app, "sub": app, "exp": now + 600})
        ),
        "c2ln"
    );
    let (status, body) = post(form(&wrong_aud)).await;
    assert_eq!((status, aadsts(&body)), (401, 50012), "{body}");
    // iss/sub must be the client.
    let wrong_iss = format!(
        "{}.{}.{}",
        b64(json!({"alg": "RS256", "typ": "JWT", "x5t#S256": s256})),
        b64(
            json!({"aud": token_url, "iss": "someone-else", "sub": "someone-else", "exp": now + 600})
        ),
        "c2ln"
    );
    let (status, body) = post(form(&wrong_iss)).await;
    assert_eq!((status, aadsts(&body)), (401, 700021), "{body}");
    let (status, body) = post(form("not-a-jwt")).await;
    assert_eq!(status, 401, "{body}");

    // A valid assertion signed by the key, then the clock moved past its expiry.
    let cred = auth::client_certificate(
        &emu.url(),
        emu.tenant_id(),
        &app,
        &data("client-pkcs8.pem"),
        None,
        None,
    )
    .unwrap();
    assert!(cred.get_token(&[ARM_SCOPE], None).await.is_ok());
    emu.advance_clock(Duration::from_secs(3600));
    let cred = auth::client_certificate(
        &emu.url(),
        emu.tenant_id(),
        &app,
        &data("client-pkcs8.pem"),
        None,
        None,
    )
    .unwrap();
    let err = map_credential_error(cred.get_token(&[ARM_SCOPE], None).await.unwrap_err());
    assert!(err.message.contains("AADSTS700024"), "{err}");
}

#[tokio::test]
async fn workload_identity_signs_in_with_a_federated_token_file() {
    let emu = start().await;
    let app = "22222222-2222-4333-8444-555555555555";
    let oid = emu.add_service_principal(app, "unused-secret-value");
    let subject = "system:serviceaccount:ml:trainer";
    // Federated credential and token through the admin API.
    admin(
        &emu,
        reqwest::Method::POST,
        &format!("apps/{app}/federatedCredentials"),
        json!({"subject": subject}),
    )
    .await;
    let issued = admin(
        &emu,
        reqwest::Method::POST,
        "workload-issuer/tokens",
        json!({"subject": subject}),
    )
    .await;
    assert_eq!(issued["issuer"], json!(emu.workload_issuer()));
    let dir = std::env::temp_dir().join(format!("azml-signin-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("token");
    std::fs::write(&file, issued["token"].as_str().unwrap()).unwrap();

    let cred = auth::workload_identity(&emu.url(), emu.tenant_id(), app, &file, None).unwrap();
    assert_eq!(arm_call(&emu, cred).await, oid);

    // A token for another subject (the Rust API this time) matches no federated credential.
    std::fs::write(
        &file,
        emu.issue_federated_token("system:serviceaccount:ml:other"),
    )
    .unwrap();
    let cred = auth::workload_identity(&emu.url(), emu.tenant_id(), app, &file, None).unwrap();
    let err = map_credential_error(cred.get_token(&[ARM_SCOPE], None).await.unwrap_err());
    assert!(err.message.contains("AADSTS700213"), "{err}");
    // A tampered token fails the signature check.
    let good = emu.issue_federated_token(subject);
    std::fs::write(&file, format!("{good}x")).unwrap();
    let cred = auth::workload_identity(&emu.url(), emu.tenant_id(), app, &file, None).unwrap();
    let err = map_credential_error(cred.get_token(&[ARM_SCOPE], None).await.unwrap_err());
    assert_eq!(err.status, Some(401), "{err}");
    // An expired one is refused too.
    std::fs::write(&file, &good).unwrap();
    emu.advance_clock(Duration::from_secs(2 * 3600));
    let err = map_credential_error(cred.get_token(&[ARM_SCOPE], None).await.unwrap_err());
    assert!(err.message.contains("AADSTS700024"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn managed_identity_signs_in_through_the_app_service_endpoint() {
    let emu = start().await;
    let (_, system_oid) = emu.system_identity();
    let endpoint = emu.identity_endpoint();
    let header = emu.identity_header();
    let cred = ManagedIdentityCredential::app_service(&endpoint, &header, None).unwrap();
    assert_eq!(
        arm_call(&emu, Arc::new(Cached::new(cred))).await,
        system_oid
    );

    // A user-assigned identity, picked by client id, added through the admin API.
    let added = admin(
        &emu,
        reqwest::Method::POST,
        "managed-identity/identities",
        json!({"name": "trainer"}),
    )
    .await;
    let client_id = added["clientId"].as_str().unwrap();
    let cred = ManagedIdentityCredential::app_service(&endpoint, &header, Some(client_id)).unwrap();
    assert_eq!(
        arm_call(&emu, Arc::new(Cached::new(cred))).await,
        added["principalId"].as_str().unwrap()
    );
    let token = ManagedIdentityCredential::app_service(&endpoint, &header, Some(client_id))
        .unwrap()
        .get_token(&[ARM_SCOPE], None)
        .await
        .unwrap();
    let c = claims(token.token.secret());
    assert_eq!(c["appid"], json!(client_id));
    assert_eq!(c["aud"], "https://management.azure.com/");

    // From the environment (the variables given explicitly, never the process's).
    let env = [
        ("IDENTITY_ENDPOINT", endpoint.clone()),
        ("IDENTITY_HEADER", header.clone()),
    ];
    let cred = ManagedIdentityCredential::from_env_with(&|k| {
        env.iter().find(|(n, _)| *n == k).map(|(_, v)| v.clone())
    })
    .unwrap()
    .expect("announced");
    assert_eq!(
        arm_call(&emu, Arc::new(Cached::new(cred))).await,
        system_oid
    );

    // The older MSI_ENDPOINT protocols: App Service 2017 (with MSI_SECRET) and Cloud Shell
    // (no secret, a form POST).
    for secret in [Some(header.as_str()), None] {
        let cred = ManagedIdentityCredential::msi_endpoint(&endpoint, secret, None).unwrap();
        assert_eq!(
            arm_call(&emu, Arc::new(Cached::new(cred))).await,
            system_oid
        );
    }
    let cred =
        ManagedIdentityCredential::msi_endpoint(&endpoint, Some(&header), Some(client_id)).unwrap();
    assert_eq!(
        arm_call(&emu, Arc::new(Cached::new(cred))).await,
        added["principalId"].as_str().unwrap()
    );
    let cred =
        ManagedIdentityCredential::msi_endpoint(&endpoint, Some("wrong-secret"), None).unwrap();
    let err = map_credential_error(cred.get_token(&[ARM_SCOPE], None).await.unwrap_err());
    assert_eq!(err.status, Some(401), "{err}");

    // A wrong header, an unknown identity.
    let cred = ManagedIdentityCredential::app_service(&endpoint, "wrong-header", None).unwrap();
    let err = map_credential_error(cred.get_token(&[ARM_SCOPE], None).await.unwrap_err());
    assert_eq!(err.status, Some(401), "{err}");
    let cred = ManagedIdentityCredential::app_service(
        &endpoint,
        &header,
        Some("99999999-2222-4333-8444-555555555555"),
    )
    .unwrap();
    let err = map_credential_error(cred.get_token(&[ARM_SCOPE], None).await.unwrap_err());
    assert_eq!(err.status, Some(400), "{err}");
    assert!(err.message.contains("Managed Identity"), "{err}");

    // The identities are principals ARM knows: a role can be assigned to them.
    let secret_cred = auth::client_secret(
        &emu.url(),
        emu.tenant_id(),
        emu.client_id(),
        emu.client_secret(),
        None,
    )
    .unwrap();
    let arm = ArmClient::new(ArmConfig::new(emu.url()), secret_cred).unwrap();
    let sub = emu.subscription_id();
    let assigned = arm
        .put(
            &format!("/subscriptions/{sub}/providers/Microsoft.Authorization/roleAssignments/0b0f3a1e-6a4b-4c55-9d3c-0d6f2c9c1a02"),
            "2022-04-01",
            &json!({"properties": {
                "roleDefinitionId": format!("/subscriptions/{sub}/providers/Microsoft.Authorization/roleDefinitions/b24988ac-6180-42a0-ab88-20f7382dd24c"),
                "principalId": system_oid,
            }}),
        )
        .await
        .expect("role assignment for the managed identity");
    assert_eq!(assigned["properties"]["principalType"], "ServicePrincipal");

    // The identity header never reaches the journal.
    let journal = serde_json::to_string(&emu.journal()).unwrap();
    assert!(journal.contains("/msi/token"));
    assert!(!journal.contains(&header), "{journal}");
}

/// A device code credential whose prompts are sent to `tx`; polls every 5 ms.
fn device_code_cred(
    emu: &Emulator,
    tx: tokio::sync::mpsc::UnboundedSender<DeviceCodePrompt>,
) -> DeviceCodeCredential {
    DeviceCodeCredential::new(&emu.url(), emu.tenant_id(), AZURE_CLI, None)
        .unwrap()
        .with_time_unit(Duration::from_millis(1))
        .with_prompt(move |p| {
            let _ = tx.send(p.clone());
        })
}

#[tokio::test]
async fn device_code_approved_through_the_admin_api() {
    let emu = start().await;
    let user_oid = emu.add_user(USER, "ignored");
    admin(
        &emu,
        reqwest::Method::PATCH,
        "signin",
        json!({"deviceCodeAutoApproveAfterPolls": null}),
    )
    .await;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let cred = Arc::new(device_code_cred(&emu, tx));
    let task = {
        let cred = cred.clone();
        tokio::spawn(async move { cred.get_token(&[ARM_SCOPE], None).await })
    };
    let prompt = rx.recv().await.expect("the prompt");
    // The emulator's codes live 900 s: the prompt says when the code stops working.
    let left = prompt.expires_on - time::OffsetDateTime::now_utc();
    assert!(
        left > time::Duration::seconds(800) && left <= time::Duration::seconds(900),
        "{left}"
    );
    assert!(
        prompt.message.contains(&prompt.user_code),
        "{}",
        prompt.message
    );
    assert_eq!(
        prompt.verification_uri,
        format!("{}/devicelogin", emu.url())
    );
    // Polls are answered authorization_pending until the approval; the admin API lists
    // the user code as pending.
    let settings = admin(&emu, reqwest::Method::GET, "signin", json!(null)).await;
    assert_eq!(settings["pendingUserCodes"], json!([prompt.user_code]));
    // Lower case and with a hyphen is the same code.
    let typed = format!(
        "{}-{}",
        &prompt.user_code[..4].to_lowercase(),
        &prompt.user_code[4..]
    );
    admin(
        &emu,
        reqwest::Method::POST,
        "devicecode/approve",
        json!({"userCode": typed}),
    )
    .await;
    let token = task.await.unwrap().expect("signed in");
    let c = claims(token.token.secret());
    assert_eq!(c["oid"], json!(user_oid));
    assert_eq!(c["upn"], USER);
    assert_eq!(c["tid"], json!(emu.tenant_id()));
    assert_eq!(c["appid"], AZURE_CLI);
    assert_eq!(c["idtyp"], "user");
    assert!(cred.has_refresh_token());

    // The next token comes from the refresh token: no new device code.
    let devicecode_requests = |emu: &Emulator| {
        emu.journal()
            .iter()
            .filter(|e| e.path.ends_with("/devicecode"))
            .count()
    };
    assert_eq!(devicecode_requests(&emu), 1);
    let again = cred
        .get_token(&["https://graph.microsoft.com/.default"], None)
        .await
        .unwrap();
    assert_eq!(
        claims(again.token.secret())["aud"],
        "https://graph.microsoft.com/"
    );
    assert_eq!(devicecode_requests(&emu), 1);

    assert_eq!(
        arm_call(&emu, auth::device_code(Arc::try_unwrap(cred).unwrap())).await,
        user_oid
    );
}

#[tokio::test]
async fn device_code_approves_itself_after_n_polls() {
    let emu = start().await;
    let user_oid = emu.add_user(USER, "ignored");
    emu.set_device_code_auto_approve(Some(3));
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let cred = auth::device_code(device_code_cred(&emu, tx));
    assert_eq!(arm_call(&emu, cred).await, user_oid);
    assert!(rx.recv().await.is_some(), "the prompt was shown");
    let polls: Vec<Option<u16>> = emu
        .journal()
        .iter()
        .filter(|e| e.path.ends_with("/oauth2/v2.0/token"))
        .map(|e| e.status)
        .collect();
    assert_eq!(polls, [Some(400), Some(400), Some(400), Some(200)]);
}

#[tokio::test]
async fn device_code_declined_and_expired() {
    let emu = start().await;
    emu.set_device_code_auto_approve(None);
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let cred = Arc::new(device_code_cred(&emu, tx));
    let task = {
        let cred = cred.clone();
        tokio::spawn(async move { cred.get_token(&[ARM_SCOPE], None).await })
    };
    let prompt = rx.recv().await.unwrap();
    emu.deny_device_code(&prompt.user_code).unwrap();
    let err = map_credential_error(task.await.unwrap().unwrap_err());
    assert!(err.message.contains("declined"), "{err}");

    // Expiry on the emulator's clock, through the raw endpoints.
    let (status, dc) = form_post(
        &emu,
        "devicecode",
        &[("client_id", AZURE_CLI), ("scope", ARM_SCOPE)],
    )
    .await;
    assert_eq!(status, 200, "{dc}");
    for field in ["device_code", "user_code", "verification_uri", "message"] {
        assert!(dc[field].is_string(), "{field}: {dc}");
    }
    assert_eq!(dc["expires_in"], 900);
    assert_eq!(dc["interval"], 5);
    let poll = [
        ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
        ("client_id", AZURE_CLI),
        ("device_code", dc["device_code"].as_str().unwrap()),
    ];
    let (status, body) = form_post(&emu, "token", &poll).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("authorization_pending"))
    );
    assert_eq!(aadsts(&body), 70016);
    for field in [
        "error_description",
        "timestamp",
        "trace_id",
        "correlation_id",
    ] {
        assert!(body[field].is_string(), "{field}: {body}");
    }
    emu.advance_clock(Duration::from_secs(901));
    let (status, body) = form_post(&emu, "token", &poll).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("expired_token"))
    );
    assert!(emu
        .approve_device_code(dc["user_code"].as_str().unwrap(), None)
        .is_err());
    // Unknown clients get no device code.
    let (status, body) = form_post(
        &emu,
        "devicecode",
        &[
            ("client_id", "99999999-0000-4000-8000-000000000000"),
            ("scope", ARM_SCOPE),
        ],
    )
    .await;
    assert_eq!((status, aadsts(&body)), (400, 700016));
}

#[tokio::test]
async fn slow_down_when_polled_faster_than_the_interval() {
    let emu = start().await;
    emu.freeze_clock();
    admin(
        &emu,
        reqwest::Method::PATCH,
        "signin",
        json!({"enforceInterval": true, "deviceCodeAutoApproveAfterPolls": null}),
    )
    .await;
    let (_, dc) = form_post(
        &emu,
        "devicecode",
        &[("client_id", AZURE_CLI), ("scope", ARM_SCOPE)],
    )
    .await;
    let poll = [
        ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
        ("client_id", AZURE_CLI),
        ("device_code", dc["device_code"].as_str().unwrap()),
    ];
    let (_, body) = form_post(&emu, "token", &poll).await;
    assert_eq!(body["error"], "authorization_pending");
    let (_, body) = form_post(&emu, "token", &poll).await;
    assert_eq!(body["error"], "slow_down");
    emu.advance_clock(Duration::from_secs(5));
    let (_, body) = form_post(&emu, "token", &poll).await;
    assert_eq!(body["error"], "authorization_pending");
}

#[tokio::test]
async fn refresh_tokens_rotate() {
    let emu = start().await;
    // Device code by hand (auto approval after one poll).
    let scope = format!("{ARM_SCOPE} offline_access openid");
    let (_, dc) = form_post(
        &emu,
        "devicecode",
        &[("client_id", AZURE_CLI), ("scope", &scope)],
    )
    .await;
    let poll = [
        ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
        ("client_id", AZURE_CLI),
        ("device_code", dc["device_code"].as_str().unwrap()),
    ];
    let (status, _) = form_post(&emu, "token", &poll).await;
    assert_eq!(status, 400);
    let (status, tokens) = form_post(&emu, "token", &poll).await;
    assert_eq!(status, 200, "{tokens}");
    assert_eq!(tokens["token_type"], "Bearer");
    assert!(tokens["id_token"].is_string(), "openid was asked: {tokens}");
    assert_eq!(
        claims(tokens["id_token"].as_str().unwrap())["preferred_username"],
        USER
    );
    // A redeemed device code is spent.
    let (status, body) = form_post(&emu, "token", &poll).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );

    let first = tokens["refresh_token"].as_str().unwrap().to_string();
    let refresh = |rt: String, client: &'static str| {
        let emu = &emu;
        async move {
            form_post(
                emu,
                "token",
                &[
                    ("grant_type", "refresh_token"),
                    ("client_id", client),
                    ("refresh_token", &rt),
                    ("scope", ARM_SCOPE),
                ],
            )
            .await
        }
    };
    // Another client cannot use it (and does not spend it).
    let (status, body) = refresh(first.clone(), "1950a258-227b-4e31-a9cf-717495945fc2").await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    let (status, second) = refresh(first.clone(), AZURE_CLI).await;
    assert_eq!(status, 200, "{second}");
    let next = second["refresh_token"].as_str().unwrap().to_string();
    assert_ne!(next, first);
    // The used one is gone; the new one works.
    let (status, body) = refresh(first, AZURE_CLI).await;
    assert_eq!((status, aadsts(&body)), (400, 9002313));
    let (status, _) = refresh(next.clone(), AZURE_CLI).await;
    assert_eq!(status, 200);

    // A user's token gets the same checks as an application's at ARM: an expired one is
    // refused with ExpiredAuthenticationToken and ARM's challenge.
    let access = second["access_token"].as_str().unwrap().to_string();
    let cred = StaticTokenCredential::from_jwt(access.clone()).unwrap();
    let user_oid = emu.add_user(USER, "ignored");
    assert_eq!(arm_call(&emu, Arc::new(cred.clone())).await, user_oid);
    emu.advance_clock(Duration::from_secs(2 * 3600));
    let arm = ArmClient::new(ArmConfig::new(emu.url()), Arc::new(cred)).unwrap();
    let err = arm
        .list(
            &format!("/subscriptions/{}/resourcegroups", emu.subscription_id()),
            "2025-04-01",
        )
        .await
        .unwrap_err();
    assert_eq!(err.status, Some(401), "{err}");
    assert_eq!(
        err.code.as_deref(),
        Some("ExpiredAuthenticationToken"),
        "{err}"
    );
    let r = http()
        .get(format!(
            "{}/subscriptions/{}/resourcegroups?api-version=2025-04-01",
            emu.url(),
            emu.subscription_id()
        ))
        .bearer_auth(&access)
        .send()
        .await
        .unwrap();
    let challenge = r.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        challenge.starts_with("Bearer authorization_uri="),
        "{challenge}"
    );
    assert!(challenge.contains("error=\"invalid_token\""), "{challenge}");
    assert!(
        challenge.contains("is earlier than current UTC time"),
        "{challenge}"
    );
}

/// An opener that plays the browser: GETs the authorize URL, and follows its redirect to the
/// credential's loopback listener, after `tamper` had its way with the redirect URL.
fn test_browser(tamper: fn(String) -> String) -> (BrowserOpener, Arc<Mutex<Vec<String>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    let opener: BrowserOpener = Arc::new(move |url: &str| {
        let url = url.to_string();
        log.lock().unwrap().push(url.clone());
        tokio::spawn(async move {
            let r = http().get(&url).send().await.expect("authorize");
            assert_eq!(r.status(), 302, "{url}");
            let location = r.headers()["location"].to_str().unwrap().to_string();
            let page = http().get(tamper(location)).send().await.expect("redirect");
            assert_eq!(page.status(), 200);
        });
        Ok(())
    });
    (opener, seen)
}

#[tokio::test]
async fn interactive_browser_signs_in_with_pkce() {
    let emu = start().await;
    let user_oid = emu.add_user(USER, "ignored");
    let (opener, seen) = test_browser(|l| l);
    let cred = InteractiveBrowserCredential::new(&emu.url(), emu.tenant_id(), AZURE_CLI, None)
        .unwrap()
        .with_opener(opener)
        .with_timeout(Duration::from_secs(30));
    let cred = Arc::new(cred);
    let token = cred.get_token(&[ARM_SCOPE], None).await.unwrap();
    assert_eq!(claims(token.token.secret())["oid"], json!(user_oid));
    assert!(cred.has_refresh_token());
    let authorize = url::Url::parse(&seen.lock().unwrap()[0]).unwrap();
    let q: std::collections::HashMap<String, String> =
        authorize.query_pairs().into_owned().collect();
    assert_eq!(q["code_challenge_method"], "S256");
    assert!(q["redirect_uri"].starts_with("http://127.0.0.1:"));
    assert!(!q["state"].is_empty());
    // Later tokens come from the refresh token: the browser is not opened again.
    cred.get_token(&["https://graph.microsoft.com/.default"], None)
        .await
        .unwrap();
    assert_eq!(seen.lock().unwrap().len(), 1);
    // Another user through login_hint, then an ARM call.
    let other_oid = emu.add_user("ada@azml-emulator.onmicrosoft.com", "Ada");
    let (opener, _) = test_browser(|l| l);
    let cred = InteractiveBrowserCredential::new(&emu.url(), emu.tenant_id(), AZURE_CLI, None)
        .unwrap()
        .with_opener(opener)
        .with_login_hint("ada@azml-emulator.onmicrosoft.com");
    assert_eq!(
        arm_call(&emu, auth::interactive_browser(cred)).await,
        other_oid
    );
}

#[tokio::test]
async fn interactive_browser_refusals() {
    let emu = start().await;
    // A redirect whose state was changed is not accepted.
    let (opener, _) = test_browser(|l| l.replace("state=", "state=x"));
    let cred = InteractiveBrowserCredential::new(&emu.url(), emu.tenant_id(), AZURE_CLI, None)
        .unwrap()
        .with_opener(opener);
    let err = map_credential_error(cred.get_token(&[ARM_SCOPE], None).await.unwrap_err());
    assert!(err.message.contains("state"), "{err}");

    // The user declines consent: the error comes back through the redirect.
    admin(
        &emu,
        reqwest::Method::PATCH,
        "signin",
        json!({"denyConsent": true}),
    )
    .await;
    let (opener, _) = test_browser(|l| l);
    let cred = InteractiveBrowserCredential::new(&emu.url(), emu.tenant_id(), AZURE_CLI, None)
        .unwrap()
        .with_opener(opener);
    let err = map_credential_error(cred.get_token(&[ARM_SCOPE], None).await.unwrap_err());
    assert_eq!(err.code.as_deref(), Some("access_denied"), "{err}");
    assert!(err.message.contains("AADSTS65004"), "{err}");

    // Nobody comes back: the credential gives up.
    let opener: BrowserOpener = Arc::new(|_| Ok(()));
    let cred = InteractiveBrowserCredential::new(&emu.url(), emu.tenant_id(), AZURE_CLI, None)
        .unwrap()
        .with_opener(opener)
        .with_timeout(Duration::from_millis(50));
    let err = map_credential_error(cred.get_token(&[ARM_SCOPE], None).await.unwrap_err());
    assert!(err.message.contains("no answer from the browser"), "{err}");
    // An opener that fails stops at once.
    let opener: BrowserOpener = Arc::new(|_| Err("no display".into()));
    let cred = InteractiveBrowserCredential::new(&emu.url(), emu.tenant_id(), AZURE_CLI, None)
        .unwrap()
        .with_opener(opener);
    let err = map_credential_error(cred.get_token(&[ARM_SCOPE], None).await.unwrap_err());
    assert!(err.message.contains("no display"), "{err}");
}

#[tokio::test]
async fn authorize_endpoint_and_code_redemption_checks() {
    let emu = start().await;
    let verifier = "a-verifier-of-enough-length-0123456789-abcdefghij";
    let challenge = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(<sha2::Sha256 as sha2::Digest>::digest(verifier.as_bytes()));
    let authorize = |redirect: &str, challenge: &str| {
        let mut u = url::Url::parse(&format!(
            "{}/{}/oauth2/v2.0/authorize",
            emu.url(),
            emu.tenant_id()
        ))
        .unwrap();
        u.query_pairs_mut()
            .append_pair("client_id", AZURE_CLI)
            .append_pair("response_type", "code")
            .append_pair("redirect_uri", redirect)
            .append_pair("scope", ARM_SCOPE)
            .append_pair("state", "st-1")
            .append_pair("code_challenge", challenge)
            .append_pair("code_challenge_method", "S256");
        u.to_string()
    };
    // Non-loopback redirect: no redirect at all.
    let r = http()
        .get(authorize("https://evil.example/cb", &challenge))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let body: Value = r.json().await.unwrap();
    assert_eq!(aadsts(&body), 50011);
    // A bad challenge: the error goes to the redirect URI with the state.
    let redirect = "http://127.0.0.1:9/cb";
    let r = http()
        .get(authorize(redirect, "short"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 302);
    let loc = url::Url::parse(r.headers()["location"].to_str().unwrap()).unwrap();
    let q: std::collections::HashMap<String, String> = loc.query_pairs().into_owned().collect();
    assert_eq!(q["error"], "invalid_request");
    assert_eq!(q["state"], "st-1");

    let code_for = || async {
        let r = http()
            .get(authorize(redirect, &challenge))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 302);
        let loc = url::Url::parse(r.headers()["location"].to_str().unwrap()).unwrap();
        assert!(loc.as_str().starts_with(redirect));
        let q: std::collections::HashMap<String, String> = loc.query_pairs().into_owned().collect();
        assert_eq!(q["state"], "st-1");
        q["code"].clone()
    };
    let redeem = |code: String, verifier: &'static str, redirect: &'static str| {
        let emu = &emu;
        async move {
            form_post(
                emu,
                "token",
                &[
                    ("grant_type", "authorization_code"),
                    ("client_id", AZURE_CLI),
                    ("code", &code),
                    ("redirect_uri", redirect),
                    ("code_verifier", verifier),
                    ("scope", ARM_SCOPE),
                ],
            )
            .await
        }
    };
    const VERIFIER: &str = "a-verifier-of-enough-length-0123456789-abcdefghij";
    let code = code_for().await;
    let (status, body) = redeem(
        code.clone(),
        "another-verifier-0123456789-abcdefghijklmnop",
        "http://127.0.0.1:9/cb",
    )
    .await;
    assert_eq!((status, aadsts(&body)), (400, 501481), "{body}");
    let code = code_for().await;
    let (status, body) = redeem(code.clone(), VERIFIER, "http://127.0.0.1:8/cb").await;
    assert_eq!((status, aadsts(&body)), (400, 500112), "{body}");
    let code = code_for().await;
    let (status, body) = redeem(code.clone(), VERIFIER, "http://127.0.0.1:9/cb").await;
    assert_eq!(status, 200, "{body}");
    assert!(body["refresh_token"].is_string());
    let (status, body) = redeem(code, VERIFIER, "http://127.0.0.1:9/cb").await;
    assert_eq!((status, aadsts(&body)), (400, 54005), "{body}");
    let code = code_for().await;
    emu.advance_clock(Duration::from_secs(601));
    let (status, body) = redeem(code, VERIFIER, "http://127.0.0.1:9/cb").await;
    assert_eq!((status, aadsts(&body)), (400, 70008), "{body}");
    // The challenge is not kept in the journal.
    let journal = serde_json::to_string(&emu.journal()).unwrap();
    assert!(!journal.contains(&challenge), "{journal}");
}

#[tokio::test]
async fn openid_configuration_advertises_the_flows() {
    let emu = start().await;
    let r = http()
        .get(format!(
            "{}/{}/v2.0/.well-known/openid-configuration",
            emu.url(),
            emu.tenant_id()
        ))
        .send()
        .await
        .unwrap();
    let doc: Value = r.json().await.unwrap();
    let base = format!("{}/{}/oauth2/v2.0", emu.url(), emu.tenant_id());
    assert_eq!(
        doc["device_authorization_endpoint"],
        json!(format!("{base}/devicecode"))
    );
    assert_eq!(
        doc["authorization_endpoint"],
        json!(format!("{base}/authorize"))
    );
    assert_eq!(doc["token_endpoint"], json!(format!("{base}/token")));
    let grants = doc["grant_types_supported"].to_string();
    for g in [
        "client_credentials",
        "authorization_code",
        "refresh_token",
        "device_code",
    ] {
        assert!(grants.contains(g), "{grants}");
    }
}

#[tokio::test]
async fn admin_api_registers_apps_certificates_users_and_identities() {
    let emu = start().await;
    // An app with a made-up secret signs in with it.
    let app = admin(&emu, reqwest::Method::POST, "apps", json!({})).await;
    let client_id = app["clientId"].as_str().unwrap();
    let secret = app["clientSecret"]
        .as_str()
        .expect("a generated secret is shown once");
    let again = admin(
        &emu,
        reqwest::Method::POST,
        "apps",
        json!({"clientId": client_id}),
    )
    .await;
    assert_eq!(again["objectId"], app["objectId"]);
    assert!(again.get("clientSecret").is_none(), "{again}");
    let cred = auth::client_secret(&emu.url(), emu.tenant_id(), client_id, secret, None).unwrap();
    assert_eq!(
        arm_call(&emu, cred).await,
        app["objectId"].as_str().unwrap()
    );

    // Its certificate, through HTTP.
    let pem = std::fs::read_to_string(data("client-cert-only.pem")).unwrap();
    let added = admin(
        &emu,
        reqwest::Method::POST,
        &format!("apps/{client_id}/certificates"),
        json!({"certificate": pem}),
    )
    .await;
    assert_eq!(added["x5t#S256"].as_str().unwrap().len(), 43);
    let cred = auth::client_certificate(
        &emu.url(),
        emu.tenant_id(),
        client_id,
        &data("client-pkcs8.pem"),
        None,
        None,
    )
    .unwrap();
    assert_eq!(
        arm_call(&emu, cred).await,
        app["objectId"].as_str().unwrap()
    );

    // A user, who then approves device codes.
    let user = admin(
        &emu,
        reqwest::Method::POST,
        "users",
        json!({"userPrincipalName": "grace@azml-emulator.onmicrosoft.com", "displayName": "Grace"}),
    )
    .await;
    let settings = admin(
        &emu,
        reqwest::Method::PATCH,
        "signin",
        json!({"user": "grace@azml-emulator.onmicrosoft.com"}),
    )
    .await;
    assert_eq!(settings["user"], "grace@azml-emulator.onmicrosoft.com");
    assert_eq!(settings["deviceCodeAutoApproveAfterPolls"], 1);
    let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
    let cred = auth::device_code(device_code_cred(&emu, tx));
    assert_eq!(arm_call(&emu, cred).await, user["id"].as_str().unwrap());

    // The managed identity's coordinates.
    let mi = admin(&emu, reqwest::Method::GET, "managed-identity", json!(null)).await;
    assert_eq!(mi["endpoint"], json!(emu.identity_endpoint()));
    assert_eq!(mi["header"], json!(emu.identity_header()));
    assert_eq!(mi["identities"][0]["type"], "SystemAssigned");
    assert_eq!(
        mi["identities"][0]["principalId"],
        json!(emu.system_identity().1)
    );

    // Bad input is refused with a reason.
    let client = http();
    for (method, path, body) in [
        (
            reqwest::Method::POST,
            format!("apps/{client_id}/certificates"),
            json!({"certificate": "bm90IGEgY2VydA=="}),
        ),
        (
            reqwest::Method::POST,
            "apps/unknown-app/certificates".to_string(),
            json!({"certificate": pem}),
        ),
        (
            reqwest::Method::POST,
            "apps/unknown-app/federatedCredentials".to_string(),
            json!({"subject": "s"}),
        ),
        (
            reqwest::Method::PATCH,
            "signin".to_string(),
            json!({"user": "nobody@example.com"}),
        ),
        (
            reqwest::Method::PATCH,
            "signin".to_string(),
            json!({"deviceCodeInterval": 0}),
        ),
        (
            reqwest::Method::POST,
            "workload-issuer/tokens".to_string(),
            json!({}),
        ),
    ] {
        let r = client
            .request(method, format!("{}/_emulator/{path}", emu.url()))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400, "{path} {body}");
        let v: Value = r.json().await.unwrap();
        assert_eq!(v["error"]["code"], "InvalidRequestContent", "{v}");
    }
    let r = client
        .post(format!("{}/_emulator/devicecode/approve", emu.url()))
        .json(&json!({"userCode": "NOPE"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let r = client
        .delete(format!("{}/_emulator/signin", emu.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 405);
}

#[tokio::test]
async fn default_chain_picks_each_configured_kind() {
    use azml_core::auth::{ChainOptions, DefaultChain};
    let emu = start().await;
    let chain = |vars: Vec<(&'static str, String)>| -> Arc<dyn TokenCredential> {
        Arc::new(DefaultChain::from_env_with(
            move |k| vars.iter().find(|(n, _)| *n == k).map(|(_, v)| v.clone()),
            ChainOptions {
                exclude_cli: true,
                ..ChainOptions::default()
            },
        ))
    };
    // The emulator's own variables: the client secret.
    let vars: Vec<(&'static str, String)> = emu
        .env()
        .into_iter()
        .filter_map(|(k, v)| {
            [
                "AZURE_TENANT_ID",
                "AZURE_CLIENT_ID",
                "AZURE_CLIENT_SECRET",
                "AZURE_AUTHORITY_HOST",
            ]
            .into_iter()
            .find(|n| *n == k)
            .map(|n| (n, v))
        })
        .collect();
    assert_eq!(arm_call(&emu, chain(vars)).await, emu.principal_oid());

    // Workload identity.
    let app = "33333333-2222-4333-8444-555555555555";
    let oid = emu.add_service_principal(app, "unused-secret-value");
    emu.add_federated_credential(app, &emu.workload_issuer(), "system:serviceaccount:a:b")
        .unwrap();
    let dir = std::env::temp_dir().join(format!("azml-chain-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("token");
    std::fs::write(
        &file,
        emu.issue_federated_token("system:serviceaccount:a:b"),
    )
    .unwrap();
    let vars = vec![
        ("AZURE_TENANT_ID", emu.tenant_id().to_string()),
        ("AZURE_CLIENT_ID", app.to_string()),
        ("AZURE_FEDERATED_TOKEN_FILE", file.display().to_string()),
        ("AZURE_AUTHORITY_HOST", emu.url()),
    ];
    assert_eq!(arm_call(&emu, chain(vars)).await, oid);
    let _ = std::fs::remove_dir_all(&dir);

    // Managed identity (App Service endpoint announced; IMDS stays off).
    let vars = vec![
        ("IDENTITY_ENDPOINT", emu.identity_endpoint()),
        ("IDENTITY_HEADER", emu.identity_header()),
    ];
    assert_eq!(arm_call(&emu, chain(vars)).await, emu.system_identity().1);
}
