//! Client assertions instead of a secret: RS256 assertions signed by a registered
//! certificate's key, and federated tokens (workload identity) from the emulator's own
//! issuer.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::Value;

use crate::context::Ctx;
use crate::entra::common::{token_body, Form};
use crate::entra::grants::{app_claims, bad_request, invalid_client, missing};
use crate::http::Resp;
use crate::signin_state::Federated;

/// What clients send as `client_assertion_type`.
pub(crate) const JWT_BEARER_ASSERTION: &str =
    "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// The audience Entra ID expects in a federated token.
pub(crate) const TOKEN_EXCHANGE_AUDIENCE: &str = "api://AzureADTokenExchange";

/// Clock skew Entra ID tolerates on assertions.
const SKEW_SECS: i64 = 300;

fn decode_jwt(token: &str) -> Option<(Value, Value, Vec<u8>, String)> {
    let mut parts = token.split('.');
    let (Some(h), Some(p), Some(s), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return None;
    };
    let header: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(h).ok()?).ok()?;
    let payload: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(p).ok()?).ok()?;
    let sig = URL_SAFE_NO_PAD.decode(s).ok()?;
    Some((header, payload, sig, format!("{h}.{p}")))
}

pub(crate) fn audiences(v: &Value) -> Vec<String> {
    match v {
        Value::String(s) => vec![s.clone()],
        Value::Array(a) => a
            .iter()
            .filter_map(|x| x.as_str().map(str::to_string))
            .collect(),
        _ => Vec::new(),
    }
}

/// `client_credentials` with `client_assertion`: a certificate's signed JWT (its header
/// names the certificate by thumbprint) or a federated token from a trusted issuer.
/// Returns the access token answer, or the refusal.
pub(crate) fn assertion_grant(
    ctx: &Ctx,
    form: &Form,
    app_id: &str,
    oid: &str,
    resource: String,
    v2: bool,
    tenant: &str,
) -> Resp {
    if form.get("client_assertion_type") != Some(JWT_BEARER_ASSERTION) {
        return bad_request(
            ctx,
            "invalid_request",
            50027,
            &format!("Invalid client_assertion_type: expected '{JWT_BEARER_ASSERTION}'."),
        );
    }
    let Some(assertion) = form.get("client_assertion") else {
        return missing(ctx, "client_assertion");
    };
    let Some((header, payload, sig, signing_input)) = decode_jwt(assertion) else {
        return invalid_client(ctx, 50027, "JWT token is invalid or malformed.");
    };
    let now = ctx.clock.now_secs();
    // MSAL writes fractional seconds.
    let num = |k: &str| {
        payload[k]
            .as_i64()
            .or_else(|| payload[k].as_f64().map(|f| f as i64))
    };
    let thumb_s256 = header["x5t#S256"].as_str();
    let thumb = header["x5t"].as_str();
    let verdict = if thumb_s256.is_some() || thumb.is_some() {
        check_certificate_assertion(ctx, &header, &payload, &sig, &signing_input, app_id, tenant)
    } else {
        check_federated_assertion(ctx, &payload, assertion, app_id)
    };
    if let Err(resp) = verdict {
        return resp;
    }
    match (num("exp"), num("nbf").or(num("iat"))) {
        (Some(exp), _) if exp + SKEW_SECS <= now => {
            return invalid_client(
                ctx,
                700024,
                "Client assertion is not within its valid time range.",
            )
        }
        (Some(_), Some(nbf)) if nbf > now + SKEW_SECS => {
            return invalid_client(
                ctx,
                700024,
                "Client assertion is not within its valid time range.",
            )
        }
        (None, _) => return invalid_client(ctx, 50027, "The client assertion has no 'exp' claim."),
        _ => {}
    }
    let claims = app_claims(ctx, resource, app_id, oid, "2");
    Resp::ok(token_body(ctx, &claims, v2)).header("cache-control", "no-store, no-cache")
}

fn check_certificate_assertion(
    ctx: &Ctx,
    header: &Value,
    payload: &Value,
    sig: &[u8],
    signing_input: &str,
    app_id: &str,
    tenant: &str,
) -> Result<(), Resp> {
    if header["alg"].as_str() != Some("RS256") {
        return Err(invalid_client(
            ctx,
            5002738,
            "Invalid JWT token. 'RS256' is the only signing algorithm supported for client \
             assertions.",
        ));
    }
    for claim in ["iss", "sub"] {
        if !payload[claim]
            .as_str()
            .is_some_and(|v| v.eq_ignore_ascii_case(app_id))
        {
            return Err(invalid_client(
                ctx,
                700021,
                "Client assertion application identifier doesn't match 'client_id' parameter. \
                 Review the documentation at https://learn.microsoft.com/entra/identity-platform/certificate-credentials .",
            ));
        }
    }
    let base = format!("{}/{tenant}/oauth2", ctx.url);
    let allowed = [
        format!("{base}/v2.0/token"),
        format!("{base}/token"),
        format!("{}/{tenant}/", ctx.url),
        format!("{}/{}/oauth2/v2.0/token", ctx.url, ctx.cfg.tenant_id),
        format!("{}/{}/oauth2/token", ctx.url, ctx.cfg.tenant_id),
    ];
    let aud_ok = audiences(&payload["aud"]).iter().any(|a| {
        allowed.iter().any(|x| {
            x.trim_end_matches('/')
                .eq_ignore_ascii_case(a.trim_end_matches('/'))
        })
    });
    if !aud_ok {
        return Err(invalid_client(
            ctx,
            50012,
            "Client assertion audience claim does not match Realm issuer (the token endpoint).",
        ));
    }
    let signin = ctx.signin();
    // MSAL pads its base64url thumbprints, others do not; some send plain base64.
    let norm =
        |t: Option<&str>| t.map(|t| t.trim_end_matches('=').replace('+', "-").replace('/', "_"));
    let (s256, sha1) = (
        norm(header["x5t#S256"].as_str()),
        norm(header["x5t"].as_str()),
    );
    let cert = signin.certificates.iter().find(|c| {
        c.client_id.eq_ignore_ascii_case(app_id)
            && (s256.as_deref() == Some(c.x5t_s256.as_str())
                || sha1.as_deref() == Some(c.x5t.as_str()))
    });
    let given = header["x5t#S256"]
        .as_str()
        .or(header["x5t"].as_str())
        .unwrap_or_default();
    let Some(cert) = cert else {
        return Err(invalid_client(
            ctx,
            700027,
            &format!(
                "The certificate with identifier used to sign the client assertion is not \
                 registered on application. [Reason - The key was not found., Thumbprint of key \
                 used by client: '{given}'; Please visit the Azure Portal, Graph Explorer or \
                 directly use MS Graph to see configured keys for app Id '{app_id}'.]"
            ),
        ));
    };
    let key = ring::signature::UnparsedPublicKey::new(
        &ring::signature::RSA_PKCS1_2048_8192_SHA256,
        &cert.public_key,
    );
    if key.verify(signing_input.as_bytes(), sig).is_err() {
        return Err(invalid_client(
            ctx,
            700027,
            "Client assertion failed signature validation.",
        ));
    }
    Ok(())
}

fn check_federated_assertion(
    ctx: &Ctx,
    payload: &Value,
    assertion: &str,
    app_id: &str,
) -> Result<(), Resp> {
    let issuer = payload["iss"].as_str().unwrap_or_default();
    let subject = payload["sub"].as_str().unwrap_or_default();
    let signin = ctx.signin();
    let entries: Vec<&Federated> = signin
        .federated
        .iter()
        .filter(|f| f.client_id.eq_ignore_ascii_case(app_id))
        .collect();
    if !entries.iter().any(|f| f.issuer == issuer) {
        return Err(bad_request(
            ctx,
            "invalid_request",
            700211,
            &format!("No matching federated identity record found for presented assertion issuer '{issuer}'. Please check your federated identity credential Subject, Audience and Issuer against the presented assertion."),
        ));
    }
    let Some(entry) = entries
        .iter()
        .find(|f| f.issuer == issuer && f.subject == subject)
    else {
        return Err(bad_request(
            ctx,
            "invalid_request",
            700213,
            &format!("No matching federated identity record found for presented assertion subject '{subject}'. Please check your federated identity credential Subject, Audience and Issuer against the presented assertion."),
        ));
    };
    let presented = audiences(&payload["aud"]);
    if !presented
        .iter()
        .any(|a| entry.audiences.iter().any(|e| e.eq_ignore_ascii_case(a)))
    {
        return Err(bad_request(
            ctx,
            "invalid_request",
            700212,
            &format!("No matching federated identity record found for presented assertion audience '{}'.", presented.join(",")),
        ));
    }
    // Only the emulator's own issuer can be checked: there is no network to fetch another
    // issuer's keys from.
    if issuer != workload_issuer(ctx) {
        return Err(bad_request(
            ctx,
            "invalid_request",
            50166,
            &format!("Request to External OIDC endpoint failed. The emulator only verifies tokens of its own issuer '{}'.", workload_issuer(ctx)),
        ));
    }
    if signin.issuer_signer.verify_json(assertion).is_err() {
        return Err(invalid_client(
            ctx,
            5002738,
            "Invalid JWT token. The assertion failed signature validation.",
        ));
    }
    Ok(())
}

/// The issuer of the service account tokens the emulator hands out (a Kubernetes cluster's
/// OIDC issuer URL).
pub(crate) fn workload_issuer(ctx: &Ctx) -> String {
    format!("{}/_emulator/workload-issuer", ctx.url)
}
