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
