"""The release workflow (.github/workflows/release.yml) cannot run here: this checks what can
be checked without GitHub: valid YAML, a job for every platform the README promises, built
with maturin's action from the lock file, and the quickstart run on each build."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List, Set, Tuple

import yaml

WORKFLOW = Path(__file__).resolve().parents[2] / ".github" / "workflows" / "release.yml"


def _load() -> Dict[str, Any]:
    data = yaml.safe_load(WORKFLOW.read_text())
    assert isinstance(data, dict) and "jobs" in data
    return data


def _builds(job: Dict[str, Any]) -> List[Dict[str, Any]]:
    return [s for s in job["steps"] if str(s.get("uses", "")).startswith("PyO3/maturin-action@")]


def _matrix(job: Dict[str, Any]) -> List[Dict[str, Any]]:
    return job.get("strategy", {}).get("matrix", {}).get("include", [{}])


def test_every_platform_has_a_build_that_runs_the_quickstart() -> None:
    jobs = _load()["jobs"]
    platforms: Set[Tuple[str, str]] = set()
    for name, job in jobs.items():
        builds = _builds(job)
        if not builds:
            continue
        runs = " ".join(str(s.get("run", "")) for s in job["steps"])
        assert "examples/quickstart.py" in runs, f"{name} never runs the quickstart"
        for build in builds:
            args = build.get("with", {})
            if args.get("command") == "sdist":
                platforms.add(("sdist", ""))
                continue
            assert "--release" in args["args"] and "--locked" in args["args"], name
            for entry in _matrix(job):
                target = entry.get("target", args.get("target"))
                flavour = str(entry.get("manylinux", name))
                platforms.add((flavour if name == "linux" else name, str(target)))
    assert platforms >= {
        ("2014", "x86_64"),
        ("2014", "aarch64"),
        ("musllinux_1_2", "x86_64"),
        ("musllinux_1_2", "aarch64"),
        ("macos", "x86_64"),
        ("macos", "aarch64"),
        ("windows", "x64"),
        ("sdist", ""),
    }, platforms


def test_publishing_waits_for_every_build_and_only_runs_on_tags() -> None:
    data = _load()
    jobs = data["jobs"]
    publish = jobs["publish"]
    built = {name for name, job in jobs.items() if _builds(job)}
    assert set(publish["needs"]) == built
    assert "refs/tags/v" in publish["if"]
    assert publish["permissions"] == {"id-token": "write"}
    # yaml reads the bare key `on` as True.
    trigger = data.get("on", data.get(True))
    assert trigger["push"]["tags"] == ["v*"]
