"""Process-level behaviour: clean exit with work in flight, fork, Ctrl-C."""

import os
import signal
import subprocess
import sys
import warnings

import pytest

from helpers import child_env

HERE = os.path.dirname(os.path.abspath(__file__))


def test_exit_with_work_in_flight_is_clean():
    """The exit trap (pyo3-async-runtimes issue #40): results delivered by runtime threads
    while Python finalizes must never crash it. Runs the child many times, since a crash
    shows up in a fraction of runs only (AZML_EXIT_TRAP_RUNS, default 40). Every other run
    has `azml` logging on at DEBUG, so that runtime threads also attach to log."""
    runs = int(os.environ.get("AZML_EXIT_TRAP_RUNS", "40"))
    failures = []
    for seed in range(runs):
        proc = subprocess.run(
            [sys.executable, os.path.join(HERE, "exit_trap_child.py"), str(seed)],
            capture_output=True,
            text=True,
            env=child_env(AZML_EXIT_TRAP_LOGGING="1" if seed % 2 else ""),
            timeout=120,
        )
        bad_stderr = any(
            marker in proc.stderr
            for marker in ("Fatal Python error", "panicked", "Traceback", "Segmentation")
        )
        if proc.returncode != 0 or bad_stderr or "main thread done" not in proc.stdout:
            failures.append((seed, proc.returncode, proc.stderr[-2000:]))
    assert not failures, f"{len(failures)}/{runs} runs failed; first: {failures[0]}"


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_fork_child_gets_a_working_runtime(client, group):
    # Warm the parent's runtime, ARM client and credential first.
    assert client.groups.exists(group) is True
    r, w = os.pipe()
    with warnings.catch_warnings():
        # Python 3.12+ warns that forking a multi-threaded process may deadlock; that is
        # the very case under test (the runtime's threads exist in the parent only).
        warnings.simplefilter("ignore", DeprecationWarning)
        pid = os.fork()
    if pid == 0:  # the child: report through the pipe, never return into pytest
        code = 1
        try:
            os.close(r)
            ok = client.groups.exists(group) is True
            ok = ok and client.workspaces.list(resource_group=group) == []
            os.write(w, b"ok" if ok else b"wrong")
            code = 0
        except BaseException as e:  # anything goes back to the parent
            os.write(w, f"error {type(e).__name__}: {e}".encode())
        finally:
            os._exit(code)
    os.close(w)
    with os.fdopen(r, "rb") as f:
        report = f.read().decode()
    _, status = os.waitpid(pid, 0)
    assert report == "ok"
    assert os.waitstatus_to_exitcode(status) == 0
    # And the parent still works.
    assert client.groups.exists(group) is True


SLOW_CHILD = """
import sys, azml
emu = azml.emulator.start(latency="realistic")
c = azml.Client(subscription_id=emu.subscription_id, credential=emu.credential, endpoint=emu.url)
c.groups.create("slow", location="eastus")
try:
    print("ready", flush=True)
    c.workspaces.create("slowws", resource_group="slow")
    print("finished", flush=True)
except KeyboardInterrupt:
    print("interrupted", flush=True)
"""


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT semantics")
# Several runs: the signal lands at a different point each time (a Ctrl-C that arrived while
# azml ran Python code of its own, reading the logging levels, was once swallowed).
@pytest.mark.parametrize("run", range(5))
def test_ctrl_c_interrupts_a_blocking_call(run: int):
    with subprocess.Popen(
        [sys.executable, "-c", SLOW_CHILD],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=child_env(),
    ) as proc:
        try:
            assert proc.stdout.readline().strip() == "ready"
            proc.send_signal(signal.SIGINT)
            out, err = proc.communicate(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
    assert out.strip() == "interrupted", (out, err)
    assert proc.returncode == 0, err
    assert "Fatal Python error" not in err
