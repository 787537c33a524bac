//! Which subscription to work in: explicit → `AZURE_SUBSCRIPTION_ID` → the az CLI's default
//! subscription (`azureProfile.json`, read only) → a validation error.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::error::{Error, Result};

/// [`resolve_subscription_with`] on the process environment and the home directory.
pub fn resolve_subscription(explicit: Option<&str>) -> Result<String> {
    let home = std::env::var_os("HOME").map(PathBuf::from);
    resolve_subscription_with(explicit, |k| std::env::var(k).ok(), home.as_deref())
}

/// Resolves the subscription id with the environment read through `lookup` and `home` as
/// the home directory (for `~/.azure` when `AZURE_CONFIG_DIR` is not set).
pub fn resolve_subscription_with(
    explicit: Option<&str>,
    lookup: impl Fn(&str) -> Option<String>,
    home: Option<&Path>,
) -> Result<String> {
    if let Some(s) = explicit.map(str::trim).filter(|s| !s.is_empty()) {
        return checked(s, "the subscription id given");
    }
    if let Some(s) = lookup("AZURE_SUBSCRIPTION_ID").filter(|s| !s.trim().is_empty()) {
        return checked(s.trim(), "AZURE_SUBSCRIPTION_ID");
    }
    let dir = lookup("AZURE_CONFIG_DIR")
        .filter(|s| !s.trim().is_empty())
        .map(PathBuf::from)
        .or_else(|| home.map(|h| h.join(".azure")));
    let mut why = "no home directory to look in".to_string();
    if let Some(dir) = dir {
        let path = dir.join("azureProfile.json");
        match profile_default(&path) {
            Ok(Some(id)) => {
                return checked(
                    &id,
                    &format!("the default subscription in {}", path.display()),
                )
            }
            Ok(None) => why = format!("{} has no default subscription", path.display()),
            Err(e) => why = e,
        }
    }
    Err(Error::validation(format!(
        "no subscription: pass one explicitly, set AZURE_SUBSCRIPTION_ID, or choose a default \
         with `az account set --subscription ...` ({why})"
    )))
}

/// The `id` of the subscription marked `isDefault` in an az CLI profile; `Ok(None)` when the
/// file lists none. az writes the file with a UTF-8 byte-order mark.
fn profile_default(path: &Path) -> std::result::Result<Option<String>, String> {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(format!("{} does not exist", path.display()))
        }
        Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
    };
    let text = String::from_utf8_lossy(&bytes);
    let doc: Value = serde_json::from_str(text.trim_start_matches('\u{feff}'))
        .map_err(|e| format!("{} is not valid JSON: {e}", path.display()))?;
    Ok(doc
        .get("subscriptions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .find(|s| s.get("isDefault").and_then(Value::as_bool) == Some(true))
        .and_then(|s| s.get("id"))
        .and_then(Value::as_str)
        .map(str::to_string))
}

/// A subscription id is a GUID; anything else is refused before it reaches a URL.
fn checked(id: &str, source: &str) -> Result<String> {
    match uuid::Uuid::parse_str(id) {
        Ok(_) if id.len() == 36 => Ok(id.to_string()),
        _ => Err(Error::validation(format!(
            "{source} ({id:?}) is not a subscription id: expected a GUID such as \
             00000000-0000-0000-0000-000000000000"
        ))),
    }
}
