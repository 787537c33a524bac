"""The suite runs against the installed wheel, as a user has it, when the test command says so
(AZML_TEST_INSTALLED_WHEEL names the wheel it installed): not against the repository's
python/ folder, not through a development build, and with no Rust toolchain to fall back on.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import sysconfig
from importlib import metadata
from pathlib import Path

import pytest

import azml

ROOT = Path(__file__).resolve().parents[2]
WHEEL = os.environ.get("AZML_TEST_INSTALLED_WHEEL")

pytestmark = pytest.mark.skipif(
    not WHEEL, reason="AZML_TEST_INSTALLED_WHEEL unset: not a run against an installed wheel"
)


def test_azml_is_imported_from_the_installed_wheel() -> None:
    package = Path(azml.__file__).resolve().parent
    site = Path(sysconfig.get_paths()["purelib"]).resolve()
    assert package.parent == site, f"azml imported from {package}, not {site}"
    assert ROOT / "python" not in package.parents and package != ROOT / "python" / "azml"
    dist = metadata.distribution("azml")
    direct = json.loads(dist.read_text("direct_url.json") or "{}")
    assert direct.get("url", "").endswith("/" + Path(WHEEL).name), direct  # type: ignore[arg-type]
    assert "dir_info" not in direct, "an editable or directory install, not the wheel"
    # The extension module is the wheel's abi3 build, with its stubs and marker beside it.
    assert list(package.glob("_azml*.so")) or list(package.glob("_azml*.pyd"))
    assert {"py.typed", "__init__.pyi", "_azml.pyi"} <= {p.name for p in package.iterdir()}


def test_no_rust_toolchain_is_within_reach() -> None:
    assert shutil.which("cargo") is None and shutil.which("rustc") is None, os.environ["PATH"]


def test_the_wheel_carries_its_metadata_and_console_script() -> None:
    meta = metadata.metadata("azml")
    assert meta["Requires-Python"] == ">=3.9"
    assert "License :: OSI Approved :: MIT License" in meta.get_all("Classifier", [])
    assert meta["Description-Content-Type"].startswith("text/markdown")
    assert (meta.get("Description") or meta.get_payload()).startswith("# azml")  # type: ignore[attr-defined]
    files = {str(f) for f in metadata.distribution("azml").files or []}
    assert any(f.endswith(("LICENSE", "LICENSE.txt")) for f in files), sorted(files)[:20]
    scripts = Path(sysconfig.get_paths()["scripts"])
    assert (scripts / ("azml.exe" if sys.platform == "win32" else "azml")).exists()


def test_the_wheel_is_abi3_and_manylinux_2_17() -> None:
    name = Path(WHEEL).name  # type: ignore[arg-type]
    assert "-cp39-abi3-" in name, name
    if sys.platform.startswith("linux"):
        assert "manylinux_2_17_" in name, name
