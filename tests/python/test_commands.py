"""share, sync-keys, list-keys, diagnose, the dependents' show, group update and --tag."""

from __future__ import annotations

import asyncio
import json
import urllib.request
from typing import Iterator, List, Tuple

import pytest

import azml
from helpers import unique

CONTRIBUTOR = "b24988ac-6180-42a0-ab88-20f7382dd24c"
READER = "acdd72a7-3385-48ef-bd42-f606fba81ae7"
DEFAULT_USER = "user@azml-emulator.onmicrosoft.com"


@pytest.fixture(scope="module")
def workspace(emu) -> Iterator[Tuple[str, str, dict]]:
    """(group, workspace, its v1 dict): one workspace for the module's tests."""
    with azml.Client(subscription_id=emu.subscription_id, credential=emu.credential,
                     endpoint=emu.url) as c:  # fmt: skip
        rg, ws = unique("rg"), unique("ws")
        c.groups.create(rg, location="eastus")
        created = c.workspaces.create(ws, resource_group=rg)
        yield rg, ws, created
        c.groups.delete(rg)


def role_assignments(emu, rg: str, ws: str) -> List[dict]:
    """The emulator's role assignments at the workspace, read straight from ARM."""
    token = emu.credential.get_token("https://management.azure.com/.default").token
    url = (
        f"{emu.url}/subscriptions/{emu.subscription_id}/resourceGroups/{rg}/providers/"
        f"Microsoft.MachineLearningServices/workspaces/{ws}/providers/"
        "Microsoft.Authorization/roleAssignments?api-version=2022-04-01&$filter=atScope()"
    )
    req = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(req, timeout=30) as resp:
        return json.load(resp)["value"]


def _ws_id(created: dict) -> str:
    return created["id"]


def test_share_by_upn_and_role_name_then_idempotent(client, emu, workspace):
    rg, ws, _ = workspace
    upn = f"{unique('u')}@azml-emulator.onmicrosoft.com"
    oid = emu.add_user(upn, "Some One")
    before = len(role_assignments(emu, rg, ws))
    first = client.workspaces.share(ws, resource_group=rg, user=upn, role="Contributor")
    props = first["properties"]
    assert props["principalId"] == oid
    assert props["principalType"] == "User"
    assert props["roleDefinitionId"].endswith(CONTRIBUTOR)
    assert props["scope"].lower().endswith(f"/workspaces/{ws}".lower())
    again = client.workspaces.share(ws, resource_group=rg, user=upn, role="contributor")
    assert again["name"] == first["name"]
    assert len(role_assignments(emu, rg, ws)) == before + 1


def test_share_by_object_id_role_guid_and_role_id(client, emu, workspace):
    rg, ws, _ = workspace
    oid = emu.add_user(f"{unique('u')}@azml-emulator.onmicrosoft.com")
    by_guid = client.workspaces.share(ws, resource_group=rg, user=oid, role=READER)
    assert by_guid["properties"]["principalId"] == oid
    assert by_guid["properties"]["roleDefinitionId"].endswith(READER)
    role_id = (f"/subscriptions/{emu.subscription_id}/providers/Microsoft.Authorization/"
               f"roleDefinitions/{CONTRIBUTOR}")  # fmt: skip
    by_id = client.workspaces.share(ws, resource_group=rg, user=oid.upper(), role=role_id)
    assert by_id["properties"]["roleDefinitionId"].endswith(CONTRIBUTOR)
    mine = [a for a in role_assignments(emu, rg, ws) if a["properties"]["principalId"] == oid]
    assert len(mine) == 2


def test_share_to_a_service_principal_by_app_id(client, emu, workspace):
    rg, ws, _ = workspace
    out = client.workspaces.share(ws, resource_group=rg, user=emu.client_id, role="Reader")
    assert out["properties"]["principalType"] == "ServicePrincipal"
    assert out["properties"]["principalId"] != emu.client_id


@pytest.mark.parametrize(
    "user, role, error, words",
    [
        ("nobody@azml-emulator.onmicrosoft.com", "Contributor", azml.ResourceNotFoundError,
         "user 'nobody@azml-emulator.onmicrosoft.com'"),
        (DEFAULT_USER, "Chief Everything Officer", azml.ResourceNotFoundError,
         "no role named 'Chief Everything Officer'"),
        (DEFAULT_USER, "99999999-9999-9999-9999-999999999999", azml.ResourceNotFoundError,
         "no role definition with id"),
        ("not a user", "Contributor", azml.ValidationError, "user principal name"),
        (DEFAULT_USER, "", azml.ValidationError, "role must not be empty"),
    ],
)  # fmt: skip
def test_share_errors_write_nothing(client, emu, workspace, user, role, error, words):
    rg, ws, _ = workspace
    before = role_assignments(emu, rg, ws)
    with pytest.raises(error) as info:
        client.workspaces.share(ws, resource_group=rg, user=user, role=role)
    assert words in str(info.value)
    assert role_assignments(emu, rg, ws) == before


def test_share_on_a_missing_workspace_is_not_found(client, group):
    with pytest.raises(azml.ResourceNotFoundError):
        client.workspaces.share("nows1", resource_group=group, user=DEFAULT_USER, role="Reader")


def test_keys_and_diagnose(client, workspace):
    rg, ws, _ = workspace
    assert client.workspaces.sync_keys(ws, resource_group=rg) is None
    keys = client.workspaces.list_keys(ws, resource_group=rg)
    assert {"userStorageKey", "userStorageResourceId", "appInsightsInstrumentationKey",
            "notebookAccessKeys"} <= set(keys)  # fmt: skip
    assert keys["userStorageKey"]
    diagnosis = client.workspaces.diagnose(ws, resource_group=rg)
    assert isinstance(diagnosis["value"], dict)
    with pytest.raises(azml.ValidationError):
        client.workspaces.list_keys("x", resource_group=rg)


def test_keys_are_not_in_reprs_or_errors(client, workspace):
    rg, ws, _ = workspace
    key = client.workspaces.list_keys(ws, resource_group=rg)["userStorageKey"]
    assert key not in repr(client) and key not in repr(client._core)
    with pytest.raises(azml.ResourceNotFoundError) as info:
        client.workspaces.list_keys("nows1", resource_group=rg)
    assert key not in str(info.value)


def test_dependents_are_found_with_and_without_group(client, workspace):
    rg, _, created = workspace
    storage = created["storageAccount"]
    vault = created["keyVault"]
    insights = created["applicationInsights"]
    sa_name = storage.rsplit("/", 1)[1]
    kv_name = vault.rsplit("/", 1)[1]
    ai_name = insights.rsplit("/", 1)[1]
    by_group = client.storage_accounts.show(sa_name, resource_group=rg)
    assert by_group["id"].lower() == storage.lower()
    assert client.storage_accounts.show(sa_name)["id"].lower() == storage.lower()
    assert client.keyvaults.show(kv_name)["id"].lower() == vault.lower()
    assert client.keyvaults.show(kv_name, resource_group=rg)["name"] == kv_name
    assert client.application_insights.show(ai_name, resource_group=rg)["id"].lower() == (
        insights.lower()
    )
    with pytest.raises(azml.ResourceNotFoundError) as info:
        client.storage_accounts.show("nosuchaccount1")
    assert "nosuchaccount1" in str(info.value)
    with pytest.raises(azml.ResourceNotFoundError):
        client.container_registries.show("nosuchregistry1", resource_group=rg)
    with pytest.raises(azml.ResourceNotFoundError):
        client.container_registries.show("nosuchregistry1")
    with pytest.raises(azml.ValidationError):
        client.keyvaults.show("a/b")


def test_group_update_and_list_by_tag(client):
    a, b = unique("rg"), unique("rg")
    value = unique("v")
    client.groups.create(a, location="eastus", tags={"azmltest": value})
    client.groups.create(b, location="eastus")
    try:
        updated = client.groups.update(b, tags={"azmltest": "other"})
        assert updated["tags"] == {"azmltest": "other"}
        assert client.groups.show(b)["tags"] == {"azmltest": "other"}
        by_value = {g["name"] for g in client.groups.list(tag=f"azmltest={value}")}
        assert by_value == {a}
        by_name = {g["name"] for g in client.groups.list(tag="azmltest")}
        assert {a, b} <= by_name
        assert client.groups.update(b)["tags"] == {"azmltest": "other"}
        assert client.groups.update(b, tags={})["tags"] in ({}, None)
        with pytest.raises(azml.ValidationError):
            client.groups.list(tag="=x")
    finally:
        client.groups.delete(a)
        client.groups.delete(b)


def test_the_async_client_does_the_same(aclient, emu, workspace):
    rg, ws, created = workspace

    async def go():
        async with aclient:
            upn = f"{unique('u')}@azml-emulator.onmicrosoft.com"
            oid = emu.add_user(upn)
            shared = await aclient.workspaces.share(ws, resource_group=rg, user=upn, role="Reader")
            assert shared["properties"]["principalId"] == oid
            again = await aclient.workspaces.share(ws, resource_group=rg, user=oid, role=READER)
            assert again["name"] == shared["name"]
            with pytest.raises(azml.ResourceNotFoundError):
                await aclient.workspaces.share(ws, resource_group=rg, user="no@x.example",
                                               role="Reader")  # fmt: skip
            keys, diagnosis, synced = await asyncio.gather(
                aclient.workspaces.list_keys(ws, resource_group=rg),
                aclient.workspaces.diagnose(ws, resource_group=rg),
                aclient.workspaces.sync_keys(ws, resource_group=rg),
            )
            assert "userStorageKey" in keys and "value" in diagnosis and synced is None
            sa = created["storageAccount"].rsplit("/", 1)[1]
            assert (await aclient.storage_accounts.show(sa))["name"] == sa
            groups = await aclient.groups.list(tag="nosuchtag-azml")
            assert groups == []

    asyncio.run(go())


def test_graph_endpoint_is_configurable_and_defaults(emu):
    cred = emu.credential
    sub = emu.subscription_id
    c = azml.Client(subscription_id=sub, credential=cred, endpoint=emu.url)
    assert c.graph_endpoint == emu.url == emu.graph_endpoint
    c = azml.Client(subscription_id=sub, credential=cred, endpoint="https://management.azure.com")
    assert c.graph_endpoint == "https://graph.microsoft.com"
    c = azml.Client(subscription_id=sub, credential=cred, cloud="AzureChinaCloud")
    assert c.graph_endpoint == "https://microsoftgraph.chinacloudapi.cn"
    c = azml.Client(subscription_id=sub, credential=cred, endpoint=emu.url,
                    graph_endpoint="http://127.0.0.1:9")  # fmt: skip
    assert c.graph_endpoint == "http://127.0.0.1:9"
    with pytest.raises(azml.ValidationError):
        azml.Client(subscription_id=sub, credential=cred, graph_endpoint="https://g.example/v1")


def test_a_graph_that_is_down_fails_share_before_any_write(emu, workspace):
    rg, ws, _ = workspace
    c = azml.Client(subscription_id=emu.subscription_id, credential=emu.credential,
                    endpoint=emu.url, graph_endpoint="http://127.0.0.1:9")  # fmt: skip
    before = role_assignments(emu, rg, ws)
    with pytest.raises(azml.AzureError):
        c.workspaces.share(ws, resource_group=rg, user=DEFAULT_USER, role="Reader")
    assert role_assignments(emu, rg, ws) == before
