//! Every resource of a kind, as its own GET serves it: what the per-type lists and the
//! generic `…/resources` list are made of.

use serde_json::Value;

use crate::arm::providers::{
    appinsights, identities, keyvault, loganalytics, network, registries, storage, workspaces,
};
use crate::arm::routes::Kind;
use crate::context::Ctx;
use crate::store::Store;

/// Every resource of `kind` (in group `rg` if given), as its own GET serves it.
pub(crate) fn items_of(ctx: &Ctx, st: &Store, kind: Kind, rg: Option<&str>) -> Vec<Value> {
    match kind {
        Kind::Storage => storage::list(ctx, st, rg),
        Kind::Vault => keyvault::list(ctx, st, rg),
        Kind::Component => appinsights::list(st, rg),
        Kind::Workspace => workspaces::list(st, rg),
        Kind::Registry => registries::list(st, rg),
        Kind::Identity => identities::list(st, rg),
        Kind::LogAnalytics => loganalytics::list(st, rg),
        Kind::VirtualNetwork => network::list_vnets(st, rg),
        Kind::PrivateEndpoint => network::list_endpoints(st, rg),
    }
}
