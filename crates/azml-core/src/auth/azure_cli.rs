//! The signed-in Azure CLI: `az account get-access-token --resource … -o json`. One `az`
//! process per token lifetime once wrapped in [`super::Cached`] (as
//! [`super::azure_cli`] does): az is a Python program and takes about a second to start.

use std::fmt;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use azure_core::credentials::{AccessToken, TokenCredential, TokenRequestOptions};
use serde_json::Value;
use time::OffsetDateTime;

use super::oauth::{self, auth_error};
use super::to_azure_error;
use crate::error::Result;

const WHO: &str = "AzureCliCredential";

/// Runs the az CLI for tokens. No caching here: wrap it in [`super::Cached`].
#[derive(Debug, Clone)]
pub struct AzureCliCredential {
    program: PathBuf,
    tenant_id: Option<String>,
    timeout: Duration,
}

impl Default for AzureCliCredential {
    fn default() -> Self {
        Self::new()
    }
}

impl AzureCliCredential {
    /// `az` from `PATH`, 30 s timeout, the CLI's current tenant.
    pub fn new() -> Self {
        Self::with_program("az")
    }

    /// A specific `az` executable (tests use a fake script rather than changing `PATH`).
    pub fn with_program(program: impl Into<PathBuf>) -> Self {
        AzureCliCredential {
            program: program.into(),
            tenant_id: None,
            timeout: Duration::from_secs(30),
        }
    }

    /// Ask for a token in this tenant (`--tenant`).
    pub fn tenant(mut self, tenant_id: &str) -> Result<Self> {
        oauth::check_tenant(tenant_id)?;
        self.tenant_id = Some(tenant_id.to_string());
        Ok(self)
    }

    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    async fn request_token(&self, scopes: &[&str]) -> Result<AccessToken> {
        let resource = oauth::scope_to_resource(scopes, WHO)?;
        let mut cmd = tokio::process::Command::new(&self.program);
        cmd.args(["account", "get-access-token", "--resource", &resource]);
        if let Some(t) = &self.tenant_id {
            cmd.args(["--tenant", t]);
        }
        cmd.args(["-o", "json"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        let child = cmd.spawn().map_err(|e| {
            auth_error(if e.kind() == std::io::ErrorKind::NotFound {
                format!(
                    "{WHO}: the Azure CLI ({}) was not found; install it or use another \
                     credential",
                    self.program.display()
                )
            } else {
                format!("{WHO}: cannot run {}: {e}", self.program.display())
            })
        })?;
        let out = match tokio::time::timeout(self.timeout, child.wait_with_output()).await {
            Ok(Ok(out)) => out,
            Ok(Err(e)) => return Err(auth_error(format!("{WHO}: running az failed: {e}"))),
            Err(_) => {
                return Err(auth_error(format!(
                    "{WHO}: `az account get-access-token` did not finish within {} s",
                    self.timeout.as_secs_f64()
                )))
            }
        };
        if !out.status.success() {
            let stderr = String::from_utf8_lossy(&out.stderr);
            let first: String = stderr
                .lines()
                .map(str::trim)
                .find(|l| !l.is_empty())
                .unwrap_or("")
                .chars()
                .take(300)
                .collect();
            let hint = if stderr.contains("az login") || stderr.contains("az account set") {
                "; run `az login`"
            } else {
                ""
            };
            return Err(auth_error(format!(
                "{WHO}: `az account get-access-token` failed ({}): {first}{hint}",
                out.status
            )));
        }
        parse_cli_token(&out.stdout)
    }
}

/// Reads az's JSON: `accessToken` with `expires_on` (epoch seconds, az ≥ 2.54) or
/// `expiresOn` (local time, `2026-11-26 23:59:59.000000`).
fn parse_cli_token(stdout: &[u8]) -> Result<AccessToken> {
    let body: Value = serde_json::from_slice(stdout)
        .map_err(|_| auth_error(format!("{WHO}: az printed something that is not JSON")))?;
    let token = body
        .get("accessToken")
        .and_then(Value::as_str)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| auth_error(format!("{WHO}: az's answer has no accessToken")))?;
    let epoch = match body.get("expires_on") {
        Some(Value::Number(n)) => n.as_i64(),
        Some(Value::String(s)) => s.trim().parse().ok(),
        _ => None,
    };
    let expires_on = epoch
        .and_then(|e| OffsetDateTime::from_unix_timestamp(e).ok())
        .or_else(|| {
            super::StaticTokenCredential::from_jwt(token)
                .ok()
                .map(|t| t.expires_on())
        })
        .or_else(|| {
            body.get("expiresOn")
                .and_then(Value::as_str)
                .and_then(parse_local_time)
        })
        .ok_or_else(|| auth_error(format!("{WHO}: az's answer has no usable expiry")))?;
    Ok(AccessToken::new(token.to_string(), expires_on))
}

/// az's `expiresOn` is the machine's local time without offset, which cannot be read
/// soundly in a multi-threaded process. Only used for an old az whose token is not a JWT
/// either; UTC is assumed, with a warning.
fn parse_local_time(s: &str) -> Option<OffsetDateTime> {
    let fmt = time::macros::format_description!(
        "[year]-[month]-[day] [hour]:[minute]:[second][optional [.[subsecond]]]"
    );
    let naive = time::PrimitiveDateTime::parse(s.trim(), &fmt).ok()?;
    tracing::warn!("az gave only a local expiry time; assuming UTC");
    Some(naive.assume_utc())
}

#[async_trait::async_trait]
impl TokenCredential for AzureCliCredential {
    async fn get_token(
        &self,
        scopes: &[&str],
        _options: Option<TokenRequestOptions<'_>>,
    ) -> azure_core::Result<AccessToken> {
        self.request_token(scopes).await.map_err(to_azure_error)
    }
}

impl fmt::Display for AzureCliCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{WHO} ({})", self.program.display())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_both_expiry_forms() {
        let t = parse_cli_token(br#"{"accessToken":"a.b.c","expires_on":1900000000}"#).unwrap();
        assert_eq!(t.expires_on.unix_timestamp(), 1_900_000_000);
        let t = parse_cli_token(
            br#"{"accessToken":"not-a-jwt","expiresOn":"2030-01-02 03:04:05.123456"}"#,
        )
        .unwrap();
        assert_eq!(t.expires_on.year(), 2030);
        assert!(parse_cli_token(br#"{"accessToken":"a.b.c"}"#).is_err());
        let err = parse_cli_token(b"not json SECRETISH").unwrap_err();
        assert!(!err.message.contains("SECRETISH"));
    }
}
