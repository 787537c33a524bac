//! Certificate and workload-identity (federated token file) credentials against a mock token
//! endpoint that checks the assertion the way Entra ID would.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::support::auth::TempDir;
use crate::support::mock_arm::*;
use azml_core::auth::{
    client_certificate, from_env_with, map_credential_error, workload_identity, AssertionSource,
    ClientAssertionCredential, ClientCertificate,
};
use azml_core::ErrorKind;
use azure_core::credentials::TokenCredential;
use base64::Engine as _;
use serde_json::{json, Value};
use sha2::Digest as _;

const SCOPE: &str = "https://management.azure.com/.default";
const PASSWORD: &str = "test-password";
const B64URL: base64::engine::GeneralPurpose = base64::engine::general_purpose::URL_SAFE_NO_PAD;

fn data(name: &str) -> PathBuf {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
        .join("tests/data/auth")
        .join(name)
}

fn form(r: &Req) -> HashMap<String, String> {
    url::form_urlencoded::parse(&r.body).into_owned().collect()
}

fn pem_block(path: &Path, label: &str) -> Vec<u8> {
    let text = std::fs::read_to_string(path).unwrap();
    let begin = format!("-----BEGIN {label}-----");
    let end = format!("-----END {label}-----");
    let start = text.find(&begin).unwrap() + begin.len();
    let stop = text.find(&end).unwrap();
    let b64: String = text[start..stop].split_whitespace().collect();
    base64::engine::general_purpose::STANDARD
        .decode(b64)
        .unwrap()
}

/// The RSA public key (PKCS#1 DER) of the test certificate, as ring verifies with it.
fn public_key() -> Vec<u8> {
    let der = pem_block(&data("client-pkcs8.pem"), "PRIVATE KEY");
    let kp = ring::signature::RsaKeyPair::from_pkcs8(&der).unwrap();
    ring::signature::KeyPair::public_key(&kp).as_ref().to_vec()
}

fn decode_part(part: &str) -> Value {
    serde_json::from_slice(&B64URL.decode(part).unwrap()).unwrap()
}

/// Checks a certificate assertion like Entra ID: signature, `x5t#S256`, audience, issuer.
/// Issues `cert-token-{n}` or answers 401.
async fn certificate_server() -> Mock {
    let key = public_key();
    let thumb = B64URL.encode(sha2::Sha256::digest(pem_block(
        &data("client-cert-only.pem"),
        "CERTIFICATE",
    )));
    mock(move |r| {
        let f = form(r);
        let token_url = format!("{}/tenant-1/oauth2/v2.0/token", r.base);
        let refuse = |why: &str| {
            reply(
                401,
                &[],
                Some(json!({"error": "invalid_client", "error_description": why})),
            )
        };
        if f.get("client_assertion_type").map(String::as_str)
            != Some("urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
            || f.get("grant_type").map(String::as_str) != Some("client_credentials")
        {
            return refuse("wrong grant");
        }
        let jwt = f.get("client_assertion").cloned().unwrap_or_default();
        let parts: Vec<&str> = jwt.split('.').collect();
        if parts.len() != 3 {
            return refuse("not a JWT");
        }
        let header = decode_part(parts[0]);
        let claims = decode_part(parts[1]);
        let sig = B64URL.decode(parts[2]).unwrap();
        let signed = format!("{}.{}", parts[0], parts[1]);
        let verify = ring::signature::UnparsedPublicKey::new(
            &ring::signature::RSA_PKCS1_2048_8192_SHA256,
            &key,
        )
        .verify(signed.as_bytes(), &sig);
        if verify.is_err() {
            return refuse("AADSTS700027: the signature does not verify");
        }
        if header["alg"] != "RS256" || header["x5t#S256"] != thumb.as_str() {
            return refuse("bad header");
        }
        if claims["aud"] != token_url.as_str()
            || claims["iss"] != "app-id"
            || claims["sub"] != "app-id"
            || !claims["jti"].is_string()
            || claims["exp"].as_i64().unwrap() <= claims["nbf"].as_i64().unwrap()
        {
            return refuse("bad claims");
        }
        reply(
            200,
            &[],
            Some(json!({"token_type": "Bearer", "access_token": format!("cert-token-{}", r.n), "expires_in": 3600})),
        )
    })
    .await
}

#[tokio::test]
async fn certificate_keys_in_every_supported_form_sign_a_valid_assertion() {
    let server = certificate_server().await;
    for (file, password) in [
        ("client-pkcs8.pem", None),
        ("client-pkcs1.pem", None),
        ("client-encrypted.pem", Some(PASSWORD)),
    ] {
        let cred = client_certificate(
            &server.base,
            "tenant-1",
            "app-id",
            &data(file),
            password,
            None,
        )
        .unwrap();
        let tok = cred.get_token(&[SCOPE], None).await;
        let tok = tok.unwrap_or_else(|e| panic!("{file}: {}", map_credential_error(e)));
        assert!(tok.token.secret().starts_with("cert-token-"), "{file}");
        // Cached: no second request.
        cred.get_token(&[SCOPE], None).await.unwrap();
        let debug = format!("{cred:?}");
        assert!(
            debug.contains("<redacted>") && !debug.contains("BEGIN"),
            "{debug}"
        );
    }
    assert_eq!(server.count(), 3);
    let f = form(&server.requests()[0]);
    assert_eq!(f["scope"], SCOPE);
    assert_eq!(f["client_id"], "app-id");
}

#[test]
fn bad_certificate_files_are_validation_errors_without_secrets() {
    let cases: [(&str, Option<&str>, &str); 6] = [
        ("client-encrypted.pem", None, "no password"),
        (
            "client-encrypted.pem",
            Some("Wrong-Pa55word"),
            "wrong password",
        ),
        ("client-mismatched.pem", None, "does not belong"),
        ("client-cert-only.pem", None, "no private key"),
        ("README.md", None, "no PEM block"),
        ("no-such-file.pem", None, "cannot read"),
    ];
    for (file, password, expect) in cases {
        let err = ClientCertificate::from_pem_file(&data(file), password).unwrap_err();
        assert_eq!(err.kind, ErrorKind::Validation, "{file}");
        assert!(err.message.contains(expect), "{file}: {}", err.message);
        assert!(!err.message.contains("Wrong-Pa55word"), "{}", err.message);
        assert!(!err.message.contains("MII"), "{}", err.message);
    }
    let cert = ClientCertificate::from_pem_file(&data("client-pkcs8.pem"), None).unwrap();
    let debug = format!("{cert:?}");
    assert!(debug.contains("<redacted>"), "{debug}");
    assert!(!debug.contains("MII"), "{debug}");
}

#[tokio::test]
async fn environment_selects_the_certificate() {
    let server = certificate_server().await;
    let path = data("client-encrypted.pem");
    let vars: HashMap<&str, String> = HashMap::from([
        ("AZURE_TENANT_ID", "tenant-1".to_string()),
        ("AZURE_CLIENT_ID", "app-id".to_string()),
        ("AZURE_CLIENT_CERTIFICATE_PATH", path.display().to_string()),
        ("AZURE_CLIENT_CERTIFICATE_PASSWORD", PASSWORD.to_string()),
        ("AZURE_AUTHORITY_HOST", server.base.clone()),
    ]);
    let cred = from_env_with(|k| vars.get(k).cloned()).unwrap();
    let tok = cred.get_token(&[SCOPE], None).await.unwrap();
    assert_eq!(tok.token.secret(), "cert-token-0");
    assert!(!format!("{cred:?}").contains(PASSWORD));
}

#[tokio::test]
async fn a_refused_certificate_is_an_authentication_error_without_the_assertion() {
    // The authority echoes the assertion back; it must not reach the error.
    let server = mock(|r| {
        let f = form(r);
        reply(
            401,
            &[],
            Some(json!({"error": "invalid_client", "error_description": format!("AADSTS700027: bad assertion {}", f["client_assertion"])})),
        )
    })
    .await;
    let cred = client_certificate(
        &server.base,
        "tenant-1",
        "app-id",
        &data("client-pkcs8.pem"),
        None,
        None,
    )
    .unwrap();
    let err = map_credential_error(cred.get_token(&[SCOPE], None).await.unwrap_err());
    assert_eq!(err.kind, ErrorKind::Authentication);
    assert_eq!(err.status, Some(401));
    assert!(err.message.contains("AADSTS700027"), "{}", err.message);
    assert!(err.message.contains("<redacted>"), "{}", err.message);
    assert!(!err.message.contains("eyJ"), "{}", err.message);
}

/// Accepts the federated token `fed-{k}` and issues `wi-token-{k}`.
async fn federated_server() -> Mock {
    mock(|r| {
        let f = form(r);
        let assertion = f.get("client_assertion").cloned().unwrap_or_default();
        if r.path != "/tenant-1/oauth2/v2.0/token"
            || f.get("client_assertion_type").map(String::as_str)
                != Some("urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
            || !assertion.starts_with("fed-")
        {
            return reply(
                400,
                &[],
                Some(json!({"error": "invalid_request", "error_description": format!("AADSTS70021: no match for {assertion}")})),
            );
        }
        reply(
            200,
            &[],
            Some(json!({"access_token": format!("wi-token-{}", &assertion[4..]), "expires_in": "3600"})),
        )
    })
    .await
}

#[tokio::test]
async fn workload_identity_rereads_the_token_file_on_each_request() {
    let server = federated_server().await;
    let dir = TempDir::new();
    let file = dir.join("token");
    std::fs::write(&file, "fed-one\n").unwrap();
    let cred = ClientAssertionCredential::new(
        &server.base,
        "tenant-1",
        "app-id",
        AssertionSource::TokenFile(file.clone()),
        None,
    )
    .unwrap();
    let t = cred.get_token(&[SCOPE], None).await.unwrap();
    assert_eq!(t.token.secret(), "wi-token-one");
    // The platform rotates the file; the next request uses the new content.
    std::fs::write(&file, "fed-two").unwrap();
    let t = cred.get_token(&[SCOPE], None).await.unwrap();
    assert_eq!(t.token.secret(), "wi-token-two");
    assert_eq!(form(&server.requests()[1])["client_assertion"], "fed-two");

    // A refused token is an authentication error without the federated token.
    std::fs::write(&file, "bogus-federated-value").unwrap();
    let err = map_credential_error(cred.get_token(&[SCOPE], None).await.unwrap_err());
    assert_eq!(err.kind, ErrorKind::Authentication);
    assert!(err.message.contains("AADSTS70021"), "{}", err.message);
    assert!(
        !err.message.contains("bogus-federated-value"),
        "{}",
        err.message
    );

    std::fs::remove_file(&file).unwrap();
    let err = map_credential_error(cred.get_token(&[SCOPE], None).await.unwrap_err());
    assert!(err.message.contains("cannot read the federated token file"));
    assert_eq!(server.count(), 3);
}

#[tokio::test]
async fn environment_selects_workload_identity() {
    let server = federated_server().await;
    let dir = TempDir::new();
    let file = dir.join("token");
    std::fs::write(&file, "fed-env").unwrap();
    let vars: HashMap<&str, String> = HashMap::from([
        ("AZURE_TENANT_ID", "tenant-1".to_string()),
        ("AZURE_CLIENT_ID", "app-id".to_string()),
        ("AZURE_FEDERATED_TOKEN_FILE", file.display().to_string()),
        ("AZURE_AUTHORITY_HOST", server.base.clone()),
    ]);
    let cred = from_env_with(|k| vars.get(k).cloned()).unwrap();
    assert_eq!(
        cred.get_token(&[SCOPE], None).await.unwrap().token.secret(),
        "wi-token-env"
    );
    let cached = workload_identity(&server.base, "tenant-1", "app-id", &file, None).unwrap();
    cached.get_token(&[SCOPE], None).await.unwrap();
    cached.get_token(&[SCOPE], None).await.unwrap();
    assert_eq!(server.count(), 2);
}
