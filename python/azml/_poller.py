"""`Poller` and `AsyncPoller`: a long operation begun with a `begin_*` method or resumed from
a continuation token (`Client.resume`), as azure-core's `LROPoller` / `AsyncLROPoller`.

A blocking `Poller` polls in the background from the moment it is returned; an `AsyncPoller`
polls while its `result()` or `wait()` is awaited, so cancelling the awaiting task stops the
polling. Stopping the polling never stops or undoes the operation in Azure: its continuation
token can be resumed later, in this process or another.
"""

from __future__ import annotations

import asyncio
from typing import Any, Optional

from . import _azml

__all__ = ["AsyncPoller", "Poller"]


class _PollerBase:
    def __init__(self, core: _azml.PollerCore) -> None:
        self._core = core

    @property
    def operation(self) -> str:
        """The command, e.g. ``"workspace.create"``."""
        return self._core.operation

    def continuation_token(self) -> str:
        """An opaque string from which `Client.resume` (in any process) finishes the
        operation with the same result. It names the ARM endpoint and subscription it is
        for and holds no token, key or other secret."""
        return self._core.continuation_token()

    def done(self) -> bool:
        """Whether the operation has finished (succeeded or failed)."""
        return self._core.done()

    def status(self) -> str:
        """``"InProgress"``, ``"Succeeded"``, ``"Failed"``, or ``"Stopped"`` after
        `cancel()` (the operation itself goes on in Azure)."""
        return self._core.status()

    def cancel(self) -> None:
        """Stop polling, for good: `result()` then raises `PollerCancelledError`. Nothing is
        cancelled or deleted in Azure; resume `continuation_token()` to follow it again."""
        self._core.cancel()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(operation={self.operation!r}, status={self.status()!r})"


class Poller(_PollerBase):
    """A long operation followed in the background (blocking client)."""

    def result(self, timeout: Optional[float] = None) -> Any:
        """Wait for the end and return what the plain method returns (e.g. the workspace
        dict of `workspaces.create`, None for a delete). `timeout` (seconds): raise
        `OperationTimeoutError` if it has not finished by then (it goes on; call again).
        Failures raise as the plain method does (`OperationFailedError` …)."""
        return self._core.result(timeout)

    def wait(self, timeout: Optional[float] = None) -> None:
        """Wait for the end, or `timeout` seconds; raises nothing on timeout (see `done()`)."""
        self._core.wait(timeout)


class AsyncPoller(_PollerBase):
    """A long operation followed while awaited (asyncio client)."""

    async def result(self, timeout: Optional[float] = None) -> Any:
        """Poll until the end and return what the plain method returns. `timeout`
        (seconds): raise `OperationTimeoutError` if it has not finished by then. Cancelling
        the awaiting task stops the polling; awaiting again takes it up."""
        future = asyncio.get_running_loop().create_future()
        return await self._core.result_async(timeout, future)

    async def wait(self, timeout: Optional[float] = None) -> None:
        """Poll until the end, or `timeout` seconds; raises nothing on timeout."""
        future = asyncio.get_running_loop().create_future()
        await self._core.wait_async(timeout, future)
