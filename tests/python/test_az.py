"""`azml.az(...)` and the console script: az's command line, --query and -o as az prints."""

from __future__ import annotations

import json
import subprocess

import pytest

import azml
from helpers import child_env, console_script, unique


@pytest.fixture(scope="module")
def ws(emu):
    """(client, group, workspace) for the module."""
    c = azml.Client(subscription_id=emu.subscription_id, credential=emu.credential,
                    endpoint=emu.url)  # fmt: skip
    rg, name = unique("rg"), unique("ws")
    azml.az(["group", "create", "-n", rg, "-l", "eastus", "--tags", "azmlaz=yes"], client=c)
    azml.az(f"ml workspace create -w {name} -g {rg}", client=c)
    yield c, rg, name
    azml.az(f"group delete -n {rg} --yes", client=c)


def test_show_is_the_same_dict_as_the_method(ws):
    c, rg, name = ws
    assert azml.az(["ml", "workspace", "show", "-w", name, "-g", rg], client=c) == (
        c.workspaces.show(name, resource_group=rg)
    )
    assert azml.az(f"az ml workspace show --workspace-name {name} --resource-group {rg}",
                   client=c)["name"] == name  # fmt: skip


def test_query_returns_python_values_and_tsv_the_bare_text(ws):
    c, rg, name = ws
    ws_id = azml.az(f"ml workspace show -w {name} -g {rg} --query id", client=c)
    assert isinstance(ws_id, str) and ws_id.endswith(f"/workspaces/{name}")
    assert azml.az(f"ml workspace show -w {name} -g {rg} --query id -o tsv", client=c) == (
        ws_id + "\n"
    )
    assert azml.az(f"ml workspace show -w {name} -g {rg} --query id -o json", client=c) == (
        json.dumps(ws_id) + "\n"
    )
    assert azml.az(f"group exists -n {rg}", client=c) is True
    assert azml.az(f"group exists -n {rg} -o json", client=c) == "true\n"
    names = azml.az(f"ml workspace list -g {rg} --query [].workspaceName", client=c)
    assert names == [name]


def test_group_list_table_and_tag(ws):
    c, rg, _ = ws
    table = azml.az("group list --tag azmlaz=yes -o table", client=c)
    lines = table.splitlines()
    assert lines[0].split() == ["Name", "Location", "Status"]
    assert set(lines[1]) <= {"-", " "}
    assert [line.split()[0] for line in lines[2:]] == [rg]
    assert lines[2].split()[1:] == ["eastus", "Succeeded"]
    assert azml.az("group list --tag azmlaz=no", client=c) == []


def test_dependents_ids_for_create(ws):
    c, rg, name = ws
    created = c.workspaces.show(name, resource_group=rg)
    sa = created["storageAccount"].rsplit("/", 1)[1]
    kv = created["keyVault"].rsplit("/", 1)[1]
    ai = created["applicationInsights"].rsplit("/", 1)[1]
    assert azml.az(f"storage account show -n {sa} --query id", client=c).lower() == (
        created["storageAccount"].lower()
    )
    assert azml.az(f"keyvault show -n {kv} -g {rg} --query name -o tsv", client=c) == kv + "\n"
    shown = azml.az(f"monitor app-insights component show --app {ai} -g {rg}", client=c)
    assert shown["resourceGroup"] == rg  # az's transform adds it


def test_silent_commands_return_none_and_share_works(ws, emu):
    c, rg, name = ws
    upn = f"{unique('u')}@azml-emulator.onmicrosoft.com"
    emu.add_user(upn)
    assert azml.az(["ml", "workspace", "share", "-w", name, "-g", rg, "--user", upn,
                    "--role", "AzureML Data Scientist"], client=c) is None  # fmt: skip
    assert azml.az(f"ml workspace sync-keys -w {name} -g {rg}", client=c) is None
    assert azml.az(f"ml workspace sync-keys -w {name} -g {rg} -o json", client=c) == ""
    keys = azml.az(f"ml workspace list-keys -w {name} -g {rg}", client=c)
    assert "userStorageKey" in keys
    assert "value" in azml.az(f"ml workspace diagnose -w {name} -g {rg}", client=c)


def test_group_update_by_az(ws):
    c, rg, _ = ws
    out = azml.az(f"group update -n {rg} --tags azmlaz=yes extra=1 --query tags", client=c)
    assert out == {"azmlaz": "yes", "extra": "1"}


def test_bad_command_lines_fail_before_any_request():
    # No client and no environment: a request would fail differently.
    for bad in ["group frobnicate", "ml workspace show -g rg", "group list -o xml",
                "group list --query '[?'", "group delete -n rg"]:  # fmt: skip
        with pytest.raises(azml.AzureError) as info:
            azml.az(bad)
        if bad != "group delete -n rg":
            assert isinstance(info.value, azml.AzArgumentError), bad
        else:
            assert "Use --yes" in str(info.value)
    with pytest.raises(azml.AzArgumentError, match="invalid choice: 'xml'"):
        azml.az("group list -o xml")


def test_errors_are_typed(ws):
    c, rg, _ = ws
    with pytest.raises(azml.ResourceNotFoundError):
        azml.az(f"ml workspace show -w nows1 -g {rg}", client=c)


def _azml(env, *args):
    return subprocess.run([*console_script(), *args], capture_output=True, text=True,
                          env=child_env(**env), timeout=120)  # fmt: skip


def test_console_script_prints_as_az(emu, ws):
    _, rg, name = ws
    env = emu.env()
    listed = _azml(env, "ml", "workspace", "list", "-g", rg, "-o", "table")
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.splitlines()[0].split() == ["ResourceGroup", "SubscriptionId",
                                                      "WorkspaceName"]  # fmt: skip
    ws_id = _azml(env, "ml", "workspace", "show", "-w", name, "-g", rg, "--query", "id",
                  "-o", "tsv")  # fmt: skip
    assert ws_id.returncode == 0 and ws_id.stdout.endswith(f"/workspaces/{name}\n")
    shown = _azml(env, "group", "show", "-n", rg)
    assert shown.stdout == json.dumps(json.loads(shown.stdout), indent=2, sort_keys=True,
                                      ensure_ascii=False) + "\n"  # fmt: skip
    missing = _azml(env, "group", "show", "-n", unique("rg"))
    assert missing.returncode == 3
    assert missing.stderr.startswith("ERROR: (ResourceGroupNotFound) ")
    assert missing.stdout == ""
    no_yes = subprocess.run([*console_script(), "group", "delete", "-n", rg],
                            capture_output=True, text=True, env=child_env(**env),
                            stdin=subprocess.DEVNULL, timeout=120)  # fmt: skip
    assert no_yes.returncode == 1
    assert no_yes.stderr == (
        "ERROR: Unable to prompt for confirmation as no tty available. Use --yes.\n"
    )
    bad = _azml(env, "group", "list", "--query", "[?")
    assert bad.returncode == 2 and bad.stderr.startswith("ERROR: argument --query")
    shared = _azml(env, "ml", "workspace", "share", "-w", name, "-g", rg, "--user",
                   "user@azml-emulator.onmicrosoft.com", "--role", "Reader")  # fmt: skip
    assert (shared.returncode, shared.stdout) == (0, ""), shared.stderr
    unknown = _azml(env, "ml", "workspace", "share", "-w", name, "-g", rg, "--user",
                    "nobody@azml-emulator.onmicrosoft.com", "--role", "Reader")  # fmt: skip
    assert unknown.returncode == 3 and "nobody@azml-emulator.onmicrosoft.com" in unknown.stderr
