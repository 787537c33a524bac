//! azml: the Azure ML workspace control plane (`az ml workspace …`, `az group …`) with a
//! Rust core, and a local emulator of the Azure services it talks to.
//!
//! Layers, top to bottom: `python` (PyO3 bindings, feature `python`) → `ops` (one function
//! per az command) → `arm` (the ARM pipeline) → `auth` (credentials). `output` turns ARM
//! JSON into az JSON. `emulator` is an independent server and must not use `arm`, `ops`,
//! `output` or `auth` (checked by `tests/layering.rs`).

pub mod arm;
pub mod auth;
pub mod emulator;
pub mod error;
pub mod loopback_guard;
pub mod ops;
pub mod output;
pub mod runtime;

#[cfg(feature = "python")]
pub mod python;

pub use error::{Error, ErrorKind, Result};

/// Installs ring as rustls's process-wide crypto provider, the one this crate compiles in
/// (Cargo.toml says why). Our HTTP clients call it; a program that builds reqwest clients of
/// its own beside ours calls it first. A provider installed before stays.
pub fn install_tls_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}
