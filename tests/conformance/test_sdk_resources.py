"""azure-mgmt-resource against the emulator: resource groups end to end."""

from __future__ import annotations

import pytest
from azure.core.exceptions import ResourceNotFoundError
from sdk_support import LOCATION, PAGE_SIZE, unique


def test_group_create_get_update_exists_delete(resources):
    groups = resources.resource_groups
    name = unique("conf-rg-")
    assert groups.check_existence(name) is False

    created = groups.create_or_update(name, {"location": LOCATION, "tags": {"env": "test"}})
    assert created.name == name
    assert created.location == LOCATION
    assert created.tags == {"env": "test"}
    assert created.properties.provisioning_state == "Succeeded"
    assert (
        created.id.lower()
        == f"/subscriptions/{resources._config.subscription_id}/resourcegroups/{name}".lower()
    )
    assert groups.check_existence(name) is True

    got = groups.get(name)
    assert (got.id, got.name, got.location, got.tags) == (
        created.id,
        name,
        LOCATION,
        {"env": "test"},
    )

    updated = groups.update(name, {"tags": {"env": "prod", "owner": "conformance"}})
    assert updated.tags == {"env": "prod", "owner": "conformance"}
    assert groups.get(name).tags == {"env": "prod", "owner": "conformance"}

    poller = groups.begin_delete(name)
    assert poller.result() is None
    assert poller.status() == "Succeeded"
    assert groups.check_existence(name) is False
    with pytest.raises(ResourceNotFoundError) as err:
        groups.get(name)
    assert err.value.error.code == "ResourceGroupNotFound"


def test_group_list_follows_next_link_across_pages(resources):
    groups = resources.resource_groups
    tag = unique("page")
    names = [unique("conf-page-") for _ in range(2 * PAGE_SIZE + 1)]
    for name in names:
        groups.create_or_update(name, {"location": LOCATION, "tags": {"batch": tag}})
    try:
        pages = [
            [g.name for g in page]
            for page in groups.list(filter=f"tagName eq 'batch' and tagValue eq '{tag}'").by_page()
        ]
        assert len(pages) >= 3, pages
        assert all(len(p) <= PAGE_SIZE for p in pages)
        assert sorted(n for p in pages for n in p) == sorted(names)

        everything = [g.name for g in groups.list()]
        assert set(names) <= set(everything)
        assert len(everything) == len(set(everything)), "a page repeated a group"
    finally:
        pollers = [groups.begin_delete(n) for n in names]
        for p in pollers:
            p.result()


def test_group_location_is_immutable(resources, group):
    from azure.core.exceptions import HttpResponseError

    with pytest.raises(HttpResponseError) as err:
        resources.resource_groups.create_or_update(group, {"location": "westeurope"})
    assert err.value.status_code == 409
    assert err.value.error.code == "InvalidResourceGroupLocation"


def test_ca_bundle_from_environment(emu, credential, monkeypatch):
    """REQUESTS_CA_BUNDLE alone (no connection_verify) is enough, as the docs say."""
    from azure.mgmt.resource.resources import ResourceManagementClient

    monkeypatch.setenv("REQUESTS_CA_BUNDLE", emu.ca_file)
    with ResourceManagementClient(
        credential,
        emu.subscription_id,
        base_url=emu.url,
        credential_scopes=["https://management.azure.com/.default"],
    ) as client:
        assert client.resource_groups.check_existence(unique("conf-none-")) is False
