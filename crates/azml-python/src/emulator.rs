//! The embedded emulator, on a runtime of its own: the client's runtime can be recreated
//! (fork) or busy without the server noticing, and the server never touches Python.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use pyo3::prelude::*;
use pyo3::types::PyDict;
use tokio::runtime::Runtime;

use super::credential_base::{ClientSecretCredential, SecretCredential};
use super::errors;
use azml_emulator::{EmulatorConfig, Latency};

struct Running {
    pid: u32,
    runtime: Runtime,
    server: azml_emulator::Emulator,
}

impl Running {
    fn stop(self, grace: Duration) {
        if self.pid != std::process::id() {
            // Inherited through fork: the server's threads live in the parent only.
            std::mem::forget(self);
            return;
        }
        let Running {
            runtime, server, ..
        } = self;
        runtime.block_on(server.stop(grace));
        runtime.shutdown_background();
    }
}

/// A running emulator (`Emulator.start(...)`).
#[pyclass(module = "azml._azml", frozen)]
pub struct Emulator {
    running: Mutex<Option<Running>>,
    #[pyo3(get)]
    url: String,
    #[pyo3(get)]
    subscription_id: String,
    #[pyo3(get)]
    extra_subscriptions: Vec<String>,
    #[pyo3(get)]
    tenant_id: String,
    #[pyo3(get)]
    client_id: String,
    #[pyo3(get)]
    ca_file: Option<String>,
    env: Vec<(String, String)>,
    credential: Arc<SecretCredential>,
}

#[pymethods]
impl Emulator {
    /// Bind and serve; returns once it accepts connections.
    #[staticmethod]
    #[allow(clippy::too_many_arguments)] // the keyword arguments of the Python signature
    #[pyo3(signature = (port = 0, host = "127.0.0.1", tls = false, latency = "fast", page_size = 100, time_scale = 1.0, state = None, extra_subscriptions = None))]
    fn start(
        py: Python<'_>,
        port: u16,
        host: &str,
        tls: bool,
        latency: &str,
        page_size: usize,
        time_scale: f64,
        state: Option<PathBuf>,
        extra_subscriptions: Option<Vec<String>>,
    ) -> PyResult<Self> {
        let ip: IpAddr = host.parse().map_err(|_| {
            errors::validation(py, format!("host must be an IP address, not '{host}'"))
        })?;
        let latency: Latency = latency
            .parse()
            .map_err(|e: String| errors::validation(py, e))?;
        if page_size == 0 {
            return Err(errors::validation(py, "page_size must be at least 1"));
        }
        if !(time_scale.is_finite() && time_scale >= 0.0) {
            return Err(errors::validation(py, "time_scale must be a number >= 0"));
        }
        let config = EmulatorConfig {
            bind: SocketAddr::new(ip, port),
            tls,
            latency,
            time_scale,
            page_size,
            state_file: state,
            extra_subscriptions: extra_subscriptions.unwrap_or_default(),
            ..EmulatorConfig::default()
        };
        let started = py.detach(move || -> std::io::Result<Running> {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .thread_name("azml-emulator")
                .enable_all()
                .build()?;
            let server = runtime.block_on(azml_emulator::Emulator::start(config))?;
            Ok(Running {
                pid: std::process::id(),
                runtime,
                server,
            })
        });
        let running = started.map_err(|e| {
            pyo3::exceptions::PyOSError::new_err(format!("cannot start the emulator: {e}"))
        })?;
        let server = &running.server;
        let url = server.url();
        let credential = Arc::new(SecretCredential::new(
            url.clone(),
            server.tenant_id().to_string(),
            server.client_id().to_string(),
            server.client_secret().to_string(),
            server.ca_file(),
        ));
        Ok(Emulator {
            url,
            subscription_id: server.subscription_id().to_string(),
            extra_subscriptions: server.extra_subscriptions().to_vec(),
            tenant_id: server.tenant_id().to_string(),
            client_id: server.client_id().to_string(),
            ca_file: server.ca_file().map(|p| p.to_string_lossy().into_owned()),
            env: server.env(),
            credential,
            running: Mutex::new(Some(running)),
        })
    }

    /// Adds a Microsoft Graph user; returns its object id (an existing user's unchanged).
    #[pyo3(signature = (user_principal_name, display_name = None))]
    fn add_user(
        &self,
        py: Python<'_>,
        user_principal_name: &str,
        display_name: Option<&str>,
    ) -> PyResult<String> {
        let guard = self.running.lock().unwrap_or_else(|e| e.into_inner());
        let running = guard
            .as_ref()
            .ok_or_else(|| errors::validation(py, "the emulator is stopped"))?;
        Ok(running.server.add_user(
            user_principal_name,
            display_name.unwrap_or(user_principal_name),
        ))
    }

    /// A `ClientSecretCredential` for the emulator's default service principal.
    #[getter]
    fn credential(&self) -> ClientSecretCredential {
        ClientSecretCredential {
            inner: self.credential.clone(),
        }
    }

    /// The environment variables that point azml and the Azure SDKs at this emulator, in
    /// the emulator's order.
    fn env<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        for (k, v) in &self.env {
            d.set_item(k, v)?;
        }
        Ok(d)
    }

    #[getter]
    fn running(&self) -> bool {
        self.running
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .is_some()
    }

    /// Stop serving (waits at most `grace` seconds for requests in flight). Idempotent.
    #[pyo3(signature = (grace = 1.0))]
    fn stop(&self, py: Python<'_>, grace: f64) {
        let taken = self
            .running
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        if let Some(running) = taken {
            let grace = Duration::from_secs_f64(grace.clamp(0.0, 3600.0));
            py.detach(move || running.stop(grace));
        }
    }

    fn __repr__(&self) -> String {
        format!(
            "Emulator(url='{}', subscription_id='{}', running={})",
            self.url,
            self.subscription_id,
            self.running()
        )
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        // Possibly during interpreter teardown: do not wait for the server, just let its
        // threads go.
        if let Some(running) = self.running.get_mut().ok().and_then(Option::take) {
            if running.pid == std::process::id() {
                // The server (dropped with `_server`) stops on drop.
                let Running {
                    runtime,
                    server: _server,
                    ..
                } = running;
                runtime.shutdown_background();
            } else {
                std::mem::forget(running);
            }
        }
    }
}
