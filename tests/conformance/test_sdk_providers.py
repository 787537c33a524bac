"""azure-mgmt-resource's providers operations: registration state, register and
unregister, and the 409 MissingSubscriptionRegistration of an unregistered namespace as
azure-mgmt-core reads it. Also a second principal refused (403) through azure-identity."""

from __future__ import annotations

import logging
import types
import uuid

import pytest
from azure.core.exceptions import HttpResponseError

NS = "Microsoft.Storage"


def test_providers_are_registered(resources):
    ml = resources.providers.get("Microsoft.MachineLearningServices")
    assert ml.namespace == "Microsoft.MachineLearningServices"
    assert ml.registration_state == "Registered"
    assert "workspaces" in [t.resource_type for t in ml.resource_types]
    states = {p.namespace: p.registration_state for p in resources.providers.list()}
    assert states[NS] == "Registered"
    assert states["Microsoft.Resources"] == "Registered"


def test_register_and_unregister(emu, resources):
    assert emu.set_provider_registered(NS, False) == "NotRegistered"
    try:
        assert resources.providers.get(NS).registration_state == "NotRegistered"
        registered = resources.providers.register(NS)
        assert registered.namespace == NS
        # Under the `instant` latency profile, registration completes at once.
        assert registered.registration_state == "Registered"
        assert resources.providers.get(NS).registration_state == "Registered"
        assert resources.providers.unregister(NS).registration_state == "Unregistered"
        assert resources.providers.get(NS).registration_state == "Unregistered"
    finally:
        emu.set_provider_registered(NS, True)
    assert resources.providers.get(NS).registration_state == "Registered"


def test_the_sdk_registers_a_missing_provider_by_itself(
    emu, resources, storage, group, monkeypatch, caplog
):
    """azure-mgmt-core's ARMAutoResourceProviderRegistrationPolicy recognises the 409 (its
    code, and the namespace quoted in the message), registers the namespace, polls the
    provider until `Registered` and retries: proof the emulator's answer is ARM's."""
    from azure.mgmt.core.policies import _base

    # The policy sleeps 10 s between polls; the emulator (`instant`) needs none.
    monkeypatch.setattr(_base, "time", types.SimpleNamespace(sleep=lambda s: None))
    assert emu.set_provider_registered(NS, False) == "NotRegistered"
    try:
        with caplog.at_level(logging.WARNING, logger="azure.mgmt.core"):
            assert list(storage.storage_accounts.list_by_resource_group(group)) == []
        assert f"Resource provider '{NS}' used by this operation is not registered" in caplog.text
        assert "Registration succeeded." in caplog.text
        assert resources.providers.get(NS).registration_state == "Registered"
    finally:
        emu.set_provider_registered(NS, True)


def test_second_principal_is_refused_until_given_a_role(
    emu, client_kwargs, resources, authorization, group
):
    from azure.identity import ClientSecretCredential
    from azure.mgmt.resource.resources import ResourceManagementClient

    sp = emu.add_service_principal()
    cred = ClientSecretCredential(
        sp.tenant_id,
        sp.client_id,
        sp.client_secret,
        authority=emu.url,
        disable_instance_discovery=True,
        connection_verify=emu.ca_file,
    )
    try:
        with ResourceManagementClient(cred, emu.subscription_id, **client_kwargs) as theirs:
            with pytest.raises(HttpResponseError) as err:
                theirs.resource_groups.get(group)
            assert err.value.status_code == 403
            assert err.value.error.code == "AuthorizationFailed"
            assert f"with object id '{sp.object_id}'" in err.value.error.message

            scope = resources.resource_groups.get(group).id
            roles = authorization.role_definitions.list(scope, filter="roleName eq 'Reader'")
            reader = next(iter(roles))
            authorization.role_assignments.create(
                scope,
                str(uuid.uuid4()),
                {"role_definition_id": reader.id, "principal_id": sp.object_id},
            )
            assert theirs.resource_groups.get(group).name == group
            with pytest.raises(HttpResponseError) as err:
                theirs.resource_groups.create_or_update(group, {"location": "westeurope"})
            assert err.value.status_code == 403
    finally:
        cred.close()
