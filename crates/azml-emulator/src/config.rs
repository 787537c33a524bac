//! What an emulator is started with: the configuration, its defaults and the latency
//! profiles. Public through `lib.rs`; below every other module, which read it from `Ctx`.

use std::net::SocketAddr;
use std::path::PathBuf;

use crate::faults::FaultRule;
use crate::throttle::ThrottleConfig;

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

#[derive(Clone)]
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
    /// Where to keep state across restarts; in memory only when `None`. It keeps the
    /// resources of every subscription, role assignments, provider registrations, Graph users,
    /// the service principals added at run time with their secrets, certificates (public
    /// keys) and federated credentials, managed identities, sign-in settings, refresh tokens
    /// and the token keys (a token issued before a restart is still accepted after it); not
    /// pending device or authorization codes, fault rules, the journal or the clock offset.
    /// Written atomically, owner-only (0600) on Unix: it holds secrets. An unreadable file
    /// is an error at start, never a silent reset.
    pub state_file: Option<PathBuf>,
    /// ARM's throttling. `None`: Azure's buckets under the `realistic` profile, off under the
    /// others.
    pub throttling: Option<ThrottleConfig>,
    /// Fault rules in force from the start (more can be added at run time).
    pub faults: Vec<FaultRule>,
    /// More subscriptions of the same tenant, each with its own resources (kept in
    /// `state_file` too, by subscription id). Empty by default.
    pub extra_subscriptions: Vec<String>,
    /// Resource-provider namespaces the subscription has not registered at start
    /// (`NotRegistered`: their resource types answer 409 `MissingSubscriptionRegistration`
    /// until `POST …/providers/{ns}/register`). Every other namespace is `Registered`.
    pub unregistered: Vec<String>,
}

// Written by hand so that the client secret never reaches a log through `{:?}`.
impl std::fmt::Debug for EmulatorConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmulatorConfig")
            .field("bind", &self.bind)
            .field("tls", &self.tls)
            .field("latency", &self.latency)
            .field("time_scale", &self.time_scale)
            .field("page_size", &self.page_size)
            .field("subscription_id", &self.subscription_id)
            .field("tenant_id", &self.tenant_id)
            .field("client_id", &self.client_id)
            .field("client_secret", &"<redacted>")
            .field("state_file", &self.state_file)
            .field("throttling", &self.throttling)
            .field("faults", &self.faults)
            .field("extra_subscriptions", &self.extra_subscriptions)
            .field("unregistered", &self.unregistered)
            .finish()
    }
}

/// Default subscription of the emulator (deterministic so that docs and examples can show it).
pub const DEFAULT_SUBSCRIPTION_ID: &str = "00000000-0000-4000-8000-00000000a2a1";
/// Default tenant of the emulator.
pub const DEFAULT_TENANT_ID: &str = "00000000-0000-4000-8000-0000000e2e1d";
/// Default service principal (application) id of the emulator.
pub const DEFAULT_CLIENT_ID: &str = "00000000-0000-4000-8000-00000000c11e";
/// Default client secret of the emulator's service principal. Not a real secret: it only
/// opens the local emulator.
pub const DEFAULT_CLIENT_SECRET: &str = "azml-emulator-secret";

impl Default for EmulatorConfig {
    fn default() -> Self {
        EmulatorConfig {
            bind: SocketAddr::from(([127, 0, 0, 1], 0)),
            tls: false,
            latency: Latency::Fast,
            time_scale: 1.0,
            page_size: 100,
            subscription_id: DEFAULT_SUBSCRIPTION_ID.to_string(),
            tenant_id: DEFAULT_TENANT_ID.to_string(),
            client_id: DEFAULT_CLIENT_ID.to_string(),
            client_secret: DEFAULT_CLIENT_SECRET.to_string(),
            state_file: None,
            throttling: None,
            faults: Vec::new(),
            extra_subscriptions: Vec::new(),
            unregistered: Vec::new(),
        }
    }
}
