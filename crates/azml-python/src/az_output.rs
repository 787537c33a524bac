//! az's output pipeline for `azml.az` and the console script: `--query` and `-o`, done by
//! `azml_core::output` exactly as az does them.

use pyo3::prelude::*;
use serde_json::Value;

use super::errors;
use azml_core::output::{self, OutputError, OutputKind, TableTransformer};

fn to_value(py: Python<'_>, value: &Bound<'_, PyAny>) -> PyResult<Value> {
    pythonize::depythonize::<Value>(value)
        .map_err(|e| errors::validation(py, format!("the result is not JSON-like: {e}")))
}

fn transformer(py: Python<'_>, name: Option<&str>) -> PyResult<Option<TableTransformer>> {
    match name {
        None => Ok(None),
        Some("group_list") => Ok(Some(TableTransformer::GroupList)),
        Some(other) => Err(errors::validation(
            py,
            format!("unknown table transformer '{other}': expected 'group_list' or None"),
        )),
    }
}

/// Checks a `--query` expression as az does while reading its arguments (before any
/// request); raises `ValidationError` with az's message.
#[pyfunction]
pub fn az_check_query(py: Python<'_>, query: &str) -> PyResult<()> {
    output::check_query(query).map_err(|e| errors::validation(py, e.to_string()))
}

/// Checks an `-o` value; returns az's name for it.
#[pyfunction]
pub fn az_check_output(py: Python<'_>, output: &str) -> PyResult<&'static str> {
    output
        .parse::<OutputKind>()
        .map(OutputKind::as_str)
        .map_err(|e| errors::validation(py, e.to_string()))
}

/// The value az would print as JSON: its resource-group transform, then `--query`.
#[pyfunction]
#[pyo3(signature = (value, query = None))]
pub fn az_query<'py>(
    py: Python<'py>,
    value: &Bound<'py, PyAny>,
    query: Option<&str>,
) -> PyResult<Bound<'py, PyAny>> {
    let v = output::add_resource_group(&to_value(py, value)?);
    let out = match query {
        Some(q) => output::query(&v, q).map_err(|e| errors::validation(py, e.to_string()))?,
        None => v,
    };
    Ok(pythonize::pythonize(py, &out)?)
}

/// The text az prints for `value` with `--query query -o output` (`tty`: whether stdout is a
/// terminal, for the coloured kinds; `transformer`: the command's table transformer).
#[pyfunction]
#[pyo3(signature = (value, query = None, output = "json", transformer = None, tty = false))]
pub fn az_output(
    py: Python<'_>,
    value: &Bound<'_, PyAny>,
    query: Option<&str>,
    output: &str,
    transformer: Option<&str>,
    tty: bool,
) -> PyResult<String> {
    let kind = output
        .parse::<OutputKind>()
        .map_err(|e| errors::validation(py, e.to_string()))?
        .for_terminal(tty);
    let t = self::transformer(py, transformer)?;
    let v = to_value(py, value)?;
    output::az_output(&v, query, kind, t).map_err(|e| match e {
        OutputError::Query(q) => errors::validation(py, q.to_string()),
        OutputError::Table(t) => errors::internal(py, &t.to_string()),
    })
}
