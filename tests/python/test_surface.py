"""The public surface: parity of Client and AsyncClient, stubs in step, no secrets shown."""

import ast
import inspect
import json
import pathlib

import pytest

import azml
from azml import _azml

SUB = "00000000-0000-0000-0000-00000000000a"  # any well-formed subscription id

PACKAGE = pathlib.Path(azml.__file__).parent
NAMESPACES = ["groups", "workspaces", "storage_accounts", "keyvaults", "application_insights",
              "container_registries"]  # fmt: skip


def _public_methods(obj):
    return {
        name: getattr(obj, name)
        for name in dir(obj)
        if not name.startswith("_") and callable(getattr(obj, name))
    }


def _offline_clients(monkeypatch):
    monkeypatch.delenv("AZML_ENDPOINT", raising=False)
    cred = azml.ClientSecretCredential("tenant", "client", "not-a-real-secret")
    sync = azml.Client(subscription_id=SUB, credential=cred, endpoint="http://127.0.0.1:9")
    asyn = azml.AsyncClient(subscription_id=SUB, credential=cred, endpoint="http://127.0.0.1:9")
    return sync, asyn


def test_every_client_method_exists_on_async_client_with_the_same_signature(monkeypatch):
    sync, asyn = _offline_clients(monkeypatch)
    for ns in NAMESPACES:
        sync_methods = _public_methods(getattr(sync, ns))
        async_methods = _public_methods(getattr(asyn, ns))
        assert sync_methods, ns
        assert set(sync_methods) == set(async_methods), ns
        for name, method in sync_methods.items():
            amethod = async_methods[name]
            assert inspect.signature(method) == inspect.signature(amethod), f"{ns}.{name}"
            assert not inspect.iscoroutinefunction(method), f"{ns}.{name}"
            assert inspect.iscoroutinefunction(amethod), f"{ns}.{name}"
            assert method.__doc__ and method.__doc__ == amethod.__doc__
    assert inspect.signature(azml.Client) == inspect.signature(azml.AsyncClient)


def test_documented_method_names():
    assert set(_public_methods(azml._client.Groups)) == {
        "create", "show", "list", "exists", "delete", "update", "begin_delete",
    }  # fmt: skip
    assert set(_public_methods(azml._client.Workspaces)) == {
        "create", "list", "show", "update", "delete", "share", "sync_keys", "list_keys",
        "diagnose", "begin_create", "begin_update", "begin_delete", "begin_sync_keys",
        "begin_diagnose",
    }  # fmt: skip
    for ns in ("StorageAccounts", "KeyVaults", "ApplicationInsights", "ContainerRegistries"):
        assert set(_public_methods(getattr(azml._client, ns))) == {"show"}, ns


def _stub_names(path):
    """Top-level names of a stub, and the public members of each class."""
    tree = ast.parse(path.read_text())
    top, members = set(), {}
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            top.add(node.name)
        elif isinstance(node, ast.ClassDef):
            top.add(node.name)
            members[node.name] = {
                n.name
                for n in node.body
                if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))
                and (not n.name.startswith("_") or n.name in ("__init__", "__call__"))
            }
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            top.add(node.target.id)
        elif isinstance(node, ast.Assign):
            top.update(t.id for t in node.targets if isinstance(t, ast.Name))
    return top, members


def test_extension_stub_matches_the_extension():
    top, members = _stub_names(PACKAGE / "_azml.pyi")
    top.discard("_Path")  # a type alias of the stub only
    runtime = {n for n in dir(_azml) if not n.startswith("__") or n == "__version__"}
    assert top == runtime
    for cls_name, stub_members in members.items():
        cls = getattr(_azml, cls_name)
        runtime_members = {n for n in dir(cls) if not n.startswith("_")} | (
            {"__init__"} if "__init__" in stub_members else set()
        )
        assert stub_members == runtime_members, cls_name


def test_package_stub_matches_the_package():
    top, members = _stub_names(PACKAGE / "__init__.pyi")
    private_types = {"TokenCredentialLike", "_Token", "_Credential", "_Json", "_PollerBase"}
    namespaces = {
        prefix + ns
        for prefix in ("", "Async")
        for ns in ("Groups", "Workspaces", "StorageAccounts", "KeyVaults", "ApplicationInsights",
                   "ContainerRegistries")
    }  # fmt: skip
    exported = set(azml.__all__) - {"emulator", "errors"}
    stub_exported = (top | _imported_names(PACKAGE / "__init__.pyi")) - private_types - namespaces
    assert exported == stub_exported - {"emulator", "errors"}
    for ns in namespaces:
        runtime_cls = getattr(azml._client, ns)
        assert members[ns] == set(_public_methods(runtime_cls)), ns
        for name in members[ns]:
            stub_fn = _stub_function(PACKAGE / "__init__.pyi", ns, name)
            params = [a.arg for a in stub_fn.args.args + stub_fn.args.kwonlyargs]
            runtime_params = list(inspect.signature(getattr(runtime_cls, name)).parameters)
            assert params == runtime_params, f"{ns}.{name}"


def _imported_names(path):
    tree = ast.parse(path.read_text())
    return {a.asname or a.name for n in tree.body if isinstance(n, ast.ImportFrom) and n.level
            for a in n.names}  # fmt: skip


def _stub_function(path, cls_name, name):
    tree = ast.parse(path.read_text())
    cls = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == cls_name)
    functions = (ast.FunctionDef, ast.AsyncFunctionDef)
    return next(n for n in cls.body if isinstance(n, functions) and n.name == name)


def test_reprs_never_show_the_secret(monkeypatch, emu):
    secret = "s3cr3t-value-do-not-print"
    cred = azml.ClientSecretCredential("tenant", "client", secret)
    assert secret not in repr(cred) and secret not in str(cred)
    shown = [str(getattr(cred, a, "")) for a in dir(cred) if not a.startswith("__")]
    assert not any(secret in s for s in shown)
    sync, asyn = _offline_clients(monkeypatch)
    for c in (sync, asyn, sync._core):
        assert "not-a-real-secret" not in repr(c)
        assert SUB in repr(c) and "127.0.0.1:9" in repr(c)
    env_secret = emu.env().get("AZURE_CLIENT_SECRET")
    for shown in (repr(emu), repr(emu.credential), repr(emu._inner)):
        assert not env_secret or env_secret not in shown
    assert not hasattr(emu, "client_secret")
    assert not hasattr(emu._inner, "client_secret")
    token = emu.credential.get_token("https://management.azure.com/.default")
    assert token.token and token.token not in repr(token)
    assert isinstance(token.expires_on, int)


def test_subscription_is_required(monkeypatch):
    monkeypatch.delenv("AZURE_SUBSCRIPTION_ID", raising=False)
    cred = azml.ClientSecretCredential("t", "c", "s")
    with pytest.raises(azml.ValidationError):
        azml.Client(credential=cred)


def _no_sign_in_anywhere(monkeypatch, tmp_path):
    for name in ("AZURE_TENANT_ID", "AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET",
                 "AZURE_CLIENT_CERTIFICATE_PATH", "AZURE_FEDERATED_TOKEN_FILE",
                 "IDENTITY_ENDPOINT", "IDENTITY_HEADER", "MSI_ENDPOINT", "AZML_ENDPOINT",
                 "AZURE_SUBSCRIPTION_ID"):  # fmt: skip
        monkeypatch.delenv(name, raising=False)
    # No `az` to run, and no az CLI profile to read a subscription from.
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setenv("AZURE_CONFIG_DIR", str(tmp_path))


def test_without_any_credential_the_chain_says_why_each_link_failed(monkeypatch, tmp_path):
    _no_sign_in_anywhere(monkeypatch, tmp_path)
    # The endpoint is a closed loopback port: had a request been sent, the error would be a
    # ServiceRequestError, not an authentication one.
    c = azml.Client("00000000-0000-0000-0000-000000000001", endpoint="http://127.0.0.1:9")
    with pytest.raises(azml.ClientAuthenticationError) as info:
        c.groups.list()
    message = str(info.value)
    for link in ("EnvironmentCredential", "WorkloadIdentityCredential",
                 "ManagedIdentityCredential", "AzureCliCredential"):  # fmt: skip
        assert link in message
    assert "AZURE_CLIENT_SECRET" in message


def test_default_chain_signs_in_from_the_environment(emu, monkeypatch, tmp_path):
    _no_sign_in_anywhere(monkeypatch, tmp_path)
    for name, value in emu.env().items():
        monkeypatch.setenv(name, value)
    c = azml.Client()  # subscription, endpoint and credential all from the environment
    assert c.subscription_id == emu.subscription_id
    assert c.endpoint == emu.url
    assert emu.env()["AZURE_CLIENT_SECRET"] not in repr(c)
    assert isinstance(c.groups.list(), list)


def test_subscription_from_the_az_cli_profile(monkeypatch, tmp_path):
    _no_sign_in_anywhere(monkeypatch, tmp_path)
    cred = azml.ClientSecretCredential("t", "c", "s")
    with pytest.raises(azml.ValidationError):
        azml.Client(credential=cred)
    profile = {"subscriptions": [
        {"id": "11111111-1111-1111-1111-111111111111", "isDefault": False},
        {"id": "22222222-2222-2222-2222-222222222222", "isDefault": True},
    ]}  # fmt: skip
    # az writes the profile with a byte-order mark.
    (tmp_path / "azureProfile.json").write_text("\ufeff" + json.dumps(profile), "utf-8")
    c = azml.Client(credential=cred)
    assert c.subscription_id == "22222222-2222-2222-2222-222222222222"
    assert c.endpoint == "https://management.azure.com"
    monkeypatch.setenv("AZURE_SUBSCRIPTION_ID", "33333333-3333-3333-3333-333333333333")
    assert azml.Client(credential=cred).subscription_id.startswith("3333")


def test_endpoint_resolution(monkeypatch):
    cred = azml.ClientSecretCredential("t", "c", "s")
    monkeypatch.setenv("AZML_ENDPOINT", "http://127.0.0.1:1234/")
    assert azml.Client(SUB, cred).endpoint == "http://127.0.0.1:1234"
    assert azml.Client(SUB, cred, endpoint="http://127.0.0.1:99").endpoint == (
        "http://127.0.0.1:99"
    )
    assert azml.Client(SUB, cred, cloud="AzureChinaCloud").endpoint == (
        "https://management.chinacloudapi.cn"
    )
    with pytest.raises(azml.ValidationError):
        azml.Client(SUB, cred, cloud="Atlantis")
    with pytest.raises(azml.ValidationError):
        azml.Client(SUB, cred, endpoint="ftp://example.invalid")


def test_credential_must_have_get_token():
    with pytest.raises(TypeError):
        azml.Client(SUB, credential=object(), endpoint="http://127.0.0.1:9")


def test_error_hierarchy():
    e = azml.errors
    for cls in (e.ResourceNotFoundError, e.ResourceExistsError, e.ClientAuthenticationError,
                e.AuthorizationError, e.ThrottledError):  # fmt: skip
        assert issubclass(cls, e.HttpResponseError)
    for cls in (e.HttpResponseError, e.OperationFailedError, e.ValidationError,
                e.ServiceRequestError, e.OperationTimeoutError):  # fmt: skip
        assert issubclass(cls, e.AzureError)
    assert issubclass(e.ValidationError, ValueError)
    assert issubclass(e.OperationTimeoutError, TimeoutError)
    err = e.ResourceNotFoundError("gone", status=404, code="NotFound", request_id="rid")
    assert (err.status, err.code, err.message, err.request_id) == (404, "NotFound", "gone", "rid")
    import pickle

    again = pickle.loads(pickle.dumps(err))
    assert type(again) is e.ResourceNotFoundError and again.request_id == "rid"


def test_unknown_operation_is_rejected(monkeypatch):
    sync, _ = _offline_clients(monkeypatch)
    with pytest.raises(azml.ValidationError, match="unknown operation"):
        sync._core.call("workspace.explode", {})
    with pytest.raises(azml.ValidationError):
        sync._core.call("group.show", {"name": "x", "extra": 1})
