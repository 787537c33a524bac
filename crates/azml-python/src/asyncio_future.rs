//! Rust futures → asyncio futures, without pyo3-async-runtimes' result delivery.
//!
//! The asyncio future is created on the caller's running loop; the Rust future runs on the
//! shared runtime; its result is handed to the loop with `call_soon_threadsafe`, through the
//! gate of [`super::lifecycle`] so that no runtime thread attaches while Python finalizes.
//! Cancelling the asyncio future aborts the task.

use std::future::Future;

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use serde_json::Value;
use tokio::task::AbortHandle;

use super::blocking::{catch_panic, to_py_result, Panicked};
use super::lifecycle;

static GET_RUNNING_LOOP: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
static DELIVER: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

/// Done-callback of the asyncio future: a cancelled future aborts its task.
#[pyclass(module = "azml._azml", frozen)]
pub struct AbortOnCancel {
    handle: AbortHandle,
}

#[pymethods]
impl AbortOnCancel {
    fn __call__(&self, fut: &Bound<'_, PyAny>) -> PyResult<()> {
        if fut.call_method0("cancelled")?.is_truthy()? {
            self.handle.abort();
        }
        Ok(())
    }
}

fn deliver(
    event_loop: Py<PyAny>,
    fut: Py<PyAny>,
    outcome: Result<azml_core::Result<Value>, Panicked>,
) {
    // `None`: Python is finalizing; nobody is waiting for this result any more.
    let _ = lifecycle::with_python(|py| {
        let (ok, value) =
            match to_py_result(py, outcome).and_then(|v| Ok(pythonize::pythonize(py, &v)?)) {
                Ok(v) => (true, v),
                Err(e) => (false, e.into_value(py).into_bound(py).into_any()),
            };
        let deliver = match DELIVER.get_or_try_init(py, || {
            Ok::<_, PyErr>(py.import("azml._bridge")?.getattr("_deliver")?.unbind())
        }) {
            Ok(d) => d.bind(py),
            Err(e) => {
                e.write_unraisable(py, None);
                return;
            }
        };
        let scheduled = event_loop
            .bind(py)
            .call_method1("call_soon_threadsafe", (deliver, fut.bind(py), ok, value));
        if let Err(e) = scheduled {
            // A closed loop: nobody can await the future any more.
            if !e.is_instance_of::<pyo3::exceptions::PyRuntimeError>(py) {
                e.write_unraisable(py, None);
            }
        }
        // Drop our references while attached, rather than leave them to a later attach.
        drop(fut);
        drop(event_loop);
    });
}

/// Start `fut` on the shared runtime and return the asyncio future of its result: `future`
/// if given (created by the caller on its running loop), else a new one of the running loop.
pub fn spawn<'py, F>(
    py: Python<'py>,
    fut: F,
    future: Option<Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyAny>>
where
    F: Future<Output = azml_core::Result<Value>> + Send + 'static,
{
    let py_fut = match future {
        Some(f) => f,
        None => {
            let get_running_loop = GET_RUNNING_LOOP.get_or_try_init(py, || {
                Ok::<_, PyErr>(py.import("asyncio")?.getattr("get_running_loop")?.unbind())
            })?;
            get_running_loop
                .bind(py)
                .call0()?
                .call_method0("create_future")?
        }
    };
    let event_loop = py_fut.call_method0("get_loop")?;
    let in_flight = lifecycle::InFlight::new();
    let (loop_ref, fut_ref) = (event_loop.unbind(), py_fut.clone().unbind());
    let task = azml_core::runtime::shared().spawn(async move {
        let outcome = catch_panic(fut).await;
        deliver(loop_ref, fut_ref, outcome);
        drop(in_flight);
    });
    let abort = Bound::new(
        py,
        AbortOnCancel {
            handle: task.abort_handle(),
        },
    )?;
    py_fut.call_method1("add_done_callback", (abort,))?;
    Ok(py_fut)
}
