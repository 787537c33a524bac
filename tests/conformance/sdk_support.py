"""Constants and helpers shared by the conformance tests (a module of its own: every test
folder has a `conftest`, so importing from one by name is ambiguous)."""

from __future__ import annotations

import uuid

# Small pages so that every SDK pager has to follow `nextLink` (Azure's own page sizes are
# far larger; the contract is the same).
PAGE_SIZE = 2
ARM_SCOPE = "https://management.azure.com/.default"
LOCATION = "eastus"


def unique(prefix: str) -> str:
    """A name no other test uses (the session shares one emulator)."""
    return f"{prefix}{uuid.uuid4().hex[:8]}"
