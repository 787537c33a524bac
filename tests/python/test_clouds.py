"""Clouds: the known ones by name, custom ones, metadata documents (the emulator serves one),
and how `Client(cloud=...)` and the environment choose among them. Nothing here reaches a
real cloud: clients for sovereign clouds are only constructed."""

from __future__ import annotations

import asyncio
import json
import urllib.request
from typing import Any, List

import pytest

import azml
from helpers import journal, unique

SUB = "00000000-0000-0000-0000-00000000000a"

# Every variable that chooses a cloud or an endpoint; each test sets the ones it is about.
_CLOUD_ENV = ("AZURE_CLOUD", "AZURE_AUTHORITY_HOST", "ARM_CLOUD_METADATA_URL", "AZML_ENDPOINT",
              "AZML_GRAPH_ENDPOINT")  # fmt: skip


@pytest.fixture
def clean_env(monkeypatch):
    for name in _CLOUD_ENV:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


class Recording:
    """A credential that remembers the scopes asked for; delegates to `inner` if given."""

    def __init__(self, inner: Any = None) -> None:
        self.inner = inner
        self.scopes: List[tuple] = []

    def get_token(self, *scopes: str, **kwargs: Any) -> Any:
        self.scopes.append(scopes)
        if self.inner is None:
            raise AssertionError("no token may be asked for")
        return self.inner.get_token(*scopes)


def emulator_cloud(emu, **overrides: str) -> azml.Cloud:
    fields = dict(name="Mine", arm_endpoint=emu.url, authority_host=emu.url,
                  graph_endpoint=emu.url)  # fmt: skip
    fields.update(overrides)
    return azml.Cloud(**fields)


# Names and fields.


def test_known_clouds_by_name_and_alias():
    public = azml.Cloud.by_name("AzureCloud")
    assert public.name == "AzureCloud"
    assert public.arm_endpoint == "https://management.azure.com/"
    assert public.authority_host == "https://login.microsoftonline.com/"
    assert public.audience == "https://management.azure.com/"
    assert public.graph_endpoint == "https://graph.microsoft.com/"
    assert public.arm_scope == "https://management.azure.com/.default"
    assert public.graph_scope == "https://graph.microsoft.com/.default"

    china = azml.Cloud.by_name("AzureChinaCloud")
    assert china.arm_endpoint == "https://management.chinacloudapi.cn/"
    assert china.authority_host == "https://login.chinacloudapi.cn/"
    assert china.graph_endpoint == "https://microsoftgraph.chinacloudapi.cn/"
    gov = azml.Cloud.by_name("AzureUSGovernment")
    assert gov.arm_endpoint == "https://management.usgovcloudapi.net/"
    assert gov.authority_host == "https://login.microsoftonline.us/"
    assert gov.graph_endpoint == "https://graph.microsoft.us/"

    aliases = [("azurecloud", public), ("public", public), ("AZURECHINACLOUD", china),
               ("china", china), ("usgov", gov), ("azure-us-government", gov)]  # fmt: skip
    for alias, cloud in aliases:
        assert azml.Cloud.by_name(alias) == cloud, alias
    assert azml.Cloud.known() == [public, china, gov]
    # Immutable values: equal ones hash alike, so they can key a dict.
    assert len({public, azml.Cloud.by_name("public"), china}) == 2
    assert public != china
    assert repr(china).startswith("Cloud(name='AzureChinaCloud', arm_endpoint='https://")
    with pytest.raises(AttributeError):
        china.name = "x"  # type: ignore[misc]


def test_an_unknown_name_is_refused_listing_the_known_clouds(clean_env):
    with pytest.raises(azml.ValidationError) as e:
        azml.Cloud.by_name("Atlantis")
    for known in ("AzureCloud", "AzureChinaCloud", "AzureUSGovernment"):
        assert known in str(e.value)
    cred = Recording()
    for cls in (azml.Client, azml.AsyncClient):
        with pytest.raises(azml.ValidationError, match="AzureUSGovernment"):
            cls(SUB, cred, cloud="Atlantis")
    with pytest.raises(azml.ValidationError, match="cloud must be"):
        azml.Client(SUB, cred, cloud=42)  # type: ignore[arg-type]
    clean_env.setenv("AZURE_CLOUD", "Atlantis")
    with pytest.raises(azml.ValidationError, match="Atlantis"):
        azml.Client(SUB, cred)
    assert cred.scopes == []


# Custom clouds.


def test_a_custom_cloud_is_checked_and_normalised():
    c = azml.Cloud(name=" Stack ", arm_endpoint="https://management.local.azurestack.external",
                   authority_host="https://adfs.local.azurestack.external/adfs",
                   graph_endpoint="https://graph.local.azurestack.external")  # fmt: skip
    assert c.name == "Stack"
    assert c.arm_endpoint == "https://management.local.azurestack.external/"
    assert c.authority_host == "https://adfs.local.azurestack.external/adfs/"
    # The audience defaults to the ARM endpoint.
    assert c.audience == c.arm_endpoint
    assert c.arm_scope == "https://management.local.azurestack.external/.default"
    c2 = azml.Cloud(name="Stack", arm_endpoint="https://management.local.azurestack.external/",
                    authority_host="https://adfs.local.azurestack.external/adfs/",
                    graph_endpoint="https://graph.local.azurestack.external/",
                    audience="https://management.adfs.azurestack.local/abc")  # fmt: skip
    assert c2.audience == "https://management.adfs.azurestack.local/abc/"
    assert c2.arm_scope == "https://management.adfs.azurestack.local/abc/.default"
    assert c2 != c

    # Plain http only to loopback hosts (an emulator).
    for host in ("http://127.0.0.1:8080", "http://localhost:1", "http://[::1]:2"):
        loop = azml.Cloud(name="Emu", arm_endpoint=host, authority_host=host, graph_endpoint=host)
        assert loop.arm_endpoint == host + "/"

    good = dict(name="x", arm_endpoint="https://m.example", authority_host="https://l.example",
                graph_endpoint="https://g.example")  # fmt: skip
    bad = [
        {"arm_endpoint": "http://m.example"},
        {"authority_host": "http://login.example"},
        {"graph_endpoint": "http://g.example"},
        {"arm_endpoint": "ftp://m.example"},
        {"arm_endpoint": "management.example"},
        {"arm_endpoint": "https://user:pw@m.example"},
        {"arm_endpoint": "https://m.example/?x=1"},
        {"name": "  "},
        {"audience": "not a uri"},
    ]
    for change in bad:
        with pytest.raises(azml.ValidationError):
            azml.Cloud(**{**good, **change})
    with pytest.raises(TypeError):
        azml.Cloud("x", "https://m.example", "https://l.example", "https://g.example")  # type: ignore[misc]
    with pytest.raises(TypeError):
        azml.Cloud(name="x", arm_endpoint="https://m.example")  # type: ignore[call-arg]


# Metadata documents.

_DOC = {
    "name": "AzureStackUser",
    "resourceManager": "https://management.local.azurestack.external/",
    "authentication": {
        "loginEndpoint": "https://adfs.local.azurestack.external/adfs/",
        "audiences": ["https://management.adfs.azurestack.local/4de154de"],
    },
    "graph": "https://graph.local.azurestack.external/",
}


def test_a_metadata_document_as_text_or_dict():
    from_text = azml.Cloud.from_metadata(json.dumps(_DOC))
    assert from_text == azml.Cloud.from_metadata(_DOC)
    assert from_text.name == "AzureStackUser"
    assert from_text.arm_endpoint == "https://management.local.azurestack.external/"
    assert from_text.authority_host == "https://adfs.local.azurestack.external/adfs/"
    assert from_text.audience == "https://management.adfs.azurestack.local/4de154de/"
    assert from_text.graph_endpoint == "https://graph.local.azurestack.external/"
    # A list (ARM's 2019-05-01 answer): the first, or the one named.
    other = {**_DOC, "name": "Other", "resourceManager": "https://arm.other.example/"}
    assert azml.Cloud.from_metadata([_DOC, other]).name == "AzureStackUser"
    assert azml.Cloud.from_metadata([_DOC, other], name="other").arm_endpoint == (
        "https://arm.other.example/"
    )
    with pytest.raises(azml.ValidationError, match="AzureStackUser, Other"):
        azml.Cloud.from_metadata([_DOC, other], name="Mars")
    for bad in ["not json", "[]", "42", {**_DOC, "resourceManager": None},
                {**_DOC, "resourceManager": "http://arm.example/"}]:  # fmt: skip
        with pytest.raises(azml.ValidationError):
            azml.Cloud.from_metadata(bad)
    with pytest.raises(azml.ValidationError):
        azml.Cloud.from_metadata(42)  # type: ignore[arg-type]


def _emulator_document(emu, query: str = "") -> Any:
    with urllib.request.urlopen(f"{emu.url}/metadata/endpoints{query}", timeout=10) as r:
        return json.load(r)


def test_from_metadata_url_reads_the_emulators_document(emu, clean_env):
    base = emu.url + "/"
    cloud = azml.Cloud.from_metadata_url(emu.url, ca_file=emu.ca_file)
    assert cloud.name == "AzmlEmulator"
    endpoints = (cloud.arm_endpoint, cloud.authority_host, cloud.graph_endpoint, cloud.audience)
    assert endpoints == (base,) * 4
    assert cloud == azml.Cloud.from_metadata(_emulator_document(emu, "?api-version=2022-09-01"))
    # The document's own URL; with the 2019-05-01 api-version it is a list.
    full = f"{emu.url}/metadata/endpoints?api-version=2019-05-01"
    assert isinstance(_emulator_document(emu, "?api-version=2019-05-01"), list)
    assert azml.Cloud.from_metadata_url(full, name="azmlemulator") == cloud
    with pytest.raises(azml.ValidationError, match="AzmlEmulator"):
        azml.Cloud.from_metadata_url(full, name="AzureCloud")


def test_from_metadata_url_errors_are_typed(emu):
    before = len(journal(emu))
    # Refused before anything is sent.
    for url in ("ftp://127.0.0.1/metadata/endpoints", "http://example.com",
                f"{emu.url}/?api-version=1", "not a url"):  # fmt: skip
        with pytest.raises(azml.ValidationError):
            azml.Cloud.from_metadata_url(url)
    assert len(journal(emu)) == before
    with pytest.raises(azml.HttpResponseError):
        azml.Cloud.from_metadata_url(f"{emu.url}/elsewhere/metadata/endpoints")
    with pytest.raises(azml.ServiceRequestError):
        azml.Cloud.from_metadata_url("http://127.0.0.1:9")


# Clients.


def test_a_client_for_the_emulators_cloud_works_with_the_default_chain(emu, clean_env):
    cloud = azml.Cloud.from_metadata_url(emu.url, ca_file=emu.ca_file)
    # The service principal from the environment, but no authority there: the cloud's must
    # reach the default chain (the public one is not reachable from the tests).
    for name, value in emu.env().items():
        if name.startswith("AZURE_") and name != "AZURE_AUTHORITY_HOST":
            clean_env.setenv(name, value)
    if emu.ca_file:
        clean_env.setenv("AZML_CA_FILE", emu.ca_file)
    client = azml.Client(subscription_id=emu.subscription_id, cloud=cloud)
    assert client.cloud == cloud
    assert client.endpoint == emu.url and client.graph_endpoint == emu.url
    name = unique("rgcloud")
    assert client.groups.create(name, location="westeurope")["name"] == name
    assert client.groups.show(name)["location"] == "westeurope"
    client.groups.delete(name)


def test_an_explicit_cloud_authority_wins_over_the_environments(emu, clean_env):
    # As azure-identity's explicit `authority=` does: the environment names an authority
    # nothing answers at; the chosen cloud's is the one the default chain signs in at.
    for name, value in emu.env().items():
        if name.startswith("AZURE_"):
            clean_env.setenv(name, value)
    clean_env.setenv("AZURE_AUTHORITY_HOST", "https://127.0.0.1:9/")
    if emu.ca_file:
        clean_env.setenv("AZML_CA_FILE", emu.ca_file)
    cloud = azml.Cloud.from_metadata_url(emu.url, ca_file=emu.ca_file)
    client = azml.Client(subscription_id=emu.subscription_id, cloud=cloud)
    assert client.groups.exists(unique("rg")) is False
    # Without a cloud, the environment's authority is the one used, and it does not answer.
    plain = azml.Client(subscription_id=emu.subscription_id, endpoint=emu.url)
    with pytest.raises(azml.ClientAuthenticationError):
        plain.groups.exists(unique("rg"))


def test_the_clouds_audience_is_the_one_tokens_are_asked_for(emu, clean_env):
    own = Recording(emu.credential)
    client = azml.Client(emu.subscription_id, own, cloud=emulator_cloud(emu))
    assert client.groups.exists(unique("rg")) is False
    assert own.scopes and set(own.scopes) == {(f"{emu.url}/.default",)}

    other = Recording(emu.credential)
    cloud = emulator_cloud(emu, audience="https://management.core.windows.net/")
    client = azml.Client(emu.subscription_id, other, cloud=cloud)
    assert client.groups.exists(unique("rg")) is False
    assert set(other.scopes) == {("https://management.core.windows.net/.default",)}

    # An audience ARM does not accept: the token is asked for it, and refused.
    wrong = Recording(emu.credential)
    cloud = emulator_cloud(emu, audience="https://arm.elsewhere.example/")
    with pytest.raises(azml.ClientAuthenticationError):
        azml.Client(emu.subscription_id, wrong, cloud=cloud).groups.exists("rg")
    assert set(wrong.scopes) == {("https://arm.elsewhere.example/.default",)}


def test_async_client_takes_a_cloud(emu, clean_env):
    cloud = emulator_cloud(emu)
    client = azml.AsyncClient(emu.subscription_id, emu.credential, cloud=cloud)
    assert client.cloud is cloud

    async def go() -> None:
        name = unique("rgcloud")
        await client.groups.create(name, location="eastus")
        assert await client.groups.exists(name) is True
        await client.groups.delete(name)

    asyncio.run(go())


def test_constructing_a_client_sends_nothing(emu, clean_env):
    before = len(journal(emu))
    cred = Recording()
    for cls in (azml.Client, azml.AsyncClient):
        cls(emu.subscription_id, cred, cloud=emulator_cloud(emu))
        cls(emu.subscription_id, None, cloud=emulator_cloud(emu))  # the default chain
    assert len(journal(emu)) == before
    assert cred.scopes == []


# The environment.


def test_arm_cloud_metadata_url_selects_the_cloud(emu, clean_env):
    clean_env.setenv("ARM_CLOUD_METADATA_URL", emu.url)
    if emu.ca_file:
        clean_env.setenv("AZML_CA_FILE", emu.ca_file)
    client = azml.Client(emu.subscription_id, emu.credential)
    assert client.cloud.name == "AzmlEmulator"
    assert client.endpoint == emu.url
    assert client.graph_endpoint == emu.url
    assert client.cloud == azml.Cloud.from_env()
    name = unique("rgenv")
    client.groups.create(name, location="eastus")
    assert client.groups.show(name)["name"] == name
    client.groups.delete(name)

    # A list document: AZURE_CLOUD picks in it, and must be in it.
    clean_env.setenv("ARM_CLOUD_METADATA_URL",
                     f"{emu.url}/metadata/endpoints?api-version=2019-05-01")  # fmt: skip
    clean_env.setenv("AZURE_CLOUD", "AzmlEmulator")
    assert azml.Client(emu.subscription_id, emu.credential).cloud.name == "AzmlEmulator"
    clean_env.setenv("AZURE_CLOUD", "AzureChinaCloud")
    with pytest.raises(azml.ValidationError, match="lists: AzmlEmulator"):
        azml.Client(emu.subscription_id, emu.credential)
    # An explicit cloud is not the environment's: nothing is fetched.
    before = len(journal(emu))
    assert azml.Client(SUB, Recording(), cloud="public").cloud.name == "AzureCloud"
    assert len(journal(emu)) == before
    clean_env.setenv("ARM_CLOUD_METADATA_URL", "http://127.0.0.1:9")
    with pytest.raises(azml.ServiceRequestError, match="ARM_CLOUD_METADATA_URL"):
        azml.Client(SUB, Recording())


def test_azure_cloud_and_authority_host_select_a_known_cloud(clean_env):
    cred = Recording()
    clean_env.setenv("AZURE_CLOUD", "AzureChinaCloud")
    for cls in (azml.Client, azml.AsyncClient):
        c = cls(SUB, cred)
        assert c.endpoint == "https://management.chinacloudapi.cn"
        assert c.graph_endpoint == "https://microsoftgraph.chinacloudapi.cn"
        assert c.cloud == azml.Cloud.by_name("AzureChinaCloud")
    clean_env.delenv("AZURE_CLOUD")
    clean_env.setenv("AZURE_AUTHORITY_HOST", "https://login.microsoftonline.us/")
    c = azml.Client(SUB, cred)
    assert c.endpoint == "https://management.usgovcloudapi.net"
    assert c.cloud.name == "AzureUSGovernment"
    clean_env.delenv("AZURE_AUTHORITY_HOST")
    assert azml.Client(SUB, cred).cloud.name == "AzureCloud"
    assert cred.scopes == []


def test_azml_endpoint_still_points_a_client_at_an_emulator(emu, clean_env):
    clean_env.setenv("AZML_ENDPOINT", emu.url)
    c = azml.Client(emu.subscription_id, emu.credential)
    assert c.endpoint == emu.url and c.graph_endpoint == emu.url
    assert c.cloud.name == "AzureCloud"
    assert c.groups.exists(unique("rg")) is False
    # An explicit cloud wins over it.
    assert azml.Client(SUB, Recording(), cloud="china").endpoint == (
        "https://management.chinacloudapi.cn"
    )
    # What the environment says for az does not move an endpoint given to azml: nothing is
    # fetched, and the token is the public cloud's, which the emulator accepts.
    clean_env.setenv("AZURE_CLOUD", "AzureChinaCloud")
    clean_env.setenv("ARM_CLOUD_METADATA_URL", "http://127.0.0.1:9")
    own = Recording(emu.credential)
    for c in (azml.Client(emu.subscription_id, own),
              azml.Client(emu.subscription_id, own, endpoint=emu.url)):  # fmt: skip
        assert c.endpoint == emu.url and c.cloud.name == "AzureCloud"
        assert c.groups.exists(unique("rg")) is False
    assert set(own.scopes) == {("https://management.azure.com/.default",)}
    clean_env.setenv("AZML_GRAPH_ENDPOINT", "http://127.0.0.1:9")
    assert azml.Client(emu.subscription_id, emu.credential).graph_endpoint == "http://127.0.0.1:9"
