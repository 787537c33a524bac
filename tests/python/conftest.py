"""Fixtures: one in-process emulator for the session, and clients pointed at it."""

from __future__ import annotations

from typing import Iterator

import pytest

import azml
from helpers import unique


@pytest.fixture(scope="session")
def emu() -> Iterator[azml.emulator.EmulatorHandle]:
    with azml.emulator.start(latency="instant") as handle:
        yield handle


@pytest.fixture
def client(emu) -> Iterator[azml.Client]:
    with azml.Client(
        subscription_id=emu.subscription_id, credential=emu.credential, endpoint=emu.url
    ) as c:
        yield c


@pytest.fixture
def aclient(emu) -> azml.AsyncClient:
    return azml.AsyncClient(
        subscription_id=emu.subscription_id, credential=emu.credential, endpoint=emu.url
    )


@pytest.fixture
def group(client) -> Iterator[str]:
    """A resource group for the test, deleted afterwards."""
    name = unique("rg")
    client.groups.create(name, location="eastus")
    yield name
    if client.groups.exists(name):
        client.groups.delete(name)
