//! `Core`: one subscription, one ARM endpoint, one credential; `call` (blocking) and
//! `call_async` (an asyncio future) run the commands of `azml_core::ops`.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use pyo3::prelude::*;
use pyo3::types::PyDict;
use serde_json::Value;

use super::client_state::{CredentialSource, Inner};
use super::command_table::{self, Request};
use super::credential_base::{ClientSecretCredential, PyCredential};
use super::poller::PollerCore;
use super::{asyncio_future, errors};
use azml_core::arm::resource_id::Kind;
use azml_core::arm::ArmConfig;
use azml_core::ops::lro::ContinuationToken;
use azml_core::ops::{self, Ops};
use azml_core::output::{self, Format};

/// Microsoft Graph of the public cloud.
const DEFAULT_GRAPH: &str = "https://graph.microsoft.com";

impl Request {
    /// Run the command and shape its result as az prints it (`Value::Null` for the
    /// commands az prints nothing for).
    async fn run(self, ops: Ops, format: Format) -> azml_core::Result<Value> {
        Ok(match self {
            Request::GroupCreate(p) => output::group(&ops.group_create(p).await?),
            Request::GroupShow(p) => output::group(&ops.group_show(&p.name).await?),
            Request::GroupList(p) => {
                Value::Array(ops.group_list(p).await?.iter().map(output::group).collect())
            }
            Request::GroupUpdate(p) => output::group(&ops.group_update(p).await?),
            Request::GroupExists(p) => Value::Bool(ops.group_exists(&p.name).await?),
            Request::GroupDelete(p) => {
                ops.group_delete(p).await?;
                Value::Null
            }
            Request::WorkspaceCreate(p) => {
                output::workspace(&ops.workspace_create(*p).await?, format)
            }
            Request::WorkspaceList(p) => Value::Array(
                ops.workspace_list(p)
                    .await?
                    .iter()
                    .map(|w| output::workspace_list_entry(w, format))
                    .collect(),
            ),
            Request::WorkspaceShow(p) => output::workspace(&ops.workspace_show(p).await?, format),
            Request::WorkspaceUpdate(p) => {
                output::workspace(&ops.workspace_update(*p).await?, format)
            }
            Request::WorkspaceDelete(p) => {
                ops.workspace_delete(p).await?;
                Value::Null
            }
            Request::WorkspaceShare(p) => ops.workspace_share(p).await?,
            Request::WorkspaceSyncKeys(p) => {
                ops.workspace_sync_keys(p).await?;
                Value::Null
            }
            Request::WorkspaceListKeys(p) => ops.workspace_list_keys(p).await?,
            Request::WorkspaceDiagnose(p) => ops.workspace_diagnose(p).await?,
            Request::StorageAccountShow(p) => ops.find_resource(Kind::StorageAccount, p).await?,
            Request::KeyVaultShow(p) => ops.find_resource(Kind::KeyVault, p).await?,
            Request::ApplicationInsightsShow(p) => {
                let p = ops::FindResource {
                    name: p.name,
                    resource_group: Some(p.resource_group),
                };
                ops.find_resource(Kind::AppInsights, p).await?
            }
            Request::ContainerRegistryShow(p) => {
                ops.find_resource(Kind::ContainerRegistry, p).await?
            }
        })
    }
}

/// The engine under `azml.Client` and `azml.AsyncClient`.
#[pyclass(module = "azml._azml", frozen)]
pub struct Core {
    inner: Arc<Inner>,
}

impl Core {
    fn prepare(
        &self,
        py: Python<'_>,
        op: &str,
        kwargs: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<impl std::future::Future<Output = azml_core::Result<Value>> + Send + 'static>
    {
        let request = Request::parse(py, op, kwargs)?;
        // The GIL is held here anyway: pick up logging level changes made since the last call.
        super::python_logging::refresh(py)?;
        let inner = self.inner.clone();
        // One correlation id per call: every request it sends carries it.
        let correlation = uuid::Uuid::new_v4().to_string();
        Ok(azml_core::arm::correlated(correlation, async move {
            let ops = inner.ops()?;
            request.run(ops, inner.format).await
        }))
    }
}

impl Core {
    fn credential_source(credential: Bound<'_, PyAny>) -> PyResult<CredentialSource> {
        Ok(
            if let Ok(ours) = credential.cast::<ClientSecretCredential>() {
                CredentialSource::Secret(ours.get().inner.clone())
            } else if let Some(native) = super::credential_classes::native_of(&credential) {
                CredentialSource::Native(native)
            } else if credential.hasattr("get_token")? {
                CredentialSource::Python(Arc::new(PyCredential::new(credential.unbind())))
            } else {
                return Err(pyo3::exceptions::PyTypeError::new_err(
                    "credential must have a get_token(*scopes) method",
                ));
            },
        )
    }
}

#[pymethods]
impl Core {
    #[new]
    #[pyo3(signature = (subscription_id, endpoint, credential, output = "v1", ca_file = None, graph_endpoint = None, authority = None, polling_interval = None, polling_min_wait = None, polling_max_wait = None, operation_timeout = None, user_agent = None, pacing = true, scope = None, authority_wins = false))]
    // One parameter per keyword argument of the Python constructor.
    #[allow(clippy::too_many_arguments)]
    fn py_new(
        py: Python<'_>,
        subscription_id: String,
        endpoint: String,
        credential: Option<Bound<'_, PyAny>>,
        output: &str,
        ca_file: Option<PathBuf>,
        graph_endpoint: Option<String>,
        authority: Option<String>,
        polling_interval: Option<f64>,
        polling_min_wait: Option<f64>,
        polling_max_wait: Option<f64>,
        operation_timeout: Option<f64>,
        user_agent: Option<String>,
        pacing: bool,
        scope: Option<String>,
        authority_wins: bool,
    ) -> PyResult<Self> {
        let format: Format = output
            .parse()
            .map_err(|e: String| errors::validation(py, e))?;
        if subscription_id.trim().is_empty() {
            return Err(errors::validation(py, "subscription_id must not be empty"));
        }
        check_endpoint(py, "endpoint", &endpoint, false)?;
        let credential = if let Some(credential) = credential {
            Self::credential_source(credential)?
        } else {
            CredentialSource::Default {
                ca_file: ca_file.clone(),
                authority,
                authority_wins,
            }
        };
        let graph_endpoint = graph_endpoint.unwrap_or_else(|| DEFAULT_GRAPH.to_string());
        check_endpoint(py, "graph_endpoint", &graph_endpoint, true)?;
        if let Some(ua) = &user_agent {
            if ua.chars().any(|c| c.is_control() || !c.is_ascii()) {
                return Err(errors::validation(
                    py,
                    "user_agent must be printable ASCII (it goes into a header)",
                ));
            }
        }
        // The interpreter actually running, not the one the extension was built for.
        let v = py.version_info();
        let python_version = Some(format!("{}.{}.{}", v.major, v.minor, v.patch));
        let graph = graph_config(graph_endpoint, &ca_file, &python_version, &user_agent);
        let mut config = ArmConfig::new(endpoint);
        // The cloud's ARM audience: a sovereign or custom cloud's tokens are not the public
        // cloud's.
        if let Some(scope) = scope {
            let scope = scope.trim();
            if scope.is_empty() || scope.chars().any(char::is_whitespace) {
                return Err(errors::validation(
                    py,
                    "scope must be one non-empty token scope (e.g. https://management.azure.com/.default)",
                ));
            }
            config.scope = scope.to_string();
        }
        config.ca_file = ca_file;
        set_seconds(
            py,
            "polling_interval",
            polling_interval,
            &mut config.poll_interval,
        )?;
        set_seconds(
            py,
            "polling_min_wait",
            polling_min_wait,
            &mut config.poll_min_wait,
        )?;
        set_seconds(
            py,
            "polling_max_wait",
            polling_max_wait,
            &mut config.poll_max_wait,
        )?;
        set_seconds(
            py,
            "operation_timeout",
            operation_timeout,
            &mut config.lro_timeout,
        )?;
        if config.poll_min_wait > config.poll_max_wait {
            return Err(errors::validation(
                py,
                "polling_min_wait must not be longer than polling_max_wait",
            ));
        }
        config.python_version = python_version;
        config.user_agent_suffix = user_agent;
        if !pacing {
            config.pacing = azml_core::arm::PacingConfig::off();
        }
        Ok(Core {
            inner: Arc::new(Inner {
                subscription_id,
                config,
                graph,
                credential,
                format,
                ops: Mutex::new(None),
            }),
        })
    }

    #[getter]
    fn subscription_id(&self) -> &str {
        &self.inner.subscription_id
    }

    #[getter]
    fn endpoint(&self) -> &str {
        &self.inner.config.endpoint
    }

    /// Whether requests are paced by ARM's token buckets.
    #[getter]
    fn pacing(&self) -> bool {
        self.inner.config.pacing.enabled
    }

    #[getter]
    fn graph_endpoint(&self) -> &str {
        &self.inner.graph.endpoint
    }

    #[getter]
    fn output(&self) -> &'static str {
        match self.inner.format {
            Format::V1 => "v1",
            Format::V2 => "v2",
            Format::Arm => "arm",
        }
    }

    /// Run `op` and wait for it, the GIL released; Ctrl-C aborts it.
    #[pyo3(signature = (op, kwargs = None))]
    fn call<'py>(
        &self,
        py: Python<'py>,
        op: &str,
        kwargs: Option<&Bound<'py, PyDict>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let fut = self.prepare(py, op, kwargs)?;
        let value = super::blocking::run(py, fut)?;
        Ok(pythonize::pythonize(py, &value)?)
    }

    /// Start `op` and return an asyncio future of its result: `future` when given (a fresh
    /// future of the running loop; the facade creates it in Python), else a new one of the
    /// running loop.
    #[pyo3(signature = (op, kwargs = None, future = None))]
    fn call_async<'py>(
        &self,
        py: Python<'py>,
        op: &str,
        kwargs: Option<&Bound<'py, PyDict>>,
        future: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let fut = self.prepare(py, op, kwargs)?;
        asyncio_future::spawn(py, fut, future)
    }

    /// A poller for the long command `op` (one declared long in `command_table`), its arguments checked;
    /// nothing is sent until its `begin` or `begin_async`.
    #[pyo3(signature = (op, kwargs = None))]
    fn poller(
        &self,
        py: Python<'_>,
        op: &str,
        kwargs: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<PollerCore> {
        if !command_table::is_long(op) {
            return Err(errors::validation(
                py,
                format!(
                    "'{op}' is not a long operation: expected one of {}",
                    command_table::operations(|c| c.long).join(", ")
                ),
            ));
        }
        let request = Request::parse(py, op, kwargs)?
            .into_long()
            .expect("every long operation has a long request");
        Ok(PollerCore::new(self.inner.clone(), op, request))
    }

    /// A poller for the operation `token` describes; refused (ValidationError) unless it
    /// was made for this client's ARM endpoint and subscription. Nothing is sent here.
    fn resume(&self, py: Python<'_>, token: &str) -> PyResult<PollerCore> {
        let decoded = ContinuationToken::decode(
            token,
            &self.inner.config.endpoint,
            &self.inner.subscription_id,
        )
        .map_err(|e| errors::to_pyerr(py, &e))?;
        if !command_table::is_long(&decoded.op) {
            return Err(errors::validation(
                py,
                format!(
                    "the continuation token names an unknown operation '{}'",
                    decoded.op
                ),
            ));
        }
        Ok(PollerCore::resumed(
            self.inner.clone(),
            decoded,
            token.trim().to_string(),
        ))
    }

    fn __repr__(&self) -> String {
        format!(
            "Core(subscription_id='{}', endpoint='{}', output='{}')",
            self.inner.subscription_id,
            self.inner.config.endpoint,
            self.output()
        )
    }
}

/// An endpoint the client is given: http or https, and for Graph (`root_only`) no path, so
/// that every request path is appended to the origin alone.
fn check_endpoint(py: Python<'_>, name: &str, value: &str, root_only: bool) -> PyResult<()> {
    let parsed = url::Url::parse(value)
        .map_err(|e| errors::validation(py, format!("invalid {name} '{value}': {e}")))?;
    let scheme_ok = matches!(parsed.scheme(), "http" | "https");
    if root_only && (!scheme_ok || parsed.path() != "/") {
        return Err(errors::validation(
            py,
            format!("invalid {name} '{value}': use http:// or https:// and no path"),
        ));
    }
    if !scheme_ok {
        return Err(errors::validation(
            py,
            format!("invalid {name} '{value}': use http:// or https://"),
        ));
    }
    Ok(())
}

/// Microsoft Graph's client configuration, beside ARM's.
fn graph_config(
    endpoint: String,
    ca_file: &Option<PathBuf>,
    python_version: &Option<String>,
    user_agent: &Option<String>,
) -> ArmConfig {
    let mut graph = ArmConfig::new(endpoint);
    // The Graph token is asked for Graph, never the ARM one.
    graph.scope = format!("{}/.default", graph.endpoint);
    graph.ca_file = ca_file.clone();
    // Graph meters differently from ARM and sends none of ARM's rate-limit headers.
    graph.pacing = azml_core::arm::PacingConfig::off();
    graph.python_version = python_version.clone();
    graph.user_agent_suffix = user_agent.clone();
    graph
}

/// A duration given in seconds (`None`: the default stays).
fn set_seconds(
    py: Python<'_>,
    name: &str,
    value: Option<f64>,
    slot: &mut std::time::Duration,
) -> PyResult<()> {
    match value {
        None => Ok(()),
        Some(v) if v.is_finite() && (0.0..=1e9).contains(&v) => {
            *slot = std::time::Duration::from_secs_f64(v);
            Ok(())
        }
        Some(v) => Err(errors::validation(
            py,
            format!("{name} must be a number of seconds >= 0, not {v}"),
        )),
    }
}
