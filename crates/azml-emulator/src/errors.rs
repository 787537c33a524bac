//! ARM's error envelope: `{"error":{"code","message"}}` with the status ARM uses.

use axum::http::StatusCode;
use serde_json::{json, Value};

#[derive(Debug, Clone)]
pub(crate) struct ArmError {
    pub status: StatusCode,
    pub code: String,
    pub message: String,
    /// Extra response headers (e.g. `WWW-Authenticate`, `Retry-After`).
    pub headers: Vec<(&'static str, String)>,
    /// The envelope's `details` array, when ARM sends one.
    pub details: Vec<Value>,
}

impl ArmError {
    pub(crate) fn new(status: StatusCode, code: &str, message: impl Into<String>) -> Self {
        ArmError {
            status,
            code: code.to_string(),
            message: message.into(),
            headers: Vec::new(),
            details: Vec::new(),
        }
    }
    pub(crate) fn with_details(mut self, details: Vec<Value>) -> Self {
        self.details = details;
        self
    }
    pub(crate) fn with_header(mut self, name: &'static str, value: String) -> Self {
        self.headers.push((name, value));
        self
    }
    pub(crate) fn body(&self) -> Value {
        let mut body = json!({"error": {"code": self.code, "message": self.message}});
        if !self.details.is_empty() {
            body["error"]["details"] = Value::Array(self.details.clone());
        }
        body
    }

    pub(crate) fn bad_request(code: &str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }
    pub(crate) fn conflict(code: &str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, code, message)
    }
    pub(crate) fn not_found(code: &str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, code, message)
    }

    pub(crate) fn group_not_found(rg: &str) -> Self {
        Self::not_found(
            "ResourceGroupNotFound",
            format!("Resource group '{rg}' could not be found."),
        )
    }
    pub(crate) fn group_being_deleted(rg: &str) -> Self {
        Self::conflict(
            "ResourceGroupBeingDeleted",
            format!(
                "The resource group '{rg}' is in deprovisioning state and cannot perform this \
                 operation."
            ),
        )
    }
    /// `ns_type` is e.g. `Microsoft.Storage/storageAccounts`.
    pub(crate) fn resource_not_found(ns_type: &str, name: &str, rg: &str) -> Self {
        Self::not_found(
            "ResourceNotFound",
            format!(
                "The Resource '{ns_type}/{name}' under resource group '{rg}' was not found. \
                 For more details please go to https://aka.ms/ARMResourceNotFoundFix"
            ),
        )
    }
    /// ARM's answer for a resource type whose namespace the subscription has not
    /// registered.
    pub(crate) fn missing_registration(ns: &str) -> Self {
        let message = format!(
            "The subscription is not registered to use namespace '{ns}'. See \
             https://aka.ms/rps-not-found for how to register subscriptions."
        );
        Self::conflict("MissingSubscriptionRegistration", message.clone()).with_details(vec![
            json!({"code": "MissingSubscriptionRegistration", "target": ns, "message": message}),
        ])
    }
    pub(crate) fn invalid_content(detail: impl std::fmt::Display) -> Self {
        Self::bad_request(
            "InvalidRequestContent",
            format!("The request content was invalid and could not be deserialized: '{detail}'."),
        )
    }
}

pub(crate) type ArmResult<T> = Result<T, ArmError>;
