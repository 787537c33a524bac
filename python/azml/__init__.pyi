from typing import Any, Dict, List, Optional, Protocol, Sequence, Union

from typing_extensions import TypeAlias

from . import emulator as emulator
from . import errors as errors
from ._az import AzArgumentError as AzArgumentError
from ._azml import AccessToken as AccessToken
from ._azml import AccessTokenInfo as AccessTokenInfo
from ._azml import AzureCliCredential as AzureCliCredential
from ._azml import CertificateCredential as CertificateCredential
from ._azml import ClientSecretCredential as ClientSecretCredential
from ._azml import Cloud as Cloud
from ._azml import DefaultAzureCredential as DefaultAzureCredential
from ._azml import DeviceCodeCredential as DeviceCodeCredential
from ._azml import InteractiveBrowserCredential as InteractiveBrowserCredential
from ._azml import ManagedIdentityCredential as ManagedIdentityCredential
from ._azml import StaticTokenCredential as StaticTokenCredential
from ._azml import WorkloadIdentityCredential as WorkloadIdentityCredential
from .errors import AuthorizationError as AuthorizationError
from .errors import AzureError as AzureError
from .errors import ClientAuthenticationError as ClientAuthenticationError
from .errors import HttpResponseError as HttpResponseError
from .errors import OperationFailedError as OperationFailedError
from .errors import OperationTimeoutError as OperationTimeoutError
from .errors import PollerCancelledError as PollerCancelledError
from .errors import ResourceExistsError as ResourceExistsError
from .errors import ResourceNotFoundError as ResourceNotFoundError
from .errors import ServiceRequestError as ServiceRequestError
from .errors import ThrottledError as ThrottledError
from .errors import ValidationError as ValidationError

__version__: str

class _PollerBase:
    @property
    def operation(self) -> str: ...
    def continuation_token(self) -> str: ...
    def done(self) -> bool: ...
    def status(self) -> str: ...
    def cancel(self) -> None: ...

class Poller(_PollerBase):
    def result(self, timeout: Optional[float] = None) -> Any: ...
    def wait(self, timeout: Optional[float] = None) -> None: ...

class AsyncPoller(_PollerBase):
    async def result(self, timeout: Optional[float] = None) -> Any: ...
    async def wait(self, timeout: Optional[float] = None) -> None: ...

class _Token(Protocol):
    token: str
    expires_on: int

class TokenCredentialLike(Protocol):
    def get_token(self, *scopes: str) -> _Token: ...

_Credential: TypeAlias = Union[
    ClientSecretCredential,
    AzureCliCredential,
    CertificateCredential,
    DefaultAzureCredential,
    DeviceCodeCredential,
    InteractiveBrowserCredential,
    ManagedIdentityCredential,
    StaticTokenCredential,
    WorkloadIdentityCredential,
    TokenCredentialLike,
]
_Json: TypeAlias = Dict[str, Any]

class Groups:
    def create(
        self,
        name: str,
        *,
        location: str,
        tags: Optional[Dict[str, str]] = None,
        managed_by: Optional[str] = None,
    ) -> _Json: ...
    def show(self, name: str) -> _Json: ...
    def list(self, tag: Optional[str] = None) -> List[_Json]: ...
    def exists(self, name: str) -> bool: ...
    def delete(self, name: str, *, no_wait: bool = False) -> None: ...
    def begin_delete(self, name: str) -> Poller: ...
    def update(self, name: str, *, tags: Optional[Dict[str, str]] = None) -> _Json: ...

class AsyncGroups:
    async def create(
        self,
        name: str,
        *,
        location: str,
        tags: Optional[Dict[str, str]] = None,
        managed_by: Optional[str] = None,
    ) -> _Json: ...
    async def show(self, name: str) -> _Json: ...
    async def list(self, tag: Optional[str] = None) -> List[_Json]: ...
    async def exists(self, name: str) -> bool: ...
    async def delete(self, name: str, *, no_wait: bool = False) -> None: ...
    async def begin_delete(self, name: str) -> AsyncPoller: ...
    async def update(self, name: str, *, tags: Optional[Dict[str, str]] = None) -> _Json: ...

class Workspaces:
    def create(
        self,
        name: str,
        *,
        resource_group: str,
        location: Optional[str] = None,
        storage_account: Optional[str] = None,
        keyvault: Optional[str] = None,
        application_insights: Optional[str] = None,
        container_registry: Optional[str] = None,
        pe_name: Optional[str] = None,
        pe_auto_approval: bool = False,
        pe_resource_group: Optional[str] = None,
        pe_vnet_name: Optional[str] = None,
        pe_subnet_name: Optional[str] = None,
        cmk_keyvault: Optional[str] = None,
        resource_cmk_uri: Optional[str] = None,
        hbi_workspace: bool = False,
        friendly_name: Optional[str] = None,
        description: Optional[str] = None,
        tags: Optional[Dict[str, str]] = None,
        exist_ok: bool = False,
        create_resource_group: bool = False,
        sku: Optional[str] = None,
        v1_legacy_mode: bool = False,
        primary_user_assigned_identity: Optional[str] = None,
        keep_dependents_on_failure: bool = False,
    ) -> _Json: ...
    def list(
        self,
        resource_group: Optional[str] = None,
        *,
        subscription_ids: Optional[List[str]] = None,
    ) -> List[_Json]: ...
    def show(self, name: str, *, resource_group: str) -> _Json: ...
    def update(
        self,
        name: str,
        *,
        resource_group: str,
        friendly_name: Optional[str] = None,
        description: Optional[str] = None,
        tags: Optional[Dict[str, str]] = None,
        image_build_compute: Optional[str] = None,
        allow_public_access: Optional[bool] = None,
        primary_user_assigned_identity: Optional[str] = None,
        v1_legacy_mode: Optional[bool] = None,
    ) -> _Json: ...
    def delete(
        self,
        name: str,
        *,
        resource_group: str,
        all_resources: bool = False,
        permanently_delete: bool = False,
        no_wait: bool = False,
    ) -> None: ...
    def share(self, name: str, *, resource_group: str, user: str, role: str) -> _Json: ...
    def sync_keys(self, name: str, *, resource_group: str) -> None: ...
    def list_keys(self, name: str, *, resource_group: str) -> _Json: ...
    def diagnose(self, name: str, *, resource_group: str) -> _Json: ...
    def begin_create(
        self,
        name: str,
        *,
        resource_group: str,
        location: Optional[str] = None,
        storage_account: Optional[str] = None,
        keyvault: Optional[str] = None,
        application_insights: Optional[str] = None,
        container_registry: Optional[str] = None,
        pe_name: Optional[str] = None,
        pe_auto_approval: bool = False,
        pe_resource_group: Optional[str] = None,
        pe_vnet_name: Optional[str] = None,
        pe_subnet_name: Optional[str] = None,
        cmk_keyvault: Optional[str] = None,
        resource_cmk_uri: Optional[str] = None,
        hbi_workspace: bool = False,
        friendly_name: Optional[str] = None,
        description: Optional[str] = None,
        tags: Optional[Dict[str, str]] = None,
        exist_ok: bool = False,
        create_resource_group: bool = False,
        sku: Optional[str] = None,
        v1_legacy_mode: bool = False,
        primary_user_assigned_identity: Optional[str] = None,
        keep_dependents_on_failure: bool = False,
    ) -> Poller: ...
    def begin_update(
        self,
        name: str,
        *,
        resource_group: str,
        friendly_name: Optional[str] = None,
        description: Optional[str] = None,
        tags: Optional[Dict[str, str]] = None,
        image_build_compute: Optional[str] = None,
        allow_public_access: Optional[bool] = None,
        primary_user_assigned_identity: Optional[str] = None,
        v1_legacy_mode: Optional[bool] = None,
    ) -> Poller: ...
    def begin_delete(
        self,
        name: str,
        *,
        resource_group: str,
        all_resources: bool = False,
        permanently_delete: bool = False,
    ) -> Poller: ...
    def begin_sync_keys(self, name: str, *, resource_group: str) -> Poller: ...
    def begin_diagnose(self, name: str, *, resource_group: str) -> Poller: ...

class AsyncWorkspaces:
    async def create(
        self,
        name: str,
        *,
        resource_group: str,
        location: Optional[str] = None,
        storage_account: Optional[str] = None,
        keyvault: Optional[str] = None,
        application_insights: Optional[str] = None,
        container_registry: Optional[str] = None,
        pe_name: Optional[str] = None,
        pe_auto_approval: bool = False,
        pe_resource_group: Optional[str] = None,
        pe_vnet_name: Optional[str] = None,
        pe_subnet_name: Optional[str] = None,
        cmk_keyvault: Optional[str] = None,
        resource_cmk_uri: Optional[str] = None,
        hbi_workspace: bool = False,
        friendly_name: Optional[str] = None,
        description: Optional[str] = None,
        tags: Optional[Dict[str, str]] = None,
        exist_ok: bool = False,
        create_resource_group: bool = False,
        sku: Optional[str] = None,
        v1_legacy_mode: bool = False,
        primary_user_assigned_identity: Optional[str] = None,
        keep_dependents_on_failure: bool = False,
    ) -> _Json: ...
    async def list(
        self,
        resource_group: Optional[str] = None,
        *,
        subscription_ids: Optional[List[str]] = None,
    ) -> List[_Json]: ...
    async def show(self, name: str, *, resource_group: str) -> _Json: ...
    async def update(
        self,
        name: str,
        *,
        resource_group: str,
        friendly_name: Optional[str] = None,
        description: Optional[str] = None,
        tags: Optional[Dict[str, str]] = None,
        image_build_compute: Optional[str] = None,
        allow_public_access: Optional[bool] = None,
        primary_user_assigned_identity: Optional[str] = None,
        v1_legacy_mode: Optional[bool] = None,
    ) -> _Json: ...
    async def delete(
        self,
        name: str,
        *,
        resource_group: str,
        all_resources: bool = False,
        permanently_delete: bool = False,
        no_wait: bool = False,
    ) -> None: ...
    async def share(self, name: str, *, resource_group: str, user: str, role: str) -> _Json: ...
    async def sync_keys(self, name: str, *, resource_group: str) -> None: ...
    async def list_keys(self, name: str, *, resource_group: str) -> _Json: ...
    async def diagnose(self, name: str, *, resource_group: str) -> _Json: ...
    async def begin_create(
        self,
        name: str,
        *,
        resource_group: str,
        location: Optional[str] = None,
        storage_account: Optional[str] = None,
        keyvault: Optional[str] = None,
        application_insights: Optional[str] = None,
        container_registry: Optional[str] = None,
        pe_name: Optional[str] = None,
        pe_auto_approval: bool = False,
        pe_resource_group: Optional[str] = None,
        pe_vnet_name: Optional[str] = None,
        pe_subnet_name: Optional[str] = None,
        cmk_keyvault: Optional[str] = None,
        resource_cmk_uri: Optional[str] = None,
        hbi_workspace: bool = False,
        friendly_name: Optional[str] = None,
        description: Optional[str] = None,
        tags: Optional[Dict[str, str]] = None,
        exist_ok: bool = False,
        create_resource_group: bool = False,
        sku: Optional[str] = None,
        v1_legacy_mode: bool = False,
        primary_user_assigned_identity: Optional[str] = None,
        keep_dependents_on_failure: bool = False,
    ) -> AsyncPoller: ...
    async def begin_update(
        self,
        name: str,
        *,
        resource_group: str,
        friendly_name: Optional[str] = None,
        description: Optional[str] = None,
        tags: Optional[Dict[str, str]] = None,
        image_build_compute: Optional[str] = None,
        allow_public_access: Optional[bool] = None,
        primary_user_assigned_identity: Optional[str] = None,
        v1_legacy_mode: Optional[bool] = None,
    ) -> AsyncPoller: ...
    async def begin_delete(
        self,
        name: str,
        *,
        resource_group: str,
        all_resources: bool = False,
        permanently_delete: bool = False,
    ) -> AsyncPoller: ...
    async def begin_sync_keys(self, name: str, *, resource_group: str) -> AsyncPoller: ...
    async def begin_diagnose(self, name: str, *, resource_group: str) -> AsyncPoller: ...

class StorageAccounts:
    def show(self, name: str, resource_group: Optional[str] = None) -> _Json: ...

class KeyVaults:
    def show(self, name: str, resource_group: Optional[str] = None) -> _Json: ...

class ApplicationInsights:
    def show(self, name: str, *, resource_group: str) -> _Json: ...

class ContainerRegistries:
    def show(self, name: str, *, resource_group: Optional[str] = None) -> _Json: ...

class AsyncStorageAccounts:
    async def show(self, name: str, resource_group: Optional[str] = None) -> _Json: ...

class AsyncKeyVaults:
    async def show(self, name: str, resource_group: Optional[str] = None) -> _Json: ...

class AsyncApplicationInsights:
    async def show(self, name: str, *, resource_group: str) -> _Json: ...

class AsyncContainerRegistries:
    async def show(self, name: str, *, resource_group: Optional[str] = None) -> _Json: ...

class Client:
    groups: Groups
    workspaces: Workspaces
    storage_accounts: StorageAccounts
    keyvaults: KeyVaults
    application_insights: ApplicationInsights
    container_registries: ContainerRegistries
    def __init__(
        self,
        subscription_id: Optional[str] = None,
        credential: Optional[_Credential] = None,
        cloud: Union[str, Cloud, None] = None,
        endpoint: Optional[str] = None,
        output: str = "v1",
        *,
        ca_file: Optional[str] = None,
        graph_endpoint: Optional[str] = None,
        polling_interval: Optional[float] = None,
        polling_min_wait: Optional[float] = None,
        polling_max_wait: Optional[float] = None,
        operation_timeout: Optional[float] = None,
        user_agent: Optional[str] = None,
        pacing: bool = True,
    ) -> None: ...
    @property
    def subscription_id(self) -> str: ...
    @property
    def endpoint(self) -> str: ...
    @property
    def cloud(self) -> Cloud: ...
    @property
    def output(self) -> str: ...
    @property
    def graph_endpoint(self) -> str: ...
    def resume(self, token: str) -> Poller: ...
    @property
    def pacing(self) -> bool: ...
    def close(self) -> None: ...
    def __enter__(self) -> Client: ...
    def __exit__(self, *exc: object) -> None: ...

class AsyncClient:
    groups: AsyncGroups
    workspaces: AsyncWorkspaces
    storage_accounts: AsyncStorageAccounts
    keyvaults: AsyncKeyVaults
    application_insights: AsyncApplicationInsights
    container_registries: AsyncContainerRegistries
    def __init__(
        self,
        subscription_id: Optional[str] = None,
        credential: Optional[_Credential] = None,
        cloud: Union[str, Cloud, None] = None,
        endpoint: Optional[str] = None,
        output: str = "v1",
        *,
        ca_file: Optional[str] = None,
        graph_endpoint: Optional[str] = None,
        polling_interval: Optional[float] = None,
        polling_min_wait: Optional[float] = None,
        polling_max_wait: Optional[float] = None,
        operation_timeout: Optional[float] = None,
        user_agent: Optional[str] = None,
        pacing: bool = True,
    ) -> None: ...
    @property
    def subscription_id(self) -> str: ...
    @property
    def endpoint(self) -> str: ...
    @property
    def cloud(self) -> Cloud: ...
    @property
    def output(self) -> str: ...
    @property
    def graph_endpoint(self) -> str: ...
    def resume(self, token: str) -> AsyncPoller: ...
    @property
    def pacing(self) -> bool: ...
    async def aclose(self) -> None: ...
    async def __aenter__(self) -> AsyncClient: ...
    async def __aexit__(self, *exc: object) -> None: ...

def az(args: Union[str, Sequence[str]], *, client: Optional[Client] = None) -> Any: ...
