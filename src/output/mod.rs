//! Pure functions: ARM JSON → az JSON (AZ-OUTPUT.md). Every object they return has its keys
//! in sorted order (serde_json `preserve_order` keeps insertion order), so printing with
//! `json.dumps(x, indent=2)` matches az.
//!
//! INTERFACE CONTRACT (used by `python`; bodies filled in by the output work).

use serde_json::Value;

/// The shape of workspace results.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    /// The documentation's shape (azureml-core 1.1.5 era), the default.
    #[default]
    V1,
    /// The current `ml` extension's shape (azure-ai-ml).
    V2,
    /// The ARM body as received.
    Arm,
}

impl std::str::FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "v1" => Ok(Format::V1),
            "v2" => Ok(Format::V2),
            "arm" => Ok(Format::Arm),
            other => Err(format!("unknown output format '{other}': use 'v1', 'v2' or 'arm'")),
        }
    }
}

/// `az ml workspace show/create/update` from a workspace ARM body.
pub fn workspace(_arm: &Value, _format: Format) -> Value {
    todo!()
}

/// One entry of `az ml workspace list`: `{resourceGroup, subscriptionId, workspaceName}`
/// (v1); v2 prints the full workspace per entry; arm the body.
pub fn workspace_list_entry(_arm: &Value, _format: Format) -> Value {
    todo!()
}

/// `az group create/show/list` entry from a resource group ARM body (nulls kept).
pub fn group(_arm: &Value) -> Value {
    todo!()
}

/// Recursively sort the keys of every object (what az does on output).
pub fn sort_keys(_v: &Value) -> Value {
    todo!()
}
