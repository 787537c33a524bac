"""`azml.az(...)`: az's command line for the commands azml implements.

The parser is shared with the `azml` console script: flag names and short flags are az's,
`--query` and `-o/--output` go through az's own output pipeline (in Rust, golden-tested).
"""

from __future__ import annotations

import argparse
import shlex
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple, Union

from . import _azml
from ._client import Client
from .errors import AzureError, ValidationError

__all__ = ["AzArgumentError", "Command", "az", "parse", "run"]


class AzArgumentError(ValidationError):
    """The command line is not one az would accept (az exits with status 2 for these)."""


class _Parser(argparse.ArgumentParser):
    """argparse that raises instead of printing usage and exiting."""

    def error(self, message: str) -> Any:  # type: ignore[override]
        raise AzArgumentError(f"{self.prog}: error: {message}")


# Commands az prints nothing for (their Python methods may still return something).
_SILENT = frozenset({
    ("group", "delete"), ("workspace", "delete"), ("workspace", "share"),
    ("workspace", "sync-keys"),
})  # fmt: skip


def _tags(values: Optional[List[str]]) -> Optional[Dict[str, str]]:
    """az's `--tags a=b c=d` (`a` alone: empty value; `--tags ""`: no tags)."""
    if values is None:
        return None
    tags: Dict[str, str] = {}
    for item in values:
        if not item:
            continue
        key, _, value = item.partition("=")
        tags[key] = value
    return tags


def _bool(text: str) -> bool:
    lowered = text.lower()
    if lowered in ("true", "yes", "1"):
        return True
    if lowered in ("false", "no", "0"):
        return False
    raise argparse.ArgumentTypeError(f"expected true or false, not '{text}'")


def _globals() -> argparse.ArgumentParser:
    """az's global arguments, accepted after any command."""
    g = argparse.ArgumentParser(add_help=False)
    g.add_argument("--query", default=None, help="JMESPath query of the result")
    g.add_argument("-o", "--output", default=None, help="json, jsonc, yaml, yamlc, table, tsv")
    g.add_argument("--subscription", default=None, help="subscription id")
    g.add_argument("--only-show-errors", action="store_true", help=argparse.SUPPRESS)
    g.add_argument("--verbose", action="store_true", help=argparse.SUPPRESS)
    g.add_argument("--debug", action="store_true", help=argparse.SUPPRESS)
    return g


def _parser() -> argparse.ArgumentParser:
    glob = _globals()
    root = _Parser(prog="az", add_help=False)
    commands = root.add_subparsers(dest="command", required=True, parser_class=_Parser)

    def leaf(sub: Any, verb: str) -> argparse.ArgumentParser:
        return sub.add_parser(verb, parents=[glob], add_help=False)

    group = commands.add_parser("group").add_subparsers(
        dest="verb", required=True, parser_class=_Parser
    )

    def group_name(p: argparse.ArgumentParser) -> None:
        p.add_argument("-n", "--name", "-g", "--resource-group", dest="name", required=True)

    p = leaf(group, "create")
    group_name(p)
    p.add_argument("-l", "--location", required=True)
    p.add_argument("--tags", nargs="*")
    p.add_argument("--managed-by")
    for verb in ("show", "exists"):
        group_name(leaf(group, verb))
    p = leaf(group, "list")
    p.add_argument("--tag")
    p = leaf(group, "update")
    group_name(p)
    p.add_argument("--tags", nargs="*")
    p = leaf(group, "delete")
    group_name(p)
    p.add_argument("-y", "--yes", action="store_true")
    p.add_argument("--no-wait", action="store_true")

    ml = commands.add_parser("ml").add_subparsers(dest="area", required=True, parser_class=_Parser)
    ws = ml.add_parser("workspace").add_subparsers(dest="verb", required=True, parser_class=_Parser)

    def named(verb: str) -> argparse.ArgumentParser:
        p = leaf(ws, verb)
        p.add_argument("-w", "--workspace-name", "-n", "--name", dest="name", required=True)
        p.add_argument("-g", "--resource-group", dest="resource_group", required=True)
        return p

    p = named("create")
    p.add_argument("-l", "--location")
    for flag in ("--storage-account", "--keyvault", "--application-insights",
                 "--container-registry", "--pe-name", "--pe-resource-group", "--pe-vnet-name",
                 "--pe-subnet-name", "--cmk-keyvault", "--resource-cmk-uri"):  # fmt: skip
        p.add_argument(flag)
    p.add_argument("--pe-auto-approval", action="store_true")
    p.add_argument("--hbi-workspace", action="store_true")
    p.add_argument("-f", "--friendly-name")
    p.add_argument("-d", "--description")
    p.add_argument("-t", "--tags", nargs="*")
    p.add_argument("--exist-ok", action="store_true")
    p.add_argument("-y", "--yes", dest="create_resource_group", action="store_true")
    p.add_argument("--sku")
    p.add_argument("--primary-user-assigned-identity")
    # az's three-state flag: alone means true, or an explicit true/false.
    p.add_argument("-v", "--v1-legacy-mode", type=_bool, nargs="?", const=True, default=None)
    for verb in ("show", "sync-keys", "list-keys", "diagnose"):
        named(verb)
    p = leaf(ws, "list")
    p.add_argument("-g", "--resource-group", dest="resource_group")
    p = named("update")
    p.add_argument("-f", "--friendly-name")
    p.add_argument("-d", "--description")
    p.add_argument("--tags", nargs="*")
    p.add_argument("--image-build-compute")
    p.add_argument("--allow-public-access", type=_bool)
    p.add_argument("--primary-user-assigned-identity")
    p.add_argument("-v", "--v1-legacy-mode", type=_bool, nargs="?", const=True, default=None)
    p = named("share")
    p.add_argument("--user", required=True)
    p.add_argument("--role", required=True)
    p = named("delete")
    p.add_argument("--all-resources", action="store_true")
    p.add_argument("--permanently-delete", action="store_true")
    p.add_argument("--no-wait", action="store_true")
    p.add_argument("-y", "--yes", action="store_true")

    def finder(sub: Any, verb: str, *names: str, group_required: bool = False) -> None:
        p = leaf(sub, verb)
        p.add_argument(*names, dest="name", required=True)
        p.add_argument("-g", "--resource-group", dest="resource_group", required=group_required)

    storage = commands.add_parser("storage").add_subparsers(
        dest="area", required=True, parser_class=_Parser
    )
    account = storage.add_parser("account").add_subparsers(
        dest="verb", required=True, parser_class=_Parser
    )
    finder(account, "show", "-n", "--name", "--account-name")
    keyvault = commands.add_parser("keyvault").add_subparsers(
        dest="verb", required=True, parser_class=_Parser
    )
    finder(keyvault, "show", "-n", "--name")
    acr = commands.add_parser("acr").add_subparsers(
        dest="verb", required=True, parser_class=_Parser
    )
    finder(acr, "show", "-n", "--name")
    monitor = commands.add_parser("monitor").add_subparsers(
        dest="area", required=True, parser_class=_Parser
    )
    insights = monitor.add_parser("app-insights").add_subparsers(
        dest="sub", required=True, parser_class=_Parser
    )
    component = insights.add_parser("component").add_subparsers(
        dest="verb", required=True, parser_class=_Parser
    )
    finder(component, "show", "-a", "--app", "-n", "--name", group_required=True)
    return root


class Command:
    """One parsed az command line: what to call, and how to print its result."""

    def __init__(
        self,
        key: Tuple[str, str],
        call: Callable[[Client], Any],
        query: Optional[str],
        output: Optional[str],
        subscription: Optional[str],
        transformer: Optional[str] = None,
        needs_yes: bool = False,
    ) -> None:
        self.key = key
        self.call = call
        self.query = query
        self.output = output
        self.subscription = subscription
        self.transformer = transformer
        self.needs_yes = needs_yes

    @property
    def silent(self) -> bool:
        """az prints nothing for this command."""
        return self.key in _SILENT


def _command(a: argparse.Namespace) -> Command:
    def make(key: Tuple[str, str], call: Callable[[Client], Any], **kw: Any) -> Command:
        return Command(key, call, a.query, a.output, a.subscription, **kw)

    if a.command == "group":
        verb = a.verb
        key = ("group", verb)
        if verb == "create":
            tags = _tags(a.tags)
            return make(key, lambda c: c.groups.create(
                a.name, location=a.location, tags=tags, managed_by=a.managed_by))  # fmt: skip
        if verb == "show":
            return make(key, lambda c: c.groups.show(a.name))
        if verb == "exists":
            return make(key, lambda c: c.groups.exists(a.name))
        if verb == "list":
            return make(key, lambda c: c.groups.list(tag=a.tag), transformer="group_list")
        if verb == "update":
            tags = _tags(a.tags)
            return make(key, lambda c: c.groups.update(a.name, tags=tags))
        return make(key, lambda c: c.groups.delete(a.name, no_wait=a.no_wait),
                    needs_yes=not a.yes)  # fmt: skip
    if a.command == "ml":
        verb = a.verb
        key = ("workspace", verb)
        rg = a.resource_group
        if verb == "list":
            return make(key, lambda c: c.workspaces.list(resource_group=rg))
        if verb == "show":
            return make(key, lambda c: c.workspaces.show(a.name, resource_group=rg))
        if verb == "create":
            tags = _tags(a.tags)
            return make(key, lambda c: c.workspaces.create(
                a.name, resource_group=rg, location=a.location,
                storage_account=a.storage_account, keyvault=a.keyvault,
                application_insights=a.application_insights,
                container_registry=a.container_registry, pe_name=a.pe_name,
                pe_auto_approval=a.pe_auto_approval, pe_resource_group=a.pe_resource_group,
                pe_vnet_name=a.pe_vnet_name, pe_subnet_name=a.pe_subnet_name,
                cmk_keyvault=a.cmk_keyvault, resource_cmk_uri=a.resource_cmk_uri,
                hbi_workspace=a.hbi_workspace, friendly_name=a.friendly_name,
                description=a.description, tags=tags, exist_ok=a.exist_ok,
                create_resource_group=a.create_resource_group, sku=a.sku,
                v1_legacy_mode=bool(a.v1_legacy_mode),
                primary_user_assigned_identity=a.primary_user_assigned_identity))  # fmt: skip
        if verb == "update":
            tags = _tags(a.tags)
            return make(key, lambda c: c.workspaces.update(
                a.name, resource_group=rg, friendly_name=a.friendly_name,
                description=a.description, tags=tags,
                image_build_compute=a.image_build_compute,
                allow_public_access=a.allow_public_access,
                primary_user_assigned_identity=a.primary_user_assigned_identity,
                v1_legacy_mode=a.v1_legacy_mode))  # fmt: skip
        if verb == "share":
            return make(key, lambda c: c.workspaces.share(
                a.name, resource_group=rg, user=a.user, role=a.role))  # fmt: skip
        if verb == "sync-keys":
            return make(key, lambda c: c.workspaces.sync_keys(a.name, resource_group=rg))
        if verb == "list-keys":
            return make(key, lambda c: c.workspaces.list_keys(a.name, resource_group=rg))
        if verb == "diagnose":
            return make(key, lambda c: c.workspaces.diagnose(a.name, resource_group=rg))
        # az ml workspace delete does not ask for confirmation.
        return make(key, lambda c: c.workspaces.delete(
            a.name, resource_group=rg, all_resources=a.all_resources,
            permanently_delete=a.permanently_delete, no_wait=a.no_wait))  # fmt: skip
    rg = a.resource_group
    if a.command == "storage":
        return make(("storage account", "show"),
                    lambda c: c.storage_accounts.show(a.name, resource_group=rg))  # fmt: skip
    if a.command == "keyvault":
        return make(("keyvault", "show"), lambda c: c.keyvaults.show(a.name, resource_group=rg))
    if a.command == "acr":
        return make(("acr", "show"),
                    lambda c: c.container_registries.show(a.name, resource_group=rg))  # fmt: skip
    return make(("monitor app-insights component", "show"),
                lambda c: c.application_insights.show(a.name, resource_group=rg))  # fmt: skip


def _split(args: Union[str, Sequence[str]]) -> List[str]:
    if isinstance(args, str):
        return shlex.split(args)
    if not all(isinstance(x, str) for x in args):
        raise ValidationError("az arguments must be strings")
    return list(args)


def parse(args: Union[str, Sequence[str]]) -> Command:
    """Parse an az command line (a list of arguments, or one string split as a shell
    would, with or without a leading `az`); `--query` and `-o` are checked here, before any
    request, as az does."""
    argv = _split(args)
    if argv[:1] == ["az"]:
        argv = argv[1:]
    namespace = _parser().parse_args(argv)
    command = _command(namespace)
    if command.query is not None:
        try:
            _azml.az_check_query(command.query)
        except ValidationError as e:
            raise AzArgumentError(e.message) from None
    if command.output is not None:
        try:
            command.output = _azml.az_check_output(command.output)
        except ValidationError as e:
            raise AzArgumentError(e.message) from None
    return command


def run(command: Command, client: Optional[Client] = None) -> Any:
    """Run a parsed command; its result as the client returns it (None for the commands az
    prints nothing for)."""
    if command.needs_yes:
        # `group delete` asks for confirmation; neither `azml.az` nor a script can answer.
        raise AzureError("Unable to prompt for confirmation as no tty available. Use --yes.")
    if client is None:
        client = Client(subscription_id=command.subscription)
    result = command.call(client)
    return None if command.silent else result


def az(
    args: Union[str, Sequence[str]],
    *,
    client: Optional[Client] = None,
) -> Any:
    """Run one az command line in-process.

        azml.az("ml workspace show -w ws -g rg --query id")        # the id, a str
        azml.az("group list -o table")                               # the text az prints

    Without `-o`, returns the result after az's transform and `--query` as Python values
    (None for the commands az prints nothing for); with `-o`, the text az prints, exactly.
    `client`: the `azml.Client` to use (default: one built from the environment, i.e.
    AZURE_SUBSCRIPTION_ID, AZURE_TENANT_ID/CLIENT_ID/CLIENT_SECRET and AZML_ENDPOINT as the
    emulator exports them). Errors raise `azml.errors` exceptions; a bad command line raises
    `AzArgumentError` (a `ValidationError`) before any request.
    """
    command = parse(args)
    result = run(command, client)
    if command.output is None:
        return None if result is None else _azml.az_query(result, command.query)
    return _azml.az_output(result, command.query, command.output, command.transformer)
