//! `az ml workspace create`: first the plan (every read and check, every name chosen, before
//! any write), then its writes (the group, the missing dependents concurrently, the
//! workspace), the wait, and the private endpoint. What is left after the plan is
//! serialisable, so another process can carry it on from a continuation token.

use futures::future::join_all;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::dependent::Dependent;
use crate::arm::resource_id::{self as ids, ArmId, Kind};
use crate::arm::{api_versions, LroState, LroVerb};
use crate::error::{Error, ErrorKind, Result};
use crate::ops::bodies::{self, Links};
use crate::ops::client::ArmApi;
use crate::ops::common::{not_found, subscription, with_message, within_subscription};
use crate::ops::params::WorkspaceCreate;
use crate::ops::validate::{self, GivenDependents, DEFAULT_SUBNET};

/// Delete what this call created, concurrently, best effort; says what happened. With
/// `keep`, deletes nothing and says what was kept.
async fn roll_back<A: ArmApi>(arm: &A, created: &[Dependent], keep: bool) -> String {
    if created.is_empty() {
        return "no dependent had been created by this call".into();
    }
    if keep {
        let kept: Vec<String> = created.iter().map(Dependent::describe).collect();
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
        .get(&ids::subscription_path(sub), api_versions::SUBSCRIPTIONS)
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
    created: Vec<Dependent>,
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

/// Everything before the first write: the group and the location, the workspace not there
/// yet (or, under `exist_ok`, there), every resource given by id and the endpoint's subnet
/// checked, the vault's tenant known, and the writes planned with their names chosen.
pub async fn workspace_create_begin<A: ArmApi>(
    arm: &A,
    sub: &str,
    p: WorkspaceCreate,
) -> Result<WorkspaceCreateRest> {
    subscription(sub)?;
    let given: GivenDependents = validate::workspace_create(&p)?;
    let rg = p.resource_group.as_str();
    let (group, location) = group_and_location(arm, sub, &p).await?;
    let ws_path = ids::workspace_path(sub, rg, &p.name);
    if group.is_some() {
        if let Some(existing) = existing_workspace(arm, &p, &ws_path).await? {
            return Ok(existing);
        }
    }
    let pe = match &p.pe_name {
        None => None,
        Some(pe_name) => {
            let pe_rg = p.pe_resource_group.as_deref().unwrap_or(rg);
            let vnet = p.pe_vnet_name.as_deref().unwrap_or_default();
            let subnet = p.pe_subnet_name.as_deref().unwrap_or(DEFAULT_SUBNET);
            Some(endpoint_subnet(arm, sub, pe_name, pe_rg, vnet, subnet).await?)
        }
    };
    // Everything given by id must exist before anything is created.
    check_given(arm, given_checks(&p, &given)).await?;
    let tenant = if given.keyvault.is_none() {
        Some(tenant_of(arm, sub, p.tenant_id.as_deref()).await?)
    } else {
        None
    };
    let (plan, created) = plan_writes(sub, &p, &given, &location, group.is_none(), tenant);
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

/// The group (`None`: to be created, as asked) and the location: the one given, else the
/// group's.
async fn group_and_location<A: ArmApi>(
    arm: &A,
    sub: &str,
    p: &WorkspaceCreate,
) -> Result<(Option<Value>, String)> {
    let rg = p.resource_group.as_str();
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

    Ok((group, location))
}

/// The workspace already there: under `exist_ok` a creation with nothing to do but return
/// it, otherwise an error; `None` when there is none.
async fn existing_workspace<A: ArmApi>(
    arm: &A,
    p: &WorkspaceCreate,
    ws_path: &str,
) -> Result<Option<WorkspaceCreateRest>> {
    let rg = p.resource_group.as_str();
    match arm.get(ws_path, api_versions::WORKSPACES).await {
        Ok(existing) if p.exist_ok => Ok(Some(WorkspaceCreateRest {
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
        })),
        Ok(_) => Err(Error::new(
            ErrorKind::Exists,
            format!(
                "workspace '{}' already exists in resource group '{rg}': pass exist_ok=True to get it, or choose another name",
                p.name
            ),
        )),
        Err(e) if not_found(&e) => Ok(None),
        Err(e) => Err(e),
    }
}

/// What, path and api-version of each resource given by id, for `check_given`.
fn given_checks(
    p: &WorkspaceCreate,
    given: &GivenDependents,
) -> Vec<(String, String, &'static str)> {
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
    checks
}

/// The writes, decided now and made by `run_plan`: the group if it is to be created, the
/// missing dependents (names chosen here), the workspace linking them.
fn plan_writes(
    sub: &str,
    p: &WorkspaceCreate,
    given: &GivenDependents,
    location: &str,
    create_group: bool,
    tenant: Option<String>,
) -> (Plan, Vec<Dependent>) {
    let rg = p.resource_group.as_str();
    let ws_path = ids::workspace_path(sub, rg, &p.name);
    let mut created: Vec<Dependent> = Vec::new();
    let mut dependent_bodies: Vec<Value> = Vec::new();
    let mut plan_dependent = |kind: Kind, body: Value| {
        let name = bodies::dependent_name(&p.name, kind, &bodies::random_hex());
        let path = ids::resource_path(sub, rg, kind, &name);
        let id = ids::resource_id(sub, rg, kind, &name);
        created.push(Dependent { kind, name, path });
        dependent_bodies.push(body);
        id
    };
    let storage_id = given
        .storage_account
        .is_none()
        .then(|| plan_dependent(Kind::StorageAccount, bodies::storage_account(location)));
    let vault_id = tenant
        .as_ref()
        .map(|tenant| plan_dependent(Kind::KeyVault, bodies::key_vault(location, tenant)));
    // App Insights needs its Log Analytics workspace (classic components were retired),
    // which `run_plan` creates first.
    let insights_id = given.application_insights.is_none().then(|| {
        let la_id = plan_dependent(Kind::LogAnalytics, bodies::log_analytics(location));
        plan_dependent(Kind::AppInsights, bodies::app_insights(location, &la_id))
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
        group_location: create_group.then(|| location.to_string()),
        group_path: ids::group_path(sub, rg),
        bodies: dependent_bodies,
        workspace_path: ws_path,
        workspace_body: bodies::workspace(p, location, &links, given.sku),
    };
    (plan, created)
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
    make_dependents(arm, rest, plan).await?;
    // A resumed plan may have been carried out up to the workspace PUT, or beyond: then
    // the workspace is followed where it is rather than written a second time.
    if !rest.fresh {
        if let Some(state) = workspace_already_asked(arm, plan).await? {
            return Ok(state);
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

/// The dependents of the plan, concurrently (a Log Analytics workspace before its App
/// Insights component); a failure removes those made here, unless asked to keep them.
async fn make_dependents<A: ArmApi>(
    arm: &A,
    rest: &WorkspaceCreateRest,
    plan: &Plan,
) -> Result<()> {
    let name = &rest.name;
    let steps: Vec<(&Dependent, &Value)> = rest.created.iter().zip(&plan.bodies).collect();
    let resumed = !rest.fresh;
    async fn put<'a, A: ArmApi>(
        arm: &A,
        (c, body): (&'a Dependent, &Value),
        resumed: bool,
    ) -> (&'a Dependent, Result<Value>) {
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
    let mut first_error: Option<(&Dependent, Error)> = None;
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
    Ok(())
}

/// The workspace of a resumed plan, if an earlier process had already asked for it: its
/// operation, settled or to follow by its provisioning state.
async fn workspace_already_asked<A: ArmApi>(arm: &A, plan: &Plan) -> Result<Option<LroState>> {
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
            Ok(Some(state))
        }
        Err(e) if not_found(&e) => Ok(None),
        Err(e) => Err(e),
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
