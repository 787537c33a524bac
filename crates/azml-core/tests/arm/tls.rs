//! ARM over TLS with an extra CA from `ca_file` (the emulator's setup under TLS), and HTTP/2
//! when the server offers it.

use std::path::PathBuf;

use crate::support::mock_arm::*;
use axum::http::Version;
use azml_core::arm::ArmClient;
use azml_core::ErrorKind;
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose};
use serde_json::json;

struct Pki {
    ca_pem: String,
    leaf_pem: String,
    leaf_key_pem: String,
}

/// A CA and a leaf for `localhost` it signs (a self-signed leaf is refused by the verifier).
fn pki() -> Pki {
    let ca_key = KeyPair::generate().unwrap();
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name
        .push(DnType::CommonName, "azml test CA");
    ca.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let ca_cert = ca.self_signed(&ca_key).unwrap();
    let issuer = Issuer::new(ca, ca_key);
    let leaf_key = KeyPair::generate().unwrap();
    let mut leaf = CertificateParams::new(vec!["localhost".to_string()]).unwrap();
    leaf.distinguished_name
        .push(DnType::CommonName, "localhost");
    let leaf_cert = leaf.signed_by(&leaf_key, &issuer).unwrap();
    Pki {
        ca_pem: ca_cert.pem(),
        leaf_pem: leaf_cert.pem(),
        leaf_key_pem: leaf_key.serialize_pem(),
    }
}

fn write_temp(name: &str, text: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("azml-arm-tls-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

fn remove_temp(path: &std::path::Path) {
    let _ = std::fs::remove_dir_all(path.parent().unwrap());
}

#[tokio::test]
async fn https_with_extra_ca_and_http2() {
    let pki = pki();
    let server = mock_tls(&pki.leaf_pem, &pki.leaf_key_pem, |_| {
        reply(200, &[], Some(json!({"tls": true})))
    })
    .await;
    let mut cfg = config(&server.base);
    cfg.ca_file = Some(write_temp("ca.pem", &pki.ca_pem));
    let ca = cfg.ca_file.clone().unwrap();
    let arm = client_with(cfg, fast_retry());
    // The CA is read when the client is built.
    remove_temp(&ca);
    assert_eq!(
        arm.get("/subscriptions/s", "2022-12-01").await.unwrap()["tls"],
        true
    );
    assert_eq!(
        arm.get("/subscriptions/s", "2022-12-01").await.unwrap()["tls"],
        true
    );
    let reqs = server.requests();
    assert_eq!(reqs.len(), 2);
    assert!(
        reqs.iter().all(|r| r.version == Version::HTTP_2),
        "{:?}",
        reqs[0].version
    );
}

#[tokio::test]
async fn https_without_the_ca_is_refused() {
    let pki = pki();
    let server = mock_tls(&pki.leaf_pem, &pki.leaf_key_pem, |_| reply(200, &[], None)).await;
    let arm = client(&server.base);
    let err = arm.get("/subscriptions/s", "2022-12-01").await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::Transport);
    assert_eq!(server.count(), 0);
}

#[tokio::test]
async fn unreadable_or_bad_ca_file_is_a_validation_error() {
    let mut cfg = config("https://localhost:1");
    cfg.ca_file = Some(PathBuf::from("/nonexistent/azml/ca.pem"));
    let err = ArmClient::new(cfg.clone(), credential()).unwrap_err();
    assert_eq!(err.kind, ErrorKind::Validation);
    cfg.ca_file = Some(write_temp("junk.pem", "not a certificate"));
    let err = ArmClient::new(cfg.clone(), credential()).unwrap_err();
    assert_eq!(err.kind, ErrorKind::Validation);
    remove_temp(cfg.ca_file.as_ref().unwrap());
}

#[tokio::test]
async fn token_endpoint_over_tls_with_ca_file() {
    let pki = pki();
    let tokens = mock_tls(&pki.leaf_pem, &pki.leaf_key_pem, |_| {
        reply(
            200,
            &[],
            Some(json!({"access_token": "tls-token", "expires_in": "3600"})),
        )
    })
    .await;
    let ca = write_temp("ca.pem", &pki.ca_pem);
    let cred = azml_core::auth::client_secret(&tokens.base, "t", "app", "secret-value", Some(&ca))
        .unwrap();
    remove_temp(&ca);
    let tok = cred
        .get_token(&["https://management.azure.com/.default"], None)
        .await
        .unwrap();
    assert_eq!(tok.token.secret(), "tls-token");
}
