#[path = "../support/mod.rs"]
mod support;

mod groups_workspaces;
mod private_endpoint;
mod share_keys_lookup;
