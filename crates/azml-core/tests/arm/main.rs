#[path = "../support/mod.rs"]
mod support;

mod auth;
mod faults;
mod log_secrets;
mod loopback_guard;
mod lro;
mod pacing;
mod pipeline;
mod tls;
