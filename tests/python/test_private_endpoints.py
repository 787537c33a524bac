"""`workspaces.create(..., pe_name=...)` against the emulator: the virtual network is made
first with plain ARM calls (as `az network vnet create` would), then the workspace, and the
emulator's own state is read back to check what the client did."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any, Optional

import pytest

import azml
from helpers import unique

NETWORK = "2025-07-01"
ML = "2025-12-01"


def arm(emu, method: str, path: str, version: str, body: Optional[dict] = None) -> Any:
    token = emu.credential.get_token("https://management.azure.com/.default").token
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(
        f"{emu.url}/subscriptions/{emu.subscription_id}{path}?api-version={version}",
        data=data,
        method=method,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(req, timeout=30) as resp:
        raw = resp.read()
        return json.loads(raw) if raw else None


def vnet(emu, rg: str, name: str, location: str = "eastus") -> dict:
    body = {
        "location": location,
        "properties": {
            "addressSpace": {"addressPrefixes": ["10.0.0.0/16"]},
            "subnets": [{"name": "default", "properties": {"addressPrefix": "10.0.0.0/24"}}],
        },
    }
    created = arm(
        emu, "PUT", f"/resourceGroups/{rg}/providers/Microsoft.Network/virtualNetworks/{name}",
        NETWORK, body,
    )  # fmt: skip
    # The emulator runs with latency "instant": the operation is over when the PUT answers.
    assert created["properties"]["provisioningState"] == "Succeeded"
    return created


def endpoint(emu, rg: str, name: str) -> dict:
    return arm(
        emu, "GET", f"/resourceGroups/{rg}/providers/Microsoft.Network/privateEndpoints/{name}",
        NETWORK,
    )  # fmt: skip


def arm_workspace(emu, rg: str, name: str) -> dict:
    return arm(
        emu, "GET",
        f"/resourceGroups/{rg}/providers/Microsoft.MachineLearningServices/workspaces/{name}",
        ML,
    )  # fmt: skip


@pytest.mark.parametrize("auto", [True, False], ids=["auto", "manual"])
def test_create_with_private_endpoint(client, group, emu, auto):
    vnet(emu, group, "vnet1")
    ws_name, pe_name = unique("ws"), unique("pe")
    ws = client.workspaces.create(
        ws_name, resource_group=group, pe_name=pe_name, pe_auto_approval=auto,
        pe_resource_group=group, pe_vnet_name="vnet1", pe_subnet_name="default",
    )  # fmt: skip
    status = "Approved" if auto else "Pending"

    # What the user gets: the v1 dict, with the connection as the service reports it.
    [conn] = ws["privateEndpointConnections"]
    pe_id = (
        f"/subscriptions/{emu.subscription_id}/resourceGroups/{group}/providers/"
        f"Microsoft.Network/privateEndpoints/{pe_name}"
    )
    assert conn["properties"]["privateEndpoint"]["id"] == pe_id
    assert conn["properties"]["privateLinkServiceConnectionState"]["status"] == status
    assert conn["id"].startswith(f"{ws['id']}/privateEndpointConnections/")
    assert list(ws) == sorted(ws)

    # The emulator's own view: the workspace counts it, the endpoint points at it.
    body = arm_workspace(emu, group, ws_name)
    assert body["properties"]["privateLinkCount"] == 1
    assert body["properties"]["privateEndpointConnections"] == [conn]
    pe = endpoint(emu, group, pe_name)
    assert pe["properties"]["provisioningState"] == "Succeeded"
    assert pe["properties"]["subnet"]["id"].endswith("/virtualNetworks/vnet1/subnets/default")
    used, unused = (
        ("privateLinkServiceConnections", "manualPrivateLinkServiceConnections")
        if auto
        else ("manualPrivateLinkServiceConnections", "privateLinkServiceConnections")
    )
    assert pe["properties"][unused] == []
    [pe_conn] = pe["properties"][used]
    assert pe_conn["properties"]["privateLinkServiceId"] == ws["id"]
    assert pe_conn["properties"]["groupIds"] == ["amlworkspace"]
    assert pe_conn["properties"]["privateLinkServiceConnectionState"]["status"] == status


def test_manual_connection_approved_from_the_workspace(client, group, emu):
    vnet(emu, group, "vnet1")
    ws_name, pe_name = unique("ws"), unique("pe")
    ws = client.workspaces.create(
        ws_name, resource_group=group, pe_name=pe_name, pe_vnet_name="vnet1"
    )
    [conn] = ws["privateEndpointConnections"]
    path = (
        f"/resourceGroups/{group}/providers/Microsoft.MachineLearningServices/workspaces/"
        f"{ws_name}/privateEndpointConnections/{conn['name']}"
    )
    approved = arm(
        emu, "PUT", path, ML,
        {"properties": {"privateLinkServiceConnectionState": {"status": "Approved"}}},
    )  # fmt: skip
    assert approved["properties"]["privateLinkServiceConnectionState"]["status"] == "Approved"
    shown = client.workspaces.show(ws_name, resource_group=group)
    state = shown["privateEndpointConnections"][0]["properties"][
        "privateLinkServiceConnectionState"
    ]
    assert state["status"] == "Approved"
    pe = endpoint(emu, group, pe_name)
    [pe_conn] = pe["properties"]["manualPrivateLinkServiceConnections"]
    assert pe_conn["properties"]["privateLinkServiceConnectionState"]["status"] == "Approved"


def test_az_flags(client, group, emu):
    vnet(emu, group, "net1")
    ws_name = unique("ws")
    out = azml.az(
        ["ml", "workspace", "create", "-w", ws_name, "-g", group, "--pe-name", "endpoint1",
         "--pe-vnet-name", "net1", "--pe-auto-approval"],
        client=client,
    )  # fmt: skip
    [conn] = out["privateEndpointConnections"]
    assert conn["properties"]["privateLinkServiceConnectionState"]["status"] == "Approved"


def test_missing_subnet_creates_nothing(client, group, emu):
    vnet(emu, group, "vnet1")
    ws_name = unique("ws")
    with pytest.raises(azml.ResourceNotFoundError) as err:
        client.workspaces.create(
            ws_name, resource_group=group, pe_name="pe1", pe_vnet_name="vnet1",
            pe_subnet_name="nope",
        )  # fmt: skip
    assert "its subnets are default" in str(err.value)
    assert "nothing was created" in str(err.value)
    assert client.workspaces.list(resource_group=group) == []
    for provider, version in [
        ("Microsoft.Storage/storageAccounts", "2025-01-01"),
        ("Microsoft.KeyVault/vaults", "2025-05-01"),
        ("Microsoft.Network/privateEndpoints", NETWORK),
    ]:
        found = arm(emu, "GET", f"/resourceGroups/{group}/providers/{provider}", version)
        assert found["value"] == [], provider


def test_pe_options_need_pe_name(client, group):
    with pytest.raises(azml.ValidationError):
        client.workspaces.create(unique("ws"), resource_group=group, pe_vnet_name="vnet1")
    with pytest.raises(azml.ValidationError):
        client.workspaces.create(unique("ws"), resource_group=group, pe_name="pe1")


def test_subnet_in_use_cannot_be_deleted(client, group, emu):
    vnet(emu, group, "vnet1")
    client.workspaces.create(
        unique("ws"), resource_group=group, pe_name="pe1", pe_vnet_name="vnet1"
    )
    with pytest.raises(urllib.error.HTTPError) as err:
        arm(
            emu, "DELETE",
            f"/resourceGroups/{group}/providers/Microsoft.Network/virtualNetworks/vnet1/subnets/default",
            NETWORK,
        )  # fmt: skip
    assert err.value.code == 400
    assert json.load(err.value)["error"]["code"] == "InUseSubnetCannotBeDeleted"
