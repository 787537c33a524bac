"""The real `az` CLI against the emulator: sign-in, groups, storage (a long-running create),
finding ids as the documentation does, role assignments, provider state.

`scripts/test.sh` installs azure-cli into its own virtualenv (`.venv-az`: its pinned
azure-mgmt-* versions must not meet the conformance suite's) and points `AZML_AZ_CLI` at it.
Without that variable the module is skipped, unless `AZML_REQUIRE_AZ_CLI=1` says the run
must include it (CI), in which case a missing CLI is a failure, not a skip.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any, Dict, Iterator, List

import pytest
from sdk_support import unique

import azml

AZ = os.environ.get("AZML_AZ_CLI")

if not AZ:
    if os.environ.get("AZML_REQUIRE_AZ_CLI") == "1":
        raise RuntimeError("AZML_REQUIRE_AZ_CLI=1 but AZML_AZ_CLI does not name an az binary")
    pytest.skip(
        "AZML_AZ_CLI is not set (scripts/test.sh installs azure-cli)", allow_module_level=True
    )


class Az:
    """Runs `az` with a throwaway config directory, against the emulator only."""

    def __init__(self, emu: Any, config_dir: Path) -> None:
        self.emu = emu
        self.env = dict(os.environ)
        self.env.update(
            {
                "AZURE_CONFIG_DIR": str(config_dir),
                "AZURE_CORE_COLLECT_TELEMETRY": "no",
                "AZURE_CORE_NO_COLOR": "1",
                "AZURE_CORE_ONLY_SHOW_ERRORS": "1",
                # MSAL must not ask login.microsoftonline.com whether the authority is known.
                "AZURE_CORE_INSTANCE_DISCOVERY": "false",
                "REQUESTS_CA_BUNDLE": str(emu.ca_file),
            }
        )
        for name in ("AZURE_CLIENT_SECRET", "AZURE_CLIENT_ID", "AZURE_TENANT_ID"):
            self.env.pop(name, None)

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        proc = subprocess.run(
            [str(AZ), *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=180,
        )
        if check and proc.returncode != 0:
            raise AssertionError(
                f"az {' '.join(args[:3])} … exited {proc.returncode}: {proc.stderr[-2000:]}"
            )
        return proc

    def json(self, *args: str) -> Any:
        return json.loads(self.run(*args, "-o", "json").stdout)

    def tsv(self, *args: str) -> str:
        return self.run(*args, "-o", "tsv").stdout.strip()


@pytest.fixture(scope="module")
def az(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Az]:
    # `fast`: every long-running operation really runs (202 and polls), in milliseconds.
    with azml.emulator.start(tls=True, latency="fast") as emu:
        runner = Az(emu, tmp_path_factory.mktemp("az-config"))
        env = emu.env()
        runner.run(
            "cloud",
            "register",
            "-n",
            "AzmlEmulator",
            "--endpoint-resource-manager",
            emu.url + "/",
            "--endpoint-active-directory",
            emu.url,
            "--endpoint-active-directory-resource-id",
            "https://management.azure.com/",
            "--endpoint-active-directory-graph-resource-id",
            emu.url + "/",
            "--endpoint-management",
            "https://management.azure.com/",
            "-o",
            "none",
        )
        runner.run("cloud", "set", "-n", "AzmlEmulator", "-o", "none")
        accounts: List[Dict[str, Any]] = json.loads(
            runner.run(
                "login",
                "--service-principal",
                "-u",
                env["AZURE_CLIENT_ID"],
                "-p",
                env["AZURE_CLIENT_SECRET"],
                "--tenant",
                env["AZURE_TENANT_ID"],
                "-o",
                "json",
            ).stdout
        )
        runner.accounts = accounts  # type: ignore[attr-defined]
        yield runner


def test_login_lists_the_emulator_subscription(az: Az) -> None:
    accounts = az.accounts  # type: ignore[attr-defined]
    assert [a["id"] for a in accounts] == [az.emu.subscription_id]
    assert accounts[0]["user"]["type"] == "servicePrincipal"
    assert accounts[0]["tenantId"] == az.emu.tenant_id
    shown = az.json("account", "show")
    assert shown["id"] == az.emu.subscription_id
    assert shown["isDefault"] is True


def test_group_lifecycle_as_the_documentation_runs_it(az: Az) -> None:
    rg = unique("az-rg-")
    created = az.json("group", "create", "-n", rg, "-l", "eastus", "--tags", "team=ml")
    assert created["name"] == rg
    assert created["properties"]["provisioningState"] == "Succeeded"
    assert created["tags"] == {"team": "ml"}
    assert rg in az.tsv("group", "list", "--query", "[].name").split()
    assert az.json("group", "update", "-n", rg, "--tags", "stage=dev")["tags"] == {"stage": "dev"}
    assert az.run("group", "exists", "-n", rg).stdout.strip() == "true"
    # The documentation's last step; `az` polls the group deletion's Location to the end.
    az.run("group", "delete", "-n", rg, "--yes")
    assert az.run("group", "exists", "-n", rg).stdout.strip() == "false"


def test_storage_account_create_polls_to_the_end_and_its_id_is_found_as_documented(az: Az) -> None:
    rg = unique("az-st-")
    name = unique("azst")
    az.run("group", "create", "-n", rg, "-l", "eastus", "-o", "none")
    account = az.json("storage", "account", "create", "-n", name, "-g", rg, "--sku", "Standard_LRS")
    assert account["provisioningState"] == "Succeeded"
    assert account["sku"]["name"] == "Standard_LRS"
    # `az storage account show --name … --query "id"`, as the documentation finds ids.
    rid = az.tsv("storage", "account", "show", "--name", name, "--query", "id")
    assert rid == (
        f"/subscriptions/{az.emu.subscription_id}/resourceGroups/{rg}/providers/Microsoft.Storage/storageAccounts/{name}"
    )
    # A name taken globally is refused with the service's code.
    other = unique("az-st2-")
    az.run("group", "create", "-n", other, "-l", "eastus", "-o", "none")
    proc = az.run("storage", "account", "create", "-n", name, "-g", other, check=False)
    assert proc.returncode != 0
    assert "StorageAccountAlreadyTaken" in proc.stderr or "already taken" in proc.stderr


def test_role_assignment_for_a_service_principal(az: Az) -> None:
    rg = unique("az-ra-")
    group = az.json("group", "create", "-n", rg, "-l", "eastus")
    assignee = az.emu.env()["AZURE_CLIENT_ID"]
    assignment = az.json(
        "role",
        "assignment",
        "create",
        "--assignee",
        assignee,
        "--role",
        "Reader",
        "--scope",
        group["id"],
    )
    assert assignment["scope"] == group["id"]
    assert assignment["roleDefinitionId"].endswith("/acdd72a7-3385-48ef-bd42-f606fba81ae7")
    listed = az.json("role", "assignment", "list", "--scope", group["id"])
    assert assignment["id"] in [a["id"] for a in listed]


def test_key_vault_create_and_its_id(az: Az) -> None:
    rg = unique("az-kv-")
    name = unique("azkv-")
    az.run("group", "create", "-n", rg, "-l", "eastus", "-o", "none")
    vault = az.json(
        "keyvault", "create", "-n", name, "-g", rg, "--enable-rbac-authorization", "false"
    )
    assert vault["name"] == name
    assert vault["properties"]["tenantId"] == az.emu.tenant_id
    rid = az.tsv("keyvault", "show", "--name", name, "--query", "id")
    assert rid.endswith(f"/resourceGroups/{rg}/providers/Microsoft.KeyVault/vaults/{name}")
    listed = az.tsv("resource", "list", "-g", rg, "--query", "[].type")
    assert listed.split() == ["Microsoft.KeyVault/vaults"]


def test_provider_registration_state(az: Az) -> None:
    state = az.tsv(
        "provider",
        "show",
        "-n",
        "Microsoft.MachineLearningServices",
        "--query",
        "registrationState",
    )
    assert state == "Registered"


def test_the_cli_is_the_one_we_installed() -> None:
    # Guards against a PATH mix-up making this module test some other az.
    assert AZ is not None and Path(AZ).is_file() and os.access(AZ, os.X_OK)
    assert shutil.which(AZ) is not None
