//! Every command the bindings run, declared once: its operation name, its parameters (the
//! typed structs of `azml_core::ops`, which refuse unknown keywords), whether it is
//! long-running (then it has a `begin_` form and a poller), where the Python client has it
//! and which az command it is. The `Request` enum, its parsing, the list of long operations
//! and the table Python reads (`_azml.COMMANDS`, from which the client's and the console
//! script's coverage is checked) all come from this one declaration; what each command does
//! is `Request::run` in `commands`.

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple};
use serde::de::DeserializeOwned;
use serde::Deserialize;

use super::errors;
use azml_core::ops;
use azml_core::ops::lro::LongRequest;

/// The parameters of the commands that take a name only.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Named {
    pub(crate) name: String,
}

/// A lookup that cannot search the whole subscription: az's `monitor app-insights component
/// show` needs the group.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct FindInGroup {
    pub(crate) name: String,
    pub(crate) resource_group: String,
}

/// One declared command, as `_azml.COMMANDS` gives it to Python.
#[derive(Debug)]
pub(crate) struct Declared {
    /// The operation name `Core.call` takes, e.g. `workspace.sync_keys`.
    pub(crate) op: &'static str,
    /// Where the client has it: `{namespace attribute}.{method}`.
    pub(crate) python: &'static str,
    /// The az command line's words, e.g. `ml workspace sync-keys`.
    pub(crate) az: &'static str,
    /// Long-running: the client also has `begin_{method}`, returning a poller.
    pub(crate) long: bool,
}

fn params<T: DeserializeOwned>(
    py: Python<'_>,
    op: &str,
    kwargs: Option<&Bound<'_, PyDict>>,
) -> PyResult<T> {
    let empty;
    let kwargs = match kwargs {
        Some(k) => k,
        None => {
            empty = PyDict::new(py);
            &empty
        }
    };
    pythonize::depythonize::<T>(kwargs.as_any())
        .map_err(|e| errors::validation(py, format!("{op}: {e}")))
}

macro_rules! declare_commands {
    ($(
        $op:literal => $variant:ident($params:ty),
            python $python:literal, az $az:literal $(, long $long:ident)?;
    )*) => {
        /// One command with its parameters, parsed (and so checked) before anything is sent.
        #[derive(Debug)]
        pub(crate) enum Request {
            $($variant($params),)*
        }

        pub(crate) const COMMANDS: &[Declared] = &[
            $(Declared {
                op: $op,
                python: $python,
                az: $az,
                long: declare_commands!(@long $($long)?),
            },)*
        ];

        impl Request {
            /// `op` and its keyword arguments as a typed request; an unknown operation or
            /// keyword, a missing or mistyped argument is a `ValidationError` here.
            pub(crate) fn parse(
                py: Python<'_>,
                op: &str,
                kwargs: Option<&Bound<'_, PyDict>>,
            ) -> PyResult<Self> {
                match op {
                    $($op => Ok(Request::$variant(params(py, op, kwargs)?)),)*
                    other => Err(errors::validation(
                        py,
                        format!(
                            "unknown operation '{other}': expected one of {}",
                            operations(|_| true).join(", ")
                        ),
                    )),
                }
            }

            /// The long commands, for `begin_*`.
            pub(crate) fn into_long(self) -> Option<LongRequest> {
                match self {
                    $($(Request::$variant(p) => Some(LongRequest::$long(p)),)?)*
                    _ => None,
                }
            }
        }
    };
    (@long) => { false };
    (@long $long:ident) => { true };
}

declare_commands! {
    "group.create" => GroupCreate(ops::GroupCreate),
        python "groups.create", az "group create";
    "group.show" => GroupShow(Named),
        python "groups.show", az "group show";
    "group.list" => GroupList(ops::GroupList),
        python "groups.list", az "group list";
    "group.exists" => GroupExists(Named),
        python "groups.exists", az "group exists";
    "group.delete" => GroupDelete(ops::GroupDelete),
        python "groups.delete", az "group delete", long GroupDelete;
    "group.update" => GroupUpdate(ops::GroupUpdate),
        python "groups.update", az "group update";
    "workspace.create" => WorkspaceCreate(Box<ops::WorkspaceCreate>),
        python "workspaces.create", az "ml workspace create", long WorkspaceCreate;
    "workspace.list" => WorkspaceList(ops::WorkspaceList),
        python "workspaces.list", az "ml workspace list";
    "workspace.show" => WorkspaceShow(ops::WorkspaceRef),
        python "workspaces.show", az "ml workspace show";
    "workspace.update" => WorkspaceUpdate(Box<ops::WorkspaceUpdate>),
        python "workspaces.update", az "ml workspace update", long WorkspaceUpdate;
    "workspace.delete" => WorkspaceDelete(ops::WorkspaceDelete),
        python "workspaces.delete", az "ml workspace delete", long WorkspaceDelete;
    "workspace.share" => WorkspaceShare(ops::WorkspaceShare),
        python "workspaces.share", az "ml workspace share";
    "workspace.sync_keys" => WorkspaceSyncKeys(ops::WorkspaceRef),
        python "workspaces.sync_keys", az "ml workspace sync-keys", long WorkspaceSyncKeys;
    "workspace.list_keys" => WorkspaceListKeys(ops::WorkspaceRef),
        python "workspaces.list_keys", az "ml workspace list-keys";
    "workspace.diagnose" => WorkspaceDiagnose(ops::WorkspaceRef),
        python "workspaces.diagnose", az "ml workspace diagnose", long WorkspaceDiagnose;
    "storage_account.show" => StorageAccountShow(ops::FindResource),
        python "storage_accounts.show", az "storage account show";
    "keyvault.show" => KeyVaultShow(ops::FindResource),
        python "keyvaults.show", az "keyvault show";
    "application_insights.show" => ApplicationInsightsShow(FindInGroup),
        python "application_insights.show", az "monitor app-insights component show";
    "container_registry.show" => ContainerRegistryShow(ops::FindResource),
        python "container_registries.show", az "acr show";
}

/// The operation names of the declared commands `keep` keeps, in declaration order.
pub(crate) fn operations(keep: impl Fn(&Declared) -> bool) -> Vec<&'static str> {
    COMMANDS.iter().filter(|c| keep(c)).map(|c| c.op).collect()
}

pub(crate) fn is_long(op: &str) -> bool {
    COMMANDS.iter().any(|c| c.long && c.op == op)
}

/// `_azml.COMMANDS`: `(op, python, az, long)` for every declared command.
pub(crate) fn as_python(py: Python<'_>) -> PyResult<Bound<'_, PyTuple>> {
    let rows = COMMANDS
        .iter()
        .map(|c| (c.op, c.python, c.az, c.long).into_pyobject(py))
        .collect::<PyResult<Vec<_>>>()?;
    PyTuple::new(py, rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_is_declared_once() {
        for pick in [
            |c: &Declared| c.op,
            |c: &Declared| c.python,
            |c: &Declared| c.az,
        ] {
            let mut names: Vec<&str> = COMMANDS.iter().map(pick).collect();
            let count = names.len();
            names.sort_unstable();
            names.dedup();
            assert_eq!(names.len(), count, "{names:?}");
        }
    }

    #[test]
    fn the_long_commands_are_those_with_a_long_request() {
        assert_eq!(
            operations(|c| c.long),
            [
                "group.delete",
                "workspace.create",
                "workspace.update",
                "workspace.delete",
                "workspace.sync_keys",
                "workspace.diagnose"
            ]
        );
        assert!(is_long("workspace.create") && !is_long("workspace.show"));
    }
}
