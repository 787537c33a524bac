//! The sign-in side: Entra ID's token endpoint (every grant azml's credentials use; the
//! flows beyond the client secret live in `signin`), the device code and authorize
//! endpoints, the managed-identity endpoint, OpenID discovery, MSAL's instance discovery,
//! and ARM's cloud metadata (`/metadata/endpoints`), all pointing at the emulator.

use axum::http::{Method, StatusCode};
use base64::Engine;
use serde_json::{json, Value};

use crate::context::Ctx;
use crate::http::{Req, Resp};
use crate::ids::new_guid;
use crate::signin;
use crate::tokens::{Claims, TOKEN_LIFETIME_SECS};

/// A form body (`application/x-www-form-urlencoded`); empty values count as absent.
pub(crate) struct Form(Vec<(String, String)>);

impl Form {
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.is_empty())
    }
}

/// Routes outside ARM; `None` when nothing matches.
pub(crate) fn route(ctx: &Ctx, req: &Req) -> Option<Resp> {
    let l: Vec<String> = req.segs.iter().map(|s| s.to_ascii_lowercase()).collect();
    let l: Vec<&str> = l.iter().map(String::as_str).collect();
    match l.as_slice() {
        [tenant, "v2.0", ".well-known", "openid-configuration"] => {
            Some(openid_configuration(ctx, tenant, true))
        }
        [tenant, ".well-known", "openid-configuration"] => {
            Some(openid_configuration(ctx, tenant, false))
        }
        [_, "discovery", "instance"] => Some(instance_discovery(ctx, req)),
        [tenant, "oauth2", "v2.0", "token"] => Some(token(ctx, req, tenant, true)),
        [tenant, "oauth2", "token"] => Some(token(ctx, req, tenant, false)),
        [tenant, "oauth2", "v2.0", "devicecode"] => Some(devicecode(ctx, req, tenant, true)),
        [tenant, "oauth2", "devicecode"] => Some(devicecode(ctx, req, tenant, false)),
        [tenant, "oauth2", "v2.0", "authorize"] => Some(authorize(ctx, req, tenant, true)),
        [tenant, "oauth2", "authorize"] => Some(authorize(ctx, req, tenant, false)),
        ["devicelogin"] => Some(signin::devicelogin(ctx)),
        ["msi", "token"] => Some(signin::managed_identity(ctx, req)),
        _ => None,
    }
}

fn known_tenant(ctx: &Ctx, tenant: &str) -> bool {
    tenant.eq_ignore_ascii_case(&ctx.cfg.tenant_id)
}

pub(crate) fn aad_error(
    ctx: &Ctx,
    status: StatusCode,
    error: &str,
    code: u32,
    description: &str,
) -> Resp {
    let trace = new_guid();
    let correlation = new_guid();
    let timestamp = {
        let t = crate::timestamps::iso(ctx.clock.now_ms());
        // Entra ID's style: "2026-11-26 22:03:09Z".
        format!("{} {}Z", &t[..10], &t[11..19])
    };
    Resp::json(
        status,
        json!({
            "error": error,
            "error_description": format!(
                "AADSTS{code}: {description} Trace ID: {trace} Correlation ID: {correlation} \
                 Timestamp: {timestamp}"
            ),
            "error_codes": [code],
            "timestamp": timestamp,
            "trace_id": trace,
            "correlation_id": correlation,
            "error_uri": format!("{}/error?code={code}", ctx.url),
        }),
    )
}

fn tenant_not_found(ctx: &Ctx, tenant: &str) -> Resp {
    aad_error(
        ctx,
        StatusCode::BAD_REQUEST,
        "invalid_request",
        90002,
        &format!(
            "Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID and \
             are signing into the correct cloud."
        ),
    )
}

fn openid_configuration(ctx: &Ctx, tenant: &str, v2: bool) -> Resp {
    let generic = ["common", "organizations", "consumers"]
        .iter()
        .any(|t| t.eq_ignore_ascii_case(tenant));
    if !generic && !known_tenant(ctx, tenant) {
        return tenant_not_found(ctx, tenant);
    }
    let tid = if generic {
        "{tenantid}".to_string()
    } else {
        ctx.cfg.tenant_id.clone()
    };
    let url = &ctx.url;
    let (prefix, issuer) = if v2 {
        (
            format!("{url}/{tenant}/oauth2/v2.0"),
            format!("{url}/{tid}/v2.0"),
        )
    } else {
        (format!("{url}/{tenant}/oauth2"), format!("{url}/{tid}/"))
    };
    Resp::ok(json!({
        "token_endpoint": format!("{prefix}/token"),
        "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt", "client_secret_basic"],
        "grant_types_supported": ["client_credentials", "authorization_code", "refresh_token", "urn:ietf:params:oauth:grant-type:device_code"],
        "code_challenge_methods_supported": ["S256"],
        "jwks_uri": format!("{url}/{tenant}/discovery/v2.0/keys"),
        "response_modes_supported": ["query", "fragment", "form_post"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
        "scopes_supported": ["openid", "profile", "email", "offline_access"],
        "issuer": issuer,
        "request_uri_parameter_supported": false,
        "userinfo_endpoint": format!("{url}/oidc/userinfo"),
        "authorization_endpoint": format!("{prefix}/authorize"),
        "device_authorization_endpoint": format!("{prefix}/devicecode"),
        "http_logout_supported": true,
        "frontchannel_logout_supported": true,
        "end_session_endpoint": format!("{prefix}/logout"),
        "claims_supported": ["sub", "iss", "aud", "exp", "iat", "auth_time", "acr", "nonce", "tid", "ver", "oid", "appid"],
        "tenant_region_scope": "NA",
        "cloud_instance_name": ctx.host(),
        "cloud_graph_host_name": ctx.host(),
        "msgraph_host": ctx.host(),
        "rbac_url": url,
    }))
}

/// MSAL asks where a tenant's metadata lives before it signs in.
fn instance_discovery(ctx: &Ctx, req: &Req) -> Resp {
    let tenant = req
        .q("authorization_endpoint")
        .and_then(|e| e.split('/').nth(3))
        .unwrap_or("common")
        .to_string();
    Resp::ok(json!({
        "tenant_discovery_endpoint": format!("{}/{tenant}/v2.0/.well-known/openid-configuration", ctx.url),
        "api-version": "1.1",
        "metadata": [{
            "preferred_network": ctx.host(),
            "preferred_cache": ctx.host(),
            "aliases": [ctx.host()],
        }],
    }))
}

fn form(req: &Req) -> Form {
    Form(
        url::form_urlencoded::parse(&req.body)
            .into_owned()
            .collect(),
    )
}

fn post_only(ctx: &Ctx, req: &Req) -> Option<Resp> {
    (req.method != Method::POST).then(|| {
        aad_error(
            ctx,
            StatusCode::BAD_REQUEST,
            "invalid_request",
            900561,
            &format!(
                "The endpoint only accepts POST requests. Received a {} request.",
                req.method
            ),
        )
    })
}

fn devicecode(ctx: &Ctx, req: &Req, tenant: &str, v2: bool) -> Resp {
    if let Some(refusal) = post_only(ctx, req) {
        return refusal;
    }
    if !known_tenant(ctx, tenant) && !generic_tenant(tenant) {
        return tenant_not_found(ctx, tenant);
    }
    signin::devicecode(ctx, &form(req), v2)
}

fn authorize(ctx: &Ctx, req: &Req, tenant: &str, v2: bool) -> Resp {
    if req.method != Method::GET && req.method != Method::POST {
        return aad_error(
            ctx,
            StatusCode::BAD_REQUEST,
            "invalid_request",
            900561,
            "The authorize endpoint accepts GET (and form_post POST) requests only.",
        );
    }
    if !known_tenant(ctx, tenant) && !generic_tenant(tenant) {
        return tenant_not_found(ctx, tenant);
    }
    signin::authorize(ctx, req, v2)
}

/// `organizations` and `common` resolve to the emulator's one tenant for users.
fn generic_tenant(tenant: &str) -> bool {
    ["common", "organizations"]
        .iter()
        .any(|t| t.eq_ignore_ascii_case(tenant))
}

/// The token answer's body for `claims` (v1 adds strings and the resource).
pub(crate) fn token_body(ctx: &Ctx, claims: &Claims, v2: bool) -> Value {
    let access_token = ctx.signer.mint(claims);
    let mut body = json!({
        "token_type": "Bearer",
        "expires_in": TOKEN_LIFETIME_SECS,
        "ext_expires_in": TOKEN_LIFETIME_SECS,
        "access_token": access_token,
    });
    if !v2 {
        // The v1 endpoint answers with strings and the resource.
        let obj = body.as_object_mut().expect("object");
        obj.insert(
            "expires_in".into(),
            Value::from(TOKEN_LIFETIME_SECS.to_string()),
        );
        obj.insert(
            "ext_expires_in".into(),
            Value::from(TOKEN_LIFETIME_SECS.to_string()),
        );
        obj.insert("expires_on".into(), Value::from(claims.exp.to_string()));
        obj.insert("not_before".into(), Value::from(claims.nbf.to_string()));
        obj.insert("resource".into(), Value::from(claims.aud.clone()));
    }
    body
}

fn token(ctx: &Ctx, req: &Req, tenant: &str, v2: bool) -> Resp {
    if let Some(refusal) = post_only(ctx, req) {
        return refusal;
    }
    let user_flow = |g: &str| {
        matches!(
            g,
            "refresh_token" | "authorization_code" | signin::DEVICE_CODE_GRANT
        )
    };
    let params = form(req);
    let param = |name: &str| params.get(name);
    let grant = param("grant_type");
    // Users may sign in through `organizations`/`common`; applications name their tenant.
    let tenant_ok =
        known_tenant(ctx, tenant) || (generic_tenant(tenant) && grant.is_some_and(user_flow));
    if !tenant_ok {
        return tenant_not_found(ctx, tenant);
    }
    let missing = |name: &str| {
        aad_error(
            ctx,
            StatusCode::BAD_REQUEST,
            "invalid_request",
            900144,
            &format!("The request body must contain the following parameter: '{name}'."),
        )
    };
    let Some(grant_type) = grant else {
        return missing("grant_type");
    };
    match grant_type {
        "client_credentials" => {}
        signin::DEVICE_CODE_GRANT => return signin::device_code_grant(ctx, &params, v2),
        "refresh_token" => return signin::refresh_grant(ctx, &params, v2),
        "authorization_code" => return signin::auth_code_grant(ctx, &params, v2),
        _ => {
            return aad_error(
                ctx,
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                70003,
                &format!("The app requested an unsupported grant type '{grant_type}'."),
            )
        }
    }
    // client_secret_basic: "Authorization: Basic base64(id:secret)".
    let basic = req
        .header("authorization")
        .and_then(|h| h.strip_prefix("Basic "))
        .and_then(|b| {
            base64::engine::general_purpose::STANDARD
                .decode(b.trim())
                .ok()
        })
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|s| {
            s.split_once(':').map(|(id, secret)| {
                let dec = |x: &str| {
                    percent_encoding::percent_decode_str(x)
                        .decode_utf8_lossy()
                        .into_owned()
                };
                (dec(id), dec(secret))
            })
        });
    let client_id = param("client_id")
        .map(str::to_string)
        .or_else(|| basic.as_ref().map(|(id, _)| id.clone()));
    let Some(client_id) = client_id else {
        return missing("client_id");
    };
    let resource = if v2 {
        let Some(scope) = param("scope") else {
            return missing("scope");
        };
        match scope.trim().strip_suffix("/.default") {
            Some(resource) if !resource.is_empty() && !scope.trim().contains(' ') => {
                resource.to_string()
            }
            _ => {
                return aad_error(
                    ctx,
                    StatusCode::BAD_REQUEST,
                    "invalid_scope",
                    1002012,
                    &format!(
                        "The provided value for scope {scope} is not valid. Client credential \
                         flows must have a scope value with /.default suffixed to the resource \
                         identifier (application ID URI)."
                    ),
                )
            }
        }
    } else {
        match param("resource") {
            Some(r) => r.to_string(),
            None => return missing("resource"),
        }
    };
    // The configured principal, or one added through `Emulator::add_service_principal`.
    let known = if client_id.eq_ignore_ascii_case(&ctx.cfg.client_id) {
        Some((
            ctx.cfg.client_id.clone(),
            ctx.cfg.client_secret.clone(),
            ctx.principal_oid.clone(),
            None,
        ))
    } else {
        ctx.principals
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .find(|p| p.client_id.eq_ignore_ascii_case(&client_id))
            .map(|p| {
                (
                    p.client_id.clone(),
                    p.secret.clone(),
                    p.oid.clone(),
                    p.federated_token.clone(),
                )
            })
    };
    let Some((app_id, expected_secret, oid, federated)) = known else {
        return aad_error(
            ctx,
            StatusCode::BAD_REQUEST,
            "unauthorized_client",
            700016,
            &format!(
                "Application with identifier '{client_id}' was not found in the directory \
                 '{tenant}'. This can happen if the application has not been installed by the \
                 administrator of the tenant or consented to by any user in the tenant. You may \
                 have sent your authentication request to the wrong tenant."
            ),
        );
    };
    if param("client_assertion").is_some() || param("client_assertion_type").is_some() {
        // A principal given one exact federated token (`Emulator::set_federated_token`)
        // signs in with it; every other assertion (certificates, federated credentials with
        // issuer and subject) is verified as Entra ID does.
        let exact = param("client_assertion_type")
            == Some("urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
            && matches!(
                (param("client_assertion"), federated.as_deref()),
                (Some(a), Some(t)) if constant_time_eq(a.as_bytes(), t.as_bytes())
            );
        if !exact {
            return signin::assertion_grant(ctx, &params, &app_id, &oid, resource, v2, tenant);
        }
    } else {
        let secret = param("client_secret")
            .map(str::to_string)
            .or_else(|| basic.map(|(_, s)| s));
        let Some(secret) = secret else {
            return aad_error(
                ctx,
                StatusCode::UNAUTHORIZED,
                "invalid_client",
                7000216,
                "'client_assertion', 'client_secret' or 'request' is required for the \
                 'client_credentials' grant type.",
            );
        };
        if !constant_time_eq(secret.as_bytes(), expected_secret.as_bytes()) {
            return aad_error(
                ctx,
                StatusCode::UNAUTHORIZED,
                "invalid_client",
                7000215,
                &format!(
                    "Invalid client secret provided. Ensure the secret being sent in the request is \
                     the client secret value, not the client secret ID, for a secret added to app \
                     '{app_id}'."
                ),
            );
        }
    }
    let now = ctx.clock.now_secs();
    let claims = Claims {
        aud: resource,
        iss: format!("{}/{}/", ctx.url, ctx.cfg.tenant_id),
        iat: now,
        nbf: now,
        exp: now + TOKEN_LIFETIME_SECS,
        appid: app_id,
        appidacr: "1".into(),
        idtyp: "app".into(),
        oid: oid.clone(),
        sub: oid,
        tid: ctx.cfg.tenant_id.clone(),
        ver: "1.0".into(),
        ..Claims::default()
    };
    Resp::ok(token_body(ctx, &claims, v2)).header("cache-control", "no-store, no-cache")
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// ARM's cloud metadata, pointing every endpoint the clients use at the emulator.
pub(crate) fn metadata(ctx: &Ctx, req: &Req) -> Resp {
    let l: Vec<String> = req.segs.iter().map(|s| s.to_ascii_lowercase()).collect();
    if l != ["metadata", "endpoints"] {
        return crate::errors::ArmError::not_found(
            "NotFound",
            format!("No route matches '{} {}'.", req.method, req.path),
        )
        .into();
    }
    let url = &ctx.url;
    let cloud = json!({
        "portal": url,
        "authentication": {
            "loginEndpoint": url,
            "audiences": [format!("{url}/"), "https://management.azure.com/", "https://management.core.windows.net/"],
            "tenant": "common",
            "identityProvider": "AAD",
        },
        "media": url,
        "graphAudience": url,
        "graph": format!("{url}/"),
        "name": "AzmlEmulator",
        "suffixes": {
            "azureDataLakeStoreFileSystem": "azuredatalakestore.net",
            "acrLoginServer": "azurecr.io",
            "sqlServerHostname": "database.windows.net",
            "azureDataLakeAnalyticsCatalogAndJob": "azuredatalakeanalytics.net",
            "keyVaultDns": "vault.azure.net",
            "storage": "core.windows.net",
            "azureFrontDoorEndpointSuffix": "azurefd.net",
            "storageSyncEndpointSuffix": "afs.azure.net",
            "mhsmDns": "managedhsm.azure.net",
            "mysqlServerEndpoint": "mysql.database.azure.com",
            "postgresqlServerEndpoint": "postgres.database.azure.com",
            "mariadbServerEndpoint": "mariadb.database.azure.com",
            "synapseAnalytics": "dev.azuresynapse.net",
            "attestationEndpoint": "attest.azure.net",
        },
        "batch": "https://batch.core.windows.net/",
        "resourceManager": format!("{url}/"),
        "vmImageAliasDoc": "https://raw.githubusercontent.com/Azure/azure-rest-api-specs/main/arm-compute/quickstart-templates/aliases.json",
        "activeDirectoryDataLake": "https://datalake.azure.net/",
        "sqlManagement": "https://management.core.windows.net:8443/",
        "microsoftGraphResourceId": format!("{url}/"),
        "appInsightsResourceId": "https://api.applicationinsights.io",
        "appInsightsTelemetryChannelResourceId": "https://dc.applicationinsights.azure.com/v2/track",
        "attestationResourceId": "https://attest.azure.net",
        "synapseAnalyticsResourceId": "https://dev.azuresynapse.net",
        "logAnalyticsResourceId": "https://api.loganalytics.io",
        "ossrDbmsResourceId": "https://ossrdbms-aad.database.windows.net",
    });
    // From 2019-05-01 ARM answered with the list of clouds it knows; 2022-09-01 went back to
    // the one cloud object (what `az cloud register` reads and indexes as an object).
    let listed = req
        .q("api-version")
        .map(|v| ("2019-05-01".."2022-09-01").contains(&v))
        .unwrap_or(false);
    Resp::ok(if listed { json!([cloud]) } else { cloud })
}
