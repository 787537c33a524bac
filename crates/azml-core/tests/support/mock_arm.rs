//! A scripted HTTP server on 127.0.0.1:0 that records every request it gets, for counting
//! requests and checking their headers from the server's side.
#![allow(dead_code)]

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri, Version};
use axum::response::{IntoResponse, Response};
use axum::Router;
use serde_json::Value;

use azml_core::arm::{ArmClient, ArmConfig, RetryPolicy};
use azml_core::auth::StaticTokenCredential;

pub const TOKEN: &str = "test-token-value";

#[derive(Debug, Clone)]
pub struct Req {
    pub method: Method,
    pub version: Version,
    pub path: String,
    pub query: String,
    pub headers: HeaderMap,
    pub body: Bytes,
    pub at: Instant,
    /// 0-based index of this request on this server.
    pub n: usize,
    /// This server's base URL, for building absolute polling URLs.
    pub base: String,
}

impl Req {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap()
    }
}

type Handler = Arc<dyn Fn(&Req) -> Response + Send + Sync>;

#[derive(Clone)]
struct St {
    handler: Handler,
    log: Arc<Mutex<Vec<Req>>>,
    base: String,
}

pub struct Mock {
    pub base: String,
    log: Arc<Mutex<Vec<Req>>>,
}

impl Mock {
    pub fn requests(&self) -> Vec<Req> {
        self.log.lock().unwrap().clone()
    }
    pub fn count(&self) -> usize {
        self.log.lock().unwrap().len()
    }
    /// `"METHOD /path"` of every request, in order.
    pub fn trace(&self) -> Vec<String> {
        self.requests()
            .iter()
            .map(|r| format!("{} {}", r.method, r.path))
            .collect()
    }
}

async fn dispatch(
    State(st): State<St>,
    method: Method,
    version: Version,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let req = {
        let mut log = st.log.lock().unwrap();
        let req = Req {
            method,
            version,
            path: uri.path().to_string(),
            query: uri.query().unwrap_or("").to_string(),
            headers,
            body,
            at: Instant::now(),
            n: log.len(),
            base: st.base.clone(),
        };
        log.push(req.clone());
        req
    };
    (st.handler)(&req)
}

fn app(
    base: &str,
    handler: impl Fn(&Req) -> Response + Send + Sync + 'static,
) -> (Router, Arc<Mutex<Vec<Req>>>) {
    let log = Arc::new(Mutex::new(Vec::new()));
    let st = St {
        handler: Arc::new(handler),
        log: log.clone(),
        base: base.to_string(),
    };
    (Router::new().fallback(dispatch).with_state(st), log)
}

pub async fn mock(handler: impl Fn(&Req) -> Response + Send + Sync + 'static) -> Mock {
    azml_core::loopback_guard::enforce();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (router, log) = app(&base, handler);
    tokio::spawn(async move {
        axum::serve(listener, router).await.unwrap();
    });
    Mock { base, log }
}

/// Like [`mock`] but over TLS with the given leaf certificate chain and key (PEM), reached
/// as `https://localhost:{port}`.
pub async fn mock_tls(
    cert_pem: &str,
    key_pem: &str,
    handler: impl Fn(&Req) -> Response + Send + Sync + 'static,
) -> Mock {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let base = format!(
        "https://localhost:{}",
        listener.local_addr().unwrap().port()
    );
    let (router, log) = app(&base, handler);
    let tls = axum_server::tls_rustls::RustlsConfig::from_pem(
        cert_pem.as_bytes().to_vec(),
        key_pem.as_bytes().to_vec(),
    )
    .await
    .unwrap();
    let server = axum_server::from_tcp_rustls(listener, tls).unwrap();
    tokio::spawn(async move {
        server.serve(router.into_make_service()).await.unwrap();
    });
    Mock { base, log }
}

/// A response with a status, headers and an optional JSON body.
pub fn reply(status: u16, headers: &[(&str, &str)], body: Option<Value>) -> Response {
    let mut resp = match body {
        Some(v) => (
            StatusCode::from_u16(status).unwrap(),
            [("content-type", "application/json; charset=utf-8")],
            v.to_string(),
        )
            .into_response(),
        None => StatusCode::from_u16(status).unwrap().into_response(),
    };
    for (k, v) in headers {
        resp.headers_mut().insert(
            axum::http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
            v.parse().unwrap(),
        );
    }
    resp
}

pub fn fast_retry() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 4,
        base_delay: Duration::from_millis(5),
        max_delay: Duration::from_millis(20),
        max_retry_after: Duration::from_secs(30),
        max_elapsed: Some(Duration::from_secs(30)),
    }
}

pub fn config(base: &str) -> ArmConfig {
    let mut c = ArmConfig::new(base);
    c.poll_interval = Duration::from_millis(10);
    c.lro_timeout = Duration::from_secs(20);
    c.connect_timeout = Duration::from_secs(5);
    c.read_timeout = Duration::from_secs(20);
    c
}

pub fn credential() -> Arc<StaticTokenCredential> {
    Arc::new(StaticTokenCredential::new(
        TOKEN,
        time::OffsetDateTime::now_utc() + time::Duration::hours(1),
    ))
}

pub fn client(base: &str) -> ArmClient {
    client_with(config(base), fast_retry())
}

/// Every client of these tests carries the loopback-only guard (`azml_core::loopback_guard`).
pub fn client_with(config: ArmConfig, retry: RetryPolicy) -> ArmClient {
    azml_core::loopback_guard::enforce();
    ArmClient::with_retry_policy(config, credential(), retry).unwrap()
}
