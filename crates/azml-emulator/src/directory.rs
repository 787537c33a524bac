//! The tenant's directory: its users as Microsoft Graph serves them, the user every
//! emulator starts with, and the service principals added at run time. Kept below the
//! rooms: the store keeps these records, sign-in signs in as them, Graph serves them.

use serde_json::{json, Value};

/// The user every emulator knows, so that `share --user` has someone to find.
pub(crate) const DEFAULT_USER_UPN: &str = "user@azml-emulator.onmicrosoft.com";

pub(crate) fn user_body(id: &str, upn: &str, display_name: &str) -> Value {
    json!({
        "businessPhones": [],
        "displayName": display_name,
        "givenName": null,
        "jobTitle": null,
        "mail": upn,
        "mobilePhone": null,
        "officeLocation": null,
        "preferredLanguage": null,
        "surname": null,
        "userPrincipalName": upn,
        "id": id,
    })
}

/// A service principal added at run time (`Emulator::add_service_principal`). Kept in the
/// state file with its secret, as Entra ID keeps an app's credentials.
#[derive(Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub(crate) struct ServicePrincipal {
    pub client_id: String,
    pub secret: String,
    pub oid: String,
    /// A federated credential: the one client assertion (e.g. a Kubernetes service-account
    /// token) this principal accepts instead of its secret (workload identity).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub federated_token: Option<String>,
}

// Written by hand so that the secret never reaches a log through `{:?}`.
impl std::fmt::Debug for ServicePrincipal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServicePrincipal")
            .field("client_id", &self.client_id)
            .field("oid", &self.oid)
            .field("secret", &"<redacted>")
            .finish_non_exhaustive()
    }
}
