//! `EmulatorConfig::state_file`: what was created survives a restart.

use std::time::Duration;

use crate::support::emulator::start_with;
use azml_emulator::{EmulatorConfig, Latency};
use base64::Engine as _;
use reqwest::StatusCode;

#[tokio::test]
async fn state_survives_a_restart() {
    let dir = std::env::temp_dir().join(format!("azml-emulator-state-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("state.json");
    let _ = std::fs::remove_file(&file);
    let config = EmulatorConfig {
        latency: Latency::Instant,
        state_file: Some(file.clone()),
        ..EmulatorConfig::default()
    };

    let env = start_with(config.clone()).await;
    let body = env.dependents("Kept-RG", "kept").await;
    let r = env.put(&env.ws_url("kept-rg", "kept-ws"), body).await;
    assert_eq!(r.status, StatusCode::ACCEPTED);
    let before = env.get(&env.ws_url("kept-rg", "kept-ws")).await.body;
    env.emu.stop(Duration::from_secs(1)).await;
    assert!(file.exists());

    let env = start_with(config).await;
    let r = env
        .get(&env.url("/resourcegroups/kept-rg?api-version=2025-04-01"))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["name"], "Kept-RG");
    let after = env.get(&env.ws_url("kept-rg", "kept-ws")).await.body;
    assert_eq!(after, before);
    // Global names stay taken.
    env.group("elsewhere").await;
    assert_eq!(
        env.storage("elsewhere", "keptsa").await.status,
        StatusCode::CONFLICT
    );
    env.emu.stop(Duration::from_secs(1)).await;

    // A corrupt file is an error, not a silent reset.
    std::fs::write(&file, b"{not json").unwrap();
    let err = azml_emulator::Emulator::start(EmulatorConfig {
        state_file: Some(file.clone()),
        ..EmulatorConfig::default()
    })
    .await;
    let Err(err) = err else {
        panic!("a corrupt state file was accepted")
    };
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidData);
    assert!(
        err.to_string().contains("cannot read the emulator state"),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

const GRAPH: &str = "https://graph.microsoft.com/.default";
const ARM_SCOPE: &str = "https://management.azure.com/.default";
const EXTRA_SUB: &str = "00000000-0000-4000-8000-0000000e57a1";
const B64URL: base64::engine::GeneralPurpose = base64::engine::general_purpose::URL_SAFE_NO_PAD;

fn temp_state(name: &str) -> (std::path::PathBuf, std::path::PathBuf) {
    let dir =
        std::env::temp_dir().join(format!("azml-emulator-state-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("state.json");
    (dir, file)
}

async fn admin(
    http: &reqwest::Client,
    emu: &azml_emulator::Emulator,
    path: &str,
    body: serde_json::Value,
) -> serde_json::Value {
    let r = http
        .post(format!("{}/_emulator/{path}", emu.url()))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{path}: {}", r.status());
    r.json().await.unwrap()
}

async fn admin_get(
    http: &reqwest::Client,
    emu: &azml_emulator::Emulator,
    path: &str,
) -> serde_json::Value {
    let r = http
        .get(format!("{}/_emulator/{path}", emu.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    r.json().await.unwrap()
}

/// The token endpoint's answer to `form`.
async fn token_reply(
    http: &reqwest::Client,
    emu: &azml_emulator::Emulator,
    pairs: &[(&str, &str)],
) -> (StatusCode, serde_json::Value) {
    let r = http
        .post(format!(
            "{}/{}/oauth2/v2.0/token",
            emu.url(),
            emu.tenant_id()
        ))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(crate::support::emulator::form(pairs))
        .send()
        .await
        .unwrap();
    (r.status(), r.json().await.unwrap())
}

/// A refresh token for the emulator's user through the device code flow (approved on the
/// first poll by default).
async fn device_code_refresh_token(
    http: &reqwest::Client,
    emu: &azml_emulator::Emulator,
    client_id: &str,
) -> String {
    let r = http
        .post(format!(
            "{}/{}/oauth2/v2.0/devicecode",
            emu.url(),
            emu.tenant_id()
        ))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(crate::support::emulator::form(&[
            ("client_id", client_id),
            ("scope", &format!("{ARM_SCOPE} offline_access")),
        ]))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let dc: serde_json::Value = r.json().await.unwrap();
    let device_code = dc["device_code"].as_str().unwrap().to_string();
    for _ in 0..3 {
        let (status, body) = token_reply(
            http,
            emu,
            &[
                ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
                ("client_id", client_id),
                ("device_code", &device_code),
            ],
        )
        .await;
        if status == StatusCode::OK {
            return body["refresh_token"].as_str().unwrap().to_string();
        }
        assert_eq!(body["error"], "authorization_pending");
    }
    panic!("the device code was never approved");
}

/// An RS256 client assertion signed by the test certificate's key.
fn certificate_assertion(emu: &azml_emulator::Emulator, client_id: &str) -> String {
    let data =
        std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../..")).join("tests/data/auth");
    let block = |file: &str, label: &str| -> Vec<u8> {
        let text = std::fs::read_to_string(data.join(file)).unwrap();
        let begin = format!("-----BEGIN {label}-----");
        let start = text.find(&begin).unwrap() + begin.len();
        let stop = text.find(&format!("-----END {label}-----")).unwrap();
        let b64: String = text[start..stop].split_whitespace().collect();
        base64::engine::general_purpose::STANDARD
            .decode(b64)
            .unwrap()
    };
    let cert = block("client-cert-only.pem", "CERTIFICATE");
    let key =
        ring::signature::RsaKeyPair::from_pkcs8(&block("client-pkcs8.pem", "PRIVATE KEY")).unwrap();
    let thumb = B64URL.encode(<sha2::Sha256 as sha2::Digest>::digest(&cert));
    let header = serde_json::json!({"alg": "RS256", "typ": "JWT", "x5t#S256": thumb});
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let payload = serde_json::json!({
        "aud": format!("{}/{}/oauth2/v2.0/token", emu.url(), emu.tenant_id()),
        "iss": client_id,
        "sub": client_id,
        "jti": "state-test",
        "nbf": now,
        "exp": now + 600,
    });
    let input = format!(
        "{}.{}",
        B64URL.encode(serde_json::to_vec(&header).unwrap()),
        B64URL.encode(serde_json::to_vec(&payload).unwrap())
    );
    let mut sig = vec![0; key.public().modulus_len()];
    key.sign(
        &ring::signature::RSA_PKCS1_SHA256,
        &ring::rand::SystemRandom::new(),
        input.as_bytes(),
        &mut sig,
    )
    .unwrap();
    format!("{input}.{}", B64URL.encode(sig))
}

/// What the admin API and the sign-in endpoints registered at run time survives a restart on
/// the same state file (and port, as the binary's fixed port would be), and so does every
/// token and grant issued before it.
#[tokio::test]
async fn signin_registrations_survive_a_restart() {
    let (dir, file) = temp_state("signin");
    let mut config = EmulatorConfig {
        latency: Latency::Instant,
        state_file: Some(file.clone()),
        extra_subscriptions: vec![EXTRA_SUB.to_string()],
        ..EmulatorConfig::default()
    };
    let env = start_with(config.clone()).await;
    let (emu, http) = (&env.emu, &env.http);
    let port = emu
        .url()
        .rsplit(':')
        .next()
        .unwrap()
        .parse::<u16>()
        .unwrap();
    config.bind.set_port(port);

    // A service principal with a secret, a Reader role; another one without any role.
    let sp = admin(
        http,
        emu,
        "servicePrincipals",
        serde_json::json!({"appId": "11111111-2222-4333-8444-555555555555", "secret": "kept-secret"}),
    )
    .await;
    let (app, oid) = (
        sp["appId"].as_str().unwrap(),
        sp["objectId"].as_str().unwrap(),
    );
    admin(
        http,
        emu,
        "roleAssignments",
        serde_json::json!({"principalId": oid, "role": "Reader"}),
    )
    .await;
    admin(
        http,
        emu,
        "servicePrincipals",
        serde_json::json!({"appId": "no-role-app", "secret": "other-secret"}),
    )
    .await;
    // A user, a user-assigned managed identity, a certificate, a federated credential.
    let user = admin(
        http,
        emu,
        "users",
        serde_json::json!({"userPrincipalName": "kept@azml-emulator.onmicrosoft.com", "displayName": "Kept"}),
    )
    .await;
    let identity = admin(
        http,
        emu,
        "managed-identity/identities",
        serde_json::json!({"name": "kept-identity"}),
    )
    .await;
    let mi = admin_get(http, emu, "managed-identity").await;
    let identity_header = mi["header"].as_str().unwrap().to_string();
    let cert = std::fs::read_to_string(
        std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
            .join("tests/data/auth/client-cert-only.pem"),
    )
    .unwrap();
    admin(
        http,
        emu,
        &format!("apps/{app}/certificates"),
        serde_json::json!({"certificate": cert}),
    )
    .await;
    admin(
        http,
        emu,
        &format!("apps/{app}/federatedCredentials"),
        serde_json::json!({"subject": "system:serviceaccount:ml:trainer"}),
    )
    .await;
    let federated = admin(
        http,
        emu,
        "workload-issuer/tokens",
        serde_json::json!({"subject": "system:serviceaccount:ml:trainer"}),
    )
    .await["token"]
        .as_str()
        .unwrap()
        .to_string();
    // A provider left unregistered, a group in the extra subscription.
    admin(
        http,
        emu,
        "providers/Microsoft.Storage/unregister",
        serde_json::json!({}),
    )
    .await;
    let extra_rg = format!(
        "{}/subscriptions/{EXTRA_SUB}/resourcegroups/extra-rg?api-version=2025-04-01",
        emu.url()
    );
    let r = env
        .send(
            reqwest::Method::PUT,
            &extra_rg,
            Some(serde_json::json!({"location": "westus"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    // Tokens and a refresh token issued before the restart.
    let before = crate::support::emulator::sign_in(http, emu, app, "kept-secret", ARM_SCOPE).await;
    let refresh = device_code_refresh_token(http, emu, app).await;
    let groups = env.url("/resourcegroups?api-version=2025-04-01");
    assert_eq!(
        env.send_as(&before, reqwest::Method::GET, &groups, None)
            .await
            .status,
        StatusCode::OK
    );
    let no_role =
        crate::support::emulator::sign_in(http, emu, "no-role-app", "other-secret", ARM_SCOPE)
            .await;
    assert_eq!(
        env.send_as(&no_role, reqwest::Method::GET, &groups, None)
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    env.emu.stop(Duration::from_secs(1)).await;

    // The file holds secrets: owner-only.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "mode {mode:o}");
    }
    // Refresh tokens are kept as hashes only.
    let saved = std::fs::read_to_string(&file).unwrap();
    assert!(!saved.contains(&refresh));

    let env = start_with(config.clone()).await;
    let (emu, http) = (&env.emu, &env.http);
    // The token from before is still accepted, and the role still grants (and only it).
    assert_eq!(
        env.send_as(&before, reqwest::Method::GET, &groups, None)
            .await
            .status,
        StatusCode::OK
    );
    let after = crate::support::emulator::sign_in(http, emu, app, "kept-secret", ARM_SCOPE).await;
    assert_eq!(
        env.send_as(&after, reqwest::Method::GET, &groups, None)
            .await
            .status,
        StatusCode::OK
    );
    let (status, body) = token_reply(
        http,
        emu,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", app),
            ("client_secret", "not-the-secret"),
            ("scope", ARM_SCOPE),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    let no_role =
        crate::support::emulator::sign_in(http, emu, "no-role-app", "other-secret", ARM_SCOPE)
            .await;
    assert_eq!(
        env.send_as(&no_role, reqwest::Method::GET, &groups, None)
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    // The user is still in the directory.
    let graph = crate::support::emulator::token_for(http, emu, GRAPH).await;
    let r = http
        .get(format!(
            "{}/v1.0/users/kept@azml-emulator.onmicrosoft.com",
            emu.url()
        ))
        .bearer_auth(&graph)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let found: serde_json::Value = r.json().await.unwrap();
    assert_eq!(found["id"], user["id"]);
    // The certificate and the federated credential still sign the app in; the federated token
    // projected before the restart is still the issuer's.
    for assertion in [certificate_assertion(emu, app), federated] {
        let (status, body) = token_reply(
            http,
            emu,
            &[
                ("grant_type", "client_credentials"),
                ("client_id", app),
                (
                    "client_assertion_type",
                    "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                ),
                ("client_assertion", &assertion),
                ("scope", ARM_SCOPE),
            ],
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    // The refresh token is still good (once: it rotates).
    let refresh_form = [
        ("grant_type", "refresh_token"),
        ("client_id", app),
        ("refresh_token", refresh.as_str()),
        ("scope", ARM_SCOPE),
    ];
    let (status, body) = token_reply(http, emu, &refresh_form).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, _) = token_reply(http, emu, &refresh_form).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    // The managed identity, with the same ids, behind the same endpoint secret.
    let mi = admin_get(http, emu, "managed-identity").await;
    assert_eq!(mi["header"].as_str(), Some(identity_header.as_str()));
    let r = http
        .get(format!(
            "{}/msi/token?resource=https://management.azure.com/&api-version=2019-08-01&client_id={}",
            emu.url(),
            identity["clientId"].as_str().unwrap()
        ))
        .header("x-identity-header", &identity_header)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let listed = mi["identities"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["name"] == "kept-identity")
        .cloned()
        .unwrap();
    assert_eq!(listed["principalId"], identity["principalId"]);
    // The provider's registration and the extra subscription's group.
    let providers = admin_get(http, emu, "providers").await;
    let storage = providers["value"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["namespace"] == "Microsoft.Storage")
        .cloned()
        .unwrap();
    assert_ne!(storage["registrationState"], "Registered");
    assert_eq!(env.get(&extra_rg).await.status, StatusCode::OK);
    env.emu.stop(Duration::from_secs(1)).await;
    let _ = std::fs::remove_dir_all(&dir);
}

/// A state file written before the emulator kept sign-in (no token key, principals, sign-in
/// or subscriptions sections) still loads, keeps what it had, and gains the new sections.
#[tokio::test]
async fn a_state_file_without_the_signin_sections_loads() {
    let (dir, file) = temp_state("old-format");
    let config = EmulatorConfig {
        latency: Latency::Instant,
        state_file: Some(file.clone()),
        ..EmulatorConfig::default()
    };
    let env = start_with(config.clone()).await;
    env.group("old-rg").await;
    env.emu.stop(Duration::from_secs(1)).await;
    let mut doc: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    for key in ["token_key", "principals", "signin", "subscriptions"] {
        doc.as_object_mut().unwrap().remove(key);
    }
    std::fs::write(&file, serde_json::to_vec(&doc).unwrap()).unwrap();

    let env = start_with(config).await;
    let r = env
        .get(&env.url("/resourcegroups/old-rg?api-version=2025-04-01"))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    env.emu.stop(Duration::from_secs(1)).await;
    let doc: serde_json::Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    assert!(doc["token_key"].as_str().is_some_and(|k| !k.is_empty()));
    assert!(doc["signin"].is_object());
    let _ = std::fs::remove_dir_all(&dir);
}

/// What the `Emulator` methods register is saved without any request after it, even when the
/// emulator is dropped rather than stopped.
#[tokio::test]
async fn registrations_through_methods_are_saved_on_drop() {
    let (dir, file) = temp_state("methods");
    let config = EmulatorConfig {
        latency: Latency::Instant,
        state_file: Some(file.clone()),
        ..EmulatorConfig::default()
    };
    let emu = azml_emulator::Emulator::start(config.clone())
        .await
        .unwrap();
    let user = emu.add_user("dropped@azml-emulator.onmicrosoft.com", "Dropped");
    let oid = emu.add_service_principal("method-app", "method-secret");
    emu.assign_role(
        &oid,
        "Reader",
        &format!("/subscriptions/{}", emu.subscription_id()),
    )
    .unwrap();
    let (mi_client, mi_principal) = emu.add_user_assigned_identity("method-identity");
    drop(emu);

    let env = start_with(config).await;
    assert_eq!(
        env.emu
            .add_user("dropped@azml-emulator.onmicrosoft.com", "Dropped"),
        user
    );
    assert_eq!(env.emu.add_service_principal("method-app", "ignored"), oid);
    assert_eq!(
        env.emu.add_user_assigned_identity("method-identity"),
        (mi_client, mi_principal)
    );
    let token = crate::support::emulator::sign_in(
        &env.http,
        &env.emu,
        "method-app",
        "method-secret",
        ARM_SCOPE,
    )
    .await;
    let r = env
        .send_as(
            &token,
            reqwest::Method::GET,
            &env.url("/resourcegroups?api-version=2025-04-01"),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    env.emu.stop(Duration::from_secs(1)).await;
    let _ = std::fs::remove_dir_all(&dir);
}

/// The binary says what is wrong with a corrupt state file (not "cannot listen"), without
/// quoting its content, and exits non-zero.
#[test]
fn the_binary_refuses_a_corrupt_state_file_clearly() {
    let (dir, file) = temp_state("binary");
    std::fs::write(
        &file,
        br#"{"principals": [{"client_id": "a", "secret": 8675309123}]}"#,
    )
    .unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_azml-emulator"))
        .args(["--port", "0", "--state"])
        .arg(&file)
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("cannot read the emulator state"),
        "{stderr}"
    );
    assert!(!stderr.contains("cannot listen"), "{stderr}");
    assert!(!stderr.contains("8675309123"), "{stderr}");
    assert!(out.stdout.is_empty());
    let _ = std::fs::remove_dir_all(&dir);
}
