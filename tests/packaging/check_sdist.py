"""Checks the source distribution in dist/: it holds what a build needs and nothing secret, and
a wheel built from it alone, in a fresh virtualenv, works.

    python tests/packaging/check_sdist.py [--contents-only]

Run by the test command after scripts/wheel.sh. The build is the one a user's
`pip install azml-….tar.gz` makes (no zig, the machine's own linker), offline, in the
repository's cargo target directory; the smoke test runs under scripts/loopback-only. Exits
non-zero with the reasons.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tarfile
import tempfile
import venv
from pathlib import Path
from typing import List

ROOT = Path(__file__).resolve().parents[2]

# A build needs these; their absence is a packaging mistake.
REQUIRED = [
    "Cargo.toml",
    "Cargo.lock",
    "pyproject.toml",
    "LICENSE",
    "README.md",
    "PKG-INFO",
    "python/azml/__init__.py",
    "python/azml/__init__.pyi",
    "python/azml/py.typed",
    "crates/azml-core/Cargo.toml",
    "crates/azml-core/src/lib.rs",
    "crates/azml-emulator/Cargo.toml",
    "crates/azml-emulator/src/lib.rs",
    "crates/azml-emulator/src/main.rs",
    "crates/azml-python/Cargo.toml",
    "crates/azml-python/src/lib.rs",
]
# Nothing of the tests (their keys, recordings and data), of local environments, or key files.
FORBIDDEN_PATH = re.compile(
    r"(^|/)(tests|target|dist|scripts|\.venv[^/]*|\.git|\.ci)(/|$)|\.(pem|key|pfx|p12|crt)$"
)
SECRET = re.compile(rb"-----BEGIN [A-Z ]*PRIVATE KEY-----|client[_-]?secret\s*[:=]\s*['\"]\w{8,}")
METADATA = ["License-File: LICENSE", "Requires-Python: >=3.9", "Classifier: ", "Keywords: "]


def tracked_sources() -> List[str]:
    out = subprocess.run(
        ["git", "ls-files", "crates/*/src", "python"], cwd=ROOT, capture_output=True, text=True
    )
    if out.returncode != 0:  # not a git checkout: nothing to compare with
        return []
    return [p for p in out.stdout.split() if p.endswith((".rs", ".py", ".pyi", "py.typed"))]


def check_contents(sdist: Path) -> List[str]:
    problems: List[str] = []
    with tarfile.open(sdist) as tar:
        members = {m.name.split("/", 1)[1]: m for m in tar.getmembers() if "/" in m.name}
        for path in REQUIRED:
            if path not in members:
                problems.append(f"missing {path}")
        for path in tracked_sources():
            if path not in members:
                problems.append(f"missing source file {path}")
        for path, member in sorted(members.items()):
            if FORBIDDEN_PATH.search(path):
                problems.append(f"should not ship {path}")
            if member.isfile():
                data = tar.extractfile(member).read()  # type: ignore[union-attr]
                if SECRET.search(data):
                    problems.append(f"{path} holds what looks like a secret")
        if "PKG-INFO" in members:
            info = tar.extractfile(members["PKG-INFO"]).read().decode()  # type: ignore[union-attr]
            for needle in METADATA:
                if needle not in info:
                    problems.append(f"PKG-INFO lacks {needle!r}")
    return problems


SMOKE = """
import azml
with azml.emulator.start(latency="instant") as emu:
    c = azml.Client(subscription_id=emu.subscription_id, credential=emu.credential,
                    endpoint=emu.url)
    c.groups.create("sdist-rg", location="eastus")
    ws = c.workspaces.create("sdistws", resource_group="sdist-rg")
    assert ws["name"] == "sdistws", ws
    assert [g["name"] for g in c.groups.list()] == ["sdist-rg"]
print("sdist build works:", azml.__file__)
"""


def build_and_smoke(sdist: Path) -> None:
    with tempfile.TemporaryDirectory(prefix="azml-sdist-") as tmp:
        env_dir = Path(tmp) / "venv"
        venv.create(env_dir, with_pip=True)
        python = env_dir / ("Scripts" if os.name == "nt" else "bin") / "python"
        pip = [str(python), "-m", "pip", "--disable-pip-version-check", "--quiet"]
        subprocess.run([*pip, "install", "-r", str(ROOT / "requirements-build.txt")], check=True)
        env = dict(os.environ, CARGO_TARGET_DIR=str(ROOT / "target"), CARGO_NET_OFFLINE="true")
        out = Path(tmp) / "wheels"
        # No build isolation: maturin comes from the pinned requirements just installed.
        subprocess.run(
            [*pip, "wheel", "--no-deps", "--no-build-isolation", "-w", str(out), str(sdist)],
            check=True,
            env=env,
        )
        wheels = list(out.glob("azml-*.whl"))
        if len(wheels) != 1:
            raise SystemExit(f"check_sdist: expected one wheel from the sdist, got {wheels}")
        subprocess.run([*pip, "install", "--no-index", str(wheels[0])], check=True)
        # From the temporary folder: `import azml` must find the installed package, not the
        # repository's python/ folder.
        isolated = [str(ROOT / "scripts" / "loopback-only"), str(python), "-c", SMOKE]
        subprocess.run(isolated, check=True, cwd=tmp)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contents-only", action="store_true")
    args = parser.parse_args()
    sdists = list((ROOT / "dist").glob("azml-*.tar.gz"))
    if len(sdists) != 1:
        raise SystemExit(f"check_sdist: expected one sdist in dist/, found {sdists}")
    problems = check_contents(sdists[0])
    if problems:
        print(f"check_sdist: {sdists[0].name}:", *problems, sep="\n  ", file=sys.stderr)
        raise SystemExit(1)
    print(f"{sdists[0].name}: contents as expected")
    if not args.contents_only:
        build_and_smoke(sdists[0])


if __name__ == "__main__":
    main()
