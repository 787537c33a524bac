"""Replays recorded real Azure traffic against the emulator (fixtures/recordings).

For every recorded request, in recorded order, the same method, path, api-version and body
go to the emulator (subscription id and host rewritten, a fresh emulator token instead of
the scrubbed one), and the answer must match the recording in:

- the status code;
- which long-running-operation headers are present (Azure-AsyncOperation, Location,
  Retry-After: presence, not values);
- the top-level keys of the JSON body.

Recorded polls of an operation status URL cannot be replayed (the recorded operation id
does not exist here): the replay follows the emulator's own Location / Azure-AsyncOperation
instead and compares the terminal poll with the recording's terminal poll. The emulator
runs with Azure's own polling headers (latency `realistic`) on a time scale of 0, so it
finishes on the first poll: recorded intermediate polls (202, `InProgress`) have no
counterpart and are not compared.

Every departure from the recordings is listed below with its reason.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Set, Tuple

import pytest
import requests

import azml

# The recordings kept in the repository (tests/fixtures/PROVENANCE.md says where from).
RECORDINGS = Path(__file__).resolve().parents[1] / "fixtures" / "recordings"
LRO_HEADERS = ("azure-asyncoperation", "location", "retry-after")
ARM_SCOPE = "https://management.azure.com/.default"
POLL_PATH = re.compile(r"/(operationresults|operationStatuses|workspaceOperationsStatus)/", re.I)
MAX_POLLS = 50

# Requests the replay does not send, each with its reason.
SKIPPED: List[Tuple[str, str]] = [
    (
        r"/exportTemplate$",
        "`az group export` (POST exportTemplate) is not emulated: azml has no such command, "
        "and a faithful export would have to turn every emulated resource into a template",
    ),
    (
        r"/providers/Microsoft\.Resources/deployments/|/resourcegroups/[^/]+/deployments/",
        "template deployments (Microsoft.Resources/deployments) are not emulated: the replay "
        "creates what azure-ai-ml's template would have created instead (see "
        "`_as_if_deployed`)",
    ),
]

# Body keys that may differ from a recording, each with its reason.
KEY_EXCEPTIONS: Dict[str, str] = {
    "kind": 'workspaces carry `kind` ("Default", "Hub"…) in today\'s API and traffic '
    "(ARM-CONTRACT.md §2, 2024-04-01); the 2022-05-01 azure-ai-ml recording predates it, and "
    "the emulator answers every api-version with today's shape",
}

# (method, path pattern, header): a long-running-operation header whose presence may differ
# from a recording, each with its reason.
HEADER_EXCEPTIONS: List[Tuple[str, str, str, str]] = [
    (
        "DELETE",
        r"/resourcegroups/[^/]+$",
        "retry-after",
        "ARM's group deletion sends `Retry-After: 15` in newer traffic (ARM-CONTRACT.md §3, "
        "as the emulator does under realistic latency); this 2021 azure-cli recording has "
        "none. Clients treat it as optional either way.",
    ),
]


@dataclass
class Poll:
    url: str
    status: int
    body: Any


@dataclass
class Step:
    method: str
    url: str
    body: Any
    status: int
    headers: Set[str]
    response: Any
    polls: List[Poll] = field(default_factory=list)


def _json_or_none(text: Any) -> Any:
    if text is None or text == "":
        return None
    if isinstance(text, (dict, list)):
        return text
    try:
        return json.loads(text)
    except ValueError:
        return text


def _steps(raw: List[Step]) -> List[Step]:
    """Attaches recorded polls to the request that started the operation."""
    steps: List[Step] = []
    for s in raw:
        if s.method == "GET" and POLL_PATH.search(s.url) and steps:
            steps[-1].polls.append(Poll(s.url, s.status, s.response))
        else:
            steps.append(s)
    return steps


def load_cli_yaml(name: str) -> List[Step]:
    import yaml

    data = yaml.safe_load((RECORDINGS / name).read_text())
    raw = []
    for i in data["interactions"]:
        req, resp = i["request"], i["response"]
        raw.append(
            Step(
                method=req["method"],
                url=req["uri"],
                body=_json_or_none(req["body"]),
                status=resp["status"]["code"],
                headers={k.lower() for k in resp["headers"]} & set(LRO_HEADERS),
                response=_json_or_none(resp["body"]["string"]),
            )
        )
    return _steps(raw)


def load_sdk_json(name: str) -> List[Step]:
    data = json.loads((RECORDINGS / name).read_text())
    raw = []
    for e in data["Entries"]:
        if "RequestUri" not in e:  # an `_excerpt_note` standing for elided entries
            continue
        raw.append(
            Step(
                method=e["RequestMethod"],
                url=e["RequestUri"],
                body=e.get("RequestBody"),
                status=int(e["StatusCode"]),
                headers={k.lower() for k in e["ResponseHeaders"]} & set(LRO_HEADERS),
                response=e.get("ResponseBody"),
            )
        )
    return _steps(raw)


class Replayer:
    def __init__(self, emu: azml.emulator.EmulatorHandle) -> None:
        from azure.identity import ClientSecretCredential

        env = emu.env()
        self.emu = emu
        cred = ClientSecretCredential(
            env["AZURE_TENANT_ID"],
            env["AZURE_CLIENT_ID"],
            env["AZURE_CLIENT_SECRET"],
            authority=emu.url,
            disable_instance_discovery=True,
            connection_verify=emu.ca_file,
        )
        self.token = cred.get_token(ARM_SCOPE).token
        cred.close()
        self.http = requests.Session()
        self.http.verify = emu.ca_file
        self.http.trust_env = False
        self.problems: List[str] = []
        self.skipped: List[str] = []

    def rewrite(self, text: str) -> str:
        text = re.sub(r"https://management\.azure\.com", self.emu.url, text)
        return re.sub(
            r"/subscriptions/[^/?\"]+", f"/subscriptions/{self.emu.subscription_id}", text
        )

    def send(self, method: str, url: str, body: Any = None) -> requests.Response:
        if not url.startswith("http"):
            url = self.emu.url + url
        data = None if body is None else self.rewrite(json.dumps(body))
        headers = {"Authorization": f"Bearer {self.token}"}
        if data is not None:
            headers["Content-Type"] = "application/json"
        return self.http.request(method, self.rewrite(url), data=data, headers=headers, timeout=10)

    def put(self, path: str, api_version: str, body: Any) -> Any:
        """Setup outside the recording: must succeed (waits for LROs)."""
        resp = self.send("PUT", f"{path}?api-version={api_version}", body)
        assert resp.status_code in (200, 201, 202), (path, resp.status_code, resp.text)
        if resp.status_code == 202:
            self.poll(resp, "azure-asyncoperation")
        return resp

    def poll(self, first: requests.Response, prefer: str) -> requests.Response:
        header = prefer if prefer in first.headers else "location"
        url = first.headers[header]
        for _ in range(MAX_POLLS):
            resp = self.send("GET", url)
            if header == "azure-asyncoperation":
                status = resp.json().get("status", "")
                if status.lower() in ("succeeded", "failed", "canceled"):
                    return resp
            elif resp.status_code != 202:
                return resp
            url = resp.headers.get(header, url)
        raise AssertionError(f"operation at {url} did not finish in {MAX_POLLS} polls")

    def note(self, where: str, what: str) -> None:
        self.problems.append(f"{where}: {what}")

    def compare_keys(self, where: str, recorded: Any, got: Any, subset: bool = False) -> None:
        if not isinstance(recorded, dict):
            if recorded is None and got not in (None, "", b""):
                if isinstance(got, dict) and got:
                    self.note(where, f"recorded no body, emulator sent keys {sorted(got)}")
            return
        if not isinstance(got, dict):
            self.note(where, f"recorded keys {sorted(recorded)}, emulator sent {got!r:.80}")
            return
        want, have = set(recorded), set(got)
        missing = {k for k in want - have if k not in KEY_EXCEPTIONS}
        extra = set() if subset else {k for k in have - want if k not in KEY_EXCEPTIONS}
        if missing or extra:
            self.note(where, f"body keys: missing {sorted(missing)}, extra {sorted(extra)}")

    def run(self, steps: List[Step], hooks: Optional[Dict[int, Callable[[], None]]] = None):
        hooks = hooks or {}
        for n, step in enumerate(steps):
            where = f"#{n} {step.method} {step.url.split('?')[0][-90:]}"
            reason = next(
                (r for pat, r in SKIPPED if re.search(pat, step.url.split("?")[0], re.I)), None
            )
            if reason is not None:
                self.skipped.append(f"{where}: {reason}")
                if n in hooks:
                    hooks[n]()
                continue
            resp = self.send(step.method, step.url, step.body)
            if resp.status_code != step.status:
                self.note(
                    where, f"status {resp.status_code}, recorded {step.status}: {resp.text:.300}"
                )
                continue
            got_headers = {h for h in LRO_HEADERS if h in resp.headers}
            path = step.url.split("?")[0]
            for method, pattern, header, _ in HEADER_EXCEPTIONS:
                if step.method == method and re.search(pattern, path, re.I):
                    got_headers.discard(header)
                    step.headers.discard(header)
            if got_headers != step.headers:
                self.note(
                    where, f"LRO headers {sorted(got_headers)}, recorded {sorted(step.headers)}"
                )
            body = _json_or_none(resp.text) if step.method != "HEAD" else None
            self.compare_keys(where, step.response, body)
            if step.polls:
                self.follow(where, step, resp)
            if n in hooks:
                hooks[n]()

    def follow(self, where: str, step: Step, resp: requests.Response) -> None:
        last = step.polls[-1]
        recorded_async = "type=async" in last.url or (
            "azure-asyncoperation" in step.headers
            and isinstance(last.body, dict)
            and "status" in last.body
            and last.status == 200
        )
        prefer = "azure-asyncoperation" if recorded_async else "location"
        if not ({prefer, "location"} & set(h.lower() for h in resp.headers)):
            self.note(where, "no operation URL to follow")
            return
        final = self.poll(resp, prefer)
        rec_status = last.body.get("status") if isinstance(last.body, dict) else None
        terminal = (
            rec_status in ("Succeeded", "Failed", "Canceled")
            if prefer == "azure-asyncoperation"
            else last.status != 202
        )
        if not terminal:
            # The recording was cut before the operation ended (an excerpt).
            if prefer == "azure-asyncoperation":
                got = final.json().get("status")
            else:
                got = "Succeeded" if final.status_code in (200, 204) else final.status_code
            if got != "Succeeded":
                self.note(where + " (poll)", f"emulator's operation ended {got!r}")
            return
        if final.status_code != last.status:
            self.note(
                where + " (poll)", f"terminal status {final.status_code}, recorded {last.status}"
            )
        body = _json_or_none(final.text)
        self.compare_keys(where + " (poll)", last.body, body)
        if rec_status is not None and isinstance(body, dict) and body.get("status") != rec_status:
            self.note(where + " (poll)", f"status {body.get('status')!r}, recorded {rec_status!r}")


@pytest.fixture
def replayer() -> Any:
    if not RECORDINGS.is_dir():
        pytest.fail(f"{RECORDINGS} not found: the repository's fixtures are missing")
    # Realistic latency sends the polling headers Azure sends (the faster profiles add
    # Retry-After hints everywhere); a time scale of 0 still finishes at once.
    with azml.emulator.start(tls=True, latency="realistic", time_scale=0.0) as emu:
        yield Replayer(emu)


def _verdict(r: Replayer) -> None:
    assert not r.problems, "the emulator departs from the recording:\n" + "\n".join(r.problems)


def test_replay_azure_cli_resource_group(replayer):
    steps = load_cli_yaml("azure-cli_resource_test_resource_group.yaml")
    assert steps[0].method == "DELETE" and steps[0].status == 202
    # The recording opens with a DELETE that answered 202: the group existed before it
    # (made by the test's preparer outside the recording), so the replay makes it first.
    replayer.put(
        "/subscriptions/x/resourcegroups/cli_test_rg_scenario000001", "2021-04-01",
        {"location": "westus"},
    )  # fmt: skip
    replayer.run(steps)
    assert [s.split(":")[0].split()[1] for s in replayer.skipped] == ["POST"]
    _verdict(replayer)


ML_SUB = "/subscriptions/x/resourceGroups/00000/providers"


def _ml_dependents(r: Replayer, location: str, storage: str, vault: str, insights: str) -> Dict:
    r.put(f"{ML_SUB}/Microsoft.Storage/storageAccounts/{storage}", "2019-06-01",
          {"location": location, "sku": {"name": "Standard_LRS"}, "kind": "StorageV2"})  # fmt: skip
    r.put(f"{ML_SUB}/Microsoft.KeyVault/vaults/{vault}", "2019-09-01",
          {"location": location, "properties": {"tenantId": r.emu.tenant_id,
           "sku": {"family": "A", "name": "standard"}, "accessPolicies": []}})  # fmt: skip
    r.put(f"{ML_SUB}/Microsoft.Insights/components/{insights}", "2020-02-02",
          {"location": location, "kind": "web",
           "properties": {"Application_Type": "web"}})  # fmt: skip
    return {
        "storageAccount": f"{ML_SUB}/Microsoft.Storage/storageAccounts/{storage}",
        "keyVault": f"{ML_SUB}/Microsoft.KeyVault/vaults/{vault}",
        "applicationInsights": f"{ML_SUB}/Microsoft.Insights/components/{insights}",
    }


def test_replay_azure_ai_ml_workspace_create_update_delete(replayer):
    name = "azure-ai-ml_test_workspace_create_update_and_delete.EXCERPT.json"
    data = json.loads((RECORDINGS / name).read_text())
    steps = load_sdk_json(name)
    deployment = next(i for i, s in enumerate(steps) if "/deployments/" in s.url)
    params = {k: v["value"] for k, v in steps[deployment].body["properties"]["parameters"].items()}
    names = data["Variables"]
    assert params["storageAccountName"] == names["storage_name"]
    replayer.put("/subscriptions/x/resourcegroups/00000", "2021-04-01", {"location": "eastus"})

    def _as_if_deployed() -> None:
        # What azure-ai-ml's workspace template creates from these parameters: the three
        # new dependents, then the workspace linking them.
        loc = params["location"]
        ids = _ml_dependents(replayer, loc, params["storageAccountName"],
                             params["keyVaultName"], params["applicationInsightsName"])  # fmt: skip
        replayer.put(
            f"{ML_SUB}/Microsoft.MachineLearningServices/workspaces/{params['workspaceName']}",
            "2022-05-01",
            {
                "location": loc,
                "tags": params["tagValues"],
                "identity": {"type": "SystemAssigned"},
                "properties": {
                    "friendlyName": params["friendlyName"],
                    "description": params["description"],
                    "publicNetworkAccess": params["publicNetworkAccess"],
                    **{k: replayer.rewrite(v) for k, v in ids.items()},
                },
            },
        )

    replayer.run(steps, hooks={deployment: _as_if_deployed})
    assert replayer.skipped and all("/deployments/" in s for s in replayer.skipped)
    _verdict(replayer)


def test_replay_azure_ai_ml_workspace_diagnosis(replayer):
    steps = load_sdk_json("azure-ai-ml_test_workspace_diagnosis.json")
    # The recording starts with the workspace in place (made outside the recording).
    replayer.put("/subscriptions/x/resourcegroups/00000", "2021-04-01", {"location": "eastus"})
    ids = _ml_dependents(replayer, "eastus", "diagsa00000", "diag-kv-00000", "diag-ai-00000")
    replayer.put(
        f"{ML_SUB}/Microsoft.MachineLearningServices/workspaces/00000", "2022-05-01",
        {"location": "eastus", "properties": {k: replayer.rewrite(v) for k, v in ids.items()}},
    )  # fmt: skip
    replayer.run(steps)
    assert not replayer.skipped
    _verdict(replayer)


EXAMPLES = RECORDINGS / "rest-api-spec-examples-2021-07-01"
EX_SUB = "/subscriptions/x/resourceGroups"


def test_replay_spec_example_create_then_list(replayer):
    """The spec's examples are idealised: they omit the server-generated fields that real
    traffic shows (sku, kind, systemData, tags, workspaceId…), so their keys must be a
    subset of the emulator's, and they show no headers to compare."""
    create = json.loads((EXAMPLES / "create.json").read_text())
    listing = json.loads((EXAMPLES / "listByResourceGroup.json").read_text())
    p = create["parameters"]
    body = p["parameters"]
    for rg in ("workspace-1234", "accountcrud-1234"):
        replayer.put(f"/subscriptions/x/resourcegroups/{rg}", "2021-04-01", {"location": "eastus"})
    props = body["properties"]
    # The dependents the example links to, made first (the service checks they exist).
    replayer.put(replayer.rewrite(props["keyVault"]), "2019-09-01",
                 {"location": body["location"], "properties": {"tenantId": replayer.emu.tenant_id,
                  "sku": {"family": "A", "name": "standard"}, "accessPolicies": []}})  # fmt: skip
    replayer.put(replayer.rewrite(props["applicationInsights"]), "2020-02-02",
                 {"location": body["location"], "kind": "web",
                  "properties": {"Application_Type": "web"}})  # fmt: skip
    replayer.put(replayer.rewrite(props["containerRegistry"]), "2023-07-01",
                 {"location": body["location"], "sku": {"name": "Basic"},
                  "properties": {"adminUserEnabled": True}})  # fmt: skip
    # The example's storage account name, `testStorageAccount`, is idealised: real ones are
    # lower-case only (the emulator enforces it), and ARM names compare case-insensitively,
    # so the account is made lower-case and the example's id still finds it.
    replayer.put(replayer.rewrite(props["storageAccount"]).replace("testStorageAccount",
                 "teststorageaccount"), "2019-06-01",
                 {"location": body["location"], "sku": {"name": "Standard_LRS"},
                  "kind": "StorageV2"})  # fmt: skip
    # The user-assigned identities too: the emulator models them, and checks they exist.
    for uai in (body.get("identity") or {}).get("userAssignedIdentities") or {}:
        replayer.put(replayer.rewrite(uai), "2023-01-31", {"location": body["location"]})
    path = (f"{EX_SUB}/{p['resourceGroupName']}/providers/Microsoft.MachineLearningServices"
            f"/workspaces/{p['workspaceName']}?api-version={p['api-version']}")  # fmt: skip
    resp = replayer.send("PUT", path, body)
    assert str(resp.status_code) in create["responses"], resp.text
    if resp.status_code == 202:
        replayer.poll(resp, "azure-asyncoperation")
        resp = replayer.send("GET", path)
        assert resp.status_code == 200, resp.text
    replayer.compare_keys("create", create["responses"]["200"]["body"], resp.json(), subset=True)
    replayer.compare_keys(
        "create properties",
        create["responses"]["200"]["body"]["properties"],
        resp.json()["properties"],
        subset=True,
    )

    lp = listing["parameters"]
    resp = replayer.send(
        "GET",
        f"{EX_SUB}/{lp['resourceGroupName']}/providers/Microsoft.MachineLearningServices"
        f"/workspaces?api-version={lp['api-version']}",
    )
    assert resp.status_code == 200, resp.text
    want = listing["responses"]["200"]["body"]
    got = resp.json()
    # The example has a nextLink-less second page's worth of items; ours has one workspace.
    replayer.compare_keys("list", {k: v for k, v in want.items() if k != "nextLink"}, got, True)
    replayer.compare_keys("list item", want["value"][0], got["value"][0], subset=True)
    _verdict(replayer)
