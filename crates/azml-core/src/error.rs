//! The one error type of the client side (arm, auth, ops). The Python layer maps
//! [`ErrorKind`] to the exception hierarchy of `azml.errors`.

use std::fmt;

/// What went wrong, in the terms the Python exceptions use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// Bad input, caught before any request was sent (`ValidationError`).
    Validation,
    /// No token could be had, or ARM answered 401 (`ClientAuthenticationError`).
    Authentication,
    /// 403 (`AuthorizationError`).
    Authorization,
    /// 404 (`ResourceNotFoundError`).
    NotFound,
    /// 409 on create / already exists (`ResourceExistsError`).
    Exists,
    /// 429 after retries were exhausted (`ThrottledError`).
    Throttled,
    /// Any other non-success HTTP status (`HttpResponseError`).
    Http,
    /// A long-running operation ended `Failed` or `Canceled` (`OperationFailedError`).
    OperationFailed,
    /// Connection, TLS, DNS or body errors; also a refused polling URL (`ServiceRequestError`).
    Transport,
    /// An overall or long-running-operation timeout (`OperationTimeoutError`).
    Timeout,
}

/// A client-side error. Never carries a token, secret or key in any field.
#[derive(Debug, Clone)]
pub struct Error {
    pub kind: ErrorKind,
    pub message: String,
    /// HTTP status, when the error came from a response.
    pub status: Option<u16>,
    /// ARM error code (`error.code` of the envelope), when there was one.
    pub code: Option<String>,
    /// `x-ms-request-id` of the failing response, when there was one.
    pub request_id: Option<String>,
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error {
            kind,
            message: message.into(),
            status: None,
            code: None,
            request_id: None,
        }
    }

    pub fn validation(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Validation, message)
    }

    pub fn transport(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Transport, message)
    }

    pub fn with_status(mut self, status: u16) -> Self {
        self.status = Some(status);
        self
    }

    pub fn with_code(mut self, code: impl Into<String>) -> Self {
        self.code = Some(code.into());
        self
    }

    pub fn with_request_id(mut self, request_id: impl Into<String>) -> Self {
        self.request_id = Some(request_id.into());
        self
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(code) = &self.code {
            write!(f, "({code}) ")?;
        }
        f.write_str(&self.message)?;
        if let Some(status) = self.status {
            write!(f, " [status {status}")?;
            if let Some(id) = &self.request_id {
                write!(f, ", request id {id}")?;
            }
            f.write_str("]")?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {}
