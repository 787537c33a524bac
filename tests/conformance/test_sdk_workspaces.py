"""azure-mgmt-machinelearningservices: a workspace's life, through the SDK's own pollers."""

from __future__ import annotations

import pytest
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from sdk_support import LOCATION, unique


def _maybe_poll(ops, name: str, *args, **kwargs):
    """Calls `begin_<name>` and waits when this SDK version makes it long-running (the API
    versions of later SDK releases do), else the plain method."""
    begin = getattr(ops, f"begin_{name}", None)
    if begin is not None:
        return begin(*args, **kwargs).result()
    return getattr(ops, name)(*args, **kwargs)


@pytest.fixture
def dependents(emu, group, storage, keyvault, credential, client_kwargs):
    """Ids of a storage account, key vault and App Insights component in `group`."""
    from azure.mgmt.applicationinsights import ApplicationInsightsManagementClient

    sa = storage.storage_accounts.begin_create(
        group,
        unique("confws"),
        {"location": LOCATION, "sku": {"name": "Standard_LRS"}, "kind": "StorageV2"},
    ).result()
    kv = keyvault.vaults.begin_create_or_update(
        group,
        unique("conf-wskv-"),
        {
            "location": LOCATION,
            "properties": {
                "tenant_id": emu.tenant_id,
                "sku": {"family": "A", "name": "standard"},
                "access_policies": [],
            },
        },
    ).result()
    with ApplicationInsightsManagementClient(
        credential, emu.subscription_id, **client_kwargs
    ) as ai_client:
        ai = ai_client.components.create_or_update(
            group,
            unique("conf-wsai-"),
            {"location": LOCATION, "kind": "web", "application_type": "web"},
        )
    return {"storage_account": sa.id, "key_vault": kv.id, "application_insights": ai.id}


def test_workspace_lifecycle(emu, ml, group, dependents):
    workspaces = ml.workspaces
    name = unique("conf-ws-")
    created = workspaces.begin_create_or_update(
        group,
        name,
        {
            "location": LOCATION,
            "identity": {"type": "SystemAssigned"},
            "friendly_name": "Conformance",
            "description": "made by the SDK",
            **dependents,
        },
    ).result()
    assert created.name == name
    assert created.provisioning_state == "Succeeded"
    assert created.friendly_name == "Conformance"
    assert created.storage_account.lower() == dependents["storage_account"].lower()
    assert created.key_vault.lower() == dependents["key_vault"].lower()
    assert created.application_insights.lower() == dependents["application_insights"].lower()
    # Server-generated fields Azure adds on create (ARM-CONTRACT.md §2).
    assert created.workspace_id
    assert created.discovery_url == f"https://{LOCATION}.api.azureml.ms/discovery"
    assert created.identity.principal_id
    assert created.identity.tenant_id == emu.tenant_id

    got = workspaces.get(group, name)
    assert (got.id, got.workspace_id) == (created.id, created.workspace_id)

    second = unique("conf-ws-")
    workspaces.begin_create_or_update(group, second, {"location": LOCATION, **dependents}).result()
    assert sorted(w.name for w in workspaces.list_by_resource_group(group)) == sorted(
        [name, second]
    )
    everywhere = [w.name for w in workspaces.list_by_subscription()]
    assert {name, second} <= set(everywhere)
    assert len(everywhere) == len(set(everywhere)), "a page repeated a workspace"

    updated = _maybe_poll(
        workspaces, "update", group, name, {"tags": {"stage": "dev"}, "description": "updated"}
    )
    assert updated.tags == {"stage": "dev"}
    assert updated.description == "updated"
    assert workspaces.get(group, name).description == "updated"

    keys = workspaces.list_keys(group, name)
    assert keys.user_storage_resource_id.lower() == dependents["storage_account"].lower()
    assert keys.user_storage_key
    assert keys.app_insights_instrumentation_key
    _maybe_poll(workspaces, "resync_keys", group, name)

    poller = workspaces.begin_delete(group, name)
    poller.result()
    assert poller.status() == "Succeeded"
    with pytest.raises(ResourceNotFoundError):
        workspaces.get(group, name)
    assert [w.name for w in workspaces.list_by_resource_group(group)] == [second]


def test_workspace_immutable_storage_account(ml, group, dependents, storage):
    name = unique("conf-ws-")
    ml.workspaces.begin_create_or_update(group, name, {"location": LOCATION, **dependents}).result()
    other = storage.storage_accounts.begin_create(
        group,
        unique("confwt"),
        {"location": LOCATION, "sku": {"name": "Standard_LRS"}, "kind": "StorageV2"},
    ).result()
    with pytest.raises(HttpResponseError) as err:
        ml.workspaces.begin_create_or_update(
            group, name, {"location": LOCATION, **dict(dependents, storage_account=other.id)}
        ).result()
    assert err.value.status_code == 400


def test_workspace_in_missing_group(ml, dependents):
    with pytest.raises(ResourceNotFoundError) as err:
        ml.workspaces.get(unique("conf-missing-"), "nothing")
    assert err.value.error.code == "ResourceGroupNotFound"
