//! The request journal: what clients sent (never a secret) and what the emulator answered,
//! for tests and for people debugging a client.

use std::collections::VecDeque;
use std::sync::Mutex;

use axum::http::HeaderMap;
use serde::Serialize;

/// Oldest entries are dropped beyond this.
const MAX_ENTRIES: usize = 10_000;

/// One request as journaled.
#[derive(Debug, Clone, Serialize)]
pub struct JournalEntry {
    /// 1, 2, … in arrival order (not reset by clearing).
    pub seq: u64,
    pub method: String,
    /// Path and query; the values of secret-bearing query parameters are redacted.
    pub path: String,
    /// Request headers; `Authorization`, cookies and secret-bearing ones are redacted.
    pub headers: Vec<(String, String)>,
    /// `None` when the connection was dropped by a `reset` fault.
    pub status: Option<u16>,
    /// The emulator's clock (RFC 3339, UTC) when the request arrived.
    pub time: String,
    /// Real milliseconds since the emulator started (monotonic), when the request arrived.
    pub elapsed_ms: u64,
    /// Real milliseconds since the emulator started, when the answer was ready (`None` for
    /// a dropped connection). With `Retry-After`, the earliest a client may come back.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub answered_ms: Option<u64>,
    /// Object id of the authenticated principal, when the request carried a valid token.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub principal: Option<String>,
    /// Id of the fault rule that was applied, and what it did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fault: Option<String>,
}

pub(crate) const REDACTED: &str = "<redacted>";

fn secret_name(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    matches!(
        n.as_str(),
        "authorization" | "proxy-authorization" | "cookie" | "set-cookie" | "x-identity-header"
    ) || [
        "secret",
        "token",
        "assertion",
        "password",
        "signature",
        "key",
        "sig",
        "code",
    ]
    .iter()
    .any(|w| n.contains(w))
        && !matches!(n.as_str(), "content-type" | "x-ms-client-request-id")
}

pub(crate) fn redact_headers(headers: &HeaderMap) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|(k, v)| {
            let value = if secret_name(k.as_str()) {
                REDACTED.to_string()
            } else {
                String::from_utf8_lossy(v.as_bytes()).into_owned()
            };
            (k.as_str().to_string(), value)
        })
        .collect()
}

/// `path?query` with the values of secret-looking query parameters replaced.
pub(crate) fn redact_path(path: &str, query: Option<&str>) -> String {
    let Some(q) = query else {
        return path.to_string();
    };
    let parts: Vec<String> = q
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((k, _)) if secret_name(&k.replace("%2D", "-")) => format!("{k}={REDACTED}"),
            _ => pair.to_string(),
        })
        .collect();
    format!("{path}?{}", parts.join("&"))
}

#[derive(Default)]
pub(crate) struct Journal {
    inner: Mutex<(u64, VecDeque<JournalEntry>)>,
}

impl Journal {
    pub(crate) fn push(&self, mut entry: JournalEntry) {
        let mut g = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        g.0 += 1;
        entry.seq = g.0;
        if g.1.len() >= MAX_ENTRIES {
            g.1.pop_front();
        }
        g.1.push_back(entry);
    }
    pub(crate) fn entries(&self) -> Vec<JournalEntry> {
        let g = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        g.1.iter().cloned().collect()
    }
    pub(crate) fn clear(&self) {
        self.inner
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .1
            .clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts() {
        let mut h = HeaderMap::new();
        h.insert("authorization", "Bearer abc".parse().unwrap());
        h.insert("x-client-secret", "s3".parse().unwrap());
        h.insert("content-type", "application/json".parse().unwrap());
        h.insert("x-ms-client-request-id", "id1".parse().unwrap());
        h.insert("x-identity-header", "idh-secret".parse().unwrap());
        let r = redact_headers(&h);
        let text = format!("{r:?}");
        assert!(!text.contains("abc") && !text.contains("s3"), "{text}");
        assert!(!text.contains("idh-secret"), "{text}");
        assert!(text.contains("application/json") && text.contains("id1"));
        assert_eq!(
            redact_path("/p", Some("api-version=1&sig=xyz&client_secret=q")),
            "/p?api-version=1&sig=<redacted>&client_secret=<redacted>"
        );
    }
}
