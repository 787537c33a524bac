//! The rest of `src/auth`'s credentials as Python classes: device code, interactive browser,
//! certificate, workload identity, managed identity, Azure CLI, static token and the
//! default chain. Each one is a [`NativeCredential`]: `Core` uses it directly (no trip
//! through Python), and its `get_token(*scopes)` serves the Azure SDKs too.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use azure_core::credentials::{
    AccessToken as CoreAccessToken, TokenCredential, TokenRequestOptions,
};
use pyo3::prelude::*;
use time::OffsetDateTime;

use super::credential_base::{credential_class, CredentialClass, TokenSource};
use super::{errors, lifecycle};
use azml_core::auth;

type Build = Box<dyn Fn() -> azml_core::Result<Arc<dyn TokenCredential>> + Send + Sync>;

/// A credential built from Rust parts, once per process: a forked child builds its own,
/// since the parent's is bound to the parent's runtime and connection pool.
pub struct NativeCredential {
    build: Build,
    built: Mutex<Option<(u32, Arc<dyn TokenCredential>)>>,
}

impl NativeCredential {
    /// Builds at once, so bad input fails in the constructor, before any request.
    fn new(py: Python<'_>, build: Build) -> PyResult<Arc<Self>> {
        let first = build().map_err(|e| errors::to_pyerr(py, &e))?;
        Ok(Arc::new(NativeCredential {
            build,
            built: Mutex::new(Some((std::process::id(), first))),
        }))
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
        let cred = (self.build)()?;
        *built = Some((pid, cred.clone()));
        Ok(cred)
    }
}

impl TokenSource for NativeCredential {
    fn credential(&self) -> azml_core::Result<Arc<dyn TokenCredential>> {
        NativeCredential::credential(self)
    }
}

/// The native credential behind `obj`, when it is one of the classes of this module.
pub fn native_of(obj: &Bound<'_, PyAny>) -> Option<Arc<NativeCredential>> {
    macro_rules! try_cast {
        ($($t:ty),*) => {
            $(if let Ok(c) = obj.cast::<$t>() {
                return Some(c.get().inner.clone());
            })*
        };
    }
    try_cast!(
        DeviceCodeCredential,
        InteractiveBrowserCredential,
        CertificateCredential,
        WorkloadIdentityCredential,
        ManagedIdentityCredential,
        AzureCliCredential,
        StaticTokenCredential,
        DefaultAzureCredential
    );
    None
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<DeviceCodeCredential>()?;
    m.add_class::<InteractiveBrowserCredential>()?;
    m.add_class::<CertificateCredential>()?;
    m.add_class::<WorkloadIdentityCredential>()?;
    m.add_class::<ManagedIdentityCredential>()?;
    m.add_class::<AzureCliCredential>()?;
    m.add_class::<StaticTokenCredential>()?;
    m.add_class::<DefaultAzureCredential>()?;
    Ok(())
}

fn env(name: &str) -> Option<String> {
    std::env::var(name)
        .ok()
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

fn authority_or_env(authority: Option<String>) -> String {
    authority
        .or_else(|| env("AZURE_AUTHORITY_HOST"))
        .unwrap_or_else(|| auth::DEFAULT_AUTHORITY_HOST.to_string())
        .trim_end_matches('/')
        .to_string()
}

fn seconds(py: Python<'_>, name: &str, value: Option<f64>) -> PyResult<Option<Duration>> {
    match value {
        None => Ok(None),
        Some(v) if v.is_finite() && v > 0.0 && v <= 1e9 => Ok(Some(Duration::from_secs_f64(v))),
        Some(v) => Err(errors::validation(
            py,
            format!("{name} must be a number of seconds > 0, not {v}"),
        )),
    }
}

fn required(py: Python<'_>, name: &str, value: Option<String>, var: &str) -> PyResult<String> {
    value
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
        .or_else(|| env(var))
        .ok_or_else(|| errors::validation(py, format!("{name} is required (or set {var})")))
}

/// Gives up on a sign-in that takes longer than `limit` (a user who never answers).
#[derive(Debug)]
struct WithTimeout {
    inner: Arc<dyn TokenCredential>,
    limit: Duration,
    who: &'static str,
}

#[async_trait::async_trait]
impl TokenCredential for WithTimeout {
    async fn get_token(
        &self,
        scopes: &[&str],
        options: Option<TokenRequestOptions<'_>>,
    ) -> azure_core::Result<CoreAccessToken> {
        match tokio::time::timeout(self.limit, self.inner.get_token(scopes, options)).await {
            Ok(r) => r,
            Err(_) => Err(auth::to_azure_error(azml_core::Error::new(
                azml_core::ErrorKind::Authentication,
                format!("{}: no sign-in within {:?} (timeout)", self.who, self.limit),
            ))),
        }
    }
}

fn with_timeout(
    cred: Arc<dyn TokenCredential>,
    limit: Option<Duration>,
    who: &'static str,
) -> Arc<dyn TokenCredential> {
    match limit {
        Some(limit) => Arc::new(WithTimeout {
            inner: cred,
            limit,
            who,
        }),
        None => cred,
    }
}

/// Reports an exception a callback raised where nobody can catch it (a runtime thread).
fn report(py: Python<'_>, e: PyErr, what: &Bound<'_, PyAny>) {
    e.write_unraisable(py, Some(what));
}

fn quote(s: &str) -> String {
    format!("{s:?}")
}

/// `name=value, …` as the reprs show their arguments: values quoted, `None` when absent.
fn keyword_args(args: &[(&str, Option<&str>)]) -> String {
    args.iter()
        .map(|(name, value)| format!("{name}={}", value.map(quote).as_deref().unwrap_or("None")))
        .collect::<Vec<_>>()
        .join(", ")
}

// ---------------------------------------------------------------- device code

/// The tenant (default `organizations`: any work or school account) and public client (default
/// the Azure CLI's, which every tenant knows) a user signs in to.
fn user_sign_in_app(tenant_id: Option<String>, client_id: Option<String>) -> (String, String) {
    let given = |v: Option<String>| v.map(|t| t.trim().to_string()).filter(|t| !t.is_empty());
    (
        given(tenant_id).unwrap_or_else(|| "organizations".into()),
        given(client_id).unwrap_or_else(|| auth::DeviceCodeCredential::AZURE_CLI_CLIENT_ID.into()),
    )
}

fn must_be_callable(py: Python<'_>, name: &str, obj: Option<&Py<PyAny>>) -> PyResult<()> {
    match obj {
        Some(o) if !o.bind(py).is_callable() => {
            Err(errors::validation(py, format!("{name} must be callable")))
        }
        _ => Ok(()),
    }
}

/// Device code sign-in (a user, on another device if need be).
#[pyclass(module = "azml._azml", frozen)]
pub struct DeviceCodeCredential {
    inner: Arc<NativeCredential>,
    tenant_id: String,
    client_id: String,
    authority: String,
}

credential_class!(DeviceCodeCredential {
    #[new]
    #[pyo3(signature = (tenant_id = None, client_id = None, *, authority = None, ca_file = None, prompt_callback = None, timeout = None, cache_path = None))]
    // One parameter per keyword argument of the Python constructor.
    #[allow(clippy::too_many_arguments)]
    fn py_new(
        py: Python<'_>,
        tenant_id: Option<String>,
        client_id: Option<String>,
        authority: Option<String>,
        ca_file: Option<PathBuf>,
        prompt_callback: Option<Py<PyAny>>,
        timeout: Option<f64>,
        cache_path: Option<PathBuf>,
    ) -> PyResult<Self> {
        let (tenant_id, client_id) = user_sign_in_app(tenant_id, client_id);
        let authority = authority_or_env(authority);
        must_be_callable(py, "prompt_callback", prompt_callback.as_ref())?;
        let limit = seconds(py, "timeout", timeout)?;
        let callback = prompt_callback.map(Arc::new);
        let (a, t, c) = (authority.clone(), tenant_id.clone(), client_id.clone());
        let inner = NativeCredential::new(
            py,
            Box::new(move || {
                let callback = callback.clone();
                let cred = auth::DeviceCodeCredential::new(&a, &t, &c, ca_file.as_deref())?
                    .with_prompt(move |p| prompt(callback.as_deref(), p));
                // With a cache file, a new process (a restarted notebook kernel) finds the
                // token there instead of asking the user again.
                let cred = match &cache_path {
                    Some(path) => auth::persistent(cred, path, &a, &t, &c),
                    None => auth::device_code(cred),
                };
                Ok(with_timeout(cred, limit, "DeviceCodeCredential"))
            }),
        )?;
        Ok(DeviceCodeCredential {
            inner,
            tenant_id,
            client_id,
            authority,
        })
    }
});

impl CredentialClass for DeviceCodeCredential {
    const NAME: &'static str = "DeviceCodeCredential";

    fn source(&self) -> &dyn TokenSource {
        &*self.inner
    }

    fn tenant(&self) -> Option<&str> {
        Some(&self.tenant_id)
    }

    fn repr_args(&self) -> String {
        keyword_args(&[
            ("tenant_id", Some(&self.tenant_id)),
            ("client_id", Some(&self.client_id)),
            ("authority", Some(&self.authority)),
        ])
    }
}

/// Shows the device code: `callback(verification_uri, user_code, expires_on)` like
/// azure-identity, else the authority's message on Python's `sys.stderr` (flushed, so that
/// a notebook shows it while the sign-in waits).
fn prompt(callback: Option<&Py<PyAny>>, p: &auth::DeviceCodePrompt) {
    // The sign-in calls this from a runtime worker (the runtime has two): a slow callback
    // (a notebook widget, a message box) must not hold one of them.
    let on_pool = tokio::runtime::Handle::try_current()
        .map(|h| h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread)
        .unwrap_or(false);
    if on_pool {
        tokio::task::block_in_place(|| show(callback, p))
    } else {
        show(callback, p)
    }
}

fn show(callback: Option<&Py<PyAny>>, p: &auth::DeviceCodePrompt) {
    let shown = lifecycle::with_python(|py| {
        let result = (|| -> PyResult<()> {
            match callback {
                Some(cb) => {
                    let datetime = py.import("datetime")?;
                    let utc = datetime.getattr("timezone")?.getattr("utc")?;
                    let expires_on = datetime
                        .getattr("datetime")?
                        .call_method1("fromtimestamp", (p.expires_on.unix_timestamp(), utc))?;
                    cb.bind(py).call1((
                        p.verification_uri.as_str(),
                        p.user_code.as_str(),
                        expires_on,
                    ))?;
                }
                None => {
                    let stderr = py.import("sys")?.getattr("stderr")?;
                    if stderr.is_none() {
                        eprintln!("{}", p.message);
                    } else {
                        stderr.call_method1("write", (format!("{}\n", p.message),))?;
                        stderr.call_method0("flush")?;
                    }
                }
            }
            Ok(())
        })();
        if let Err(e) = result {
            let what = match callback {
                Some(cb) => cb.bind(py).clone(),
                None => py.None().into_bound(py),
            };
            report(py, e, &what);
        }
    });
    if shown.is_none() && callback.is_none() {
        // The interpreter is finalizing: stderr still works.
        eprintln!("{}", p.message);
    }
}

// ---------------------------------------------------------------- interactive browser

/// Authorization code + PKCE sign-in in a browser, the answer caught on a loopback port.
#[pyclass(module = "azml._azml", frozen)]
pub struct InteractiveBrowserCredential {
    inner: Arc<NativeCredential>,
    tenant_id: String,
    client_id: String,
    authority: String,
}

credential_class!(InteractiveBrowserCredential {
    #[new]
    #[pyo3(signature = (tenant_id = None, client_id = None, *, authority = None, ca_file = None, login_hint = None, timeout = None, cache_path = None, _opener = None))]
    // One parameter per keyword argument of the Python constructor.
    #[allow(clippy::too_many_arguments)]
    fn py_new(
        py: Python<'_>,
        tenant_id: Option<String>,
        client_id: Option<String>,
        authority: Option<String>,
        ca_file: Option<PathBuf>,
        login_hint: Option<String>,
        timeout: Option<f64>,
        cache_path: Option<PathBuf>,
        _opener: Option<Py<PyAny>>,
    ) -> PyResult<Self> {
        let (tenant_id, client_id) = user_sign_in_app(tenant_id, client_id);
        let authority = authority_or_env(authority);
        must_be_callable(py, "_opener", _opener.as_ref())?;
        let limit = seconds(py, "timeout", timeout)?;
        let opener = _opener.map(Arc::new);
        let (a, t, c) = (authority.clone(), tenant_id.clone(), client_id.clone());
        let inner = NativeCredential::new(
            py,
            Box::new(move || {
                let mut cred =
                    auth::InteractiveBrowserCredential::new(&a, &t, &c, ca_file.as_deref())?;
                if let Some(limit) = limit {
                    cred = cred.with_timeout(limit);
                }
                if let Some(hint) = &login_hint {
                    cred = cred.with_login_hint(hint);
                }
                if let Some(opener) = &opener {
                    cred = cred.with_opener(python_opener(opener.clone()));
                }
                Ok(match &cache_path {
                    Some(path) => auth::persistent(cred, path, &a, &t, &c),
                    None => auth::interactive_browser(cred),
                })
            }),
        )?;
        Ok(InteractiveBrowserCredential {
            inner,
            tenant_id,
            client_id,
            authority,
        })
    }
});

impl CredentialClass for InteractiveBrowserCredential {
    const NAME: &'static str = "InteractiveBrowserCredential";

    fn source(&self) -> &dyn TokenSource {
        &*self.inner
    }

    fn tenant(&self) -> Option<&str> {
        Some(&self.tenant_id)
    }

    fn repr_args(&self) -> String {
        keyword_args(&[
            ("tenant_id", Some(&self.tenant_id)),
            ("client_id", Some(&self.client_id)),
            ("authority", Some(&self.authority)),
        ])
    }
}

/// A Python callable as the browser. Called on a thread of its own and not waited for: the
/// loopback listener must keep serving while the "browser" follows the redirect to it.
fn python_opener(opener: Arc<Py<PyAny>>) -> auth::BrowserOpener {
    Arc::new(move |url: &str| {
        let opener = opener.clone();
        let url = url.to_string();
        std::thread::Builder::new()
            .name("azml-browser".into())
            .spawn(move || {
                lifecycle::with_python(|py| {
                    if let Err(e) = opener.bind(py).call1((url.as_str(),)) {
                        report(py, e, opener.bind(py));
                    }
                });
            })
            .map(|_| ())
            .map_err(|e| format!("cannot start the browser thread: {e}"))
    })
}

// ---------------------------------------------------------------- certificate

/// Client credentials with a certificate: a PEM file holding the certificate and its RSA
/// key (PKCS#8, optionally encrypted with `password`, or PKCS#1).
#[pyclass(module = "azml._azml", frozen)]
pub struct CertificateCredential {
    inner: Arc<NativeCredential>,
    tenant_id: String,
    client_id: String,
    authority: String,
    certificate_path: PathBuf,
}

credential_class!(CertificateCredential {
    #[new]
    #[pyo3(signature = (tenant_id, client_id, certificate_path, *, authority = None, ca_file = None, password = None))]
    fn py_new(
        py: Python<'_>,
        tenant_id: String,
        client_id: String,
        certificate_path: PathBuf,
        authority: Option<String>,
        ca_file: Option<PathBuf>,
        password: Option<String>,
    ) -> PyResult<Self> {
        let authority = authority_or_env(authority);
        let (a, t, c, p) = (
            authority.clone(),
            tenant_id.trim().to_string(),
            client_id.trim().to_string(),
            certificate_path.clone(),
        );
        let inner = NativeCredential::new(
            py,
            Box::new(move || {
                auth::client_certificate(&a, &t, &c, &p, password.as_deref(), ca_file.as_deref())
            }),
        )?;
        Ok(CertificateCredential {
            inner,
            tenant_id,
            client_id,
            authority,
            certificate_path,
        })
    }
});

impl CredentialClass for CertificateCredential {
    const NAME: &'static str = "CertificateCredential";

    fn source(&self) -> &dyn TokenSource {
        &*self.inner
    }

    fn tenant(&self) -> Option<&str> {
        Some(&self.tenant_id)
    }

    fn repr_args(&self) -> String {
        keyword_args(&[
            ("tenant_id", Some(&self.tenant_id)),
            ("client_id", Some(&self.client_id)),
            (
                "certificate_path",
                Some(&self.certificate_path.to_string_lossy()),
            ),
            ("authority", Some(&self.authority)),
        ])
    }
}

// ---------------------------------------------------------------- workload identity

/// Workload identity: the federated token in a file (re-read for each request, since the
/// platform rotates it) as the client assertion.
#[pyclass(module = "azml._azml", frozen)]
pub struct WorkloadIdentityCredential {
    inner: Arc<NativeCredential>,
    tenant_id: String,
    client_id: String,
    authority: String,
    token_file_path: String,
}

credential_class!(WorkloadIdentityCredential {
    #[new]
    #[pyo3(signature = (tenant_id = None, client_id = None, token_file_path = None, *, authority = None, ca_file = None))]
    fn py_new(
        py: Python<'_>,
        tenant_id: Option<String>,
        client_id: Option<String>,
        token_file_path: Option<PathBuf>,
        authority: Option<String>,
        ca_file: Option<PathBuf>,
    ) -> PyResult<Self> {
        let tenant_id = required(py, "tenant_id", tenant_id, "AZURE_TENANT_ID")?;
        let client_id = required(py, "client_id", client_id, "AZURE_CLIENT_ID")?;
        let token_file_path = required(
            py,
            "token_file_path",
            token_file_path.map(|p| p.to_string_lossy().into_owned()),
            "AZURE_FEDERATED_TOKEN_FILE",
        )?;
        let authority = authority_or_env(authority);
        let (a, t, c, f) = (
            authority.clone(),
            tenant_id.clone(),
            client_id.clone(),
            PathBuf::from(&token_file_path),
        );
        let inner = NativeCredential::new(
            py,
            Box::new(move || auth::workload_identity(&a, &t, &c, &f, ca_file.as_deref())),
        )?;
        Ok(WorkloadIdentityCredential {
            inner,
            tenant_id,
            client_id,
            authority,
            token_file_path,
        })
    }
});

impl CredentialClass for WorkloadIdentityCredential {
    const NAME: &'static str = "WorkloadIdentityCredential";

    fn source(&self) -> &dyn TokenSource {
        &*self.inner
    }

    fn tenant(&self) -> Option<&str> {
        Some(&self.tenant_id)
    }

    fn repr_args(&self) -> String {
        keyword_args(&[
            ("tenant_id", Some(&self.tenant_id)),
            ("client_id", Some(&self.client_id)),
            ("token_file_path", Some(&self.token_file_path)),
            ("authority", Some(&self.authority)),
        ])
    }
}

// ---------------------------------------------------------------- managed identity

/// A managed identity, from the endpoint the host announces: `IDENTITY_ENDPOINT` +
/// `IDENTITY_HEADER` (App Service, Functions, Container Apps), else `MSI_ENDPOINT`
/// (+ `MSI_SECRET`; Cloud Shell). The VM metadata service (IMDS, 169.254.169.254) is never
/// probed unless `allow_imds=True` and no endpoint is announced.
#[pyclass(module = "azml._azml", frozen)]
pub struct ManagedIdentityCredential {
    inner: Arc<NativeCredential>,
    client_id: Option<String>,
    source: &'static str,
}

credential_class!(ManagedIdentityCredential {
    #[new]
    #[pyo3(signature = (client_id = None, *, allow_imds = false))]
    fn py_new(py: Python<'_>, client_id: Option<String>, allow_imds: bool) -> PyResult<Self> {
        let client_id = client_id
            .map(|c| c.trim().to_string())
            .filter(|c| !c.is_empty());
        let announced = env("IDENTITY_ENDPOINT").is_some() && env("IDENTITY_HEADER").is_some();
        let source = if announced {
            "IDENTITY_ENDPOINT"
        } else if env("MSI_ENDPOINT").is_some() {
            "MSI_ENDPOINT"
        } else if allow_imds {
            "IMDS"
        } else {
            return Err(errors::validation(
                py,
                "ManagedIdentityCredential: no IDENTITY_ENDPOINT/IDENTITY_HEADER or \
                 MSI_ENDPOINT in the environment (IMDS is not probed unless allow_imds=True)",
            ));
        };
        let c = client_id.clone();
        let inner = NativeCredential::new(
            py,
            Box::new(move || {
                // An explicit client id picks the user-assigned identity over AZURE_CLIENT_ID.
                let lookup = |k: &str| match (k, &c) {
                    ("AZURE_CLIENT_ID", Some(c)) => Some(c.clone()),
                    _ => std::env::var(k).ok(),
                };
                match auth::ManagedIdentityCredential::from_env_with(&lookup)? {
                    Some(mi) => Ok(Arc::new(auth::Cached::new(mi)) as Arc<dyn TokenCredential>),
                    None if allow_imds => {
                        let client = c.clone().or_else(|| env("AZURE_CLIENT_ID"));
                        let mi = auth::ManagedIdentityCredential::imds(client.as_deref())?;
                        Ok(Arc::new(auth::Cached::new(mi)) as Arc<dyn TokenCredential>)
                    }
                    None => Err(azml_core::Error::validation(
                        "ManagedIdentityCredential: the managed identity endpoint is no \
                         longer in the environment",
                    )),
                }
            }),
        )?;
        Ok(ManagedIdentityCredential {
            inner,
            client_id,
            source,
        })
    }
});

impl CredentialClass for ManagedIdentityCredential {
    const NAME: &'static str = "ManagedIdentityCredential";

    fn source(&self) -> &dyn TokenSource {
        &*self.inner
    }

    fn tenant(&self) -> Option<&str> {
        None
    }

    fn repr_args(&self) -> String {
        keyword_args(&[
            ("client_id", self.client_id.as_deref()),
            ("source", Some(self.source)),
        ])
    }
}

// ---------------------------------------------------------------- Azure CLI

/// The Azure CLI's signed-in account (`az account get-access-token`, once per token
/// lifetime).
#[pyclass(module = "azml._azml", frozen)]
pub struct AzureCliCredential {
    inner: Arc<NativeCredential>,
    tenant_id: Option<String>,
    make: CliMaker,
    /// Credentials for the tenants `get_token(tenant_id=...)` asked for, each with the
    /// process that built it (a forked child builds its own).
    other_tenants: Mutex<HashMap<String, PerProcess>>,
}

/// A credential and the process that built it.
type PerProcess = (u32, Arc<dyn TokenCredential>);

/// Builds the cached `az` credential for a tenant (None: the CLI's current one).
type CliMaker =
    Arc<dyn Fn(Option<&str>) -> azml_core::Result<Arc<dyn TokenCredential>> + Send + Sync>;

credential_class!(AzureCliCredential {
    #[new]
    #[pyo3(signature = (*, tenant_id = None, process_timeout = None, _az_program = None))]
    fn py_new(
        py: Python<'_>,
        tenant_id: Option<String>,
        process_timeout: Option<f64>,
        _az_program: Option<PathBuf>,
    ) -> PyResult<Self> {
        let limit = seconds(py, "process_timeout", process_timeout)?;
        let tenant_id = tenant_id
            .map(|t| t.trim().to_string())
            .filter(|t| !t.is_empty());
        let make: CliMaker = Arc::new(move |tenant: Option<&str>| {
            let mut cli = match &_az_program {
                Some(p) => auth::AzureCliCredential::with_program(p),
                None => auth::AzureCliCredential::new(),
            };
            if let Some(t) = tenant {
                cli = cli.tenant(t)?;
            }
            if let Some(limit) = limit {
                cli = cli.timeout(limit);
            }
            Ok(auth::azure_cli(cli))
        });
        let (m, t) = (make.clone(), tenant_id.clone());
        let inner = NativeCredential::new(py, Box::new(move || m(t.as_deref())))?;
        Ok(AzureCliCredential {
            inner,
            tenant_id,
            make,
            other_tenants: Mutex::new(HashMap::new()),
        })
    }
});

impl CredentialClass for AzureCliCredential {
    const NAME: &'static str = "AzureCliCredential";

    /// Without a tenant of its own, like azure-identity's: `az ... --tenant` for the tenant
    /// asked for.
    fn for_tenant(&self, tenant_id: &str) -> Option<azml_core::Result<Arc<dyn TokenCredential>>> {
        let pid = std::process::id();
        let mut others = self.other_tenants.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((owner, cred)) = others.get(tenant_id) {
            if *owner == pid {
                return Some(Ok(cred.clone()));
            }
        }
        Some((self.make)(Some(tenant_id)).inspect(|cred| {
            others.insert(tenant_id.to_string(), (pid, cred.clone()));
        }))
    }

    fn source(&self) -> &dyn TokenSource {
        &*self.inner
    }

    fn tenant(&self) -> Option<&str> {
        self.tenant_id.as_deref()
    }

    fn repr_args(&self) -> String {
        keyword_args(&[("tenant_id", self.tenant_id.as_deref())])
    }
}

// ---------------------------------------------------------------- static token

/// A token obtained elsewhere. Without `expires_on` (seconds since the epoch) the token
/// must be a JWT: its `exp` claim is read.
#[pyclass(module = "azml._azml", frozen)]
pub struct StaticTokenCredential {
    inner: Arc<NativeCredential>,
    expires_on: i64,
}

credential_class!(StaticTokenCredential {
    #[new]
    #[pyo3(signature = (token, expires_on = None))]
    fn py_new(py: Python<'_>, token: String, expires_on: Option<i64>) -> PyResult<Self> {
        if token.trim().is_empty() {
            return Err(errors::validation(py, "token must not be empty"));
        }
        let cred = match expires_on {
            Some(e) => {
                let at = OffsetDateTime::from_unix_timestamp(e).map_err(|_| {
                    errors::validation(py, format!("expires_on {e} is out of range"))
                })?;
                auth::StaticTokenCredential::new(token, at)
            }
            None => auth::StaticTokenCredential::from_jwt(token)
                .map_err(|e| errors::to_pyerr(py, &e))?,
        };
        let expires_on = cred.expires_on().unix_timestamp();
        let inner = NativeCredential::new(
            py,
            Box::new(move || Ok(Arc::new(cred.clone()) as Arc<dyn TokenCredential>)),
        )?;
        Ok(StaticTokenCredential { inner, expires_on })
    }

    #[getter]
    fn expires_on(&self) -> i64 {
        self.expires_on
    }
});

impl CredentialClass for StaticTokenCredential {
    const NAME: &'static str = "StaticTokenCredential";

    fn source(&self) -> &dyn TokenSource {
        &*self.inner
    }

    fn tenant(&self) -> Option<&str> {
        None
    }

    fn repr_args(&self) -> String {
        format!("token='***', expires_on={}", self.expires_on)
    }
}

// ---------------------------------------------------------------- default chain

/// The default chain: environment (secret or certificate), workload identity, managed
/// identity (announced endpoints; IMDS only with `allow_imds=True`), Azure CLI. The first
/// link that yields a token is kept; when none does, the error says why each failed.
/// `exclude_*_credential` leave a link out (azure-identity's names); excluding all four is a
/// ValidationError.
#[pyclass(module = "azml._azml", frozen)]
pub struct DefaultAzureCredential {
    inner: Arc<NativeCredential>,
    links: Vec<&'static str>,
}

credential_class!(DefaultAzureCredential {
    #[new]
    #[pyo3(signature = (
        *,
        ca_file = None,
        exclude_environment_credential = false,
        exclude_workload_identity_credential = false,
        exclude_managed_identity_credential = false,
        exclude_cli_credential = false,
        managed_identity_client_id = None,
        workload_identity_client_id = None,
        workload_identity_tenant_id = None,
        allow_imds = false,
        _az_program = None
    ))]
    // One parameter per keyword argument of the Python constructor.
    #[allow(clippy::too_many_arguments)]
    fn py_new(
        py: Python<'_>,
        ca_file: Option<PathBuf>,
        exclude_environment_credential: bool,
        exclude_workload_identity_credential: bool,
        exclude_managed_identity_credential: bool,
        exclude_cli_credential: bool,
        managed_identity_client_id: Option<String>,
        workload_identity_client_id: Option<String>,
        workload_identity_tenant_id: Option<String>,
        allow_imds: bool,
        _az_program: Option<PathBuf>,
    ) -> PyResult<Self> {
        let options = auth::ChainOptions {
            allow_imds,
            az_program: _az_program,
            ca_file,
            exclude_cli: exclude_cli_credential,
            exclude_environment: exclude_environment_credential,
            exclude_workload_identity: exclude_workload_identity_credential,
            exclude_managed_identity: exclude_managed_identity_credential,
            managed_identity_client_id,
            workload_identity_client_id,
            workload_identity_tenant_id,
        };
        options.check().map_err(|e| errors::to_pyerr(py, &e))?;
        let links = auth::DefaultChain::from_env_with(|k| std::env::var(k).ok(), options.clone())
            .link_names();
        let inner = NativeCredential::new(
            py,
            Box::new(move || Ok(auth::default_chain(options.clone()))),
        )?;
        Ok(DefaultAzureCredential { inner, links })
    }

    /// The links, in the order they are tried.
    #[getter]
    fn links(&self) -> Vec<&'static str> {
        self.links.clone()
    }
});

impl CredentialClass for DefaultAzureCredential {
    const NAME: &'static str = "DefaultAzureCredential";

    fn source(&self) -> &dyn TokenSource {
        &*self.inner
    }

    fn tenant(&self) -> Option<&str> {
        None
    }

    fn repr_args(&self) -> String {
        format!("links={:?}", self.links)
    }
}
