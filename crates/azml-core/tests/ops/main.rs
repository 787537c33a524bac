#[path = "../support/mod.rs"]
mod support;

mod e2e;
mod extra_e2e;
mod network_e2e;
