//! `Cloud`: the Rust [`azml_core::arm::cloud::Cloud`] as Python sees it, so that the clouds, their
//! names and the reading of metadata documents live in one place.

use std::path::PathBuf;

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyString};

use super::{blocking, errors};
use azml_core::arm::cloud::{self, Cloud as RustCloud};

/// The endpoints of one Azure cloud: ARM, the Entra ID authority, the audience ARM tokens are
/// asked for, and Microsoft Graph. Immutable; URLs end with `/`.
#[pyclass(name = "Cloud", module = "azml._azml", frozen, eq, hash)]
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Cloud {
    pub(crate) inner: RustCloud,
}

impl From<RustCloud> for Cloud {
    fn from(inner: RustCloud) -> Self {
        Cloud { inner }
    }
}

/// `ca_file` if given, else `AZML_CA_FILE` (an emulator's certificate), as the clients do.
fn ca_file_or_env(ca_file: Option<PathBuf>) -> Option<PathBuf> {
    ca_file.or_else(|| {
        std::env::var_os("AZML_CA_FILE")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    })
}

/// A metadata document given as text, or as the dict / list `json.loads` makes of it.
fn document_text(py: Python<'_>, doc: &Bound<'_, PyAny>) -> PyResult<String> {
    if let Ok(text) = doc.cast::<PyString>() {
        return text.extract::<String>();
    }
    if doc.is_instance_of::<PyDict>() || doc.is_instance_of::<PyList>() {
        let value: serde_json::Value = pythonize::depythonize(doc).map_err(|e| {
            errors::validation(py, format!("the cloud metadata is not JSON data: {e}"))
        })?;
        return Ok(value.to_string());
    }
    Err(errors::validation(
        py,
        format!(
            "the cloud metadata is a JSON str or a dict, not {}",
            doc.get_type().name()?
        ),
    ))
}

#[pymethods]
impl Cloud {
    /// A custom cloud (Azure Stack, a private emulator). `audience` (the ARM token audience)
    /// defaults to `arm_endpoint`. Endpoints must be https, or http to a loopback host.
    #[new]
    #[pyo3(signature = (*, name, arm_endpoint, authority_host, graph_endpoint, audience = None))]
    fn py_new(
        py: Python<'_>,
        name: &str,
        arm_endpoint: &str,
        authority_host: &str,
        graph_endpoint: &str,
        audience: Option<&str>,
    ) -> PyResult<Self> {
        RustCloud::custom(name, arm_endpoint, authority_host, audience, graph_endpoint)
            .map(Cloud::from)
            .map_err(|e| errors::to_pyerr(py, &e))
    }

    /// A known cloud by name: `AzureCloud`, `AzureChinaCloud`, `AzureUSGovernment` (any
    /// case) or an alias (`public`, `china`, `usgov`).
    #[staticmethod]
    fn by_name(py: Python<'_>, name: &str) -> PyResult<Self> {
        RustCloud::by_name(name)
            .map(Cloud::from)
            .map_err(|e| errors::to_pyerr(py, &e))
    }

    /// The clouds known by name.
    #[staticmethod]
    fn known() -> Vec<Self> {
        cloud::KNOWN_CLOUDS.into_iter().map(Cloud::from).collect()
    }

    /// The cloud of an ARM `/metadata/endpoints` document (a str, or its `json.loads` dict
    /// or list). A list names several clouds: `name` picks one, else the first.
    #[staticmethod]
    #[pyo3(signature = (document, *, name = None))]
    fn from_metadata(
        py: Python<'_>,
        document: &Bound<'_, PyAny>,
        name: Option<&str>,
    ) -> PyResult<Self> {
        let text = document_text(py, document)?;
        RustCloud::all_from_metadata(&text)
            .and_then(|all| RustCloud::pick(all, name))
            .map(Cloud::from)
            .map_err(|e| errors::to_pyerr(py, &e))
    }

    /// GETs the cloud's metadata document and reads it (see `from_metadata`). `url` is the
    /// document's URL, or an ARM endpoint (then `/metadata/endpoints?api-version=2022-09-01`
    /// is asked, as az does). `ca_file`: a CA certificate to trust besides the system's
    /// (default: `AZML_CA_FILE`). Blocks, with the GIL released.
    #[staticmethod]
    #[pyo3(signature = (url, *, ca_file = None, name = None))]
    fn from_metadata_url(
        py: Python<'_>,
        url: &str,
        ca_file: Option<PathBuf>,
        name: Option<String>,
    ) -> PyResult<Self> {
        // Checked here so that bad input never reaches the runtime.
        RustCloud::metadata_url(url).map_err(|e| errors::to_pyerr(py, &e))?;
        let url = url.to_string();
        let ca_file = ca_file_or_env(ca_file);
        let cloud = blocking::run(py, async move {
            let all = RustCloud::fetch_metadata(&url, ca_file.as_deref()).await?;
            RustCloud::pick(all, name.as_deref())
        })?;
        Ok(cloud.into())
    }

    /// The cloud the environment chooses, as the Azure tools do: `ARM_CLOUD_METADATA_URL`
    /// (fetched; `AZURE_CLOUD` picks among its clouds), else `AZURE_CLOUD` (a name), else
    /// the cloud whose authority is `AZURE_AUTHORITY_HOST`, else `AzureCloud`. Sends a
    /// request only for `ARM_CLOUD_METADATA_URL`.
    #[staticmethod]
    #[pyo3(signature = (*, ca_file = None))]
    fn from_env(py: Python<'_>, ca_file: Option<PathBuf>) -> PyResult<Self> {
        let env = |k: &str| std::env::var(k).ok();
        if env(cloud::METADATA_URL_VARIABLE).is_none_or(|v| v.trim().is_empty()) {
            return RustCloud::from_env_with(env)
                .map(Cloud::from)
                .map_err(|e| errors::to_pyerr(py, &e));
        }
        let ca_file = ca_file_or_env(ca_file);
        let cloud = blocking::run(py, async move {
            RustCloud::resolve_env_with(|k| std::env::var(k).ok(), ca_file.as_deref()).await
        })?;
        Ok(cloud.into())
    }

    #[getter]
    fn name(&self) -> &str {
        &self.inner.name
    }

    /// e.g. `https://management.azure.com/`.
    #[getter]
    fn arm_endpoint(&self) -> &str {
        &self.inner.arm_endpoint
    }

    /// The Entra ID authority, e.g. `https://login.microsoftonline.com/`.
    #[getter]
    fn authority_host(&self) -> &str {
        &self.inner.authority_host
    }

    /// The audience ARM tokens are asked for.
    #[getter]
    fn audience(&self) -> &str {
        &self.inner.arm_audience
    }

    /// e.g. `https://graph.microsoft.com/`.
    #[getter]
    fn graph_endpoint(&self) -> &str {
        &self.inner.graph_endpoint
    }

    /// The token scope for ARM: the audience plus `.default`.
    #[getter]
    fn arm_scope(&self) -> String {
        self.inner.arm_scope()
    }

    /// The token scope for Microsoft Graph.
    #[getter]
    fn graph_scope(&self) -> String {
        format!(
            "{}/.default",
            self.inner.graph_endpoint.trim_end_matches('/')
        )
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let c = &self.inner;
        let r = |s: &str| -> PyResult<String> { Ok(PyString::new(py, s).repr()?.to_string()) };
        Ok(format!(
            "Cloud(name={}, arm_endpoint={}, authority_host={}, audience={}, graph_endpoint={})",
            r(&c.name)?,
            r(&c.arm_endpoint)?,
            r(&c.authority_host)?,
            r(&c.arm_audience)?,
            r(&c.graph_endpoint)?
        ))
    }
}
