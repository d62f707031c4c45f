"""A long editing session against one language server: does anything grow?

Run: .venv/bin/python bench/bench_soak.py [--documents 400] [--hovers-per-document 5]
                                          [--warm-up 40] [--every 200] [--json out.json]

One server over stdio (the bare client of `bench_lsp.py`). Documents are opened one after
another, each edited before every hover (so every hover is a new evaluation: no cache
hit) and closed after its hovers, as a day of editing does. After the warm-up
documents, and every `--every` hovers after that, it samples: the server's RSS, the
worker tree's RSS (the worker, its spares and any child: the sum of their RSS, and of
their PSS, which counts the pages they share once), the open fds of the server, of the
worker and of the whole tree, the zombies below the server, and what the server says
it keeps (`derivlens/memory`). The tree is sampled once settled: every process asleep
and the same for a second (the last job's child gone, its spare replaced), so that
samples compare like with like.

Goals (issue 17): the server's RSS within 15 % and 40 MB of its value after the warm-up,
the worker tree's within 25 %, no fd growth, no zombie. Memory is what matters here, not
speed: the machine may be loaded. Exit status 1 when a goal is missed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench_lsp import Client, def_line, module_text

FUNCTIONS = 3  # per document: the hovers go round them


def proc_children() -> dict[int, list[int]]:
    """Every process's children, from /proc (pid -> child pids)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        parent = int(stat[stat.rindex(")") + 2 :].split()[1])
        children.setdefault(parent, []).append(int(entry))
    return children


def below(pid: int) -> list[int]:
    """Every process below `pid` (not `pid` itself)."""
    children = proc_children()
    found: list[int] = []
    pending = list(children.get(pid, []))
    while pending:
        child = pending.pop()
        found.append(child)
        pending.extend(children.get(child, []))
    return found


def proc_kb(pid: int, file: str, field: str) -> int:
    """The kB figure of `field` in /proc/`pid`/`file` (0 once the process is gone)."""
    try:
        text = Path(f"/proc/{pid}/{file}").read_text()
    except OSError:
        return 0
    match = re.search(rf"^{field}:\s+(\d+)", text, re.MULTILINE)
    return int(match.group(1)) if match else 0


def fds(pid: int) -> int:
    try:
        return len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return 0


def state(pid: int) -> str:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return "gone"
    return stat[stat.rindex(")") + 2 :].split()[0]


async def settled_tree(server: int, wait: float = 20.0) -> list[int]:
    """The processes below the server once they are all asleep and the same for a
    second (the last job's child gone, its replacement spare ready), or after `wait` s:
    under load a child exits at idle priority, slowly."""
    deadline = time.monotonic() + wait
    last: list[int] = []
    while True:
        await asyncio.sleep(0.5)
        tree = sorted(below(server))
        asleep = all(state(pid) == "S" for pid in tree)
        if (asleep and tree == last) or time.monotonic() > deadline:
            return tree
        last = tree if asleep else []


async def sample(client: Client, hovers: int) -> dict[str, Any]:
    """One sample of the server and its worker tree, once the tree has settled."""
    server = client.proc.pid
    tree = await settled_tree(server)
    workers = proc_children().get(server, [])
    try:
        kept = await client.request("derivlens/memory", None)
    except RuntimeError:  # a server from before `derivlens/memory`: compared by RSS alone
        kept = None
    return {
        "hovers": hovers,
        "server_rss_mb": proc_kb(server, "status", "VmRSS") / 1024,
        "worker_rss_mb": sum(proc_kb(pid, "status", "VmRSS") for pid in tree) / 1024,
        "worker_pss_mb": sum(proc_kb(pid, "smaps_rollup", "Pss") for pid in tree) / 1024,
        "processes": len(tree),
        "server_fds": fds(server),
        "worker_fds": sum(fds(pid) for pid in workers),
        "tree_fds": sum(fds(pid) for pid in tree),
        "zombies": sum(state(pid) == "Z" for pid in tree),
        "kept": kept,
    }


class Soak:
    """Documents opened, edited before each hover, and closed, one after another."""

    def __init__(self, client: Client, workdir: Path, hovers_per_document: int) -> None:
        self.client = client
        self.workdir = workdir
        self.per_document = hovers_per_document
        self.hovers = 0
        self.without_plot = 0
        self.salt = 0

    async def document(self, index: int) -> None:
        uri = (self.workdir / f"soak_{index}.py").as_uri()
        self.salt += 1
        self.client.open(uri, module_text(self.salt, FUNCTIONS))
        for k in range(self.per_document):
            self.salt += 1
            self.client.change(uri, k + 2, module_text(self.salt, FUNCTIONS))
            _, result = await self.client.hover(uri, def_line(k % FUNCTIONS))
            value = result["contents"]["value"] if result else ""
            self.without_plot += "data:image/png;base64," not in value
            self.hovers += 1
        self.client.notify("textDocument/didClose", {"textDocument": {"uri": uri}})


def verdicts(base: dict[str, Any], samples: list[dict[str, Any]]) -> list[tuple[str, bool]]:
    server = max(s["server_rss_mb"] for s in samples)
    worker = max(s["worker_rss_mb"] for s in samples)
    limit = min(base["server_rss_mb"] * 1.15, base["server_rss_mb"] + 40)
    return [
        (
            f"server RSS at most {limit:.1f} MB (after warm-up {base['server_rss_mb']:.1f}):"
            f" peak {server:.1f}",
            server <= limit,
        ),
        (
            f"worker tree RSS at most {base['worker_rss_mb'] * 1.25:.1f} MB (after warm-up "
            f"{base['worker_rss_mb']:.1f}): peak {worker:.1f}",
            worker <= base["worker_rss_mb"] * 1.25,
        ),
        (
            f"no fd growth: server {base['server_fds']} → "
            f"{max(s['server_fds'] for s in samples)}, worker {base['worker_fds']} → "
            f"{max(s['worker_fds'] for s in samples)}",
            all(s["server_fds"] <= base["server_fds"] for s in samples)
            and all(s["worker_fds"] <= base["worker_fds"] for s in samples),
        ),
        ("no zombie", all(s["zombies"] == 0 for s in [base, *samples])),
    ]


def print_samples(rows: list[dict[str, Any]]) -> None:
    print("| hovers | server RSS | worker tree RSS | worker tree PSS | processes | fds (server, "
          "worker, tree) | zombies | kept: documents, pieces, results, hovers |")  # fmt: skip
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
    for s in rows:
        kept = s["kept"] or {}
        print(
            f"| {s['hovers']} | {s['server_rss_mb']:.1f} MB | {s['worker_rss_mb']:.1f} MB | "
            f"{s['worker_pss_mb']:.1f} MB | {s['processes']} | {s['server_fds']}, "
            f"{s['worker_fds']}, {s['tree_fds']} | {s['zombies']} | {kept.get('documents')}, "
            f"{kept.get('pieces')}, {kept.get('results')}, {kept.get('hovers')} |"
        )


async def soak(arguments: argparse.Namespace) -> int:
    client, _ = await Client.start()
    started = time.monotonic()
    try:
        with tempfile.TemporaryDirectory(prefix="derivlens-soak-") as folder:
            session = Soak(client, Path(folder), arguments.hovers_per_document)
            for index in range(arguments.warm_up):
                await session.document(index)
            base = await sample(client, session.hovers)
            samples: list[dict[str, Any]] = []
            next_sample = session.hovers + arguments.every
            for index in range(arguments.warm_up, arguments.warm_up + arguments.documents):
                await session.document(index)
                if session.hovers >= next_sample:
                    samples.append(await sample(client, session.hovers))
                    print_progress(samples[-1], time.monotonic() - started)
                    next_sample += arguments.every
            samples.append(await sample(client, session.hovers))
    finally:
        await client.close()
    load = os.getloadavg()[0]
    print(f"\n{arguments.documents} documents after {arguments.warm_up} of warm-up, "
          f"{session.hovers} hovers ({session.without_plot} without a plot), "
          f"{time.monotonic() - started:.0f} s, load average {load:.2f}\n")  # fmt: skip
    print_samples([base, *samples])
    results = verdicts(base, samples)
    print()
    for text, met in results:
        print(f"- {'met' if met else 'MISSED'}: {text}")
    if arguments.json:
        Path(arguments.json).write_text(json.dumps({"base": base, "samples": samples}, indent=1))
    return 0 if all(met for _, met in results) else 1


def print_progress(s: dict[str, Any], elapsed: float) -> None:
    print(
        f"{elapsed:6.0f} s  {s['hovers']:5d} hovers  server {s['server_rss_mb']:.1f} MB  "
        f"worker tree {s['worker_rss_mb']:.1f} MB",
        file=sys.stderr,
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--documents", type=int, default=400)
    parser.add_argument("--hovers-per-document", type=int, default=5)
    parser.add_argument("--warm-up", type=int, default=40, help="documents before the base")
    parser.add_argument("--every", type=int, default=200, help="hovers between samples")
    parser.add_argument("--json", help="also write the samples here")
    raise SystemExit(asyncio.run(soak(parser.parse_args())))


if __name__ == "__main__":
    main()
