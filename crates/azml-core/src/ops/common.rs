//! What every command checks and how its errors are told: the subscription, the paths a
//! continuation token may follow, OData query values.

use super::params::WorkspaceRef;
use super::validate;
use crate::arm::resource_id as ids;
use crate::error::{Error, ErrorKind, Result};

/// A command needs a subscription before it can build any path.
pub(crate) fn subscription(sub: &str) -> Result<()> {
    if sub.trim().is_empty() {
        return Err(Error::validation(
            "no subscription id: pass subscription_id or set AZURE_SUBSCRIPTION_ID",
        ));
    }
    Ok(())
}

/// `path` (a resource path, its query aside) lies in subscription `sub`, and cannot climb
/// out of it: a continuation token decoded from outside is only followed that far.
pub(crate) fn within_subscription(path: &str, sub: &str) -> bool {
    let path = path.split(['?', '#']).next().unwrap_or_default();
    let lower = path.to_ascii_lowercase();
    let prefix = format!("/subscriptions/{}/", sub.to_ascii_lowercase());
    lower.starts_with(&prefix)
        && !lower.contains("%2e")
        && !lower.contains("%2f")
        && !path.split('/').any(|seg| seg == "." || seg == "..")
}

pub(crate) fn not_found(e: &Error) -> bool {
    e.kind == ErrorKind::NotFound
}

/// The same error with more said about it (kind, status, code and request id kept).
pub(crate) fn with_message(mut e: Error, message: String) -> Error {
    e.message = message;
    e
}

/// The path of the workspace `p` names, once the subscription and the names are checked.
pub(crate) fn workspace_path(sub: &str, p: &WorkspaceRef) -> Result<String> {
    subscription(sub)?;
    validate::workspace_ref(p)?;
    Ok(ids::workspace_path(sub, &p.resource_group, &p.name))
}

/// Characters of an OData `$filter` that must be percent-encoded in a query string.
const QUERY_VALUE: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b'@');

pub(crate) fn encode_query(v: &str) -> String {
    percent_encoding::utf8_percent_encode(v, QUERY_VALUE).to_string()
}

/// An OData string literal: `'` doubled.
pub(crate) fn odata_literal(v: &str) -> String {
    format!("'{}'", v.replace('\'', "''"))
}
