//! The new commands against a scripted double: validation before any request, the requests
//! made, and how answers are interpreted.

use serde_json::{json, Value};

use super::fake_arm::FakeArm;
use crate::arm::resource_id::Kind;
use crate::error::{Error, ErrorKind};
use crate::ops::workspaces::share::{PrincipalRef, RoleRef};
use crate::ops::workspaces::{diagnose, keys, share};
use crate::ops::{dependents, groups};
use crate::ops::{FindResource, GroupList, GroupUpdate, WorkspaceRef, WorkspaceShare};

const SUB: &str = "00000000-0000-0000-0000-000000000001";
const WS: &str = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws1";
const CONTRIBUTOR: &str = "b24988ac-6180-42a0-ab88-20f7382dd24c";
const USER_OID: &str = "11111111-2222-3333-4444-555555555555";

fn share(user: &str, role: &str) -> WorkspaceShare {
    WorkspaceShare {
        name: "ws1".into(),
        resource_group: "rg".into(),
        user: user.into(),
        role: role.into(),
    }
}

fn role_def() -> Value {
    json!({"id": format!("/subscriptions/{SUB}/providers/Microsoft.Authorization/roleDefinitions/{CONTRIBUTOR}"),
           "name": CONTRIBUTOR})
}

fn arm_with_workspace() -> FakeArm {
    FakeArm::default()
        .on(
            "GET",
            "/roleDefinitions?",
            Ok(json!({"value": [role_def()]})),
        )
        .on(
            "GET",
            &format!("/roleDefinitions/{CONTRIBUTOR}"),
            Ok(role_def()),
        )
        .on(
            "GET",
            "/workspaces/ws1",
            Ok(json!({"id": WS, "name": "ws1"})),
        )
        .on("PUT", "/roleAssignments/", Ok(Value::Null))
}

fn graph_with_user() -> FakeArm {
    FakeArm::default()
        .on(
            "GET",
            "/v1.0/users/someone%40contoso.com",
            Ok(json!({"id": USER_OID, "userPrincipalName": "someone@contoso.com"})),
        )
        .on("GET", "/v1.0/servicePrincipals?", Ok(json!({"value": []})))
}

fn run<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(f)
}

#[test]
fn tag_filters_follow_az() {
    assert_eq!(groups::tag_filter(None).unwrap(), None);
    assert_eq!(
        groups::tag_filter(Some("team")).unwrap().unwrap(),
        "tagName eq 'team'"
    );
    assert_eq!(
        groups::tag_filter(Some("team=")).unwrap().unwrap(),
        "tagName eq 'team'"
    );
    assert_eq!(
        groups::tag_filter(Some("team=ml=x")).unwrap().unwrap(),
        "tagName eq 'team' and tagValue eq 'ml=x'"
    );
    assert_eq!(
        groups::tag_filter(Some("o'k=v")).unwrap().unwrap(),
        "tagName eq 'o''k' and tagValue eq 'v'"
    );
    let e = groups::tag_filter(Some("=v")).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Validation);
}

#[test]
fn group_list_sends_the_tag_filter_encoded() {
    let arm = FakeArm::default().on("GET", "/resourcegroups?", Ok(json!({"value": []})));
    run(groups::list(
        &arm,
        SUB,
        GroupList {
            tag: Some("team=m l".into()),
        },
    ))
    .unwrap();
    let calls = arm.calls();
    assert_eq!(calls.len(), 1);
    assert!(
        calls[0].ends_with(
            "/resourcegroups?$filter=tagName%20eq%20%27team%27%20and%20tagValue%20eq%20%27m%20l%27"
        ),
        "{calls:?}"
    );
}

#[test]
fn group_update_patches_tags_or_only_reads() {
    let arm = FakeArm::default()
        .on("PATCH", "/resourcegroups/rg", Ok(json!({})))
        .on("GET", "/resourcegroups/rg", Ok(json!({"name": "rg"})));
    let mut tags = serde_json::Map::new();
    tags.insert("a".into(), json!("b"));
    let out = run(groups::update(
        &arm,
        SUB,
        GroupUpdate {
            name: "rg".into(),
            tags: Some(tags),
        },
    ))
    .unwrap();
    assert_eq!(out, json!({"tags": {"a": "b"}}));
    run(groups::update(
        &arm,
        SUB,
        GroupUpdate {
            name: "rg".into(),
            tags: None,
        },
    ))
    .unwrap();
    assert_eq!(arm.writes().len(), 1, "{:?}", arm.calls());

    let mut bad = serde_json::Map::new();
    bad.insert("a".into(), json!(1));
    let e = run(groups::update(
        &arm,
        SUB,
        GroupUpdate {
            name: "rg".into(),
            tags: Some(bad),
        },
    ))
    .unwrap_err();
    assert_eq!(e.kind, ErrorKind::Validation);
    assert_eq!(arm.writes().len(), 1);
}

#[test]
fn roles_and_principals_parse() {
    assert_eq!(
        share::parse_role("Contributor").unwrap(),
        RoleRef::Name("Contributor".into())
    );
    assert_eq!(
        share::parse_role(&CONTRIBUTOR.to_uppercase()).unwrap(),
        RoleRef::Guid(CONTRIBUTOR.into())
    );
    let id = format!(
        "/subscriptions/{SUB}/providers/Microsoft.Authorization/roleDefinitions/{CONTRIBUTOR}"
    );
    assert_eq!(
        share::parse_role(&id).unwrap(),
        RoleRef::Guid(CONTRIBUTOR.into())
    );
    for bad in [
        "",
        "  ",
        "/subscriptions/x/roleDefinitions/notaguid",
        "/x/y",
    ] {
        assert_eq!(
            share::parse_role(bad).unwrap_err().kind,
            ErrorKind::Validation,
            "{bad}"
        );
    }
    assert_eq!(
        share::parse_principal("a@b.c").unwrap(),
        PrincipalRef::Upn("a@b.c".into())
    );
    assert_eq!(
        share::parse_principal(USER_OID).unwrap(),
        PrincipalRef::Guid(USER_OID.into())
    );
    for bad in ["", "someone", "a@b/c", "x?y@z"] {
        let e = share::parse_principal(bad).unwrap_err();
        assert_eq!(e.kind, ErrorKind::Validation, "{bad}");
    }
}

#[test]
fn bad_share_input_sends_nothing() {
    let arm = arm_with_workspace();
    let graph = graph_with_user();
    for p in [
        share("", "Contributor"),
        share("someone@contoso.com", ""),
        share("no-at-sign", "Contributor"),
        WorkspaceShare {
            name: "w".into(),
            ..share("someone@contoso.com", "Contributor")
        },
    ] {
        let e = run(share::workspace_share(&arm, Some(&graph), SUB, p)).unwrap_err();
        assert_eq!(e.kind, ErrorKind::Validation, "{e}");
    }
    assert!(arm.calls().is_empty() && graph.calls().is_empty());
}

#[test]
fn share_by_upn_and_role_name_puts_one_assignment() {
    let arm = arm_with_workspace();
    let graph = graph_with_user();
    let out = run(share::workspace_share(
        &arm,
        Some(&graph),
        SUB,
        share("someone@contoso.com", "Contributor"),
    ))
    .unwrap();
    let props = &out["properties"];
    assert_eq!(props["principalId"], USER_OID);
    assert_eq!(props["principalType"], "User");
    assert!(props["roleDefinitionId"]
        .as_str()
        .unwrap()
        .ends_with(CONTRIBUTOR));
    let writes = arm.writes();
    assert_eq!(writes.len(), 1, "{writes:?}");
    assert!(writes[0].starts_with(&format!(
        "PUT /subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws1/providers/Microsoft.Authorization/roleAssignments/"
    )));
    let role_query = arm
        .calls()
        .into_iter()
        .find(|c| c.contains("roleDefinitions?"))
        .unwrap();
    assert!(
        role_query.ends_with("$filter=roleName%20eq%20%27Contributor%27"),
        "{role_query}"
    );
    // Graph saw only Graph paths; ARM never saw one.
    assert!(graph.calls().iter().all(|c| c.starts_with("GET /v1.0/")));
    assert!(arm.calls().iter().all(|c| !c.contains("/v1.0/")));
}

#[test]
fn unknown_role_or_user_is_not_found_and_nothing_is_written() {
    let arm = FakeArm::default()
        .on("GET", "/roleDefinitions?", Ok(json!({"value": []})))
        .on("GET", "/workspaces/ws1", Ok(json!({"id": WS})));
    let graph = graph_with_user();
    let e = run(share::workspace_share(
        &arm,
        Some(&graph),
        SUB,
        share("someone@contoso.com", "Chief"),
    ))
    .unwrap_err();
    assert_eq!(e.kind, ErrorKind::NotFound);
    assert!(e.message.contains("no role named 'Chief'"), "{e}");

    let arm = arm_with_workspace();
    let e = run(share::workspace_share(
        &arm,
        Some(&graph),
        SUB,
        share("nobody@contoso.com", "Contributor"),
    ))
    .unwrap_err();
    assert_eq!(e.kind, ErrorKind::NotFound);
    assert!(e.message.contains("user 'nobody@contoso.com'"), "{e}");
    assert!(arm.writes().is_empty(), "{:?}", arm.writes());

    // A GUID role that does not exist.
    let e = run(share::workspace_share(
        &arm,
        Some(&graph),
        SUB,
        share(USER_OID, "99999999-9999-9999-9999-999999999999"),
    ))
    .unwrap_err();
    assert_eq!(e.kind, ErrorKind::NotFound);
    assert!(arm.writes().is_empty());
}

#[test]
fn a_service_principal_app_id_resolves_to_its_object_id() {
    let arm = arm_with_workspace();
    let graph = FakeArm::default().on(
        "GET",
        "/v1.0/servicePrincipals?$filter=servicePrincipalNames%2Fany%28c%3Ac%20eq%20%27",
        Ok(json!({"value": [{"id": "sp-object-id", "appId": USER_OID}]})),
    );
    let out = run(share::workspace_share(
        &arm,
        Some(&graph),
        SUB,
        share(USER_OID, CONTRIBUTOR),
    ))
    .unwrap();
    assert_eq!(out["properties"]["principalId"], "sp-object-id");
    assert_eq!(out["properties"]["principalType"], "ServicePrincipal");
}

#[test]
fn an_identical_assignment_is_returned_not_an_error() {
    let existing = json!({"name": "abc", "properties": {
        "scope": WS.to_lowercase(), "principalId": USER_OID,
        "roleDefinitionId": role_def()["id"]}});
    let arm = FakeArm::default()
        .on(
            "PUT",
            "/roleAssignments/",
            Err(Error::new(ErrorKind::Exists, "exists")
                .with_status(409)
                .with_code("RoleAssignmentExists")),
        )
        .on(
            "GET",
            "/roleAssignments?$filter=principalId",
            Ok(json!({"value": [existing.clone()]})),
        )
        .on(
            "GET",
            &format!("/roleDefinitions/{CONTRIBUTOR}"),
            Ok(role_def()),
        )
        .on("GET", "/workspaces/ws1", Ok(json!({"id": WS})));
    let graph = FakeArm::default()
        .on("GET", "/v1.0/servicePrincipals?", Ok(json!({"value": []})))
        .on("GET", "/v1.0/users/", Ok(json!({"id": USER_OID})));
    let out = run(share::workspace_share(
        &arm,
        Some(&graph),
        SUB,
        share(USER_OID, CONTRIBUTOR),
    ))
    .unwrap();
    assert_eq!(out, existing);
}

#[test]
fn without_graph_a_upn_is_a_validation_error_and_an_object_id_goes_as_is() {
    let arm = arm_with_workspace();
    let e = run(share::workspace_share::<_, FakeArm>(
        &arm,
        None,
        SUB,
        share("someone@contoso.com", "Contributor"),
    ))
    .unwrap_err();
    assert_eq!(e.kind, ErrorKind::Validation);
    let out = run(share::workspace_share::<_, FakeArm>(
        &arm,
        None,
        SUB,
        share(USER_OID, "Contributor"),
    ))
    .unwrap();
    assert_eq!(out["properties"]["principalId"], USER_OID);
    assert!(out["properties"].get("principalType").is_none());
}

#[test]
fn workspace_actions_post_to_their_paths() {
    let arm = FakeArm::default()
        .on("POST", "/listKeys", Ok(json!({"userStorageKey": "k"})))
        .on("POST", "/resyncKeys", Ok(Value::Null))
        .on("POST", "/diagnose", Ok(json!({"value": {}})));
    let r = || WorkspaceRef {
        name: "ws1".into(),
        resource_group: "rg".into(),
    };
    run(keys::workspace_sync_keys(&arm, SUB, r())).unwrap();
    assert_eq!(
        run(keys::workspace_list_keys(&arm, SUB, r())).unwrap()["userStorageKey"],
        "k"
    );
    assert_eq!(
        run(diagnose::workspace_diagnose(&arm, SUB, r())).unwrap(),
        json!({"value": {}})
    );
    let bad = WorkspaceRef {
        name: "w".into(),
        resource_group: "rg".into(),
    };
    let e = run(keys::workspace_list_keys(&arm, SUB, bad)).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Validation);
    assert_eq!(arm.calls().len(), 3);
}

#[test]
fn finders_get_by_group_or_search_the_subscription() {
    let arm = FakeArm::default()
        .on(
            "GET",
            "/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/sa1",
            Ok(json!({"name": "sa1"})),
        )
        .on(
            "GET",
            "/providers/Microsoft.Storage/storageAccounts",
            Ok(json!({"value": [{"name": "other"}, {"name": "SA1", "id": "x"}]})),
        );
    let by_group = run(dependents::find_resource(
        &arm,
        SUB,
        Kind::StorageAccount,
        FindResource {
            name: "sa1".into(),
            resource_group: Some("rg".into()),
        },
    ))
    .unwrap();
    assert_eq!(by_group["name"], "sa1");
    let searched = run(dependents::find_resource(
        &arm,
        SUB,
        Kind::StorageAccount,
        FindResource {
            name: "sa1".into(),
            resource_group: None,
        },
    ))
    .unwrap();
    assert_eq!(searched["id"], "x");
    let e = run(dependents::find_resource(
        &arm,
        SUB,
        Kind::StorageAccount,
        FindResource {
            name: "missing".into(),
            resource_group: None,
        },
    ))
    .unwrap_err();
    assert_eq!(e.kind, ErrorKind::NotFound);
    assert!(e.message.contains("storage account 'missing'"), "{e}");
    let before = arm.calls().len();
    for bad in ["", "a/b", "x?y"] {
        let e = run(dependents::find_resource(
            &arm,
            SUB,
            Kind::KeyVault,
            FindResource {
                name: bad.into(),
                resource_group: None,
            },
        ))
        .unwrap_err();
        assert_eq!(e.kind, ErrorKind::Validation);
    }
    assert_eq!(arm.calls().len(), before);
}
