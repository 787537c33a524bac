//! Credentials on the Python side: our `ClientSecretCredential`, what every credential class
//! shares ([`credential_class!`]: `get_token`, `get_token_info`, `__repr__`), and any Python
//! object with `get_token(*scopes)` adapted to `azure_core`'s `TokenCredential`.

use std::fmt;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use azure_core::credentials::{
    AccessToken as CoreAccessToken, TokenCredential, TokenRequestOptions,
};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple};
use time::OffsetDateTime;

use super::{blocking, errors, lifecycle};
use azml_core::auth::cache::ClaimsChallenge;

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
    pub fn credential(&self) -> azml_core::Result<Arc<dyn TokenCredential>> {
        let pid = std::process::id();
        let mut built = self.built.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((owner, cred)) = built.as_ref() {
            if *owner == pid {
                return Ok(cred.clone());
            }
        }
        let cred = azml_core::auth::client_secret(
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

impl TokenSource for SecretCredential {
    fn credential(&self) -> azml_core::Result<Arc<dyn TokenCredential>> {
        SecretCredential::credential(self)
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

/// What `get_token_info` returns, like azure-core's `AccessTokenInfo`: `token`, `expires_on`,
/// `token_type` (always `Bearer`) and `refresh_on` (always None: the caller's own rule, five
/// minutes before expiry for azure-core, applies; our cache refreshes on its own schedule).
#[pyclass(module = "azml._azml", frozen)]
pub struct AccessTokenInfo {
    #[pyo3(get)]
    token: String,
    #[pyo3(get)]
    expires_on: i64,
    #[pyo3(get)]
    token_type: &'static str,
    #[pyo3(get)]
    refresh_on: Option<i64>,
}

#[pymethods]
impl AccessTokenInfo {
    fn __repr__(&self) -> String {
        format!(
            "AccessTokenInfo(token='***', expires_on={}, token_type='{}', refresh_on=None)",
            self.expires_on, self.token_type
        )
    }
}

/// Where a credential class gets the `TokenCredential` of this process.
pub trait TokenSource: Send + Sync {
    fn credential(&self) -> azml_core::Result<Arc<dyn TokenCredential>>;
}

/// What a credential class tells [`credential_class!`], which writes its `get_token`,
/// `get_token_info` and `__repr__` from it.
pub trait CredentialClass {
    /// The Python class name, first word of the repr.
    const NAME: &'static str;
    fn source(&self) -> &dyn TokenSource;
    /// The tenant the credential signs in to, when it is fixed: a token request for another
    /// tenant is refused. None: the credential has no say (a managed identity, a static
    /// token, the CLI's account, the chain) and the request's tenant is not checked.
    fn tenant(&self) -> Option<&str>;
    /// The repr's arguments; never a secret.
    fn repr_args(&self) -> String;
    /// For a class without a tenant of its own that can still ask for a token in a given one
    /// (the Azure CLI's `--tenant`): the credential for `tenant_id`. None: the usual one.
    fn for_tenant(&self, _tenant_id: &str) -> Option<azml_core::Result<Arc<dyn TokenCredential>>> {
        None
    }
}

/// The keyword arguments of azure-core's `get_token` / `get_token_info` options that change
/// what we do.
#[derive(Default)]
pub struct Request {
    pub claims: Option<String>,
    pub tenant_id: Option<String>,
}

impl Request {
    /// From `get_token_info`'s `options` mapping (azure-core's `TokenRequestOptions`); keys
    /// other than `claims` and `tenant_id` (`enable_cae`, future ones) are ignored, as
    /// azure-identity ignores unknown options.
    pub fn from_options(options: Option<&Bound<'_, PyDict>>) -> PyResult<Self> {
        let Some(options) = options else {
            return Ok(Request::default());
        };
        let text = |key: &str| -> PyResult<Option<String>> {
            match options.get_item(key)? {
                Some(v) if !v.is_none() => v.extract().map(Some),
                _ => Ok(None),
            }
        };
        Ok(Request {
            claims: text("claims")?,
            tenant_id: text("tenant_id")?,
        })
    }
}

/// azure-identity's switch for "always use the configured tenant".
fn multitenant_disabled() -> bool {
    std::env::var("AZURE_IDENTITY_DISABLE_MULTITENANTAUTH")
        .map(|v| !v.trim().is_empty())
        .unwrap_or(false)
}

/// azure-identity's rule (`resolve_tenant`) without `additionally_allowed_tenants`: a tenant
/// other than the credential's own is refused, unless the credential has none, is an ADFS
/// one, or `AZURE_IDENTITY_DISABLE_MULTITENANTAUTH` is set (then its own tenant is used).
fn check_tenant(name: &str, own: Option<&str>, requested: Option<&str>) -> azml_core::Result<()> {
    let requested = match requested.map(str::trim).filter(|t| !t.is_empty()) {
        Some(t) => t,
        None => return Ok(()),
    };
    match own {
        Some(own)
            if !own.eq_ignore_ascii_case(requested)
                && !own.eq_ignore_ascii_case("adfs")
                && !multitenant_disabled() =>
        {
            Err(azml_core::Error::new(
                azml_core::ErrorKind::Authentication,
                format!(
                    "{name} is configured for tenant {own:?} and cannot get a token for tenant \
                     {requested:?}; use a credential made for that tenant"
                ),
            ))
        }
        _ => Ok(()),
    }
}

/// The token for `scopes` from `class`'s credential; blocks with the GIL released,
/// interruptible by Ctrl-C. Non-empty `claims` (a claims challenge: the service refused the
/// token it was given) skip the cache for a new token (see [`ClaimsChallenge`]).
pub fn request_token<C: CredentialClass>(
    py: Python<'_>,
    class: &C,
    scopes: Vec<String>,
    request: Request,
) -> PyResult<CoreAccessToken> {
    if scopes.is_empty() {
        return Err(errors::validation(py, "get_token needs at least one scope"));
    }
    check_tenant(C::NAME, class.tenant(), request.tenant_id.as_deref())
        .map_err(|e| errors::to_pyerr(py, &e))?;
    let claims = request.claims.filter(|c| !c.trim().is_empty());
    let requested = request
        .tenant_id
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty());
    let switched = match (class.tenant(), requested) {
        (None, Some(t)) if !multitenant_disabled() => class.for_tenant(t),
        _ => None,
    };
    let cred = switched
        .unwrap_or_else(|| class.source().credential())
        .map_err(|e| errors::to_pyerr(py, &e))?;
    blocking::run(py, async move {
        let scopes: Vec<&str> = scopes.iter().map(String::as_str).collect();
        let options = claims.map(ClaimsChallenge::options);
        cred.get_token(&scopes, options)
            .await
            .map_err(azml_core::auth::map_credential_error)
    })
}

pub fn access_token(token: CoreAccessToken) -> AccessToken {
    AccessToken::new(
        token.token.secret().to_string(),
        token.expires_on.unix_timestamp(),
    )
}

pub fn access_token_info(token: CoreAccessToken) -> AccessTokenInfo {
    AccessTokenInfo {
        token: token.token.secret().to_string(),
        expires_on: token.expires_on.unix_timestamp(),
        token_type: "Bearer",
        refresh_on: None,
    }
}

/// `#[pymethods] impl $class { ... }` plus the methods every credential class shares:
/// `get_token(*scopes, claims=None, tenant_id=None, enable_cae=False)` (azure-core's
/// `TokenCredential`; any other keyword is a TypeError, as in azure-identity),
/// `get_token_info(*scopes, options=None)` (azure-core's `SupportsTokenInfo`) and
/// `__repr__`, all from the class's [`CredentialClass`]. One macro rather than a trait's
/// default methods because pyo3 takes one `#[pymethods]` block per class.
macro_rules! credential_class {
    ($class:ident { $($body:tt)* }) => {
        #[pyo3::pymethods]
        impl $class {
            $($body)*

            /// A token for `scopes`. `claims` (a claims challenge) gets a new token instead of
            /// the cached one; `tenant_id` must be the credential's own tenant when it has one;
            /// `enable_cae` is accepted and ignored.
            #[pyo3(signature = (*scopes, claims = None, tenant_id = None, enable_cae = false))]
            fn get_token(
                &self,
                py: pyo3::Python<'_>,
                scopes: Vec<String>,
                claims: Option<String>,
                tenant_id: Option<String>,
                enable_cae: bool,
            ) -> pyo3::PyResult<$crate::credential_base::AccessToken> {
                let _ = enable_cae;
                let request = $crate::credential_base::Request { claims, tenant_id };
                $crate::credential_base::request_token(py, self, scopes, request)
                    .map($crate::credential_base::access_token)
            }

            /// azure-core's `SupportsTokenInfo`: `options` may hold `claims`, `tenant_id`
            /// and `enable_cae` (as for `get_token`); other keys are ignored.
            #[pyo3(signature = (*scopes, options = None))]
            fn get_token_info(
                &self,
                py: pyo3::Python<'_>,
                scopes: Vec<String>,
                options: Option<pyo3::Bound<'_, pyo3::types::PyDict>>,
            ) -> pyo3::PyResult<$crate::credential_base::AccessTokenInfo> {
                let request = $crate::credential_base::Request::from_options(options.as_ref())?;
                $crate::credential_base::request_token(py, self, scopes, request)
                    .map($crate::credential_base::access_token_info)
            }

            fn __repr__(&self) -> String {
                format!(
                    "{}({})",
                    <Self as $crate::credential_base::CredentialClass>::NAME,
                    <Self as $crate::credential_base::CredentialClass>::repr_args(self)
                )
            }
        }
    };
}
pub(crate) use credential_class;

/// The client-credentials grant with a client secret.
#[pyclass(module = "azml._azml", frozen)]
pub struct ClientSecretCredential {
    pub inner: Arc<SecretCredential>,
}

credential_class!(ClientSecretCredential {
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
});

impl CredentialClass for ClientSecretCredential {
    const NAME: &'static str = "ClientSecretCredential";

    fn source(&self) -> &dyn TokenSource {
        &*self.inner
    }

    fn tenant(&self) -> Option<&str> {
        Some(&self.inner.tenant_id)
    }

    fn repr_args(&self) -> String {
        format!(
            "tenant_id='{}', client_id='{}', authority='{}'",
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
            lifecycle::with_python(|py| -> Result<(String, i64), String> {
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
