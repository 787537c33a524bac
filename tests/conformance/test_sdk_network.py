"""azure-mgmt-network (virtual networks, subnets, private endpoints) and the private endpoint
connections of azure-mgmt-machinelearningservices, through the SDKs' own pollers.

azure-mgmt-network's models read flattened (`vnet.address_space`), but a dict given as a
body is sent as it is: the bodies below are in the REST shape."""

from __future__ import annotations

import pytest
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from sdk_support import LOCATION, unique


@pytest.fixture
def workspace_id(emu, group, storage, keyvault, ml) -> str:
    """A workspace in `group` (App Insights left out: the emulator does not need it)."""
    sa = storage.storage_accounts.begin_create(
        group,
        unique("confpe"),
        {"location": LOCATION, "sku": {"name": "Standard_LRS"}, "kind": "StorageV2"},
    ).result()
    kv = keyvault.vaults.begin_create_or_update(
        group,
        unique("conf-pekv-"),
        {
            "location": LOCATION,
            "properties": {
                "tenant_id": emu.tenant_id,
                "sku": {"family": "A", "name": "standard"},
                "access_policies": [],
            },
        },
    ).result()
    ws = ml.workspaces.begin_create_or_update(
        group,
        unique("conf-pews-"),
        {
            "location": LOCATION,
            "identity": {"type": "SystemAssigned"},
            "storage_account": sa.id,
            "key_vault": kv.id,
        },
    ).result()
    return ws.id


def _vnet(network, group: str, name: str):
    return network.virtual_networks.begin_create_or_update(
        group,
        name,
        {
            "location": LOCATION,
            "properties": {
                "addressSpace": {"addressPrefixes": ["10.0.0.0/16"]},
                "subnets": [{"name": "default", "properties": {"addressPrefix": "10.0.0.0/24"}}],
            },
        },
    ).result()


def test_virtual_network_and_subnet_lifecycle(network, group):
    name = unique("vnet")
    created = _vnet(network, group, name)
    assert created.provisioning_state == "Succeeded"
    assert created.address_space.address_prefixes == ["10.0.0.0/16"]
    assert [s.name for s in created.subnets] == ["default"]

    subnet = network.subnets.begin_create_or_update(
        group, name, "second", {"properties": {"addressPrefix": "10.0.1.0/24"}}
    ).result()
    assert subnet.provisioning_state == "Succeeded"
    assert subnet.address_prefix == "10.0.1.0/24"
    assert sorted(s.name for s in network.subnets.list(group, name)) == ["default", "second"]
    assert [v.name for v in network.virtual_networks.list(group)] == [name]
    assert name in [v.name for v in network.virtual_networks.list_all()]

    with pytest.raises(HttpResponseError) as err:
        network.subnets.begin_create_or_update(
            group, name, "outside", {"properties": {"addressPrefix": "10.9.0.0/24"}}
        ).result()
    assert err.value.error.code == "NetcfgSubnetRangeOutsideVnet"

    network.subnets.begin_delete(group, name, "second").result()
    with pytest.raises(ResourceNotFoundError):
        network.subnets.get(group, name, "second")
    network.virtual_networks.begin_delete(group, name).result()
    with pytest.raises(ResourceNotFoundError):
        network.virtual_networks.get(group, name)


@pytest.mark.parametrize("manual", [False, True], ids=["auto", "manual"])
def test_private_endpoint_to_a_workspace(network, ml, group, workspace_id, manual):
    vnet_name, pe_name = unique("vnet"), unique("pe")
    vnet = _vnet(network, group, vnet_name)
    connection = {
        "name": "conn",
        "properties": {"privateLinkServiceId": workspace_id, "groupIds": ["amlworkspace"]},
    }
    key = "manualPrivateLinkServiceConnections" if manual else "privateLinkServiceConnections"
    pe = network.private_endpoints.begin_create_or_update(
        group,
        pe_name,
        {
            "location": LOCATION,
            "properties": {"subnet": {"id": vnet.subnets[0].id}, key: [connection]},
        },
    ).result()
    assert pe.provisioning_state == "Succeeded"
    assert pe.subnet.id == vnet.subnets[0].id
    conns = (
        pe.manual_private_link_service_connections
        if manual
        else pe.private_link_service_connections
    )
    assert conns[0].private_link_service_id == workspace_id
    status = "Pending" if manual else "Approved"
    assert conns[0].private_link_service_connection_state.status == status
    assert pe.network_interfaces[0].id
    assert [p.name for p in network.private_endpoints.list(group)] == [pe_name]

    # The SDK in requirements-dev (1.0, api-version 2020-08-01) has no connection list: the
    # workspace body carries them.
    ws_name = workspace_id.rsplit("/", 1)[1]
    ws = ml.workspaces.get(group, ws_name)
    assert ws.private_link_count == 1
    [wconn] = ws.private_endpoint_connections
    assert wconn.private_endpoint.id == pe.id
    assert wconn.private_link_service_connection_state.status == status
    assert ml.private_endpoint_connections.get(group, ws_name, wconn.name).id == wconn.id
    [resource] = ml.private_link_resources.list_by_workspace(group, ws_name).value
    assert resource.group_id == "amlworkspace"

    # Approve (or confirm) from the workspace side; the endpoint shows it.
    approved = ml.private_endpoint_connections.put(
        group,
        ws_name,
        wconn.name,
        {"private_link_service_connection_state": {"status": "Approved", "description": "ok"}},
    )
    assert approved.private_link_service_connection_state.status == "Approved"
    pe = network.private_endpoints.get(group, pe_name)
    conns = (
        pe.manual_private_link_service_connections
        if manual
        else pe.private_link_service_connections
    )
    assert conns[0].private_link_service_connection_state.status == "Approved"

    # The subnet is held until the endpoint goes.
    with pytest.raises(HttpResponseError) as err:
        network.subnets.begin_delete(group, vnet_name, "default").result()
    assert err.value.error.code == "InUseSubnetCannotBeDeleted"
    network.private_endpoints.begin_delete(group, pe_name).result()
    ws = ml.workspaces.get(group, ws_name)
    assert ws.private_link_count == 0
    assert not ws.private_endpoint_connections
    with pytest.raises(ResourceNotFoundError):
        ml.private_endpoint_connections.get(group, ws_name, wconn.name)
    network.subnets.begin_delete(group, vnet_name, "default").result()


def test_workspace_side_delete_disconnects_the_endpoint(network, ml, group, workspace_id):
    vnet = _vnet(network, group, unique("vnet"))
    pe_name = unique("pe")
    network.private_endpoints.begin_create_or_update(
        group,
        pe_name,
        {
            "location": LOCATION,
            "properties": {
                "subnet": {"id": vnet.subnets[0].id},
                "manualPrivateLinkServiceConnections": [
                    {
                        "name": "c",
                        "properties": {
                            "privateLinkServiceId": workspace_id,
                            "groupIds": ["amlworkspace"],
                        },
                    }
                ],
            },
        },
    ).result()
    ws_name = workspace_id.rsplit("/", 1)[1]
    [wconn] = ml.workspaces.get(group, ws_name).private_endpoint_connections
    ml.private_endpoint_connections.begin_delete(group, ws_name, wconn.name).result()
    pe = network.private_endpoints.get(group, pe_name)
    state = pe.manual_private_link_service_connections[0].private_link_service_connection_state
    assert state.status == "Disconnected"
