"""The documentation as a test: the seed document (shared/seed/create-workspace-azure-cli.fr.md)
followed from top to bottom with azml against its embedded emulator.

Where the document shows an az command, the step runs that command line through `azml.az`
(signed in through the environment, as `az login` leaves a shell); the other steps use the
Python API. Each result is checked against the document's JSON examples and AZ-OUTPUT.md, and
the emulator's state against what the step should have done (raw ARM reads). The private
endpoint step is its own test: it needs the emulator to model Microsoft.Network.
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from typing import Any, Iterator, List, Optional, Tuple

import pytest

import azml
from helpers import unique

SECOND_SUBSCRIPTION = "00000000-0000-4000-8000-0000000000b2"

API = {
    "group": "2025-04-01",
    "storage": "2025-01-01",
    "vault": "2025-05-01",
    "insights": "2020-02-02",
    "registry": "2025-04-01",
    "workspace": "2025-12-01",
    "identity": "2023-01-31",
    "network": "2025-07-01",
    "authorization": "2022-04-01",
}

# `az group create` (the document's example): nulls kept.
DOC_GROUP_KEYS = {"id", "location", "managedBy", "name", "properties", "tags", "type"}
# `az ml workspace create` / `show` / `update` (the document's examples), v1 shape.
DOC_WORKSPACE_KEYS = {
    "applicationInsights", "creationTime", "description", "friendlyName", "id",
    "identityPrincipalId", "identityTenantId", "identityType", "keyVault", "location",
    "name", "resourceGroup", "storageAccount", "type", "workspaceid",
}  # fmt: skip
# What else the v1 dict may hold when the ARM body has it (AZ-OUTPUT.md).
V1_OPTIONAL_KEYS = {
    "containerRegistry", "discoveryUrl", "hbiWorkspace", "imageBuildCompute",
    "provisioningState", "allowPublicAccessWhenBehindVnet", "primaryUserAssignedIdentity",
    "privateEndpointConnections", "serviceProvisionedResourceGroup", "tags", "sku",
    "cmkKeyvault", "resourceCmkUri",
}  # fmt: skip
GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


@pytest.fixture(scope="module")
def doc_emu() -> Iterator[azml.emulator.EmulatorHandle]:
    # Its own emulator: small pages (so that every list goes over several), and a second
    # subscription for the list over several subscriptions.
    with azml.emulator.start(
        latency="instant", page_size=2, extra_subscriptions=[SECOND_SUBSCRIPTION]
    ) as handle:
        yield handle


@pytest.fixture
def signed_in(doc_emu, monkeypatch) -> azml.Client:
    """`az login`: the shell's environment points azml at the emulator's service principal;
    `azml.az(...)` without a client, and `azml.Client()` without arguments, use it."""
    for name, value in doc_emu.env().items():
        monkeypatch.setenv(name, value)
    return azml.Client()


class Arm:
    """Raw ARM calls to the emulator: set up what the document makes with other az commands,
    and read the state a step left."""

    def __init__(self, emu: azml.emulator.EmulatorHandle, subscription: Optional[str] = None):
        self.emu = emu
        self.sub = subscription or emu.subscription_id

    def call(
        self, method: str, path: str, api: Optional[str], body: Any = None
    ) -> Tuple[int, Optional[Any]]:
        """`api=None`: `path` carries its own query (a nextLink)."""
        token = self.emu.credential.get_token("https://management.azure.com/.default").token
        url = f"{self.emu.url}{path}"
        if api is not None:
            url += f"{'&' if '?' in path else '?'}api-version={api}"
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(url, data=data, method=method)
        req.add_header("Authorization", f"Bearer {token}")
        if data is not None:
            req.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                raw = resp.read()
                return resp.status, json.loads(raw) if raw else None
        except urllib.error.HTTPError as e:
            raw = e.read()
            return e.code, json.loads(raw) if raw else None

    def rg_path(self, rg: str) -> str:
        return f"/subscriptions/{self.sub}/resourceGroups/{rg}"

    def res_path(self, rg: str, ns_type: str, name: str) -> str:
        return f"{self.rg_path(rg)}/providers/{ns_type}/{name}"

    def get(self, id_or_path: str, api: str) -> Tuple[int, Optional[Any]]:
        return self.call("GET", id_or_path, api)

    def put(self, rg: str, ns_type: str, name: str, api: str, body: Any) -> dict:
        status, out = self.call("PUT", self.res_path(rg, ns_type, name), api, body)
        assert status in (200, 201, 202), (status, out)
        status, out = self.get(self.res_path(rg, ns_type, name), api)
        assert status == 200, (status, out)
        return out

    def list_in(self, rg: str, ns_type: str, api: str) -> List[dict]:
        status, out = self.get(f"{self.rg_path(rg)}/providers/{ns_type}", api)
        assert status == 200, (status, out)
        items = out["value"]
        while out.get("nextLink"):
            assert out["nextLink"].startswith(self.emu.url)
            status, out = self.call("GET", out["nextLink"][len(self.emu.url) :], None)
            assert status == 200, (status, out)
            items += out["value"]
        return items


def _same_id(a: str, b: str) -> bool:
    # The service echoes linked ids with its own casing (ARM-CONTRACT.md §2).
    return a.lower() == b.lower()


def _check_workspace_dict(ws: dict, name: str, rg: str, emu) -> None:
    assert DOC_WORKSPACE_KEYS <= set(ws) <= DOC_WORKSPACE_KEYS | V1_OPTIONAL_KEYS, set(ws)
    assert list(ws) == sorted(ws)  # az prints keys sorted
    assert None not in ws.values()
    assert ws["name"] == name
    assert ws["resourceGroup"] == rg
    assert ws["type"] == "Microsoft.MachineLearningServices/workspaces"
    assert ws["id"] == (
        f"/subscriptions/{emu.subscription_id}/resourceGroups/{rg}/providers/"
        f"Microsoft.MachineLearningServices/workspaces/{name}"
    )
    assert ws["identityTenantId"] == emu.tenant_id
    assert GUID.match(ws["identityPrincipalId"]) and GUID.match(ws["workspaceid"])


def _dependent_name_prefix(workspace: str, word: str) -> str:
    """The v1 CLI's names: the first 8 of [a-z0-9] of the workspace name, then the type."""
    return "".join(c for c in workspace.lower() if c.isalnum())[:8] + word


def test_the_documentation_from_top_to_bottom(doc_emu, signed_in, monkeypatch):
    emu, client, arm = doc_emu, signed_in, Arm(doc_emu)

    # --- Sign-in: the environment's service principal gets a token, the subscription is the
    # emulator's.
    assert client.subscription_id == emu.subscription_id
    assert azml.az("group exists -n nothing-here") is False

    # --- Créer un groupe de ressources: az group create --name … --location …
    rg = unique("docrg")
    group = azml.az(f"group create --name {rg} --location eastus")
    assert set(group) == DOC_GROUP_KEYS
    assert group["id"] == f"/subscriptions/{emu.subscription_id}/resourceGroups/{rg}"
    assert (group["location"], group["name"]) == ("eastus", rg)
    assert group["managedBy"] is None
    assert group["properties"] == {"provisioningState": "Succeeded"}
    assert arm.get(arm.rg_path(rg), API["group"])[0] == 200
    # managedBy makes the round trip (create, then show, through az and Python).
    managed = unique("docmg")
    shown = azml.az(f"group create -n {managed} -l westus --managed-by test_admin --tags a=b c=")
    assert shown["managedBy"] == "test_admin" and shown["tags"] == {"a": "b", "c": ""}
    assert client.groups.show(managed)["managedBy"] == "test_admin"
    assert arm.get(arm.rg_path(managed), API["group"])[1]["managedBy"] == "test_admin"

    # --- Créer automatiquement les ressources nécessaires: az ml workspace create -w -g
    auto = unique("docauto")
    ws = azml.az(f"ml workspace create -w {auto} -g {rg}")
    _check_workspace_dict(ws, auto, rg, emu)
    assert ws["friendlyName"] == auto and ws["location"] == "eastus"  # the group's
    assert ws["identityType"] == "SystemAssigned"
    assert ws.get("containerRegistry", "") == ""  # none until the service needs one
    for key, ns_type, word, api in [
        ("storageAccount", "Microsoft.Storage/storageAccounts", "storage", API["storage"]),
        ("keyVault", "Microsoft.KeyVault/vaults", "keyvault", API["vault"]),
        ("applicationInsights", "Microsoft.Insights/components", "insights", API["insights"]),
    ]:
        assert f"/providers/{ns_type.lower()}/" in ws[key].lower(), key
        dep_name = ws[key].rsplit("/", 1)[1]
        assert dep_name.startswith(_dependent_name_prefix(auto, word)) and len(dep_name) == 24
        status, body = arm.get(ws[key], api)
        assert status == 200, key
        if key == "storageAccount":
            assert body["sku"]["name"] == "Standard_LRS" and body["kind"] == "StorageV2"
            assert body["properties"]["allowBlobPublicAccess"] is False
            assert body["properties"]["supportsHttpsTrafficOnly"] is True
        elif key == "keyVault":
            assert body["properties"]["tenantId"] == emu.tenant_id
            assert body["properties"]["sku"]["name"] == "standard"
        else:
            assert body["kind"] == "web"
    status, raw = arm.get(ws["id"], API["workspace"])
    assert status == 200 and raw["properties"]["provisioningState"] == "Succeeded"

    # --- Utiliser les ressources existantes. The document makes them with other az
    # commands; here, raw ARM calls.
    sa_name, kv_name = unique("docsa"), unique("dockv")
    ai_name, acr_name = unique("docai"), unique("docacr")
    sa = arm.put(rg, "Microsoft.Storage/storageAccounts", sa_name, API["storage"], {
        "location": "eastus", "kind": "StorageV2", "sku": {"name": "Standard_LRS"},
    })  # fmt: skip
    kv = arm.put(rg, "Microsoft.KeyVault/vaults", kv_name, API["vault"], {
        "location": "eastus",
        "properties": {"tenantId": emu.tenant_id, "sku": {"family": "A", "name": "standard"},
                       "accessPolicies": []},
    })  # fmt: skip
    ai = arm.put(rg, "Microsoft.Insights/components", ai_name, API["insights"], {
        "location": "eastus", "kind": "web", "properties": {"Application_Type": "web"},
    })  # fmt: skip
    acr = arm.put(rg, "Microsoft.ContainerRegistry/registries", acr_name, API["registry"], {
        "location": "eastus", "sku": {"name": "Basic"}, "properties": {"adminUserEnabled": True},
    })  # fmt: skip
    # The ids, found as the document finds them (`--query "id"`).
    sa_id = azml.az(f'storage account show --name {sa_name} --query "id"')
    ai_id = azml.az(f'monitor app-insights component show --app {ai_name} -g {rg} --query "id"')
    kv_id = azml.az(f'keyvault show --name {kv_name} --query "id"')
    acr_id = azml.az(f'acr show --name {acr_name} -g {rg} --query "id"')
    assert (sa_id, kv_id, ai_id, acr_id) == (sa["id"], kv["id"], ai["id"], acr["id"])
    # The document writes `az keyvault show --name … --query "ID"`: JMESPath is
    # case-sensitive, so az (and azml) find nothing under "ID".
    assert azml.az(f'keyvault show --name {kv_name} --query "ID"') is None
    # `-o tsv` prints the bare id, as a shell would capture it.
    assert azml.az(f"keyvault show -n {kv_name} --query id -o tsv").strip() == kv_id
    assert azml.az(f"storage account show -n {sa_name} --query id") == sa_id

    storage_before = arm.list_in(rg, "Microsoft.Storage/storageAccounts", API["storage"])
    # The document's example: an existing container registry only.
    with_acr = unique("docacr")
    ws = azml.az(f'ml workspace create -w {with_acr} -g {rg} --container-registry "{acr_id}"')
    _check_workspace_dict(ws, with_acr, rg, emu)
    assert _same_id(ws["containerRegistry"], acr_id)
    # All four given: nothing new is created.
    existing = unique("docexist")
    ws = client.workspaces.create(
        existing, resource_group=rg, storage_account=sa_id, keyvault=kv_id,
        application_insights=ai_id, container_registry=acr_id,
        friendly_name="Existing dependents", description="all four given",
    )  # fmt: skip
    _check_workspace_dict(ws, existing, rg, emu)
    for key, given in [("storageAccount", sa_id), ("keyVault", kv_id),
                       ("applicationInsights", ai_id), ("containerRegistry", acr_id)]:  # fmt: skip
        assert _same_id(ws[key], given), key
    assert (ws["friendlyName"], ws["description"]) == ("Existing dependents", "all four given")
    storage_after = arm.list_in(rg, "Microsoft.Storage/storageAccounts", API["storage"])
    # One new account: the auto-created one of `with_acr`, none for `existing`.
    assert len(storage_after) == len(storage_before) + 1

    # --- Clé gérée par le client et espace de travail HBI.
    cmk_vault = arm.put(rg, "Microsoft.KeyVault/vaults", unique("doccmk"), API["vault"], {
        "location": "eastus",
        "properties": {"tenantId": emu.tenant_id, "sku": {"family": "A", "name": "standard"},
                       "accessPolicies": []},
    })  # fmt: skip
    key_uri = f"https://{cmk_vault['name']}.vault.azure.net/keys/workspace-key/0123456789abcdef"
    cmk = unique("doccmk")
    ws = azml.az(
        f"ml workspace create -w {cmk} -g {rg} --cmk-keyvault {cmk_vault['id']} "
        f"--resource-cmk-uri {key_uri} --hbi-workspace"
    )
    _check_workspace_dict(ws, cmk, rg, emu)
    assert _same_id(ws["cmkKeyvault"], cmk_vault["id"]) and ws["resourceCmkUri"] == key_uri
    assert ws["hbiWorkspace"] is True
    raw = arm.get(ws["id"], API["workspace"])[1]
    assert raw["properties"]["encryption"]["status"] == "Enabled"
    assert raw["properties"]["hbiWorkspace"] is True
    # HBI can only be chosen at creation: an update that tries is refused before any request.
    with pytest.raises(azml.ValidationError, match="hbi_workspace cannot be changed"):
        client.workspaces.update(cmk, resource_group=rg, hbi_workspace=False)
    with pytest.raises(azml.ValidationError, match="location cannot be changed"):
        client.workspaces.update(cmk, resource_group=rg, location="westus")

    # --- The v1 CLI's other create options: primary identity, sku, v1 legacy mode.
    uai = arm.put(rg, "Microsoft.ManagedIdentity/userAssignedIdentities", unique("docid"),
                  API["identity"], {"location": "eastus"})  # fmt: skip
    with_id = unique("docuai")
    ws = azml.az(
        f"ml workspace create -w {with_id} -g {rg} --primary-user-assigned-identity "
        f"{uai['id']} --sku basic --v1-legacy-mode"
    )
    _check_workspace_dict(ws, with_id, rg, emu)
    assert ws["identityType"] == "SystemAssigned,UserAssigned"
    assert _same_id(ws["primaryUserAssignedIdentity"], uai["id"])
    assert ws["sku"] == "Basic"
    raw = arm.get(ws["id"], API["workspace"])[1]
    attached = {k.lower(): v for k, v in raw["identity"]["userAssignedIdentities"].items()}
    assert attached[uai["id"].lower()]["principalId"] == uai["properties"]["principalId"]
    assert raw["properties"]["v1LegacyMode"] is True

    # --- Répertorier les espaces de travail: az ml workspace list (every page: 2 a page).
    listed = azml.az("ml workspace list")
    mine = [e for e in listed if e["resourceGroup"] == rg]
    assert all(set(e) == {"resourceGroup", "subscriptionId", "workspaceName"} for e in listed)
    assert {e["workspaceName"] for e in mine} == {auto, with_acr, existing, cmk, with_id}
    assert all(e["subscriptionId"] == emu.subscription_id for e in mine)
    assert sorted(azml.az(f"ml workspace list -g {rg}"), key=str) == sorted(mine, key=str)
    assert azml.az(f"ml workspace list -g {rg} --query length(@)") == 5

    # --- Obtenir des informations: az ml workspace show -w -g
    shown = azml.az(f"ml workspace show -w {auto} -g {rg}")
    _check_workspace_dict(shown, auto, rg, emu)
    assert shown["tags"] == {}  # the document's example shows "tags": {}
    assert shown["workspaceid"] == raw_workspace_id(arm, shown["id"])

    # --- Mettre à jour: az ml workspace update -w -g (nothing given: nothing changes).
    same = azml.az(f"ml workspace update -w {auto} -g {rg}")
    assert {k: v for k, v in same.items()} == shown
    client.workspaces.update(auto, resource_group=rg, tags={"team": "ml"})
    updated = azml.az(f'ml workspace update -w {auto} -g {rg} -d "new words" -f Friendly')
    _check_workspace_dict(updated, auto, rg, emu)
    assert (updated["description"], updated["friendlyName"]) == ("new words", "Friendly")
    assert updated["tags"] == {"team": "ml"}  # not wiped (the old CLI wiped them)
    second_id = arm.put(rg, "Microsoft.ManagedIdentity/userAssignedIdentities",
                        unique("docid"), API["identity"], {"location": "eastus"})  # fmt: skip
    updated = client.workspaces.update(
        auto, resource_group=rg, primary_user_assigned_identity=second_id["id"],
        v1_legacy_mode=True,
    )  # fmt: skip
    assert _same_id(updated["primaryUserAssignedIdentity"], second_id["id"])
    assert updated["identityType"] == "SystemAssigned,UserAssigned"
    assert updated["tags"] == {"team": "ml"} and updated["description"] == "new words"
    raw = arm.get(updated["id"], API["workspace"])[1]
    assert raw["properties"]["v1LegacyMode"] is True
    assert raw["identity"]["principalId"] == shown["identityPrincipalId"]  # system one kept

    # --- Partager: az ml workspace share -w -g --user --role (prints nothing).
    upn = "user@azml-emulator.onmicrosoft.com"  # a user the emulator's Graph knows
    oid = emu.add_user(upn)
    assert azml.az(f"ml workspace share -w {auto} -g {rg} --user {upn} --role Contributor") is None
    status, out = arm.get(
        f"{shown['id']}/providers/Microsoft.Authorization/roleAssignments?$filter=atScope()",
        API["authorization"],
    )
    assert status == 200
    (assignment,) = [a for a in out["value"] if a["properties"]["principalId"] == oid]
    assert assignment["properties"]["scope"].lower() == shown["id"].lower()
    again = client.workspaces.share(auto, resource_group=rg, user=upn, role="Contributor")
    assert again["name"] == assignment["name"]  # the same assignment, not an error

    # --- Synchroniser les clés: az ml workspace sync-keys -w -g (prints nothing).
    keys_before = client.workspaces.list_keys(auto, resource_group=rg)["notebookAccessKeys"]
    assert azml.az(f"ml workspace sync-keys -w {auto} -g {rg}") is None
    keys_after = client.workspaces.list_keys(auto, resource_group=rg)["notebookAccessKeys"]
    assert keys_after != keys_before

    # --- Supprimer: az ml workspace delete -w -g. The dependents stay (the document's note).
    assert azml.az(f"ml workspace delete -w {with_acr} -g {rg}") is None
    assert arm.get(arm.res_path(rg, "Microsoft.MachineLearningServices/workspaces", with_acr),
                   API["workspace"])[0] == 404  # fmt: skip
    assert arm.get(acr_id, API["registry"])[0] == 200
    # Soft-deleted: the name stays taken until purged.
    with pytest.raises(azml.HttpResponseError, match="Soft-deleted workspace exists"):
        client.workspaces.create(with_acr, resource_group=rg)
    # permanently_delete purges: the name is free again at once.
    client.workspaces.delete(existing, resource_group=rg, permanently_delete=True)
    again = client.workspaces.create(
        existing, resource_group=rg, storage_account=sa_id, keyvault=kv_id,
        application_insights=ai_id,
    )  # fmt: skip
    assert again["name"] == existing
    # all_resources: the storage account, Key Vault, App Insights (and registry) go too.
    ws = client.workspaces.show(auto, resource_group=rg)
    assert azml.az(f"ml workspace delete -w {auto} -g {rg} --all-resources") is None
    for key, api in [("storageAccount", API["storage"]), ("keyVault", API["vault"]),
                     ("applicationInsights", API["insights"])]:  # fmt: skip
        assert arm.get(ws[key], api)[0] == 404, key

    # --- Supprimer le groupe: az group delete -g (asks for confirmation; --yes answers it).
    with pytest.raises(azml.AzureError, match="Use --yes"):
        azml.az(f"group delete -g {rg}")
    assert arm.get(arm.rg_path(rg), API["group"])[0] == 200
    assert azml.az(f"group delete -g {rg} --yes") is None
    assert azml.az(f"group delete -g {managed} --yes") is None
    assert client.groups.exists(rg) is False
    assert arm.get(arm.rg_path(rg), API["group"])[0] == 404
    assert arm.get(ws["id"], API["workspace"])[0] == 404


def raw_workspace_id(arm: Arm, ws_id: str) -> str:
    return arm.get(ws_id, API["workspace"])[1]["properties"]["workspaceId"]


def test_private_endpoint(doc_emu, signed_in):
    """Réseau virtuel et point de terminaison privé: --pe-name, --pe-auto-approval,
    --pe-resource-group, --pe-vnet-name, --pe-subnet-name (default `default`)."""
    emu, client, arm = doc_emu, signed_in, Arm(doc_emu)
    rg, net_rg = unique("docperg"), unique("docnet")
    client.groups.create(rg, location="eastus")
    client.groups.create(net_rg, location="eastus")
    try:
        vnet = unique("docvnet")
        status, out = arm.call(
            "PUT", arm.res_path(net_rg, "Microsoft.Network/virtualNetworks", vnet),
            API["network"],
            {"location": "eastus", "properties": {
                "addressSpace": {"addressPrefixes": ["10.0.0.0/16"]},
                "subnets": [{"name": "default", "properties": {"addressPrefix": "10.0.0.0/24"}},
                            {"name": "pe", "properties": {"addressPrefix": "10.0.1.0/24"}}]}},
        )  # fmt: skip
        code = (out or {}).get("error", {}).get("code")
        if status == 404 or (status == 400 and code == "NoRegisteredProviderFound"):
            pytest.skip(f"the emulator does not model Microsoft.Network yet ({status} {code})")
        assert status in (200, 201, 202), (status, out)

        manual = unique("docpe")
        ws = azml.az(
            f"ml workspace create -w {manual} -g {rg} --pe-name {manual}-pe "
            f"--pe-resource-group {net_rg} --pe-vnet-name {vnet}"
        )
        _check_workspace_dict(ws, manual, rg, emu)
        (conn,) = ws["privateEndpointConnections"]
        assert conn["properties"]["privateLinkServiceConnectionState"]["status"] == "Pending"
        pe_id = arm.res_path(net_rg, "Microsoft.Network/privateEndpoints", f"{manual}-pe")
        status, pe = arm.get(pe_id, API["network"])
        assert status == 200
        assert pe["properties"]["subnet"]["id"].lower().endswith(f"/{vnet}/subnets/default")

        auto = unique("docpe")
        ws = client.workspaces.create(
            auto, resource_group=rg, pe_name=f"{auto}-pe", pe_auto_approval=True,
            pe_resource_group=net_rg, pe_vnet_name=vnet, pe_subnet_name="pe",
        )  # fmt: skip
        (conn,) = ws["privateEndpointConnections"]
        assert conn["properties"]["privateLinkServiceConnectionState"]["status"] == "Approved"
    finally:
        client.groups.delete(rg)
        client.groups.delete(net_rg)


@pytest.mark.parametrize("keep", [False, True])
def test_a_failed_workspace_removes_or_keeps_the_dependents_it_created(doc_emu, keep):
    emu, arm = doc_emu, Arm(doc_emu)
    client = azml.Client(
        subscription_id=emu.subscription_id, credential=emu.credential, endpoint=emu.url
    )
    rg, name = unique("docfail"), unique("docfail")
    client.groups.create(rg, location="eastus")
    # The workspace PUT fails (the faults admin API); everything before it succeeds.
    status, rule = admin(emu, "POST", "/_emulator/faults", {
        "method": "PUT", "path": f"/workspaces/{name}$",
        "action": {"type": "status", "status": 400, "code": "UserError",
                   "message": "injected: the workspace cannot be created"},
    })  # fmt: skip
    assert status in (200, 201), rule
    try:
        with pytest.raises(azml.HttpResponseError) as err:
            client.workspaces.create(name, resource_group=rg, keep_dependents_on_failure=keep)
        message = str(err.value)
        assert err.value.code == "UserError"
        assert "injected: the workspace cannot be created" in message
        dependents = [
            arm.list_in(rg, "Microsoft.Storage/storageAccounts", API["storage"]),
            arm.list_in(rg, "Microsoft.KeyVault/vaults", API["vault"]),
            arm.list_in(rg, "Microsoft.Insights/components", API["insights"]),
        ]
        names = [d["name"] for found in dependents for d in found]
        if keep:
            assert "kept the dependents this call had created" in message
            assert [len(found) for found in dependents] == [1, 1, 1]
            assert all(n in message for n in names), (names, message)
        else:
            assert "removed the dependents this call had created" in message
            assert "keep_dependents_on_failure=True keeps them" in message
            assert names == []
        status, _ = arm.get(
            arm.res_path(rg, "Microsoft.MachineLearningServices/workspaces", name),
            API["workspace"],
        )
        assert status == 404
    finally:
        admin(emu, "DELETE", f"/_emulator/faults/{rule['id']}")
        client.groups.delete(rg)


def admin(emu, method: str, path: str, body: Any = None) -> Tuple[int, Any]:
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(f"{emu.url}{path}", data=data, method=method)
    if data is not None:
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            raw = resp.read()
            return resp.status, json.loads(raw) if raw else None
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


def test_list_over_several_subscriptions(doc_emu):
    emu = doc_emu
    main = azml.Client(
        subscription_id=emu.subscription_id, credential=emu.credential, endpoint=emu.url
    )
    other = azml.Client(
        subscription_id=SECOND_SUBSCRIPTION, credential=emu.credential, endpoint=emu.url
    )
    assert emu.extra_subscriptions == [SECOND_SUBSCRIPTION]
    rg_main, rg_other = unique("docsub"), unique("docsub")
    main.groups.create(rg_main, location="eastus")
    other.groups.create(rg_other, location="westus")
    try:
        # Three in the main subscription (two pages of two), one in the other.
        names = sorted(unique("docws") for _ in range(3))
        for n in names:
            main.workspaces.create(n, resource_group=rg_main)
        lone = unique("docws")
        created = other.workspaces.create(lone, resource_group=rg_other)
        assert created["id"].startswith(f"/subscriptions/{SECOND_SUBSCRIPTION}/")
        # Each subscription has its own resources.
        assert not main.groups.exists(rg_other) and not other.groups.exists(rg_main)

        both = main.workspaces.list(subscription_ids=[SECOND_SUBSCRIPTION, emu.subscription_id])
        subs = [e["subscriptionId"] for e in both]
        # In the order given, each subscription's entries together.
        assert subs == sorted(subs, key=[SECOND_SUBSCRIPTION, emu.subscription_id].index)
        assert {e["workspaceName"] for e in both if e["resourceGroup"] == rg_main} == set(names)
        assert [e for e in both if e["subscriptionId"] == SECOND_SUBSCRIPTION] == [
            {"resourceGroup": rg_other, "subscriptionId": SECOND_SUBSCRIPTION,
             "workspaceName": lone}
        ]  # fmt: skip
        # The same call again gives the same order.
        assert (
            main.workspaces.list(subscription_ids=[SECOND_SUBSCRIPTION, emu.subscription_id])
            == both
        )
        by_group = main.workspaces.list(rg_main, subscription_ids=[emu.subscription_id])
        assert sorted(e["workspaceName"] for e in by_group) == names
        with pytest.raises(azml.ValidationError, match="subscription_ids"):
            main.workspaces.list(subscription_ids="not-a-list")
        with pytest.raises(azml.ValidationError, match="is not a GUID"):
            main.workspaces.list(subscription_ids=["nope"])
        # A subscription the emulator does not serve: the error names it.
        unknown = "00000000-0000-4000-8000-0000000000ff"
        with pytest.raises(azml.ResourceNotFoundError, match=unknown):
            main.workspaces.list(subscription_ids=[emu.subscription_id, unknown])
    finally:
        main.groups.delete(rg_main)
        other.groups.delete(rg_other)


def test_v2_output_prints_kind_for_hubs_only(doc_emu):
    emu, arm = doc_emu, Arm(doc_emu)
    client = azml.Client(
        subscription_id=emu.subscription_id, credential=emu.credential, endpoint=emu.url,
        output="v2",
    )  # fmt: skip
    rg = unique("dockind")
    client.groups.create(rg, location="eastus")
    try:
        plain = client.workspaces.create(unique("dockind"), resource_group=rg)
        assert "kind" not in plain  # as the azure-ai-ml 1.35 fixture
        raw = arm.get(
            f"/subscriptions/{emu.subscription_id}/resourceGroups/{rg}/providers/"
            f"Microsoft.MachineLearningServices/workspaces/{plain['name']}",
            API["workspace"],
        )[1]
        hub = unique("dochub")
        status, out = arm.call(
            "PUT", arm.res_path(rg, "Microsoft.MachineLearningServices/workspaces", hub),
            API["workspace"],
            {"location": "eastus", "kind": "Hub", "identity": {"type": "SystemAssigned"},
             "properties": {k: raw["properties"][k] for k in ("storageAccount", "keyVault")}},
        )  # fmt: skip
        assert status in (200, 201, 202), out
        assert client.workspaces.show(hub, resource_group=rg)["kind"] == "hub"
    finally:
        client.groups.delete(rg)
