//! What one client holds, shared by its commands (`commands`) and its pollers (`poller`): the
//! subscription, the ARM and Graph configurations, where tokens come from, the output format,
//! and the ARM client of the process that built it.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use azml_core::arm::{ArmClient, ArmConfig};
use azml_core::ops::Ops;
use azml_core::output::Format;
use azure_core::credentials::TokenCredential;

use super::credential_base::SecretCredential;

/// Where tokens come from.
pub(crate) enum CredentialSource {
    /// Our `ClientSecretCredential`: used directly, no trip through Python.
    Secret(Arc<SecretCredential>),
    /// One of azml's other credentials (`credential_classes.rs`): used directly too.
    Native(Arc<super::credential_classes::NativeCredential>),
    /// Any Python object with `get_token`.
    Python(Arc<dyn TokenCredential>),
    /// None given: the default chain (environment, workload identity, managed identity,
    /// Azure CLI; never IMDS unless asked), built per process like the ARM client.
    Default {
        ca_file: Option<PathBuf>,
        /// The cloud's Entra ID authority, used when `AZURE_AUTHORITY_HOST` is not set.
        authority: Option<String>,
        /// The cloud was chosen explicitly (`cloud=`): its authority wins over
        /// `AZURE_AUTHORITY_HOST`, as an explicit `authority=` does in azure-identity.
        authority_wins: bool,
    },
}

impl CredentialSource {
    pub(crate) fn credential(&self) -> azml_core::Result<Arc<dyn TokenCredential>> {
        match self {
            CredentialSource::Secret(s) => s.credential(),
            CredentialSource::Native(n) => n.credential(),
            CredentialSource::Python(c) => Ok(c.clone()),
            CredentialSource::Default {
                ca_file,
                authority,
                authority_wins,
            } => {
                let (authority, wins) = (authority.clone(), *authority_wins);
                let options = azml_core::auth::ChainOptions {
                    ca_file: ca_file.clone(),
                    ..Default::default()
                };
                let chain = azml_core::auth::DefaultChain::from_env_with(
                    move |k| {
                        let ours = (k == "AZURE_AUTHORITY_HOST")
                            .then(|| authority.clone())
                            .flatten();
                        match ours {
                            Some(a) if wins => Some(a),
                            ours => std::env::var(k).ok().or(ours),
                        }
                    },
                    options,
                );
                Ok(Arc::new(azml_core::auth::Cached::new(chain)))
            }
        }
    }
}

pub(crate) struct Inner {
    pub(crate) subscription_id: String,
    pub(crate) config: ArmConfig,
    /// Microsoft Graph: its own endpoint and token scope.
    pub(crate) graph: ArmConfig,
    pub(crate) credential: CredentialSource,
    pub(crate) format: Format,
    /// The ARM client of the process that built it: its connection pool belongs to that
    /// process's runtime, so a forked child builds its own.
    pub(crate) ops: Mutex<Option<(u32, Ops)>>,
}

impl Inner {
    pub(crate) fn ops(&self) -> azml_core::Result<Ops> {
        let pid = std::process::id();
        let mut slot = self.ops.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((owner, ops)) = slot.as_ref() {
            if *owner == pid {
                return Ok(ops.clone());
            }
        }
        let credential = self.credential.credential()?;
        let arm = ArmClient::new(self.config.clone(), credential.clone())?;
        let graph = ArmClient::new(self.graph.clone(), credential)?;
        let ops = Ops::new(arm, self.subscription_id.clone()).with_graph(graph);
        *slot = Some((pid, ops.clone()));
        Ok(ops)
    }
}
