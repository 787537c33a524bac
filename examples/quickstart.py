"""The walk-through of the documentation (create-workspace-azure-cli), on the embedded
emulator: each az command of the guide, then what az prints for it.

    python examples/quickstart.py

Runs in seconds and sends nothing beyond 127.0.0.1.
"""

from __future__ import annotations

import json
from typing import Any

import azml

RESOURCE_GROUP = "docs-aml-rg"
WORKSPACE = "docs-ws"
LOCATION = "eastus2"


def show(command: str, result: Any = None, prints: bool = True) -> None:
    """The command line as a header, then its output exactly as az prints it."""
    print(f"# {command}")
    if prints:
        print(json.dumps(result, ensure_ascii=False, indent=2, sort_keys=True))
    print()


def main() -> None:
    with azml.emulator.start(latency="fast") as emu:
        client = azml.Client(
            subscription_id=emu.subscription_id, credential=emu.credential, endpoint=emu.url
        )

        show(
            f"az group create --name {RESOURCE_GROUP} --location {LOCATION}",
            client.groups.create(RESOURCE_GROUP, location=LOCATION),
        )
        show(
            f"az ml workspace create -w {WORKSPACE} -g {RESOURCE_GROUP}",
            client.workspaces.create(WORKSPACE, resource_group=RESOURCE_GROUP),
        )
        show("az ml workspace list", client.workspaces.list())
        show(
            f"az ml workspace show -w {WORKSPACE} -g {RESOURCE_GROUP}",
            client.workspaces.show(WORKSPACE, resource_group=RESOURCE_GROUP),
        )
        show(
            f'az ml workspace update -w {WORKSPACE} -g {RESOURCE_GROUP} -d "Docs walk-through"',
            client.workspaces.update(
                WORKSPACE, resource_group=RESOURCE_GROUP, description="Docs walk-through"
            ),
        )
        client.workspaces.delete(WORKSPACE, resource_group=RESOURCE_GROUP)
        show(f"az ml workspace delete -w {WORKSPACE} -g {RESOURCE_GROUP}", prints=False)
        client.groups.delete(RESOURCE_GROUP)
        show(f"az group delete -g {RESOURCE_GROUP} --yes", prints=False)


if __name__ == "__main__":
    main()
