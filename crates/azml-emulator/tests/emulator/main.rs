#[path = "../support/mod.rs"]
mod support;

mod admin_binary;
mod auth;
mod authorization;
mod binary;
mod conformance_fixes;
mod faults;
mod graph;
mod groups;
mod identities_subscriptions;
mod latency;
mod loganalytics;
mod network;
mod providers;
mod rbac;
mod resources;
mod state;
mod throttle;
mod workspaces;
