"""Loaded before each suite's own conftest: the loopback-only guards go on before anything
else runs, whatever isolation `scripts/loopback-only` could make (it is the net under them
when it can make none).

- Python: every socket connection, datagram and name lookup to anything but this machine
  raises `loopback_guard.LoopbackOnlyError` (scripts/loopback_guard/loopback_guard.py).
- Rust: `AZML_LOOPBACK_ONLY=1` makes every HTTP client azml builds refuse non-loopback hosts.
- Children: they inherit that variable, and the guard's sitecustomize through PYTHONPATH.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

_GUARD_DIR = str(Path(__file__).resolve().parents[1] / "scripts" / "loopback_guard")
if _GUARD_DIR not in sys.path:
    sys.path.insert(0, _GUARD_DIR)

import loopback_guard  # noqa: E402

os.environ["AZML_LOOPBACK_ONLY"] = "1"
_pythonpath = os.environ.get("PYTHONPATH", "")
if _GUARD_DIR not in _pythonpath.split(os.pathsep):
    os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (_GUARD_DIR, _pythonpath) if p)
loopback_guard.install()
