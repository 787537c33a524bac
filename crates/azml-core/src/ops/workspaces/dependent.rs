//! A resource a workspace links to (storage account, key vault, App Insights, …), as a
//! creation records what it made (for the rollback) and a deletion what it will remove.

use serde::{Deserialize, Serialize};

use crate::arm::resource_id::Kind;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Dependent {
    pub(crate) kind: Kind,
    pub(crate) name: String,
    pub(crate) path: String,
}

impl Dependent {
    pub(crate) fn describe(&self) -> String {
        format!("{} '{}'", self.kind.label(), self.name)
    }
}
