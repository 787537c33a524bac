//! Discovery: OpenID configuration, MSAL's instance discovery and ARM's cloud metadata
//! (`/metadata/endpoints`), each naming the emulator as every endpoint.

use serde_json::json;

use crate::context::Ctx;
use crate::entra::common::{known_tenant, tenant_not_found};
use crate::http::{Req, Resp};

pub(crate) fn openid_configuration(ctx: &Ctx, tenant: &str, v2: bool) -> Resp {
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
pub(crate) fn instance_discovery(ctx: &Ctx, req: &Req) -> Resp {
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
