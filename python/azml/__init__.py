"""azml: `az ml workspace …` and `az group …` in-process, with a Rust core.

    client = azml.Client()                      # AZURE_SUBSCRIPTION_ID, AZURE_* credential
    client.workspaces.show("ws", resource_group="rg")
    azml.az("ml workspace show -w ws -g rg --query id")   # az's command line, in-process

See `azml.Client`, `azml.AsyncClient`, `azml.errors` and `azml.emulator`.
"""

from __future__ import annotations

import atexit as _atexit
import os as _os

from . import _azml, emulator, errors
from ._az import AzArgumentError, az
from ._azml import (
    AccessToken,
    AccessTokenInfo,
    AzureCliCredential,
    CertificateCredential,
    ClientSecretCredential,
    Cloud,
    DefaultAzureCredential,
    DeviceCodeCredential,
    InteractiveBrowserCredential,
    ManagedIdentityCredential,
    StaticTokenCredential,
    WorkloadIdentityCredential,
)
from ._client import AsyncClient, Client
from ._poller import AsyncPoller, Poller
from .errors import (
    AuthorizationError,
    AzureError,
    ClientAuthenticationError,
    HttpResponseError,
    OperationFailedError,
    OperationTimeoutError,
    PollerCancelledError,
    ResourceExistsError,
    ResourceNotFoundError,
    ServiceRequestError,
    ThrottledError,
    ValidationError,
)

__version__: str = _azml.__version__

__all__ = [
    "AccessToken",
    "AccessTokenInfo",
    "AsyncClient",
    "AsyncPoller",
    "AuthorizationError",
    "AzArgumentError",
    "AzureCliCredential",
    "AzureError",
    "CertificateCredential",
    "Client",
    "ClientAuthenticationError",
    "ClientSecretCredential",
    "Cloud",
    "DefaultAzureCredential",
    "DeviceCodeCredential",
    "HttpResponseError",
    "InteractiveBrowserCredential",
    "ManagedIdentityCredential",
    "OperationFailedError",
    "OperationTimeoutError",
    "Poller",
    "PollerCancelledError",
    "ResourceExistsError",
    "ResourceNotFoundError",
    "ServiceRequestError",
    "StaticTokenCredential",
    "ThrottledError",
    "ValidationError",
    "WorkloadIdentityCredential",
    "__version__",
    "az",
    "emulator",
    "errors",
]

# Before the interpreter finalizes, let async results in flight land and then stop every
# runtime thread from attaching to Python (a late attach can crash the interpreter).
_atexit.register(_azml._shutdown, 1.0)

# A tokio runtime does not survive fork: the child forgets the parent's tasks and builds its
# own runtime, ARM clients and credentials on first use.
if hasattr(_os, "register_at_fork"):
    _os.register_at_fork(
        before=_azml._before_fork,
        after_in_parent=_azml._after_fork_in_parent,
        after_in_child=_azml._after_fork,
    )
