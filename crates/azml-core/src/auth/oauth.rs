//! What the token-issuing credentials share: validation of ids, the token URL, one form POST
//! to an Entra ID style token endpoint, and reading its answer.

use azure_core::credentials::{AccessToken, Secret};
use reqwest::header::{ACCEPT, CONTENT_TYPE};
use serde_json::Value;
use time::OffsetDateTime;
use url::Url;

use crate::error::{Error, ErrorKind, Result};
use crate::http::{describe, parse_endpoint};

pub(crate) const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

fn is_tenant_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '-' || c == '.' || c == '_'
}

pub(crate) fn check_tenant(tenant_id: &str) -> Result<()> {
    if tenant_id.is_empty() || !tenant_id.chars().all(is_tenant_char) {
        return Err(Error::validation(format!(
            "invalid tenant id {tenant_id:?}: expected a GUID or a domain name"
        )));
    }
    Ok(())
}

pub(crate) fn check_client(client_id: &str) -> Result<()> {
    if client_id.trim().is_empty() || client_id.chars().any(|c| c.is_control()) {
        return Err(Error::validation(format!(
            "invalid client id {client_id:?}"
        )));
    }
    Ok(())
}

/// `{authority}/{tenant}/oauth2/v2.0/{leaf}` after checking the authority and tenant.
pub(crate) fn endpoint_url(authority: &str, tenant_id: &str, leaf: &str) -> Result<Url> {
    let authority_url = parse_endpoint("authority", authority.trim().trim_end_matches('/'))?;
    check_tenant(tenant_id)?;
    let base = authority_url.as_str().trim_end_matches('/');
    Url::parse(&format!("{base}/{tenant_id}/oauth2/v2.0/{leaf}"))
        .map_err(|e| Error::validation(format!("cannot build the {leaf} URL: {e}")))
}

/// Replaces every secret (of at least 4 characters) in text that came back from a server,
/// in case it echoes the request.
pub(crate) fn scrub(text: &str, secrets: &[&str]) -> String {
    let mut out = text.to_string();
    for s in secrets {
        if s.len() >= 4 {
            out = out.replace(s, "<redacted>");
        }
    }
    out
}

/// A successful token answer.
pub(crate) struct Granted {
    pub token: AccessToken,
    pub refresh_token: Option<Secret>,
}

/// What a token endpoint said.
pub(crate) enum Answer {
    Granted(Granted),
    /// A non-2xx answer: OAuth `error`, `error_description` (scrubbed) and status.
    Refused {
        status: u16,
        code: Option<String>,
        description: Option<String>,
    },
}

impl Answer {
    /// Turns a refusal into an authentication error naming `who`.
    pub(crate) fn into_granted(self, who: &str) -> Result<Granted> {
        match self {
            Answer::Granted(g) => Ok(g),
            Answer::Refused {
                status,
                code,
                description,
            } => Err(refusal_error(who, status, code, description)),
        }
    }
}

pub(crate) fn refusal_error(
    who: &str,
    status: u16,
    code: Option<String>,
    description: Option<String>,
) -> Error {
    let description = description.unwrap_or_else(|| {
        let reason = reqwest::StatusCode::from_u16(status)
            .ok()
            .and_then(|s| s.canonical_reason())
            .unwrap_or("");
        format!("the token endpoint answered {status} {reason}")
    });
    let mut err = Error::new(
        ErrorKind::Authentication,
        format!("{who} authentication failed: {description}"),
    )
    .with_status(status);
    err.code = code;
    err
}

/// How a `Debug` impl shows a user credential's refresh token: whether there is one, never
/// its value.
pub(crate) fn refresh_token_shown(
    slot: &std::sync::Mutex<Option<azure_core::credentials::Secret>>,
) -> &'static str {
    match slot.lock().map(|r| r.is_some()) {
        Ok(true) => "<redacted>",
        _ => "none",
    }
}

pub(crate) fn auth_error(message: impl Into<String>) -> Error {
    Error::new(ErrorKind::Authentication, message)
}

/// POSTs `form` to `url` and reads the answer; `secrets` are scrubbed from anything that
/// ends up in an error.
pub(crate) async fn post_form(
    http: &reqwest::Client,
    url: &Url,
    form: String,
    secrets: &[&str],
) -> Result<Answer> {
    let started = OffsetDateTime::now_utc();
    let resp = http
        .post(url.clone())
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(ACCEPT, "application/json")
        .header("x-client-SKU", concat!("azml/", env!("CARGO_PKG_VERSION")))
        .body(form)
        .send()
        .await
        .map_err(|e| {
            auth_error(format!(
                "cannot reach {}: {}",
                url,
                scrub(&describe(&e), secrets)
            ))
        })?;
    read_answer(resp, started, secrets).await
}

/// Reads a token response (any of the shapes Entra ID and the managed-identity endpoints
/// use).
pub(crate) async fn read_answer(
    resp: reqwest::Response,
    started: OffsetDateTime,
    secrets: &[&str],
) -> Result<Answer> {
    let status = resp.status();
    let bytes = resp.bytes().await.map_err(|e| {
        auth_error(format!(
            "reading the token response failed: {}",
            describe(&e)
        ))
    })?;
    let body: Option<Value> = serde_json::from_slice(&bytes).ok();
    let text = |k: &str| {
        body.as_ref()
            .and_then(|b| b.get(k))
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(|s| scrub(s, secrets))
    };
    if !status.is_success() {
        // Managed-identity endpoints put `error` in an object at times.
        let nested = body
            .as_ref()
            .and_then(|b| b.get("error"))
            .filter(|e| e.is_object());
        let (code, description) = match nested {
            Some(e) => (
                e.get("code").and_then(Value::as_str).map(str::to_string),
                e.get("message")
                    .and_then(Value::as_str)
                    .map(|s| scrub(s, secrets)),
            ),
            None => (
                text("error"),
                text("error_description").or_else(|| text("message")),
            ),
        };
        return Ok(Answer::Refused {
            status: status.as_u16(),
            code,
            description,
        });
    }
    let body =
        body.ok_or_else(|| auth_error("the token endpoint answered with a body that is not JSON"))?;
    parse_token(&body, started).map(Answer::Granted)
}

fn as_i64(v: Option<&Value>) -> Option<i64> {
    match v? {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse::<i64>().ok(),
        _ => None,
    }
}

/// `access_token` plus its expiry from `expires_on` (epoch seconds, number or string, as
/// managed-identity endpoints send) or `expires_in` (seconds from `started`).
pub(crate) fn parse_token(body: &Value, started: OffsetDateTime) -> Result<Granted> {
    let token = body
        .get("access_token")
        .and_then(Value::as_str)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| auth_error("the token response has no access_token"))?;
    let expires_on = if let Some(epoch) = as_i64(body.get("expires_on")) {
        OffsetDateTime::from_unix_timestamp(epoch)
            .map_err(|_| auth_error("the token response's expires_on is out of range"))?
    } else if let Some(secs) = as_i64(body.get("expires_in")) {
        started + time::Duration::seconds(secs.max(0))
    } else {
        return Err(auth_error(
            "the token response has no valid expires_in or expires_on",
        ));
    };
    let refresh_token = body
        .get("refresh_token")
        .and_then(Value::as_str)
        .filter(|t| !t.is_empty())
        .map(|t| Secret::new(t.to_string()));
    Ok(Granted {
        token: AccessToken::new(token.to_string(), expires_on),
        refresh_token,
    })
}

/// The resource (audience) of a `.default` scope, for endpoints that take a resource.
pub(crate) fn scope_to_resource(scopes: &[&str], who: &str) -> Result<String> {
    match scopes {
        [one] => {
            let s = one.trim();
            // `https://management.azure.com/.default` → `https://management.azure.com/`, as
            // the Azure SDKs do.
            let r = match s.strip_suffix(".default") {
                Some(r) if r.ends_with('/') => r,
                _ => s,
            };
            if r.is_empty() || r.chars().any(|c| c.is_whitespace() || c.is_control()) {
                return Err(Error::validation(format!("{who}: invalid scope {s:?}")));
            }
            Ok(r.to_string())
        }
        _ => Err(Error::validation(format!(
            "{who} takes exactly one scope, got {}",
            scopes.len()
        ))),
    }
}
