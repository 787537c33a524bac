#[path = "../support/mod.rs"]
mod support;

mod assertion;
mod azidentity;
mod chain;
mod cli;
mod device_code;
mod managed_identity;
mod persistent;
mod signin_e2e;
mod subscription_cloud;
