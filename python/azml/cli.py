"""The `azml` console script: az's command line for the commands azml implements.

    azml emulator [--port 8443] [--tls] [--latency fast]   # same as python -m azml.emulator
    azml group create -n rg -l eastus
    azml ml workspace create -w ws -g rg
    azml ml workspace list -g rg -o table
    azml ml workspace show -w ws -g rg --query id -o tsv

Results print exactly as az prints them (`-o json` by default, `--query` applied); commands
az prints nothing for print nothing. Errors go to stderr as `ERROR: (Code) message`, with
az's exit status: 2 for a bad command line, 3 when something was not found, 1 otherwise.
"""

from __future__ import annotations

import sys
from typing import Optional, Sequence

from . import _azml, emulator
from ._az import AzArgumentError, parse, run
from .errors import AzureError, ResourceNotFoundError

__all__ = ["main"]

_PROMPT = "Are you sure you want to perform this operation? (y/n): "


def _confirmed() -> bool:
    """az's confirmation prompt, when there is a terminal to ask on."""
    if not sys.stdin.isatty():
        return False
    while True:
        answer = input(_PROMPT).strip().lower()
        if answer in ("y", "yes"):
            return True
        if answer in ("n", "no"):
            return False


def _error(e: AzureError) -> str:
    return f"({e.code}) {e.message}" if e.code else e.message


def main(argv: Optional[Sequence[str]] = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["emulator"]:
        return emulator.main(argv[1:], prog="azml emulator")
    try:
        command = parse(argv)
    except AzArgumentError as e:
        print(f"ERROR: {e.message}", file=sys.stderr)
        return 2
    if command.needs_yes:
        if not sys.stdin.isatty():
            print(
                "ERROR: Unable to prompt for confirmation as no tty available. Use --yes.",
                file=sys.stderr,
            )
            return 1
        if not _confirmed():
            return 0
        command.needs_yes = False
    try:
        result = run(command)
        text = _azml.az_output(
            result,
            command.query,
            command.output or "json",
            command.transformer,
            sys.stdout.isatty(),
        )
    except ResourceNotFoundError as e:
        print(f"ERROR: {_error(e)}", file=sys.stderr)
        return 3
    except AzureError as e:
        print(f"ERROR: {_error(e)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    sys.stdout.write(text)
    return 0
