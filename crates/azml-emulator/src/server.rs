//! The HTTP side: one fallback handler that turns an axum request into a `Req`, routes it
//! (sign-in endpoints or ARM), and applies ARM's middleware: bearer token, api-version,
//! subscription, standard headers.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderValue, StatusCode};
use axum::response::Response;
use axum::Router;

use super::clock::Clock;
use super::errors::{ArmError, ArmResult};
use super::faults::{FaultAction, Faults, OpFailure};
use super::http::{Req, Resp};
use super::journal::{Journal, JournalEntry};
use super::store::Store;
use super::throttle::{Buckets, OpClass, Outcome, ThrottleConfig};
use super::tokens::{Claims, Signer, TokenError};
use super::util::{compact_time, iso, new_guid, us_time};
use super::{admin, entra, graph, resources, EmulatorConfig, Latency};

/// A service principal added at run time (`Emulator::add_service_principal`). Kept in the
/// state file with its secret, as Entra ID keeps an app's credentials.
#[derive(Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub(crate) struct ServicePrincipal {
    pub client_id: String,
    pub secret: String,
    pub oid: String,
    /// A federated credential: the one client assertion (e.g. a Kubernetes service-account
    /// token) this principal accepts instead of its secret (workload identity).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub federated_token: Option<String>,
}

// Written by hand so that the secret never reaches a log through `{:?}`.
impl std::fmt::Debug for ServicePrincipal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServicePrincipal")
            .field("client_id", &self.client_id)
            .field("oid", &self.oid)
            .field("secret", &"<redacted>")
            .finish_non_exhaustive()
    }
}

/// Largest request body accepted (ARM's own limit is 4 MB for most providers).
const MAX_BODY: usize = 16 * 1024 * 1024;

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
    signin: Mutex<super::signin::SignIn>,
    started: Instant,
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
        let signin = super::signin::SignIn::restore(store.signin.clone());
        let clock = Arc::new(Clock::default());
        let oid = store.principal_oid.clone();
        resources::seed_owner(&mut store, &cfg.subscription_id, &oid, clock.now_ms());
        for ns in &cfg.unregistered {
            let Some(canonical) = resources::known_namespace(ns) else {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::InvalidInput,
                    format!("unknown resource provider namespace '{ns}'"),
                ));
            };
            store.set_registration(canonical, super::store::RegState::NotRegistered, 0);
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
            resources::seed_owner(&mut own, sub, &oid, clock.now_ms());
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
                signin: Mutex::new(super::signin::SignIn::new(super::graph::DEFAULT_USER_UPN)),
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
    fn for_subscription(&self, sub: &str) -> &Ctx {
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
    pub(crate) fn signin(&self) -> MutexGuard<'_, super::signin::SignIn> {
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
            super::Latency::Instant => 0.0,
            super::Latency::Fast => rand::rng().random_range(20.0..50.0),
            super::Latency::Realistic => realistic_ms as f64,
        };
        (base * self.cfg.time_scale).round() as i64
    }

    /// Polling hints on a running operation's responses. Under `realistic`, what Azure sends
    /// (`realistic`: e.g. 15 s for group deletion, nothing for ML workspaces). Under `instant`
    /// and `fast`, `Retry-After: 1` plus `retry-after-ms: 10`: azure-core reads the latter and
    /// polls at once, while it treats `Retry-After: 0` as absent and would wait 30 s.
    pub(crate) fn poll_hint(&self, resp: Resp, realistic: Option<&'static str>) -> Resp {
        match (self.cfg.latency, realistic) {
            (super::Latency::Realistic, Some(v)) => resp.header("retry-after", v),
            (super::Latency::Realistic, None) => resp,
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

pub(crate) fn router(ctx: Arc<Ctx>) -> Router {
    Router::new().fallback(handle).with_state(ctx)
}

/// A response whose body fails at once: hyper then closes the connection, so the client
/// sees it dropped rather than an answer (the `reset` fault).
fn reset_response() -> Response {
    let stream = futures::stream::once(async {
        Err::<axum::body::Bytes, std::io::Error>(std::io::Error::other("fault: connection reset"))
    });
    Response::new(Body::from_stream(stream))
}

async fn handle(
    State(ctx): State<Arc<Ctx>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    request: Request,
) -> Response {
    let (parts, body) = request.into_parts();
    let is_admin = parts.uri.path() == "/_emulator" || parts.uri.path().starts_with("/_emulator/");
    // `to_canonical`: 127.0.0.1 reaching a `[::]` listener arrives as ::ffff:127.0.0.1.
    if is_admin && !peer.ip().to_canonical().is_loopback() {
        return into_response(Resp::json(
            StatusCode::FORBIDDEN,
            serde_json::json!({"error": {"code": "Forbidden", "message": "the emulator's admin API only answers loopback clients"}}),
        ));
    }
    let body = match axum::body::to_bytes(body, MAX_BODY).await {
        Ok(b) => b,
        Err(_) => {
            let e = ArmError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "RequestEntityTooLarge",
                "The request body is too large.",
            );
            return into_response(e.into());
        }
    };
    if is_admin {
        let resp = admin::route(&ctx, &parts.method, parts.uri.path(), &body);
        // Users, apps and their credentials, identities, roles are registered here.
        ctx.persist();
        return into_response(resp);
    }
    let mut entry = JournalEntry {
        seq: 0,
        method: parts.method.to_string(),
        path: super::journal::redact_path(parts.uri.path(), parts.uri.query()),
        headers: super::journal::redact_headers(&parts.headers),
        status: None,
        time: iso(ctx.clock.now_ms()),
        elapsed_ms: ctx.started.elapsed().as_millis() as u64,
        answered_ms: None,
        principal: None,
        fault: None,
    };
    let mut failure = None;
    let mut rewrite_lro = None;
    if let Some(hit) = ctx.faults.check(parts.method.as_str(), parts.uri.path()) {
        match hit.action {
            FaultAction::Reset => {
                entry.fault = Some(format!("{}: reset", hit.id));
                ctx.journal.push(entry);
                return reset_response();
            }
            FaultAction::Status {
                status,
                retry_after,
                code,
                message,
            } => {
                let status =
                    StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
                let code = code.unwrap_or_else(|| default_code(status).to_string());
                let message = message.unwrap_or_else(|| fault_message(status).to_string());
                let mut e = ArmError::new(status, &code, message);
                if let Some(s) = retry_after {
                    e = e.with_header("retry-after", s.to_string());
                }
                let mut resp: Resp = e.into();
                let fake = Req {
                    method: parts.method.clone(),
                    path: parts.uri.path().to_string(),
                    segs: Vec::new(),
                    query: Vec::new(),
                    headers: parts.headers.clone(),
                    body: Default::default(),
                };
                decorate(&ctx, &fake, &mut resp, None);
                entry.fault = Some(format!("{}: status {}", hit.id, status.as_u16()));
                entry.status = Some(resp.status.as_u16());
                entry.answered_ms = Some(ctx.started.elapsed().as_millis() as u64);
                ctx.journal.push(entry);
                return into_response(resp);
            }
            FaultAction::Delay { delay_ms } => {
                entry.fault = Some(format!("{}: delay {delay_ms} ms", hit.id));
                tokio::time::sleep(std::time::Duration::from_millis(delay_ms)).await;
            }
            FaultAction::RewriteLro { url } => {
                entry.fault = Some(format!("{}: rewrite_lro", hit.id));
                rewrite_lro = Some(url);
            }
            FaultAction::FailOperation { code, message } => {
                entry.fault = Some(format!("{}: fail_operation", hit.id));
                failure = Some(OpFailure {
                    code: code.unwrap_or_else(|| "InternalServerError".into()),
                    message: message.unwrap_or_else(|| {
                        "The operation failed (injected by the emulator).".into()
                    }),
                });
            }
        }
    }
    let raw_path = parts.uri.path().to_string();
    let segs = raw_path
        .split('/')
        .filter(|s| !s.is_empty())
        .map(|s| {
            percent_encoding::percent_decode_str(s)
                .decode_utf8_lossy()
                .into_owned()
        })
        .collect();
    let query = parts
        .uri
        .query()
        .map(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .into_owned()
                .collect()
        })
        .unwrap_or_default();
    let req = Req {
        method: parts.method,
        path: raw_path,
        segs,
        query,
        headers: parts.headers,
        body,
    };
    let (mut resp, principal) = super::faults::with_failing_op(failure, || dispatch(&ctx, &req));
    if let Some(url) = rewrite_lro {
        for (name, value) in resp.headers.iter_mut() {
            if name.eq_ignore_ascii_case("location")
                || name.eq_ignore_ascii_case("azure-asyncoperation")
            {
                *value = url.clone();
            }
        }
    }
    ctx.persist();
    entry.status = Some(resp.status.as_u16());
    entry.answered_ms = Some(ctx.started.elapsed().as_millis() as u64);
    entry.principal = principal;
    ctx.journal.push(entry);
    // Method, path and status only: headers and bodies may carry secrets.
    tracing::debug!(method = %req.method, path = %req.path, status = resp.status.as_u16(), "azml-emulator");
    if resp.delay_ms > 0 && !ctx.clock.is_frozen() {
        tokio::time::sleep(std::time::Duration::from_millis(resp.delay_ms)).await;
    }
    into_response(resp)
}

/// Routes a request; returns the response and the authenticated principal's object id.
fn dispatch(ctx: &Ctx, req: &Req) -> (Resp, Option<String>) {
    let first = req.segs.first().map(|s| s.to_ascii_lowercase());
    match first.as_deref() {
        // `/subscriptions/{extra}/…` is served by that subscription's context; faults and the
        // journal (applied by the caller) stay the emulator's.
        Some("subscriptions") if req.segs.len() > 1 => arm(ctx.for_subscription(&req.segs[1]), req),
        Some("subscriptions") | Some("tenants") | Some("providers") => arm(ctx, req),
        Some("v1.0") => (graph::route(ctx, req), None),
        Some("metadata") => {
            let mut resp = entra::metadata(ctx, req);
            decorate(ctx, req, &mut resp, None);
            (resp, None)
        }
        _ => match entra::route(ctx, req) {
            Some(resp) => (resp, None),
            None => {
                let mut resp: Resp = ArmError::not_found(
                    "NotFound",
                    format!("No route matches '{} {}'.", req.method, req.path),
                )
                .into();
                decorate(ctx, req, &mut resp, None);
                (resp, None)
            }
        },
    }
}

/// The usual ARM error code of an injected status.
fn default_code(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 => "BadRequest",
        401 => "AuthenticationFailed",
        403 => "AuthorizationFailed",
        404 => "NotFound",
        409 => "Conflict",
        429 => "TooManyRequests",
        500 => "InternalServerError",
        502 => "BadGateway",
        503 => "ServiceUnavailable",
        504 => "GatewayTimeout",
        _ => "InjectedFault",
    }
}

fn fault_message(status: StatusCode) -> &'static str {
    match status.as_u16() {
        429 => "The request is being throttled.",
        503 => "The service is temporarily unavailable. Please try again later.",
        _ => "The request failed (injected by the emulator).",
    }
}

fn into_response(resp: Resp) -> Response {
    let mut builder = Response::builder().status(resp.status);
    for (name, value) in resp.headers {
        if let Ok(v) = HeaderValue::from_str(&value) {
            builder = builder.header(name, v);
        }
    }
    let body = match resp.body {
        Some(v) => {
            builder = builder.header("content-type", "application/json; charset=utf-8");
            Body::from(serde_json::to_vec(&v).unwrap_or_default())
        }
        None => Body::empty(),
    };
    builder
        .body(body)
        .unwrap_or_else(|_| Response::new(Body::empty()))
}

/// ARM: authenticate, throttle, route, check api-version and subscription, run the handler.
fn arm(ctx: &Ctx, req: &Req) -> (Resp, Option<String>) {
    let mut outcome = None;
    let mut principal = None;
    let result = authenticate(ctx, req).and_then(|claims| {
        principal = Some(claims.oid.clone());
        let o = ctx.throttle(&claims.oid, OpClass::of(&req.method));
        outcome = Some(o);
        if let Some(wait) = o.retry_after {
            return Err(ArmError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "SubscriptionRequestsThrottled",
                format!(
                    "Number of '{}' requests for subscription '{}' actor '{}' exceeded. Please try again after '{wait}' seconds after the additional tokens are available. Refer to https://aka.ms/arm-throttling for additional information.",
                    match o.class {
                        OpClass::Read => "read",
                        OpClass::Write => "write",
                        OpClass::Delete => "delete",
                    },
                    ctx.cfg.subscription_id,
                    claims.oid
                ),
            )
            .with_header("retry-after", wait.to_string()));
        }
        arm_inner(ctx, req, &claims)
    });
    let mut resp = match result {
        Ok(r) => r,
        Err(e) => {
            // Recorded: ARM's front door, not the provider, answers these.
            let gateway = matches!(
                e.code.as_str(),
                "ResourceNotFound" | "ResourceGroupNotFound" | "SubscriptionNotFound"
            );
            let mut resp: Resp = e.into();
            if gateway {
                resp.headers.push(("x-ms-failure-cause", "gateway".into()));
            }
            resp
        }
    };
    decorate(ctx, req, &mut resp, outcome);
    (resp, principal)
}

fn arm_inner(ctx: &Ctx, req: &Req, claims: &Claims) -> ArmResult<Resp> {
    let route = resources::parse(req)?;
    let version = req.q("api-version");
    match version {
        None | Some("") => {
            return Err(ArmError::bad_request(
                "MissingApiVersionParameter",
                "The api-version query parameter (?api-version=) is required for all requests.",
            ))
        }
        Some(v) => {
            let family = route.family();
            if !family.accepts(v) {
                return Err(ArmError::bad_request(
                    "InvalidApiVersionParameter",
                    format!(
                        "The api-version '{v}' is invalid. The supported versions are '{}'.",
                        family.versions().join(",")
                    ),
                ));
            }
        }
    }
    if let Some(sub) = route.subscription() {
        if !sub.eq_ignore_ascii_case(&ctx.cfg.subscription_id) {
            return Err(ArmError::not_found(
                "SubscriptionNotFound",
                format!("The subscription '{sub}' could not be found."),
            ));
        }
    }
    resources::handle(ctx, req, claims, route)
}

/// The ARM audiences this emulator accepts: the public cloud's and its own URL.
fn audience_ok(ctx: &Ctx, aud: &str) -> bool {
    let aud = aud.trim_end_matches('/');
    [
        "https://management.azure.com",
        "https://management.core.windows.net",
        ctx.url.as_str(),
    ]
    .iter()
    .any(|a| a.eq_ignore_ascii_case(aud))
}

fn authenticate(ctx: &Ctx, req: &Req) -> ArmResult<Claims> {
    let challenge = |description: &str| {
        format!(
            "Bearer authorization_uri=\"{}/{}\", error=\"invalid_token\", error_description=\"{}\"",
            ctx.url, ctx.cfg.tenant_id, description
        )
    };
    let unauthorized = |code: &str, message: String, description: &str| {
        ArmError::new(StatusCode::UNAUTHORIZED, code, message)
            .with_header("www-authenticate", challenge(description))
    };
    let Some(header) = req.header("authorization") else {
        return Err(unauthorized(
            "AuthenticationFailed",
            "Authentication failed. The 'Authorization' header is missing.".into(),
            "The authentication failed because of missing 'Authorization' header.",
        ));
    };
    let token = match header.split_once(' ') {
        Some((scheme, token))
            if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() =>
        {
            token.trim()
        }
        _ => {
            return Err(unauthorized(
                "AuthenticationFailed",
                "Authentication failed. The 'Authorization' header is provided in an invalid \
                 format."
                    .into(),
                "The authentication failed because of invalid 'Authorization' header format.",
            ))
        }
    };
    let now = ctx.clock.now_secs();
    let claims = match ctx.signer.verify(token, now) {
        Ok(c) => c,
        Err(TokenError::Invalid) => {
            return Err(unauthorized(
                "InvalidAuthenticationToken",
                "The access token is invalid.".into(),
                "The access token is invalid.",
            ))
        }
        Err(TokenError::Expired { exp, now }) => {
            let message = format!(
                "The access token expiry UTC time '{}' is earlier than current UTC time '{}'.",
                us_time(exp),
                us_time(now)
            );
            return Err(unauthorized(
                "ExpiredAuthenticationToken",
                message.clone(),
                &message,
            ));
        }
    };
    if !audience_ok(ctx, &claims.aud) {
        let message = format!(
            "The access token has been obtained for wrong audience or resource '{}'. It should \
             exactly match with one of the allowed audiences \
             'https://management.core.windows.net/','https://management.core.windows.net',\
             'https://management.azure.com/','https://management.azure.com','{}/','{}'.",
            claims.aud, ctx.url, ctx.url
        );
        return Err(unauthorized(
            "InvalidAuthenticationTokenAudience",
            message,
            "The access token has been obtained for wrong audience or resource.",
        ));
    }
    if !claims.tid.eq_ignore_ascii_case(&ctx.cfg.tenant_id) {
        return Err(unauthorized(
            "InvalidAuthenticationTokenTenant",
            format!(
                "The access token is from the wrong issuer '{}'. It must match the tenant \
                 '{}/{}/' associated with this subscription.",
                claims.iss, ctx.url, ctx.cfg.tenant_id
            ),
            "The access token is from the wrong issuer.",
        ));
    }
    Ok(claims)
}

/// ARM's standard response headers. `outcome`: what the request took from the throttling
/// buckets (unauthenticated requests take nothing and see the buckets as they are).
pub(crate) fn decorate(ctx: &Ctx, req: &Req, resp: &mut Resp, outcome: Option<Outcome>) {
    let request_id = new_guid();
    let correlation = req
        .header("x-ms-correlation-request-id")
        .map(str::to_string)
        .unwrap_or_else(new_guid);
    let routing = format!("LOCAL:{}:{}", compact_time(ctx.clock.now_ms()), request_id);
    let h = &mut resp.headers;
    h.push(("cache-control", "no-cache".into()));
    h.push(("pragma", "no-cache".into()));
    h.push(("expires", "-1".into()));
    h.push(("x-content-type-options", "nosniff".into()));
    if ctx.url.starts_with("https") {
        h.push((
            "strict-transport-security",
            "max-age=31536000; includeSubDomains".into(),
        ));
    }
    h.push(("x-ms-request-id", request_id));
    h.push(("x-ms-correlation-request-id", correlation));
    h.push(("x-ms-routing-request-id", routing));
    if let Some(id) = req.header("x-ms-client-request-id") {
        h.push(("x-ms-client-request-id", id.to_string()));
    }
    let o = outcome.unwrap_or_else(|| ctx.throttle_peek(OpClass::of(&req.method)));
    h.push((
        match o.class {
            OpClass::Read => "x-ms-ratelimit-remaining-subscription-reads",
            OpClass::Write => "x-ms-ratelimit-remaining-subscription-writes",
            OpClass::Delete => "x-ms-ratelimit-remaining-subscription-deletes",
        },
        o.remaining.to_string(),
    ));
    h.push((
        match o.class {
            OpClass::Read => "x-ms-ratelimit-remaining-subscription-global-reads",
            OpClass::Write => "x-ms-ratelimit-remaining-subscription-global-writes",
            OpClass::Delete => "x-ms-ratelimit-remaining-subscription-global-deletes",
        },
        o.global_remaining.to_string(),
    ));
}
