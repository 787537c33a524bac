"""The console script and `python -m azml.emulator`: export lines, then az-like commands."""

import json
import shlex
import subprocess
import sys

import pytest

from helpers import child_env, console_script

SUB = "00000000-0000-0000-0000-00000000000a"  # any well-formed subscription id

REQUIRED = {"AZURE_SUBSCRIPTION_ID", "AZURE_TENANT_ID", "AZURE_CLIENT_ID",
            "AZURE_CLIENT_SECRET", "AZML_ENDPOINT"}  # fmt: skip


def _read_exports(proc):
    """Read `export NAME=value` lines until every required name has been seen."""
    env = {}
    while not REQUIRED <= set(env):
        line = proc.stdout.readline()
        if not line:
            pytest.fail(f"the emulator ended early: {proc.stderr.read()}")
        assert line.startswith("export "), line
        name, _, value = line[len("export ") :].rstrip("\n").partition("=")
        env[name] = shlex.split(value)[0] if value else ""
    return env


@pytest.fixture(params=["console-script", "python-m"])
def served(request):
    if request.param == "console-script":
        cmd = [*console_script(), "emulator", "--latency", "instant"]
    else:
        cmd = [sys.executable, "-m", "azml.emulator", "--latency", "instant"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=child_env())  # fmt: skip
    try:
        yield _read_exports(proc)
    finally:
        proc.terminate()  # SIGTERM: a clean stop
        try:
            _, err = proc.communicate(timeout=30)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
    assert proc.returncode == 0, err


def azml(env, *args):
    return subprocess.run([*console_script(), *args], capture_output=True, text=True,
                          env=child_env(**env), timeout=120)  # fmt: skip


def test_emulator_prints_exports_then_serves(served):
    env = served
    assert env["AZML_ENDPOINT"].startswith("http://127.0.0.1:")

    created = azml(env, "group", "create", "-n", "clirg", "-l", "eastus")
    assert created.returncode == 0, created.stderr
    # Printed as az prints: sorted keys, indent 2, a trailing newline.
    body = json.loads(created.stdout)
    assert created.stdout == json.dumps(body, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
    assert body["name"] == "clirg" and body["location"] == "eastus"

    ws = azml(env, "ml", "workspace", "create", "-w", "cliws", "-g", "clirg")
    assert ws.returncode == 0, ws.stderr
    assert json.loads(ws.stdout)["name"] == "cliws"

    listed = azml(env, "ml", "workspace", "list", "-g", "clirg")
    assert json.loads(listed.stdout) == [
        {"resourceGroup": "clirg", "subscriptionId": env["AZURE_SUBSCRIPTION_ID"],
         "workspaceName": "cliws"}
    ]  # fmt: skip

    updated = azml(env, "ml", "workspace", "update", "-w", "cliws", "-g", "clirg",
                   "--description", "from the cli")  # fmt: skip
    assert json.loads(updated.stdout)["description"] == "from the cli"

    missing = azml(env, "ml", "workspace", "show", "-w", "nope", "-g", "clirg")
    assert missing.returncode == 3  # az's status for "not found"
    assert missing.stderr.startswith("ERROR: ")
    assert missing.stdout == ""

    # Commands az prints nothing for print nothing.
    deleted = azml(env, "ml", "workspace", "delete", "-w", "cliws", "-g", "clirg")
    assert (deleted.returncode, deleted.stdout) == (0, ""), deleted.stderr
    refused = azml(env, "group", "delete", "-n", "clirg")
    assert refused.returncode == 1
    assert "--yes" in refused.stderr
    gone = azml(env, "group", "delete", "-n", "clirg", "--yes")
    assert (gone.returncode, gone.stdout) == (0, ""), gone.stderr
    exists = azml(env, "group", "exists", "-n", "clirg")
    assert exists.stdout.strip() == "false"


def test_without_credentials_the_error_is_clear():
    result = azml({"AZURE_SUBSCRIPTION_ID": SUB, "AZML_ENDPOINT": "http://127.0.0.1:9"},
                  "group", "list")  # fmt: skip
    assert result.returncode == 1
    assert "AZURE_CLIENT_SECRET" in result.stderr


def test_quickstart_runs():
    import pathlib

    script = pathlib.Path(__file__).parents[2] / "examples" / "quickstart.py"
    result = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                            env=child_env(), timeout=120)  # fmt: skip
    assert result.returncode == 0, result.stderr
    headers = [line for line in result.stdout.splitlines() if line.startswith("# az ")]
    assert [h.split(" -")[0] for h in headers] == [
        "# az group create", "# az ml workspace create", "# az ml workspace list",
        "# az ml workspace show", "# az ml workspace update", "# az ml workspace delete",
        "# az group delete",
    ]  # fmt: skip
    # The JSON blocks parse, and the workspace ones have the documented keys.
    blocks = result.stdout.split("\n\n")
    created = json.loads(blocks[1].split("\n", 1)[1])
    assert {"applicationInsights", "friendlyName", "keyVault", "storageAccount",
            "workspaceid", "resourceGroup"} <= set(created)  # fmt: skip
