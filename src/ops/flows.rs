//! The commands, written against [`ArmApi`] so they can be tested without a server.

use futures::future::join_all;
use serde_json::Value;

use super::bodies::{self, Links};
use super::client::ArmApi;
use super::ids::{self, ArmId, Kind};
use super::validate::{self, GivenDependents, DEFAULT_SUBNET};
use super::{
    GroupCreate, GroupDelete, WorkspaceCreate, WorkspaceDelete, WorkspaceList, WorkspaceRef,
    WorkspaceUpdate,
};
use crate::arm::api_versions;
use crate::error::{Error, ErrorKind, Result};

fn subscription(sub: &str) -> Result<()> {
    if sub.trim().is_empty() {
        return Err(Error::validation(
            "no subscription id: pass subscription_id or set AZURE_SUBSCRIPTION_ID",
        ));
    }
    Ok(())
}

fn not_found(e: &Error) -> bool {
    e.kind == ErrorKind::NotFound
}

/// The same error with more said about it (kind, status, code and request id kept).
fn with_message(mut e: Error, message: String) -> Error {
    e.message = message;
    e
}

pub async fn group_create<A: ArmApi>(arm: &A, sub: &str, p: GroupCreate) -> Result<Value> {
    subscription(sub)?;
    validate::group_create(&p)?;
    let body = bodies::group(&p.location, p.tags.as_ref(), p.managed_by.as_deref());
    arm.put(
        &ids::group_path(sub, &p.name),
        api_versions::RESOURCE_GROUPS,
        &body,
    )
    .await
}

pub async fn group_show<A: ArmApi>(arm: &A, sub: &str, name: &str) -> Result<Value> {
    subscription(sub)?;
    validate::group_name(name)?;
    arm.get(&ids::group_path(sub, name), api_versions::RESOURCE_GROUPS)
        .await
}

pub async fn group_list<A: ArmApi>(arm: &A, sub: &str) -> Result<Vec<Value>> {
    subscription(sub)?;
    arm.list(&ids::groups_path(sub), api_versions::RESOURCE_GROUPS)
        .await
}

pub async fn group_exists<A: ArmApi>(arm: &A, sub: &str, name: &str) -> Result<bool> {
    subscription(sub)?;
    validate::group_name(name)?;
    arm.exists(&ids::group_path(sub, name), api_versions::RESOURCE_GROUPS)
        .await
}

pub async fn group_delete<A: ArmApi>(arm: &A, sub: &str, p: GroupDelete) -> Result<()> {
    subscription(sub)?;
    validate::group_name(&p.name)?;
    arm.delete(
        &ids::group_path(sub, &p.name),
        api_versions::RESOURCE_GROUPS,
        p.no_wait,
    )
    .await
}

pub async fn workspace_list<A: ArmApi>(arm: &A, sub: &str, p: WorkspaceList) -> Result<Vec<Value>> {
    if let Some(g) = &p.resource_group {
        validate::group_name(g)?;
    }
    let subs: Vec<String> = match &p.subscription_ids {
        None => {
            subscription(sub)?;
            vec![sub.to_string()]
        }
        Some(given) => validate::subscription_ids(given)?,
    };
    let path_for = |s: &str| match &p.resource_group {
        Some(g) => ids::resources_path(s, g, Kind::Workspace),
        None => ids::subscription_workspaces_path(s),
    };
    // Concurrently, every page of each; joined in the order the subscriptions were given.
    let results = join_all(subs.iter().map(|s| {
        let path = path_for(s);
        async move { (s, arm.list(&path, api_versions::WORKSPACES).await) }
    }))
    .await;
    let several = subs.len() > 1;
    let mut all = Vec::new();
    for (s, r) in results {
        match r {
            Ok(items) => all.extend(items),
            Err(e) if several => {
                let m = format!(
                    "listing the workspaces of subscription '{s}': {}",
                    e.message
                );
                return Err(with_message(e, m));
            }
            Err(e) => return Err(e),
        }
    }
    Ok(all)
}

pub async fn workspace_show<A: ArmApi>(arm: &A, sub: &str, p: WorkspaceRef) -> Result<Value> {
    subscription(sub)?;
    validate::workspace_ref(&p)?;
    arm.get(
        &ids::workspace_path(sub, &p.resource_group, &p.name),
        api_versions::WORKSPACES,
    )
    .await
}

pub async fn workspace_update<A: ArmApi>(arm: &A, sub: &str, p: WorkspaceUpdate) -> Result<Value> {
    subscription(sub)?;
    validate::workspace_update(&p)?;
    let path = ids::workspace_path(sub, &p.resource_group, &p.name);
    let Some(mut body) = bodies::workspace_patch(&p) else {
        // Nothing to change: what is there now, without a write.
        return arm.get(&path, api_versions::WORKSPACES).await;
    };
    if let Some(uai) = &p.primary_user_assigned_identity {
        // The primary identity must be attached: read what is attached now, and check the
        // identity exists, before writing.
        let uai_path = ArmId::parse(uai).map_err(Error::validation)?.path();
        let (current, found) = futures::join!(
            arm.get(&path, api_versions::WORKSPACES),
            arm.get(&uai_path, ids::MANAGED_IDENTITIES)
        );
        let current = current?;
        if let Err(e) = found {
            if not_found(&e) {
                let m = format!(
                    "primary_user_assigned_identity '{uai}' not found; nothing was changed: create the identity first or fix the id"
                );
                return Err(with_message(e, m));
            }
            return Err(e);
        }
        let identity = current.get("identity").cloned().unwrap_or(Value::Null);
        body["identity"] = bodies::identity_with(&identity, uai);
    }
    arm.patch(&path, api_versions::WORKSPACES, &body).await
}

/// A dependent this call created, for the rollback.
#[derive(Debug, Clone)]
struct Created {
    kind: Kind,
    name: String,
    path: String,
}

impl Created {
    fn describe(&self) -> String {
        format!("{} '{}'", self.kind.label(), self.name)
    }
}

/// Delete what this call created, concurrently, best effort; says what happened. With
/// `keep`, deletes nothing and says what was kept.
async fn roll_back<A: ArmApi>(arm: &A, created: &[Created], keep: bool) -> String {
    if created.is_empty() {
        return "no dependent had been created by this call".into();
    }
    if keep {
        let kept: Vec<String> = created.iter().map(Created::describe).collect();
        return format!(
            "kept the dependents this call had created (keep_dependents_on_failure=True): {}",
            kept.join(", ")
        );
    }
    let results = join_all(
        created
            .iter()
            .map(|c| async move { (c, arm.delete(&c.path, c.kind.api_version(), false).await) }),
    )
    .await;
    let mut removed = Vec::new();
    let mut kept = Vec::new();
    for (c, r) in results {
        match r {
            Ok(()) => removed.push(c.describe()),
            Err(e) => kept.push(format!("{} ({e})", c.describe())),
        }
    }
    let mut out = String::new();
    if !removed.is_empty() {
        out.push_str(&format!(
            "removed the dependents this call had created: {} (keep_dependents_on_failure=True keeps them)",
            removed.join(", ")
        ));
    }
    if !kept.is_empty() {
        if !out.is_empty() {
            out.push_str("; ");
        }
        out.push_str(&format!(
            "could not remove (delete them by hand): {}",
            kept.join(", ")
        ));
    }
    out
}

/// The tenant for a new key vault: the one given, else the subscription's.
async fn tenant_of<A: ArmApi>(arm: &A, sub: &str, given: Option<&str>) -> Result<String> {
    if let Some(t) = given {
        return Ok(t.to_string());
    }
    let body = arm
        .get(&ids::subscription_path(sub), ids::SUBSCRIPTIONS)
        .await
        .map_err(|e| {
            Error::validation(format!(
                "could not look up the tenant of subscription '{sub}' for the new key vault ({e}): pass tenant_id, or keyvault with an existing vault's id"
            ))
        })?;
    body.get("tenantId")
        .and_then(Value::as_str)
        .filter(|t| !t.is_empty())
        .map(str::to_string)
        .ok_or_else(|| {
            Error::validation(format!(
                "subscription '{sub}' did not say which tenant it belongs to: pass tenant_id, or keyvault with an existing vault's id"
            ))
        })
}

/// Check that every resource given by id exists (concurrently); one error naming all the
/// missing ones.
async fn check_given<A: ArmApi>(
    arm: &A,
    checks: Vec<(String, String, &'static str)>,
) -> Result<()> {
    let results = join_all(
        checks
            .iter()
            .map(|(what, path, api)| async move { (what, arm.get(path, api).await) }),
    )
    .await;
    let mut missing = Vec::new();
    let mut first_404: Option<Error> = None;
    for (what, r) in results {
        match r {
            Ok(_) => {}
            Err(e) if not_found(&e) => {
                missing.push(what.clone());
                first_404.get_or_insert(e);
            }
            Err(e) => {
                return Err(with_message(
                    e.clone(),
                    format!("checking {what}: {}", e.message),
                ))
            }
        }
    }
    match first_404 {
        None => Ok(()),
        // The service's 404 (status, code, request id) with a message naming all of them.
        Some(e) => Err(with_message(
            e,
            format!(
                "{} not found; nothing was created: fix the id(s), or leave them out to have new ones created",
                missing.join(", ")
            ),
        )),
    }
}

/// Where a workspace's private endpoint goes.
struct EndpointPlan {
    name: String,
    group: String,
    /// The subnet's id as the service spells it.
    subnet_id: String,
    /// The virtual network's region.
    location: Option<String>,
}

/// Reads the virtual network (which lists its subnets) to check that the subnet exists and
/// to learn the region the endpoint must be created in.
async fn endpoint_subnet<A: ArmApi>(
    arm: &A,
    sub: &str,
    pe_name: &str,
    group: &str,
    vnet: &str,
    subnet: &str,
) -> Result<EndpointPlan> {
    let what = format!("subnet '{subnet}' of virtual network '{vnet}' in resource group '{group}'");
    let advice = "nothing was created: create the virtual network and its subnet first, or fix pe_vnet_name, pe_subnet_name or pe_resource_group";
    let body = arm
        .get(
            &ids::resource_path(sub, group, Kind::VirtualNetwork, vnet),
            api_versions::NETWORK,
        )
        .await
        .map_err(|e| {
            let m = if e.code.as_deref() == Some("ResourceGroupNotFound") {
                format!("{what} not found (no such resource group); {advice}")
            } else if not_found(&e) {
                format!("{what} not found (no such virtual network); {advice}")
            } else {
                format!("checking {what}: {}", e.message)
            };
            with_message(e, m)
        })?;
    let subnets = body
        .pointer("/properties/subnets")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    let Some(found) = subnets.iter().find(|s| {
        s.get("name")
            .and_then(Value::as_str)
            .is_some_and(|n| n.eq_ignore_ascii_case(subnet))
    }) else {
        let names: Vec<&str> = subnets
            .iter()
            .filter_map(|s| s.get("name").and_then(Value::as_str))
            .collect();
        let has = if names.is_empty() {
            "it has no subnets".to_string()
        } else {
            format!("its subnets are {}", names.join(", "))
        };
        return Err(Error::new(
            ErrorKind::NotFound,
            format!("{what} not found ({has}); {advice}"),
        ));
    };
    let (_, plain_id) = ids::subnet_path_and_id(sub, group, vnet, subnet);
    Ok(EndpointPlan {
        name: pe_name.to_string(),
        group: group.to_string(),
        subnet_id: found
            .get("id")
            .and_then(Value::as_str)
            .map(str::to_string)
            .unwrap_or(plain_id),
        location: body
            .get("location")
            .and_then(Value::as_str)
            .map(str::to_string),
    })
}

pub async fn workspace_create<A: ArmApi>(arm: &A, sub: &str, p: WorkspaceCreate) -> Result<Value> {
    subscription(sub)?;
    let given: GivenDependents = validate::workspace_create(&p)?;
    let rg = p.resource_group.as_str();

    // 1. The group; its location is the default.
    let group = match arm
        .get(&ids::group_path(sub, rg), api_versions::RESOURCE_GROUPS)
        .await
    {
        Ok(g) => Some(g),
        Err(e) if not_found(&e) && p.create_resource_group => None,
        Err(e) if not_found(&e) => {
            let m = format!(
                "resource group '{rg}' could not be found: create it first (az group create) or pass create_resource_group=True with a location"
            );
            return Err(with_message(e, m));
        }
        Err(e) => return Err(e),
    };
    let location = match (&p.location, &group) {
        (Some(l), _) => l.clone(),
        (None, Some(g)) => g
            .get("location")
            .and_then(Value::as_str)
            .map(str::to_string)
            .ok_or_else(|| {
                Error::validation(format!(
                    "resource group '{rg}' has no location to default to: pass location"
                ))
            })?,
        (None, None) => {
            return Err(Error::validation(format!(
                "resource group '{rg}' does not exist: pass location so that it can be created"
            )))
        }
    };

    // 2. The workspace itself.
    let ws_path = ids::workspace_path(sub, rg, &p.name);
    if group.is_some() {
        match arm.get(&ws_path, api_versions::WORKSPACES).await {
            Ok(existing) if p.exist_ok => return Ok(existing),
            Ok(_) => {
                return Err(Error::new(
                    ErrorKind::Exists,
                    format!(
                        "workspace '{}' already exists in resource group '{rg}': pass exist_ok=True to get it, or choose another name",
                        p.name
                    ),
                ))
            }
            Err(e) if not_found(&e) => {}
            Err(e) => return Err(e),
        }
    }

    // 3. Everything given by id must exist before anything is created.
    let mut checks: Vec<(String, String, &'static str)> = Vec::new();
    let mut add_check = |option: &str, id: &Option<ArmId>, kind: Kind, raw: &Option<String>| {
        if let (Some(parsed), Some(raw)) = (id, raw) {
            checks.push((
                format!("{option} '{raw}'"),
                parsed.path(),
                kind.api_version(),
            ));
        }
    };
    add_check(
        "storage_account",
        &given.storage_account,
        Kind::StorageAccount,
        &p.storage_account,
    );
    add_check("keyvault", &given.keyvault, Kind::KeyVault, &p.keyvault);
    add_check(
        "application_insights",
        &given.application_insights,
        Kind::AppInsights,
        &p.application_insights,
    );
    add_check(
        "container_registry",
        &given.container_registry,
        Kind::ContainerRegistry,
        &p.container_registry,
    );
    add_check(
        "cmk_keyvault",
        &given.cmk_keyvault,
        Kind::KeyVault,
        &p.cmk_keyvault,
    );
    add_check(
        "primary_user_assigned_identity",
        &given.primary_user_assigned_identity,
        Kind::UserAssignedIdentity,
        &p.primary_user_assigned_identity,
    );
    // The endpoint's subnet, before anything is created.
    let pe = match &p.pe_name {
        None => None,
        Some(pe_name) => {
            let pe_rg = p.pe_resource_group.as_deref().unwrap_or(rg);
            let vnet = p.pe_vnet_name.as_deref().unwrap_or_default();
            let subnet = p.pe_subnet_name.as_deref().unwrap_or(DEFAULT_SUBNET);
            Some(endpoint_subnet(arm, sub, pe_name, pe_rg, vnet, subnet).await?)
        }
    };
    check_given(arm, checks).await?;
    let tenant = if given.keyvault.is_none() {
        Some(tenant_of(arm, sub, p.tenant_id.as_deref()).await?)
    } else {
        None
    };

    // 4. The group, if asked for. It is kept if a later step fails (it may be wanted
    // anyway, and deleting a group is heavy-handed); the error says so.
    let kept_group = if group.is_none() {
        format!("; resource group '{rg}', created by this call, was kept")
    } else {
        String::new()
    };
    if group.is_none() {
        let body = bodies::group(&location, None, None);
        arm.put(
            &ids::group_path(sub, rg),
            api_versions::RESOURCE_GROUPS,
            &body,
        )
        .await
        .map_err(|e| {
            let m = format!("creating resource group '{rg}': {}", e.message);
            with_message(e, m)
        })?;
    }

    // 5. The missing dependents, concurrently.
    let mut to_create: Vec<(Kind, String, Value)> = Vec::new();
    if given.storage_account.is_none() {
        to_create.push((
            Kind::StorageAccount,
            bodies::dependent_name(&p.name, Kind::StorageAccount, &bodies::random_hex()),
            bodies::storage_account(&location),
        ));
    }
    if let Some(tenant) = &tenant {
        to_create.push((
            Kind::KeyVault,
            bodies::dependent_name(&p.name, Kind::KeyVault, &bodies::random_hex()),
            bodies::key_vault(&location, tenant),
        ));
    }
    if given.application_insights.is_none() {
        to_create.push((
            Kind::AppInsights,
            bodies::dependent_name(&p.name, Kind::AppInsights, &bodies::random_hex()),
            bodies::app_insights(&location),
        ));
    }
    let results = join_all(to_create.into_iter().map(|(kind, name, body)| async move {
        let path = ids::resource_path(sub, rg, kind, &name);
        let r = arm.put(&path, kind.api_version(), &body).await;
        (Created { kind, name, path }, r)
    }))
    .await;
    let mut created = Vec::new();
    let mut created_ids: Vec<(Kind, String)> = Vec::new();
    let mut first_error: Option<(Created, Error)> = None;
    for (c, r) in results {
        match r {
            Ok(body) => {
                let id = body
                    .get("id")
                    .and_then(Value::as_str)
                    .map(str::to_string)
                    .unwrap_or_else(|| ids::resource_id(sub, rg, c.kind, &c.name));
                created_ids.push((c.kind, id));
                created.push(c);
            }
            Err(e) => {
                if first_error.is_none() {
                    first_error = Some((c, e));
                }
            }
        }
    }
    if let Some((failed, e)) = first_error {
        let cleanup = roll_back(arm, &created, p.keep_dependents_on_failure).await;
        let m = format!(
            "creating {} for workspace '{}' failed: {}; {cleanup}{kept_group}",
            failed.describe(),
            p.name,
            e.message
        );
        return Err(with_message(e, m));
    }
    let id_for = |kind: Kind, given: &Option<String>| -> String {
        given.clone().unwrap_or_else(|| {
            created_ids
                .iter()
                .find(|(k, _)| *k == kind)
                .map(|(_, id)| id.clone())
                .expect("a missing dependent was created above")
        })
    };
    let links = Links {
        storage_account: id_for(Kind::StorageAccount, &p.storage_account),
        key_vault: id_for(Kind::KeyVault, &p.keyvault),
        application_insights: id_for(Kind::AppInsights, &p.application_insights),
        container_registry: p.container_registry.clone(),
    };

    // 6. The workspace; undo the dependents if it cannot be made.
    let body = bodies::workspace(&p, &location, &links, given.sku);
    let ws = match arm.put(&ws_path, api_versions::WORKSPACES, &body).await {
        Ok(ws) => ws,
        Err(e) => {
            let cleanup = roll_back(arm, &created, p.keep_dependents_on_failure).await;
            let m = format!(
                "creating workspace '{}' failed: {}; {cleanup}{kept_group}",
                p.name, e.message
            );
            return Err(with_message(e, m));
        }
    };

    // 7. The private endpoint, once the workspace exists to point it at.
    let Some(pe) = pe else {
        return Ok(ws);
    };
    let ws_id = ws
        .get("id")
        .and_then(Value::as_str)
        .map(str::to_string)
        .unwrap_or_else(|| ids::resource_id(sub, rg, Kind::Workspace, &p.name));
    // An endpoint lives in its network's region, which may not be the workspace's.
    let pe_location = pe.location.as_deref().unwrap_or(&location);
    let pe_body = bodies::private_endpoint(
        &pe.name,
        pe_location,
        &pe.subnet_id,
        &ws_id,
        p.pe_auto_approval,
    );
    // Waits for the endpoint's own long-running operation.
    arm.put(
        &ids::private_endpoint_path(sub, &pe.group, &pe.name),
        api_versions::NETWORK,
        &pe_body,
    )
    .await
    .map_err(|e| {
        let m = format!(
            "workspace '{}' was created, but its private endpoint '{}' could not be: {}",
            p.name, pe.name, e.message
        );
        with_message(e, m)
    })?;
    // The workspace now lists the endpoint connection.
    arm.get(&ws_path, api_versions::WORKSPACES).await
}

pub async fn workspace_delete<A: ArmApi>(arm: &A, sub: &str, p: WorkspaceDelete) -> Result<()> {
    subscription(sub)?;
    validate::workspace_delete(&p)?;
    let ws_path = ids::workspace_path(sub, &p.resource_group, &p.name);
    // The links must be read before the workspace goes.
    let linked = if p.all_resources {
        Some(arm.get(&ws_path, api_versions::WORKSPACES).await?)
    } else {
        None
    };
    let delete_path = if p.permanently_delete {
        format!("{ws_path}?forceToPurge=true")
    } else {
        ws_path
    };
    // Dependents can only go once the workspace is gone, so with all_resources the
    // workspace delete is waited for even under no_wait.
    arm.delete(
        &delete_path,
        api_versions::WORKSPACES,
        p.no_wait && !p.all_resources,
    )
    .await?;
    let Some(body) = linked else {
        return Ok(());
    };
    let props = body.get("properties");
    let mut targets = Vec::new();
    let mut skipped = Vec::new();
    for key in [
        "storageAccount",
        "keyVault",
        "applicationInsights",
        "containerRegistry",
    ] {
        let Some(id) = props
            .and_then(|p| p.get(key))
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
        else {
            continue;
        };
        match ArmId::parse(id)
            .ok()
            .and_then(|a| Kind::of(&a).map(|k| (a, k)))
        {
            Some((a, kind)) => targets.push((kind, a.name().to_string(), a.path())),
            None => skipped.push(format!("{key} '{id}'")),
        }
    }
    let results = join_all(targets.iter().map(|(kind, name, path)| async move {
        (
            kind,
            name,
            arm.delete(path, kind.api_version(), p.no_wait).await,
        )
    }))
    .await;
    let mut failed: Option<Error> = None;
    let mut problems = Vec::new();
    for (kind, name, r) in results {
        if let Err(e) = r {
            problems.push(format!("{} '{name}' ({e})", kind.label()));
            failed.get_or_insert(e);
        }
    }
    problems.extend(
        skipped
            .into_iter()
            .map(|s| format!("{s} (not a resource id azml knows)")),
    );
    if problems.is_empty() {
        return Ok(());
    }
    let m = format!(
        "workspace '{}' was deleted, but not all of its resources: {}",
        p.name,
        problems.join(", ")
    );
    Err(match failed {
        Some(e) => with_message(e, m),
        None => Error::new(ErrorKind::Http, m),
    })
}
