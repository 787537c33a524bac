"""The client and the console script cover exactly the commands the core declares
(`_azml.COMMANDS`, from `crates/azml-python/src/command_table.rs`): each declared command is
at its declared place on `Client` and `AsyncClient` (with `begin_` for the long ones) and
sends its declared operation; no method sends an undeclared one; az's parser has exactly the
declared command lines."""

import argparse
import asyncio
import inspect

import pytest

import azml
from azml import _az, _azml, _client

NAMESPACES = {
    "groups": (_client.Groups, _client.AsyncGroups),
    "workspaces": (_client.Workspaces, _client.AsyncWorkspaces),
    "storage_accounts": (_client.StorageAccounts, _client.AsyncStorageAccounts),
    "keyvaults": (_client.KeyVaults, _client.AsyncKeyVaults),
    "application_insights": (_client.ApplicationInsights, _client.AsyncApplicationInsights),
    "container_registries": (_client.ContainerRegistries, _client.AsyncContainerRegistries),
}


class _Sent(Exception):
    """Raised by the recording core once it has seen what a method sends."""


class _RecordingCore:
    """Stands in for `_azml.Core`: records the operation and stops the call there."""

    def __init__(self):
        self.sent = []

    def call(self, op, params):
        self.sent.append(("call", op, params))
        raise _Sent

    def call_async(self, op, params, future):
        self.sent.append(("call", op, params))
        raise _Sent

    def poller(self, op, params):
        self.sent.append(("poller", op, params))
        raise _Sent


def _required_arguments(method):
    """A placeholder for every argument the method cannot do without."""
    args, kwargs = [], {}
    for p in inspect.signature(method).parameters.values():
        if p.default is not inspect.Parameter.empty or p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            continue
        if p.kind is p.KEYWORD_ONLY:
            kwargs[p.name] = "x"
        else:
            args.append("x")
    return args, kwargs


def _what_it_sends(namespace_class, method_name):
    core = _RecordingCore()
    # Around `__init__`, which the suite's conftest wraps to watch real cores' results.
    namespace = namespace_class.__new__(namespace_class)
    namespace._core = core
    method = getattr(namespace, method_name)
    args, kwargs = _required_arguments(method)
    with pytest.raises(_Sent):
        result = method(*args, **kwargs)
        if inspect.iscoroutine(result):
            asyncio.run(result)
    assert len(core.sent) == 1, core.sent
    return core.sent[0][:2]


def test_the_table_is_what_the_core_runs():
    ops = [row[0] for row in _azml.COMMANDS]
    assert len(ops) == len(set(ops)) >= 19
    for _op, python, az, long in _azml.COMMANDS:
        assert isinstance(long, bool)
        namespace, _method = python.split(".")
        assert namespace in NAMESPACES, python
        assert az.split()[0] in {"group", "ml", "storage", "keyvault", "monitor", "acr"}, az


@pytest.mark.parametrize("row", _azml.COMMANDS, ids=[row[0] for row in _azml.COMMANDS])
def test_each_declared_command_is_a_method_that_sends_it(row):
    op, python, _, long = row
    namespace, method = python.split(".")
    for cls in NAMESPACES[namespace]:
        assert _what_it_sends(cls, method) == ("call", op), (cls.__name__, method)
        if long:
            assert _what_it_sends(cls, f"begin_{method}") == ("poller", op)
        else:
            assert not hasattr(cls, f"begin_{method}"), (cls.__name__, method)


def test_no_method_sends_an_undeclared_command():
    declared = {row[1]: row[0] for row in _azml.COMMANDS}
    long = {row[1] for row in _azml.COMMANDS if row[3]}
    for namespace, classes in NAMESPACES.items():
        for cls in classes:
            for name in (n for n in vars(cls) if not n.startswith("_")):
                plain = name[len("begin_") :] if name.startswith("begin_") else name
                path = f"{namespace}.{plain}"
                assert path in declared, f"{cls.__name__}.{name} is not in the command table"
                if name.startswith("begin_"):
                    assert path in long, f"{cls.__name__}.{name}: not a long command"
                _, op = _what_it_sends(cls, name)
                assert op == declared[path], (cls.__name__, name, op)


def _command_lines(parser, words=()):
    """Every complete command line the parser accepts, as its words."""
    subparsers = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    if not subparsers:
        yield " ".join(words)
        return
    for action in subparsers:
        for word, sub in action.choices.items():
            yield from _command_lines(sub, (*words, word))


def test_the_console_script_parses_exactly_the_declared_command_lines():
    assert set(_command_lines(_az._parser())) == {row[2] for row in _azml.COMMANDS}


def test_an_unknown_operation_names_the_declared_ones():
    core = azml.Client(
        subscription_id="00000000-0000-0000-0000-000000000000",
        endpoint="http://127.0.0.1:9",
    )._core
    with pytest.raises(azml.ValidationError) as caught:
        core.call("workspace.explode", {})
    assert ", ".join(row[0] for row in _azml.COMMANDS) in caught.value.message
    with pytest.raises(azml.ValidationError, match="not a long operation"):
        core.poller("workspace.show", {})
