"""Latency of one hover-sized evaluation, request in -> PNG out, four ways.

    .venv/bin/python bench/bench_sandbox.py [--runs N]

pre-forked (the default Sandbox), fork-per-request, a fresh interpreter per request,
and the same computation in-process with no sandbox at all. Prints medians and the
ratio pre-forked / in-process (goal: <= 1.3).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "server"))

from derivlens import SANDBOX_APP, engine, judge, model, wire
from derivlens.model import Render
from derivlens.sandbox import Replied, Sandbox, protocol
from derivlens.sandbox.env import cache_dir, clean_environment, private_home

CODE = "import torch\n\ndef f(x):\n    return torch.sin(3 * x) * torch.exp(-x * x / 4)\n"
PREPARED = engine.prepare_source(
    CODE, "/tmp/derivlens_bench.py", name="f", render=Render(size="hover")
)
REQUEST: dict[str, Any] = wire.unstructure(PREPARED.request)
JOB = PREPARED.job(timeout=30, memory_mb=2048)
PAUSE = 0.25  # between requests, as between hovers: lets the spare get ready


def check(reply: Any) -> None:
    """The application's reply (from a child or in-process) is a result with a PNG."""
    result = judge.finish(PREPARED, Replied(reply, (), {}, ""), 0.0)
    assert isinstance(result.image, model.Image) and result.image.data.startswith("iVBORw0KGgo")


async def interleaved(runs: int) -> dict[str, list[float]]:
    """Rounds of pre-forked, fork-per-request and in-process, so machine noise hits all."""
    from derivlens import runner

    runner.warm_up()
    pre, per = Sandbox(SANDBOX_APP, prefork=True), Sandbox(SANDBOX_APP, prefork=False)
    await asyncio.gather(pre.start(), per.start())
    times: dict[str, list[float]] = {"pre-forked": [], "fork-per-request": [], "in-process": []}
    try:
        for i in range(runs + 1):
            for name, ev in (("pre-forked", pre), ("fork-per-request", per)):
                await asyncio.sleep(PAUSE)
                t = time.perf_counter()
                outcome = await ev.run(JOB)
                assert isinstance(outcome, Replied), outcome
                check(outcome.reply)
                if i:
                    times[name].append(time.perf_counter() - t)
            t = time.perf_counter()
            check(runner.run(REQUEST))
            if i:
                times["in-process"].append(time.perf_counter() - t)
    finally:
        await asyncio.gather(pre.close(), per.close())
    return times


def fresh(runs: int) -> list[float]:
    home = private_home()
    env = clean_environment(home, cache_dir(home))
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        out = subprocess.run(
            [sys.executable, str(Path(__file__).with_name("oneshot.py"))],
            input=protocol.encode(REQUEST),
            capture_output=True,
            env=env,
            cwd=home,
            check=True,
        ).stdout
        check(protocol.decode(out[4:])["reply"])
        times.append(time.perf_counter() - t)
    shutil.rmtree(home, ignore_errors=True)
    return times


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--fresh-runs", type=int, default=3)
    args = parser.parse_args()
    measured = asyncio.run(interleaved(args.runs))
    rows = {
        "pre-forked": measured["pre-forked"],
        "fork-per-request": measured["fork-per-request"],
        "fresh interpreter": fresh(args.fresh_runs),
        "in-process, no sandbox": measured["in-process"],
    }
    base = statistics.median(rows["in-process, no sandbox"])
    print(f"hover PNG of a {PREPARED.options.samples}-point curve and f', {os.cpu_count()} CPUs")
    print(f"{'mode':<24} {'median ms':>10} {'min ms':>8} {'x in-process':>13}")
    for name, times in rows.items():
        med = statistics.median(times)
        print(f"{name:<24} {med * 1000:>10.1f} {min(times) * 1000:>8.1f} {med / base:>13.2f}")
    ratio = statistics.median(rows["pre-forked"]) / base
    print(f"pre-forked / in-process = {ratio:.2f} (goal <= 1.3)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
