//! azure_identity's ClientSecretCredential and WorkloadIdentityCredential behind azml's
//! credential trait, against the emulator over TLS: the token requests go through the
//! reqwest client azml hands over (the only one here that trusts the emulator's CA).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use azml_core::auth::{self, azidentity, map_credential_error};
use azml_core::ErrorKind;
use azml_emulator::{Emulator, EmulatorConfig, Latency};
use azure_core::credentials::TokenCredential;
use reqwest::StatusCode;

const ARM: &str = "https://management.azure.com/.default";

async fn tls_emulator() -> Emulator {
    Emulator::start(EmulatorConfig {
        tls: true,
        latency: Latency::Instant,
        ..EmulatorConfig::default()
    })
    .await
    .expect("emulator starts")
}

/// A reqwest client that trusts the emulator's CA (what azml builds from `AZML_CA_FILE`).
fn trusting(ca: &Path) -> reqwest::Client {
    let pem = std::fs::read(ca).unwrap();
    azml_core::install_tls_provider();
    reqwest::Client::builder()
        .no_proxy()
        .tls_certs_merge(reqwest::Certificate::from_pem_bundle(&pem).unwrap())
        .build()
        .unwrap()
}

/// The token works at the emulator's ARM: `GET /subscriptions/{sub}` answers `status`.
async fn arm_status(emu: &Emulator, http: &reqwest::Client, token: &str) -> StatusCode {
    http.get(format!(
        "{}/subscriptions/{}?api-version=2022-12-01",
        emu.url(),
        emu.subscription_id()
    ))
    .bearer_auth(token)
    .send()
    .await
    .unwrap()
    .status()
}

/// The User-Agent of the token requests the emulator saw (azure_identity names itself).
fn token_request_agents(emu: &Emulator) -> Vec<String> {
    emu.journal()
        .into_iter()
        .filter(|e| e.path.contains("/oauth2/v2.0/token"))
        .filter_map(|e| {
            e.headers
                .into_iter()
                .find(|(k, _)| k.eq_ignore_ascii_case("user-agent"))
                .map(|(_, v)| v)
        })
        .collect()
}

struct TempFile(PathBuf);

impl TempFile {
    fn new(text: &str) -> Self {
        let path = std::env::temp_dir().join(format!("azml-fed-{}", uuid::Uuid::new_v4()));
        std::fs::write(&path, text).unwrap();
        TempFile(path)
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

#[tokio::test]
async fn client_secret_signs_in_through_our_client() {
    let emu = tls_emulator().await;
    let ca = emu.ca_file().unwrap();
    let http = trusting(&ca);
    let cred = azidentity::client_secret(
        &emu.url(),
        emu.tenant_id(),
        emu.client_id(),
        emu.client_secret(),
        http.clone(),
    )
    .unwrap();
    assert!(!format!("{cred:?}").contains(emu.client_secret()));
    let token = cred.get_token(&[ARM], None).await.unwrap();
    assert_eq!(
        arm_status(&emu, &http, token.token.secret()).await,
        StatusCode::OK
    );
    let agents = token_request_agents(&emu);
    assert_eq!(agents.len(), 1, "{agents:?}");
    assert!(agents[0].contains("identity"), "{agents:?}");
    // Cached by azure_identity: no second token request.
    cred.get_token(&[ARM], None).await.unwrap();
    assert_eq!(token_request_agents(&emu).len(), 1);

    // With a client that does not trust the emulator's CA the TLS handshake fails: the
    // transport really is the one given.
    azml_core::install_tls_provider();
    let untrusting = reqwest::Client::builder().no_proxy().build().unwrap();
    let cred = azidentity::client_secret(
        &emu.url(),
        emu.tenant_id(),
        emu.client_id(),
        emu.client_secret(),
        untrusting,
    )
    .unwrap();
    let err = map_credential_error(cred.get_token(&[ARM], None).await.unwrap_err());
    assert_eq!(err.kind, ErrorKind::Authentication);
    assert_eq!(
        token_request_agents(&emu).len(),
        1,
        "never reached the server"
    );
}

#[tokio::test]
async fn a_wrong_secret_is_an_authentication_error_without_the_secret() {
    let emu = tls_emulator().await;
    let http = trusting(&emu.ca_file().unwrap());
    let wrong = "Not-The-Secret-0451";
    let cred = azidentity::client_secret(&emu.url(), emu.tenant_id(), emu.client_id(), wrong, http)
        .unwrap();
    let err = map_credential_error(cred.get_token(&[ARM], None).await.unwrap_err());
    assert_eq!(err.kind, ErrorKind::Authentication);
    assert!(err.message.contains("ClientSecretCredential"), "{err}");
    assert!(!err.to_string().contains(wrong));
}

#[tokio::test]
async fn workload_identity_signs_in_with_the_federated_token() {
    let emu = tls_emulator().await;
    let http = trusting(&emu.ca_file().unwrap());
    let oid = emu.add_service_principal("workload-app", "unused-secret-1234");
    let federated = "eyJhbGciOiJub25lIn0.eyJzdWIiOiJzeXN0ZW06c2EifQ.";
    assert!(emu.set_federated_token("workload-app", federated));
    let file = TempFile::new(federated);
    let cred = azidentity::workload_identity(
        &emu.url(),
        emu.tenant_id(),
        "workload-app",
        &file.0,
        http.clone(),
    )
    .unwrap();
    let token = cred.get_token(&[ARM], None).await.unwrap();
    // Signed in as the workload principal, which holds no role yet.
    assert_eq!(
        arm_status(&emu, &http, token.token.secret()).await,
        StatusCode::FORBIDDEN
    );
    emu.assign_role(
        &oid,
        "Reader",
        &format!("/subscriptions/{}", emu.subscription_id()),
    )
    .unwrap();
    assert_eq!(
        arm_status(&emu, &http, token.token.secret()).await,
        StatusCode::OK
    );

    // Another token in the file is not the federated credential.
    let other = TempFile::new("some.other.token");
    let cred =
        azidentity::workload_identity(&emu.url(), emu.tenant_id(), "workload-app", &other.0, http)
            .unwrap();
    let err = map_credential_error(cred.get_token(&[ARM], None).await.unwrap_err());
    assert_eq!(err.kind, ErrorKind::Authentication);
    assert!(err.message.contains("WorkloadIdentityCredential"), "{err}");
}

#[tokio::test]
async fn the_environment_credential_picks_azure_identity_for_https_only() {
    let emu = tls_emulator().await;
    let ca = emu.ca_file().unwrap();
    let vars: Vec<(String, String)> = emu.env();
    let lookup = |k: &str| {
        vars.iter()
            .find(|(name, _)| name == k)
            .map(|(_, v)| v.clone())
    };
    let cred: Arc<dyn TokenCredential> = auth::from_env_with(lookup).unwrap();
    assert!(format!("{cred:?}").contains("AzIdentity"), "{cred:?}");
    let token = cred.get_token(&[ARM], None).await.unwrap();
    assert_eq!(
        arm_status(&emu, &trusting(&ca), token.token.secret()).await,
        StatusCode::OK
    );
    assert!(token_request_agents(&emu)[0].contains("identity"));

    // The plain (http) emulator: azml's own credential, which signs in there too.
    let plain = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let vars = plain.env();
    let lookup = |k: &str| {
        vars.iter()
            .find(|(name, _)| name == k)
            .map(|(_, v)| v.clone())
    };
    let cred = auth::from_env_with(lookup).unwrap();
    assert!(!format!("{cred:?}").contains("AzIdentity"), "{cred:?}");
    let token = cred.get_token(&[ARM], None).await.unwrap();
    azml_core::install_tls_provider();
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    assert_eq!(
        arm_status(&plain, &http, token.token.secret()).await,
        StatusCode::OK
    );
}
