//! `tracing` events of the client side → Python's `logging` (logger `azml` and its children
//! `azml.arm`, `azml.auth`, `azml.ops`).
//!
//! Cheap when nobody listens: the lowest level any `azml` logger is enabled for is cached in
//! an atomic, refreshed from Python (with the GIL already held) at module import and at the
//! start of every call; an event below it is dropped without touching Python. An event that
//! passes attaches through [`super::lifecycle::with_python`], so that no runtime thread attaches
//! once the interpreter is exiting.
//!
//! Only our own events go to Python: third-party crates (hyper, reqwest, azure_core) are not
//! forwarded, and neither is the embedded emulator, whose server never touches Python.
//! Nothing secret is in these events to begin with (the pipeline logs no header value and
//! redacts query values); see `azml_core::arm`.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU8, Ordering};

use pyo3::prelude::*;
use pyo3::types::PyDict;
use tracing::field::{Field, Visit};
use tracing::subscriber::Interest;
use tracing::{span, Event, Level, Metadata, Subscriber};

use super::lifecycle;

/// Python's levels; `OFF` when no `azml` logger is enabled at all.
const TRACE: u8 = 5;
const DEBUG: u8 = 10;
const INFO: u8 = 20;
const WARNING: u8 = 30;
const ERROR: u8 = 40;
const OFF: u8 = u8::MAX;

/// The lowest Python level an `azml` logger is enabled for.
static THRESHOLD: AtomicU8 = AtomicU8::new(OFF);

/// The loggers events go to; their effective levels make the threshold.
const LOGGERS: &[&str] = &["azml", "azml.arm", "azml.auth", "azml.ops"];

fn py_level(level: &Level) -> u8 {
    match *level {
        Level::TRACE => TRACE,
        Level::DEBUG => DEBUG,
        Level::INFO => INFO,
        Level::WARN => WARNING,
        Level::ERROR => ERROR,
    }
}

/// The logger of an event target, or `None` for targets that are not forwarded: the client
/// core's rooms get their own loggers, the bindings' events go to `azml`, and the emulator's
/// (crate `azml_emulator`) and the libraries' stay out.
fn logger_for(target: &str) -> Option<&'static str> {
    let mut parts = target.split("::");
    match (parts.next()?, parts.next()) {
        ("azml_core", Some("arm")) => Some("azml.arm"),
        ("azml_core", Some("auth")) => Some("azml.auth"),
        ("azml_core", Some("ops")) => Some("azml.ops"),
        ("azml_core" | "_azml", _) => Some("azml"),
        _ => None,
    }
}

/// Reads the `azml` loggers' levels into the cache. Called with the GIL held.
///
/// Reading them runs Python code, and the interpreter runs pending signal handlers there: a
/// Ctrl-C that lands now surfaces as a `KeyboardInterrupt` from these calls. It is handed
/// back (`Err`) rather than swallowed, or the user's Ctrl-C would be lost. Any other failure
/// only turns the bridge off.
pub fn refresh(py: Python<'_>) -> PyResult<()> {
    let level = (|| -> PyResult<u8> {
        let logging = py.import("logging")?;
        // `logging.disable(N)` turns off everything at N and below.
        let disabled: i64 = logging
            .getattr("root")?
            .getattr("manager")?
            .getattr("disable")?
            .extract()?;
        let mut lowest = i64::MAX;
        for name in LOGGERS {
            let logger = logging.call_method1("getLogger", (*name,))?;
            if logger.getattr("disabled")?.is_truthy()? {
                continue;
            }
            let effective: i64 = logger.call_method0("getEffectiveLevel")?.extract()?;
            lowest = lowest.min(effective.max(disabled + 1));
        }
        // NOTSET on every logger up to the root means the root's WARNING; an effective level
        // is never 0, but stay on the safe side.
        Ok(u8::try_from(lowest.max(1)).unwrap_or(OFF))
    })();
    match level {
        Ok(level) => {
            THRESHOLD.store(level, Ordering::Relaxed);
            Ok(())
        }
        Err(e) => {
            THRESHOLD.store(OFF, Ordering::Relaxed);
            // BaseException but not Exception: KeyboardInterrupt, SystemExit.
            if e.is_instance_of::<pyo3::exceptions::PyException>(py) {
                Ok(())
            } else {
                Err(e)
            }
        }
    }
}

/// The cached threshold (for tests).
pub fn threshold() -> u8 {
    THRESHOLD.load(Ordering::Relaxed)
}

/// Installs the bridge as the process's `tracing` subscriber, unless one is set already.
pub fn install(py: Python<'_>) -> PyResult<()> {
    refresh(py)?;
    let _ = tracing::subscriber::set_global_default(Bridge);
    Ok(())
}

struct Bridge;

/// `message` and the other fields of one event, rendered as text.
#[derive(Default)]
struct Fields {
    message: String,
    rest: Vec<(&'static str, String)>,
}

impl Visit for Fields {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.message.push_str(value);
        } else {
            self.rest.push((field.name(), value.to_string()));
        }
    }
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            let _ = write!(self.message, "{value:?}");
        } else {
            self.rest.push((field.name(), format!("{value:?}")));
        }
    }
}

impl Subscriber for Bridge {
    fn register_callsite(&self, meta: &'static Metadata<'static>) -> Interest {
        if logger_for(meta.target()).is_some() {
            Interest::sometimes()
        } else {
            Interest::never()
        }
    }

    fn enabled(&self, meta: &Metadata<'_>) -> bool {
        meta.is_event()
            && py_level(meta.level()) >= THRESHOLD.load(Ordering::Relaxed)
            && logger_for(meta.target()).is_some()
    }

    fn new_span(&self, _: &span::Attributes<'_>) -> span::Id {
        span::Id::from_u64(1)
    }
    fn record(&self, _: &span::Id, _: &span::Record<'_>) {}
    fn record_follows_from(&self, _: &span::Id, _: &span::Id) {}
    fn enter(&self, _: &span::Id) {}
    fn exit(&self, _: &span::Id) {}

    fn event(&self, event: &Event<'_>) {
        let meta = event.metadata();
        let Some(logger) = logger_for(meta.target()) else {
            return;
        };
        let level = py_level(meta.level());
        let mut fields = Fields::default();
        event.record(&mut fields);
        let mut text = fields.message;
        if !fields.rest.is_empty() {
            text.push_str(" (");
            for (i, (k, v)) in fields.rest.iter().enumerate() {
                if i > 0 {
                    text.push_str(", ");
                }
                let _ = write!(text, "{k}={v}");
            }
            text.push(')');
        }
        lifecycle::with_python(|py| {
            if let Err(e) = emit(py, logger, level, &text, &fields.rest) {
                // A Ctrl-C the logging call's Python code ran into: trip it again so that
                // the next signal check (the blocking call's wait loop) raises it.
                if e.is_instance_of::<pyo3::exceptions::PyKeyboardInterrupt>(py) {
                    // SAFETY: the GIL is held; this only sets the interpreter's flag.
                    unsafe { pyo3::ffi::PyErr_SetInterrupt() };
                }
            }
        });
    }
}

fn emit(
    py: Python<'_>,
    logger: &str,
    level: u8,
    text: &str,
    fields: &[(&'static str, String)],
) -> PyResult<()> {
    let logger = py.import("logging")?.call_method1("getLogger", (logger,))?;
    if !logger.call_method1("isEnabledFor", (level,))?.is_truthy()? {
        return Ok(());
    }
    let values = PyDict::new(py);
    for (k, v) in fields {
        values.set_item(*k, v)?;
    }
    let extra = PyDict::new(py);
    extra.set_item("azml", values)?;
    let kwargs = PyDict::new(py);
    kwargs.set_item("extra", extra)?;
    // `%s` so that a `%` in the text is not taken for a format.
    logger.call_method("log", (level, "%s", text), Some(&kwargs))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets() {
        assert_eq!(logger_for("azml_core::arm::pipeline"), Some("azml.arm"));
        assert_eq!(logger_for("azml_core::auth"), Some("azml.auth"));
        assert_eq!(logger_for("azml_core::ops::flows"), Some("azml.ops"));
        assert_eq!(logger_for("azml_core::runtime"), Some("azml"));
        assert_eq!(logger_for("_azml::core"), Some("azml"));
        assert_eq!(logger_for("_azml"), Some("azml"));
        assert_eq!(logger_for("azml_emulator::server"), None);
        assert_eq!(logger_for("_azmlx::y"), None);
        assert_eq!(logger_for("hyper::proto"), None);
    }
}
