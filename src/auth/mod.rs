//! Credentials that yield bearer tokens, all through `azure_core`'s `TokenCredential` trait,
//! with a token cache.
//!
//! INTERFACE CONTRACT (bodies filled in by the arm/auth work).

use std::sync::Arc;

use azure_core::credentials::TokenCredential;

/// Client-credentials grant with a client secret against an Entra ID style authority
/// (`{authority}/{tenant}/oauth2/v2.0/token`). Our own rather than azure_identity's because
/// azure_identity refuses a non-https authority, and the emulator serves plain HTTP by default.
pub fn client_secret(
    _authority: &str,
    _tenant_id: &str,
    _client_id: &str,
    _client_secret: &str,
    _ca_file: Option<&std::path::Path>,
) -> crate::Result<Arc<dyn TokenCredential>> {
    todo!()
}
