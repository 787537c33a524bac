//! Blocking on a future of the shared runtime from a Python thread: the GIL released, Ctrl-C
//! honoured.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::mpsc;
use std::time::Duration;

use futures::FutureExt;
use pyo3::prelude::*;

use super::{errors, lifecycle};

/// How often a blocked caller wakes up to let Python run its signal handlers.
const SIGNAL_SLICE: Duration = Duration::from_millis(50);

/// Run `fut` to completion, turning a panic into an error (an async caller would otherwise
/// wait forever for a result that never comes).
pub async fn catch_panic<T>(fut: impl Future<Output = T>) -> Result<T, Panicked> {
    AssertUnwindSafe(fut).catch_unwind().await.map_err(|panic| {
        let what = panic
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".into());
        Panicked(what)
    })
}

/// A task panicked (a bug in azml): raised as the root `AzureError`.
#[derive(Debug)]
pub struct Panicked(pub String);

impl Panicked {
    pub fn to_pyerr(&self, py: Python<'_>) -> PyErr {
        errors::internal(py, &format!("internal error in azml: {}", self.0))
    }
}

/// The outcome of a task: its result, or a panic.
pub fn to_py_result<T>(py: Python<'_>, r: Result<azml_core::Result<T>, Panicked>) -> PyResult<T> {
    match r {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(errors::to_pyerr(py, &e)),
        Err(p) => Err(p.to_pyerr(py)),
    }
}

/// Run `fut` on the shared runtime and wait for it with the GIL released. Checks for signals
/// every [`SIGNAL_SLICE`]; when a handler raises (KeyboardInterrupt), the task is aborted
/// and the exception propagates.
pub fn run<T, F>(py: Python<'_>, fut: F) -> PyResult<T>
where
    F: Future<Output = azml_core::Result<T>> + Send + 'static,
    T: Send + 'static,
{
    let (tx, rx) = mpsc::sync_channel(1);
    let task = azml_core::runtime::shared().spawn(async move {
        let _ = tx.send(catch_panic(fut).await);
    });
    let mut rx = rx;
    loop {
        // The receiver is not `Sync`: move it into the detached closure and back.
        let (received, back, reattaching) = py.detach(move || {
            let received = rx.recv_timeout(SIGNAL_SLICE);
            (received, rx, lifecycle::before_reattach())
        });
        drop(reattaching);
        rx = back;
        match received {
            Ok(result) => return to_py_result(py, result),
            Err(mpsc::RecvTimeoutError::Timeout) => {
                if let Err(e) = py.check_signals() {
                    task.abort();
                    return Err(e);
                }
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                return Err(errors::internal(py, "the azml task ended without a result"))
            }
        }
    }
}
