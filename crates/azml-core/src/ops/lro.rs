//! Long commands as operations that can be begun here and finished anywhere: a
//! [`Continuation`] holds what is left of a command once ARM has accepted its long-running
//! step, and a [`ContinuationToken`] carries it to another process (azure-core's
//! `continuation_token()` / `from_continuation_token`).
//!
//! A token is base64url (no padding) of JSON with a version field. It names the ARM endpoint
//! (scheme, host and port) and the subscription it was made for, and is refused by a client
//! of any other; it holds paths relative to that endpoint, the operation's kind and its
//! polling URLs, never a bearer token, a key or any other secret.

use base64::Engine;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use url::Url;

use super::client::ArmApi;
use super::common::within_subscription;
use super::groups;
use super::params::{GroupDelete, WorkspaceCreate, WorkspaceDelete, WorkspaceRef, WorkspaceUpdate};
use super::workspaces::create::{self, WorkspaceCreateRest};
use super::workspaces::delete::{self, WorkspaceDeleteRest};
use super::workspaces::{diagnose, keys, update};
use crate::arm::LroState;
use crate::error::{Error, Result};

/// The token format this build writes and reads.
pub const TOKEN_VERSION: u32 = 1;

/// A long command, with its parameters.
#[derive(Debug, Clone)]
pub enum LongRequest {
    GroupDelete(GroupDelete),
    WorkspaceCreate(Box<WorkspaceCreate>),
    WorkspaceUpdate(Box<WorkspaceUpdate>),
    WorkspaceDelete(WorkspaceDelete),
    WorkspaceSyncKeys(WorkspaceRef),
    WorkspaceDiagnose(WorkspaceRef),
}

/// What is left of a long command once ARM has accepted its long-running step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum Continuation {
    GroupDelete {
        operation: LroState,
    },
    /// Waiting for the workspace PUT, then the private endpoint, then the final GET.
    WorkspaceCreate(Box<WorkspaceCreateRest>),
    WorkspaceUpdate {
        operation: LroState,
    },
    /// Waiting for the workspace DELETE, then deleting its resources (`all_resources`).
    WorkspaceDelete(Box<WorkspaceDeleteRest>),
    WorkspaceSyncKeys {
        operation: LroState,
    },
    WorkspaceDiagnose {
        operation: LroState,
    },
}

impl Continuation {
    /// Every resource it names lies in subscription `sub`.
    pub fn within(&self, sub: &str) -> bool {
        match self {
            Continuation::GroupDelete { operation }
            | Continuation::WorkspaceUpdate { operation }
            | Continuation::WorkspaceSyncKeys { operation }
            | Continuation::WorkspaceDiagnose { operation } => {
                within_subscription(&operation.resource, sub)
            }
            Continuation::WorkspaceCreate(rest) => rest.within(sub),
            Continuation::WorkspaceDelete(rest) => rest.within(sub),
        }
    }
}

/// Runs the command up to ARM's acceptance of its long-running step.
pub async fn begin<A: ArmApi>(arm: &A, sub: &str, request: LongRequest) -> Result<Continuation> {
    Ok(match request {
        LongRequest::GroupDelete(p) => Continuation::GroupDelete {
            operation: groups::delete_begin(arm, sub, p).await?,
        },
        LongRequest::WorkspaceCreate(p) => Continuation::WorkspaceCreate(Box::new(
            create::workspace_create_begin(arm, sub, *p).await?,
        )),
        LongRequest::WorkspaceUpdate(p) => Continuation::WorkspaceUpdate {
            operation: update::workspace_update_begin(arm, sub, *p).await?,
        },
        LongRequest::WorkspaceDelete(p) => Continuation::WorkspaceDelete(Box::new(
            delete::workspace_delete_begin(arm, sub, p).await?,
        )),
        LongRequest::WorkspaceSyncKeys(p) => Continuation::WorkspaceSyncKeys {
            operation: keys::workspace_sync_keys_begin(arm, sub, p).await?,
        },
        LongRequest::WorkspaceDiagnose(p) => Continuation::WorkspaceDiagnose {
            operation: diagnose::workspace_diagnose_begin(arm, sub, p).await?,
        },
    })
}

/// Finishes the command: the same ARM JSON the plain command returns (`Null` for the
/// commands that return nothing).
/// See [`super::Ops::accept`].
pub async fn accept<A: ArmApi>(arm: &A, c: Continuation) -> Result<Continuation> {
    Ok(match c {
        Continuation::WorkspaceCreate(rest) => Continuation::WorkspaceCreate(Box::new(
            create::workspace_create_accept(arm, *rest).await?,
        )),
        other => other,
    })
}

pub async fn finish<A: ArmApi>(arm: &A, c: Continuation) -> Result<Value> {
    Ok(match c {
        Continuation::GroupDelete { operation } | Continuation::WorkspaceSyncKeys { operation } => {
            arm.wait_for(&operation).await?;
            Value::Null
        }
        Continuation::WorkspaceCreate(rest) => create::workspace_create_finish(arm, *rest).await?,
        Continuation::WorkspaceUpdate { operation } => arm.wait_for(&operation).await?,
        Continuation::WorkspaceDelete(rest) => {
            delete::workspace_delete_finish(arm, *rest).await?;
            Value::Null
        }
        Continuation::WorkspaceDiagnose { operation } => match arm.wait_for(&operation).await? {
            Value::Null => Value::Object(Map::new()),
            v => v,
        },
    })
}

/// The scheme, host and port of an endpoint URL, as tokens name it (`https://host:443`).
pub fn endpoint_origin(endpoint: &str) -> Result<String> {
    let url = Url::parse(endpoint)
        .map_err(|e| Error::validation(format!("invalid endpoint '{endpoint}': {e}")))?;
    let host = url
        .host_str()
        .ok_or_else(|| Error::validation(format!("endpoint '{endpoint}' has no host")))?;
    let port = url
        .port_or_known_default()
        .ok_or_else(|| Error::validation(format!("endpoint '{endpoint}' has no port")))?;
    Ok(format!(
        "{}://{}:{port}",
        url.scheme(),
        host.to_ascii_lowercase()
    ))
}

/// Everything another process needs to finish a command begun here.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContinuationToken {
    /// [`TOKEN_VERSION`].
    pub v: u32,
    /// [`endpoint_origin`] of the ARM endpoint the operation runs on.
    pub endpoint: String,
    pub subscription: String,
    /// The command (`workspace.create` …) and the output format its result is shaped in.
    pub op: String,
    pub output: String,
    pub state: Continuation,
}

impl ContinuationToken {
    /// The opaque string.
    pub fn encode(&self) -> String {
        let json = serde_json::to_vec(self).expect("a continuation serialises");
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json)
    }

    /// Reads `token` for a client of `endpoint` and `subscription`; a token of another
    /// endpoint or subscription, of another format version, or not a token at all is a
    /// validation error (nothing is sent anywhere).
    pub fn decode(token: &str, endpoint: &str, subscription: &str) -> Result<Self> {
        let not_a_token =
            |why: String| Error::validation(format!("not an azml continuation token: {why}"));
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(token.trim().trim_end_matches('='))
            .map_err(|e| not_a_token(e.to_string()))?;
        let raw: Value = serde_json::from_slice(&bytes).map_err(|e| not_a_token(e.to_string()))?;
        match raw.get("v").and_then(Value::as_u64) {
            Some(v) if v == u64::from(TOKEN_VERSION) => {}
            Some(v) => {
                return Err(Error::validation(format!(
                    "this continuation token has format version {v}; this azml reads version {TOKEN_VERSION}"
                )))
            }
            None => return Err(not_a_token("no version".into())),
        }
        let t: ContinuationToken =
            serde_json::from_value(raw).map_err(|e| not_a_token(e.to_string()))?;
        let ours = endpoint_origin(endpoint)?;
        if t.endpoint != ours {
            return Err(Error::validation(format!(
                "this continuation token is for the ARM endpoint {}, not this client's {ours}: resume it with a client of that endpoint",
                t.endpoint
            )));
        }
        if !t.subscription.eq_ignore_ascii_case(subscription) {
            return Err(Error::validation(format!(
                "this continuation token is for subscription '{}', not this client's '{subscription}'",
                t.subscription
            )));
        }
        // Tokens are not signed: a tampered one must not steer a write or a delete (the
        // plan of a creation, the dependents of a deletion) outside the subscription.
        if !t.state.within(subscription) {
            return Err(not_a_token(format!(
                "it names resources outside subscription '{subscription}'"
            )));
        }
        Ok(t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::arm::{LroPattern, LroVerb};
    use crate::error::ErrorKind;

    const SUB: &str = "00000000-0000-0000-0000-00000000000a";

    fn token() -> ContinuationToken {
        let mut operation = LroState::finished(
            LroVerb::Delete,
            format!("/subscriptions/{SUB}/resourcegroups/rg?api-version=2025-04-01"),
            Value::Null,
        );
        operation.pattern = LroPattern::Location {
            url: "/subscriptions/x/operationresults/abc?api-version=2025-04-01".into(),
        };
        ContinuationToken {
            v: TOKEN_VERSION,
            endpoint: endpoint_origin("https://management.azure.com").unwrap(),
            subscription: SUB.into(),
            op: "group.delete".into(),
            output: "v1".into(),
            state: Continuation::GroupDelete { operation },
        }
    }

    #[test]
    fn a_token_round_trips_without_what_only_this_process_knows() {
        let t = token();
        let s = t.encode();
        assert!(s
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'));
        let back = ContinuationToken::decode(&s, "https://management.azure.com/", SUB).unwrap();
        let Continuation::GroupDelete { operation } = &back.state else {
            panic!("{back:?}")
        };
        assert!(operation.ready_value().is_none());
        let Continuation::GroupDelete { operation: orig } = &t.state else {
            unreachable!()
        };
        assert_eq!(operation, &orig.detached());
        assert_eq!(back.endpoint, "https://management.azure.com:443");
        // The port may be spelled out; the subscription's case does not matter.
        ContinuationToken::decode(&s, "https://MANAGEMENT.azure.com:443", &SUB.to_uppercase())
            .unwrap();
    }

    #[test]
    fn a_token_naming_resources_outside_its_subscription_is_refused() {
        let other = "00000000-0000-0000-0000-00000000000b";
        for resource in [
            format!("/subscriptions/{other}/resourcegroups/rg?api-version=2025-04-01"),
            format!("/subscriptions/{SUB}/../{other}/resourcegroups/rg"),
            format!("/subscriptions/{SUB}/%2e%2e/{other}/resourcegroups/rg"),
            format!("/subscriptions/{SUB}%2f..%2f{other}/resourcegroups/rg"),
            "/providers/Microsoft.Authorization/roleAssignments".to_string(),
        ] {
            let mut t = token();
            let Continuation::GroupDelete { operation } = &mut t.state else {
                unreachable!()
            };
            operation.resource = resource.clone();
            let e = ContinuationToken::decode(&t.encode(), "https://management.azure.com", SUB)
                .unwrap_err();
            assert_eq!(e.kind, ErrorKind::Validation, "{resource}");
            assert!(e.message.contains("outside subscription"), "{}", e.message);
        }
    }

    #[test]
    fn a_token_for_another_endpoint_subscription_or_version_is_refused() {
        let s = token().encode();
        for other in [
            "https://management.chinacloudapi.cn",
            "http://management.azure.com",
            "https://management.azure.com:8443",
            "http://127.0.0.1:8080",
        ] {
            let e = ContinuationToken::decode(&s, other, SUB).unwrap_err();
            assert_eq!(e.kind, ErrorKind::Validation, "{other}");
            assert!(
                e.message.contains("https://management.azure.com:443"),
                "{}",
                e.message
            );
        }
        let e = ContinuationToken::decode(&s, "https://management.azure.com", "other").unwrap_err();
        assert!(e.message.contains("subscription"), "{}", e.message);
        let mut newer = token();
        newer.v = TOKEN_VERSION + 1;
        let e = ContinuationToken::decode(&newer.encode(), "https://management.azure.com", SUB)
            .unwrap_err();
        assert!(e.message.contains("format version"), "{}", e.message);
        for garbage in ["", "%%%", "bm90IGpzb24", "e30"] {
            let e = ContinuationToken::decode(garbage, "https://management.azure.com", SUB)
                .unwrap_err();
            assert_eq!(e.kind, ErrorKind::Validation, "{garbage}");
        }
    }
}
