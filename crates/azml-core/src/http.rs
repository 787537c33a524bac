//! The HTTP plumbing under both ARM and sign-in: how an endpoint is checked, how the one
//! reqwest client configuration is built (timeouts, trust roots, no redirects, no
//! environment proxy, the loopback-only guard) and how a transport error is told. It sits
//! below `arm` and `auth` so that neither has to reach into the other for it.

use std::error::Error as _;
use std::time::Duration;

use url::Url;

use crate::error::{Error, Result};

/// True for `localhost`, 127.0.0.0/8 and `::1`: the only hosts plain http is allowed to.
pub(crate) fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// Checks a configured endpoint (ARM or token authority): absolute http(s) URL, plain http
/// only to loopback, no credentials, query or fragment in it.
pub(crate) fn parse_endpoint(what: &str, endpoint: &str) -> Result<Url> {
    let url = Url::parse(endpoint)
        .map_err(|e| Error::validation(format!("{what} {endpoint:?} is not a valid URL: {e}")))?;
    match url.scheme() {
        "https" => {}
        "http" if is_loopback(&url) => {}
        "http" => {
            return Err(Error::validation(format!(
                "{what} {endpoint:?} uses plain http, which is only allowed for a loopback \
                 emulator (localhost, 127.0.0.1, ::1); use https"
            )))
        }
        other => {
            return Err(Error::validation(format!(
                "{what} {endpoint:?} has unsupported scheme {other:?}; use https"
            )))
        }
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(Error::validation(format!(
            "{what} {endpoint:?} has no host"
        )));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(Error::validation(format!(
            "{what} must not carry user information"
        )));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(Error::validation(format!(
            "{what} {endpoint:?} must not have a query or fragment"
        )));
    }
    Ok(url)
}

/// Builds the shared reqwest client: pooled, keep-alive, HTTP/2 when the server offers it
/// through ALPN, no redirects (a redirect could carry the token to another host), no proxy
/// from the environment, and the loopback-only guard when it is on.
pub(crate) fn build_http_client(
    connect_timeout: Duration,
    read_timeout: Duration,
    ca_file: Option<&std::path::Path>,
) -> Result<reqwest::Client> {
    // reqwest is built without a crypto provider of its own.
    crate::install_tls_provider();
    let mut builder = reqwest::Client::builder()
        .connect_timeout(connect_timeout)
        .read_timeout(read_timeout)
        .pool_idle_timeout(Duration::from_secs(90))
        .tcp_keepalive(Duration::from_secs(60))
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy();
    builder = crate::loopback_guard::apply(builder);
    if let Some(roots) = fallback_roots(system_root_count()) {
        builder = builder.tls_certs_merge(roots);
    }
    if let Some(path) = ca_file {
        let pem = std::fs::read(path).map_err(|e| {
            Error::validation(format!("cannot read CA file {}: {e}", path.display()))
        })?;
        let certs = reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| {
            Error::validation(format!(
                "CA file {} is not a PEM certificate: {e}",
                path.display()
            ))
        })?;
        if certs.is_empty() {
            return Err(Error::validation(format!(
                "CA file {} holds no PEM certificate",
                path.display()
            )));
        }
        builder = builder.tls_certs_merge(certs);
    }
    builder
        .build()
        .map_err(|e| Error::transport(format!("cannot build the HTTP client: {}", describe(&e))))
}

/// How many CA certificates the system's store holds (read once per process: it means
/// reading files).
fn system_root_count() -> usize {
    static COUNT: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *COUNT.get_or_init(|| rustls_native_certs::load_native_certs().certs.len())
}

/// Mozilla's roots (the `webpki-root-certs` crate) when the system has none, as in a
/// minimal container image without a CA bundle; `None` when the system's store is there,
/// which then is the only one trusted (with the optional CA file).
fn fallback_roots(system_roots: usize) -> Option<Vec<reqwest::Certificate>> {
    if system_roots > 0 {
        return None;
    }
    tracing::debug!("no CA certificates in the system's store; trusting Mozilla's roots");
    Some(
        webpki_root_certs::TLS_SERVER_ROOT_CERTS
            .iter()
            .filter_map(|der| reqwest::Certificate::from_der(der).ok())
            .collect(),
    )
}

/// A reqwest error with its causes ("connection refused" lives in a source, not the top).
pub(crate) fn describe(err: &reqwest::Error) -> String {
    if let Some(refused) = crate::loopback_guard::refusal_in(err) {
        return refused;
    }
    let mut out = err.to_string();
    let mut source = err.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = s.source();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mozillas_roots_stand_in_only_for_an_empty_system_store() {
        let roots = fallback_roots(0).expect("roots when the system has none");
        // Every bundled root parses (the bundle holds well over a hundred).
        assert_eq!(roots.len(), webpki_root_certs::TLS_SERVER_ROOT_CERTS.len());
        assert!(roots.len() > 100);
        assert!(fallback_roots(1).is_none());
        // A client builds either way.
        assert!(build_http_client(Duration::from_secs(1), Duration::from_secs(1), None).is_ok());
    }
}
