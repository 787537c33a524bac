"""azure-mgmt-storage, azure-mgmt-keyvault and azure-mgmt-applicationinsights."""

from __future__ import annotations

import pytest
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from sdk_support import LOCATION, unique


def test_storage_account_create_get_list_delete(storage, group):
    accounts = storage.storage_accounts
    name = unique("confsa")
    created = accounts.begin_create(
        group,
        name,
        {"location": LOCATION, "sku": {"name": "Standard_LRS"}, "kind": "StorageV2"},
    ).result()
    assert created.name == name
    assert created.sku.name == "Standard_LRS"
    assert created.kind == "StorageV2"
    assert created.provisioning_state == "Succeeded"
    assert created.primary_endpoints.blob == f"https://{name}.blob.core.windows.net/"

    got = accounts.get_properties(group, name)
    assert got.id == created.id

    second = unique("confsb")
    accounts.begin_create(
        group, second, {"location": LOCATION, "sku": {"name": "Standard_GRS"}, "kind": "StorageV2"}
    ).result()
    assert sorted(a.name for a in accounts.list_by_resource_group(group)) == sorted([name, second])

    accounts.delete(group, name)
    with pytest.raises(ResourceNotFoundError):
        accounts.get_properties(group, name)
    assert [a.name for a in accounts.list_by_resource_group(group)] == [second]


def test_storage_account_names_are_global(storage, group, resources):
    other = unique("conf-rg-")
    resources.resource_groups.create_or_update(other, {"location": LOCATION})
    try:
        name = unique("confsa")
        body = {"location": LOCATION, "sku": {"name": "Standard_LRS"}, "kind": "StorageV2"}
        storage.storage_accounts.begin_create(group, name, body).result()
        with pytest.raises(HttpResponseError) as err:
            storage.storage_accounts.begin_create(other, name, body).result()
        assert err.value.status_code == 409
        assert err.value.error.code == "StorageAccountAlreadyTaken"
    finally:
        resources.resource_groups.begin_delete(other).result()


def _vault_body(emu, **props):
    return {
        "location": LOCATION,
        "properties": {
            "tenant_id": emu.tenant_id,
            "sku": {"family": "A", "name": "standard"},
            "access_policies": [],
            **props,
        },
    }


def test_key_vault_create_get_delete_get_deleted_purge(emu, keyvault, group):
    vaults = keyvault.vaults
    name = unique("conf-kv-")
    created = vaults.begin_create_or_update(group, name, _vault_body(emu)).result()
    assert created.name == name
    assert created.properties.vault_uri == f"https://{name}.vault.azure.net/"
    assert created.properties.provisioning_state == "Succeeded"
    assert created.properties.tenant_id == emu.tenant_id

    got = vaults.get(group, name)
    assert got.id == created.id
    assert got.properties.sku.name == "standard"

    vaults.delete(group, name)
    with pytest.raises(ResourceNotFoundError):
        vaults.get(group, name)

    deleted = vaults.get_deleted(name, LOCATION)
    assert deleted.name == name
    assert deleted.properties.vault_id.lower() == created.id.lower()
    assert name in [v.name for v in vaults.list_deleted()]

    # A soft-deleted vault keeps its name taken until it is purged.
    with pytest.raises(HttpResponseError) as err:
        vaults.begin_create_or_update(group, name, _vault_body(emu)).result()
    assert err.value.status_code == 409

    vaults.begin_purge_deleted(name, LOCATION).result()
    with pytest.raises(ResourceNotFoundError):
        vaults.get_deleted(name, LOCATION)
    again = vaults.begin_create_or_update(group, name, _vault_body(emu)).result()
    assert again.name == name


def test_application_insights_component(emu, credential, client_kwargs, group):
    from azure.mgmt.applicationinsights import ApplicationInsightsManagementClient

    with ApplicationInsightsManagementClient(
        credential, emu.subscription_id, **client_kwargs
    ) as ai:
        name = unique("conf-ai-")
        created = ai.components.create_or_update(
            group, name, {"location": LOCATION, "kind": "web", "application_type": "web"}
        )
        assert created.name == name
        assert created.instrumentation_key
        assert created.connection_string.startswith(
            f"InstrumentationKey={created.instrumentation_key}"
        )
        assert ai.components.get(group, name).app_id == created.app_id
        ai.components.delete(group, name)
        with pytest.raises(ResourceNotFoundError):
            ai.components.get(group, name)
