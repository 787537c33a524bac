//! The emulator's own request/response types: handlers are plain synchronous functions over
//! these, which keeps them independent of axum and easy to read.

use axum::http::{HeaderMap, Method, StatusCode};
use serde_json::Value;

use crate::errors::{ArmError, ArmResult};

pub(crate) struct Req {
    pub method: Method,
    /// The raw path, as sent (still percent-encoded).
    pub path: String,
    /// Percent-decoded path segments (empty ones dropped).
    pub segs: Vec<String>,
    /// Percent-decoded query parameters, in order.
    pub query: Vec<(String, String)>,
    pub headers: HeaderMap,
    pub body: axum::body::Bytes,
}

impl Req {
    /// A query parameter, matched without case (ARM accepts `Api-Version`).
    pub(crate) fn q(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
    pub(crate) fn api_version(&self) -> &str {
        self.q("api-version").unwrap_or("")
    }
    /// The JSON body; an empty body is an error.
    pub(crate) fn json(&self) -> ArmResult<Value> {
        if self.body.iter().all(|b| b.is_ascii_whitespace()) {
            return Err(ArmError::invalid_content("the request body is empty"));
        }
        let v: Value = serde_json::from_slice(&self.body).map_err(ArmError::invalid_content)?;
        if !v.is_object() {
            return Err(ArmError::invalid_content(
                "the request body must be a JSON object",
            ));
        }
        Ok(v)
    }
    /// The JSON body, or `{}` when empty (POST actions).
    pub(crate) fn json_or_empty(&self) -> ArmResult<Value> {
        if self.body.iter().all(|b| b.is_ascii_whitespace()) {
            return Ok(Value::Object(Default::default()));
        }
        self.json()
    }
}

pub(crate) struct Resp {
    pub status: StatusCode,
    pub headers: Vec<(&'static str, String)>,
    pub body: Option<Value>,
    /// Held back this long before it is sent: providers that answer synchronously but slowly
    /// (App Insights' component PUT takes seconds in Azure).
    pub delay_ms: u64,
}

impl Resp {
    pub(crate) fn json(status: StatusCode, body: Value) -> Self {
        Resp {
            status,
            headers: Vec::new(),
            body: Some(body),
            delay_ms: 0,
        }
    }
    pub(crate) fn ok(body: Value) -> Self {
        Self::json(StatusCode::OK, body)
    }
    pub(crate) fn empty(status: StatusCode) -> Self {
        Resp {
            status,
            headers: Vec::new(),
            body: None,
            delay_ms: 0,
        }
    }
    pub(crate) fn header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }
    pub(crate) fn delayed(mut self, ms: i64) -> Self {
        self.delay_ms = ms.max(0) as u64;
        self
    }
}

impl From<ArmError> for Resp {
    fn from(e: ArmError) -> Self {
        Resp {
            status: e.status,
            body: Some(e.body()),
            headers: e.headers,
            delay_ms: 0,
        }
    }
}
