"""Azure's own Python SDKs against the emulator: one TLS emulator for the session.

The SDKs sign in with azure-identity's ClientSecretCredential at the emulator's token
endpoint (authority = the emulator's https URL) and trust its CA through
`connection_verify`, exactly as docs/EMULATOR.md tells users to. Nothing here can reach
Azure: instance discovery is off, every base URL is the emulator's, and CI runs the suite
inside a loopback-only network.
"""

from __future__ import annotations

from typing import Any, Dict, Iterator

import pytest
from sdk_support import ARM_SCOPE, LOCATION, PAGE_SIZE, unique

import azml


def pytest_collection_modifyitems(items: list) -> None:
    # The project turns warnings into errors; the SDKs' own deprecation notices (about
    # their dependencies, not about our use) are not the emulator's business.
    for item in items:
        if "tests/conformance" in str(item.fspath).replace("\\", "/"):
            item.add_marker(pytest.mark.filterwarnings("ignore::DeprecationWarning"))
            item.add_marker(pytest.mark.filterwarnings("ignore::PendingDeprecationWarning"))


@pytest.fixture(scope="session")
def emu() -> Iterator[azml.emulator.EmulatorHandle]:
    with azml.emulator.start(tls=True, latency="instant", page_size=PAGE_SIZE) as handle:
        assert handle.url.startswith("https://127.0.0.1:")
        assert handle.ca_file is not None
        yield handle


@pytest.fixture(scope="session")
def credential(emu) -> Any:
    from azure.identity import ClientSecretCredential

    env = emu.env()
    cred = ClientSecretCredential(
        env["AZURE_TENANT_ID"],
        env["AZURE_CLIENT_ID"],
        env["AZURE_CLIENT_SECRET"],
        authority=emu.url,
        # MSAL would otherwise ask login.microsoftonline.com whether the authority is valid.
        disable_instance_discovery=True,
        connection_verify=emu.ca_file,
    )
    yield cred
    cred.close()


@pytest.fixture(scope="session")
def client_kwargs(emu) -> Dict[str, Any]:
    """What every management client needs to talk to the emulator."""
    return {
        "base_url": emu.url,
        "credential_scopes": [ARM_SCOPE],
        "connection_verify": emu.ca_file,
        # ARM polling waits for Retry-After when the service sends one (the emulator sends
        # small ones); without it the SDKs' default is 30 s.
        "polling_interval": 0,
    }


@pytest.fixture(scope="session")
def resources(emu, credential, client_kwargs) -> Any:
    from azure.mgmt.resource.resources import ResourceManagementClient

    with ResourceManagementClient(credential, emu.subscription_id, **client_kwargs) as c:
        yield c


@pytest.fixture(scope="session")
def storage(emu, credential, client_kwargs) -> Any:
    from azure.mgmt.storage import StorageManagementClient

    with StorageManagementClient(credential, emu.subscription_id, **client_kwargs) as c:
        yield c


@pytest.fixture(scope="session")
def keyvault(emu, credential, client_kwargs) -> Any:
    from azure.mgmt.keyvault import KeyVaultManagementClient

    with KeyVaultManagementClient(credential, emu.subscription_id, **client_kwargs) as c:
        yield c


@pytest.fixture(scope="session")
def ml(emu, credential, client_kwargs) -> Any:
    from azure.mgmt.machinelearningservices import MachineLearningServicesMgmtClient

    with MachineLearningServicesMgmtClient(credential, emu.subscription_id, **client_kwargs) as c:
        yield c


@pytest.fixture(scope="session")
def network(emu, credential, client_kwargs) -> Any:
    from azure.mgmt.network import NetworkManagementClient

    with NetworkManagementClient(credential, emu.subscription_id, **client_kwargs) as c:
        yield c


@pytest.fixture(scope="session")
def authorization(emu, credential, client_kwargs) -> Any:
    from azure.mgmt.authorization import AuthorizationManagementClient

    with AuthorizationManagementClient(credential, emu.subscription_id, **client_kwargs) as c:
        yield c


@pytest.fixture
def group(resources) -> Iterator[str]:
    """A resource group for one test, deleted (with what it holds) afterwards."""
    name = unique("conf-rg-")
    resources.resource_groups.create_or_update(name, {"location": LOCATION})
    yield name
    if resources.resource_groups.check_existence(name):
        resources.resource_groups.begin_delete(name).result()
