#[path = "../support/mod.rs"]
mod support;

mod build_metadata;
mod golden;
mod query_golden;
mod render_golden;
