//! `PollerCore`: the engine of `azml.Poller` and `azml.AsyncPoller`. One long command,
//! begun here (`Core.poller(...)` then `begin`/`begin_async`) or resumed from a continuation
//! token (`Core.resume`), finished by one polling task on the shared runtime.
//!
//! Blocking pollers start polling as soon as the command is begun and keep at it in the
//! background, as azure-core's `LROPoller` does; asyncio pollers poll only while a
//! `result()`/`wait()` is awaited, so cancelling the awaiting task stops the polling (and
//! nothing else: ARM goes on, and the token can still be resumed). `cancel()` stops the
//! polling of this poller for good.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use pyo3::prelude::*;
use serde_json::Value;
use tokio::sync::watch;
use tokio::task::AbortHandle;

use super::client_state::Inner;
use super::{asyncio_future, blocking, errors};
use azml_core::error::{Error, ErrorKind};
use azml_core::ops::lro::{Continuation, ContinuationToken, LongRequest};
use azml_core::output::{self, Format};

type Outcome = Option<std::result::Result<Value, Error>>;

/// Where the command is.
enum Stage {
    /// Parsed and checked, not sent.
    New(Option<LongRequest>),
    /// Being begun by a `begin` call.
    Beginning,
    /// Accepted by ARM: what is left, and its token.
    Begun {
        rest: Box<Continuation>,
        token: String,
    },
}

struct State {
    stage: Stage,
    /// The polling task while it runs.
    task: Option<AbortHandle>,
    /// `cancel()` was called.
    stopped: bool,
}

struct Shared {
    inner: Arc<Inner>,
    op: String,
    format: Format,
    state: Mutex<State>,
    outcome: watch::Sender<Outcome>,
    /// asyncio waiters (`result_async`, `wait_async`) not yet gone: the polling of an
    /// asyncio poller stops when the last one goes away before the end.
    waiters: AtomicUsize,
    /// `x-ms-correlation-request-id` of every request this poller sends, begin and polls.
    correlation: String,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn outcome(&self) -> Outcome {
        self.outcome.borrow().clone()
    }

    /// Start the polling task unless it runs, has ended, or polling was stopped.
    fn start(self: &Arc<Self>) {
        let mut st = self.lock();
        if st.stopped || st.task.as_ref().is_some_and(|t| !t.is_finished()) {
            return;
        }
        if self.outcome.borrow().is_some() {
            return;
        }
        let Stage::Begun { rest, .. } = &st.stage else {
            return;
        };
        let rest = (**rest).clone();
        let me = self.clone();
        let task = azml_core::runtime::shared().spawn(async move {
            let result = azml_core::arm::correlated(me.correlation.clone(), async {
                let ops = me.inner.ops()?;
                let v = ops.finish(rest).await?;
                Ok(shape(&me.op, v, me.format))
            })
            .await;
            me.outcome.send_replace(Some(result));
        });
        st.task = Some(task.abort_handle());
    }

    /// Stop polling (the operation goes on in Azure).
    fn stop_polling(&self) {
        if let Some(t) = self.lock().task.take() {
            t.abort();
        }
    }

    /// Wait until the command has finished or `timeout` has passed; true when finished.
    async fn wait(self: Arc<Self>, timeout: Option<Duration>) -> bool {
        let mut rx = self.outcome.subscribe();
        let finished = async {
            let _ = rx.wait_for(Option::is_some).await;
        };
        match timeout {
            Some(t) => tokio::time::timeout(t, finished).await.is_ok(),
            None => {
                finished.await;
                true
            }
        }
    }

    fn timed_out(&self, timeout: Option<Duration>) -> Error {
        Error::new(
            ErrorKind::Timeout,
            format!(
                "{} did not finish within {} s; it goes on: call result() again, or resume continuation_token() later",
                self.op,
                timeout.unwrap_or_default().as_secs_f64()
            ),
        )
    }
}

/// The result as the plain command returns it.
fn shape(op: &str, v: Value, format: Format) -> Value {
    match op {
        "workspace.create" | "workspace.update" => output::workspace(&v, format),
        "workspace.diagnose" => v,
        _ => Value::Null,
    }
}

fn seconds(py: Python<'_>, timeout: Option<f64>) -> PyResult<Option<Duration>> {
    match timeout {
        None => Ok(None),
        Some(t) if t.is_finite() && t >= 0.0 => Ok(Some(Duration::from_secs_f64(t))),
        Some(t) => Err(errors::validation(
            py,
            format!("timeout must be a number of seconds >= 0, not {t}"),
        )),
    }
}

/// One asyncio waiter: when the last one goes away before the end (its task cancelled, or
/// its timeout reached), the polling stops.
struct Waiter(Arc<Shared>);

impl Waiter {
    /// Registered before the polling is started, so that a waiter leaving meanwhile cannot
    /// stop the polling this one is about to wait for.
    fn register(shared: &Arc<Shared>) -> Self {
        shared.waiters.fetch_add(1, Ordering::SeqCst);
        Waiter(shared.clone())
    }
}

impl Drop for Waiter {
    fn drop(&mut self) {
        let last = self.0.waiters.fetch_sub(1, Ordering::SeqCst) == 1;
        if last && self.0.outcome.borrow().is_none() {
            self.0.stop_polling();
        }
    }
}

#[pyclass(module = "azml._azml", frozen)]
pub struct PollerCore {
    shared: Arc<Shared>,
}

impl PollerCore {
    pub(crate) fn new(inner: Arc<Inner>, op: &str, request: LongRequest) -> Self {
        let format = inner.format;
        PollerCore {
            shared: Arc::new(Shared {
                correlation: uuid::Uuid::new_v4().to_string(),
                inner,
                op: op.to_string(),
                format,
                state: Mutex::new(State {
                    stage: Stage::New(Some(request)),
                    task: None,
                    stopped: false,
                }),
                outcome: watch::Sender::new(None),
                waiters: AtomicUsize::new(0),
            }),
        }
    }

    pub(crate) fn resumed(inner: Arc<Inner>, token: ContinuationToken, raw: String) -> Self {
        let format = token.output.parse().unwrap_or(inner.format);
        PollerCore {
            shared: Arc::new(Shared {
                correlation: uuid::Uuid::new_v4().to_string(),
                inner,
                op: token.op,
                format,
                state: Mutex::new(State {
                    stage: Stage::Begun {
                        rest: Box::new(token.state),
                        token: raw,
                    },
                    task: None,
                    stopped: false,
                }),
                outcome: watch::Sender::new(None),
                waiters: AtomicUsize::new(0),
            }),
        }
    }

    /// The future that sends the command's first requests and records the continuation.
    fn beginning(
        &self,
        py: Python<'_>,
        accept: bool,
    ) -> PyResult<impl std::future::Future<Output = azml_core::Result<Value>> + Send + 'static>
    {
        let request = {
            let mut st = self.shared.lock();
            match &mut st.stage {
                Stage::New(r) => {
                    let r = r.take();
                    st.stage = Stage::Beginning;
                    r
                }
                _ => None,
            }
        };
        let Some(request) = request else {
            return Err(errors::validation(py, "this poller has been begun already"));
        };
        let shared = self.shared.clone();
        Ok(async move {
            let inner = &shared.inner;
            let rest = azml_core::arm::correlated(shared.correlation.clone(), async {
                let ops = inner.ops()?;
                let begun = ops.begin(request).await?;
                // An asyncio poller polls only while awaited: its `begin_` must itself carry
                // the command to ARM's acceptance, as azure-core's do. A blocking poller
                // starts at once in the background, so its token can come before the first
                // write.
                if accept {
                    ops.accept(begun).await
                } else {
                    Ok(begun)
                }
            })
            .await;
            let rest = match rest {
                Ok(r) => r,
                Err(e) => {
                    shared.outcome.send_replace(Some(Err(e.clone())));
                    return Err(e);
                }
            };
            let token = ContinuationToken {
                v: azml_core::ops::lro::TOKEN_VERSION,
                endpoint: azml_core::ops::lro::endpoint_origin(&inner.config.endpoint)?,
                subscription: inner.subscription_id.clone(),
                op: shared.op.clone(),
                output: format_name(shared.format).to_string(),
                state: rest.clone(),
            }
            .encode();
            shared.lock().stage = Stage::Begun {
                rest: Box::new(rest),
                token,
            };
            Ok(Value::Null)
        })
    }
}

pub(crate) fn format_name(f: Format) -> &'static str {
    match f {
        Format::V1 => "v1",
        Format::V2 => "v2",
        Format::Arm => "arm",
    }
}

#[pymethods]
impl PollerCore {
    /// Send the command's first requests (blocking) and start polling in the background.
    fn begin(&self, py: Python<'_>) -> PyResult<()> {
        let fut = self.beginning(py, false)?;
        blocking::run(py, fut)?;
        self.shared.start();
        Ok(())
    }

    /// Send the command's first requests; returns an asyncio future of None. Polling starts
    /// when a result is awaited.
    fn begin_async<'py>(
        &self,
        py: Python<'py>,
        future: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let fut = self.beginning(py, true)?;
        asyncio_future::spawn(py, fut, future)
    }

    /// Start polling in the background (blocking pollers).
    #[pyo3(name = "start")]
    fn py_start(&self) {
        self.shared.start();
    }

    /// The name of the command (`workspace.create` …).
    #[getter]
    fn operation(&self) -> String {
        self.shared.op.clone()
    }

    fn continuation_token(&self, py: Python<'_>) -> PyResult<String> {
        match &self.shared.lock().stage {
            Stage::Begun { token, .. } => Ok(token.clone()),
            _ => Err(errors::validation(
                py,
                "the operation has not been accepted by ARM yet: there is no token to resume",
            )),
        }
    }

    fn done(&self) -> bool {
        self.shared.outcome.borrow().is_some()
    }

    /// `InProgress`, `Succeeded`, `Failed`, or `Stopped` (polling cancelled here; the
    /// operation goes on in Azure).
    fn status(&self) -> &'static str {
        // The outcome is read and released before the state is locked: `start` takes them
        // in the other order.
        let finished = self.shared.outcome.borrow().as_ref().map(|r| r.is_ok());
        match finished {
            Some(true) => "Succeeded",
            Some(false) => "Failed",
            None if self.shared.lock().stopped => "Stopped",
            None => "InProgress",
        }
    }

    /// Stop polling, for good (the operation goes on in Azure; the token can be resumed).
    fn cancel(&self) {
        self.shared.lock().stopped = true;
        self.shared.stop_polling();
    }

    /// Wait (blocking) until the end or `timeout` seconds; true when finished.
    #[pyo3(signature = (timeout = None))]
    fn wait(&self, py: Python<'_>, timeout: Option<f64>) -> PyResult<bool> {
        let timeout = seconds(py, timeout)?;
        self.check_running(py)?;
        self.shared.start();
        let shared = self.shared.clone();
        blocking::run(py, async move { Ok(shared.wait(timeout).await) })
    }

    /// The result (blocking), as the plain command returns it.
    #[pyo3(signature = (timeout = None))]
    fn result<'py>(&self, py: Python<'py>, timeout: Option<f64>) -> PyResult<Bound<'py, PyAny>> {
        let limit = seconds(py, timeout)?;
        if !self.wait(py, timeout)? {
            return Err(errors::to_pyerr(py, &self.shared.timed_out(limit)));
        }
        self.finished(py)
    }

    /// An asyncio future of the result; the polling runs while it is awaited.
    #[pyo3(signature = (timeout = None, future = None))]
    fn result_async<'py>(
        &self,
        py: Python<'py>,
        timeout: Option<f64>,
        future: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let timeout = seconds(py, timeout)?;
        self.check_running(py)?;
        let waiter = Waiter::register(&self.shared);
        self.shared.start();
        let shared = self.shared.clone();
        asyncio_future::spawn(
            py,
            async move {
                let finished = shared.clone().wait(timeout).await;
                drop(waiter);
                if !finished {
                    return Err(shared.timed_out(timeout));
                }
                shared.outcome().expect("finished")
            },
            future,
        )
    }

    /// An asyncio future of whether the command finished within `timeout`.
    #[pyo3(signature = (timeout = None, future = None))]
    fn wait_async<'py>(
        &self,
        py: Python<'py>,
        timeout: Option<f64>,
        future: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let timeout = seconds(py, timeout)?;
        self.check_running(py)?;
        let waiter = Waiter::register(&self.shared);
        self.shared.start();
        let shared = self.shared.clone();
        asyncio_future::spawn(
            py,
            async move {
                let finished = shared.wait(timeout).await;
                drop(waiter);
                Ok(Value::Bool(finished))
            },
            future,
        )
    }

    fn __repr__(&self) -> String {
        format!(
            "PollerCore(operation='{}', status='{}')",
            self.shared.op,
            self.status()
        )
    }
}

impl PollerCore {
    /// Raise `PollerCancelledError` after `cancel()`, unless the result is there anyway.
    fn check_running(&self, py: Python<'_>) -> PyResult<()> {
        let st = self.shared.lock();
        if st.stopped && self.shared.outcome.borrow().is_none() {
            return Err(match errors::class(py, "PollerCancelledError").and_then(|c| {
                c.call1((format!(
                    "polling of {} was cancelled; the operation may still be running in Azure: resume continuation_token() to follow it again",
                    self.shared.op
                ),))
            }) {
                Ok(exc) => PyErr::from_value(exc),
                Err(e) => e,
            });
        }
        if matches!(st.stage, Stage::New(_) | Stage::Beginning)
            && self.shared.outcome.borrow().is_none()
        {
            return Err(errors::validation(py, "the operation has not been begun"));
        }
        Ok(())
    }

    fn finished<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        match self.shared.outcome() {
            Some(Ok(v)) => Ok(pythonize::pythonize(py, &v)?),
            Some(Err(e)) => Err(errors::to_pyerr(py, &e)),
            None => Err(errors::internal(py, "the poller has no result")),
        }
    }
}
