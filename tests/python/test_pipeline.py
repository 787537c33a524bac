"""Pipeline options seen from Python: the User-Agent the core sends and pacing."""

from __future__ import annotations

import asyncio
import platform

import pytest

import azml
from helpers import journal, unique


def test_user_agent_names_the_running_python(emu):
    with azml.Client(
        subscription_id=emu.subscription_id,
        credential=emu.credential,
        endpoint=emu.url,
        user_agent="my-notebook/1.0",
    ) as c:
        marker = unique("rg")
        c.groups.exists(marker)
    agents = [dict(e["headers"]).get("user-agent") for e in journal(emu) if marker in e["path"]]
    expected = (
        f"azml/{azml.__version__} (Python {platform.python_version()}; "
        f"{platform.system().lower()}) my-notebook/1.0"
    )
    assert agents == [expected]


def test_user_agent_must_be_a_header_value(emu):
    with pytest.raises(azml.ValidationError):
        azml.Client(
            subscription_id=emu.subscription_id,
            credential=emu.credential,
            endpoint=emu.url,
            user_agent="bad\nvalue",
        )


def test_pacing_is_on_by_default_and_can_be_turned_off(emu):
    kwargs = dict(subscription_id=emu.subscription_id, credential=emu.credential, endpoint=emu.url)
    assert azml.Client(**kwargs).pacing is True
    raw = azml.AsyncClient(pacing=False, **kwargs)
    assert raw.pacing is False

    async def fan_out():
        return await asyncio.gather(*(raw.groups.list() for _ in range(20)))

    assert len(asyncio.run(fan_out())) == 20
    with pytest.raises(azml.ValidationError):
        azml.Client(pacing="no", **kwargs)


def _correlations(entries: list, marker: str) -> set:
    return {
        dict(e["headers"]).get("x-ms-correlation-request-id")
        for e in entries
        if marker in e["path"]
    }


def test_one_correlation_id_per_call_and_one_client_request_id_per_request(emu, client):
    rg = unique("rg")
    ws = unique("ws")
    client.groups.create(rg, location="eastus")
    before = len(journal(emu))
    client.workspaces.create(ws, resource_group=rg)
    create = [e for e in journal(emu)[before:] if rg in e["path"]]
    # The group read, the checks, the dependents (concurrently), the PUT and its polls.
    assert len(create) >= 6
    ids = {dict(e["headers"]).get("x-ms-correlation-request-id") for e in create}
    assert len(ids) == 1 and None not in ids, ids
    requests = [dict(e["headers"]).get("x-ms-client-request-id") for e in create]
    assert None not in requests
    # Polls repeat a request's id only for retries; distinct requests have their own.
    assert len(set(requests)) >= len(create) - sum(1 for e in create if e.get("fault"))

    client.workspaces.show(ws, resource_group=rg)
    shown = _correlations(journal(emu)[-1:], ws)
    assert shown and shown.isdisjoint(ids)


def test_a_poller_keeps_its_correlation_id_from_begin_to_the_end(emu, client):
    rg = unique("rg")
    client.groups.create(rg, location="eastus")
    before = len(journal(emu))
    client.groups.begin_delete(rg).result()
    ids = _correlations(journal(emu)[before:], rg)
    assert len(ids) == 1 and None not in ids, ids
