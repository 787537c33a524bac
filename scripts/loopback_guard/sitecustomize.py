"""Installs the loopback-only guard in every Python process started by `scripts/loopback-only`
in its guard mode (which puts this folder first on PYTHONPATH), then runs the sitecustomize
this one shadows, if there is one."""

import importlib.machinery
import importlib.util
import os
import sys

if os.environ.get("AZML_LOOPBACK_ONLY") == "1":
    import loopback_guard

    loopback_guard.install()


def _run_shadowed() -> None:
    here = os.path.dirname(os.path.abspath(__file__))
    rest = [p for p in sys.path if os.path.abspath(p or os.curdir) != here]
    spec = importlib.machinery.PathFinder.find_spec("sitecustomize", rest)
    if spec is None or spec.loader is None:
        return
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)


_run_shadowed()
