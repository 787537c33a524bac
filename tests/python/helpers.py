"""Helpers shared by the tests (importable: pytest puts this folder on sys.path)."""

from __future__ import annotations

import os
import shutil
import sys
import uuid
from typing import List

import pytest


def unique(prefix: str) -> str:
    """A name no other test uses (the session shares one emulator)."""
    return f"{prefix}{uuid.uuid4().hex[:8]}"


def console_script() -> List[str]:
    """The `azml` console script installed beside this interpreter."""
    found = shutil.which("azml", path=os.path.dirname(sys.executable))
    if found is None:
        pytest.fail("the azml console script is not installed (maturin develop / pip install)")
    return [found]


def child_env(**extra: str) -> dict:
    env = dict(os.environ)
    # Nothing from the developer's environment may send a child to a real cloud.
    for name in list(env):
        if name.startswith(("AZURE_", "AZML_", "IDENTITY_", "MSI_", "ARM_CLOUD_METADATA_URL")):
            del env[name]
    env.update(extra)
    return env


def journal(emu) -> list:
    """The emulator's request journal (`GET /_emulator/journal`), oldest first."""
    import json
    import urllib.request

    with urllib.request.urlopen(f"{emu.url}/_emulator/journal", timeout=10) as r:
        return json.load(r)["value"]


# Secret values the session has seen (keys returned by list_keys, tokens, client secrets):
# the session-wide log check (conftest.py) asserts none of them was logged.
SEEN_SECRETS: set = set()

_SECRET_SUFFIXES = ("key", "keys", "password", "passwords", "secret", "token", "connectionstring")


def remember_secrets(value: object, secret: bool = False) -> None:
    """Adds every string under a secret-named field of `value` (`userStorageKey`,
    `passwords`, …; a `name` beside a secret is not one) to `SEEN_SECRETS`."""
    if isinstance(value, dict):
        for k, v in value.items():
            name = str(k).lower()
            if name == "name":
                continue
            remember_secrets(v, secret or name.endswith(_SECRET_SUFFIXES))
    elif isinstance(value, (list, tuple)):
        for v in value:
            remember_secrets(v, secret)
    elif secret and isinstance(value, str) and len(value) >= 8:
        SEEN_SECRETS.add(value)
