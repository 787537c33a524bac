//! `az ml workspace share`: a role assignment at the workspace's scope, the role found by
//! name or GUID, the user looked up in Microsoft Graph by user principal name (or taken as
//! an object id); an identical assignment already there is returned as it is.

use serde_json::{json, Value};

use crate::arm::resource_id::{self as ids, Kind};
use crate::arm::{api_versions, encode_segment};
use crate::error::{Error, ErrorKind, Result};
use crate::ops::client::ArmApi;
use crate::ops::common::{encode_query, odata_literal, workspace_path};
use crate::ops::params::{WorkspaceRef, WorkspaceShare};

pub fn is_guid(s: &str) -> bool {
    uuid::Uuid::try_parse(s).is_ok()
}

/// How the role was given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RoleRef {
    /// A role definition GUID (given directly or as the last segment of its id).
    Guid(String),
    /// A role name such as `Contributor`.
    Name(String),
}

/// How the principal was given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PrincipalRef {
    /// A user principal name (contains `@`).
    Upn(String),
    /// A GUID: a service principal's application id, or an object id.
    Guid(String),
}

pub fn parse_role(role: &str) -> Result<RoleRef> {
    let role = role.trim();
    if role.is_empty() {
        return Err(Error::validation(
            "role must not be empty: give a role name such as 'Contributor', a role definition GUID or its id",
        ));
    }
    if role.starts_with('/') {
        let lower = role.to_ascii_lowercase();
        let last = role.trim_end_matches('/').rsplit('/').next().unwrap_or("");
        let parent = lower.trim_end_matches('/').rsplit('/').nth(1).unwrap_or("");
        if parent != "roledefinitions" || !is_guid(last) {
            return Err(Error::validation(format!(
                "role '{role}' is not a role definition id (…/providers/Microsoft.Authorization/roleDefinitions/<GUID>): give a role name, a GUID or such an id"
            )));
        }
        return Ok(RoleRef::Guid(last.to_ascii_lowercase()));
    }
    if is_guid(role) {
        return Ok(RoleRef::Guid(role.to_ascii_lowercase()));
    }
    Ok(RoleRef::Name(role.to_string()))
}

pub fn parse_principal(user: &str) -> Result<PrincipalRef> {
    let user = user.trim();
    if user.is_empty() {
        return Err(Error::validation(
            "user must not be empty: give a user principal name (someone@contoso.com), an object id or a service principal's application id",
        ));
    }
    if is_guid(user) {
        return Ok(PrincipalRef::Guid(user.to_ascii_lowercase()));
    }
    if user.contains('@') && !user.contains('/') && !user.contains('?') && !user.contains('#') {
        return Ok(PrincipalRef::Upn(user.to_string()));
    }
    Err(Error::validation(format!(
        "user '{user}' is neither a user principal name (someone@contoso.com) nor a GUID (an object id or a service principal's application id)"
    )))
}

fn authorization_path(scope_path: &str, what: &str) -> String {
    format!("{scope_path}/providers/Microsoft.Authorization/{what}")
}

/// The role definition's full id.
async fn resolve_role<A: ArmApi>(arm: &A, scope_path: &str, role: &RoleRef) -> Result<String> {
    let definition = match role {
        RoleRef::Guid(guid) => {
            let path = format!(
                "{}/{}",
                authorization_path(scope_path, "roleDefinitions"),
                encode_segment(guid)
            );
            arm.get(&path, api_versions::AUTHORIZATION)
                .await
                .map_err(|e| {
                    if e.kind == ErrorKind::NotFound {
                        let mut e = e;
                        e.message = format!(
                            "there is no role definition with id '{guid}' at the workspace's scope: give a role name such as 'Contributor', or the GUID of an existing role"
                        );
                        e
                    } else {
                        e
                    }
                })?
        }
        RoleRef::Name(name) => {
            let filter = format!("roleName eq {}", odata_literal(name));
            let path = format!(
                "{}?$filter={}",
                authorization_path(scope_path, "roleDefinitions"),
                encode_query(&filter)
            );
            let found = arm.list(&path, api_versions::AUTHORIZATION).await?;
            match found.len() {
                1 => found.into_iter().next().unwrap_or_default(),
                0 => {
                    return Err(Error::new(
                        ErrorKind::NotFound,
                        format!(
                            "there is no role named '{name}' at the workspace's scope: check the name (e.g. 'Contributor', 'Reader', 'AzureML Data Scientist'), or give the role definition's GUID or id"
                        ),
                    )
                    .with_code("RoleDefinitionNotFound"))
                }
                n => {
                    return Err(Error::validation(format!(
                        "{n} roles are named '{name}' at the workspace's scope: give the role definition's GUID or id instead"
                    )))
                }
            }
        }
    };
    definition
        .get("id")
        .and_then(Value::as_str)
        .map(str::to_string)
        .ok_or_else(|| Error::transport("the role definition the service returned has no id"))
}

/// The principal's object id and type (`User`, `ServicePrincipal`, or `None` when a GUID
/// is neither a known user nor a service principal's application id: then it is taken as
/// an object id as given, and ARM decides).
async fn resolve_principal<G: ArmApi>(
    graph: Option<&G>,
    principal: &PrincipalRef,
) -> Result<(String, Option<&'static str>)> {
    let no_graph = || {
        Error::validation(
            "no Microsoft Graph endpoint configured, so the user cannot be looked up: pass the user's object id instead",
        )
    };
    match principal {
        PrincipalRef::Upn(upn) => {
            let graph = graph.ok_or_else(no_graph)?;
            let path = format!("/v1.0/users/{}", encode_segment(upn));
            let user = graph.get(&path, "").await.map_err(|e| {
                if e.kind == ErrorKind::NotFound {
                    let mut e = e;
                    e.message = format!(
                        "user '{upn}' was not found in Microsoft Graph: check the user principal name, or give the user's object id"
                    );
                    e
                } else {
                    e
                }
            })?;
            let id = user
                .get("id")
                .and_then(Value::as_str)
                .ok_or_else(|| Error::transport("Microsoft Graph returned a user without id"))?;
            Ok((id.to_string(), Some("User")))
        }
        PrincipalRef::Guid(guid) => {
            let Some(graph) = graph else {
                return Ok((guid.clone(), None));
            };
            let filter = format!("servicePrincipalNames/any(c:c eq {})", odata_literal(guid));
            let path = format!("/v1.0/servicePrincipals?$filter={}", encode_query(&filter));
            let page = graph.get(&path, "").await?;
            if let Some(sp) = page
                .get("value")
                .and_then(Value::as_array)
                .and_then(|v| v.first())
            {
                if let Some(id) = sp.get("id").and_then(Value::as_str) {
                    return Ok((id.to_string(), Some("ServicePrincipal")));
                }
            }
            match graph
                .get(&format!("/v1.0/users/{}", encode_segment(guid)), "")
                .await
            {
                Ok(user) => Ok((
                    user.get("id")
                        .and_then(Value::as_str)
                        .unwrap_or(guid)
                        .to_string(),
                    Some("User"),
                )),
                // Not a user: a group or a service principal's object id, as given.
                Err(e) if e.kind == ErrorKind::NotFound => Ok((guid.clone(), None)),
                Err(e) => Err(e),
            }
        }
    }
}

fn same_guid_tail(a: &str, b: &str) -> bool {
    let tail = |s: &str| s.rsplit('/').next().unwrap_or("").to_ascii_lowercase();
    tail(a) == tail(b)
}

fn same_scope(a: &str, b: &str) -> bool {
    a.trim_end_matches('/')
        .eq_ignore_ascii_case(b.trim_end_matches('/'))
}

/// `az ml workspace share`: the role assignment (new, or the identical one already there).
pub async fn workspace_share<A: ArmApi, G: ArmApi>(
    arm: &A,
    graph: Option<&G>,
    sub: &str,
    p: WorkspaceShare,
) -> Result<Value> {
    let wref = WorkspaceRef {
        name: p.name.clone(),
        resource_group: p.resource_group.clone(),
    };
    let scope_path = workspace_path(sub, &wref)?;
    let role = parse_role(&p.role)?;
    let principal = parse_principal(&p.user)?;
    let workspace = arm.get(&scope_path, api_versions::WORKSPACES).await?;
    let scope_id = workspace
        .get("id")
        .and_then(Value::as_str)
        .map(str::to_string)
        .unwrap_or_else(|| ids::resource_id(sub, &p.resource_group, Kind::Workspace, &p.name));
    let (role_id, (principal_id, principal_type)) = futures::try_join!(
        resolve_role(arm, &scope_path, &role),
        resolve_principal(graph, &principal)
    )?;
    let mut props = json!({ "roleDefinitionId": role_id, "principalId": principal_id });
    if let Some(t) = principal_type {
        props["principalType"] = json!(t);
    }
    let name = uuid::Uuid::new_v4().to_string();
    let path = format!(
        "{}/{}",
        authorization_path(&scope_path, "roleAssignments"),
        name
    );
    match arm
        .put(
            &path,
            api_versions::AUTHORIZATION,
            &json!({ "properties": props }),
        )
        .await
    {
        Ok(v) => Ok(v),
        Err(e) if e.code.as_deref() == Some("RoleAssignmentExists") => {
            let filter = format!("principalId eq {}", odata_literal(&principal_id));
            let list = format!(
                "{}?$filter={}",
                authorization_path(&scope_path, "roleAssignments"),
                encode_query(&filter)
            );
            let existing = arm.list(&list, api_versions::AUTHORIZATION).await?;
            existing
                .into_iter()
                .find(|a| {
                    let pr = &a["properties"];
                    pr["scope"]
                        .as_str()
                        .is_some_and(|s| same_scope(s, &scope_id))
                        && pr["roleDefinitionId"]
                            .as_str()
                            .is_some_and(|r| same_guid_tail(r, &role_id))
                        && pr["principalId"]
                            .as_str()
                            .is_some_and(|x| x.eq_ignore_ascii_case(&principal_id))
                })
                .ok_or(e)
        }
        Err(e) => Err(e),
    }
}
