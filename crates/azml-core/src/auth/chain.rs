//! The default credential chain. Order:
//!
//! 1. environment: `AZURE_TENANT_ID` + `AZURE_CLIENT_ID` + `AZURE_CLIENT_SECRET`, or
//!    `AZURE_CLIENT_CERTIFICATE_PATH` (+ `AZURE_CLIENT_CERTIFICATE_PASSWORD`);
//! 2. workload identity: `AZURE_TENANT_ID` + `AZURE_CLIENT_ID` + `AZURE_FEDERATED_TOKEN_FILE`;
//! 3. managed identity: `IDENTITY_ENDPOINT` + `IDENTITY_HEADER`, or `MSI_ENDPOINT`; the VM
//!    metadata service (IMDS) only when [`ChainOptions::allow_imds`] is set and neither
//!    `AZML_DISABLE_IMDS=1` nor a test run forbids it;
//! 4. the Azure CLI (`az account get-access-token`).
//!
//! A link that is not configured is skipped without a request. The first link that yields
//! a token is remembered and used alone from then on; when none does, one
//! [`ErrorKind::Authentication`] error lists why each failed.
//!
//! Each link can be left out ([`ChainOptions`], named like azure-identity's
//! `exclude_*_credential` keywords). An excluded link is not built at all (its variables are
//! not even read), is absent from [`DefaultChain::link_names`] and from the per-link
//! reasons; the error only ends with one line naming what was excluded, so that a reader
//! does not wonder why a configured link was not tried.

use std::fmt;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use azure_core::credentials::{AccessToken, TokenCredential, TokenRequestOptions};

use super::client_assertion::{AssertionSource, ClientAssertionCredential, ClientCertificate};
use super::managed_identity::{imds_disabled_by_env, ManagedIdentityCredential};
use super::{map_credential_error, to_azure_error, AzureCliCredential, ClientSecretCredential};
use crate::error::{Error, ErrorKind, Result};

/// Choices for [`DefaultChain::from_env_with`].
#[derive(Debug, Clone, Default)]
pub struct ChainOptions {
    /// Let the managed-identity link fall back to IMDS (169.254.169.254) when no App
    /// Service endpoint is announced. Off by default; ignored under `AZML_DISABLE_IMDS=1`.
    pub allow_imds: bool,
    /// The az executable (default `az` from `PATH`).
    pub az_program: Option<PathBuf>,
    /// Extra CA certificate for the token authority (also read from `AZML_CA_FILE`).
    pub ca_file: Option<PathBuf>,
    /// Leave out the Azure CLI link (azure-identity: `exclude_cli_credential`).
    pub exclude_cli: bool,
    /// Leave out the environment link (`exclude_environment_credential`).
    pub exclude_environment: bool,
    /// Leave out the workload identity link (`exclude_workload_identity_credential`).
    pub exclude_workload_identity: bool,
    /// Leave out the managed identity link, IMDS included
    /// (`exclude_managed_identity_credential`).
    pub exclude_managed_identity: bool,
    /// The user-assigned managed identity to ask for, instead of `AZURE_CLIENT_ID`
    /// (`managed_identity_client_id`).
    pub managed_identity_client_id: Option<String>,
    /// The application the workload identity link signs in as, instead of
    /// `managed_identity_client_id` or else `AZURE_CLIENT_ID` (`workload_identity_client_id`;
    /// the same fallback order as azure-identity).
    pub workload_identity_client_id: Option<String>,
    /// The tenant of the workload identity link, instead of `AZURE_TENANT_ID`
    /// (`workload_identity_tenant_id`).
    pub workload_identity_tenant_id: Option<String>,
}

impl ChainOptions {
    /// The links these options leave out, in chain order.
    pub fn excluded(&self) -> Vec<&'static str> {
        [
            (self.exclude_environment, ENVIRONMENT),
            (self.exclude_workload_identity, WORKLOAD_IDENTITY),
            (self.exclude_managed_identity, MANAGED_IDENTITY),
            (self.exclude_cli, AZURE_CLI),
        ]
        .into_iter()
        .filter(|(excluded, _)| *excluded)
        .map(|(_, name)| name)
        .collect()
    }

    /// A [`ErrorKind::Validation`] error when every link is excluded (a chain that can never
    /// yield a token), before anything is built.
    pub fn check(&self) -> Result<()> {
        if self.excluded().len() == 4 {
            return Err(Error::validation(
                "DefaultAzureCredential: every credential of the chain is excluded \
                 (environment, workload identity, managed identity, Azure CLI); keep at least one",
            ));
        }
        Ok(())
    }
}

struct Link {
    name: &'static str,
    credential: std::result::Result<Arc<dyn TokenCredential>, String>,
    attempts: AtomicUsize,
}

/// See the module documentation for the order.
pub struct DefaultChain {
    links: Vec<Link>,
    chosen: Mutex<Option<usize>>,
    /// Names of the links the options left out, for the error's last line.
    excluded: Vec<&'static str>,
}

impl fmt::Debug for DefaultChain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let links: Vec<String> = self
            .links
            .iter()
            .map(|l| match &l.credential {
                Ok(_) => l.name.to_string(),
                Err(_) => format!("{} (unavailable)", l.name),
            })
            .collect();
        f.debug_struct("DefaultChain")
            .field("links", &links)
            .finish()
    }
}

pub const ENVIRONMENT: &str = "EnvironmentCredential";
pub const WORKLOAD_IDENTITY: &str = "WorkloadIdentityCredential";
pub const MANAGED_IDENTITY: &str = "ManagedIdentityCredential";
pub const MANAGED_IDENTITY_IMDS: &str = "ManagedIdentityCredential (IMDS)";
pub const AZURE_CLI: &str = "AzureCliCredential";

type Built = std::result::Result<Arc<dyn TokenCredential>, String>;

fn reason(e: Error) -> String {
    e.message
}

impl DefaultChain {
    /// The chain from the process environment with default options (no IMDS).
    pub fn from_env() -> Self {
        Self::from_env_with(|k| std::env::var(k).ok(), ChainOptions::default())
    }

    /// The chain with variables read through `lookup`. Never fails: a link that cannot be
    /// built records why and is reported if no link succeeds.
    pub fn from_env_with(lookup: impl Fn(&str) -> Option<String>, options: ChainOptions) -> Self {
        let get = |k: &str| lookup(k).filter(|v| !v.trim().is_empty());
        let authority =
            get("AZURE_AUTHORITY_HOST").unwrap_or_else(|| super::DEFAULT_AUTHORITY_HOST.into());
        let authority = authority.trim();
        let ca_file = options
            .ca_file
            .clone()
            .or_else(|| get("AZML_CA_FILE").map(PathBuf::from));
        let ca = ca_file.as_deref();
        let tenant = get("AZURE_TENANT_ID").map(|s| s.trim().to_string());
        let client = get("AZURE_CLIENT_ID").map(|s| s.trim().to_string());
        let given = |v: &Option<String>| {
            v.as_deref()
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_string)
        };
        let mi_client = given(&options.managed_identity_client_id).or_else(|| client.clone());
        let wi_client = given(&options.workload_identity_client_id)
            .or_else(|| given(&options.managed_identity_client_id))
            .or_else(|| client.clone());
        let wi_tenant = given(&options.workload_identity_tenant_id).or_else(|| tenant.clone());

        let mut links = Vec::new();
        if !options.exclude_environment {
            links.push(Link::new(
                ENVIRONMENT,
                environment_link(&get, authority, ca, &tenant, &client),
            ));
        }
        if !options.exclude_workload_identity {
            let token_file = get("AZURE_FEDERATED_TOKEN_FILE");
            let workload: Built = match (&wi_tenant, &wi_client, &token_file) {
                (Some(t), Some(c), Some(f)) if super::azidentity::supports_authority(authority) => {
                    super::token_http(ca)
                        .and_then(|http| {
                            super::azidentity::workload_identity(
                                authority,
                                t,
                                c,
                                f.trim().as_ref(),
                                http,
                            )
                        })
                        .map_err(reason)
                }
                (Some(t), Some(c), Some(f)) => ClientAssertionCredential::new(
                    authority,
                    t,
                    c,
                    AssertionSource::TokenFile(PathBuf::from(f.trim())),
                    ca,
                )
                .map(|x| Arc::new(x) as Arc<dyn TokenCredential>)
                .map_err(reason),
                _ => Err(missing(&[
                    ("AZURE_TENANT_ID", &wi_tenant),
                    ("AZURE_CLIENT_ID", &wi_client),
                    ("AZURE_FEDERATED_TOKEN_FILE", &token_file),
                ])),
            };
            links.push(Link::new(WORKLOAD_IDENTITY, workload));
        }
        if !options.exclude_managed_identity {
            links.push(managed_identity_link(&lookup, &options, mi_client));
        }
        if !options.exclude_cli {
            let cli = match &options.az_program {
                Some(p) => AzureCliCredential::with_program(p),
                None => AzureCliCredential::new(),
            };
            links.push(Link::new(AZURE_CLI, Ok(Arc::new(cli))));
        }
        DefaultChain {
            links,
            chosen: Mutex::new(None),
            excluded: options.excluded(),
        }
    }

    /// A chain of given credentials, tried in order.
    pub fn new(links: Vec<(&'static str, Arc<dyn TokenCredential>)>) -> Self {
        DefaultChain {
            links: links
                .into_iter()
                .map(|(name, c)| Link::new(name, Ok(c)))
                .collect(),
            chosen: Mutex::new(None),
            excluded: Vec::new(),
        }
    }

    /// The links' names, in order (an unavailable link is listed too).
    pub fn link_names(&self) -> Vec<&'static str> {
        self.links.iter().map(|l| l.name).collect()
    }

    /// How many times each link was asked for a token (unavailable links never are).
    pub fn attempts(&self) -> Vec<(&'static str, usize)> {
        self.links
            .iter()
            .map(|l| (l.name, l.attempts.load(Ordering::SeqCst)))
            .collect()
    }

    /// The link that succeeded first, once one has.
    pub fn chosen(&self) -> Option<&'static str> {
        let i = (*self.chosen.lock().unwrap_or_else(|e| e.into_inner()))?;
        Some(self.links[i].name)
    }

    async fn request_token(
        &self,
        scopes: &[&str],
        options: Option<TokenRequestOptions<'_>>,
    ) -> Result<AccessToken> {
        let chosen = *self.chosen.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(i) = chosen {
            let link = &self.links[i];
            let cred = link
                .credential
                .as_ref()
                .expect("a chosen link is available");
            link.attempts.fetch_add(1, Ordering::SeqCst);
            return cred
                .get_token(scopes, options)
                .await
                .map_err(map_credential_error);
        }
        let mut reasons = Vec::new();
        for (i, link) in self.links.iter().enumerate() {
            match &link.credential {
                Err(why) => reasons.push(format!("{}: {why}", link.name)),
                Ok(cred) => {
                    link.attempts.fetch_add(1, Ordering::SeqCst);
                    match cred.get_token(scopes, options.clone()).await {
                        Ok(token) => {
                            *self.chosen.lock().unwrap_or_else(|e| e.into_inner()) = Some(i);
                            return Ok(token);
                        }
                        Err(e) => {
                            // Bad input (e.g. two scopes for a resource-based link) fails the
                            // same way on every link: report it as it is.
                            if let Some(ours) = e.downcast_ref::<Error>() {
                                if ours.kind == ErrorKind::Validation {
                                    return Err(ours.clone());
                                }
                            }
                            let e = map_credential_error(e);
                            reasons.push(format!("{}: {}", link.name, e.message));
                        }
                    }
                }
            }
        }
        let mut message = if reasons.is_empty() {
            "DefaultChain: no credential could get a token: the chain has no link".to_string()
        } else {
            format!(
                "DefaultChain: no credential could get a token. Tried, in order:\n- {}",
                reasons.join("\n- ")
            )
        };
        if !self.excluded.is_empty() {
            message.push_str(&format!(
                "\nExcluded by the options: {}",
                self.excluded.join(", ")
            ));
        }
        Err(Error::new(ErrorKind::Authentication, message))
    }
}

/// The environment link: a client secret or certificate from the variables.
fn environment_link(
    get: &dyn Fn(&str) -> Option<String>,
    authority: &str,
    ca: Option<&std::path::Path>,
    tenant: &Option<String>,
    client: &Option<String>,
) -> Built {
    match (tenant, client) {
        (Some(t), Some(c)) => {
            if let Some(secret) = get("AZURE_CLIENT_SECRET") {
                // azure_identity at https authorities; ours at http (the plain
                // emulator), where azure_identity refuses to sign in.
                if super::azidentity::supports_authority(authority) {
                    super::token_http(ca)
                        .and_then(|http| {
                            super::azidentity::client_secret(authority, t, c, &secret, http)
                        })
                        .map_err(reason)
                } else {
                    ClientSecretCredential::new(authority, t, c, &secret, ca)
                        .map(|x| Arc::new(x) as Arc<dyn TokenCredential>)
                        .map_err(reason)
                }
            } else if let Some(path) = get("AZURE_CLIENT_CERTIFICATE_PATH") {
                let password = get("AZURE_CLIENT_CERTIFICATE_PASSWORD");
                ClientCertificate::from_pem_file(path.trim().as_ref(), password.as_deref())
                    .and_then(|cert| {
                        ClientAssertionCredential::new(
                            authority,
                            t,
                            c,
                            AssertionSource::Certificate(Arc::new(cert)),
                            ca,
                        )
                    })
                    .map(|x| Arc::new(x) as Arc<dyn TokenCredential>)
                    .map_err(reason)
            } else {
                Err("neither AZURE_CLIENT_SECRET nor AZURE_CLIENT_CERTIFICATE_PATH is set".into())
            }
        }
        _ => {
            let mut why = missing(&[("AZURE_TENANT_ID", tenant), ("AZURE_CLIENT_ID", client)]);
            if get("AZURE_CLIENT_SECRET").is_none()
                && get("AZURE_CLIENT_CERTIFICATE_PATH").is_none()
            {
                // Name the whole set, so the reader knows the third variable too.
                why.push_str(", nor AZURE_CLIENT_SECRET or AZURE_CLIENT_CERTIFICATE_PATH");
            }
            Err(why)
        }
    }
}

/// The managed identity link: an endpoint the host announces, else IMDS when allowed.
/// `client_id` (the option, else `AZURE_CLIENT_ID`) picks a user-assigned identity.
fn managed_identity_link(
    lookup: &dyn Fn(&str) -> Option<String>,
    options: &ChainOptions,
    client_id: Option<String>,
) -> Link {
    let imds_allowed = options.allow_imds && !imds_disabled_by_env(&|k| lookup(k));
    let lookup = |k: &str| match (k, &client_id) {
        ("AZURE_CLIENT_ID", Some(c)) => Some(c.clone()),
        _ => lookup(k),
    };
    match ManagedIdentityCredential::from_env_with(&lookup) {
        Ok(Some(mi)) => Link::new(MANAGED_IDENTITY, Ok(Arc::new(mi))),
        Err(e) => Link::new(MANAGED_IDENTITY, Err(reason(e))),
        Ok(None) if imds_allowed => {
            let built = ManagedIdentityCredential::imds(client_id.as_deref())
                .map(|x| Arc::new(x) as Arc<dyn TokenCredential>)
                .map_err(reason);
            Link::new(MANAGED_IDENTITY_IMDS, built)
        }
        Ok(None) => Link::new(
            MANAGED_IDENTITY,
            Err(
                "no IDENTITY_ENDPOINT/IDENTITY_HEADER or MSI_ENDPOINT in the environment \
                 (IMDS is not probed unless explicitly allowed)"
                    .into(),
            ),
        ),
    }
}

impl Link {
    fn new(name: &'static str, credential: Built) -> Self {
        Link {
            name,
            credential,
            attempts: AtomicUsize::new(0),
        }
    }
}

fn missing(vars: &[(&str, &Option<String>)]) -> String {
    let names: Vec<&str> = vars
        .iter()
        .filter(|(_, v)| v.is_none())
        .map(|(n, _)| *n)
        .collect();
    format!("not configured: {} not set", names.join(", "))
}

#[async_trait::async_trait]
impl TokenCredential for DefaultChain {
    async fn get_token(
        &self,
        scopes: &[&str],
        options: Option<TokenRequestOptions<'_>>,
    ) -> azure_core::Result<AccessToken> {
        self.request_token(scopes, options)
            .await
            .map_err(to_azure_error)
    }
}
