import asyncio
import datetime
import os
from typing import Any, Callable, Dict, List, Mapping, Optional, Tuple, Union

from typing_extensions import TypeAlias

__version__: str
# (op, python, az, long) for every command the core runs: `command_table.rs`.
COMMANDS: Tuple[Tuple[str, str, str, bool], ...]

_Path: TypeAlias = Union[str, os.PathLike[str]]

class AccessToken:
    @property
    def token(self) -> str: ...
    @property
    def expires_on(self) -> int: ...

class Cloud:
    def __init__(
        self,
        *,
        name: str,
        arm_endpoint: str,
        authority_host: str,
        graph_endpoint: str,
        audience: Optional[str] = None,
    ) -> None: ...
    @staticmethod
    def by_name(name: str) -> Cloud: ...
    @staticmethod
    def known() -> List[Cloud]: ...
    @staticmethod
    def from_metadata(
        document: Union[str, Dict[str, Any], List[Any]], *, name: Optional[str] = None
    ) -> Cloud: ...
    @staticmethod
    def from_metadata_url(
        url: str, *, ca_file: Optional[_Path] = None, name: Optional[str] = None
    ) -> Cloud: ...
    @staticmethod
    def from_env(*, ca_file: Optional[_Path] = None) -> Cloud: ...
    @property
    def name(self) -> str: ...
    @property
    def arm_endpoint(self) -> str: ...
    @property
    def authority_host(self) -> str: ...
    @property
    def audience(self) -> str: ...
    @property
    def graph_endpoint(self) -> str: ...
    @property
    def arm_scope(self) -> str: ...
    @property
    def graph_scope(self) -> str: ...
    def __eq__(self, other: object) -> bool: ...
    def __hash__(self) -> int: ...

class AccessTokenInfo:
    @property
    def token(self) -> str: ...
    @property
    def expires_on(self) -> int: ...
    @property
    def token_type(self) -> str: ...
    @property
    def refresh_on(self) -> Optional[int]: ...

class ClientSecretCredential:
    def __init__(
        self,
        tenant_id: str,
        client_id: str,
        client_secret: str,
        authority: str = "https://login.microsoftonline.com",
        ca_file: Optional[_Path] = None,
    ) -> None: ...
    @property
    def tenant_id(self) -> str: ...
    @property
    def client_id(self) -> str: ...
    @property
    def authority(self) -> str: ...
    @property
    def ca_file(self) -> Optional[str]: ...
    def get_token(
        self,
        *scopes: str,
        claims: Optional[str] = None,
        tenant_id: Optional[str] = None,
        enable_cae: bool = False,
    ) -> AccessToken: ...
    def get_token_info(
        self, *scopes: str, options: Optional[Dict[str, Any]] = None
    ) -> AccessTokenInfo: ...

class DeviceCodeCredential:
    def __init__(
        self,
        tenant_id: Optional[str] = None,
        client_id: Optional[str] = None,
        *,
        authority: Optional[str] = None,
        ca_file: Optional[_Path] = None,
        prompt_callback: Optional[Callable[[str, str, datetime.datetime], object]] = None,
        timeout: Optional[float] = None,
        cache_path: Optional[_Path] = None,
    ) -> None: ...
    def get_token(
        self,
        *scopes: str,
        claims: Optional[str] = None,
        tenant_id: Optional[str] = None,
        enable_cae: bool = False,
    ) -> AccessToken: ...
    def get_token_info(
        self, *scopes: str, options: Optional[Dict[str, Any]] = None
    ) -> AccessTokenInfo: ...

class InteractiveBrowserCredential:
    def __init__(
        self,
        tenant_id: Optional[str] = None,
        client_id: Optional[str] = None,
        *,
        authority: Optional[str] = None,
        ca_file: Optional[_Path] = None,
        login_hint: Optional[str] = None,
        timeout: Optional[float] = None,
        cache_path: Optional[_Path] = None,
    ) -> None: ...
    def get_token(
        self,
        *scopes: str,
        claims: Optional[str] = None,
        tenant_id: Optional[str] = None,
        enable_cae: bool = False,
    ) -> AccessToken: ...
    def get_token_info(
        self, *scopes: str, options: Optional[Dict[str, Any]] = None
    ) -> AccessTokenInfo: ...

class CertificateCredential:
    def __init__(
        self,
        tenant_id: str,
        client_id: str,
        certificate_path: _Path,
        *,
        authority: Optional[str] = None,
        ca_file: Optional[_Path] = None,
        password: Optional[str] = None,
    ) -> None: ...
    def get_token(
        self,
        *scopes: str,
        claims: Optional[str] = None,
        tenant_id: Optional[str] = None,
        enable_cae: bool = False,
    ) -> AccessToken: ...
    def get_token_info(
        self, *scopes: str, options: Optional[Dict[str, Any]] = None
    ) -> AccessTokenInfo: ...

class WorkloadIdentityCredential:
    def __init__(
        self,
        tenant_id: Optional[str] = None,
        client_id: Optional[str] = None,
        token_file_path: Optional[_Path] = None,
        *,
        authority: Optional[str] = None,
        ca_file: Optional[_Path] = None,
    ) -> None: ...
    def get_token(
        self,
        *scopes: str,
        claims: Optional[str] = None,
        tenant_id: Optional[str] = None,
        enable_cae: bool = False,
    ) -> AccessToken: ...
    def get_token_info(
        self, *scopes: str, options: Optional[Dict[str, Any]] = None
    ) -> AccessTokenInfo: ...

class ManagedIdentityCredential:
    def __init__(self, client_id: Optional[str] = None, *, allow_imds: bool = False) -> None: ...
    def get_token(
        self,
        *scopes: str,
        claims: Optional[str] = None,
        tenant_id: Optional[str] = None,
        enable_cae: bool = False,
    ) -> AccessToken: ...
    def get_token_info(
        self, *scopes: str, options: Optional[Dict[str, Any]] = None
    ) -> AccessTokenInfo: ...

class AzureCliCredential:
    def __init__(
        self, *, tenant_id: Optional[str] = None, process_timeout: Optional[float] = None
    ) -> None: ...
    def get_token(
        self,
        *scopes: str,
        claims: Optional[str] = None,
        tenant_id: Optional[str] = None,
        enable_cae: bool = False,
    ) -> AccessToken: ...
    def get_token_info(
        self, *scopes: str, options: Optional[Dict[str, Any]] = None
    ) -> AccessTokenInfo: ...

class StaticTokenCredential:
    def __init__(self, token: str, expires_on: Optional[int] = None) -> None: ...
    @property
    def expires_on(self) -> int: ...
    def get_token(
        self,
        *scopes: str,
        claims: Optional[str] = None,
        tenant_id: Optional[str] = None,
        enable_cae: bool = False,
    ) -> AccessToken: ...
    def get_token_info(
        self, *scopes: str, options: Optional[Dict[str, Any]] = None
    ) -> AccessTokenInfo: ...

class DefaultAzureCredential:
    def __init__(
        self,
        *,
        ca_file: Optional[_Path] = None,
        exclude_environment_credential: bool = False,
        exclude_workload_identity_credential: bool = False,
        exclude_managed_identity_credential: bool = False,
        exclude_cli_credential: bool = False,
        managed_identity_client_id: Optional[str] = None,
        workload_identity_client_id: Optional[str] = None,
        workload_identity_tenant_id: Optional[str] = None,
        allow_imds: bool = False,
    ) -> None: ...
    @property
    def links(self) -> List[str]: ...
    def get_token(
        self,
        *scopes: str,
        claims: Optional[str] = None,
        tenant_id: Optional[str] = None,
        enable_cae: bool = False,
    ) -> AccessToken: ...
    def get_token_info(
        self, *scopes: str, options: Optional[Dict[str, Any]] = None
    ) -> AccessTokenInfo: ...

class Core:
    def __init__(
        self,
        subscription_id: str,
        endpoint: str,
        credential: Optional[Any],
        output: str = "v1",
        ca_file: Optional[_Path] = None,
        graph_endpoint: Optional[str] = None,
        authority: Optional[str] = None,
        polling_interval: Optional[float] = None,
        polling_min_wait: Optional[float] = None,
        polling_max_wait: Optional[float] = None,
        operation_timeout: Optional[float] = None,
        user_agent: Optional[str] = None,
        pacing: bool = True,
        scope: Optional[str] = None,
        authority_wins: bool = False,
    ) -> None: ...
    @property
    def subscription_id(self) -> str: ...
    @property
    def endpoint(self) -> str: ...
    @property
    def graph_endpoint(self) -> str: ...
    @property
    def output(self) -> str: ...
    @property
    def pacing(self) -> bool: ...
    def call(self, op: str, kwargs: Optional[Mapping[str, Any]] = None) -> Any: ...
    def call_async(
        self,
        op: str,
        kwargs: Optional[Mapping[str, Any]] = None,
        future: Optional[asyncio.Future[Any]] = None,
    ) -> asyncio.Future[Any]: ...
    def poller(self, op: str, kwargs: Optional[Mapping[str, Any]] = None) -> PollerCore: ...
    def resume(self, token: str) -> PollerCore: ...

class PollerCore:
    def begin(self) -> None: ...
    def begin_async(self, future: Optional[asyncio.Future[Any]] = None) -> asyncio.Future[Any]: ...
    def start(self) -> None: ...
    @property
    def operation(self) -> str: ...
    def continuation_token(self) -> str: ...
    def done(self) -> bool: ...
    def status(self) -> str: ...
    def cancel(self) -> None: ...
    def wait(self, timeout: Optional[float] = None) -> bool: ...
    def result(self, timeout: Optional[float] = None) -> Any: ...
    def result_async(
        self, timeout: Optional[float] = None, future: Optional[asyncio.Future[Any]] = None
    ) -> asyncio.Future[Any]: ...
    def wait_async(
        self, timeout: Optional[float] = None, future: Optional[asyncio.Future[Any]] = None
    ) -> asyncio.Future[Any]: ...

class Emulator:
    @staticmethod
    def start(
        port: int = 0,
        host: str = "127.0.0.1",
        tls: bool = False,
        latency: str = "fast",
        page_size: int = 100,
        time_scale: float = 1.0,
        state: Optional[_Path] = None,
        extra_subscriptions: Optional[List[str]] = None,
    ) -> Emulator: ...
    @property
    def url(self) -> str: ...
    @property
    def subscription_id(self) -> str: ...
    @property
    def extra_subscriptions(self) -> List[str]: ...
    @property
    def tenant_id(self) -> str: ...
    @property
    def client_id(self) -> str: ...
    @property
    def ca_file(self) -> Optional[str]: ...
    @property
    def credential(self) -> ClientSecretCredential: ...
    @property
    def running(self) -> bool: ...
    def env(self) -> Dict[str, str]: ...
    def add_user(self, user_principal_name: str, display_name: Optional[str] = None) -> str: ...
    def stop(self, grace: float = 1.0) -> None: ...

def _shutdown(timeout_s: float = 1.0) -> None: ...
def _before_fork() -> None: ...
def _after_fork_in_parent() -> None: ...
def _after_fork() -> None: ...
def _in_flight() -> int: ...
def _refresh_logging() -> int: ...
def resolve_subscription(explicit: Optional[str] = None) -> str: ...
def az_check_query(query: str) -> None: ...
def az_check_output(output: str) -> str: ...
def az_query(value: Any, query: Optional[str] = None) -> Any: ...
def az_output(
    value: Any,
    query: Optional[str] = None,
    output: str = "json",
    transformer: Optional[str] = None,
    tty: bool = False,
) -> str: ...
