//! azml's client core: the Azure ML workspace control plane (`az ml workspace …`,
//! `az group …`) over ARM, with no Python in it and no knowledge of the emulator (the
//! workspace's other two crates: `azml-emulator`, the server it is tested against, and
//! `azml-python`, the bindings that join both).
//!
//! Layers, top to bottom: `ops` (one function per az command) → `arm` (the ARM pipeline) →
//! `auth` (credentials). `output` turns ARM JSON into az JSON.

pub mod arm;
pub mod auth;
pub mod error;
pub mod http;
pub mod loopback_guard;
pub mod ops;
pub mod output;
pub mod runtime;

pub use error::{Error, ErrorKind, Result};

/// Installs ring as rustls's process-wide crypto provider, the one this crate compiles in
/// (Cargo.toml says why). Our HTTP clients call it; a program that builds reqwest clients of
/// its own beside ours calls it first. A provider installed before stays.
pub fn install_tls_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}
