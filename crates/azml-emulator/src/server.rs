//! The HTTP side: one fallback handler that turns an axum request into a `Req`, routes it
//! (sign-in endpoints or ARM), and applies ARM's middleware: bearer token, api-version,
//! subscription, standard headers.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderValue, StatusCode};
use axum::response::Response;
use axum::Router;

use crate::context::Ctx;
use crate::errors::ArmError;
use crate::faults::{FaultAction, OpFailure};
use crate::http::{Req, Resp};
use crate::ids::new_guid;
use crate::journal::JournalEntry;
use crate::throttle::{OpClass, Outcome};
use crate::timestamps::{compact_time, iso};
use crate::{admin, arm, entra, graph};

/// Largest request body accepted (ARM's own limit is 4 MB for most providers).
const MAX_BODY: usize = 16 * 1024 * 1024;

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
        path: crate::journal::redact_path(parts.uri.path(), parts.uri.query()),
        headers: crate::journal::redact_headers(&parts.headers),
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
    let (mut resp, principal) = crate::faults::with_failing_op(failure, || dispatch(&ctx, &req));
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
        Some("subscriptions") if req.segs.len() > 1 => {
            arm_decorated(ctx.for_subscription(&req.segs[1]), req)
        }
        Some("subscriptions") | Some("tenants") | Some("providers") => arm_decorated(ctx, req),
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

/// The ARM room's answer with ARM's standard headers, from the context that served it.
fn arm_decorated(ctx: &Ctx, req: &Req) -> (Resp, Option<String>) {
    let (mut resp, principal, outcome) = arm::serve(ctx, req);
    decorate(ctx, req, &mut resp, outcome);
    (resp, principal)
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
