"""Client overhead and concurrency against the embedded emulator (latency "instant").

Run on demand (not a test):  .venv/bin/python benches/bench_client.py [--calls N]

Measures, for one workspace in one group:
  * sync `workspaces.show` latency (median, p95) — the per-call cost of azml's stack
    (Python → Rust → HTTP → emulator → v1 shaping → dict);
  * the same through the raw ARM format, to isolate the shaping cost;
  * async fan-out: N concurrent `workspaces.show` awaited with asyncio.gather;
  * sync `workspaces.create` end to end (dependents + long-running operation);
  * peak RSS of the process.
Numbers go to the README by hand, with the machine they came from.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import statistics
import time

import azml


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=300)
    args = parser.parse_args()

    with azml.emulator.start(latency="instant") as emu:
        # pacing=False: this measures azml's own overhead; paced, a fan-out of more than ARM's
        # 250 reads would run at ARM's 25 reads/s (see benches/pacing.rs for pacing itself).
        kwargs = dict(
            subscription_id=emu.subscription_id,
            credential=emu.credential,
            endpoint=emu.url,
            pacing=False,
        )
        client = azml.Client(**kwargs)
        raw = azml.Client(output="arm", **kwargs)
        client.groups.create("bench-rg", location="eastus")

        started = time.perf_counter()
        client.workspaces.create("benchws", resource_group="bench-rg")
        create_s = time.perf_counter() - started

        for label, c in (("show v1", client), ("show arm", raw)):
            c.workspaces.show("benchws", resource_group="bench-rg")  # warm the pool
            samples = []
            for _ in range(args.calls):
                t0 = time.perf_counter()
                c.workspaces.show("benchws", resource_group="bench-rg")
                samples.append((time.perf_counter() - t0) * 1000)
            print(
                f"sync {label:9s}: median {statistics.median(samples):.3f} ms, "
                f"p95 {percentile(samples, 0.95):.3f} ms over {args.calls} calls"
            )

        async def fan_out() -> float:
            async with azml.AsyncClient(**kwargs) as ac:
                await ac.workspaces.show("benchws", resource_group="bench-rg")
                t0 = time.perf_counter()
                await asyncio.gather(
                    *(
                        ac.workspaces.show("benchws", resource_group="bench-rg")
                        for _ in range(args.calls)
                    )
                )
                return time.perf_counter() - t0

        elapsed = asyncio.run(fan_out())
        print(
            f"async fan-out : {args.calls} concurrent shows in {elapsed * 1000:.1f} ms "
            f"({args.calls / elapsed:.0f} calls/s)"
        )
        print(f"sync create   : {create_s * 1000:.1f} ms (3 dependents + workspace LRO)")
        client.groups.delete("bench-rg")

    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS      : {rss_mb:.1f} MiB (Python + azml + in-process emulator)")


if __name__ == "__main__":
    main()
