"""azure-identity's credentials (MSAL underneath) sign in against the emulator's sign-in
endpoints, then list resource groups with the token: device code, certificate, workload
identity (federated token file) and managed identity (App Service endpoint). The emulator's
admin API registers what each needs, as docs/EMULATOR.md describes."""

from __future__ import annotations

import base64
import json
import ssl
import urllib.request
from pathlib import Path
from typing import Any, Dict, Iterator, List

import pytest
from sdk_support import ARM_SCOPE, unique

AZURE_CLI = "04b07795-8ddb-461a-bbee-02f9e1bf7b46"
DATA = Path(__file__).resolve().parents[1] / "data" / "auth"


def admin(emu: Any, method: str, path: str, body: Any = None) -> Dict[str, Any]:
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(
        f"{emu.url}/_emulator/{path}",
        data=data,
        method=method,
        headers={"content-type": "application/json"},
    )
    ctx = ssl.create_default_context(cafile=emu.ca_file)
    with urllib.request.urlopen(req, context=ctx) as r:
        return json.loads(r.read() or b"null")


def claims(token: str) -> Dict[str, Any]:
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def list_groups(emu: Any, credential: Any, client_kwargs: Dict[str, Any]) -> List[str]:
    from azure.mgmt.resource.resources import ResourceManagementClient

    # ARM refuses a principal without a role: give the signed-in one Reader first.
    oid = claims(credential.get_token(ARM_SCOPE).token)["oid"]
    emu.assign_role(oid, "Reader")

    with ResourceManagementClient(credential, emu.subscription_id, **client_kwargs) as c:
        return [g.name for g in c.resource_groups.list()]


def common(emu: Any) -> Dict[str, Any]:
    return {
        "authority": emu.url,
        "disable_instance_discovery": True,
        "connection_verify": emu.ca_file,
    }


@pytest.fixture()
def fast_device_codes(emu: Any) -> Iterator[None]:
    # MSAL sleeps `interval` seconds between polls.
    admin(emu, "PATCH", "signin", {"deviceCodeInterval": 1})
    yield
    admin(emu, "PATCH", "signin", {"deviceCodeInterval": 5, "deviceCodeAutoApproveAfterPolls": 1})


def test_device_code(emu, client_kwargs, fast_device_codes) -> None:
    from azure.identity import DeviceCodeCredential

    user = admin(emu, "GET", "signin")["user"]
    prompts: List[str] = []
    cred = DeviceCodeCredential(
        client_id=AZURE_CLI,
        tenant_id=emu.tenant_id,
        prompt_callback=lambda uri, code, expires: prompts.append(code),
        timeout=60,
        **common(emu),
    )
    token = cred.get_token(ARM_SCOPE)
    assert prompts, "the user code was shown"
    c = claims(token.token)
    assert c["upn"] == user
    assert c["tid"] == emu.tenant_id
    assert isinstance(list_groups(emu, cred, client_kwargs), list)


def test_certificate(emu, client_kwargs) -> None:
    from azure.identity import CertificateCredential

    app = admin(emu, "POST", "apps", {"clientId": unique("cert-app-")})
    pem = (DATA / "client-cert-only.pem").read_text()
    admin(emu, "POST", f"apps/{app['clientId']}/certificates", {"certificate": pem})
    cred = CertificateCredential(
        emu.tenant_id,
        app["clientId"],
        certificate_path=str(DATA / "client-pkcs8.pem"),
        **common(emu),
    )
    token = cred.get_token(ARM_SCOPE)
    assert claims(token.token)["oid"] == app["objectId"]
    assert isinstance(list_groups(emu, cred, client_kwargs), list)


def test_workload_identity(emu, client_kwargs, tmp_path) -> None:
    from azure.identity import WorkloadIdentityCredential

    app = admin(emu, "POST", "apps", {"clientId": unique("wi-app-")})
    subject = "system:serviceaccount:ml:trainer"
    admin(emu, "POST", f"apps/{app['clientId']}/federatedCredentials", {"subject": subject})
    issued = admin(emu, "POST", "workload-issuer/tokens", {"subject": subject})
    token_file = tmp_path / "token"
    token_file.write_text(issued["token"])
    cred = WorkloadIdentityCredential(
        tenant_id=emu.tenant_id,
        client_id=app["clientId"],
        token_file_path=str(token_file),
        **common(emu),
    )
    token = cred.get_token(ARM_SCOPE)
    assert claims(token.token)["oid"] == app["objectId"]
    assert isinstance(list_groups(emu, cred, client_kwargs), list)


def test_managed_identity(emu, client_kwargs, monkeypatch) -> None:
    from azure.identity import ManagedIdentityCredential

    mi = admin(emu, "GET", "managed-identity")
    monkeypatch.setenv("IDENTITY_ENDPOINT", mi["endpoint"])
    monkeypatch.setenv("IDENTITY_HEADER", mi["header"])
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", emu.ca_file)
    monkeypatch.delenv("MSI_ENDPOINT", raising=False)
    cred = ManagedIdentityCredential(connection_verify=emu.ca_file)
    token = cred.get_token(ARM_SCOPE)
    assert claims(token.token)["oid"] == mi["identities"][0]["principalId"]
    assert isinstance(list_groups(emu, cred, client_kwargs), list)
