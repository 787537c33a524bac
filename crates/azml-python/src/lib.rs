//! The PyO3 bindings: the extension module `azml._azml`. The public Python surface is
//! `python/azml`; this module is its engine and stays small: `Core` runs commands,
//! `ClientSecretCredential` gets tokens, `Cloud` says where a cloud lives, `Emulator` embeds
//! the emulator.

mod azcli;
mod blocking;
mod bridge;
mod client_state;
mod cloud;
mod core;
mod credential;
mod credentials;
mod emulator;
mod errors;
mod gate;
mod logbridge;
mod poller;

use std::time::Duration;

use pyo3::prelude::*;

/// Drain and close (see `gate`): called from `atexit` by `azml/__init__.py`.
#[pyfunction]
#[pyo3(signature = (timeout_s = 1.0))]
fn _shutdown(py: Python<'_>, timeout_s: f64) {
    let timeout = Duration::from_secs_f64(timeout_s.clamp(0.0, 60.0));
    py.detach(|| gate::shutdown(timeout));
}

/// `os.register_at_fork(before=...)`.
#[pyfunction]
fn _before_fork() {
    gate::before_fork();
}

/// `os.register_at_fork(after_in_parent=...)`.
#[pyfunction]
fn _after_fork_in_parent() {
    gate::after_fork_in_parent();
}

/// `os.register_at_fork(after_in_child=...)`: forget the parent's tasks. The runtime, the
/// ARM clients and the credentials are per process already and get rebuilt on first use.
#[pyfunction]
fn _after_fork() {
    gate::after_fork_in_child();
}

/// Async calls started whose result is not delivered yet.
#[pyfunction]
fn _in_flight() -> usize {
    gate::in_flight()
}

/// Re-read the levels of the `azml` loggers (done at the start of every call anyway).
#[pyfunction]
fn _refresh_logging(py: Python<'_>) -> PyResult<u8> {
    logbridge::refresh(py)?;
    Ok(logbridge::threshold())
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
    logbridge::install(m.py())?;
    m.add_class::<core::Core>()?;
    m.add_class::<cloud::Cloud>()?;
    m.add_class::<poller::PollerCore>()?;
    m.add_class::<credential::ClientSecretCredential>()?;
    m.add_class::<credential::AccessToken>()?;
    m.add_class::<credential::AccessTokenInfo>()?;
    credentials::register(m)?;
    m.add_class::<emulator::Emulator>()?;
    m.add_function(wrap_pyfunction!(_shutdown, m)?)?;
    m.add_function(wrap_pyfunction!(_before_fork, m)?)?;
    m.add_function(wrap_pyfunction!(_after_fork_in_parent, m)?)?;
    m.add_function(wrap_pyfunction!(_after_fork, m)?)?;
    m.add_function(wrap_pyfunction!(_in_flight, m)?)?;
    m.add_function(wrap_pyfunction!(_refresh_logging, m)?)?;
    m.add_function(wrap_pyfunction!(resolve_subscription, m)?)?;
    m.add_function(wrap_pyfunction!(azcli::az_check_query, m)?)?;
    m.add_function(wrap_pyfunction!(azcli::az_check_output, m)?)?;
    m.add_function(wrap_pyfunction!(azcli::az_query, m)?)?;
    m.add_function(wrap_pyfunction!(azcli::az_output, m)?)?;
    Ok(())
}
