//! The HTTP side: one fallback handler that turns an axum request into a `Req`, routes it
//! (sign-in endpoints or ARM), and applies ARM's middleware: bearer token, api-version,
//! subscription, standard headers.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode};
use axum::response::Response;
use axum::Router;

use super::clock::Clock;
use super::errors::{ArmError, ArmResult};
use super::http::{Req, Resp};
use super::store::Store;
use super::tokens::{Claims, Signer, TokenError};
use super::util::{compact_time, new_guid, us_time};
use super::{entra, graph, resources, EmulatorConfig};

/// Largest request body accepted (ARM's own limit is 4 MB for most providers).
const MAX_BODY: usize = 16 * 1024 * 1024;

/// Everything the handlers share.
pub(crate) struct Ctx {
    pub cfg: EmulatorConfig,
    /// `http(s)://host:port`, no trailing `/`.
    pub url: String,
    pub signer: Signer,
    pub clock: Clock,
    /// Object id of the default service principal (the `oid` claim of its tokens).
    pub principal_oid: String,
    store: Mutex<Store>,
    reads: AtomicU64,
    writes: AtomicU64,
    deletes: AtomicU64,
}

impl Ctx {
    pub(crate) fn new(cfg: EmulatorConfig, url: String) -> std::io::Result<Self> {
        let store = Store::load(cfg.state_file.as_deref())?;
        let ctx = Ctx {
            principal_oid: store.principal_oid.clone(),
            cfg,
            url,
            signer: Signer::random(),
            clock: Clock::default(),
            store: Mutex::new(store),
            reads: AtomicU64::new(0),
            writes: AtomicU64::new(0),
            deletes: AtomicU64::new(0),
        };
        ctx.persist();
        Ok(ctx)
    }

    /// Saves the state when a state file is configured and something changed.
    pub(crate) fn persist(&self) {
        if let Some(path) = &self.cfg.state_file {
            let mut store = self.store.lock().unwrap_or_else(|e| e.into_inner());
            if let Err(e) = store.save_if_dirty(path) {
                tracing::warn!("cannot save the emulator state to {}: {e}", path.display());
            }
        }
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

async fn handle(State(ctx): State<Arc<Ctx>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
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
    let first = req.segs.first().map(|s| s.to_ascii_lowercase());
    let resp = match first.as_deref() {
        Some("subscriptions") | Some("tenants") | Some("providers") => arm(&ctx, &req),
        Some("v1.0") => graph::route(&ctx, &req),
        Some("metadata") => {
            let mut resp = entra::metadata(&ctx, &req);
            decorate(&ctx, &req, &mut resp);
            resp
        }
        _ => match entra::route(&ctx, &req) {
            Some(resp) => resp,
            None => {
                let mut resp: Resp = ArmError::not_found(
                    "NotFound",
                    format!("No route matches '{} {}'.", req.method, req.path),
                )
                .into();
                decorate(&ctx, &req, &mut resp);
                resp
            }
        },
    };
    ctx.persist();
    // Method, path and status only: headers and bodies may carry secrets.
    tracing::debug!(method = %req.method, path = %req.path, status = resp.status.as_u16(), "azml-emulator");
    into_response(resp)
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

/// ARM: authenticate, route, check api-version and subscription, run the handler.
fn arm(ctx: &Ctx, req: &Req) -> Resp {
    let mut resp = match arm_inner(ctx, req) {
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
    decorate(ctx, req, &mut resp);
    resp
}

fn arm_inner(ctx: &Ctx, req: &Req) -> ArmResult<Resp> {
    let claims = authenticate(ctx, req)?;
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
    resources::handle(ctx, req, &claims, route)
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

/// ARM's standard response headers.
fn decorate(ctx: &Ctx, req: &Req, resp: &mut Resp) {
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
    let (counter, limit, local, global) = match req.method {
        Method::GET | Method::HEAD => (
            &ctx.reads,
            12000u64,
            "x-ms-ratelimit-remaining-subscription-reads",
            "x-ms-ratelimit-remaining-subscription-global-reads",
        ),
        Method::DELETE => (
            &ctx.deletes,
            15000,
            "x-ms-ratelimit-remaining-subscription-deletes",
            "x-ms-ratelimit-remaining-subscription-global-deletes",
        ),
        _ => (
            &ctx.writes,
            1200,
            "x-ms-ratelimit-remaining-subscription-writes",
            "x-ms-ratelimit-remaining-subscription-global-writes",
        ),
    };
    let used = counter.fetch_add(1, Ordering::Relaxed);
    let remaining = limit - 1 - (used % limit);
    h.push((local, remaining.to_string()));
    h.push((global, remaining.to_string()));
}
