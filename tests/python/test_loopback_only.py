"""scripts/loopback-only in each of its modes: loopback works, TEST-NET (192.0.2.1) does not.

- netns (root): the namespace stops the connection (ENETUNREACH), no guard involved;
- userns (an unprivileged throwaway uid, through setpriv): the same, and the command keeps
  that uid;
- guard (namespaces forbidden: a user namespace whose limit is 0, with every capability
  dropped): the script says so on stderr, and the in-process guards refuse, Python's socket
  guard and azml's Rust HTTP client alike, before anything is sent.

Each probe starts from an environment without the suites' own guards, so what stops it is the
mode under test. Needs root (to become the throwaway user and to forbid namespaces); the test
command sets AZML_REQUIRE_ISOLATION_TESTS=1, so that there a missing precondition fails.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Dict, Iterator, List

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "loopback-only"
THROWAWAY_UID = 54_321

PROBE = r"""
import json, os, socket, sys
out = {"mode": os.environ.get("LOOPBACK_ONLY_MODE"), "uid": os.getuid()}
server = socket.socket()
server.bind(("127.0.0.1", 0))
server.listen()
socket.create_connection(server.getsockname(), timeout=5).close()
out["loopback"] = "ok"
try:
    socket.create_connection(("192.0.2.1", 9), timeout=5).close()
    out["testnet"] = "reached"
except OSError as e:
    out["testnet"] = {"type": type(e).__name__, "errno": e.errno, "message": str(e)}
if len(sys.argv) > 1:  # azml's Rust client too
    import time
    import azml
    token = azml.StaticTokenCredential("t", expires_on=int(time.time()) + 3600)
    client = azml.Client(subscription_id="00000000-0000-0000-0000-000000000000",
                         credential=token, endpoint="https://192.0.2.1")
    try:
        client.groups.list()
        out["azml"] = "reached"
    except Exception as e:
        out["azml"] = str(e)
print(json.dumps(out))
"""


def _require(condition: bool, reason: str) -> None:
    if condition:
        return
    if os.environ.get("AZML_REQUIRE_ISOLATION_TESTS") == "1":
        pytest.fail(f"{reason} (AZML_REQUIRE_ISOLATION_TESTS=1)")
    pytest.skip(reason)


def _clean_env() -> Dict[str, str]:
    """The environment without the guards the suites' conftest turned on."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("AZML_LOOPBACK_ONLY", "PYTHONPATH", "LOOPBACK_ONLY_MODE")
    }
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


@pytest.fixture
def world_readable_copy() -> Iterator[Path]:
    """The script and its guard in a folder any uid can read (a clone under /root is not)."""
    tmp = Path(tempfile.mkdtemp(prefix="azml-loopback-"))
    try:
        shutil.copytree(ROOT / "scripts", tmp / "scripts")
        for path in [tmp, *tmp.rglob("*")]:
            mode = path.stat().st_mode
            path.chmod(mode | stat.S_IRGRP | stat.S_IROTH | (0o055 if path.is_dir() else 0))
        (tmp / "scripts" / "loopback-only").chmod(0o755)
        yield tmp / "scripts" / "loopback-only"
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _run(cmd: List[str]) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, env=_clean_env())


def _probe_result(proc: subprocess.CompletedProcess) -> dict:
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_as_root_a_network_namespace_stops_the_connection() -> None:
    _require(os.geteuid() == 0, "the netns mode needs root")
    proc = _run([str(SCRIPT), sys.executable, "-c", PROBE])
    out = _probe_result(proc)
    assert out["mode"] == "netns" and out["uid"] == 0
    assert out["loopback"] == "ok"
    assert out["testnet"]["errno"] == 101, out  # ENETUNREACH: no route but loopback
    assert "loopback-only" not in proc.stderr  # nothing to say in this mode


def test_as_an_unprivileged_user_a_user_namespace_does(world_readable_copy: Path) -> None:
    _require(os.geteuid() == 0, "becoming a throwaway user needs root")
    _require(shutil.which("setpriv") is not None, "setpriv (util-linux) is needed")
    become = ["setpriv", f"--reuid={THROWAWAY_UID}", f"--regid={THROWAWAY_UID}", "--clear-groups"]
    # The venv's interpreter may live where the throwaway user may not go (/root).
    candidates = [os.path.realpath(sys.executable), "/usr/bin/python3", "/usr/local/bin/python3"]
    usable = [
        c for c in candidates
        if os.path.exists(c)
        and _run([*become, str(world_readable_copy), c, "-c", "pass"]).returncode == 0
    ]  # fmt: skip
    _require(bool(usable), f"no Python interpreter uid {THROWAWAY_UID} may run")
    proc = _run([*become, str(world_readable_copy), usable[0], "-c", PROBE])
    out = _probe_result(proc)
    assert out["mode"] == "userns" and out["uid"] == THROWAWAY_UID, out
    assert out["loopback"] == "ok"
    assert out["testnet"]["errno"] == 101, out  # ENETUNREACH: no route but loopback
    assert "loopback-only" not in proc.stderr


def test_with_namespaces_forbidden_the_in_process_guards_refuse() -> None:
    _require(os.geteuid() == 0, "forbidding namespaces needs a user namespace of our own")
    _require(shutil.which("setpriv") is not None, "setpriv (util-linux) is needed")
    forbid = (
        # A user namespace in which no further user namespace may be made, and in which this
        # process holds no capability: neither of the script's namespaces can be created.
        "echo 0 > /proc/sys/user/max_user_namespaces && "
        'exec setpriv --bounding-set=-all --inh-caps=-all --ambient-caps=-all -- "$@"'
    )
    cmd = ["unshare", "--user", "--map-root-user", "sh", "-c", forbid, "forbid",
           str(SCRIPT), sys.executable, "-c", PROBE, "with-azml"]  # fmt: skip
    proc = _run(cmd)
    out = _probe_result(proc)
    assert out["mode"] == "guard"
    assert "no network namespace can be made here" in proc.stderr
    assert out["loopback"] == "ok"
    assert out["testnet"]["type"] == "LoopbackOnlyError", out
    assert "refused a connection to 192.0.2.1:9" in out["testnet"]["message"]
    # The refusal is also written to stderr, for libraries that swallow network errors.
    assert "loopback-only guard: refused a connection to 192.0.2.1:9" in proc.stderr
    assert "loopback-only guard" in out["azml"] and "192.0.2.1:443" in out["azml"], out


def test_without_a_command_it_says_how_to_use_it() -> None:
    proc = _run([str(SCRIPT)])
    assert proc.returncode == 2 and "usage: loopback-only CMD" in proc.stderr
