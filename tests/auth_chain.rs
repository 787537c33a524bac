//! The default chain: order, one error listing every link, first success remembered, IMDS
//! never probed unless explicitly allowed (and never here).

mod auth_support;
mod common;

use std::sync::Arc;

use _azml::auth::chain::{AZURE_CLI, ENVIRONMENT, MANAGED_IDENTITY, WORKLOAD_IDENTITY};
use _azml::auth::{map_credential_error, ChainOptions, DefaultChain, StaticTokenCredential};
use _azml::ErrorKind;
use auth_support::{env_of, form_of, script, TempDir};
use azure_core::credentials::TokenCredential;
use common::*;
use serde_json::json;

const SCOPE: &str = "https://management.azure.com/.default";
const SECRET: &str = "Chain-Client-Secret-789";

fn failing_az(dir: &TempDir) -> std::path::PathBuf {
    script(
        dir,
        "az",
        &format!(
            "echo run >> '{}'\necho \"ERROR: Please run 'az login' to setup account.\" >&2\nexit 1",
            dir.join("calls").display()
        ),
    )
}

fn working_az(dir: &TempDir) -> std::path::PathBuf {
    script(
        dir,
        "az",
        &format!(
            "echo run >> '{}'\necho '{{\"accessToken\": \"cli-token\", \"expires_on\": 4000000000}}'",
            dir.join("calls").display()
        ),
    )
}

fn az_calls(dir: &TempDir) -> usize {
    std::fs::read_to_string(dir.join("calls"))
        .map(|s| s.lines().count())
        .unwrap_or(0)
}

#[tokio::test]
async fn nothing_configured_lists_every_link_and_never_builds_imds() {
    let dir = TempDir::new();
    let options = ChainOptions {
        az_program: Some(failing_az(&dir)),
        ..Default::default()
    };
    let chain = DefaultChain::from_env_with(env_of(&[]), options);
    assert_eq!(
        chain.link_names(),
        [ENVIRONMENT, WORKLOAD_IDENTITY, MANAGED_IDENTITY, AZURE_CLI]
    );
    let err = map_credential_error(chain.get_token(&[SCOPE], None).await.unwrap_err());
    assert_eq!(err.kind, ErrorKind::Authentication);
    let m = &err.message;
    for expected in [
        "EnvironmentCredential: not configured: AZURE_TENANT_ID, AZURE_CLIENT_ID not set",
        "WorkloadIdentityCredential: not configured: AZURE_TENANT_ID, AZURE_CLIENT_ID, \
         AZURE_FEDERATED_TOKEN_FILE not set",
        "ManagedIdentityCredential: no IDENTITY_ENDPOINT",
        "IMDS is not probed",
        "AzureCliCredential: ",
        "az login",
    ] {
        assert!(m.contains(expected), "missing {expected:?} in:\n{m}");
    }
    // Order of the report follows the chain.
    let pos = |s: &str| m.find(s).unwrap();
    assert!(pos(ENVIRONMENT) < pos(WORKLOAD_IDENTITY));
    assert!(pos(WORKLOAD_IDENTITY) < pos("ManagedIdentityCredential:"));
    assert!(pos("ManagedIdentityCredential:") < pos("AzureCliCredential:"));
    // Unconfigured links are not asked; only az ran.
    assert_eq!(
        chain.attempts(),
        [
            (ENVIRONMENT, 0),
            (WORKLOAD_IDENTITY, 0),
            (MANAGED_IDENTITY, 0),
            (AZURE_CLI, 1)
        ]
    );
    assert_eq!(az_calls(&dir), 1);
}

#[tokio::test]
async fn imds_stays_out_when_disabled_even_if_allowed() {
    let dir = TempDir::new();
    for vars in [
        &[("AZML_DISABLE_IMDS", "1")][..],
        &[("PYTEST_CURRENT_TEST", "test_x.py::test_y (call)")][..],
    ] {
        let chain = DefaultChain::from_env_with(
            env_of(vars),
            ChainOptions {
                allow_imds: true,
                az_program: Some(failing_az(&dir)),
                ..Default::default()
            },
        );
        assert!(
            !chain.link_names().iter().any(|n| n.contains("IMDS")),
            "{:?}",
            chain.link_names()
        );
        let err = map_credential_error(chain.get_token(&[SCOPE], None).await.unwrap_err());
        assert!(
            err.message.contains("IMDS is not probed"),
            "{}",
            err.message
        );
        assert!(!format!("{chain:?}").contains("IMDS"));
    }
}

#[tokio::test]
async fn failing_links_are_reported_and_the_first_success_is_remembered() {
    // The environment's client secret is refused; the CLI works.
    let authority = mock(|r| {
        let f = form_of(&r.body);
        reply(
            401,
            &[],
            Some(json!({"error": "invalid_client", "error_description": format!("AADSTS7000215: Invalid client secret {}", f["client_secret"])})),
        )
    })
    .await;
    let dir = TempDir::new();
    let vars = [
        ("AZURE_TENANT_ID", "tenant-1"),
        ("AZURE_CLIENT_ID", "app-id"),
        ("AZURE_CLIENT_SECRET", SECRET),
        ("AZURE_AUTHORITY_HOST", authority.base.as_str()),
    ];
    let chain = DefaultChain::from_env_with(
        env_of(&vars),
        ChainOptions {
            az_program: Some(working_az(&dir)),
            ..Default::default()
        },
    );
    assert!(!format!("{chain:?}").contains(SECRET));
    let t = chain.get_token(&[SCOPE], None).await.unwrap();
    assert_eq!(t.token.secret(), "cli-token");
    assert_eq!(chain.chosen(), Some(AZURE_CLI));
    // Later calls go straight to the link that worked.
    chain.get_token(&[SCOPE], None).await.unwrap();
    assert_eq!(authority.count(), 1);
    assert_eq!(az_calls(&dir), 2);

    // With the CLI failing too, the error names both reasons and not the secret.
    let dir2 = TempDir::new();
    let chain = DefaultChain::from_env_with(
        env_of(&vars),
        ChainOptions {
            az_program: Some(failing_az(&dir2)),
            ..Default::default()
        },
    );
    let err = map_credential_error(chain.get_token(&[SCOPE], None).await.unwrap_err());
    assert!(
        err.message
            .contains("EnvironmentCredential: ClientSecretCredential authentication failed"),
        "{}",
        err.message
    );
    assert!(err.message.contains("AADSTS7000215"), "{}", err.message);
    assert!(err.message.contains("az login"), "{}", err.message);
    assert!(!err.to_string().contains(SECRET), "{err}");
    assert!(!format!("{err:?}").contains(SECRET));
}

#[tokio::test]
async fn a_bad_certificate_is_reported_as_that_links_reason() {
    let chain = DefaultChain::from_env_with(
        env_of(&[
            ("AZURE_TENANT_ID", "t"),
            ("AZURE_CLIENT_ID", "c"),
            ("AZURE_CLIENT_CERTIFICATE_PATH", "/nonexistent/cert.pem"),
        ]),
        ChainOptions {
            exclude_cli: true,
            ..Default::default()
        },
    );
    assert_eq!(chain.link_names().len(), 3);
    let err = map_credential_error(chain.get_token(&[SCOPE], None).await.unwrap_err());
    assert!(
        err.message
            .contains("EnvironmentCredential: cannot read the client certificate"),
        "{}",
        err.message
    );
}

#[tokio::test]
async fn managed_identity_link_is_used_when_announced() {
    let server = mock(|_| {
        reply(
            200,
            &[],
            Some(json!({"access_token": "mi-token", "expires_on": "4000000000"})),
        )
    })
    .await;
    let endpoint = format!("{}/msi/token", server.base);
    let chain = DefaultChain::from_env_with(
        env_of(&[
            ("IDENTITY_ENDPOINT", endpoint.as_str()),
            ("IDENTITY_HEADER", "hdr-secret"),
        ]),
        ChainOptions {
            exclude_cli: true,
            ..Default::default()
        },
    );
    let t = chain.get_token(&[SCOPE], None).await.unwrap();
    assert_eq!(t.token.secret(), "mi-token");
    assert_eq!(chain.chosen(), Some(MANAGED_IDENTITY));
}

#[tokio::test]
async fn explicit_links_are_tried_in_order() {
    let exp = time::OffsetDateTime::now_utc() + time::Duration::hours(1);
    let expired = time::OffsetDateTime::now_utc() - time::Duration::hours(1);
    let chain = DefaultChain::new(vec![
        (
            "first",
            Arc::new(StaticTokenCredential::new("old", expired)),
        ),
        ("second", Arc::new(StaticTokenCredential::new("new", exp))),
    ]);
    assert_eq!(
        chain
            .get_token(&[SCOPE], None)
            .await
            .unwrap()
            .token
            .secret(),
        "new"
    );
    assert_eq!(chain.attempts(), [("first", 1), ("second", 1)]);
}
