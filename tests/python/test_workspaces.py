import asyncio

import pytest

import azml
from helpers import unique

# The keys of the documentation's `az ml workspace create` example (seed document): the
# v1 dict has every one of them.
DOC_CREATE_KEYS = {
    "applicationInsights", "creationTime", "description", "friendlyName", "id",
    "identityPrincipalId", "identityTenantId", "identityType", "keyVault", "location",
    "name", "resourceGroup", "storageAccount", "type", "workspaceid",
}  # fmt: skip
# Keys v1 may have besides those (AZ-OUTPUT.md), when the ARM body has them.
V1_OPTIONAL_KEYS = {
    "containerRegistry", "discoveryUrl", "hbiWorkspace", "imageBuildCompute",
    "provisioningState", "allowPublicAccessWhenBehindVnet", "primaryUserAssignedIdentity",
    "privateEndpointConnections", "serviceProvisionedResourceGroup", "tags", "sku",
    "cmkKeyvault", "resourceCmkUri",
}  # fmt: skip


def test_create_with_auto_created_dependents(client, group, emu):
    ws = client.workspaces.create(unique("ws"), resource_group=group)
    assert DOC_CREATE_KEYS <= set(ws) <= DOC_CREATE_KEYS | V1_OPTIONAL_KEYS
    assert list(ws) == sorted(ws)
    assert ws["resourceGroup"] == group
    assert ws["location"] == "eastus"  # the group's
    assert ws["type"] == "Microsoft.MachineLearningServices/workspaces"
    assert ws["id"].startswith(f"/subscriptions/{emu.subscription_id}/resourceGroups/{group}/")
    for key, provider in [
        ("storageAccount", "microsoft.storage/storageaccounts/"),
        ("keyVault", "microsoft.keyvault/vaults/"),
        ("applicationInsights", "microsoft.insights/components/"),
    ]:
        assert provider in ws[key].lower(), key
    assert None not in ws.values()


def test_list_show_update_delete(client, group, emu):
    name = unique("ws")
    created = client.workspaces.create(name, resource_group=group, tags={"a": "1"})

    entries = client.workspaces.list(resource_group=group)
    assert entries == [
        {"resourceGroup": group, "subscriptionId": emu.subscription_id, "workspaceName": name}
    ]
    assert {"resourceGroup": group, "subscriptionId": emu.subscription_id,
            "workspaceName": name} in client.workspaces.list()  # fmt: skip

    shown = client.workspaces.show(name, resource_group=group)
    assert shown["id"] == created["id"]
    assert shown["tags"] == {"a": "1"}

    updated = client.workspaces.update(name, resource_group=group, description="new words")
    assert updated["description"] == "new words"
    assert updated["tags"] == {"a": "1"}  # omitted tags are kept (the old CLI wiped them)
    updated = client.workspaces.update(name, resource_group=group, tags={"b": "2"})
    assert updated["tags"] == {"b": "2"}
    assert updated["description"] == "new words"

    assert client.workspaces.delete(name, resource_group=group) is None
    assert client.workspaces.list(resource_group=group) == []
    with pytest.raises(azml.ResourceNotFoundError):
        client.workspaces.show(name, resource_group=group)


def test_group_delete_takes_its_workspaces(client):
    group = unique("rg")
    client.groups.create(group, location="eastus")
    client.workspaces.create(unique("ws"), resource_group=group)
    client.groups.delete(group)
    assert client.groups.exists(group) is False
    with pytest.raises(azml.ResourceNotFoundError):
        client.groups.show(group)


def test_missing_workspace_is_a_typed_error(client, group):
    with pytest.raises(azml.ResourceNotFoundError) as info:
        client.workspaces.show(unique("missing"), resource_group=group)
    err = info.value
    assert isinstance(err, azml.HttpResponseError)
    assert isinstance(err, azml.AzureError)
    assert err.status == 404
    assert err.code
    assert err.request_id
    assert err.message
    assert "404" in str(err)


def test_missing_workspace_async(aclient, group):
    async def scenario():
        with pytest.raises(azml.ResourceNotFoundError) as info:
            await aclient.workspaces.show(unique("missing"), resource_group=group)
        assert info.value.status == 404

    asyncio.run(scenario())


@pytest.mark.parametrize(
    "name",
    ["", "has space", "a" * 100, "bad/slash"],
)
def test_bad_workspace_names_are_rejected_before_sending(client, group, name):
    with pytest.raises(azml.ValidationError):
        client.workspaces.create(name, resource_group=group)


def test_validation_error_is_a_value_error(client, group):
    with pytest.raises(ValueError):
        client.workspaces.show("has space", resource_group=group)


@pytest.mark.parametrize(
    "kwargs",
    [{"hbi_workspace": "yes"}, {"tags": {"a": 1}}, {"tags": "a=b"}, {"location": 12}],
)
def test_wrong_argument_type_is_a_validation_error(client, group, kwargs):
    with pytest.raises(azml.ValidationError):
        client.workspaces.create(unique("ws"), resource_group=group, **kwargs)


@pytest.mark.parametrize("output", ["v2", "arm"])
def test_other_output_formats(emu, group, output):
    name = unique("ws")
    c = azml.Client(subscription_id=emu.subscription_id, credential=emu.credential,
                    endpoint=emu.url, output=output)  # fmt: skip
    ws = c.workspaces.create(name, resource_group=group)
    if output == "v2":
        assert ws["name"] == name
        assert ws["resource_group"] == group
        assert "friendlyName" not in ws
    else:
        assert ws["name"] == name
        assert ws["type"] == "Microsoft.MachineLearningServices/workspaces"
        assert "properties" in ws
    c.workspaces.delete(name, resource_group=group)


def test_unknown_output_format(emu):
    with pytest.raises(azml.ValidationError):
        azml.Client(subscription_id=emu.subscription_id, credential=emu.credential,
                    endpoint=emu.url, output="v3")  # fmt: skip


def test_any_object_with_get_token_is_a_credential(emu, group):
    class Wrapping:
        """Like an azure-identity credential: get_token(*scopes) -> .token, .expires_on."""

        def __init__(self, inner):
            self.inner = inner
            self.scopes = []

        def get_token(self, *scopes):
            self.scopes.append(scopes)
            return self.inner.get_token(*scopes)

    cred = Wrapping(emu.credential)
    c = azml.Client(subscription_id=emu.subscription_id, credential=cred, endpoint=emu.url)
    assert c.workspaces.list(resource_group=group) == []
    ac = azml.AsyncClient(subscription_id=emu.subscription_id, credential=cred,
                          endpoint=emu.url)  # fmt: skip
    assert asyncio.run(ac.groups.exists(group)) is True
    assert cred.scopes, "the Python credential was never asked for a token"
    assert all(s and all(x.endswith("/.default") for x in s) for s in cred.scopes)


def test_failing_python_credential_is_an_authentication_error(emu):
    class Broken:
        def get_token(self, *scopes):
            raise RuntimeError("no token today")

    c = azml.Client(subscription_id=emu.subscription_id, credential=Broken(), endpoint=emu.url)
    with pytest.raises(azml.ClientAuthenticationError):
        c.groups.list()


def test_async_cancellation_does_not_break_the_client(aclient, group):
    async def scenario():
        task = asyncio.ensure_future(aclient.workspaces.list(resource_group=group))
        await asyncio.sleep(0)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert await aclient.groups.exists(group) is True

    asyncio.run(scenario())


def test_call_async_outside_a_loop_is_an_error(aclient):
    with pytest.raises(RuntimeError):
        aclient._core.call_async("group.list", {})
