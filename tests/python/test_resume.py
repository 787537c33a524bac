"""Long operations as pollers: continuation tokens resumed in another process, tokens
refused for another endpoint, the overall timeout, and cancellation that stops polling."""

import asyncio
import base64
import json
import shlex
import signal
import subprocess
import sys
import threading
import time
import urllib.request

import pytest

import azml
from helpers import child_env, unique


def _decode(token):
    return json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))


def _encode(payload):
    raw = json.dumps(payload).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _journal(url):
    with urllib.request.urlopen(f"{url}/_emulator/journal", timeout=10) as r:
        return json.load(r)["value"]


@pytest.fixture(scope="module")
def served():
    """An emulator in its own process, as slow as Azure scaled down: a workspace takes
    about 6 s to create, so a client can be killed in the middle of it."""
    cmd = [sys.executable, "-m", "azml.emulator", "--latency", "realistic", "--time-scale", "0.2"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=child_env())  # fmt: skip
    env = {}
    try:
        while "AZML_ENDPOINT" not in env:
            line = proc.stdout.readline()
            if not line:
                pytest.fail(f"the emulator ended early: {proc.stderr.read()}")
            name, _, value = line[len("export ") :].rstrip("\n").partition("=")
            env[name] = shlex.split(value)[0]
        yield env
    finally:
        proc.terminate()
        try:
            proc.communicate(timeout=30)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()


BEGIN_THEN_HANG = """
import sys, azml
client = azml.Client()
poller = client.workspaces.begin_create(sys.argv[1], resource_group=sys.argv[2])
print(poller.continuation_token(), flush=True)
poller.result()
print("finished", flush=True)
"""

RESUME = """
import json, sys, azml
print(json.dumps(azml.Client().resume(sys.stdin.read().strip()).result()), flush=True)
"""


def _puts(url, fragment):
    """The PUTs the emulator has received whose path holds `fragment` (any case)."""
    return [
        e["path"].split("?")[0] for e in _journal(url)
        if e["method"] == "PUT" and fragment.lower() in e["path"].lower()
    ]  # fmt: skip


@pytest.mark.parametrize("killed_while", ["dependents", "workspace"])
def test_a_create_killed_mid_operation_is_finished_by_resuming_its_token(served, killed_while):
    sub, url = served["AZURE_SUBSCRIPTION_ID"], served["AZML_ENDPOINT"]
    client = azml.Client(subscription_id=sub, endpoint=url, credential=client_credential(served))
    arm_view = azml.Client(subscription_id=client.subscription_id, endpoint=client.endpoint,
                           credential=client_credential(served), output="arm")  # fmt: skip
    group, name, plain_name = unique("rg"), unique("ws"), unique("ws")
    client.groups.create(group, location="eastus")
    ws_path = f"/providers/Microsoft.MachineLearningServices/workspaces/{name}"

    # 1. A process begins the create, hands out its token, and is killed: while its
    # storage account is being made (~4 s here), or once the workspace PUT has been sent.
    with subprocess.Popen(
        [sys.executable, "-c", BEGIN_THEN_HANG, name, group],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=child_env(**served),
    ) as proc:  # fmt: skip
        try:
            token = proc.stdout.readline().strip()
            assert token, proc.stderr.read()
            watched = f"/resourceGroups/{group}/" + (
                "providers/Microsoft.Storage/storageAccounts/"
                if killed_while == "dependents" else ws_path.lstrip("/")
            )  # fmt: skip
            while not _puts(url, watched):
                assert proc.poll() is None, proc.stderr.read()
                time.sleep(0.02)
            proc.send_signal(signal.SIGKILL)
            out, _ = proc.communicate(timeout=30)
        finally:
            if proc.poll() is None:
                proc.kill()
    assert proc.returncode == -signal.SIGKILL
    assert "finished" not in out

    payload = _decode(token)
    assert payload["v"] == 1 and payload["op"] == "workspace.create"
    assert payload["endpoint"] == served["AZML_ENDPOINT"]
    assert served["AZURE_CLIENT_SECRET"] not in token and "Bearer" not in json.dumps(payload)
    planned = {c["kind"]: c["name"] for c in payload["state"]["created"]}
    if killed_while == "dependents":
        # The token was handed out before any write: the workspace was not asked for yet.
        with pytest.raises(azml.ResourceNotFoundError):
            arm_view.workspaces.show(name, resource_group=group)
        account = arm_view.storage_accounts.show(planned["storageAccount"], resource_group=group)
        assert account["properties"]["provisioningState"] == "Creating"
    else:
        # Killed before the workspace was there: ARM still works on it.
        state = arm_view.workspaces.show(name, resource_group=group)["properties"]
        assert state["provisioningState"] != "Succeeded", state

    # 2. Another process resumes it, while this one makes a workspace the plain way.
    with subprocess.Popen(
        [sys.executable, "-c", RESUME],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env=child_env(**served),
    ) as resumer:  # fmt: skip
        plain = {}
        worker = threading.Thread(
            target=lambda: plain.update(client.workspaces.create(plain_name, resource_group=group))
        )
        worker.start()
        out, err = resumer.communicate(token, timeout=120)
        worker.join(120)
    assert resumer.returncode == 0, err
    resumed = json.loads(out)

    # The same dict a plain create returns: the same keys, and the workspace as it is.
    assert set(resumed) == set(plain)
    assert resumed == client.workspaces.show(name, resource_group=group)
    assert name in json.dumps(resumed)
    # The emulator agrees.
    body = arm_view.workspaces.show(name, resource_group=group)
    assert body["properties"]["provisioningState"] == "Succeeded"
    # Nothing was lost or made twice: the workspace uses the dependents the killed process
    # had started, and was asked for once.
    linked = body["properties"]["storageAccount"].rsplit("/", 1)[-1]
    assert linked.lower() == planned["storageAccount"].lower()
    assert len(_puts(url, f"/resourceGroups/{group}{ws_path}")) == 1
    # and the vault kept the access policy the workspace gave its identity.
    vault = arm_view.keyvaults.show(planned["keyVault"], resource_group=group)
    holders = {p["objectId"] for p in vault["properties"]["accessPolicies"]}
    assert body["identity"]["principalId"] in holders, holders
    accounts = {
        p.rsplit("/", 1)[-1]
        for p in _puts(url, f"/resourceGroups/{group}/providers/Microsoft.Storage/")
    }
    assert len(accounts) == 2, accounts  # this workspace's and the plain one's
    client.groups.delete(group, no_wait=True)


def client_credential(env):
    return azml.ClientSecretCredential(
        env["AZURE_TENANT_ID"], env["AZURE_CLIENT_ID"], env["AZURE_CLIENT_SECRET"],
        authority=env["AZURE_AUTHORITY_HOST"],
    )  # fmt: skip


# ---------------------------------------------------------------------------------------
# In-process emulator


def test_a_token_round_trips_and_holds_no_secret(client, emu):
    group = unique("rg")
    client.groups.create(group, location="eastus")
    poller = client.groups.begin_delete(group)
    token = poller.continuation_token()
    assert isinstance(token, str) and "=" not in token
    payload = _decode(token)
    assert payload["v"] == 1
    assert payload["op"] == "group.delete"
    assert payload["subscription"] == emu.subscription_id
    assert payload["endpoint"] == emu.url
    assert payload["state"]["kind"] == "groupDelete"
    assert emu.credential.get_token("https://management.azure.com/.default").token not in token
    assert poller.result() is None and poller.done() and poller.status() == "Succeeded"
    # Resumed after the end: the same (None), from any client of that endpoint.
    again = client.resume(token)
    assert again.result() is None
    assert again.continuation_token() == token


def test_a_token_for_another_endpoint_or_subscription_is_refused_before_any_request(client):
    group = unique("rg")
    client.groups.create(group, location="eastus")
    token = client.groups.begin_delete(group).continuation_token()
    # Nothing listens on port 9: a request would be a ServiceRequestError.
    elsewhere = azml.Client(subscription_id=client.subscription_id, endpoint="http://127.0.0.1:9",
                            credential=azml.ClientSecretCredential("t", "c", "s"))  # fmt: skip
    with pytest.raises(azml.ValidationError, match=r"ARM endpoint http://127\.0\.0\.1:"):
        elsewhere.resume(token)
    other_sub = azml.Client(subscription_id="00000000-0000-0000-0000-0000000000ff",
                            endpoint=client.endpoint,
                            credential=azml.ClientSecretCredential("t", "c", "s"))  # fmt: skip
    with pytest.raises(azml.ValidationError, match="subscription"):
        other_sub.resume(token)
    for bad in ["", "not a token", _encode({"v": 99}), _encode({"v": 1})]:
        with pytest.raises(azml.ValidationError):
            client.resume(bad)
    with pytest.raises(azml.ValidationError):
        client.resume(None)  # type: ignore[arg-type]


def test_a_tampered_token_cannot_steer_writes_outside_its_subscription(client, emu):
    group, name = unique("rg"), unique("ws")
    client.groups.create(group, location="eastus")
    poller = client.workspaces.begin_create(name, resource_group=group)
    token = poller.continuation_token()
    assert poller.result()["name"] == name
    payload = _decode(token)
    assert payload["state"]["created"], payload
    elsewhere = "/subscriptions/00000000-0000-0000-0000-0000000000ff/resourceGroups/victim"
    for path in (elsewhere, f"/subscriptions/{emu.subscription_id}/../{elsewhere[15:]}"):
        tampered = json.loads(json.dumps(payload))
        tampered["state"]["created"][0]["path"] = path
        before = len(_journal(emu.url))
        with pytest.raises(azml.ValidationError, match="outside subscription"):
            client.resume(_encode(tampered))
        assert len(_journal(emu.url)) == before
    client.groups.delete(group, no_wait=True)


def test_a_tampered_polling_url_on_another_host_is_never_contacted(client, emu):
    group = unique("rg")
    client.groups.create(group, location="eastus")
    token = client.groups.begin_delete(group).continuation_token()
    payload = _decode(token)
    payload["state"]["operation"] = {
        "verb": "DELETE",
        "resource": f"/subscriptions/{emu.subscription_id}/resourcegroups/{group}",
        "via": "location",
        "url": "http://127.0.0.2:9/operation",
    }
    with pytest.raises(azml.ServiceRequestError, match="refusing to follow"):
        client.resume(_encode(payload)).result()


def test_each_long_method_has_a_poller_with_the_plain_result(client):
    group, name = unique("rg"), unique("ws")
    client.groups.create(group, location="eastus")
    created = client.workspaces.begin_create(name, resource_group=group).result()
    assert created == client.workspaces.show(name, resource_group=group)
    updated = client.workspaces.begin_update(
        name, resource_group=group, description="resumable"
    ).result()
    assert updated["description"] == "resumable"
    assert client.workspaces.begin_sync_keys(name, resource_group=group).result() is None
    diagnosis = client.workspaces.begin_diagnose(name, resource_group=group)
    assert diagnosis.result() == client.workspaces.diagnose(name, resource_group=group)
    token = diagnosis.continuation_token()
    assert client.resume(token).result() == diagnosis.result()
    poller = client.workspaces.begin_delete(name, resource_group=group, all_resources=True)
    assert repr(poller).startswith("Poller(operation='workspace.delete'")
    assert poller.result() is None
    assert client.storage_accounts.show.__name__ == "show"
    with pytest.raises(TypeError):
        client.workspaces.begin_delete(name, resource_group=group, no_wait=True)
    client.groups.delete(group)


def _add_fault(url, rule):
    request = urllib.request.Request(
        f"{url}/_emulator/faults", data=json.dumps(rule).encode(), method="POST",
        headers={"Content-Type": "application/json"},
    )  # fmt: skip
    with urllib.request.urlopen(request, timeout=10) as r:
        return json.load(r)["id"]


def _remove_fault(url, rule_id):
    request = urllib.request.Request(f"{url}/_emulator/faults/{rule_id}", method="DELETE")
    urllib.request.urlopen(request, timeout=10).close()


def test_a_resumed_create_that_fails_removes_the_dependents_it_created(client, emu):
    group, name = unique("rg"), unique("ws")
    client.groups.create(group, location="eastus")
    rule = _add_fault(emu.url, {
        "method": "PUT", "path": f"/workspaces/{name}$",
        "action": {"type": "fail_operation", "code": "InternalServerError", "message": "boom"},
    })  # fmt: skip
    try:
        poller = client.workspaces.begin_create(name, resource_group=group)
        token = poller.continuation_token()
        poller.cancel()
        created = _decode(token)["state"]["created"]
        kinds = {c["kind"] for c in created}
        assert kinds == {"storageAccount", "keyVault", "appInsights", "logAnalytics"}
        with pytest.raises(azml.OperationFailedError) as caught:
            client.resume(token).result()
    finally:
        _remove_fault(emu.url, rule)
    assert caught.value.code == "InternalServerError"
    assert "removed the dependents this call had created" in caught.value.message
    storage = next(c["name"] for c in created if c["kind"] == "storageAccount")
    with pytest.raises(azml.ResourceNotFoundError):
        client.storage_accounts.show(storage, resource_group=group)


@pytest.fixture(scope="module")
def slow_emu():
    # Group deletion takes 75 s in Azure; scaled to 1.5 s.
    with azml.emulator.start(latency="realistic", time_scale=0.02) as handle:
        yield handle


def _client(emu, cls=azml.Client, **options):
    return cls(subscription_id=emu.subscription_id, credential=emu.credential,
               endpoint=emu.url, **options)  # fmt: skip


def test_the_overall_timeout_raises_operation_timeout_error(slow_emu):
    # The emulator asks for Azure's 15 s between polls of a group deletion: cut to 0.05 s.
    client = _client(slow_emu, polling_max_wait=0.05)
    group = unique("rg")
    client.groups.create(group, location="eastus")
    hasty = _client(slow_emu, operation_timeout=0.05, polling_max_wait=0.01)
    poller = hasty.groups.begin_delete(group)
    with pytest.raises(azml.OperationTimeoutError) as caught:
        poller.result()
    assert isinstance(caught.value, TimeoutError)
    # The wait of one result() call: the operation goes on, and can be waited for again.
    patient = client.resume(poller.continuation_token())
    with pytest.raises(azml.OperationTimeoutError, match="goes on"):
        patient.result(timeout=0.01)
    assert not patient.done() and patient.status() == "InProgress"
    assert patient.result() is None and patient.status() == "Succeeded"


def test_cancel_stops_polling_and_the_token_still_resumes(slow_emu):
    client = _client(slow_emu, polling_max_wait=0.02)
    group = unique("rg")
    client.groups.create(group, location="eastus")
    poller = client.groups.begin_delete(group)
    poller.cancel()
    assert poller.status() == "Stopped" and not poller.done()
    with pytest.raises(azml.PollerCancelledError):
        poller.result()
    assert client.groups.exists(group)  # cancelling deletes nothing, undoes nothing
    assert client.resume(poller.continuation_token()).result() is None
    assert not client.groups.exists(group)


def test_cancelling_the_awaiting_task_stops_polling(slow_emu):
    async def scenario():
        client = _client(slow_emu, azml.AsyncClient, polling_max_wait=0.02)
        group = unique("rg")
        await client.groups.create(group, location="eastus")
        poller = await client.groups.begin_delete(group)
        assert isinstance(poller, azml.AsyncPoller)
        operation = _decode(poller.continuation_token())["state"]["operation"]["url"]
        op_path = operation.split("?")[0]

        def polls():
            return sum(1 for e in _journal(slow_emu.url) if e["path"].split("?")[0] == op_path)

        assert polls() == 0  # an asyncio poller polls only while awaited
        task = asyncio.ensure_future(poller.result())
        while polls() < 2:
            await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        seen = polls()
        await asyncio.sleep(0.3)  # fifteen poll intervals
        assert polls() == seen, "polling went on after the awaiting task was cancelled"
        assert not poller.done() and await client.groups.exists(group)
        # Awaited again, it takes the polling up and finishes.
        assert await poller.result() is None
        assert poller.status() == "Succeeded"
        assert not await client.groups.exists(group)

    asyncio.run(scenario())


def test_async_resume_and_wait(slow_emu):
    async def scenario():
        client = _client(slow_emu, azml.AsyncClient, polling_max_wait=0.02)
        group = unique("rg")
        await client.groups.create(group, location="eastus")
        token = (await client.groups.begin_delete(group)).continuation_token()
        poller = client.resume(token)
        await poller.wait(timeout=0.01)
        assert not poller.done()
        await poller.wait()
        assert poller.done() and await poller.result() is None

    asyncio.run(scenario())


def test_poller_classes_match_their_stubs():
    for sync_name, async_name in [("Poller", "AsyncPoller")]:
        sync_cls, async_cls = getattr(azml, sync_name), getattr(azml, async_name)
        public = {n for n in dir(sync_cls) if not n.startswith("_")}
        assert public == {n for n in dir(async_cls) if not n.startswith("_")}
        assert public == {"operation", "continuation_token", "done", "status", "cancel",
                          "result", "wait"}  # fmt: skip
        for name in ("result", "wait"):
            assert asyncio.iscoroutinefunction(getattr(async_cls, name))
            assert not asyncio.iscoroutinefunction(getattr(sync_cls, name))


def test_one_of_two_awaiting_tasks_cancelled_leaves_the_other_polling(slow_emu):
    async def scenario():
        client = _client(slow_emu, azml.AsyncClient, polling_max_wait=0.02)
        group = unique("rg")
        await client.groups.create(group, location="eastus")
        poller = await client.groups.begin_delete(group)
        first = asyncio.ensure_future(poller.result())
        second = asyncio.ensure_future(poller.result())
        await asyncio.sleep(0.05)
        first.cancel()
        with pytest.raises(asyncio.CancelledError):
            await first
        assert await asyncio.wait_for(second, 60) is None
        assert poller.status() == "Succeeded"

    asyncio.run(scenario())


def test_an_asyncio_begin_create_has_arm_working_on_the_workspace_when_it_returns(slow_emu):
    # azure-core's async `begin_` sends the initial request before returning; an asyncio
    # poller polls only while awaited, so its `begin_create` makes the planned writes itself.
    async def scenario():
        client = _client(slow_emu, azml.AsyncClient, polling_max_wait=0.02)
        arm_view = _client(slow_emu, azml.AsyncClient, output="arm")
        group, name = unique("rg"), unique("ws")
        await client.groups.create(group, location="eastus")
        poller = await client.workspaces.begin_create(name, resource_group=group)
        # Not awaited yet, and already asked for.
        body = await arm_view.workspaces.show(name, resource_group=group)
        assert body["name"] == name
        state = _decode(poller.continuation_token())["state"]
        assert "plan" not in state and state["workspace"]["verb"] == "PUT"
        created = await poller.result()
        assert created == await client.workspaces.show(name, resource_group=group)
        # The token resumes to the same result.
        assert await client.resume(poller.continuation_token()).result() == created
        await client.groups.delete(group, no_wait=True)

    asyncio.run(scenario())
