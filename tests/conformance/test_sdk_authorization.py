"""azure-mgmt-authorization: role definitions by name, role assignments for a Graph user."""

from __future__ import annotations

import json
import ssl
import urllib.request
import uuid

import pytest
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError

DEFAULT_USER = "user@azml-emulator.onmicrosoft.com"
READER = "acdd72a7-3385-48ef-bd42-f606fba81ae7"


def graph_user_object_id(emu, credential, upn: str) -> str:
    """Looks the user up in the emulator's Microsoft Graph, as `share --user` does."""
    token = credential.get_token("https://graph.microsoft.com/.default").token
    req = urllib.request.Request(
        f"{emu.url}/v1.0/users/{upn}", headers={"Authorization": f"Bearer {token}"}
    )
    ctx = ssl.create_default_context(cafile=emu.ca_file)
    with urllib.request.urlopen(req, context=ctx, timeout=10) as resp:
        user = json.load(resp)
    assert user["userPrincipalName"] == upn
    return user["id"]


def test_role_definitions_filtered_by_name(emu, authorization):
    scope = f"/subscriptions/{emu.subscription_id}"
    found = list(authorization.role_definitions.list(scope, filter="roleName eq 'Reader'"))
    assert [d.role_name for d in found] == ["Reader"]
    assert found[0].name == READER
    assert found[0].role_type == "BuiltInRole"
    assert (
        found[0].id.lower().endswith(f"/providers/microsoft.authorization/roledefinitions/{READER}")
    )

    scientist = list(
        authorization.role_definitions.list(scope, filter="roleName eq 'AzureML Data Scientist'")
    )
    assert [d.name for d in scientist] == ["f6c7c914-8db3-469d-8ca1-694a8f32e121"]
    assert (
        list(authorization.role_definitions.list(scope, filter="roleName eq 'No Such Role'")) == []
    )


def test_role_assignment_for_graph_user(emu, credential, authorization, resources, group):
    scope = resources.resource_groups.get(group).id
    principal = graph_user_object_id(emu, credential, DEFAULT_USER)
    reader = next(iter(authorization.role_definitions.list(scope, filter="roleName eq 'Reader'")))
    name = str(uuid.uuid4())
    params = {
        "role_definition_id": reader.id,
        "principal_id": principal,
        "principal_type": "User",
    }
    created = authorization.role_assignments.create(scope, name, params)
    assert created.name == name
    assert created.principal_id == principal
    assert created.principal_type == "User"
    assert created.scope.lower() == scope.lower()
    assert created.role_definition_id.lower() == reader.id.lower()

    got = authorization.role_assignments.get(scope, name)
    assert got.id == created.id

    listed = [a.name for a in authorization.role_assignments.list_for_scope(scope)]
    assert name in listed

    # The same principal, role and scope twice is a conflict whatever the assignment name.
    with pytest.raises(HttpResponseError) as err:
        authorization.role_assignments.create(scope, str(uuid.uuid4()), params)
    assert err.value.status_code == 409
    assert err.value.error.code == "RoleAssignmentExists"

    deleted = authorization.role_assignments.delete(scope, name)
    assert deleted is not None and deleted.name == name
    with pytest.raises(ResourceNotFoundError):
        authorization.role_assignments.get(scope, name)
    assert name not in [a.name for a in authorization.role_assignments.list_for_scope(scope)]


def test_role_assignment_unknown_principal(emu, authorization, resources, group):
    scope = resources.resource_groups.get(group).id
    reader = (
        f"/subscriptions/{emu.subscription_id}/providers/Microsoft.Authorization"
        f"/roleDefinitions/{READER}"
    )
    with pytest.raises(HttpResponseError) as err:
        authorization.role_assignments.create(
            scope,
            str(uuid.uuid4()),
            {"role_definition_id": reader, "principal_id": str(uuid.uuid4())},
        )
    assert err.value.status_code == 400
    assert err.value.error.code == "PrincipalNotFound"
