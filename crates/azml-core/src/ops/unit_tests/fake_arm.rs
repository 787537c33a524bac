//! The one ARM double of the command tests: an in-memory store keyed by path (what a PUT
//! writes a GET reads), injected failures, a count of writes in flight, and answers
//! scripted per method and path for the responses a store cannot make up (role
//! definitions, Graph users, keys).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use async_trait::async_trait;
use serde_json::{json, Value};

use crate::arm::LroState;
use crate::error::{Error, ErrorKind, Result};
use crate::ops::client::ArmApi;

pub const GROUP: &str = "/subscriptions/s/resourcegroups/rg";

/// Resources keyed by lower-cased path (ARM paths are case-insensitive).
#[derive(Default)]
pub struct FakeArm {
    store: Mutex<BTreeMap<String, Value>>,
    calls: Mutex<Vec<String>>,
    /// (method, path substring, kind): requests that fail.
    failures: Mutex<Vec<(String, String, ErrorKind)>>,
    in_flight: AtomicUsize,
    pub max_in_flight: AtomicUsize,
    /// (path substring, kind): long-running operations that end with this error.
    pub wait_failures: Mutex<Vec<(String, ErrorKind)>>,
    /// (method, path part, answer): answers given instead of the store's, first match.
    scripted: Vec<(&'static str, String, Result<Value>)>,
}

fn key(path: &str) -> String {
    path.split('?').next().unwrap().to_lowercase()
}

impl FakeArm {
    /// Answer `method` on paths that end with `part` (or, when `part` ends in `/` or holds
    /// a `?`, that contain it) with `answer`, whatever the store holds.
    pub fn on(mut self, method: &'static str, part: &str, answer: Result<Value>) -> Self {
        self.scripted.push((method, part.to_string(), answer));
        self
    }
    fn scripted(&self, method: &str, path: &str) -> Option<Result<Value>> {
        let matches = |part: &str| {
            path.ends_with(part)
                || ((part.ends_with('/') || part.contains('?')) && path.contains(part))
        };
        self.scripted
            .iter()
            .find(|(m, part, _)| *m == method && matches(part))
            .map(|(_, _, answer)| answer.clone())
    }
    pub fn with_group() -> Self {
        let f = FakeArm::default();
        f.seed(
            GROUP,
            json!({"id": GROUP, "name": "rg", "location": "westus"}),
        );
        f.seed(
            "/subscriptions/s",
            json!({"subscriptionId": "s", "tenantId": "tenant-1"}),
        );
        f
    }
    pub fn seed(&self, path: &str, body: Value) {
        self.store.lock().unwrap().insert(key(path), body);
    }
    pub fn fail(&self, method: &str, path_part: &str, kind: ErrorKind) {
        self.failures
            .lock()
            .unwrap()
            .push((method.into(), path_part.to_lowercase(), kind));
    }
    pub fn calls(&self) -> Vec<String> {
        self.calls.lock().unwrap().clone()
    }
    pub fn writes(&self) -> Vec<String> {
        self.calls()
            .into_iter()
            .filter(|c| !c.starts_with("GET ") && !c.starts_with("HEAD "))
            .collect()
    }
    pub fn has(&self, path: &str) -> bool {
        self.store.lock().unwrap().contains_key(&key(path))
    }
    pub fn body(&self, path: &str) -> Value {
        self.store.lock().unwrap()[&key(path)].clone()
    }
    fn begin(&self, method: &str, path: &str) -> Result<()> {
        self.calls.lock().unwrap().push(format!("{method} {path}"));
        let lower = path.to_lowercase();
        for (m, part, kind) in self.failures.lock().unwrap().iter() {
            if m == method && lower.contains(part.as_str()) {
                return Err(Error::new(*kind, format!("injected failure of {method}"))
                    .with_status(400)
                    .with_code("Injected"));
            }
        }
        Ok(())
    }
    /// Lets the other futures of a `join_all` start before this one ends, so that the
    /// maximum number of writes in flight shows whether they ran concurrently.
    async fn overlap(&self) {
        let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        self.max_in_flight.fetch_max(now, Ordering::SeqCst);
        for _ in 0..3 {
            tokio::task::yield_now().await;
        }
        self.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

fn not_found(path: &str) -> Error {
    Error::new(ErrorKind::NotFound, format!("{path} not found")).with_status(404)
}

#[async_trait]
impl ArmApi for FakeArm {
    async fn get(&self, path: &str, _api: &str) -> Result<Value> {
        self.begin("GET", path)?;
        if let Some(answer) = self.scripted("GET", path) {
            return answer;
        }
        let store = self.store.lock().unwrap();
        store
            .get(&key(path))
            .cloned()
            .ok_or_else(|| not_found(path))
    }
    async fn exists(&self, path: &str, _api: &str) -> Result<bool> {
        self.begin("HEAD", path)?;
        if let Some(answer) = self.scripted("HEAD", path) {
            return Ok(answer.is_ok());
        }
        Ok(self.has(path))
    }
    async fn list(&self, path: &str, _api: &str) -> Result<Vec<Value>> {
        self.begin("GET", path)?;
        if let Some(answer) = self.scripted("GET", path) {
            return Ok(answer?["value"].as_array().cloned().unwrap_or_default());
        }
        let prefix = format!("{}/", key(path));
        let store = self.store.lock().unwrap();
        Ok(store
            .iter()
            .filter(|(k, _)| k.starts_with(&prefix) && !k[prefix.len()..].contains('/'))
            .map(|(_, v)| v.clone())
            .collect())
    }
    async fn put(&self, path: &str, _api: &str, body: &Value) -> Result<Value> {
        self.begin("PUT", path)?;
        if let Some(answer) = self.scripted("PUT", path) {
            return answer.map(|v| if v.is_null() { body.clone() } else { v });
        }
        self.overlap().await;
        let mut stored = body.clone();
        stored["id"] = Value::String(path.to_string());
        stored["name"] = Value::String(path.rsplit('/').next().unwrap().to_string());
        self.seed(path, stored.clone());
        Ok(stored)
    }
    async fn patch(&self, path: &str, _api: &str, body: &Value) -> Result<Value> {
        self.begin("PATCH", path)?;
        if let Some(answer) = self.scripted("PATCH", path) {
            return answer.map(|_| body.clone());
        }
        let mut store = self.store.lock().unwrap();
        let current = store.get_mut(&key(path)).ok_or_else(|| not_found(path))?;
        if let Some(tags) = body.get("tags") {
            current["tags"] = tags.clone();
        }
        if let Some(identity) = body.get("identity") {
            current["identity"] = identity.clone();
        }
        if let Some(props) = body.get("properties").and_then(Value::as_object) {
            for (k, v) in props {
                current["properties"][k] = v.clone();
            }
        }
        Ok(current.clone())
    }
    async fn delete(&self, path: &str, _api: &str, no_wait: bool) -> Result<()> {
        let method = if no_wait { "DELETE(no_wait)" } else { "DELETE" };
        self.begin(method, path)?;
        if let Some(answer) = self.scripted("DELETE", path) {
            return answer.map(drop);
        }
        self.overlap().await;
        self.store.lock().unwrap().remove(&key(path));
        Ok(())
    }
    async fn post(&self, path: &str, _api: &str, _body: Option<&Value>) -> Result<Option<Value>> {
        self.begin("POST", path)?;
        match self.scripted("POST", path) {
            Some(answer) => answer.map(|v| if v.is_null() { None } else { Some(v) }),
            None => Ok(None),
        }
    }
    async fn wait_for(&self, state: &LroState) -> Result<Value> {
        let lower = state.resource.to_lowercase();
        for (part, kind) in self.wait_failures.lock().unwrap().iter() {
            if lower.contains(part.as_str()) {
                return Err(Error::new(*kind, "the operation did not succeed"));
            }
        }
        match state.ready_value() {
            Some(v) => Ok(v.clone()),
            None => self.get(&state.resource, "").await,
        }
    }
}
