"""The emulator enforces role assignments: `workspaces.share` really grants access."""

from __future__ import annotations

import pytest

import azml
from helpers import unique


def test_share_gives_a_service_principal_access(client, emu, group):
    ws = unique("ws")
    client.workspaces.create(ws, resource_group=group)
    sp = emu.add_service_principal()
    assert sp.client_id not in (emu.client_id, sp.object_id)
    with azml.Client(
        subscription_id=emu.subscription_id, credential=sp.credential, endpoint=emu.url
    ) as other:
        with pytest.raises(azml.errors.AuthorizationError) as info:
            other.workspaces.show(ws, resource_group=group)
        assert info.value.status == 403
        assert info.value.code == "AuthorizationFailed"
        assert f"with object id '{sp.object_id}'" in info.value.message
        assert "'Microsoft.MachineLearningServices/workspaces/read'" in info.value.message

        shared = client.workspaces.share(
            ws, resource_group=group, user=sp.client_id, role="Contributor"
        )
        assert shared["properties"]["principalId"] == sp.object_id
        assert shared["properties"]["principalType"] == "ServicePrincipal"

        assert other.workspaces.show(ws, resource_group=group)["name"] == ws
        updated = other.workspaces.update(ws, resource_group=group, description="by the SP")
        assert updated["description"] == "by the SP"
        # The role is the workspace's: the group stays out of reach, and Contributor may
        # not hand out roles.
        with pytest.raises(azml.errors.AuthorizationError):
            other.groups.show(group)
        with pytest.raises(azml.errors.AuthorizationError) as info:
            other.workspaces.share(ws, resource_group=group, user=sp.client_id, role="Reader")
        assert "'Microsoft.Authorization/roleAssignments/write'" in info.value.message


def test_a_second_principal_reuses_its_id_and_hides_its_secret(emu):
    app_id = unique("app")
    first = emu.add_service_principal(app_id, "s3cret-value-1")
    again = emu.add_service_principal(app_id)
    assert (first.client_id, first.object_id) == (again.client_id, again.object_id)
    assert first.client_secret == again.client_secret == "s3cret-value-1"
    assert "s3cret-value-1" not in repr(first)
    assert "s3cret-value-1" not in repr(first.credential)


def test_unregistered_namespace_is_registered_by_the_client_then_the_call_retried(
    client, emu, group
):
    # ARM answers 409 MissingSubscriptionRegistration; azml registers the namespace (as the
    # Azure SDKs' policy does) and sends the request again, which then finds no registry.
    ns = "Microsoft.ContainerRegistry"
    assert emu.set_provider_registered(ns, False) == "NotRegistered"
    with pytest.raises(azml.errors.ResourceNotFoundError):
        client.container_registries.show(unique("acr"), resource_group=group)
    states = {
        p["namespace"]: p["registrationState"] for p in emu._admin("GET", "providers")["value"]
    }
    assert states[ns] == "Registered"
    refused = [
        e
        for e in emu._admin("GET", "journal")["value"]
        if e["status"] == 409 and "/providers/Microsoft.ContainerRegistry/" in e["path"]
    ]
    assert refused, "the first request was refused 409 before the registration"
