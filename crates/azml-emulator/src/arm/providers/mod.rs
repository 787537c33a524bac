//! One module per resource provider (or per part of one): the handlers ARM dispatches to.

pub(crate) mod appinsights;
pub(crate) mod authorization;
pub(crate) mod generic;
pub(crate) mod groups;
pub(crate) mod identities;
pub(crate) mod keyvault;
pub(crate) mod loganalytics;
pub(crate) mod network;
pub(crate) mod registries;
pub(crate) mod storage;
pub(crate) mod subscriptions;
pub(crate) mod workspaces;
