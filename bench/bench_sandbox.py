"""Latency of one hover-sized evaluation, request in -> PNG out, four ways.

    .venv/bin/python bench/bench_sandbox.py [--runs N]
    .venv/bin/python bench/bench_sandbox.py --cost [--runs N] [--variant NAME=LAYER,...]

pre-forked (the default Sandbox), fork-per-request, a fresh interpreter per request,
and the same computation in-process with no sandbox at all. Prints medians and the
ratio pre-forked / in-process (goal: <= 1.3).

`--cost` measures what a hover costs the worker's process tree instead of its wall
time (which moves with other people's load on a shared machine): CPU seconds and minor
page faults (copy-on-write included) from /proc (`proctree`), per hover, over runs
250 ms apart and back to back, after the worker's background warm-up has finished.
Variants (workers started `--without` some idle work) run in interleaved rounds.

`--job-cost` measures one job in a child forked from this process once it is warm as
the worker is (`warm_up`, `warm_later`, `gc.freeze()`): minor page faults and CPU ms of
the job alone, the hover with its image and the maths alone, in a spare that ran
`warm_child` first ("warm") and in one that did not ("cold", a spare taken at once).
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

sys.path.insert(0, str(Path(__file__).resolve().parent))
import proctree

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


def worker_pid(sandbox: Sandbox) -> int:
    assert sandbox._worker is not None  # started
    return sandbox._worker.proc.pid


async def hover_cost(sandbox: Sandbox, runs: int, pause: float) -> tuple[float, float, float]:
    """Per hover: CPU ms and minor faults of the worker's tree (the children the hovers
    took, their replacements' preparation, the worker), and the median wall ms. Measured
    from idle to idle, so every child the hovers used has exited and been counted."""
    pid = worker_pid(sandbox)
    proctree.wait_idle(pid)
    before, walls = proctree.usage(pid), []
    for _ in range(runs):
        await asyncio.sleep(pause)
        t = time.perf_counter()
        outcome = await sandbox.run(JOB)
        walls.append((time.perf_counter() - t) * 1000)
        assert isinstance(outcome, Replied), outcome
        check(outcome.reply)
    await asyncio.sleep(0.5)
    proctree.wait_idle(pid)
    spent = proctree.usage(pid) - before
    return spent.cpu_s * 1000 / runs, spent.minflt / runs, statistics.median(walls)


async def costs(runs: int, variants: dict[str, list[str]], rounds: int) -> None:
    sandboxes = {name: Sandbox(SANDBOX_APP, without=off) for name, off in variants.items()}
    await asyncio.gather(*(s.start() for s in sandboxes.values()))
    rows: dict[tuple[str, str], list[tuple[float, float, float]]] = {}
    try:
        for s in sandboxes.values():  # each warm (its idle work done) before any round
            proctree.wait_idle(worker_pid(s))
            await hover_cost(s, 3, PAUSE)
        for _ in range(rounds):
            for name, s in sandboxes.items():
                for kind, pause in (("250 ms apart", PAUSE), ("back to back", 0.0)):
                    rows.setdefault((name, kind), []).append(await hover_cost(s, runs, pause))
    finally:
        await asyncio.gather(*(s.close() for s in sandboxes.values()))
    print(f"per hover, {rounds} rounds of {runs}; load average {os.getloadavg()[0]:.2f}")
    print(f"{'variant':<16} {'hovers':<14} {'CPU ms':>16} {'minor faults':>20} {'wall ms':>8}")
    for (name, kind), got in rows.items():
        cpu, faults, wall = zip(*got, strict=True)
        span = f"{min(cpu):.0f}–{max(cpu):.0f}"
        flt = f"{min(faults):.0f}–{max(faults):.0f}"
        print(f"{name:<16} {kind:<14} {span:>16} {flt:>20} {statistics.median(wall):>8.1f}")


def job_in_child(request: Any, warm: bool) -> tuple[float, float]:
    """Minor faults and CPU ms of `runner.run(request)` in a child forked from here."""
    import resource

    from derivlens import runner

    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        os.close(read)
        if warm:
            for _ in runner.warm_child():
                pass
        faults, cpu = resource.getrusage(resource.RUSAGE_SELF).ru_minflt, time.process_time()
        runner.run(request)
        faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - faults
        os.write(write, f"{faults} {(time.process_time() - cpu) * 1000}".encode())
        os._exit(0)
    os.close(write)
    answer = os.read(read, 100).decode().split()
    os.close(read)
    os.waitpid(pid, 0)
    return float(answer[0]), float(answer[1])


def job_costs(runs: int) -> None:
    import gc

    from derivlens import runner

    runner.warm_up()
    for _ in runner.warm_later():
        pass
    gc.freeze()
    maths_only = engine.prepare_source(CODE, "/tmp/derivlens_bench.py", name="f", render=None)
    maths = wire.unstructure(maths_only.request)
    cases = {
        ("hover", "warm"): (REQUEST, True),
        ("hover", "cold"): (REQUEST, False),
        ("maths only", "warm"): (maths, True),
        ("maths only", "cold"): (maths, False),
    }
    got: dict[tuple[str, str], list[tuple[float, float]]] = {case: [] for case in cases}
    for _ in range(runs):  # interleaved
        for case, (request, warm) in cases.items():
            got[case].append(job_in_child(request, warm))
    print(f"one job in a forked child, medians of {runs}; load average {os.getloadavg()[0]:.2f}")
    print(f"{'job':<12} {'spare':<6} {'minor faults':>13} {'CPU ms':>8}")
    for (job, spare), rows in got.items():
        faults, cpu = (statistics.median(column) for column in zip(*rows, strict=True))
        print(f"{job:<12} {spare:<6} {faults:>13.0f} {cpu:>8.1f}")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--fresh-runs", type=int, default=3)
    parser.add_argument("--cost", action="store_true", help="CPU and page faults per hover")
    parser.add_argument("--rounds", type=int, default=3, help="with --cost")
    parser.add_argument("--job-cost", action="store_true", help="one job's faults and CPU")
    parser.add_argument(
        "--variant", action="append", default=[], help="with --cost: NAME=WITHOUT,WITHOUT"
    )
    args = parser.parse_args()
    if args.job_cost:
        job_costs(args.runs)
        return 0
    if args.cost:
        variants = {"default": []}
        for spec in args.variant:
            name, _, off = spec.partition("=")
            variants[name] = [o for o in off.split(",") if o]
        asyncio.run(costs(args.runs, variants, args.rounds))
        return 0
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
