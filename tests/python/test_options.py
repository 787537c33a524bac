"""The create/update/list options of issue 5 that need no server: bad input is a typed
ValidationError raised before any request (the client points at a closed port, so a request
would fail with a different error)."""

import asyncio

import pytest

import azml

SUB = "00000000-0000-0000-0000-00000000000a"
UAI = (
    "/subscriptions/00000000-0000-0000-0000-00000000000a/resourceGroups/rg/providers/"
    "Microsoft.ManagedIdentity/userAssignedIdentities/id1"
)
SA = (
    "/subscriptions/00000000-0000-0000-0000-00000000000a/resourceGroups/rg/providers/"
    "Microsoft.Storage/storageAccounts/sa1"
)


@pytest.fixture
def offline(monkeypatch):
    monkeypatch.delenv("AZML_ENDPOINT", raising=False)
    cred = azml.ClientSecretCredential("tenant", "client", "not-a-real-secret")
    return (
        azml.Client(subscription_id=SUB, credential=cred, endpoint="http://127.0.0.1:9"),
        azml.AsyncClient(subscription_id=SUB, credential=cred, endpoint="http://127.0.0.1:9"),
    )


@pytest.mark.parametrize(
    "kwargs, words",
    [
        ({"sku": "enterprise"}, "Enterprise edition was retired"),
        ({"sku": "premium"}, "use 'basic'"),
        ({"primary_user_assigned_identity": SA}, "must be the id of a user-assigned identity"),
        ({"primary_user_assigned_identity": "id1"}, "must be the ARM id"),
        ({"v1_legacy_mode": "yes"}, "v1_legacy_mode must be True or False"),
        ({"keep_dependents_on_failure": 1}, "keep_dependents_on_failure must be True or False"),
    ],
)
def test_create_options_are_checked_before_any_request(offline, kwargs, words):
    sync, asyn = offline
    with pytest.raises(azml.ValidationError, match=words):
        sync.workspaces.create("ws1", resource_group="rg", **kwargs)
    with pytest.raises(azml.ValidationError, match=words):
        asyncio.run(asyn.workspaces.create("ws1", resource_group="rg", **kwargs))


@pytest.mark.parametrize(
    "option, value",
    [
        ("location", "westus"),
        ("storage_account", SA),
        ("keyvault", "kv"),
        ("hbi_workspace", True),
        ("cmk_keyvault", "kv"),
        ("allow_public_access_when_behind_vnet", True),
    ],
)
def test_update_refuses_what_is_fixed_at_creation(offline, option, value):
    sync, asyn = offline
    words = f"{option} cannot be changed by an update: "
    with pytest.raises(azml.ValidationError, match=words):
        sync.workspaces.update("ws1", resource_group="rg", **{option: value})
    with pytest.raises(azml.ValidationError, match=words):
        asyncio.run(asyn.workspaces.update("ws1", resource_group="rg", **{option: value}))


def test_update_checks_the_identity_and_still_rejects_unknown_arguments(offline):
    sync, _ = offline
    with pytest.raises(azml.ValidationError, match="user-assigned identity"):
        sync.workspaces.update("ws1", resource_group="rg", primary_user_assigned_identity=SA)
    with pytest.raises(TypeError, match="frobnicate"):
        sync.workspaces.update("ws1", resource_group="rg", frobnicate=True)


@pytest.mark.parametrize(
    "ids, words",
    [
        ("00000000-0000-0000-0000-00000000000b", "must be a list"),
        ([], "subscription_ids is empty"),
        (["nope"], "is not a GUID"),
        ([SUB, 3], "must be a list of subscription id strings"),
    ],
)
def test_list_subscription_ids_are_checked(offline, ids, words):
    sync, _ = offline
    with pytest.raises(azml.ValidationError, match=words):
        sync.workspaces.list(subscription_ids=ids)


def test_the_az_parser_takes_the_new_flags():
    cmd = azml._az.parse(
        f"ml workspace create -w ws1 -g rg --sku basic -v --primary-user-assigned-identity {UAI}"
    )
    assert cmd.key == ("workspace", "create")
    cmd = azml._az.parse("ml workspace update -w ws1 -g rg --v1-legacy-mode false")
    assert cmd.key == ("workspace", "update")
    with pytest.raises(azml.AzArgumentError):
        azml._az.parse("ml workspace update -w ws1 -g rg --v1-legacy-mode maybe")
    with pytest.raises(azml.AzArgumentError):
        azml._az.parse("ml workspace update -w ws1 -g rg --hbi-workspace")


def test_the_emulator_command_line_takes_extra_subscriptions():
    parse = azml.emulator._parser("azml emulator").parse_args
    assert parse([]).extra_subscription is None
    args = parse(["--extra-subscription", "a", "--extra-subscription", "b"])
    assert args.extra_subscription == ["a", "b"]
