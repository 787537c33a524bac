//! The part of [`ArmClient`] the commands use, as a trait, so that the orchestration can be
//! unit-tested against an in-memory double; production code only ever uses `ArmClient`.

use async_trait::async_trait;
use serde_json::Value;

use crate::arm::ArmClient;
use crate::error::Result;

#[async_trait]
pub trait ArmApi: Send + Sync {
    async fn get(&self, path: &str, api_version: &str) -> Result<Value>;
    async fn exists(&self, path: &str, api_version: &str) -> Result<bool>;
    async fn list(&self, path: &str, api_version: &str) -> Result<Vec<Value>>;
    async fn put(&self, path: &str, api_version: &str, body: &Value) -> Result<Value>;
    async fn patch(&self, path: &str, api_version: &str, body: &Value) -> Result<Value>;
    async fn delete(&self, path: &str, api_version: &str, no_wait: bool) -> Result<()>;
    /// POST an action and wait for it if it is long-running; the final body, if any.
    async fn post(
        &self,
        path: &str,
        api_version: &str,
        body: Option<&Value>,
    ) -> Result<Option<Value>>;
}

#[async_trait]
impl ArmApi for ArmClient {
    async fn get(&self, path: &str, api_version: &str) -> Result<Value> {
        ArmClient::get(self, path, api_version).await
    }
    async fn exists(&self, path: &str, api_version: &str) -> Result<bool> {
        ArmClient::exists(self, path, api_version).await
    }
    async fn list(&self, path: &str, api_version: &str) -> Result<Vec<Value>> {
        ArmClient::list(self, path, api_version).await
    }
    async fn put(&self, path: &str, api_version: &str, body: &Value) -> Result<Value> {
        ArmClient::put(self, path, api_version, body).await
    }
    async fn patch(&self, path: &str, api_version: &str, body: &Value) -> Result<Value> {
        ArmClient::patch(self, path, api_version, body).await
    }
    async fn delete(&self, path: &str, api_version: &str, no_wait: bool) -> Result<()> {
        ArmClient::delete(self, path, api_version, no_wait).await
    }
    async fn post(
        &self,
        path: &str,
        api_version: &str,
        body: Option<&Value>,
    ) -> Result<Option<Value>> {
        ArmClient::post(self, path, api_version, body).await
    }
}
