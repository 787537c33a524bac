//! Credentials on the Python side: our `ClientSecretCredential`, and any Python object with
//! `get_token(*scopes)` adapted to `azure_core`'s `TokenCredential`.

use std::fmt;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use azure_core::credentials::{
    AccessToken as CoreAccessToken, TokenCredential, TokenRequestOptions,
};
use pyo3::prelude::*;
use pyo3::types::PyTuple;
use time::OffsetDateTime;

use super::{blocking, errors, gate};

/// What a `ClientSecretCredential` is made of. Keeps the secret so a forked child can build
/// its own credential (the parent's is bound to the parent's runtime).
pub struct SecretCredential {
    pub authority: String,
    pub tenant_id: String,
    pub client_id: String,
    client_secret: String,
    pub ca_file: Option<PathBuf>,
    /// The credential of the process that built it: (pid, credential).
    built: Mutex<Option<(u32, Arc<dyn TokenCredential>)>>,
}

impl fmt::Debug for SecretCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SecretCredential")
            .field("authority", &self.authority)
            .field("tenant_id", &self.tenant_id)
            .field("client_id", &self.client_id)
            .finish_non_exhaustive()
    }
}

impl SecretCredential {
    pub fn new(
        authority: String,
        tenant_id: String,
        client_id: String,
        client_secret: String,
        ca_file: Option<PathBuf>,
    ) -> Self {
        SecretCredential {
            authority: authority.trim_end_matches('/').to_string(),
            tenant_id,
            client_id,
            client_secret,
            ca_file,
            built: Mutex::new(None),
        }
    }

    /// The `TokenCredential` of this process.
    pub fn credential(&self) -> crate::Result<Arc<dyn TokenCredential>> {
        let pid = std::process::id();
        let mut built = self.built.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((owner, cred)) = built.as_ref() {
            if *owner == pid {
                return Ok(cred.clone());
            }
        }
        let cred = crate::auth::client_secret(
            &self.authority,
            &self.tenant_id,
            &self.client_id,
            &self.client_secret,
            self.ca_file.as_deref(),
        )?;
        *built = Some((pid, cred.clone()));
        Ok(cred)
    }
}

/// An access token: `token` and `expires_on` (seconds since the epoch), like azure-core's.
#[pyclass(module = "azml._azml", frozen)]
pub struct AccessToken {
    #[pyo3(get)]
    token: String,
    #[pyo3(get)]
    expires_on: i64,
}

impl AccessToken {
    pub fn new(token: String, expires_on: i64) -> Self {
        AccessToken { token, expires_on }
    }
}

#[pymethods]
impl AccessToken {
    fn __repr__(&self) -> String {
        format!("AccessToken(token='***', expires_on={})", self.expires_on)
    }
}

/// The client-credentials grant with a client secret.
#[pyclass(module = "azml._azml", frozen)]
pub struct ClientSecretCredential {
    pub inner: Arc<SecretCredential>,
}

#[pymethods]
impl ClientSecretCredential {
    #[new]
    #[pyo3(signature = (tenant_id, client_id, client_secret, authority = "https://login.microsoftonline.com".to_string(), ca_file = None))]
    fn py_new(
        py: Python<'_>,
        tenant_id: String,
        client_id: String,
        client_secret: String,
        authority: String,
        ca_file: Option<PathBuf>,
    ) -> PyResult<Self> {
        for (name, value) in [
            ("tenant_id", &tenant_id),
            ("client_id", &client_id),
            ("client_secret", &client_secret),
        ] {
            if value.trim().is_empty() {
                return Err(errors::validation(py, format!("{name} must not be empty")));
            }
        }
        // Built lazily (per process, see `SecretCredential::credential`).
        let inner = SecretCredential::new(authority, tenant_id, client_id, client_secret, ca_file);
        Ok(ClientSecretCredential {
            inner: Arc::new(inner),
        })
    }

    #[getter]
    fn tenant_id(&self) -> &str {
        &self.inner.tenant_id
    }

    #[getter]
    fn client_id(&self) -> &str {
        &self.inner.client_id
    }

    #[getter]
    fn authority(&self) -> &str {
        &self.inner.authority
    }

    #[getter]
    fn ca_file(&self) -> Option<String> {
        self.inner
            .ca_file
            .as_ref()
            .map(|p| p.to_string_lossy().into_owned())
    }

    /// A token for `scopes`; blocks with the GIL released, interruptible by Ctrl-C.
    #[pyo3(signature = (*scopes))]
    fn get_token(&self, py: Python<'_>, scopes: Vec<String>) -> PyResult<AccessToken> {
        if scopes.is_empty() {
            return Err(errors::validation(py, "get_token needs at least one scope"));
        }
        let cred = self
            .inner
            .credential()
            .map_err(|e| errors::to_pyerr(py, &e))?;
        let token = blocking::run(py, async move {
            let scopes: Vec<&str> = scopes.iter().map(String::as_str).collect();
            cred.get_token(&scopes, None)
                .await
                .map_err(|e| crate::Error::new(crate::ErrorKind::Authentication, e.to_string()))
        })?;
        Ok(AccessToken {
            token: token.token.secret().to_string(),
            expires_on: token.expires_on.unix_timestamp(),
        })
    }

    fn __repr__(&self) -> String {
        format!(
            "ClientSecretCredential(tenant_id='{}', client_id='{}', authority='{}')",
            self.inner.tenant_id, self.inner.client_id, self.inner.authority
        )
    }
}

/// Any Python object with `get_token(*scopes)` returning something with `.token` and
/// `.expires_on` (azure-identity's credentials, or a user's own).
pub struct PyCredential {
    obj: Arc<Py<PyAny>>,
}

impl PyCredential {
    pub fn new(obj: Py<PyAny>) -> Self {
        PyCredential { obj: Arc::new(obj) }
    }
}

impl fmt::Debug for PyCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PyCredential")
    }
}

fn credential_error(message: String) -> azure_core::Error {
    azure_core::Error::with_message(azure_core::error::ErrorKind::Credential, message)
}

#[async_trait::async_trait]
impl TokenCredential for PyCredential {
    async fn get_token(
        &self,
        scopes: &[&str],
        _options: Option<TokenRequestOptions<'_>>,
    ) -> azure_core::Result<CoreAccessToken> {
        let obj = self.obj.clone();
        let scopes: Vec<String> = scopes.iter().map(|s| s.to_string()).collect();
        // The callback may block (network, a lock): keep it off the async workers.
        let outcome = tokio::task::spawn_blocking(move || {
            gate::with_python(|py| -> Result<(String, i64), String> {
                let describe = |e: PyErr| {
                    let name = e
                        .get_type(py)
                        .name()
                        .map(|n| n.to_string())
                        .unwrap_or_else(|_| "Exception".into());
                    format!("the credential's get_token raised {name}: {}", e.value(py))
                };
                let token = obj
                    .bind(py)
                    .call_method1("get_token", PyTuple::new(py, &scopes).map_err(describe)?)
                    .map_err(describe)?;
                let secret: String = token
                    .getattr("token")
                    .and_then(|t| t.extract())
                    .map_err(|_| "get_token returned no str 'token'".to_string())?;
                // An int by the azure-core protocol; a float is accepted too.
                let expires_on = token.getattr("expires_on").ok();
                let expires_on: i64 = expires_on
                    .as_ref()
                    .and_then(|t| {
                        t.extract::<i64>()
                            .ok()
                            .or_else(|| t.extract::<f64>().ok().map(|f| f as i64))
                    })
                    .ok_or_else(|| "get_token returned no int 'expires_on'".to_string())?;
                Ok((secret, expires_on))
            })
        })
        .await
        .map_err(|e| credential_error(format!("the credential's get_token failed: {e}")))?;
        let (secret, expires_on) = outcome
            .ok_or_else(|| credential_error("the Python interpreter is shutting down".into()))?
            .map_err(credential_error)?;
        let expires_on = OffsetDateTime::from_unix_timestamp(expires_on)
            .map_err(|_| credential_error("get_token returned an invalid expires_on".into()))?;
        Ok(CoreAccessToken::new(secret, expires_on))
    }
}
