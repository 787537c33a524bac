"""`Client` and `AsyncClient`: the same namespaces and methods, written once.

Each method is declared once, in `_Groups` / `_Workspaces`, as a function that turns its
arguments into an operation name and the keyword arguments for the Rust core. `_sync` and
`_async` make the blocking and the coroutine variants of it, with the same signature.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import os
from typing import Any, Callable, ClassVar, Dict, List, Mapping, Optional, Tuple, Union

from . import _azml
from ._poller import AsyncPoller, Poller
from .errors import ValidationError

__all__ = ["AsyncClient", "Client"]

_LOOPBACK = ("127.0.0.1", "localhost", "[::1]")

_Request = Tuple[str, Dict[str, Any]]


_FLAGS = frozenset({
    "no_wait", "pe_auto_approval", "hbi_workspace", "exist_ok", "create_resource_group",
    "all_resources", "permanently_delete", "allow_public_access", "v1_legacy_mode",
    "keep_dependents_on_failure",
})  # fmt: skip


def _request(op: str, **kwargs: Any) -> _Request:
    # None means "not given": the Rust parameter structs default every optional field, and
    # reject unknown ones, so only what was given travels.
    params = {k: v for k, v in kwargs.items() if v is not None}
    for key, value in params.items():
        # The Rust side would take any truthy object for a flag and any JSON for a tag.
        if key in _FLAGS and not isinstance(value, bool):
            raise ValidationError(f"{key} must be True or False, not {value!r}")
        if key == "tags":
            if not isinstance(value, Mapping) or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in value.items()
            ):
                raise ValidationError("tags must be a dict of str to str")
            params[key] = dict(value)
        if key == "subscription_ids":
            if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
                raise ValidationError(
                    f"subscription_ids must be a list of subscription id strings, not {value!r}"
                )
            params[key] = list(value)
    return op, params


def _build(
    build: Callable[..., _Request], self: Any, args: Tuple[Any, ...], kwargs: Dict[str, Any]
) -> _Request:
    # Properties fixed at creation are not parameters of `update`; passed anyway, they go to
    # the core, which refuses them with a ValidationError that says what to do instead
    # (rather than Python's TypeError), before any request.
    fixed = getattr(build, "_refused", ())
    refused = {k: kwargs.pop(k) for k in fixed if k in kwargs}
    op, params = build(self, *args, **kwargs)
    params.update(refused)
    return op, params


def _public_signature(build: Callable[..., _Request]) -> inspect.Signature:
    # The builder's parameters; its return type is internal (the stubs give the real ones).
    return inspect.signature(build).replace(return_annotation=inspect.Signature.empty)


def _sync(build: Callable[..., _Request]) -> Callable[..., Any]:
    @functools.wraps(build)
    def method(self: _Namespace, *args: Any, **kwargs: Any) -> Any:
        op, params = _build(build, self, args, kwargs)
        return self._core.call(op, params)

    method.__signature__ = _public_signature(build)  # type: ignore[attr-defined]
    return method


def _async(build: Callable[..., _Request]) -> Callable[..., Any]:
    @functools.wraps(build)
    async def method(self: _Namespace, *args: Any, **kwargs: Any) -> Any:
        op, params = _build(build, self, args, kwargs)
        future = asyncio.get_running_loop().create_future()
        return await self._core.call_async(op, params, future)

    method.__signature__ = _public_signature(build)  # type: ignore[attr-defined]
    return method


def _sync_begin(build: Callable[..., _Request]) -> Callable[..., Any]:
    @functools.wraps(build)
    def method(self: _Namespace, *args: Any, **kwargs: Any) -> Poller:
        op, params = build(self, *args, **kwargs)
        core = self._core.poller(op, params)
        core.begin()
        return Poller(core)

    method.__signature__ = _public_signature(build)  # type: ignore[attr-defined]
    return method


def _async_begin(build: Callable[..., _Request]) -> Callable[..., Any]:
    @functools.wraps(build)
    async def method(self: _Namespace, *args: Any, **kwargs: Any) -> AsyncPoller:
        op, params = build(self, *args, **kwargs)
        core = self._core.poller(op, params)
        future = asyncio.get_running_loop().create_future()
        await core.begin_async(future)
        return AsyncPoller(core)

    method.__signature__ = _public_signature(build)  # type: ignore[attr-defined]
    return method


def _long(plain: Callable[..., _Request], doc: str) -> Callable[..., _Request]:
    """The `begin_` builder of a long method: its arguments less `no_wait` (the poller is
    the way not to wait)."""
    signature = inspect.signature(plain)
    signature = signature.replace(
        parameters=[p for p in signature.parameters.values() if p.name != "no_wait"]
    )

    def build(self: Any, *args: Any, **kwargs: Any) -> _Request:
        signature.bind(self, *args, **kwargs)  # TypeError for no_wait or an unknown name
        return plain(self, *args, **kwargs)

    build.__signature__ = signature  # type: ignore[attr-defined]
    build.__name__ = f"begin_{plain.__name__}"
    build.__doc__ = doc
    return build


class _Namespace:
    def __init__(self, core: _azml.Core) -> None:
        self._core = core


class _Groups:
    """`az group …`: one builder per method; the docstrings are the methods'."""

    def create(
        self,
        name: str,
        *,
        location: str,
        tags: Optional[Dict[str, str]] = None,
        managed_by: Optional[str] = None,
    ) -> _Request:
        """Create (or update) a resource group; returns it as `az group create` prints it."""
        return _request(
            "group.create", name=name, location=location, tags=tags, managed_by=managed_by
        )

    def show(self, name: str) -> _Request:
        """The resource group, as `az group show` prints it."""
        return _request("group.show", name=name)

    def list(self, tag: Optional[str] = None) -> _Request:
        """Every resource group of the subscription; with `tag` (`"name"` or
        `"name=value"`, az's `--tag`), only those with that tag (and value)."""
        if tag is not None and not isinstance(tag, str):
            raise ValidationError(f"tag must be a str 'name' or 'name=value', not {tag!r}")
        return _request("group.list", tag=tag)

    def update(self, name: str, *, tags: Optional[Dict[str, str]] = None) -> _Request:
        """Replace the group's tags (`{}` removes them all; None: unchanged); returns the
        group as `az group update` prints it."""
        return _request("group.update", name=name, tags=tags)

    def exists(self, name: str) -> _Request:
        """Whether the resource group exists."""
        return _request("group.exists", name=name)

    def delete(self, name: str, *, no_wait: bool = False) -> _Request:
        """Delete the resource group and everything in it; returns None."""
        return _request("group.delete", name=name, no_wait=no_wait)

    begin_delete = _long(
        delete,
        """Start deleting the resource group; returns a poller once ARM has accepted the
        deletion (its `result()` is None).""",
    )


class _Workspaces:
    """`az ml workspace …`."""

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
    ) -> _Request:
        """Create a workspace, and the storage account, Key Vault and Application Insights
        not given by id; returns the workspace dict (in the client's output format).

        `sku`: "basic" (the default and only edition left). `primary_user_assigned_identity`:
        the ARM id of an existing user-assigned identity, attached beside the system one and
        made primary. If the workspace cannot be created, the dependents this call created
        are removed, or kept with `keep_dependents_on_failure=True`; the error says which."""
        return _request(
            "workspace.create", name=name, resource_group=resource_group, location=location,
            storage_account=storage_account, keyvault=keyvault,
            application_insights=application_insights, container_registry=container_registry,
            pe_name=pe_name, pe_auto_approval=pe_auto_approval,
            pe_resource_group=pe_resource_group, pe_vnet_name=pe_vnet_name,
            pe_subnet_name=pe_subnet_name, cmk_keyvault=cmk_keyvault,
            resource_cmk_uri=resource_cmk_uri, hbi_workspace=hbi_workspace,
            friendly_name=friendly_name, description=description, tags=tags,
            exist_ok=exist_ok, create_resource_group=create_resource_group, sku=sku,
            v1_legacy_mode=v1_legacy_mode,
            primary_user_assigned_identity=primary_user_assigned_identity,
            keep_dependents_on_failure=keep_dependents_on_failure,
        )  # fmt: skip

    def list(
        self,
        resource_group: Optional[str] = None,
        *,
        subscription_ids: Optional[List[str]] = None,
    ) -> _Request:
        """`[{resourceGroup, subscriptionId, workspaceName}]` of the subscription or group.
        `subscription_ids`: list these subscriptions (concurrently, every page of each)
        instead of the client's; the result keeps their order."""
        return _request(
            "workspace.list", resource_group=resource_group, subscription_ids=subscription_ids
        )

    def show(self, name: str, *, resource_group: str) -> _Request:
        """The workspace dict."""
        return _request("workspace.show", name=name, resource_group=resource_group)

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
    ) -> _Request:
        """Change what is given (tags: the whole map; omitted: kept); returns the workspace
        dict after the update. `primary_user_assigned_identity` is attached if it is not yet.
        Properties fixed at creation (location, storage_account, keyvault, hbi_workspace,
        cmk_keyvault) raise a ValidationError."""
        return _request(
            "workspace.update", name=name, resource_group=resource_group,
            friendly_name=friendly_name, description=description, tags=tags,
            image_build_compute=image_build_compute, allow_public_access=allow_public_access,
            primary_user_assigned_identity=primary_user_assigned_identity,
            v1_legacy_mode=v1_legacy_mode,
        )  # fmt: skip

    update._refused = (  # type: ignore[attr-defined]
        "location", "storage_account", "keyvault", "hbi_workspace", "cmk_keyvault",
        "allow_public_access_when_behind_vnet",
    )  # fmt: skip

    def delete(
        self,
        name: str,
        *,
        resource_group: str,
        all_resources: bool = False,
        permanently_delete: bool = False,
        no_wait: bool = False,
    ) -> _Request:
        """Delete the workspace (with `all_resources`, also its storage account, Key Vault,
        Application Insights and container registry); returns None."""
        return _request(
            "workspace.delete", name=name, resource_group=resource_group,
            all_resources=all_resources, permanently_delete=permanently_delete,
            no_wait=no_wait,
        )  # fmt: skip

    def share(self, name: str, *, resource_group: str, user: str, role: str) -> _Request:
        """Give `user` (a user principal name, an object id, or a service principal's
        application id) the `role` (a name such as "Contributor", a role definition GUID or
        id) on the workspace; returns the role assignment (an identical existing one is
        returned as it is)."""
        return _request(
            "workspace.share", name=name, resource_group=resource_group, user=user, role=role
        )

    def sync_keys(self, name: str, *, resource_group: str) -> _Request:
        """Resynchronise the keys of the workspace's dependents; returns None."""
        return _request("workspace.sync_keys", name=name, resource_group=resource_group)

    def list_keys(self, name: str, *, resource_group: str) -> _Request:
        """The keys of the workspace's dependents, as ARM returns them (camelCase:
        userStorageKey, appInsightsInstrumentationKey, containerRegistryCredentials, …).
        They are secrets: azml never logs them."""
        return _request("workspace.list_keys", name=name, resource_group=resource_group)

    def diagnose(self, name: str, *, resource_group: str) -> _Request:
        """Run the workspace diagnosis and return its result (`{"value": {…}}`)."""
        return _request("workspace.diagnose", name=name, resource_group=resource_group)

    begin_create = _long(
        create,
        """Start creating a workspace; returns a poller once ARM has accepted the workspace
        itself. Before that, in this call: the resource group (with `create_resource_group`), the
        checks of what is given by id, and the missing storage account, Key Vault and
        Application Insights (concurrently); a failure there raises here. The poller (and
        `Client.resume` of its continuation token, in any process) covers the rest: waiting for
        the workspace (removing the dependents this call created if it fails), then the private
        endpoint (`pe_name`), then reading the workspace; `result()` is the same dict
        `create` returns.""",
    )
    begin_update = _long(
        update,
        """Start the update (a long operation in ARM); the poller's `result()` is the workspace
        dict `update` returns.""",
    )
    begin_delete = _long(
        delete,
        """Start deleting the workspace; returns a poller once ARM has accepted the deletion.
        With `all_resources`, the workspace's links are read first; the poller (and a resumed
        token) waits for the workspace to go, then deletes those resources. `result()` is
        None.""",
    )
    begin_sync_keys = _long(
        sync_keys,
        """Start resynchronising the dependents' keys (a long operation since api-version
        2021-01-01); `result()` is None.""",
    )
    begin_diagnose = _long(
        diagnose,
        """Start the workspace diagnosis; `result()` is what `diagnose` returns.""",
    )


class _StorageAccounts:
    """`az storage account show`."""

    def show(self, name: str, resource_group: Optional[str] = None) -> _Request:
        """The storage account's ARM body (its `id` is what `workspaces.create` takes);
        without `resource_group`, found by name in the whole subscription."""
        return _request("storage_account.show", name=name, resource_group=resource_group)


class _KeyVaults:
    """`az keyvault show`."""

    def show(self, name: str, resource_group: Optional[str] = None) -> _Request:
        """The key vault's ARM body; without `resource_group`, found by name in the whole
        subscription."""
        return _request("keyvault.show", name=name, resource_group=resource_group)


class _ApplicationInsights:
    """`az monitor app-insights component show`."""

    def show(self, name: str, *, resource_group: str) -> _Request:
        """The Application Insights component's ARM body."""
        return _request("application_insights.show", name=name, resource_group=resource_group)


class _ContainerRegistries:
    """`az acr show`."""

    def show(self, name: str, *, resource_group: Optional[str] = None) -> _Request:
        """The container registry's ARM body; without `resource_group`, found by name in the
        whole subscription."""
        return _request("container_registry.show", name=name, resource_group=resource_group)


def _namespace_classes(spec: type, prefix: str) -> Tuple[type, type]:
    """The blocking and the async namespace classes of one builder class."""
    methods = {
        name: fn for name, fn in vars(spec).items() if callable(fn) and not name.startswith("_")
    }
    for name, fn in methods.items():
        # Argument errors (TypeError) name the public method.
        fn.__qualname__ = f"{prefix}.{name}"

    def sync(name: str, fn: Callable[..., _Request]) -> Callable[..., Any]:
        return _sync_begin(fn) if name.startswith("begin_") else _sync(fn)

    def asyn(name: str, fn: Callable[..., _Request]) -> Callable[..., Any]:
        return _async_begin(fn) if name.startswith("begin_") else _async(fn)

    sync_cls = type(
        f"{prefix}",
        (_Namespace,),
        {"__doc__": spec.__doc__, **{n: sync(n, f) for n, f in methods.items()}},
    )
    async_cls = type(
        f"Async{prefix}",
        (_Namespace,),
        {"__doc__": spec.__doc__, **{n: asyn(n, f) for n, f in methods.items()}},
    )
    for cls in (sync_cls, async_cls):
        cls.__module__ = "azml"
        for fn in vars(cls).values():
            if callable(fn) and hasattr(fn, "__qualname__"):
                fn.__qualname__ = f"{cls.__name__}.{fn.__name__}"
    return sync_cls, async_cls


Groups, AsyncGroups = _namespace_classes(_Groups, "Groups")
Workspaces, AsyncWorkspaces = _namespace_classes(_Workspaces, "Workspaces")
StorageAccounts, AsyncStorageAccounts = _namespace_classes(_StorageAccounts, "StorageAccounts")
KeyVaults, AsyncKeyVaults = _namespace_classes(_KeyVaults, "KeyVaults")
ApplicationInsights, AsyncApplicationInsights = _namespace_classes(
    _ApplicationInsights, "ApplicationInsights"
)
ContainerRegistries, AsyncContainerRegistries = _namespace_classes(
    _ContainerRegistries, "ContainerRegistries"
)


def _env_ca_file() -> Optional[str]:
    return os.environ.get("AZML_CA_FILE") or None


def _resolve_cloud(cloud: Union[str, _azml.Cloud, None], ca_file: Optional[str]) -> _azml.Cloud:
    """The cloud by name or as given; None: the environment's (`Cloud.from_env`), which
    fetches the document `ARM_CLOUD_METADATA_URL` names, and sends nothing otherwise."""
    if cloud is None:
        return _azml.Cloud.from_env(ca_file=ca_file)
    if isinstance(cloud, _azml.Cloud):
        return cloud
    if isinstance(cloud, str):
        return _azml.Cloud.by_name(cloud)
    raise ValidationError(
        f"cloud must be a cloud name (str) or an azml.Cloud, not {type(cloud).__name__}"
    )


def _build_core(
    subscription_id: Optional[str],
    credential: Any,
    cloud: Union[str, _azml.Cloud, None],
    endpoint: Optional[str],
    output: str,
    ca_file: Optional[str],
    graph_endpoint: Optional[str] = None,
    polling: Optional[Mapping[str, Optional[float]]] = None,
    user_agent: Optional[str] = None,
    pacing: bool = True,
) -> Tuple[_azml.Core, _azml.Cloud]:
    # Explicit, else AZURE_SUBSCRIPTION_ID, else the az CLI's default subscription.
    subscription_id = _azml.resolve_subscription(subscription_id)
    ca_file = ca_file if ca_file is not None else _env_ca_file()
    if endpoint is None and cloud is None:
        endpoint = os.environ.get("AZML_ENDPOINT") or None
    if cloud is None and endpoint is not None:
        # An ARM endpoint given without a cloud (an emulator, mostly): the public cloud's
        # audience and Graph, as always, whatever cloud the environment names for az.
        resolved = _azml.Cloud.by_name("AzureCloud")
    else:
        resolved = _resolve_cloud(cloud, ca_file)
    if endpoint is None:
        endpoint = resolved.arm_endpoint.rstrip("/")
    if graph_endpoint is None:
        graph_endpoint = os.environ.get("AZML_GRAPH_ENDPOINT") or _graph_for(endpoint, resolved)
    # credential=None: the default chain (environment, workload identity, managed identity
    # endpoints, Azure CLI), asked at the first call; it never probes IMDS.
    if not isinstance(pacing, bool):
        raise ValidationError(f"pacing must be True or False, not {pacing!r}")
    if user_agent is not None and not isinstance(user_agent, str):
        raise ValidationError(f"user_agent must be a str, not {user_agent!r}")
    # Appended after `azml/{version} (Python {ver}; {os})`; AZURE_HTTP_USER_AGENT as az does.
    suffix = " ".join(
        part.strip()
        for part in (user_agent, os.environ.get("AZURE_HTTP_USER_AGENT"))
        if part and part.strip()
    )
    core = _azml.Core(
        subscription_id, endpoint, credential, output, ca_file, graph_endpoint,
        resolved.authority_host.rstrip("/"), user_agent=suffix or None, pacing=pacing,
        scope=resolved.arm_scope, authority_wins=cloud is not None, **dict(polling or {}),
    )  # fmt: skip
    return core, resolved


def _graph_for(endpoint: str, cloud: _azml.Cloud) -> str:
    """The Graph endpoint that goes with an ARM endpoint: a loopback endpoint is an emulator,
    which serves Graph itself (so a test never reaches the real Graph); else the cloud's."""
    host = endpoint.split("://", 1)[-1].split("/", 1)[0]
    hostname = host.rsplit(":", 1)[0] if not host.endswith("]") else host
    if hostname in _LOOPBACK:
        return endpoint.rstrip("/")
    return cloud.graph_endpoint.rstrip("/")


def _token_str(token: Any) -> str:
    if not isinstance(token, str):
        raise ValidationError(f"a continuation token is a str, not {type(token).__name__}")
    return token


class _ClientBase:
    # Attribute name → namespace class; each client kind names its own (blocking or async).
    _namespaces: ClassVar[Mapping[str, type]] = {}

    def __init__(
        self,
        subscription_id: Optional[str] = None,
        credential: Any = None,
        cloud: Union[str, _azml.Cloud, None] = None,
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
    ) -> None:
        """Long operations (seconds; None: the default): `polling_interval` (5) is the
        longest wait between polls when the service names none; a `Retry-After` is honoured
        within `[polling_min_wait, polling_max_wait]` (0.01, 120); `operation_timeout`
        (3600) bounds the polling of one operation (`OperationTimeoutError`).

        `pacing` holds requests back while ARM's token bucket for them is empty (modelled
        client-side), so that a fan-out runs at ARM's rate instead of into 429s;
        `user_agent` is appended to azml's own User-Agent.

        `cloud`: a name (`"AzureChinaCloud"`, `"usgov"`, …) or an `azml.Cloud`; it gives the
        ARM endpoint, the authority of the default credential chain, the ARM token audience
        and Graph. None: `ARM_CLOUD_METADATA_URL` (fetched now), `AZURE_CLOUD`,
        `AZURE_AUTHORITY_HOST`, else the public cloud. `endpoint` (default without `cloud`:
        `AZML_ENDPOINT`) replaces the cloud's ARM endpoint; given without `cloud`, the
        public cloud's audience and Graph go with it, as for an emulator."""
        polling = {
            "polling_interval": polling_interval, "polling_min_wait": polling_min_wait,
            "polling_max_wait": polling_max_wait, "operation_timeout": operation_timeout,
        }  # fmt: skip
        for key, value in polling.items():
            if value is not None and (
                isinstance(value, bool) or not isinstance(value, (int, float))
            ):
                raise ValidationError(f"{key} must be a number of seconds, not {value!r}")
        self._core, self._cloud = _build_core(
            subscription_id, credential, cloud, endpoint, output, ca_file, graph_endpoint,
            polling, user_agent, pacing,
        )  # fmt: skip
        self._closed = False
        for attribute, namespace in self._namespaces.items():
            setattr(self, attribute, namespace(self._core))

    @property
    def subscription_id(self) -> str:
        return self._core.subscription_id

    @property
    def endpoint(self) -> str:
        return self._core.endpoint

    @property
    def cloud(self) -> _azml.Cloud:
        """The cloud the client was made for (its `endpoint` may replace the cloud's)."""
        return self._cloud

    @property
    def output(self) -> str:
        return self._core.output

    @property
    def graph_endpoint(self) -> str:
        return self._core.graph_endpoint

    @property
    def pacing(self) -> bool:
        return self._core.pacing

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(endpoint={self.endpoint!r}, "
            f"subscription_id={self.subscription_id!r}, output={self.output!r})"
        )


class Client(_ClientBase):
    """Blocking client: every call waits with the GIL released and stops on Ctrl-C."""

    _namespaces: ClassVar[Mapping[str, type]] = {
        "groups": Groups, "workspaces": Workspaces, "storage_accounts": StorageAccounts,
        "keyvaults": KeyVaults, "application_insights": ApplicationInsights,
        "container_registries": ContainerRegistries,
    }  # fmt: skip

    def resume(self, token: str) -> Poller:
        """A poller for the operation `token` (a poller's `continuation_token()`, from any
        process) describes, polling at once; its `result()` is what the `begin_` method's
        poller would have returned. A token made for another ARM endpoint or subscription
        raises ValidationError, before anything is sent."""
        core = self._core.resume(_token_str(token))
        core.start()
        return Poller(core)

    def close(self) -> None:
        """Nothing to release yet (connections are pooled per process); kept for `with`."""
        self._closed = True

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class AsyncClient(_ClientBase):
    """asyncio client: the same namespaces and methods as `Client`, as coroutines."""

    _namespaces: ClassVar[Mapping[str, type]] = {
        "groups": AsyncGroups, "workspaces": AsyncWorkspaces,
        "storage_accounts": AsyncStorageAccounts, "keyvaults": AsyncKeyVaults,
        "application_insights": AsyncApplicationInsights,
        "container_registries": AsyncContainerRegistries,
    }  # fmt: skip

    def resume(self, token: str) -> AsyncPoller:
        """An asyncio poller for the operation `token` describes (see `Client.resume`);
        nothing is sent until its `result()` or `wait()` is awaited."""
        return AsyncPoller(self._core.resume(_token_str(token)))

    async def aclose(self) -> None:
        """Nothing to release yet; kept for `async with`."""
        self._closed = True

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()
