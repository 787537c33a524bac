"""azml's own credentials sign in against the embedded emulator, then list resource groups
through `azml.Client(credential=...)`: device code (callback and default message),
interactive browser (a test "browser" that follows the authorize URL), certificate, workload
identity, managed identity (App Service endpoint), Azure CLI (a fake `az`), a static token
and the default chain. Reprs never show a secret; a failing chain names each link."""

from __future__ import annotations

import base64
import datetime
import json
import ssl
import subprocess
import sys
import urllib.request
from pathlib import Path
from typing import Any, Dict, Iterator, List

import pytest

import azml
from helpers import child_env, journal, unique

ARM_SCOPE = "https://management.azure.com/.default"
DATA = Path(__file__).resolve().parents[1] / "data" / "auth"


def claims(token: str) -> Dict[str, Any]:
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def lists_groups(emu: Any, credential: Any) -> List[Dict[str, Any]]:
    """Gives the credential's principal Reader (ARM enforces roles), then lists groups with
    it."""
    oid = claims(credential.get_token(ARM_SCOPE).token)["oid"]
    emu.assign_role(oid, "Reader")
    with azml.Client(
        subscription_id=emu.subscription_id, credential=credential, endpoint=emu.url
    ) as c:
        groups = c.groups.list()
    assert isinstance(groups, list)
    return groups


@pytest.fixture()
def fast_device_codes(emu: Any) -> Iterator[None]:
    before = emu._admin("GET", "signin")
    emu._admin("PATCH", "signin", {"deviceCodeInterval": 1})
    yield
    emu._admin(
        "PATCH",
        "signin",
        {
            "deviceCodeInterval": before["deviceCodeInterval"],
            "deviceCodeAutoApproveAfterPolls": before["deviceCodeAutoApproveAfterPolls"],
        },
    )


def test_device_code_with_a_callback(emu, fast_device_codes) -> None:
    user = emu._admin("GET", "signin")["user"]
    prompts: List[Any] = []
    cred = azml.DeviceCodeCredential(
        emu.tenant_id,
        authority=emu.url,
        prompt_callback=lambda uri, code, expires_on: prompts.append((uri, code, expires_on)),
        timeout=60,
    )
    token = cred.get_token(ARM_SCOPE)
    assert len(prompts) == 1
    uri, code, expires_on = prompts[0]
    assert uri.startswith(emu.url) and code
    assert isinstance(expires_on, datetime.datetime) and expires_on.tzinfo is not None
    assert expires_on > datetime.datetime.now(datetime.timezone.utc)
    assert claims(token.token)["upn"] == user
    lists_groups(emu, cred)
    assert len(prompts) == 1, "the cached token (and refresh token) serve later calls"
    assert token.token not in repr(cred) and token.token not in repr(token)


def test_device_code_with_a_cache_file_signs_in_once_across_instances(
    emu, fast_device_codes, tmp_path
) -> None:
    # A second credential with the same file (a restarted notebook kernel) asks nobody.
    path = tmp_path / "azml-tokens.json"
    prompts: List[Any] = []

    def make() -> Any:
        return azml.DeviceCodeCredential(
            emu.tenant_id,
            authority=emu.url,
            prompt_callback=lambda *a: prompts.append(a),
            timeout=60,
            cache_path=str(path),
        )

    first = make().get_token(ARM_SCOPE)
    assert len(prompts) == 1
    assert path.exists() and (path.stat().st_mode & 0o777) == 0o600
    second = make().get_token(ARM_SCOPE)
    assert len(prompts) == 1, "the token came from the file"
    assert second.token == first.token


def test_device_code_prints_the_message_by_default(emu, fast_device_codes, capsys) -> None:
    cred = azml.DeviceCodeCredential(emu.tenant_id, authority=emu.url)
    cred.get_token(ARM_SCOPE)
    err = capsys.readouterr().err
    assert "enter the code" in err or "code" in err.lower()
    assert emu.url in err


def test_device_code_callback_errors_do_not_hang(emu, fast_device_codes, monkeypatch) -> None:
    reported: List[Any] = []
    monkeypatch.setattr(sys, "unraisablehook", reported.append)

    def broken(uri: str, code: str, expires_on: Any) -> None:
        raise RuntimeError("the callback broke")

    cred = azml.DeviceCodeCredential(
        emu.tenant_id, authority=emu.url, prompt_callback=broken, timeout=60
    )
    # The exception is reported as unraisable; the sign-in goes on (auto-approval).
    assert cred.get_token(ARM_SCOPE).token
    assert [str(r.exc_value) for r in reported] == ["the callback broke"]


def _follow(url: str) -> None:
    """A browser whose user signs in at once: the authority answers 302 to the loopback
    redirect URI, which urllib follows to azml's listener."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(url, timeout=30) as r:
        r.read()


def test_interactive_browser(emu) -> None:
    user = emu._admin("GET", "signin")["user"]
    opened: List[str] = []

    def browser(url: str) -> None:
        opened.append(url)
        _follow(url)

    cred = azml.InteractiveBrowserCredential(
        emu.tenant_id, authority=emu.url, login_hint=user, timeout=60, _opener=browser
    )
    token = cred.get_token(ARM_SCOPE)
    assert len(opened) == 1
    assert "code_challenge=" in opened[0] and "redirect_uri=" in opened[0]
    assert claims(token.token)["upn"] == user
    lists_groups(emu, cred)
    assert len(opened) == 1


def test_interactive_browser_times_out_without_an_answer(emu) -> None:
    cred = azml.InteractiveBrowserCredential(
        emu.tenant_id, authority=emu.url, timeout=0.5, _opener=lambda url: None
    )
    with pytest.raises(azml.ClientAuthenticationError):
        cred.get_token(ARM_SCOPE)


def test_certificate(emu) -> None:
    app = emu._admin("POST", "apps", {"clientId": unique("cert-app-")})
    pem = (DATA / "client-cert-only.pem").read_text()
    emu._admin("POST", f"apps/{app['clientId']}/certificates", {"certificate": pem})
    cred = azml.CertificateCredential(
        emu.tenant_id, app["clientId"], DATA / "client-pkcs8.pem", authority=emu.url
    )
    token = cred.get_token(ARM_SCOPE)
    assert claims(token.token)["oid"] == app["objectId"]
    lists_groups(emu, cred)


def test_certificate_errors_before_any_request(emu, tmp_path) -> None:
    with pytest.raises(azml.ValidationError):
        azml.CertificateCredential("t", "c", tmp_path / "missing.pem", authority=emu.url)


def test_encrypted_certificate_password_stays_out_of_repr(emu) -> None:
    password = "not-the-password-" + unique("p")
    with pytest.raises(azml.AzureError) as info:
        azml.CertificateCredential(
            "t", "c", DATA / "client-encrypted.pem", authority=emu.url, password=password
        )
    assert password not in str(info.value)


def test_workload_identity(emu, tmp_path, monkeypatch) -> None:
    app = emu._admin("POST", "apps", {"clientId": unique("wi-app-")})
    subject = "system:serviceaccount:ml:trainer"
    emu._admin("POST", f"apps/{app['clientId']}/federatedCredentials", {"subject": subject})
    issued = emu._admin("POST", "workload-issuer/tokens", {"subject": subject})
    token_file = tmp_path / "token"
    token_file.write_text(issued["token"])
    # The defaults come from the variables the platform sets.
    monkeypatch.setenv("AZURE_TENANT_ID", emu.tenant_id)
    monkeypatch.setenv("AZURE_CLIENT_ID", app["clientId"])
    monkeypatch.setenv("AZURE_FEDERATED_TOKEN_FILE", str(token_file))
    cred = azml.WorkloadIdentityCredential(authority=emu.url)
    token = cred.get_token(ARM_SCOPE)
    assert claims(token.token)["oid"] == app["objectId"]
    assert issued["token"] not in repr(cred)
    lists_groups(emu, cred)


def test_workload_identity_names_what_is_missing(monkeypatch) -> None:
    monkeypatch.delenv("AZURE_FEDERATED_TOKEN_FILE", raising=False)
    with pytest.raises(azml.ValidationError, match="AZURE_FEDERATED_TOKEN_FILE"):
        azml.WorkloadIdentityCredential("t", "c")


def test_managed_identity(emu, monkeypatch) -> None:
    mi = emu._admin("GET", "managed-identity")
    monkeypatch.setenv("IDENTITY_ENDPOINT", mi["endpoint"])
    monkeypatch.setenv("IDENTITY_HEADER", mi["header"])
    monkeypatch.delenv("MSI_ENDPOINT", raising=False)
    monkeypatch.delenv("AZURE_CLIENT_ID", raising=False)
    cred = azml.ManagedIdentityCredential()
    assert mi["header"] not in repr(cred)
    token = cred.get_token(ARM_SCOPE)
    assert claims(token.token)["oid"] == mi["identities"][0]["principalId"]
    lists_groups(emu, cred)


def test_managed_identity_never_probes_imds_by_default(monkeypatch) -> None:
    for name in ("IDENTITY_ENDPOINT", "IDENTITY_HEADER", "MSI_ENDPOINT"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(azml.ValidationError, match="IMDS is not probed"):
        azml.ManagedIdentityCredential()


def test_azure_cli(emu, tmp_path) -> None:
    issued = emu.credential.get_token(ARM_SCOPE)
    answer = {
        "accessToken": issued.token,
        "expires_on": issued.expires_on,
        "tokenType": "Bearer",
    }
    (tmp_path / "answer.json").write_text(json.dumps(answer))
    calls = tmp_path / "calls"
    az = tmp_path / "az"
    az.write_text(
        f"#!{sys.executable}\n"
        "import pathlib, sys\n"
        f"here = pathlib.Path({str(tmp_path)!r})\n"
        "with open(here / 'calls', 'a') as f:\n"
        "    f.write(' '.join(sys.argv[1:]) + '\\n')\n"
        "sys.stdout.write((here / 'answer.json').read_text())\n"
    )
    az.chmod(0o755)
    cred = azml.AzureCliCredential(process_timeout=30, _az_program=str(az))
    assert cred.get_token(ARM_SCOPE).token == issued.token
    lists_groups(emu, cred)
    lines = calls.read_text().splitlines()
    assert len(lines) == 1, "one az run per token lifetime"
    assert "get-access-token" in lines[0]


def test_static_token(emu) -> None:
    issued = emu.credential.get_token(ARM_SCOPE)
    cred = azml.StaticTokenCredential(issued.token)
    assert cred.expires_on == claims(issued.token)["exp"]
    assert issued.token not in repr(cred)
    assert cred.get_token(ARM_SCOPE).token == issued.token
    lists_groups(emu, cred)
    with pytest.raises(azml.ValidationError):
        azml.StaticTokenCredential("not-a-jwt")


def test_default_chain_signs_in_from_the_environment(emu, monkeypatch, tmp_path) -> None:
    for name, value in emu.env().items():
        monkeypatch.setenv(name, value)
    cred = azml.DefaultAzureCredential(exclude_cli_credential=True)
    assert cred.links == [
        "EnvironmentCredential",
        "WorkloadIdentityCredential",
        "ManagedIdentityCredential",
    ]
    assert emu.env()["AZURE_CLIENT_SECRET"] not in repr(cred)
    lists_groups(emu, cred)


def test_a_failing_chain_names_each_link(monkeypatch, tmp_path) -> None:
    for name in ("AZURE_TENANT_ID", "AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET",
                 "AZURE_CLIENT_CERTIFICATE_PATH", "AZURE_FEDERATED_TOKEN_FILE",
                 "IDENTITY_ENDPOINT", "IDENTITY_HEADER", "MSI_ENDPOINT"):  # fmt: skip
        monkeypatch.delenv(name, raising=False)
    cred = azml.DefaultAzureCredential(_az_program=str(tmp_path / "no-az"))
    assert cred.links[-1] == "AzureCliCredential"
    with pytest.raises(azml.ClientAuthenticationError) as info:
        cred.get_token(ARM_SCOPE)
    message = str(info.value)
    for link in cred.links:
        assert link in message
    assert "IMDS is not probed" in message


def test_reprs_never_show_secrets(emu, tmp_path) -> None:
    token = emu.credential.get_token(ARM_SCOPE).token
    creds = [
        azml.StaticTokenCredential(token),
        azml.StaticTokenCredential("opaque-secret-token", expires_on=2_000_000_000),
        azml.CertificateCredential("t", "c", DATA / "client-pkcs8.pem", authority=emu.url),
        azml.DeviceCodeCredential("t", "c", authority=emu.url),
        azml.InteractiveBrowserCredential("t", "c", authority=emu.url),
        azml.AzureCliCredential(),
        azml.DefaultAzureCredential(exclude_cli_credential=True),
    ]
    pem_lines = (DATA / "client-pkcs8.pem").read_text().splitlines()
    key = [line for line in pem_lines if line and not line.startswith("-----")][-3]
    for cred in creds:
        text = repr(cred)
        assert type(cred).__name__ in text
        for secret in (token, "opaque-secret-token", key):
            assert secret not in text, text


@pytest.fixture(scope="module")
def tls_emu() -> Iterator[Any]:
    with azml.emulator.start(tls=True, latency="instant") as handle:
        yield handle


def test_at_an_https_authority_with_a_ca_file(tls_emu, tmp_path) -> None:
    emu = tls_emu
    https = {"authority": emu.url, "ca_file": emu.ca_file}
    assert emu.url.startswith("https://") and emu.ca_file
    app = emu._admin("POST", "apps", {"clientId": unique("tls-app-")})
    pem = (DATA / "client-cert-only.pem").read_text()
    emu._admin("POST", f"apps/{app['clientId']}/certificates", {"certificate": pem})
    subject = "system:serviceaccount:ml:tls"
    emu._admin("POST", f"apps/{app['clientId']}/federatedCredentials", {"subject": subject})
    token_file = tmp_path / "token"
    token_file.write_text(
        emu._admin("POST", "workload-issuer/tokens", {"subject": subject})["token"]
    )
    emu._admin("PATCH", "signin", {"deviceCodeInterval": 1})
    user = emu._admin("GET", "signin")["user"]
    creds = [
        azml.CertificateCredential(
            emu.tenant_id, app["clientId"], DATA / "client-pkcs8.pem", **https
        ),
        azml.WorkloadIdentityCredential(emu.tenant_id, app["clientId"], token_file, **https),
        azml.DeviceCodeCredential(emu.tenant_id, prompt_callback=lambda *a: None, **https),
        azml.InteractiveBrowserCredential(
            emu.tenant_id, login_hint=user, timeout=60, _opener=_follow_with(emu.ca_file), **https
        ),
    ]
    for cred in creds:
        oid = claims(cred.get_token(ARM_SCOPE).token)["oid"]
        emu.assign_role(oid, "Reader")
        with azml.Client(
            subscription_id=emu.subscription_id,
            credential=cred,
            endpoint=emu.url,
            ca_file=emu.ca_file,
        ) as c:
            assert isinstance(c.groups.list(), list), type(cred).__name__


def _follow_with(ca_file: str) -> Any:
    def browser(url: str) -> None:
        context = ssl.create_default_context(cafile=ca_file)
        opener = urllib.request.build_opener(
            urllib.request.ProxyHandler({}), urllib.request.HTTPSHandler(context=context)
        )
        with opener.open(url, timeout=30) as r:
            r.read()

    return browser


_EXIT_CHILD = """
import sys, threading, time
import azml

emu = azml.emulator.start(latency="instant")
# Nobody ever approves: the sign-in keeps polling until the process exits.
emu._admin("PATCH", "signin", {"deviceCodeInterval": 1, "deviceCodeAutoApproveAfterPolls": None})
shown = threading.Event()

def callback(uri, code, expires_on):
    shown.set()
    time.sleep(float(sys.argv[1]))  # still inside the callback when the interpreter exits

cred = azml.DeviceCodeCredential(emu.tenant_id, authority=emu.url, prompt_callback=callback)
threading.Thread(target=cred.get_token, args=("https://management.azure.com/.default",),
                 daemon=True).start()
shown.wait(60)
print("main thread done", flush=True)
"""


@pytest.mark.parametrize("linger", ["0", "0.5"])
def test_exit_during_a_device_code_sign_in_is_clean(linger) -> None:
    """The interpreter exits while a daemon thread waits for a device code sign-in and a
    runtime thread may still be inside the Python callback: no hang, no crash."""
    proc = subprocess.run(
        [sys.executable, "-c", _EXIT_CHILD, linger],
        capture_output=True,
        text=True,
        env=child_env(),
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "main thread done" in proc.stdout
    for marker in ("Fatal Python error", "panicked", "Traceback", "Segmentation"):
        assert marker not in proc.stderr, proc.stderr[-2000:]


def test_an_azure_sdk_client_takes_them(tls_emu) -> None:
    """azure-core's bearer policy calls `get_token(*scopes, **kwargs)` and reads `.token`
    and `.expires_on`."""
    from azure.mgmt.resource.resources import ResourceManagementClient

    emu = tls_emu
    app = emu._admin("POST", "apps", {"clientId": unique("sdk-app-")})
    pem = (DATA / "client-cert-only.pem").read_text()
    emu._admin("POST", f"apps/{app['clientId']}/certificates", {"certificate": pem})
    cred = azml.CertificateCredential(
        emu.tenant_id,
        app["clientId"],
        DATA / "client-pkcs8.pem",
        authority=emu.url,
        ca_file=emu.ca_file,
    )
    assert cred.get_token(ARM_SCOPE, claims=None, tenant_id=None, enable_cae=False).token
    emu.assign_role(app["objectId"], "Reader")
    with ResourceManagementClient(
        cred,
        emu.subscription_id,
        base_url=emu.url,
        credential_scopes=[ARM_SCOPE],
        connection_verify=emu.ca_file,
    ) as c:
        assert isinstance([g.name for g in c.resource_groups.list()], list)


# ---------------------------------------------------------------- DefaultAzureCredential options

_CHAIN_VARS = ("AZURE_TENANT_ID", "AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET",
               "AZURE_CLIENT_CERTIFICATE_PATH", "AZURE_FEDERATED_TOKEN_FILE",
               "IDENTITY_ENDPOINT", "IDENTITY_HEADER", "MSI_ENDPOINT")  # fmt: skip


def _fake_az(tmp_path: Path, token: str) -> Path:
    """An `az` that logs its calls and answers `token`."""
    answer = {"accessToken": token, "expires_on": 4_000_000_000, "tokenType": "Bearer"}
    (tmp_path / "answer.json").write_text(json.dumps(answer))
    az = tmp_path / "az"
    az.write_text(
        f"#!{sys.executable}\n"
        "import pathlib, sys\n"
        f"here = pathlib.Path({str(tmp_path)!r})\n"
        "with open(here / 'calls', 'a') as f:\n"
        "    f.write(' '.join(sys.argv[1:]) + '\\n')\n"
        "sys.stdout.write((here / 'answer.json').read_text())\n"
    )
    az.chmod(0o755)
    return az


@pytest.fixture()
def every_link_configured(emu, monkeypatch, tmp_path) -> Dict[str, Any]:
    """The emulator's client secret, a federated token file and the emulator's managed
    identity endpoint all in the environment, and a fake `az`: every link could answer."""
    for name in _CHAIN_VARS:
        monkeypatch.delenv(name, raising=False)
    for name, value in emu.env().items():
        monkeypatch.setenv(name, value)
    app = emu._admin("POST", "apps", {"clientId": unique("chain-wi-")})
    subject = "system:serviceaccount:ml:chain"
    emu._admin("POST", f"apps/{app['clientId']}/federatedCredentials", {"subject": subject})
    token_file = tmp_path / "federated-token"
    token_file.write_text(
        emu._admin("POST", "workload-issuer/tokens", {"subject": subject})["token"]
    )
    monkeypatch.setenv("AZURE_FEDERATED_TOKEN_FILE", str(token_file))
    mi = emu._admin("GET", "managed-identity")
    monkeypatch.setenv("IDENTITY_ENDPOINT", mi["endpoint"])
    monkeypatch.setenv("IDENTITY_HEADER", mi["header"])
    az_dir = tmp_path / "az-home"
    az_dir.mkdir()
    return {
        "emu": emu,
        "sp_client_id": emu.env()["AZURE_CLIENT_ID"],
        "wi_app": app,
        "mi": mi,
        "az": _fake_az(az_dir, "token-from-the-fake-az"),
        "az_calls": az_dir / "calls",
    }


def test_each_exclusion_removes_its_link(every_link_configured) -> None:
    cfg = every_link_configured
    links = ["EnvironmentCredential", "WorkloadIdentityCredential",
             "ManagedIdentityCredential", "AzureCliCredential"]  # fmt: skip
    options = ["exclude_environment_credential", "exclude_workload_identity_credential",
               "exclude_managed_identity_credential"]  # fmt: skip
    # AZURE_CLIENT_ID is the service principal's (for the environment link): the workload
    # and managed identity links are told their own client ids.
    system = cfg["mi"]["identities"][0]
    ids = {
        "workload_identity_client_id": cfg["wi_app"]["clientId"],
        "managed_identity_client_id": system["clientId"],
    }
    # Each step excludes one more link; the next one then answers.
    for n in range(4):
        excluded = {name: True for name in options[:n]}
        cred = azml.DefaultAzureCredential(_az_program=str(cfg["az"]), **excluded, **ids)
        assert cred.links == links[n:]
        token = cred.get_token(ARM_SCOPE).token
        if links[n] == "AzureCliCredential":
            assert token == "token-from-the-fake-az"
            continue
        assert not cfg["az_calls"].exists(), f"az ran although {links[n]} was there"
        expected = {
            "EnvironmentCredential": ("appid", cfg["sp_client_id"]),
            "WorkloadIdentityCredential": ("oid", cfg["wi_app"]["objectId"]),
            "ManagedIdentityCredential": ("oid", system["principalId"]),
        }[links[n]]
        assert claims(token)[expected[0]] == expected[1], links[n]
    assert len(cfg["az_calls"].read_text().splitlines()) == 1


def test_excluding_the_cli_leaves_it_out_of_the_error(monkeypatch, tmp_path) -> None:
    for name in _CHAIN_VARS:
        monkeypatch.delenv(name, raising=False)
    cred = azml.DefaultAzureCredential(
        exclude_cli_credential=True,
        exclude_managed_identity_credential=True,
        _az_program=str(_fake_az(tmp_path, "unused")),
    )
    assert cred.links == ["EnvironmentCredential", "WorkloadIdentityCredential"]
    with pytest.raises(azml.ClientAuthenticationError) as info:
        cred.get_token(ARM_SCOPE)
    message = str(info.value)
    assert "EnvironmentCredential: not configured" in message
    assert "AzureCliCredential:" not in message and "IMDS" not in message
    assert message.endswith(
        "Excluded by the options: ManagedIdentityCredential, AzureCliCredential"
    )
    assert not (tmp_path / "calls").exists()


def test_excluding_every_link_fails_at_construction() -> None:
    with pytest.raises(azml.ValidationError, match="every credential of the chain is excluded"):
        azml.DefaultAzureCredential(
            exclude_environment_credential=True,
            exclude_workload_identity_credential=True,
            exclude_managed_identity_credential=True,
            exclude_cli_credential=True,
        )
    # azure-identity's DefaultAzureCredential takes no tenant_id either.
    with pytest.raises(TypeError):
        azml.DefaultAzureCredential(tenant_id="t")  # type: ignore[call-arg]


def test_managed_identity_client_id_picks_the_identity(every_link_configured) -> None:
    emu = every_link_configured["emu"]
    chosen = emu._admin("POST", "managed-identity/identities", {"name": unique("uami-")})
    assert chosen["type"] == "UserAssigned"
    # Without the option, AZURE_CLIENT_ID (the service principal's) names no identity here,
    # so the option is what picks this one.
    cred = azml.DefaultAzureCredential(
        exclude_environment_credential=True,
        exclude_workload_identity_credential=True,
        exclude_cli_credential=True,
        managed_identity_client_id=chosen["clientId"],
    )
    assert claims(cred.get_token(ARM_SCOPE).token)["oid"] == chosen["principalId"]


# ---------------------------------------------------------------- get_token keywords


def _every_credential(emu, tmp_path) -> List[Any]:
    issued = emu.credential.get_token(ARM_SCOPE)
    return [
        azml.ClientSecretCredential(emu.tenant_id, "c", "s", authority=emu.url),
        azml.StaticTokenCredential(issued.token),
        azml.CertificateCredential("t", "c", DATA / "client-pkcs8.pem", authority=emu.url),
        azml.DeviceCodeCredential("t", "c", authority=emu.url),
        azml.InteractiveBrowserCredential("t", "c", authority=emu.url),
        azml.AzureCliCredential(_az_program=str(_fake_az(tmp_path, issued.token))),
        azml.DefaultAzureCredential(exclude_cli_credential=True),
    ]


def test_get_token_takes_azure_cores_keywords_and_no_others(emu, tmp_path) -> None:
    for cred in _every_credential(emu, tmp_path):
        name = type(cred).__name__
        with pytest.raises(TypeError, match="not_a_keyword"):
            cred.get_token(ARM_SCOPE, not_a_keyword=1)
        with pytest.raises(TypeError):
            cred.get_token_info(ARM_SCOPE, claims="x")
        for method in (cred.get_token, cred.get_token_info):
            with pytest.raises(azml.ValidationError, match="at least one scope"):
                method()
        assert "get_token" in dir(cred) and "get_token_info" in dir(cred), name


def test_the_credentials_own_tenant_only(emu, monkeypatch) -> None:
    emu_env = emu.env()
    cred = azml.ClientSecretCredential(
        emu.tenant_id, emu_env["AZURE_CLIENT_ID"], emu_env["AZURE_CLIENT_SECRET"], authority=emu.url
    )
    own = cred.get_token(ARM_SCOPE, tenant_id=emu.tenant_id, claims=None, enable_cae=True)
    assert claims(own.token)["tid"] == emu.tenant_id
    other = "11111111-2222-3333-4444-555555555555"
    for call in (
        lambda: cred.get_token(ARM_SCOPE, tenant_id=other),
        lambda: cred.get_token_info(ARM_SCOPE, options={"tenant_id": other}),
    ):
        with pytest.raises(azml.ClientAuthenticationError) as info:
            call()
        assert emu.tenant_id in str(info.value) and other in str(info.value)
    # azure-identity's switch: the configured tenant is used instead.
    monkeypatch.setenv("AZURE_IDENTITY_DISABLE_MULTITENANTAUTH", "1")
    assert claims(cred.get_token(ARM_SCOPE, tenant_id=other).token)["tid"] == emu.tenant_id
    # Credentials without a tenant of their own do not check it (as azure-identity's managed
    # identity does not).
    monkeypatch.delenv("AZURE_IDENTITY_DISABLE_MULTITENANTAUTH")
    static = azml.StaticTokenCredential(own.token)
    assert static.get_token(ARM_SCOPE, tenant_id=other).token == own.token


def test_claims_get_a_fresh_token(emu) -> None:
    emu_env = emu.env()
    cred = azml.ClientSecretCredential(
        emu.tenant_id, emu_env["AZURE_CLIENT_ID"], emu_env["AZURE_CLIENT_SECRET"], authority=emu.url
    )

    def token_requests() -> int:
        return sum(1 for e in journal(emu) if e["path"].endswith("/oauth2/v2.0/token"))

    before = token_requests()
    first = cred.get_token(ARM_SCOPE)
    assert cred.get_token(ARM_SCOPE, claims="").token == first.token
    assert cred.get_token_info(ARM_SCOPE).token == first.token
    assert token_requests() == before + 1, "cached"
    challenge = '{"access_token":{"nbf":{"essential":true,"value":"1700000000"}}}'
    cred.get_token(ARM_SCOPE, claims=challenge)
    assert token_requests() == before + 2, "claims skip the cache"
    cred.get_token_info(ARM_SCOPE, options={"claims": challenge, "enable_cae": True})
    assert token_requests() == before + 3
    cred.get_token(ARM_SCOPE)
    assert token_requests() == before + 3, "the new token is cached again"


def test_get_token_info(emu) -> None:
    info = emu.credential.get_token_info(ARM_SCOPE, options={"unknown_option": 1})
    token = emu.credential.get_token(ARM_SCOPE)
    assert isinstance(info, azml.AccessTokenInfo)
    assert (info.token, info.expires_on) == (token.token, token.expires_on)
    assert info.token_type == "Bearer" and info.refresh_on is None
    assert info.token not in repr(info) and "AccessTokenInfo(token='***'" in repr(info)
    with pytest.raises(TypeError):
        emu.credential.get_token_info(ARM_SCOPE, options="claims")


def test_the_cli_without_a_tenant_asks_az_for_the_one_requested(tmp_path) -> None:
    az = _fake_az(tmp_path, "cli-token")
    calls = tmp_path / "calls"

    def runs() -> List[str]:
        return calls.read_text().splitlines() if calls.exists() else []

    cred = azml.AzureCliCredential(_az_program=str(az))
    cred.get_token(ARM_SCOPE)
    cred.get_token(ARM_SCOPE, tenant_id="other-tenant")
    cred.get_token(ARM_SCOPE, tenant_id="other-tenant")
    assert len(runs()) == 2, "one az run per tenant, then cached"
    assert "--tenant" not in runs()[0]
    assert "--tenant other-tenant" in runs()[1]
    with pytest.raises(azml.ValidationError):
        cred.get_token(ARM_SCOPE, tenant_id="not a tenant!")
    # With a tenant of its own, another one is refused before az runs.
    own = azml.AzureCliCredential(tenant_id="own-tenant", _az_program=str(az))
    with pytest.raises(azml.ClientAuthenticationError, match=r"own-tenant.*other-tenant"):
        own.get_token(ARM_SCOPE, tenant_id="other-tenant")
    assert len(runs()) == 2
