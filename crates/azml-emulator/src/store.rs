//! The emulator's state, in memory: one map per resource kind (keys lower-cased, original
//! casing kept in the records) and the long-running operations.
//!
//! Operations are applied lazily: each carries the time it completes, and every request first
//! applies the operations that are due (`advance`). No background task, so the state only
//! depends on the clock.

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

#[derive(Serialize, Deserialize)]
pub(crate) struct Group {
    /// The name with the casing given at creation.
    pub name: String,
    /// Normalized (`westus`).
    pub location: String,
    pub tags: Option<Value>,
    pub managed_by: Option<String>,
    /// The deletion operation while the group is being deleted.
    pub deleting: Option<String>,
}

/// A storage account, vault or App Insights component: its ARM body as served.
#[derive(Serialize, Deserialize)]
pub(crate) struct Tracked {
    /// Lower-cased resource group name.
    pub rg: String,
    pub body: Value,
    /// When a provisioning state other than `Succeeded` ends (Key Vault's `RegisteringDns`).
    pub ready_at: i64,
    /// Access keys (storage accounts).
    pub keys: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum WsAction {
    Create,
    Update,
    Delete { purge: bool },
}

#[derive(Serialize, Deserialize)]
pub(crate) struct Workspace {
    pub rg: String,
    pub body: Value,
    /// The operation that owns the workspace's provisioning state, if one is running.
    pub pending: Option<(String, WsAction)>,
    /// Secrets served by `listKeys`.
    pub notebook_keys: (String, String),
}

#[derive(Serialize, Deserialize)]
pub(crate) enum OpKind {
    GroupDelete {
        rg: String,
    },
    Workspace {
        key: String,
        action: WsAction,
    },
    Diagnose,
    ResyncKeys,
    /// A new storage account (key: lower-cased name) provisioning behind a `Location` poll.
    StorageCreate {
        key: String,
    },
    /// A `Microsoft.Network` write or delete; `resource` is the id it provisions.
    Network {
        resource: String,
    },
}

#[derive(Serialize, Deserialize)]
pub(crate) struct Operation {
    pub ready_at: i64,
    pub applied: bool,
    pub kind: OpKind,
    /// Set by a `fail_operation` fault: the operation ends `Failed` with this error.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure: Option<crate::faults::OpFailure>,
}

#[derive(Default, Serialize, Deserialize)]
#[serde(default)]
pub(crate) struct Store {
    /// Key: lower-cased group name.
    pub groups: IndexMap<String, Group>,
    /// Key: lower-cased account name (names are global).
    pub storage: IndexMap<String, Tracked>,
    /// Key: lower-cased vault name (names are global).
    pub vaults: IndexMap<String, Tracked>,
    /// Soft-deleted vaults; key: lower-cased vault name.
    pub deleted_vaults: IndexMap<String, Value>,
    /// Key: `rg/name`, lower-cased.
    pub components: IndexMap<String, Tracked>,
    /// Key: lower-cased registry name (names are global).
    pub registries: IndexMap<String, Tracked>,
    /// User-assigned managed identities; key: `rg/name`, lower-cased.
    pub identities: IndexMap<String, Tracked>,
    /// Log Analytics workspaces; key: `rg/name`, lower-cased.
    pub log_analytics: IndexMap<String, Tracked>,
    /// Key: `rg/name`, lower-cased.
    pub workspaces: IndexMap<String, Workspace>,
    /// Soft-deleted workspaces; key: `rg/name`, lower-cased.
    pub deleted_workspaces: IndexMap<String, Workspace>,
    /// Virtual networks, their subnets inline; key: `rg/name`, lower-cased.
    pub vnets: IndexMap<String, Tracked>,
    /// Private endpoints; key: `rg/name`, lower-cased.
    pub private_endpoints: IndexMap<String, Tracked>,
    pub ops: IndexMap<String, Operation>,
    /// Role assignments (bodies as served); key: lower-cased assignment name.
    pub role_assignments: IndexMap<String, Value>,
    /// Microsoft Graph users; key: lower-cased user principal name.
    pub users: IndexMap<String, Value>,
    /// Object id of the default service principal, kept across restarts with the state.
    pub principal_oid: String,
    /// The default principal's Owner assignment was made (once per state: removing it
    /// must stick across restarts).
    pub owner_seeded: bool,
    /// Resource-provider registration of the namespaces that are not simply `Registered`;
    /// key: lower-cased namespace.
    pub providers: IndexMap<String, Registration>,
    /// The access tokens' HMAC key, so that a token issued before a restart still validates
    /// after it (empty in files from before it was kept: a new key is drawn then).
    #[serde(with = "crate::serde_b64")]
    pub token_key: Vec<u8>,
    /// Service principals added at run time, with their secrets. Mirrors `Ctx::principals`,
    /// copied in by `Ctx::persist` (which owns the lock order).
    pub principals: Vec<crate::directory::ServicePrincipal>,
    /// The durable part of sign-in, copied in the same way. `None` in older files.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signin: Option<crate::signin_state::Durable>,
    /// The extra subscriptions' own state; key: lower-cased subscription id. In memory the
    /// served ones live in their own contexts and are put back here when the file is written;
    /// one not served this time stays here untouched, for a later start that serves it again.
    #[serde(skip_serializing_if = "IndexMap::is_empty")]
    pub subscriptions: IndexMap<String, Store>,
    /// Changed since the state file was last written.
    #[serde(skip)]
    pub dirty: bool,
}

/// Where a namespace's registration stands (`Registering` and `Unregistering` end at
/// `until`, read lazily like the operations).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Registration {
    pub state: RegState,
    pub until: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum RegState {
    Registered,
    Registering,
    Unregistering,
    /// After an `unregister`.
    Unregistered,
    /// Never registered (how the admin API and `--unregistered` leave a namespace).
    NotRegistered,
}

impl RegState {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            RegState::Registered => "Registered",
            RegState::Registering => "Registering",
            RegState::Unregistering => "Unregistering",
            RegState::Unregistered => "Unregistered",
            RegState::NotRegistered => "NotRegistered",
        }
    }
}

pub(crate) fn child_key(rg: &str, name: &str) -> String {
    format!("{}/{}", rg.to_lowercase(), name.to_lowercase())
}

impl Store {
    pub(crate) fn with_default_user() -> Self {
        let mut store = Store {
            principal_oid: crate::ids::new_guid(),
            ..Store::default()
        };
        store.add_user(crate::directory::DEFAULT_USER_UPN, "Emulator User");
        store
    }

    /// The state saved in `path`, or a fresh one when the file does not exist yet.
    pub(crate) fn load(path: Option<&std::path::Path>) -> std::io::Result<Self> {
        let Some(path) = path else {
            return Ok(Self::with_default_user());
        };
        match std::fs::read(path) {
            Ok(bytes) => {
                // Where, not what: serde's own message may quote a value, and the file
                // holds secrets.
                let mut store: Store = serde_json::from_slice(&bytes).map_err(|e| {
                    let what = match e.classify() {
                        serde_json::error::Category::Io => "unreadable",
                        serde_json::error::Category::Syntax => "not valid JSON",
                        serde_json::error::Category::Data => "not an emulator state",
                        serde_json::error::Category::Eof => "truncated",
                    };
                    std::io::Error::new(
                        std::io::ErrorKind::InvalidData,
                        format!(
                            "cannot read the emulator state {}: {what} (line {}, column {}); \
                             fix the file or remove it to start afresh",
                            path.display(),
                            e.line(),
                            e.column()
                        ),
                    )
                })?;
                if store.principal_oid.is_empty() {
                    store.principal_oid = crate::ids::new_guid();
                }
                Ok(store)
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let mut store = Self::with_default_user();
                store.dirty = true;
                Ok(store)
            }
            Err(e) => Err(e),
        }
    }

    /// Writes the state, with the served extra subscriptions' (`extra`, by id), to `path` if
    /// any of it changed.
    pub(crate) fn save_if_dirty(
        &mut self,
        path: &std::path::Path,
        extra: &mut [(&str, &mut Store)],
    ) -> std::io::Result<()> {
        if !self.dirty && !extra.iter().any(|(_, s)| s.dirty) {
            return Ok(());
        }
        let mut doc = serde_json::to_value(&*self).map_err(std::io::Error::other)?;
        for (id, store) in extra.iter() {
            doc["subscriptions"][id.to_lowercase()] =
                serde_json::to_value(&**store).map_err(std::io::Error::other)?;
        }
        let bytes = serde_json::to_vec(&doc).map_err(std::io::Error::other)?;
        write_private(path, &bytes)?;
        self.dirty = false;
        for (_, store) in extra.iter_mut() {
            store.dirty = false;
        }
        Ok(())
    }

    /// Adds a Graph user (or returns the existing one's object id).
    pub(crate) fn add_user(&mut self, upn: &str, display_name: &str) -> String {
        let key = upn.to_lowercase();
        if let Some(id) = self.users.get(&key).and_then(|u| u["id"].as_str()) {
            return id.to_string();
        }
        let id = crate::ids::new_guid();
        self.dirty = true;
        self.users
            .insert(key, crate::directory::user_body(&id, upn, display_name));
        id
    }

    /// A namespace's registration state at `now` (every namespace starts `Registered`).
    pub(crate) fn registration(&self, ns: &str, now: i64) -> RegState {
        match self.providers.get(&ns.to_lowercase()) {
            None => RegState::Registered,
            Some(r) => match r.state {
                RegState::Registering if now >= r.until => RegState::Registered,
                RegState::Unregistering if now >= r.until => RegState::Unregistered,
                s => s,
            },
        }
    }

    /// Moves a namespace to `state`; a transition (`Registering`, `Unregistering`) ends
    /// at `until`.
    pub(crate) fn set_registration(&mut self, ns: &str, state: RegState, until: i64) {
        self.dirty = true;
        if state == RegState::Registered {
            self.providers.shift_remove(&ns.to_lowercase());
        } else {
            self.providers
                .insert(ns.to_lowercase(), Registration { state, until });
        }
    }

    pub(crate) fn add_op(&mut self, id: String, ready_at: i64, kind: OpKind) {
        self.ops.insert(
            id,
            Operation {
                ready_at,
                applied: false,
                kind,
                failure: crate::faults::take_op_failure(),
            },
        );
    }
}

/// Writes `bytes` to `path` through a temporary file renamed over it, so that a crash never
/// leaves half a file. The file holds client secrets, the token keys and refresh-token hashes
/// (it is the emulator's own database, like Azurite's): owner-only on Unix (0600).
fn write_private(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let tmp = path.with_extension("tmp");
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(&tmp)?;
    // `mode` applies only to a file it creates: a temporary file left by a crash keeps its own.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    }
    file.write_all(bytes)?;
    file.sync_all()?;
    drop(file);
    std::fs::rename(&tmp, path)
}

pub(crate) fn soft_delete_enabled(vault_body: &Value) -> bool {
    vault_body["properties"]["enableSoftDelete"] != json!(false)
}

/// The `deletedVaults` body ARM serves for a soft-deleted vault.
pub(crate) fn deleted_vault_body(vault: &Value, now: i64) -> Value {
    let name = vault["name"].as_str().unwrap_or_default();
    let location = vault["location"].as_str().unwrap_or_default();
    let id = vault["id"].as_str().unwrap_or_default();
    let sub = id.split('/').nth(2).unwrap_or_default();
    let days = vault["properties"]["softDeleteRetentionInDays"]
        .as_i64()
        .unwrap_or(90);
    json!({
        "id": format!("/subscriptions/{sub}/providers/Microsoft.KeyVault/locations/{location}/deletedVaults/{name}"),
        "name": name,
        "type": "Microsoft.KeyVault/deletedVaults",
        "properties": {
            "vaultId": id,
            "location": location,
            "deletionDate": crate::timestamps::iso(now),
            "scheduledPurgeDate": crate::timestamps::iso(now + days * 86_400_000),
            "tags": vault.get("tags").cloned().unwrap_or(json!({})),
            "purgeProtectionEnabled": vault["properties"]["enablePurgeProtection"] == json!(true),
        }
    })
}
