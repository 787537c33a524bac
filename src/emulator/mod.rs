//! A local emulator of Azure Resource Manager, the Entra ID token endpoints and Microsoft
//! Graph user lookup, for tests, examples and users (like LocalStack or Azurite).
//!
//! Independent of the client side: nothing here may use `crate::arm`, `crate::ops`,
//! `crate::output` or `crate::auth`.
//!
//! INTERFACE CONTRACT (used by `python`, `src/bin/azml-emulator.rs` and Rust tests; bodies
//! filled in by the emulator work).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// How long the emulator's long-running operations take.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Latency {
    /// Operations complete on the first poll.
    Instant,
    /// Operations take a few milliseconds.
    #[default]
    Fast,
    /// Azure's recorded durations (scaled by `time_scale`).
    Realistic,
}

impl std::str::FromStr for Latency {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "instant" => Ok(Latency::Instant),
            "fast" => Ok(Latency::Fast),
            "realistic" => Ok(Latency::Realistic),
            other => Err(format!(
                "unknown latency profile '{other}': use 'instant', 'fast' or 'realistic'"
            )),
        }
    }
}

#[derive(Debug, Clone)]
pub struct EmulatorConfig {
    /// Address to bind; loopback by default. Port 0 picks a free port.
    pub bind: SocketAddr,
    pub tls: bool,
    pub latency: Latency,
    /// Multiplies every latency (0.1 = ten times faster).
    pub time_scale: f64,
    /// Items per page of every list (`nextLink` beyond).
    pub page_size: usize,
    pub subscription_id: String,
    pub tenant_id: String,
    /// The default service principal (Owner of the subscription).
    pub client_id: String,
    pub client_secret: String,
    /// Where to keep state across restarts; in memory only when `None`.
    pub state_file: Option<PathBuf>,
}

impl Default for EmulatorConfig {
    fn default() -> Self {
        todo!()
    }
}

/// A running emulator. Dropping it stops the server.
pub struct Emulator {
    _private: (),
}

impl Emulator {
    /// Bind and start serving on the current tokio runtime.
    pub async fn start(_config: EmulatorConfig) -> std::io::Result<Emulator> {
        todo!()
    }
    /// `http://127.0.0.1:PORT` (or `https://…` under TLS), no trailing `/`. Serves ARM, the
    /// token endpoints (`{url}/{tenant}/oauth2/v2.0/token`) and Graph (`{url}/v1.0/…`).
    pub fn url(&self) -> String {
        todo!()
    }
    pub fn subscription_id(&self) -> &str {
        todo!()
    }
    pub fn tenant_id(&self) -> &str {
        todo!()
    }
    pub fn client_id(&self) -> &str {
        todo!()
    }
    pub fn client_secret(&self) -> &str {
        todo!()
    }
    /// PEM of the CA that signed the TLS certificate, when `tls`.
    pub fn ca_file(&self) -> Option<PathBuf> {
        todo!()
    }
    /// The environment variables that point azml and the Azure SDKs at this emulator.
    pub fn env(&self) -> Vec<(String, String)> {
        todo!()
    }
    /// Stop serving; waits at most `grace` for in-flight requests.
    pub async fn stop(self, _grace: Duration) {
        todo!()
    }
}
