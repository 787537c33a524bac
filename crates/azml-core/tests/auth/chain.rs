//! The default chain: order, one error listing every link, first success remembered, IMDS
//! never probed unless explicitly allowed (and never here).

use std::sync::Arc;

use crate::support::auth::{env_of, form_of, script, TempDir};
use crate::support::mock_arm::*;
use azml_core::auth::chain::{AZURE_CLI, ENVIRONMENT, MANAGED_IDENTITY, WORKLOAD_IDENTITY};
use azml_core::auth::{map_credential_error, ChainOptions, DefaultChain, StaticTokenCredential};
use azml_core::ErrorKind;
use azure_core::credentials::TokenCredential;
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

/// Every link configured: a client secret and a federated token file (both at `authority`),
/// and an App Service managed identity endpoint at `mi`.
fn everything_configured(
    dir: &TempDir,
    authority: &str,
    mi_endpoint: &str,
) -> Vec<(&'static str, String)> {
    let token_file = dir.join("federated-token");
    std::fs::write(&token_file, "federated.jwt.token").unwrap();
    vec![
        ("AZURE_TENANT_ID", "env-tenant".to_string()),
        ("AZURE_CLIENT_ID", "env-app".to_string()),
        ("AZURE_CLIENT_SECRET", SECRET.to_string()),
        ("AZURE_AUTHORITY_HOST", authority.to_string()),
        (
            "AZURE_FEDERATED_TOKEN_FILE",
            token_file.display().to_string(),
        ),
        ("IDENTITY_ENDPOINT", mi_endpoint.to_string()),
        ("IDENTITY_HEADER", "hdr-secret".to_string()),
    ]
}

fn lookup_of(vars: Vec<(&'static str, String)>) -> impl Fn(&str) -> Option<String> {
    move |k| vars.iter().find(|(n, _)| *n == k).map(|(_, v)| v.clone())
}

async fn token_authority() -> Mock {
    mock(|_| {
        reply(
            200,
            &[],
            Some(
                json!({"access_token": "entra-token", "expires_in": 3600, "token_type": "Bearer"}),
            ),
        )
    })
    .await
}

async fn mi_endpoint() -> (Mock, String) {
    let server = mock(|_| {
        reply(
            200,
            &[],
            Some(json!({"access_token": "mi-token", "expires_on": "4000000000"})),
        )
    })
    .await;
    let endpoint = format!("{}/msi/token", server.base);
    (server, endpoint)
}

#[tokio::test]
async fn each_exclusion_removes_its_link_even_when_configured() {
    let authority = token_authority().await;
    let (mi, endpoint) = mi_endpoint().await;
    let dir = TempDir::new();
    let vars = everything_configured(&dir, &authority.base, &endpoint);
    let az = working_az(&dir);
    let all = [ENVIRONMENT, WORKLOAD_IDENTITY, MANAGED_IDENTITY, AZURE_CLI];
    // (options, the link that must then answer, the token it gives)
    type Case = (fn(&mut ChainOptions), &'static str, &'static str);
    let cases: [Case; 4] = [
        (|_| {}, ENVIRONMENT, "entra-token"),
        (
            |o| o.exclude_environment = true,
            WORKLOAD_IDENTITY,
            "entra-token",
        ),
        (
            |o| {
                o.exclude_environment = true;
                o.exclude_workload_identity = true;
            },
            MANAGED_IDENTITY,
            "mi-token",
        ),
        (
            |o| {
                o.exclude_environment = true;
                o.exclude_workload_identity = true;
                o.exclude_managed_identity = true;
            },
            AZURE_CLI,
            "cli-token",
        ),
    ];
    for (set, expected, token) in cases {
        let mut options = ChainOptions {
            az_program: Some(az.clone()),
            ..Default::default()
        };
        set(&mut options);
        let (before_authority, before_mi) = (authority.count(), mi.count());
        let chain = DefaultChain::from_env_with(lookup_of(vars.clone()), options.clone());
        let kept: Vec<&str> = all
            .iter()
            .copied()
            .filter(|n| !options.excluded().contains(n))
            .collect();
        assert_eq!(chain.link_names(), kept);
        let t = chain.get_token(&[SCOPE], None).await.unwrap();
        assert_eq!(t.token.secret(), token, "{expected}");
        assert_eq!(chain.chosen(), Some(expected));
        // The excluded links sent nothing.
        let asked_authority = authority.count() - before_authority;
        let asked_mi = mi.count() - before_mi;
        match expected {
            ENVIRONMENT | WORKLOAD_IDENTITY => assert_eq!((asked_authority, asked_mi), (1, 0)),
            MANAGED_IDENTITY => assert_eq!((asked_authority, asked_mi), (0, 1)),
            _ => assert_eq!((asked_authority, asked_mi), (0, 0)),
        }
    }
    // The workload identity link answered with the federated token, not the secret.
    let wi = &authority.requests()[1];
    let form = form_of(&wi.body);
    assert_eq!(form["client_assertion"], "federated.jwt.token");
    assert!(!form.contains_key("client_secret"));
}

#[tokio::test]
async fn the_error_omits_excluded_links_and_names_them_once() {
    let dir = TempDir::new();
    let options = ChainOptions {
        az_program: Some(failing_az(&dir)),
        exclude_environment: true,
        exclude_managed_identity: true,
        ..Default::default()
    };
    let chain = DefaultChain::from_env_with(env_of(&[]), options);
    assert_eq!(chain.link_names(), [WORKLOAD_IDENTITY, AZURE_CLI]);
    let err = map_credential_error(chain.get_token(&[SCOPE], None).await.unwrap_err());
    let m = &err.message;
    assert!(!m.contains("EnvironmentCredential:"), "{m}");
    assert!(!m.contains("ManagedIdentityCredential:"), "{m}");
    assert!(!m.contains("IMDS"), "{m}");
    assert!(
        m.contains("WorkloadIdentityCredential: not configured"),
        "{m}"
    );
    assert!(m.contains("AzureCliCredential: "), "{m}");
    assert!(
        m.ends_with("\nExcluded by the options: EnvironmentCredential, ManagedIdentityCredential"),
        "{m}"
    );
    // Without exclusions there is no such line.
    let chain = DefaultChain::from_env_with(
        env_of(&[]),
        ChainOptions {
            az_program: Some(failing_az(&dir)),
            ..Default::default()
        },
    );
    let err = map_credential_error(chain.get_token(&[SCOPE], None).await.unwrap_err());
    assert!(!err.message.contains("Excluded"), "{}", err.message);
}

#[test]
fn excluding_every_link_is_a_validation_error() {
    let mut options = ChainOptions {
        exclude_environment: true,
        exclude_workload_identity: true,
        exclude_managed_identity: true,
        exclude_cli: true,
        ..Default::default()
    };
    let err = options.check().unwrap_err();
    assert_eq!(err.kind, ErrorKind::Validation);
    assert!(err.message.contains("every credential"), "{}", err.message);
    options.exclude_cli = false;
    assert!(options.check().is_ok());
    assert!(ChainOptions::default().check().is_ok());
}

#[tokio::test]
async fn managed_identity_client_id_picks_the_user_assigned_identity() {
    let (mi, endpoint) = mi_endpoint().await;
    let vars = vec![
        ("AZURE_CLIENT_ID", "env-app".to_string()),
        ("IDENTITY_ENDPOINT", endpoint),
        ("IDENTITY_HEADER", "hdr-secret".to_string()),
    ];
    for (option, expected) in [(None, "env-app"), (Some("mi-app"), "mi-app")] {
        let chain = DefaultChain::from_env_with(
            lookup_of(vars.clone()),
            ChainOptions {
                exclude_cli: true,
                managed_identity_client_id: option.map(String::from),
                ..Default::default()
            },
        );
        chain.get_token(&[SCOPE], None).await.unwrap();
        let last = mi.requests().pop().unwrap();
        let query: Vec<(String, String)> = url::form_urlencoded::parse(last.query.as_bytes())
            .into_owned()
            .collect();
        assert!(
            query.contains(&("client_id".to_string(), expected.to_string())),
            "{option:?}: {query:?}"
        );
    }
}

#[tokio::test]
async fn workload_identity_client_and_tenant_options_win_over_the_environment() {
    let authority = token_authority().await;
    let dir = TempDir::new();
    let token_file = dir.join("federated-token");
    std::fs::write(&token_file, "federated.jwt.token").unwrap();
    let vars = vec![
        ("AZURE_TENANT_ID", "env-tenant".to_string()),
        ("AZURE_CLIENT_ID", "env-app".to_string()),
        ("AZURE_AUTHORITY_HOST", authority.base.clone()),
        (
            "AZURE_FEDERATED_TOKEN_FILE",
            token_file.display().to_string(),
        ),
    ];
    // (workload_identity_client_id, managed_identity_client_id, workload_identity_tenant_id)
    // → the client and tenant the token request names; azure-identity's fallback order.
    let cases = [
        ((None, None, None), ("env-app", "env-tenant")),
        ((None, Some("mi-app"), None), ("mi-app", "env-tenant")),
        (
            (Some("wi-app"), Some("mi-app"), Some("wi-tenant")),
            ("wi-app", "wi-tenant"),
        ),
    ];
    for ((wi_client, mi_client, wi_tenant), (client, tenant)) in cases {
        let chain = DefaultChain::from_env_with(
            lookup_of(vars.clone()),
            ChainOptions {
                exclude_environment: true,
                exclude_managed_identity: true,
                exclude_cli: true,
                workload_identity_client_id: wi_client.map(String::from),
                managed_identity_client_id: mi_client.map(String::from),
                workload_identity_tenant_id: wi_tenant.map(String::from),
                ..Default::default()
            },
        );
        chain.get_token(&[SCOPE], None).await.unwrap();
        assert_eq!(chain.chosen(), Some(WORKLOAD_IDENTITY));
        let last = authority.requests().pop().unwrap();
        assert!(
            last.path.starts_with(&format!("/{tenant}/")),
            "{}",
            last.path
        );
        assert_eq!(form_of(&last.body)["client_id"], client);
    }
    // The options alone (no AZURE_TENANT_ID / AZURE_CLIENT_ID) configure the link.
    let chain = DefaultChain::from_env_with(
        lookup_of(vec![
            ("AZURE_AUTHORITY_HOST", authority.base.clone()),
            (
                "AZURE_FEDERATED_TOKEN_FILE",
                token_file.display().to_string(),
            ),
        ]),
        ChainOptions {
            exclude_cli: true,
            workload_identity_client_id: Some("wi-app".into()),
            workload_identity_tenant_id: Some("wi-tenant".into()),
            ..Default::default()
        },
    );
    chain.get_token(&[SCOPE], None).await.unwrap();
    assert_eq!(chain.chosen(), Some(WORKLOAD_IDENTITY));
}

#[tokio::test]
async fn a_claims_challenge_gets_a_new_token_and_the_claims_reach_the_authority() {
    use azml_core::auth::cache::ClaimsChallenge;
    use azml_core::auth::Cached;
    let authority = token_authority().await;
    let dir = TempDir::new();
    let token_file = dir.join("federated-token");
    std::fs::write(&token_file, "federated.jwt.token").unwrap();
    let claims = r#"{"access_token":{"nbf":{"essential":true,"value":"1700000000"}}}"#;
    // The secret (environment link), then the federated token (workload identity link).
    for exclude_environment in [false, true] {
        let before = authority.count();
        let chain = Cached::new(DefaultChain::from_env_with(
            env_of(&[
                ("AZURE_TENANT_ID", "tenant-1"),
                ("AZURE_CLIENT_ID", "app-id"),
                ("AZURE_CLIENT_SECRET", SECRET),
                ("AZURE_AUTHORITY_HOST", authority.base.as_str()),
                (
                    "AZURE_FEDERATED_TOKEN_FILE",
                    &token_file.display().to_string(),
                ),
            ]),
            ChainOptions {
                exclude_environment,
                exclude_cli: true,
                ..Default::default()
            },
        ));
        chain.get_token(&[SCOPE], None).await.unwrap();
        chain.get_token(&[SCOPE], None).await.unwrap();
        assert_eq!(authority.count() - before, 1, "cached");
        let options = ClaimsChallenge::options(claims);
        chain.get_token(&[SCOPE], Some(options)).await.unwrap();
        assert_eq!(
            authority.count() - before,
            2,
            "the challenge skipped the cache"
        );
        let requests = authority.requests();
        let (first, last) = (&requests[before], &requests[before + 1]);
        assert!(!form_of(&first.body).contains_key("claims"));
        let form = form_of(&last.body);
        assert_eq!(form["claims"], claims);
        assert_eq!(
            form.contains_key("client_assertion"),
            exclude_environment,
            "{form:?}"
        );
    }
}
