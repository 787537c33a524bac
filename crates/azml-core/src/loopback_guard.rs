//! The loopback-only guard: with `AZML_LOOPBACK_ONLY=1` in the environment (or after
//! [`enforce`]), every HTTP client azml builds refuses hosts that are not this machine, before
//! anything is sent and without asking DNS.
//!
//! It exists for test suites run against the emulator, ours and our users': where no network
//! namespace can be made (macOS, locked-down containers), it is what keeps a test that names
//! the real cloud by mistake from sending a token there. `scripts/loopback-only` turns it on in
//! that mode; our Rust test support turns it on always.
//!
//! reqwest offers no hook that sees the host of a connection, so the guard takes the two it
//! has: a proxy rule, which sees every request's URL, sends a request for a non-loopback host
//! to a proxy whose name ends in [`REFUSED_SUFFIX`]; the DNS resolver, the only one the client
//! then uses, answers `localhost` itself and refuses that name with an error naming the host
//! that was asked for.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use url::Url;

/// The environment variable that turns the guard on (`1`, `true` or `yes`).
pub const ENV: &str = "AZML_LOOPBACK_ONLY";

/// The name the proxy rule sends a refused request to (`.invalid` is reserved: RFC 6761).
const REFUSED_SUFFIX: &str = "refused.azml-loopback-guard.invalid";

static ENFORCED: AtomicBool = AtomicBool::new(false);

/// Turns the guard on for every client this process builds from now on.
pub fn enforce() {
    ENFORCED.store(true, Ordering::SeqCst);
}

/// Whether clients built now are guarded.
pub fn enabled() -> bool {
    ENFORCED.load(Ordering::SeqCst) || env_enabled(std::env::var(ENV).ok().as_deref())
}

fn env_enabled(value: Option<&str>) -> bool {
    matches!(
        value.map(|v| v.trim().to_ascii_lowercase()).as_deref(),
        Some("1" | "true" | "yes")
    )
}

/// Whether `url`'s host is this machine: a loopback address, `localhost` or `*.localhost`.
pub fn is_loopback_url(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => is_localhost_name(d),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => {
            ip.is_loopback() || ip.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
        }
        None => false,
    }
}

fn is_localhost_name(name: &str) -> bool {
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    name == "localhost" || name.ends_with(".localhost")
}

/// Adds the guard to `builder` when it is on (after any `no_proxy()`: that clears proxy rules).
pub fn apply(builder: reqwest::ClientBuilder) -> reqwest::ClientBuilder {
    if !enabled() {
        return builder;
    }
    builder
        .proxy(reqwest::Proxy::custom(|url: &Url| {
            (!is_loopback_url(url)).then(|| refused_proxy(url))
        }))
        .dns_resolver(Arc::new(LoopbackResolver))
}

/// The proxy URL standing for "refused": the refused host and port travel hex-encoded in its
/// name (split into DNS-sized labels), so the resolver's error can name them.
fn refused_proxy(url: &Url) -> String {
    let target = format!(
        "{}:{}",
        url.host_str().unwrap_or("?"),
        url.port_or_known_default().unwrap_or(0)
    );
    // A DNS name holds at most 253 characters; a longer target is cut, the error says so.
    let hex: String = target
        .bytes()
        .take(100)
        .map(|b| format!("{b:02x}"))
        .collect();
    let labels: Vec<&str> = hex
        .as_bytes()
        .chunks(60)
        .map(|c| std::str::from_utf8(c).expect("hex is ASCII"))
        .collect();
    format!("http://{}.{REFUSED_SUFFIX}", labels.join("."))
}

fn refused_target(name: &str) -> Option<String> {
    let encoded = name.strip_suffix(REFUSED_SUFFIX)?.trim_end_matches('.');
    let hex: String = encoded.split('.').collect();
    let bytes: Option<Vec<u8>> = (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok())
        .collect();
    Some(String::from_utf8_lossy(&bytes?).into_owned())
}

#[derive(Debug)]
struct Refused(String);

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "loopback-only guard ({ENV}): refused a connection to {}: not a loopback address",
            self.0
        )
    }
}

impl std::error::Error for Refused {}

/// The guard's refusal, if it is what `err` comes down to: said alone, without the layers
/// (proxy tunnel, DNS) it travelled through.
pub(crate) fn refusal_in(err: &(dyn std::error::Error + 'static)) -> Option<String> {
    let mut current = Some(err);
    while let Some(e) = current {
        if let Some(refused) = e.downcast_ref::<Refused>() {
            return Some(refused.to_string());
        }
        current = e.source();
    }
    None
}

/// Resolves `localhost` without DNS and nothing else.
struct LoopbackResolver;

impl reqwest::dns::Resolve for LoopbackResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let name = name.as_str().to_string();
        Box::pin(async move {
            if is_localhost_name(&name) {
                let addrs: Vec<SocketAddr> = [
                    IpAddr::V4(Ipv4Addr::LOCALHOST),
                    IpAddr::V6(Ipv6Addr::LOCALHOST),
                ]
                .into_iter()
                .map(|ip| SocketAddr::new(ip, 0))
                .collect();
                let addrs: reqwest::dns::Addrs = Box::new(addrs.into_iter());
                return Ok(addrs);
            }
            let target = refused_target(&name).unwrap_or(name);
            Err(Box::new(Refused(target)) as Box<dyn std::error::Error + Send + Sync>)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_hosts() {
        for yes in [
            "http://127.0.0.1:8/",
            "http://127.1.2.3/",
            "https://[::1]:9/",
            "https://[::ffff:127.0.0.1]/",
            "http://localhost/",
            "http://LocalHost./",
            "http://emu.localhost:1/",
        ] {
            assert!(is_loopback_url(&Url::parse(yes).unwrap()), "{yes}");
        }
        for no in [
            "https://management.azure.com/",
            "http://192.0.2.1/",
            "http://169.254.169.254/metadata",
            "https://[2001:db8::1]/",
            "https://[::ffff:192.0.2.1]/",
            "http://localhost.example.com/",
            "http://0.0.0.0/",
        ] {
            assert!(!is_loopback_url(&Url::parse(no).unwrap()), "{no}");
        }
    }

    #[test]
    fn the_refused_target_travels_in_the_proxy_name() {
        for url in [
            "https://management.azure.com/subscriptions",
            "http://192.0.2.1:9/",
            "https://[2001:db8::1]:8443/",
        ] {
            let url = Url::parse(url).unwrap();
            let proxy = Url::parse(&refused_proxy(&url)).unwrap();
            let host = proxy.host_str().unwrap();
            assert!(host.len() <= 253 && host.split('.').all(|l| l.len() <= 63));
            let expected = format!(
                "{}:{}",
                url.host_str().unwrap(),
                url.port_or_known_default().unwrap()
            );
            assert_eq!(refused_target(host).unwrap(), expected);
        }
        let long = Url::parse(&format!("https://{}.example/", "a".repeat(200))).unwrap();
        let proxy = Url::parse(&refused_proxy(&long)).unwrap();
        assert!(proxy.host_str().unwrap().len() <= 253);
    }

    #[test]
    fn environment_values() {
        for on in ["1", "true", "YES", " 1 "] {
            assert!(env_enabled(Some(on)), "{on}");
        }
        for off in [None, Some(""), Some("0"), Some("no"), Some("false")] {
            assert!(!env_enabled(off), "{off:?}");
        }
    }
}
