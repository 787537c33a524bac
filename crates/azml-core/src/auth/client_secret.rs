//! OAuth 2.0 client-credentials grant with a client secret, against `{authority}/{tenant}/
//! oauth2/v2.0/token`. No caching here: [`super::client_secret`] wraps it in
//! [`super::Cached`].

use std::fmt;
use std::time::Duration;

use azure_core::credentials::{AccessToken, Secret, TokenCredential, TokenRequestOptions};
use reqwest::header::{ACCEPT, CONTENT_TYPE};
use serde_json::Value;
use time::OffsetDateTime;
use url::Url;

use super::to_azure_error;
use crate::error::{Error, ErrorKind, Result};
use crate::http::{build_http_client, describe, parse_endpoint};

pub struct ClientSecretCredential {
    token_url: Url,
    tenant_id: String,
    client_id: String,
    secret: Secret,
    http: reqwest::Client,
}

impl fmt::Debug for ClientSecretCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientSecretCredential")
            .field("token_url", &self.token_url.as_str())
            .field("tenant_id", &self.tenant_id)
            .field("client_id", &self.client_id)
            .field("client_secret", &"<redacted>")
            .finish()
    }
}

fn is_tenant_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '-' || c == '.' || c == '_'
}

impl ClientSecretCredential {
    /// Checks every argument before anything is sent; errors are
    /// [`ErrorKind::Validation`] and never contain the secret.
    pub fn new(
        authority: &str,
        tenant_id: &str,
        client_id: &str,
        client_secret: &str,
        ca_file: Option<&std::path::Path>,
    ) -> Result<Self> {
        let authority_url = parse_endpoint("authority", authority.trim().trim_end_matches('/'))?;
        if tenant_id.is_empty() || !tenant_id.chars().all(is_tenant_char) {
            return Err(Error::validation(format!(
                "invalid tenant id {tenant_id:?}: expected a GUID or a domain name"
            )));
        }
        if client_id.trim().is_empty() || client_id.chars().any(|c| c.is_control()) {
            return Err(Error::validation(format!(
                "invalid client id {client_id:?}"
            )));
        }
        if client_secret.is_empty() {
            return Err(Error::validation("the client secret is empty"));
        }
        let base = authority_url.as_str().trim_end_matches('/');
        let token_url = Url::parse(&format!("{base}/{tenant_id}/oauth2/v2.0/token"))
            .map_err(|e| Error::validation(format!("cannot build the token URL: {e}")))?;
        let http = build_http_client(Duration::from_secs(10), Duration::from_secs(30), ca_file)?;
        Ok(ClientSecretCredential {
            token_url,
            tenant_id: tenant_id.to_string(),
            client_id: client_id.to_string(),
            secret: Secret::new(client_secret.to_string()),
            http,
        })
    }

    /// Removes the secret from text that came back from the authority, in case it echoes the
    /// request.
    fn scrub(&self, text: &str) -> String {
        let secret = self.secret.secret();
        if secret.len() >= 4 {
            text.replace(secret, "<redacted>")
        } else {
            text.to_string()
        }
    }

    async fn request_token(&self, scopes: &[&str], claims: Option<&str>) -> Result<AccessToken> {
        if scopes.is_empty() {
            return Err(Error::validation(
                "no scope was given for the token request",
            ));
        }
        let form = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("grant_type", "client_credentials")
            .append_pair("client_id", &self.client_id)
            .append_pair("client_secret", self.secret.secret())
            .append_pair("scope", &scopes.join(" "))
            .extend_pairs(claims.map(|c| ("claims", c)))
            .finish();
        let started = OffsetDateTime::now_utc();
        let resp = self
            .http
            .post(self.token_url.clone())
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(ACCEPT, "application/json")
            .header("x-client-SKU", concat!("azml/", env!("CARGO_PKG_VERSION")))
            .body(form)
            .send()
            .await
            .map_err(|e| {
                Error::new(
                    ErrorKind::Authentication,
                    format!(
                        "cannot reach the token endpoint {}: {}",
                        self.token_url,
                        self.scrub(&describe(&e))
                    ),
                )
            })?;
        let status = resp.status();
        let bytes = resp.bytes().await.map_err(|e| {
            Error::new(
                ErrorKind::Authentication,
                format!("reading the token response failed: {}", describe(&e)),
            )
        })?;
        let body: Option<Value> = serde_json::from_slice(&bytes).ok();
        let text = |k: &str| {
            body.as_ref()
                .and_then(|b| b.get(k))
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
                .map(|s| self.scrub(s))
        };
        if !status.is_success() {
            let description = text("error_description").unwrap_or_else(|| {
                format!(
                    "the token endpoint answered {} {}",
                    status.as_u16(),
                    status.canonical_reason().unwrap_or("")
                )
            });
            let mut err = Error::new(
                ErrorKind::Authentication,
                format!(
                    "ClientSecretCredential authentication failed for client {:?} in tenant \
                     {:?}: {description}",
                    self.client_id, self.tenant_id
                ),
            )
            .with_status(status.as_u16());
            err.code = text("error");
            return Err(err);
        }
        let body = body.ok_or_else(|| {
            Error::new(
                ErrorKind::Authentication,
                "the token endpoint answered with a body that is not JSON",
            )
        })?;
        let token = body
            .get("access_token")
            .and_then(Value::as_str)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| {
                Error::new(
                    ErrorKind::Authentication,
                    "the token response has no access_token",
                )
            })?;
        // `expires_in` is a number, or a string of one in some older services.
        let expires_in = match body.get("expires_in") {
            Some(Value::Number(n)) => n.as_i64(),
            Some(Value::String(s)) => s.trim().parse::<i64>().ok(),
            _ => None,
        }
        .ok_or_else(|| {
            Error::new(
                ErrorKind::Authentication,
                "the token response has no valid expires_in",
            )
        })?;
        Ok(AccessToken::new(
            token.to_string(),
            started + time::Duration::seconds(expires_in.max(0)),
        ))
    }
}

#[async_trait::async_trait]
impl TokenCredential for ClientSecretCredential {
    async fn get_token(
        &self,
        scopes: &[&str],
        options: Option<TokenRequestOptions<'_>>,
    ) -> azure_core::Result<AccessToken> {
        let claims = super::cache::ClaimsChallenge::of(options.as_ref());
        self.request_token(scopes, claims)
            .await
            .map_err(to_azure_error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validates_before_sending() {
        let ok = "http://127.0.0.1:1";
        for (authority, tenant, client, secret) in [
            ("not a url", "t", "c", "s"),
            ("ftp://127.0.0.1", "t", "c", "s"),
            ("http://example.com", "t", "c", "s"),
            (ok, "", "c", "s"),
            (ok, "t/../x", "c", "s"),
            (ok, "t", "", "s"),
            (ok, "t", "c", ""),
        ] {
            let err =
                ClientSecretCredential::new(authority, tenant, client, secret, None).unwrap_err();
            assert_eq!(
                err.kind,
                ErrorKind::Validation,
                "{authority} {tenant} {client}"
            );
        }
        let c =
            ClientSecretCredential::new("https://login.example.com/", "t", "c", "s3cret!", None)
                .unwrap();
        assert_eq!(
            c.token_url.as_str(),
            "https://login.example.com/t/oauth2/v2.0/token"
        );
        assert!(!format!("{c:?}").contains("s3cret"));
    }
}
