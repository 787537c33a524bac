//! The PyO3 bindings: the extension module `azml._azml`. The public Python surface is
//! `python/azml`; this module is its engine and stays small: `Core` runs commands,
//! `ClientSecretCredential` gets tokens, `Cloud` says where a cloud lives, `Emulator` embeds
//! the emulator.

mod asyncio_future;
mod az_output;
mod blocking;
mod client_state;
mod cloud;
mod command_table;
mod commands;
mod credential_base;
mod credential_classes;
mod emulator;
mod errors;
mod lifecycle;
mod poller;
mod python_logging;

use std::time::Duration;

use pyo3::prelude::*;

/// Drain and close (see `lifecycle`): called from `atexit` by `azml/__init__.py`.
#[pyfunction]
#[pyo3(signature = (timeout_s = 1.0))]
fn _shutdown(py: Python<'_>, timeout_s: f64) {
    let timeout = Duration::from_secs_f64(timeout_s.clamp(0.0, 60.0));
    py.detach(|| lifecycle::shutdown(timeout));
}

/// `os.register_at_fork(before=...)`.
#[pyfunction]
fn _before_fork() {
    lifecycle::before_fork();
}

/// `os.register_at_fork(after_in_parent=...)`.
#[pyfunction]
fn _after_fork_in_parent() {
    lifecycle::after_fork_in_parent();
}

/// `os.register_at_fork(after_in_child=...)`: forget the parent's tasks. The runtime, the
/// ARM clients and the credentials are per process already and get rebuilt on first use.
#[pyfunction]
fn _after_fork() {
    lifecycle::after_fork_in_child();
}

/// Async calls started whose result is not delivered yet.
#[pyfunction]
fn _in_flight() -> usize {
    lifecycle::in_flight()
}

/// Re-read the levels of the `azml` loggers (done at the start of every call anyway).
#[pyfunction]
fn _refresh_logging(py: Python<'_>) -> PyResult<u8> {
    python_logging::refresh(py)?;
    Ok(python_logging::threshold())
}

/// The subscription to use: `explicit`, else `AZURE_SUBSCRIPTION_ID`, else the az CLI's
/// default subscription (`~/.azure/azureProfile.json`, read only), else a ValidationError.
#[pyfunction]
#[pyo3(signature = (explicit = None))]
fn resolve_subscription(py: Python<'_>, explicit: Option<&str>) -> PyResult<String> {
    azml_core::auth::resolve_subscription(explicit).map_err(|e| errors::to_pyerr(py, &e))
}

#[pymodule]
fn _azml(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add("COMMANDS", command_table::as_python(m.py())?)?;
    python_logging::install(m.py())?;
    m.add_class::<commands::Core>()?;
    m.add_class::<cloud::Cloud>()?;
    m.add_class::<poller::PollerCore>()?;
    m.add_class::<credential_base::ClientSecretCredential>()?;
    m.add_class::<credential_base::AccessToken>()?;
    m.add_class::<credential_base::AccessTokenInfo>()?;
    credential_classes::register(m)?;
    m.add_class::<emulator::Emulator>()?;
    m.add_function(wrap_pyfunction!(_shutdown, m)?)?;
    m.add_function(wrap_pyfunction!(_before_fork, m)?)?;
    m.add_function(wrap_pyfunction!(_after_fork_in_parent, m)?)?;
    m.add_function(wrap_pyfunction!(_after_fork, m)?)?;
    m.add_function(wrap_pyfunction!(_in_flight, m)?)?;
    m.add_function(wrap_pyfunction!(_refresh_logging, m)?)?;
    m.add_function(wrap_pyfunction!(resolve_subscription, m)?)?;
    m.add_function(wrap_pyfunction!(az_output::az_check_query, m)?)?;
    m.add_function(wrap_pyfunction!(az_output::az_check_output, m)?)?;
    m.add_function(wrap_pyfunction!(az_output::az_query, m)?)?;
    m.add_function(wrap_pyfunction!(az_output::az_output, m)?)?;
    Ok(())
}
