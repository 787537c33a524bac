//! `azml_core::Error` → the exceptions of `azml.errors` (pure Python, so users can subclass and
//! pickle them; the classes are looked up once and cached).

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyType;

use azml_core::error::{Error, ErrorKind};

static ERRORS_MODULE: PyOnceLock<Py<PyModule>> = PyOnceLock::new();

fn errors_module(py: Python<'_>) -> PyResult<&Bound<'_, PyModule>> {
    ERRORS_MODULE
        .get_or_try_init(py, || {
            Ok::<_, PyErr>(PyModule::import(py, "azml.errors")?.unbind())
        })
        .map(|m| m.bind(py))
}

fn class_name(kind: ErrorKind) -> &'static str {
    match kind {
        ErrorKind::Validation => "ValidationError",
        ErrorKind::Authentication => "ClientAuthenticationError",
        ErrorKind::Authorization => "AuthorizationError",
        ErrorKind::NotFound => "ResourceNotFoundError",
        ErrorKind::Exists => "ResourceExistsError",
        ErrorKind::Throttled => "ThrottledError",
        ErrorKind::Http => "HttpResponseError",
        ErrorKind::OperationFailed => "OperationFailedError",
        ErrorKind::Transport => "ServiceRequestError",
        ErrorKind::Timeout => "OperationTimeoutError",
    }
}

/// The exception class of `azml.errors` named `name`.
pub fn class<'py>(py: Python<'py>, name: &str) -> PyResult<Bound<'py, PyType>> {
    Ok(errors_module(py)?.getattr(name)?.cast_into::<PyType>()?)
}

/// The Python exception for `err`, with `status`, `code` and `request_id`.
pub fn to_pyerr(py: Python<'_>, err: &Error) -> PyErr {
    let build = || -> PyResult<PyErr> {
        let cls = class(py, class_name(err.kind))?;
        // What `AzureError.__init__` does, without running Python code inside this Rust
        // frame (see `azml/_bridge.py` for why that matters in daemon threads at exit).
        let exc = cls.call_method1("__new__", (&cls, err.message.as_str()))?;
        exc.setattr("message", err.message.as_str())?;
        exc.setattr("status", err.status)?;
        exc.setattr("code", err.code.as_deref())?;
        exc.setattr("request_id", err.request_id.as_deref())?;
        Ok(PyErr::from_value(exc))
    };
    build().unwrap_or_else(|e| e)
}

/// A `ValidationError` with `message`.
pub fn validation(py: Python<'_>, message: impl Into<String>) -> PyErr {
    to_pyerr(py, &Error::validation(message))
}

/// The root `AzureError` (for azml's own bugs, which have no better class).
pub fn internal(py: Python<'_>, message: &str) -> PyErr {
    match class(py, "AzureError").and_then(|cls| cls.call1((message,))) {
        Ok(exc) => PyErr::from_value(exc),
        Err(e) => e,
    }
}
