"""The Python half of the asyncio bridge (see crates/azml-python/src/asyncio_future.rs).

Kept in Python on purpose: a daemon thread that runs an event loop may be stopped by the
interpreter's finalization in the middle of a callback; stopped inside Python code it ends
quietly, while stopped inside a Rust frame it would abort the process (CPython < 3.14 ends
such threads with pthread_exit).
"""

from __future__ import annotations

import asyncio
from typing import Any


def _deliver(fut: asyncio.Future[Any], ok: bool, value: Any) -> None:
    """Runs on the loop's thread: set the outcome unless the future was cancelled meanwhile."""
    if fut.done():
        return
    if ok:
        fut.set_result(value)
    else:
        fut.set_exception(value)
