import asyncio

import pytest

import azml
from helpers import unique


def test_create_show_list_exists_delete(client, emu):
    name = unique("rg")
    created = client.groups.create(name, location="eastus", tags={"team": "ml"})
    assert created == {
        "id": f"/subscriptions/{emu.subscription_id}/resourceGroups/{name}",
        "location": "eastus",
        "managedBy": None,
        "name": name,
        "properties": {"provisioningState": "Succeeded"},
        "tags": {"team": "ml"},
        "type": "Microsoft.Resources/resourceGroups",
    }
    # az's key order (sorted), so json.dumps(indent=2) prints like az.
    assert list(created) == sorted(created)
    assert client.groups.show(name) == created
    assert name in [g["name"] for g in client.groups.list()]
    assert client.groups.exists(name) is True
    assert client.groups.delete(name) is None
    assert client.groups.exists(name) is False
    with pytest.raises(azml.ResourceNotFoundError):
        client.groups.show(name)


def test_async_create_show_list_exists_delete(aclient):
    name = unique("rg")

    async def scenario():
        async with aclient:
            created = await aclient.groups.create(name, location="westeurope")
            shown, listed, exists = await asyncio.gather(
                aclient.groups.show(name), aclient.groups.list(), aclient.groups.exists(name)
            )
            assert shown == created
            assert name in [g["name"] for g in listed]
            assert exists is True
            assert await aclient.groups.delete(name) is None
            assert await aclient.groups.exists(name) is False

    asyncio.run(scenario())


def test_group_create_without_tags_prints_null_tags(client, group):
    shown = client.groups.show(group)
    assert shown["tags"] is None
    assert shown["managedBy"] is None


def test_bad_group_name_is_rejected_before_sending(client):
    with pytest.raises(azml.ValidationError):
        client.groups.create("no/slash allowed", location="eastus")


def test_unknown_keyword_is_a_type_error(client):
    with pytest.raises(TypeError):
        client.groups.create(unique("rg"), location="eastus", colour="blue")
