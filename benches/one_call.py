"""One `workspaces.show` against the embedded emulator: the per-call cost of azml's whole
stack (Python → Rust → HTTP → emulator → v1 shaping → dict), as a JSON line.

    python benches/one_call.py [--calls N]

`pacing=False`: this measures the call, not ARM's rate limits (benches/pacing.rs does those).
Used alone, or by benches/ab_wheels.py to compare builds side by side.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

import azml


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=500)
    args = parser.parse_args()
    with azml.emulator.start(latency="instant") as emu:
        client = azml.Client(
            subscription_id=emu.subscription_id,
            credential=emu.credential,
            endpoint=emu.url,
            pacing=False,
        )
        client.groups.create("bench-rg", location="eastus")
        client.workspaces.create("benchws", resource_group="bench-rg")
        for _ in range(20):  # warm the pool and the caches
            client.workspaces.show("benchws", resource_group="bench-rg")
        samples = []
        for _ in range(args.calls):
            t0 = time.perf_counter()
            client.workspaces.show("benchws", resource_group="bench-rg")
            samples.append((time.perf_counter() - t0) * 1000)
    samples.sort()
    extension = next(Path(azml.__file__).parent.glob("_azml*"))
    print(
        json.dumps(
            {
                "median_ms": statistics.median(samples),
                "p90_ms": samples[int(0.9 * len(samples))],
                "extension_bytes": extension.stat().st_size,
            }
        )
    )


if __name__ == "__main__":
    main()
