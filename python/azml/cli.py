"""The `azml` console script: az's command line for the commands azml implements.

    azml emulator [--port 8443] [--tls] [--latency fast]   # same as python -m azml.emulator
    azml group create -n rg -l eastus
    azml ml workspace create -w ws -g rg

Results print as az prints them (JSON, keys sorted, indent 2); commands az prints nothing
for print nothing. Errors go to stderr as `ERROR: …` with exit status 1, like az.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any, Dict, List, Optional, Sequence

from . import emulator
from ._client import Client
from .errors import AzureError

__all__ = ["main"]

_NOTHING = object()


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


def _parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="azml", description=__doc__.splitlines()[0])
    root.add_argument("--subscription", default=None, help="subscription id")
    root.add_argument("-o", "--output", choices=["json", "none"], default="json")
    commands = root.add_subparsers(dest="command", required=True)

    commands.add_parser("emulator", help="serve the emulator", add_help=False)

    group = commands.add_parser("group", help="resource groups").add_subparsers(
        dest="verb", required=True
    )
    p = group.add_parser("create")
    p.add_argument("-n", "--name", "-g", "--resource-group", dest="name", required=True)
    p.add_argument("-l", "--location", required=True)
    p.add_argument("--tags", nargs="*")
    p.add_argument("--managed-by")
    for verb in ("show", "exists"):
        p = group.add_parser(verb)
        p.add_argument("-n", "--name", "-g", "--resource-group", dest="name", required=True)
    group.add_parser("list")
    p = group.add_parser("delete")
    p.add_argument("-n", "--name", "-g", "--resource-group", dest="name", required=True)
    p.add_argument("-y", "--yes", action="store_true")
    p.add_argument("--no-wait", action="store_true")

    ml = commands.add_parser("ml", help="Azure Machine Learning").add_subparsers(
        dest="area", required=True
    )
    ws = ml.add_parser("workspace").add_subparsers(dest="verb", required=True)

    def named(verb: str) -> argparse.ArgumentParser:
        p = ws.add_parser(verb)
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
    named("show")
    p = ws.add_parser("list")
    p.add_argument("-g", "--resource-group", dest="resource_group")
    p = named("update")
    p.add_argument("-f", "--friendly-name")
    p.add_argument("-d", "--description")
    p.add_argument("--tags", nargs="*")
    p.add_argument("--image-build-compute")
    p.add_argument("--allow-public-access", type=_bool)
    p = named("delete")
    p.add_argument("--all-resources", action="store_true")
    p.add_argument("--permanently-delete", action="store_true")
    p.add_argument("--no-wait", action="store_true")
    p.add_argument("-y", "--yes", action="store_true")
    return root


def _run(client: Client, args: argparse.Namespace) -> Any:
    if args.command == "group":
        groups = client.groups
        if args.verb == "create":
            return groups.create(args.name, location=args.location, tags=_tags(args.tags),
                                 managed_by=args.managed_by)  # fmt: skip
        if args.verb == "show":
            return groups.show(args.name)
        if args.verb == "exists":
            return groups.exists(args.name)
        if args.verb == "list":
            return groups.list()
        if args.verb == "delete":
            if not args.yes:
                raise AzureError(
                    "Unable to prompt for confirmation as no tty available. Use --yes."
                )
            groups.delete(args.name, no_wait=args.no_wait)
            return _NOTHING
    workspaces = client.workspaces
    if args.verb == "list":
        return workspaces.list(resource_group=args.resource_group)
    if args.verb == "show":
        return workspaces.show(args.name, resource_group=args.resource_group)
    if args.verb == "create":
        return workspaces.create(
            args.name, resource_group=args.resource_group, location=args.location,
            storage_account=args.storage_account, keyvault=args.keyvault,
            application_insights=args.application_insights,
            container_registry=args.container_registry, pe_name=args.pe_name,
            pe_auto_approval=args.pe_auto_approval, pe_resource_group=args.pe_resource_group,
            pe_vnet_name=args.pe_vnet_name, pe_subnet_name=args.pe_subnet_name,
            cmk_keyvault=args.cmk_keyvault, resource_cmk_uri=args.resource_cmk_uri,
            hbi_workspace=args.hbi_workspace, friendly_name=args.friendly_name,
            description=args.description, tags=_tags(args.tags), exist_ok=args.exist_ok,
            create_resource_group=args.create_resource_group,
        )  # fmt: skip
    if args.verb == "update":
        return workspaces.update(
            args.name, resource_group=args.resource_group, friendly_name=args.friendly_name,
            description=args.description, tags=_tags(args.tags),
            image_build_compute=args.image_build_compute,
            allow_public_access=args.allow_public_access,
        )  # fmt: skip
    if args.verb == "delete":
        workspaces.delete(args.name, resource_group=args.resource_group,
                          all_resources=args.all_resources,
                          permanently_delete=args.permanently_delete,
                          no_wait=args.no_wait)  # fmt: skip
        return _NOTHING
    raise AssertionError(f"unhandled command {args}")


def dumps(result: Any) -> str:
    """A result as az prints it."""
    return json.dumps(result, ensure_ascii=False, indent=2, sort_keys=True)


def main(argv: Optional[Sequence[str]] = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["emulator"]:
        return emulator.main(argv[1:], prog="azml emulator")
    args = _parser().parse_args(argv)
    try:
        client = Client(subscription_id=args.subscription)
        result = _run(client, args)
    except AzureError as e:
        print(f"ERROR: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    if result is not _NOTHING and args.output == "json":
        print(dumps(result))
    return 0
