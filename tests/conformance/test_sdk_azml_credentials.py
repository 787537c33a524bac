"""azml's credentials in the Azure SDKs' hands: azure-core's bearer-token policy calls
`get_token_info` (or `get_token` with its keywords) on whatever credential it is given, so
an azml credential must serve a management client as azure-identity's do."""

from __future__ import annotations

from typing import Any, List, Tuple

import pytest
from sdk_support import LOCATION, unique

import azml


class _Spy:
    """Passes calls through to an azml credential, noting how azure-core calls it."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.calls: List[Tuple[str, Tuple[str, ...], Any]] = []

    def get_token(self, *scopes: str, **kwargs: Any) -> Any:
        self.calls.append(("get_token", scopes, kwargs))
        return self.inner.get_token(*scopes, **kwargs)

    def get_token_info(self, *scopes: str, options: Any = None) -> Any:
        self.calls.append(("get_token_info", scopes, options))
        return self.inner.get_token_info(*scopes, options=options)


class _OldSpy:
    """The same, offering only `get_token`: azure-core then calls it with its keywords."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.calls: List[Tuple[str, Tuple[str, ...], Any]] = []

    def get_token(self, *scopes: str, **kwargs: Any) -> Any:
        self.calls.append(("get_token", scopes, kwargs))
        return self.inner.get_token(*scopes, **kwargs)


def _secret_credential(emu) -> azml.ClientSecretCredential:
    env = emu.env()
    return azml.ClientSecretCredential(
        env["AZURE_TENANT_ID"], env["AZURE_CLIENT_ID"], env["AZURE_CLIENT_SECRET"],
        authority=emu.url, ca_file=emu.ca_file,
    )  # fmt: skip


@pytest.mark.parametrize("protocol", ["get_token_info", "get_token"])
@pytest.mark.parametrize("kind", ["client_secret", "static_token"])
def test_an_azml_credential_drives_a_management_client(emu, client_kwargs, kind, protocol):
    from azure.mgmt.resource.resources import ResourceManagementClient

    secret = _secret_credential(emu)
    if kind == "client_secret":
        inner: Any = secret
    else:
        token = secret.get_token("https://management.azure.com/.default")
        inner = azml.StaticTokenCredential(token.token, expires_on=token.expires_on)
    spy = _Spy(inner) if protocol == "get_token_info" else _OldSpy(inner)
    name = unique("conf-azml-cred-")
    with ResourceManagementClient(spy, emu.subscription_id, **client_kwargs) as client:
        created = client.resource_groups.create_or_update(name, {"location": LOCATION})
        assert created.name == name
        assert client.resource_groups.get(name).location == LOCATION
        client.resource_groups.begin_delete(name).result()
        assert client.resource_groups.check_existence(name) is False
    # azure-core asked the azml credential itself, with its own calling convention.
    assert spy.calls, "the SDK never asked for a token"
    # azure-core prefers `get_token_info` when a credential has one (SupportsTokenInfo),
    # else calls `get_token` with keywords of its own (`enable_cae`, …).
    assert {c[0] for c in spy.calls} == {protocol}, spy.calls
    for _, scopes, _ in spy.calls:
        assert scopes == ("https://management.azure.com/.default",)
