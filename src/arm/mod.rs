//! The ARM pipeline: endpoint → bearer token → transport → typed errors; long-running
//! operation poller; pagination; resource ids.
//!
//! INTERFACE CONTRACT (used by `ops` and `python`; bodies filled in by the arm work).

pub mod api_versions;
pub mod resource_id;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use azure_core::credentials::TokenCredential;
use serde_json::Value;

use crate::error::Result;

/// How to reach ARM.
#[derive(Debug, Clone)]
pub struct ArmConfig {
    /// ARM endpoint, e.g. `https://management.azure.com` or the emulator's URL. No trailing `/`.
    pub endpoint: String,
    /// The token scope, e.g. `https://management.azure.com/.default`.
    pub scope: String,
    /// Extra CA certificate (PEM) to trust, e.g. the emulator's under TLS.
    pub ca_file: Option<PathBuf>,
    /// Appended to the `User-Agent`.
    pub user_agent_suffix: Option<String>,
    pub connect_timeout: Duration,
    pub read_timeout: Duration,
    /// Poll interval when the service gives no `Retry-After`.
    pub poll_interval: Duration,
    /// Overall limit for one long-running operation.
    pub lro_timeout: Duration,
}

impl ArmConfig {
    pub fn new(endpoint: impl Into<String>) -> Self {
        let endpoint = endpoint.into().trim_end_matches('/').to_string();
        ArmConfig {
            scope: "https://management.azure.com/.default".to_string(),
            endpoint,
            ca_file: None,
            user_agent_suffix: None,
            connect_timeout: Duration::from_secs(10),
            read_timeout: Duration::from_secs(60),
            poll_interval: Duration::from_secs(5),
            lro_timeout: Duration::from_secs(3600),
        }
    }
}

/// One pooled HTTP client bound to one ARM endpoint and one credential. Cheap to clone.
#[derive(Clone, Debug)]
pub struct ArmClient {
    _inner: Arc<()>,
}

impl ArmClient {
    pub fn new(_config: ArmConfig, _credential: Arc<dyn TokenCredential>) -> Result<Self> {
        todo!()
    }

    /// The configured endpoint, without trailing `/`.
    pub fn endpoint(&self) -> &str {
        todo!()
    }

    /// GET `path` (starting with `/`, segments already encoded) → the JSON body.
    pub async fn get(&self, _path: &str, _api_version: &str) -> Result<Value> {
        todo!()
    }

    /// HEAD `path` → true on 2xx, false on 404.
    pub async fn exists(&self, _path: &str, _api_version: &str) -> Result<bool> {
        todo!()
    }

    /// GET a collection and follow every `nextLink`; returns all items of `value`.
    pub async fn list(&self, _path: &str, _api_version: &str) -> Result<Vec<Value>> {
        todo!()
    }

    /// PUT and, if the service answers with a long-running operation, wait for it;
    /// returns the final resource body (a GET of the resource after the operation).
    pub async fn put(&self, _path: &str, _api_version: &str, _body: &Value) -> Result<Value> {
        todo!()
    }

    /// PATCH, same long-running handling as [`ArmClient::put`].
    pub async fn patch(&self, _path: &str, _api_version: &str, _body: &Value) -> Result<Value> {
        todo!()
    }

    /// DELETE and wait for the operation unless `no_wait`. 404 and 204 count as done.
    pub async fn delete(&self, _path: &str, _api_version: &str, _no_wait: bool) -> Result<()> {
        todo!()
    }

    /// POST an action (`listKeys`, `resyncKeys`, `diagnose` …) and wait for it if it is
    /// long-running; returns the final body if there is one.
    pub async fn post(
        &self,
        _path: &str,
        _api_version: &str,
        _body: Option<&Value>,
    ) -> Result<Option<Value>> {
        todo!()
    }
}
