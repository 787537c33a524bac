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
        if name.startswith(("AZURE_", "AZML_", "IDENTITY_", "MSI_")):
            del env[name]
    env.update(extra)
    return env
