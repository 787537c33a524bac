//! The part of [`ArmClient`] the commands use, as a trait, so that the orchestration can be
//! unit-tested against an in-memory double; production code only ever uses `ArmClient`.

use async_trait::async_trait;
use serde_json::Value;

use crate::arm::{ArmClient, LroPattern, LroState, LroVerb};
use crate::error::{Error, ErrorKind, Result};

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

    /// Start a long-running operation without waiting for it (see [`ArmClient::begin`]).
    /// The default runs it to the end and returns it finished, for doubles that have no
    /// operations in flight.
    async fn begin(
        &self,
        verb: LroVerb,
        path: &str,
        api_version: &str,
        body: Option<&Value>,
    ) -> Result<LroState> {
        let empty = Value::Object(Default::default());
        let result = match verb {
            LroVerb::Put => self.put(path, api_version, body.unwrap_or(&empty)).await?,
            LroVerb::Patch => {
                self.patch(path, api_version, body.unwrap_or(&empty))
                    .await?
            }
            LroVerb::Delete => {
                self.delete(path, api_version, false).await?;
                Value::Null
            }
            LroVerb::Post => self
                .post(path, api_version, body)
                .await?
                .unwrap_or(Value::Null),
        };
        Ok(LroState::finished(verb, path, result))
    }

    /// Wait for an operation from [`ArmApi::begin`], here or resumed from a token.
    async fn wait_for(&self, state: &LroState) -> Result<Value> {
        if let Some(v) = state.ready_value() {
            return Ok(v.clone());
        }
        match (&state.pattern, state.verb) {
            (LroPattern::Done, LroVerb::Put | LroVerb::Patch) => {
                let (path, api) = match state.resource.split_once("?api-version=") {
                    Some((p, a)) => (p, a),
                    None => (state.resource.as_str(), ""),
                };
                self.get(path, api).await
            }
            (LroPattern::Done, _) => Ok(state.result.clone().unwrap_or(Value::Null)),
            _ => Err(Error::new(
                ErrorKind::Validation,
                "this client cannot follow long-running operations",
            )),
        }
    }
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
    async fn begin(
        &self,
        verb: LroVerb,
        path: &str,
        api_version: &str,
        body: Option<&Value>,
    ) -> Result<LroState> {
        ArmClient::begin(self, verb, path, api_version, body).await
    }
    async fn wait_for(&self, state: &LroState) -> Result<Value> {
        ArmClient::wait_for(self, state).await
    }
}
