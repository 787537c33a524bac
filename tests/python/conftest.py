"""Fixtures: one in-process emulator for the session, and clients pointed at it."""

from __future__ import annotations

import logging
import re
from typing import Any, Iterator, List

import pytest

import azml
import helpers
from azml import _client
from helpers import unique

# A JWT (access token, client assertion): base64url of '{"…' then two more dot-separated
# parts. A lone `eyJ…` segment is not one: ARM's (and the emulator's) operation ids in
# polling URLs are base64url JSON too, and opaque rather than secret.
_JWT = re.compile(r"eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.")


class _Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.records: List[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


class _RecordingCore:
    """Stands in for a client's core and remembers the secrets its calls return."""

    def __init__(self, core: Any) -> None:
        self._core = core

    # The operations whose results hold secrets.
    _SECRET_OPS = frozenset({"workspace.list_keys"})

    def call(self, op: str, kwargs: Any = None) -> Any:
        result = self._core.call(op, kwargs)
        if op in self._SECRET_OPS:
            helpers.remember_secrets(result)
        return result

    def call_async(self, op: str, kwargs: Any = None, future: Any = None) -> Any:
        fut = self._core.call_async(op, kwargs, future)
        if op in self._SECRET_OPS:
            fut.add_done_callback(
                lambda f: (
                    None if f.cancelled() or f.exception() else helpers.remember_secrets(f.result())
                )
            )
        return fut

    def __getattr__(self, name: str) -> Any:
        return getattr(self._core, name)


@pytest.fixture(scope="session", autouse=True)
def no_secret_in_logs() -> Iterator[None]:
    """Captures every `azml` log record of the session at DEBUG and, at the end, checks that
    none holds a token, client secret or key the session saw."""
    logger = logging.getLogger("azml")
    capture = _Capture()
    before = logger.level
    logger.addHandler(capture)
    logger.setLevel(logging.DEBUG)
    original_init = _client._Namespace.__init__

    clients: list = []

    def recording_init(self: Any, core: Any) -> None:
        clients.append(core)
        original_init(self, _RecordingCore(core))

    _client._Namespace.__init__ = recording_init  # type: ignore[method-assign]
    try:
        yield
    finally:
        _client._Namespace.__init__ = original_init  # type: ignore[method-assign]
        logger.removeHandler(capture)
        logger.setLevel(before)
    secrets = set(helpers.SEEN_SECRETS)
    secrets.add("azml-emulator-secret")  # the emulator's client secret
    # Only a session that made clients here must have logged (a subset of tests may run
    # azml in child processes only).
    assert capture.records or not clients, (
        "no azml log record was captured: the logging bridge is not working"
    )
    leaks = []
    for r in capture.records:
        text = r.getMessage() + " " + repr(getattr(r, "azml", ""))
        if _JWT.search(text) or "Bearer " in text or any(s in text for s in secrets):
            # The record with the secrets cut out: the report must not print them.
            shown = _JWT.sub("[JWT]", text).replace("Bearer ", "[BEARER]")
            for s in secrets:
                shown = shown.replace(s, "[SECRET]")
            leaks.append(f"{r.name}: {shown[:300]}")
    assert not leaks, f"{len(leaks)} azml log records hold a secret: {leaks[:3]}"


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
