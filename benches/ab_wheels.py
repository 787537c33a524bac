"""Side by side: the same benchmark under several Python environments (one per build of
azml), interleaved round by round so that a noisy machine hits every contender alike.

    python benches/ab_wheels.py [--rounds R] [--calls N] NAME=PYTHON [NAME=PYTHON ...]

Each PYTHON is an interpreter of a virtualenv with one build of azml installed. Prints, per
contender, the extension's size and the median over rounds of benches/one_call.py's median
(with the rounds' min and max), and each one's ratio to the first.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--calls", type=int, default=500)
    parser.add_argument("contenders", nargs="+", metavar="NAME=PYTHON")
    args = parser.parse_args()
    contenders = [c.split("=", 1) for c in args.contenders]
    medians: dict = {name: [] for name, _ in contenders}
    sizes: dict = {}
    for r in range(args.rounds):
        order = contenders[r % len(contenders) :] + contenders[: r % len(contenders)]
        for name, python in order:
            out = subprocess.run(
                [python, str(HERE / "one_call.py"), "--calls", str(args.calls)],
                capture_output=True,
                text=True,
                check=True,
            )
            result = json.loads(out.stdout.strip().splitlines()[-1])
            medians[name].append(result["median_ms"])
            sizes[name] = result["extension_bytes"]
    first = statistics.median(medians[contenders[0][0]])
    print(f"{'build':<14} {'.so MB':>7} {'show ms (median of rounds)':>28} {'min':>7} {'max':>7} "
          f"{'ratio':>6}")  # fmt: skip
    for name, _ in contenders:
        m = statistics.median(medians[name])
        print(f"{name:<14} {sizes[name] / 1e6:>7.2f} {m:>28.4f} {min(medians[name]):>7.4f} "
              f"{max(medians[name]):>7.4f} {m / first:>6.2f}")  # fmt: skip


if __name__ == "__main__":
    main()
