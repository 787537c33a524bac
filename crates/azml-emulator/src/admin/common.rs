//! What the admin API's parts share: its error shape and JSON bodies. A leaf of the room.

use axum::http::StatusCode;
use serde_json::{json, Value};

use crate::http::Resp;

pub(crate) fn error(status: StatusCode, code: &str, message: impl Into<String>) -> Resp {
    Resp::json(
        status,
        json!({"error": {"code": code, "message": message.into()}}),
    )
}

pub(crate) fn body_json(body: &[u8]) -> Result<Value, Resp> {
    serde_json::from_slice(body).map_err(|e| {
        error(
            StatusCode::BAD_REQUEST,
            "InvalidRequestContent",
            format!("the request body is not valid JSON: {e}"),
        )
    })
}
