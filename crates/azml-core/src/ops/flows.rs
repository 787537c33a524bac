//! The commands, written against [`ArmApi`] so they can be tested without a server.

use futures::future::join_all;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::bodies::{self, Links};
use super::client::ArmApi;
use super::ids::{self, ArmId, Kind};
use super::validate::{self, GivenDependents, DEFAULT_SUBNET};
use super::{
    GroupCreate, GroupDelete, WorkspaceCreate, WorkspaceDelete, WorkspaceList, WorkspaceRef,
    WorkspaceUpdate,
};
use crate::arm::{api_versions, LroState, LroVerb};
use crate::error::{Error, ErrorKind, Result};

fn subscription(sub: &str) -> Result<()> {
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

/// The group deletion, accepted by ARM.
pub async fn group_delete_begin<A: ArmApi>(arm: &A, sub: &str, p: GroupDelete) -> Result<LroState> {
    subscription(sub)?;
    validate::group_name(&p.name)?;
    arm.begin(
        LroVerb::Delete,
        &ids::group_path(sub, &p.name),
        api_versions::RESOURCE_GROUPS,
        None,
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
    let state = workspace_update_begin(arm, sub, p).await?;
    arm.wait_for(&state).await
}

/// The PATCH, accepted by ARM (or, with nothing to change, the workspace as it is).
pub async fn workspace_update_begin<A: ArmApi>(
    arm: &A,
    sub: &str,
    p: WorkspaceUpdate,
) -> Result<LroState> {
    subscription(sub)?;
    validate::workspace_update(&p)?;
    let path = ids::workspace_path(sub, &p.resource_group, &p.name);
    let Some(mut body) = bodies::workspace_patch(&p) else {
        // Nothing to change: what is there now, without a write.
        let now = arm.get(&path, api_versions::WORKSPACES).await?;
        return Ok(LroState::finished(
            LroVerb::Put,
            format!("{path}?api-version={}", api_versions::WORKSPACES),
            now,
        ));
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
    arm.begin(LroVerb::Patch, &path, api_versions::WORKSPACES, Some(&body))
        .await
}

/// A dependent this call created, for the rollback.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Created {
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

/// What is left of a workspace creation once ARM has accepted the workspace PUT: waiting
/// for it (undoing the dependents this call created if it fails), then the private
/// endpoint, then the workspace as it ends up. Serialisable: another process can finish it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WorkspaceCreateRest {
    name: String,
    resource_group: String,
    /// The workspace PUT (or, for an existing workspace under `exist_ok`, its GET), once
    /// sent; until then `plan` says what to send.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    workspace: Option<LroState>,
    /// The writes not sent yet when the token was made, each of a name chosen at the start:
    /// a process that resumes the token makes what an earlier one had not reached, and
    /// leaves what it had made as it is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    plan: Option<Plan>,
    /// The dependents this call creates (all of the plan's), for the rollback.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    created: Vec<Created>,
    #[serde(default)]
    group_created: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    private_endpoint: Option<PrivateEndpointStep>,
    /// `keep_dependents_on_failure`: a resumed creation honours it too.
    #[serde(default)]
    keep_dependents: bool,
    /// Made by this process's `begin` (not read from a token): nothing of the plan can have
    /// been sent yet, so the workspace need not be looked for before it is PUT.
    #[serde(skip)]
    fresh: bool,
}

/// The writes of a creation, in the order they are made.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Plan {
    /// Create the group, in this location, first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    group_location: Option<String>,
    group_path: String,
    /// The body of each of `created`, same order.
    bodies: Vec<Value>,
    workspace_path: String,
    workspace_body: Value,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct PrivateEndpointStep {
    name: String,
    path: String,
    location: String,
    subnet_id: String,
    auto_approval: bool,
    /// The workspace, for its id when its body has none and for the final GET.
    workspace_path: String,
    workspace_id: String,
}

pub async fn workspace_create<A: ArmApi>(arm: &A, sub: &str, p: WorkspaceCreate) -> Result<Value> {
    let rest = workspace_create_begin(arm, sub, p).await?;
    workspace_create_finish(arm, rest).await
}

/// Everything up to ARM's acceptance of the workspace PUT (the group, the checks, the
/// dependents, concurrently).
pub async fn workspace_create_begin<A: ArmApi>(
    arm: &A,
    sub: &str,
    p: WorkspaceCreate,
) -> Result<WorkspaceCreateRest> {
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
            Ok(existing) if p.exist_ok => {
                return Ok(WorkspaceCreateRest {
                    name: p.name.clone(),
                    resource_group: rg.to_string(),
                    workspace: Some(LroState::finished(
                        LroVerb::Put,
                        format!("{ws_path}?api-version={}", api_versions::WORKSPACES),
                        existing,
                    )),
                    plan: None,
                    created: Vec::new(),
                    group_created: false,
                    private_endpoint: None,
                    keep_dependents: p.keep_dependents_on_failure,
                    fresh: true,
                })
            }
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

    // 4. The writes, decided now and made by `workspace_create_finish`: the group if asked
    // for, the missing dependents (names chosen here), the workspace linking them.
    let mut created: Vec<Created> = Vec::new();
    let mut dependent_bodies: Vec<Value> = Vec::new();
    let mut plan_dependent = |kind: Kind, body: Value| {
        let name = bodies::dependent_name(&p.name, kind, &bodies::random_hex());
        let path = ids::resource_path(sub, rg, kind, &name);
        let id = ids::resource_id(sub, rg, kind, &name);
        created.push(Created { kind, name, path });
        dependent_bodies.push(body);
        id
    };
    let storage_id = given
        .storage_account
        .is_none()
        .then(|| plan_dependent(Kind::StorageAccount, bodies::storage_account(&location)));
    let vault_id = tenant
        .as_ref()
        .map(|tenant| plan_dependent(Kind::KeyVault, bodies::key_vault(&location, tenant)));
    // App Insights needs its Log Analytics workspace (classic components were retired),
    // which `run_plan` creates first.
    let insights_id = given.application_insights.is_none().then(|| {
        let la_id = plan_dependent(Kind::LogAnalytics, bodies::log_analytics(&location));
        plan_dependent(Kind::AppInsights, bodies::app_insights(&location, &la_id))
    });
    let given_or = |planned: Option<String>, given: &Option<String>| -> String {
        given
            .clone()
            .or(planned)
            .expect("a dependent not given is planned above")
    };
    let links = Links {
        storage_account: given_or(storage_id, &p.storage_account),
        key_vault: given_or(vault_id, &p.keyvault),
        application_insights: given_or(insights_id, &p.application_insights),
        container_registry: p.container_registry.clone(),
    };
    let plan = Plan {
        group_location: group.is_none().then(|| location.clone()),
        group_path: ids::group_path(sub, rg),
        bodies: dependent_bodies,
        workspace_path: ws_path.clone(),
        workspace_body: bodies::workspace(&p, &location, &links, given.sku),
    };
    let private_endpoint = pe.map(|pe| PrivateEndpointStep {
        path: ids::private_endpoint_path(sub, &pe.group, &pe.name),
        name: pe.name,
        // An endpoint lives in its network's region, which may not be the workspace's.
        location: pe.location.unwrap_or_else(|| location.clone()),
        subnet_id: pe.subnet_id,
        auto_approval: p.pe_auto_approval,
        workspace_id: ids::resource_id(sub, rg, Kind::Workspace, &p.name),
        workspace_path: ws_path.clone(),
    });
    Ok(WorkspaceCreateRest {
        name: p.name.clone(),
        resource_group: rg.to_string(),
        workspace: None,
        plan: Some(plan),
        created,
        group_created: group.is_none(),
        private_endpoint,
        keep_dependents: p.keep_dependents_on_failure,
        fresh: true,
    })
}

impl WorkspaceCreateRest {
    /// Every path this creation would write, read or delete lies in `sub`.
    pub(crate) fn within(&self, sub: &str) -> bool {
        let mut paths: Vec<&str> = self.created.iter().map(|c| c.path.as_str()).collect();
        if let Some(w) = &self.workspace {
            paths.push(&w.resource);
        }
        if let Some(plan) = &self.plan {
            paths.extend([plan.group_path.as_str(), plan.workspace_path.as_str()]);
        }
        if let Some(pe) = &self.private_endpoint {
            paths.extend([pe.path.as_str(), pe.workspace_path.as_str()]);
        }
        paths.iter().all(|p| within_subscription(p, sub))
    }

    /// The workspace could not be made: its dependents are removed (unless asked to keep
    /// them) and the error says what became of them and of the group.
    async fn workspace_failed<A: ArmApi>(&self, arm: &A, e: Error) -> Error {
        let cleanup = roll_back(arm, &self.created, self.keep_dependents).await;
        let m = format!(
            "creating workspace '{}' failed: {}; {cleanup}{}",
            self.name,
            e.message,
            self.kept_group()
        );
        with_message(e, m)
    }

    fn kept_group(&self) -> String {
        if self.group_created {
            format!(
                "; resource group '{}', created by this call, was kept",
                self.resource_group
            )
        } else {
            String::new()
        }
    }
}

/// The plan's writes up to ARM's acceptance of the workspace PUT: the group, then the
/// dependents concurrently (a Log Analytics workspace before its App Insights component),
/// then the workspace. A failure removes the dependents written here (unless asked to keep
/// them).
async fn run_plan<A: ArmApi>(arm: &A, rest: &WorkspaceCreateRest, plan: &Plan) -> Result<LroState> {
    let rg = &rest.resource_group;
    let name = &rest.name;
    if plan.bodies.len() != rest.created.len() {
        return Err(Error::validation(
            "not an azml continuation token: its plan does not match its dependents",
        ));
    }
    if let Some(location) = &plan.group_location {
        arm.put(
            &plan.group_path,
            api_versions::RESOURCE_GROUPS,
            &bodies::group(location, None, None),
        )
        .await
        .map_err(|e| {
            let m = format!("creating resource group '{rg}': {}", e.message);
            with_message(e, m)
        })?;
    }
    let steps: Vec<(&Created, &Value)> = rest.created.iter().zip(&plan.bodies).collect();
    let resumed = !rest.fresh;
    async fn put<'a, A: ArmApi>(
        arm: &A,
        (c, body): (&'a Created, &Value),
        resumed: bool,
    ) -> (&'a Created, Result<Value>) {
        if resumed {
            // What an earlier process made is left as it is: a PUT would reset what the
            // workspace has changed since (its identity in the vault's access policies).
            // Only a storage account still being created is PUT again, to wait for it.
            match arm.get(&c.path, c.kind.api_version()).await {
                Ok(existing) => {
                    let creating = c.kind == Kind::StorageAccount
                        && existing
                            .pointer("/properties/provisioningState")
                            .and_then(Value::as_str)
                            .is_some_and(|s| !s.eq_ignore_ascii_case("Succeeded"));
                    if !creating {
                        return (c, Ok(existing));
                    }
                }
                Err(e) if not_found(&e) => {}
                Err(e) => return (c, Err(e)),
            }
        }
        (c, arm.put(&c.path, c.kind.api_version(), body).await)
    }
    // Each chain runs its steps in order, the chains concurrently.
    let chains = steps
        .iter()
        .filter(|(c, _)| c.kind != Kind::AppInsights)
        .map(|step| {
            let insights = (step.0.kind == Kind::LogAnalytics)
                .then(|| steps.iter().find(|(c, _)| c.kind == Kind::AppInsights))
                .flatten()
                .copied();
            async move {
                let first = put(arm, *step, resumed).await;
                match (first.1.is_ok(), insights) {
                    (true, Some(next)) => vec![first, put(arm, next, resumed).await],
                    _ => vec![first],
                }
            }
        });
    let mut made = Vec::new();
    let mut first_error: Option<(&Created, Error)> = None;
    for (c, r) in join_all(chains).await.into_iter().flatten() {
        match r {
            Ok(_) => made.push(c.clone()),
            Err(e) => {
                if first_error.is_none() {
                    first_error = Some((c, e));
                }
            }
        }
    }
    if let Some((failed, e)) = first_error {
        let cleanup = roll_back(arm, &made, rest.keep_dependents).await;
        let m = format!(
            "creating {} for workspace '{name}' failed: {}; {cleanup}{}",
            failed.describe(),
            e.message,
            rest.kept_group()
        );
        return Err(with_message(e, m));
    }

    // A resumed plan may have been carried out up to the workspace PUT, or beyond: then
    // the workspace is followed where it is rather than written a second time.
    if !rest.fresh {
        match arm
            .get(&plan.workspace_path, api_versions::WORKSPACES)
            .await
        {
            Ok(existing) => {
                let mut state = LroState::finished(
                    LroVerb::Put,
                    format!(
                        "{}?api-version={}",
                        plan.workspace_path,
                        api_versions::WORKSPACES
                    ),
                    Value::Null,
                );
                let settled = existing
                    .pointer("/properties/provisioningState")
                    .and_then(Value::as_str)
                    .is_none_or(|s| s.eq_ignore_ascii_case("Succeeded"));
                if settled {
                    state.ready = Some(existing);
                } else {
                    state.ready = None;
                    state.pattern = crate::arm::LroPattern::ProvisioningState;
                }
                return Ok(state);
            }
            Err(e) if not_found(&e) => {}
            Err(e) => return Err(e),
        }
    }
    match arm
        .begin(
            LroVerb::Put,
            &plan.workspace_path,
            api_versions::WORKSPACES,
            Some(&plan.workspace_body),
        )
        .await
    {
        Ok(state) => Ok(state),
        Err(e) => Err(rest.workspace_failed(arm, e).await),
    }
}

/// The planned writes of a creation made now, up to ARM's acceptance of the workspace PUT:
/// what is left is the same creation with that operation in place of the plan (its dependents
/// still named, for the rollback).
pub async fn workspace_create_accept<A: ArmApi>(
    arm: &A,
    mut rest: WorkspaceCreateRest,
) -> Result<WorkspaceCreateRest> {
    if rest.workspace.is_none() {
        if let Some(plan) = rest.plan.take() {
            match run_plan(arm, &rest, &plan).await {
                Ok(state) => rest.workspace = Some(state),
                Err(e) => {
                    rest.plan = Some(plan);
                    return Err(e);
                }
            }
        }
    }
    Ok(rest)
}

/// The rest of [`workspace_create`], in this process or another.
pub async fn workspace_create_finish<A: ArmApi>(
    arm: &A,
    rest: WorkspaceCreateRest,
) -> Result<Value> {
    let name = &rest.name;
    let workspace = match (&rest.workspace, &rest.plan) {
        (Some(w), _) => w.clone(),
        (None, Some(plan)) => run_plan(arm, &rest, plan).await?,
        (None, None) => {
            return Err(Error::validation(
                "not an azml continuation token: a workspace creation with nothing to do",
            ))
        }
    };
    let ws = match arm.wait_for(&workspace).await {
        Ok(ws) => ws,
        // Only an operation that ended Failed or Canceled is known not to have made the
        // workspace: after a timeout or a lost connection it may still come, and would
        // then point at deleted dependents.
        Err(e) if e.kind == ErrorKind::OperationFailed => {
            return Err(rest.workspace_failed(arm, e).await)
        }
        Err(e) => return Err(e),
    };

    // 7. The private endpoint, once the workspace exists to point it at.
    let Some(pe) = rest.private_endpoint else {
        return Ok(ws);
    };
    let ws_id = ws
        .get("id")
        .and_then(Value::as_str)
        .map(str::to_string)
        .unwrap_or_else(|| pe.workspace_id.clone());
    let pe_body = bodies::private_endpoint(
        &pe.name,
        &pe.location,
        &pe.subnet_id,
        &ws_id,
        pe.auto_approval,
    );
    arm.put(&pe.path, api_versions::NETWORK, &pe_body)
        .await
        .map_err(|e| {
            let m = format!(
                "workspace '{name}' was created, but its private endpoint '{}' could not be: {}",
                pe.name, e.message
            );
            with_message(e, m)
        })?;
    // The workspace now lists the endpoint connection.
    arm.get(&pe.workspace_path, api_versions::WORKSPACES).await
}

pub async fn workspace_delete<A: ArmApi>(arm: &A, sub: &str, p: WorkspaceDelete) -> Result<()> {
    let no_wait = p.no_wait;
    let rest = workspace_delete_begin(arm, sub, p).await?;
    // Dependents can only go once the workspace is gone, so with all_resources the
    // workspace delete is waited for even under no_wait.
    if no_wait && rest.dependents.is_empty() && rest.skipped.is_empty() {
        return Ok(());
    }
    workspace_delete_finish(arm, rest).await
}

/// What is left of a workspace deletion once ARM has accepted the workspace DELETE:
/// waiting for it, then deleting the resources it linked to (with `all_resources`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WorkspaceDeleteRest {
    name: String,
    workspace: LroState,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    dependents: Vec<Created>,
    /// Linked resources whose ids azml does not know how to delete.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    skipped: Vec<String>,
    /// Do not wait for the dependents' deletions.
    #[serde(default)]
    no_wait: bool,
}

impl WorkspaceDeleteRest {
    /// Every path this deletion would touch lies in `sub`.
    pub(crate) fn within(&self, sub: &str) -> bool {
        within_subscription(&self.workspace.resource, sub)
            && self
                .dependents
                .iter()
                .all(|c| within_subscription(&c.path, sub))
    }
}

/// The workspace DELETE, accepted by ARM; with `all_resources`, its links read before.
pub async fn workspace_delete_begin<A: ArmApi>(
    arm: &A,
    sub: &str,
    p: WorkspaceDelete,
) -> Result<WorkspaceDeleteRest> {
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
    let mut dependents = Vec::new();
    let mut skipped = Vec::new();
    let props = linked.as_ref().and_then(|b| b.get("properties"));
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
            Some((a, kind)) => dependents.push(Created {
                kind,
                name: a.name().to_string(),
                path: a.path(),
            }),
            None => skipped.push(format!("{key} '{id}'")),
        }
    }
    let workspace = arm
        .begin(
            LroVerb::Delete,
            &delete_path,
            api_versions::WORKSPACES,
            None,
        )
        .await?;
    Ok(WorkspaceDeleteRest {
        name: p.name,
        workspace,
        dependents,
        skipped,
        no_wait: p.no_wait,
    })
}

/// The rest of [`workspace_delete`], in this process or another.
pub async fn workspace_delete_finish<A: ArmApi>(arm: &A, rest: WorkspaceDeleteRest) -> Result<()> {
    arm.wait_for(&rest.workspace).await?;
    let no_wait = rest.no_wait;
    let results = join_all(
        rest.dependents
            .iter()
            .map(|c| async move { (c, arm.delete(&c.path, c.kind.api_version(), no_wait).await) }),
    )
    .await;
    let mut failed: Option<Error> = None;
    let mut problems = Vec::new();
    for (c, r) in results {
        if let Err(e) = r {
            problems.push(format!("{} ({e})", c.describe()));
            failed.get_or_insert(e);
        }
    }
    problems.extend(
        rest.skipped
            .into_iter()
            .map(|s| format!("{s} (not a resource id azml knows)")),
    );
    if problems.is_empty() {
        return Ok(());
    }
    let m = format!(
        "workspace '{}' was deleted, but not all of its resources: {}",
        rest.name,
        problems.join(", ")
    );
    Err(match failed {
        Some(e) => with_message(e, m),
        None => Error::new(ErrorKind::Http, m),
    })
}
