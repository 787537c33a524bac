"""Run by test_exit.py in a fresh interpreter: leave azml work in flight and exit.

Async calls are still running when `asyncio.run` returns (their tasks get cancelled), bare
futures of `call_async` are never awaited (their loop is closed under them), and blocking
calls run in daemon threads while the main thread ends. Whatever phase of interpreter
shutdown their results land in, the process must exit cleanly with status 0.
"""

import asyncio
import os
import random
import sys
import threading
import time

import azml

seed = int(sys.argv[1]) if len(sys.argv) > 1 else 0
rng = random.Random(seed)

if os.environ.get("AZML_EXIT_TRAP_LOGGING"):
    # Runtime threads then attach to Python for every request line too, up to the exit.
    import logging

    class Sink(logging.Handler):
        def __init__(self):
            super().__init__(logging.DEBUG)
            self.count = 0

        def emit(self, record):
            self.format(record)
            self.count += 1

    logging.getLogger("azml").addHandler(Sink())
    logging.getLogger("azml").setLevel(logging.DEBUG)

emu = azml.emulator.start(latency=os.environ.get("AZML_EXIT_TRAP_LATENCY", "fast"))
kwargs = dict(subscription_id=emu.subscription_id, credential=emu.credential, endpoint=emu.url)
client = azml.Client(**kwargs)
group = f"trap{seed}"
client.groups.create(group, location="eastus")


def forever(step):
    """Once the interpreter begins to exit, calls may fail (a Python credential is no longer
    called back, for one): errors are fine, crashes are not."""

    def run():
        while True:
            try:
                step()
            except azml.AzureError:
                pass

    return run


def blocking_calls():
    c = azml.Client(**kwargs)
    c.groups.show(group)
    c.workspaces.list(resource_group=group)


class PythonCredential:
    """Runtime threads call back into Python for tokens: they must stop at exit too."""

    def __init__(self, inner):
        self.inner = inner

    def get_token(self, *scopes):
        # Some Python work while the runtime thread is attached widens the window in which
        # an unguarded attach would overlap the interpreter's finalization.
        sum(range(20000))
        return self.inner.get_token(*scopes)


def blocking_calls_python_credential():
    # A new client each time, so that no token cache spares the callback.
    c = azml.Client(**{**kwargs, "credential": PythonCredential(emu.credential)})
    c.groups.exists(group)


for step, count in ((blocking_calls, 2), (blocking_calls_python_credential, 6)):
    for _ in range(count):
        threading.Thread(target=forever(step), daemon=True).start()


async def main():
    ac = azml.AsyncClient(**kwargs)
    ac_py = azml.AsyncClient(**{**kwargs, "credential": PythonCredential(emu.credential)})
    pending = []
    for i in range(6):
        pending.append(asyncio.ensure_future(ac.groups.show(group)))
        pending.append(asyncio.ensure_future(ac_py.workspaces.list(resource_group=group)))
        pending.append(
            asyncio.ensure_future(ac.workspaces.create(f"ws{seed}x{i}", resource_group=group))
        )
    # Bare futures: asyncio.run does not cancel these; the loop closes under them.
    bare = [ac._core.call_async("group.exists", {"name": group}) for _ in range(6)]
    bare += [ac_py._core.call_async("group.list", {}) for _ in range(6)]
    # Leave at a random moment so results land in every phase of shutdown.
    await asyncio.sleep(rng.random() * 0.03)
    return len(pending) + len(bare)


asyncio.run(main())

# A second loop, closed without cancelling anything.
loop = asyncio.new_event_loop()
ac = azml.AsyncClient(**kwargs)


async def fire():
    return [ac._core.call_async("group.show", {"name": group}) for _ in range(6)]


loop.run_until_complete(fire())
loop.close()

# An event loop that outlives the main thread (a daemon thread runs it): the calls fired
# last are still in flight when the interpreter starts to finalize, and their results are
# delivered to a loop that is still running.
late_loop = asyncio.new_event_loop()
threading.Thread(target=late_loop.run_forever, daemon=True).start()
ac_late = azml.AsyncClient(**{**kwargs, "credential": PythonCredential(emu.credential)})
for _ in range(40):
    asyncio.run_coroutine_threadsafe(ac_late.groups.exists(group), late_loop)
    asyncio.run_coroutine_threadsafe(ac.groups.show(group), late_loop)

time.sleep(rng.random() * 0.01)
print("main thread done", flush=True)
