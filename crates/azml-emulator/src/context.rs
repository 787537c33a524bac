//! The state every request is served from (`Ctx`): configuration, clock, token signer,
//! store, throttling buckets, faults, journal, the tenant's principals and sign-in state,
//! and one context per extra subscription. Below every room: ARM, Entra ID, Graph and the
//! admin API all take a `&Ctx`, and nothing here knows about them.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use crate::assignments;
use crate::catalog;
use crate::clock::Clock;
use crate::config::{EmulatorConfig, Latency};
use crate::directory::ServicePrincipal;
use crate::faults::Faults;
use crate::http::Resp;
use crate::ids::new_guid;
use crate::journal::Journal;
use crate::store::Store;
use crate::throttle::{Buckets, OpClass, Outcome, ThrottleConfig};
use crate::tokens::Signer;

/// Everything the handlers share.
pub(crate) struct Ctx {
    pub cfg: EmulatorConfig,
    /// `http(s)://host:port`, no trailing `/`.
    pub url: String,
    pub signer: Signer,
    /// Shared with the extra subscriptions' contexts: one time for the whole emulator.
    pub clock: Arc<Clock>,
    /// Object id of the default service principal (the `oid` claim of its tokens).
    pub principal_oid: String,
    store: Mutex<Store>,
    /// The throttling in force (from the config, or the latency profile's default).
    pub throttle_cfg: ThrottleConfig,
    buckets: Mutex<Buckets>,
    pub faults: Faults,
    pub journal: Journal,
    /// Service principals besides the configured one.
    pub principals: Mutex<Vec<ServicePrincipal>>,
    /// Certificates, federated credentials, codes, refresh tokens, managed identities.
    signin: Mutex<crate::signin_state::SignIn>,
    pub started: Instant,
    /// One context per extra subscription: same tenant, principal, token key and clock, its
    /// own resources and throttling buckets (ARM throttles per subscription).
    extra: Vec<Ctx>,
}

impl Ctx {
    pub(crate) fn new(cfg: EmulatorConfig, url: String) -> std::io::Result<Self> {
        let store = Store::load(cfg.state_file.as_deref())?;
        let throttle_cfg = cfg.throttling.unwrap_or(match cfg.latency {
            Latency::Realistic => ThrottleConfig::azure(),
            _ => ThrottleConfig::off(),
        });
        throttle_cfg
            .validate()
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?;
        let faults = Faults::default();
        for rule in &cfg.faults {
            faults
                .add(rule.clone())
                .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?;
        }
        let mut store = store;
        let signer = Signer::from_key(&store.token_key);
        if store.token_key.is_empty() {
            store.token_key = signer.key().to_vec();
            store.dirty = true;
        }
        let principals = store.principals.clone();
        let signin = crate::signin_state::SignIn::restore(store.signin.clone());
        let clock = Arc::new(Clock::default());
        let oid = store.principal_oid.clone();
        assignments::seed_owner(&mut store, &cfg.subscription_id, &oid, clock.now_ms());
        for ns in &cfg.unregistered {
            let Some(canonical) = catalog::known_namespace(ns) else {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::InvalidInput,
                    format!("unknown resource provider namespace '{ns}'"),
                ));
            };
            store.set_registration(canonical, crate::store::RegState::NotRegistered, 0);
        }
        let mut extra = Vec::new();
        for sub in &cfg.extra_subscriptions {
            if uuid::Uuid::try_parse(sub).is_err() || sub.len() != 36 {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::InvalidInput,
                    format!("extra subscription '{sub}' is not a GUID"),
                ));
            }
            if sub.eq_ignore_ascii_case(&cfg.subscription_id)
                || extra
                    .iter()
                    .any(|c: &Ctx| c.cfg.subscription_id.eq_ignore_ascii_case(sub))
            {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::InvalidInput,
                    format!("subscription '{sub}' is given twice"),
                ));
            }
            let mut own = store
                .subscriptions
                .shift_remove(&sub.to_lowercase())
                .unwrap_or_else(|| {
                    let mut fresh = Store::with_default_user();
                    fresh.dirty = true;
                    fresh
                });
            own.principal_oid = store.principal_oid.clone();
            // The default principal owns every subscription it is given.
            assignments::seed_owner(&mut own, sub, &oid, clock.now_ms());
            extra.push(Ctx {
                principal_oid: store.principal_oid.clone(),
                cfg: EmulatorConfig {
                    subscription_id: sub.clone(),
                    state_file: None,
                    faults: Vec::new(),
                    extra_subscriptions: Vec::new(),
                    ..cfg.clone()
                },
                url: url.clone(),
                signer: signer.clone(),
                clock: clock.clone(),
                store: Mutex::new(own),
                throttle_cfg,
                buckets: Mutex::new(Buckets::default()),
                faults: Faults::default(),
                journal: Journal::default(),
                principals: Mutex::new(Vec::new()),
                // Sign-in is the tenant's, served by the main context; this one is unused.
                signin: Mutex::new(crate::signin_state::SignIn::new(
                    crate::directory::DEFAULT_USER_UPN,
                )),
                started: Instant::now(),
                extra: Vec::new(),
            });
        }
        let ctx = Ctx {
            principal_oid: store.principal_oid.clone(),
            cfg,
            url,
            signer,
            clock,
            store: Mutex::new(store),
            throttle_cfg,
            buckets: Mutex::new(Buckets::default()),
            faults,
            journal: Journal::default(),
            principals: Mutex::new(principals),
            signin: Mutex::new(signin),
            started: Instant::now(),
            extra,
        };
        ctx.persist();
        Ok(ctx)
    }

    /// The context that serves subscription `sub`: this one, or an extra one.
    pub(crate) fn for_subscription(&self, sub: &str) -> &Ctx {
        self.extra
            .iter()
            .find(|c| c.cfg.subscription_id.eq_ignore_ascii_case(sub))
            .unwrap_or(self)
    }

    /// Adds a service principal that signs in with client credentials; returns its object
    /// id and its secret (an existing one's, unchanged, when `client_id` is known).
    pub(crate) fn add_service_principal(&self, client_id: &str, secret: &str) -> (String, String) {
        if client_id.eq_ignore_ascii_case(&self.cfg.client_id) {
            return (self.principal_oid.clone(), self.cfg.client_secret.clone());
        }
        let mut list = self.principals.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(p) = list
            .iter()
            .find(|p| p.client_id.eq_ignore_ascii_case(client_id))
        {
            return (p.oid.clone(), p.secret.clone());
        }
        let oid = new_guid();
        list.push(ServicePrincipal {
            client_id: client_id.to_string(),
            secret: secret.to_string(),
            oid: oid.clone(),
            federated_token: None,
        });
        (oid, secret.to_string())
    }

    /// Gives an added service principal a federated credential (`false`: no such principal).
    pub(crate) fn set_federated_token(&self, client_id: &str, token: &str) -> bool {
        let mut list = self.principals.lock().unwrap_or_else(|e| e.into_inner());
        match list
            .iter_mut()
            .find(|p| p.client_id.eq_ignore_ascii_case(client_id))
        {
            Some(p) => {
                p.federated_token = Some(token.to_string());
                true
            }
            None => false,
        }
    }

    /// The client id of a service principal added at run time, by object id.
    pub(crate) fn service_principal_by_oid(&self, oid: &str) -> Option<String> {
        self.principals
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .find(|p| p.oid.eq_ignore_ascii_case(oid))
            .map(|p| p.client_id.clone())
    }

    /// Saves the state when a state file is configured and something changed: the store,
    /// the served extra subscriptions' stores, and the directory kept outside the store (the
    /// added principals, the durable part of sign-in), which is compared with what was last
    /// saved rather than flagged by each of its many writers. Called after every request and
    /// by the `Emulator` methods that change something.
    pub(crate) fn persist(&self) {
        let Some(path) = &self.cfg.state_file else {
            return;
        };
        // Lock order: the store, then the principals or the sign-in (as the handlers take
        // them), then the extra subscriptions' stores (only ever taken here besides their own
        // requests, which take no other store).
        let mut store = self.store.lock().unwrap_or_else(|e| e.into_inner());
        let principals = self
            .principals
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        if store.principals != principals {
            store.principals = principals;
            store.dirty = true;
        }
        let durable = self.signin().durable(self.clock.now_secs());
        if store.signin.as_ref() != Some(&durable) {
            store.signin = Some(durable);
            store.dirty = true;
        }
        let mut guards: Vec<(&str, MutexGuard<'_, Store>)> = self
            .extra
            .iter()
            .map(|c| {
                (
                    c.cfg.subscription_id.as_str(),
                    c.store.lock().unwrap_or_else(|e| e.into_inner()),
                )
            })
            .collect();
        let mut extra: Vec<(&str, &mut Store)> =
            guards.iter_mut().map(|(id, g)| (*id, &mut **g)).collect();
        // The error names the file only: nothing of its content reaches the log.
        if let Err(e) = store.save_if_dirty(path, &mut extra) {
            tracing::warn!("cannot save the emulator state to {}: {e}", path.display());
        }
    }

    /// The sign-in state. May be taken while the store is locked, never the other way round.
    pub(crate) fn signin(&self) -> MutexGuard<'_, crate::signin_state::SignIn> {
        self.signin.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The store, with every long-running operation that is due applied.
    pub(crate) fn store(&self) -> MutexGuard<'_, Store> {
        let mut store = self.store.lock().unwrap_or_else(|e| e.into_inner());
        store.advance(self.clock.now_ms());
        store
    }

    /// How long a long-running operation of `base_ms` (its "realistic" duration) takes under
    /// the configured latency profile.
    pub(crate) fn op_duration_ms(&self, realistic_ms: u64) -> i64 {
        use rand::Rng;
        let base = match self.cfg.latency {
            Latency::Instant => 0.0,
            Latency::Fast => rand::rng().random_range(20.0..50.0),
            Latency::Realistic => realistic_ms as f64,
        };
        (base * self.cfg.time_scale).round() as i64
    }

    /// Polling hints on a running operation's responses. Under `realistic`, what Azure sends
    /// (`realistic`: e.g. 15 s for group deletion, nothing for ML workspaces). Under `instant`
    /// and `fast`, `Retry-After: 1` plus `retry-after-ms: 10`: azure-core reads the latter and
    /// polls at once, while it treats `Retry-After: 0` as absent and would wait 30 s.
    pub(crate) fn poll_hint(&self, resp: Resp, realistic: Option<&'static str>) -> Resp {
        match (self.cfg.latency, realistic) {
            (Latency::Realistic, Some(v)) => resp.header("retry-after", v),
            (Latency::Realistic, None) => resp,
            _ => resp
                .header("retry-after", "1")
                .header("retry-after-ms", "10"),
        }
    }

    /// Takes a token for `principal`'s request of this kind.
    pub(crate) fn throttle(&self, principal: &str, class: OpClass) -> Outcome {
        let mut b = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        b.take(
            &self.throttle_cfg,
            &self.cfg.subscription_id,
            principal,
            class,
            self.clock.now_ms(),
        )
    }

    /// The buckets as they are, for responses that take no token.
    pub(crate) fn throttle_peek(&self, class: OpClass) -> Outcome {
        let mut b = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        b.peek(
            &self.throttle_cfg,
            &self.cfg.subscription_id,
            &self.principal_oid,
            class,
            self.clock.now_ms(),
        )
    }

    /// Host name the emulator is reached at (`127.0.0.1:PORT`).
    pub(crate) fn host(&self) -> &str {
        self.url
            .split_once("://")
            .map(|(_, h)| h)
            .unwrap_or(&self.url)
    }
}
