//! Applying the long-running operations that are due: what each one changes in the store
//! when it completes or fails, a resource group's deletion with everything in it, and the
//! private links that follow a deleted workspace or group.

use serde_json::json;

use crate::private_links;
use crate::store::{deleted_vault_body, soft_delete_enabled, OpKind, Store, Workspace, WsAction};

impl Store {
    /// Apply every operation due at `now`, oldest deadline first.
    pub(crate) fn advance(&mut self, now: i64) {
        let mut due: Vec<(i64, String)> = self
            .ops
            .iter()
            .filter(|(_, op)| !op.applied && op.ready_at <= now)
            .map(|(id, op)| (op.ready_at, id.clone()))
            .collect();
        if due.is_empty() {
            return;
        }
        due.sort();
        for (_, id) in due {
            let Some(op) = self.ops.get_mut(&id) else {
                continue;
            };
            op.applied = true;
            self.dirty = true;
            if op.failure.is_some() {
                match &op.kind {
                    OpKind::GroupDelete { rg } => {
                        let rg = rg.clone();
                        if let Some(g) = self.groups.get_mut(&rg) {
                            g.deleting = None;
                        }
                    }
                    OpKind::Workspace { key, .. } => {
                        let key = key.clone();
                        self.fail_workspace_op(&id, &key);
                    }
                    OpKind::StorageCreate { key } => {
                        let key = key.clone();
                        self.storage.shift_remove(&key);
                    }
                    OpKind::Network { resource } => {
                        let resource = resource.clone();
                        private_links::finish(self, &resource, true);
                    }
                    OpKind::Diagnose | OpKind::ResyncKeys => {}
                }
                continue;
            }
            match &op.kind {
                OpKind::GroupDelete { rg } => {
                    let rg = rg.clone();
                    self.delete_group_now(&rg, now);
                }
                OpKind::Workspace { key, action } => {
                    let (key, action) = (key.clone(), *action);
                    self.finish_workspace_op(&id, &key, action);
                }
                OpKind::Network { resource } => {
                    let resource = resource.clone();
                    private_links::finish(self, &resource, false);
                }
                OpKind::Diagnose | OpKind::ResyncKeys | OpKind::StorageCreate { .. } => {}
            }
        }
    }

    fn delete_group_now(&mut self, rg: &str, now: i64) {
        self.groups.shift_remove(rg);
        private_links::group_gone(self, rg);
        self.storage.retain(|_, r| r.rg != rg);
        self.components.retain(|_, r| r.rg != rg);
        self.registries.retain(|_, r| r.rg != rg);
        self.identities.retain(|_, r| r.rg != rg);
        self.log_analytics.retain(|_, r| r.rg != rg);
        self.workspaces.retain(|_, w| w.rg != rg);
        self.deleted_workspaces.retain(|_, w| w.rg != rg);
        self.role_assignments.retain(|_, a| {
            let scope = a["properties"]["scope"].as_str().unwrap_or_default();
            let parts: Vec<&str> = scope.split('/').filter(|p| !p.is_empty()).collect();
            !(parts.len() >= 4
                && parts[2].eq_ignore_ascii_case("resourcegroups")
                && parts[3].to_lowercase() == rg)
        });
        let gone: Vec<String> = self
            .vaults
            .iter()
            .filter(|(_, v)| v.rg == rg)
            .map(|(k, _)| k.clone())
            .collect();
        for key in gone {
            if let Some(vault) = self.vaults.shift_remove(&key) {
                if soft_delete_enabled(&vault.body) {
                    self.deleted_vaults
                        .insert(key, deleted_vault_body(&vault.body, now));
                }
            }
        }
    }

    /// A failed operation leaves the workspace `Failed` (as the service does after a failed
    /// create or update; a failed delete leaves it in place too).
    fn fail_workspace_op(&mut self, op_id: &str, key: &str) {
        for map in [&mut self.workspaces, &mut self.deleted_workspaces] {
            if let Some(ws) = map.get_mut(key) {
                if ws.pending.as_ref().map(|(id, _)| id.as_str()) == Some(op_id) {
                    ws.pending = None;
                    ws.body["properties"]["provisioningState"] = json!("Failed");
                }
            }
        }
    }

    fn finish_workspace_op(&mut self, op_id: &str, key: &str, action: WsAction) {
        let owned = |ws: &Workspace| ws.pending.as_ref().map(|(id, _)| id.as_str()) == Some(op_id);
        match action {
            WsAction::Create | WsAction::Update => {
                if let Some(ws) = self.workspaces.get_mut(key) {
                    if owned(ws) {
                        ws.pending = None;
                        ws.body["properties"]["provisioningState"] = json!("Succeeded");
                    }
                }
            }
            WsAction::Delete { purge } => {
                if self.workspaces.get(key).is_some_and(owned) {
                    if let Some(mut ws) = self.workspaces.shift_remove(key) {
                        ws.pending = None;
                        let id = ws.body["id"].as_str().unwrap_or_default().to_string();
                        private_links::workspace_gone(self, &id);
                        if !purge {
                            ws.body["properties"]["provisioningState"] = json!("SoftDeleted");
                            self.deleted_workspaces.insert(key.to_string(), ws);
                        }
                    }
                } else if purge && self.deleted_workspaces.get(key).is_some_and(owned) {
                    self.deleted_workspaces.shift_remove(key);
                }
            }
        }
    }
}
