"""How fast the language server answers, over stdio, next to what the user would do instead.

Run: .venv/bin/python bench/bench_lsp.py [--quick] [--json out.json]

One run measures, with its baselines in the same run (medians):
  hovers  on a new function body (no cache: the text changes each time), 300 ms apart
          and back to back (the next right after the reply); after an edit in a
          5,000-line module of 450 functions; repeated (cache); the first after the
          server starts (worker warm-up included); the last of a burst of 20;
  panel   `derivlens.plot` for a 500×300 CSS px panel at pixel ratio 2 (f, f′, f″, a
          1000×600 image), and slider previews (params, ratio 1) back to back;
  baselines
          on a quiet machine as far as derivlens goes: no derivlens server running (none
          started yet, or the last one's whole process tree gone), each in its own
          process: a warm notebook kernel doing the same with autograd and pyplot (the
          hover-sized 3.6×2 in figure at 100 dpi with f, f′; the 5×3 in figure at
          200 dpi with f, f′, f″), half of its rounds before derivlens's rounds and
          half after; `import torch, matplotlib.pyplot` in a fresh interpreter before
          the cold starts and after them; the seed article's Example 1 as a fresh
          script. Reported with their spread (min, median, max).
The warm session's rounds start once the server's tree is idle (its worker's
background warm-up done, see `proctree.wait_idle`): a server as a user meets it, one
that has been open for a while. Within the rounds, whatever the server does after a
request (its spares, its idle work) is part of what the user meets.
It prints the goals (README, Performance) with their ratios. The client is a
bare JSON-RPC client (no pygls) so that its own overhead stays out of the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import proctree

PYTHON = sys.executable
SERVER = [PYTHON, "-m", "derivlens", "serve"]
#: The seed article's Example 1 function, on its domain.
CUBIC = "x**3 - 2*x**2 + x - 1"
DOMAIN = (-2.0, 2.0)
SAMPLES = 401  # the server's default for one variable


def median(values: list[float]) -> float:
    return statistics.median(values)


def spread(values: list[float], digits: int = 1) -> str:
    """min / median / max, the way every figure is reported."""
    return " / ".join(f"{v:.{digits}f}" for v in (min(values), median(values), max(values)))


# --- a minimal LSP client ----------------------------------------------------------------------


class Client:
    """JSON-RPC over the server's stdio: requests, notifications, and answers to its requests."""

    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc
        self.ids = 0
        self.pending: dict[int, asyncio.Future[Any]] = {}
        self.received: dict[int, float] = {}
        self.logs: list[str] = []
        self.progress: list[Any] = []
        self.reader = asyncio.create_task(self._read())

    @classmethod
    async def start(cls, settings: dict[str, Any] | None = None) -> tuple[Client, float]:
        spawned = time.perf_counter()
        proc = await asyncio.create_subprocess_exec(
            *SERVER,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL,
        )
        client = cls(proc)
        root = Path(tempfile.gettempdir()).as_uri()
        await client.request(
            "initialize",
            {
                "processId": os.getpid(),
                "rootUri": root,
                "capabilities": {"window": {"workDoneProgress": True}},
                "initializationOptions": {"derivlens": settings or {}},
            },
        )
        client.notify("initialized", {})
        return client, spawned

    def _send(self, message: dict[str, Any]) -> None:
        body = json.dumps({"jsonrpc": "2.0", **message}).encode()
        assert self.proc.stdin is not None
        self.proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)

    def send_request(self, method: str, params: Any) -> tuple[int, asyncio.Future[Any]]:
        self.ids += 1
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self.pending[self.ids] = future
        self._send({"id": self.ids, "method": method, "params": params})
        return self.ids, future

    async def request(self, method: str, params: Any) -> Any:
        _, future = self.send_request(method, params)
        return await future

    def notify(self, method: str, params: Any) -> None:
        self._send({"method": method, "params": params})

    async def _read(self) -> None:
        stdout = self.proc.stdout
        assert stdout is not None
        while True:
            length = 0
            while True:
                line = await stdout.readline()
                if not line:
                    return
                if line in (b"\r\n", b"\n"):
                    break
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            message = json.loads(await stdout.readexactly(length))
            now = time.perf_counter()
            if "method" in message and "id" in message:  # a request from the server
                if message["method"] == "workspace/configuration":
                    result: Any = [None for _ in message["params"]["items"]]
                else:  # window/workDoneProgress/create and the rest
                    result = None
                self._send({"id": message["id"], "result": result})
            elif "method" in message:
                if message["method"] == "window/logMessage":
                    self.logs.append(message["params"]["message"])
                elif message["method"] == "$/progress":
                    self.progress.append(message["params"])
            else:
                self.received[message["id"]] = now
                future = self.pending.pop(message["id"], None)
                if future is not None and not future.done():
                    if "error" in message:
                        future.set_exception(RuntimeError(message["error"]))
                    else:
                        future.set_result(message.get("result"))

    def open(self, uri: str, text: str) -> None:
        self.notify(
            "textDocument/didOpen",
            {"textDocument": {"uri": uri, "languageId": "python", "version": 1, "text": text}},
        )

    def change(self, uri: str, version: int, text: str) -> None:
        self.notify(
            "textDocument/didChange",
            {"textDocument": {"uri": uri, "version": version}, "contentChanges": [{"text": text}]},
        )

    def hover_params(self, uri: str, line: int) -> dict[str, Any]:
        return {"textDocument": {"uri": uri}, "position": {"line": line, "character": 4}}

    async def hover(self, uri: str, line: int) -> tuple[float, Any]:
        started = time.perf_counter()
        result = await self.request("textDocument/hover", self.hover_params(uri, line))
        return (time.perf_counter() - started) * 1000, result

    def rss_mb(self) -> tuple[float, float]:
        status = Path(f"/proc/{self.proc.pid}/status").read_text()
        rss = int(re.search(r"VmRSS:\s+(\d+)", status).group(1))  # type: ignore[union-attr]
        hwm = int(re.search(r"VmHWM:\s+(\d+)", status).group(1))  # type: ignore[union-attr]
        return rss / 1024, hwm / 1024

    async def close(self) -> None:
        """Shut the server down and wait until its whole process tree is gone (its
        worker and children too), so that what is measured next runs on a machine
        without derivlens."""
        tree = proctree.descendants(self.proc.pid)
        try:
            await asyncio.wait_for(self.request("shutdown", None), 10)
            self.notify("exit", None)
            await asyncio.wait_for(self.proc.wait(), 10)
        except (TimeoutError, asyncio.TimeoutError, RuntimeError, ConnectionError):
            self.proc.kill()
            await self.proc.wait()
        self.reader.cancel()
        deadline = time.monotonic() + 10
        while any(Path(f"/proc/{pid}").exists() for pid in tree) and time.monotonic() < deadline:
            await asyncio.sleep(0.05)


def module_text(salt: int, functions: int = 1, held: bool = False) -> str:
    """`functions` variants of the cubic; `salt` makes every body new (no cache hit)."""
    lines = ["import torch", ""]
    for k in range(functions):
        signature = f"f{k}(x, a=1.0)" if held else f"f{k}(x)"
        lines += [
            f"# derivlens: domain={DOMAIN[0]:g}..{DOMAIN[1]:g}",
            f"def {signature}:",
            f"    return a * ({CUBIC}) + {salt}.{k} * torch.sin(x) / 1e6"
            if held
            else f"    return {CUBIC} + {salt}.{k} * torch.sin(x) / 1e6",
            "",
        ]
    return "\n".join(lines)


def def_line(k: int) -> int:
    return 3 + 4 * k  # 0-based line of `def f{k}`


LARGE_FUNCTIONS = 450


def large_module(salt: int, edited: int) -> str:
    """A ~5,000-line module of 450 functions (helpers, docstrings, constants), in which
    function `edited` has a body that `salt` changes."""
    lines = ["import math", "import torch", "", "SCALE = 0.5", ""]
    for k in range(LARGE_FUNCTIONS):
        bump = f"{salt}.{k}" if k == edited else "0.0"
        lines += [
            f"# derivlens: domain={DOMAIN[0]:g}..{DOMAIN[1]:g}",
            f"def f{k}(x):",
            f'    """Variant {k} of the cubic, with a small wave on top.',
            "",
            "    Written out over several lines, as real code is.",
            '    """',
            f"    wave = torch.sin(x * {k % 7 + 1}) * SCALE",
            f"    return {CUBIC} + {bump} * wave / 1e6",
            "",
            "",
        ]
    return "\n".join(lines)


def large_def_line(k: int) -> int:
    return 5 + 10 * k + 1


def check_hover(result: Any) -> None:
    value = result["contents"]["value"] if result else ""
    if "data:image/png;base64," not in value:
        raise SystemExit(f"the hover has no plot: {value[:300]!r}")


def panel_args(uri: str, line: int, **extra: Any) -> dict[str, Any]:
    return {
        "uri": uri,
        "position": {"line": line, "character": 4},
        "width": 500,
        "height": 300,
        "scale": 2,
        **extra,
    }


async def plot(client: Client, arguments: dict[str, Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = await client.request(
        "workspace/executeCommand", {"command": "derivlens.plot", "arguments": [arguments]}
    )
    if not result or not result.get("image"):
        raise SystemExit(f"the plot has no image: {str(result)[:300]}")
    return (time.perf_counter() - started) * 1000, result


# --- server measurements -------------------------------------------------------------------


async def cold_first_hover(workdir: Path) -> tuple[float, float, bool]:
    """ms from spawning the server to the first hover's reply; the hover's own ms; progress?"""
    client, spawned = await Client.start()
    uri = (workdir / "cold.py").as_uri()
    client.open(uri, module_text(0))
    hover_ms, result = await client.hover(uri, def_line(0))
    total = (time.perf_counter() - spawned) * 1000
    check_hover(result)
    progressed = any(p.get("value", {}).get("kind") == "begin" for p in client.progress)
    await client.close()
    return total, hover_ms, progressed


class Session:
    """One server, one document per kind of measurement, a version counter each."""

    def __init__(self, client: Client, workdir: Path) -> None:
        self.client = client
        self.workdir = workdir
        self.versions: dict[str, int] = {}
        self.salt = 0

    def edit(self, name: str, text: str) -> str:
        uri = (self.workdir / name).as_uri()
        version = self.versions.get(uri, 0) + 1
        if version == 1:
            self.client.open(uri, text)
        else:
            self.client.change(uri, version, text)
        self.versions[uri] = version
        return uri

    def new_salt(self) -> int:
        self.salt += 1
        return self.salt

    async def hovers(self, repeats: int, pause: float) -> list[float]:
        """Hovers on a new body each time, `pause` s apart (0: the next right after)."""
        times = []
        for _ in range(repeats):
            await asyncio.sleep(pause)  # before: the last request may have been anything
            uri = self.edit("small.py", module_text(self.new_salt()))
            ms, result = await self.client.hover(uri, def_line(0))
            check_hover(result)
            times.append(ms)
        return times

    async def large(self, repeats: int, pause: float) -> list[float]:
        times = []
        for i in range(repeats):
            await asyncio.sleep(pause)
            k = (37 * i) % LARGE_FUNCTIONS
            uri = self.edit("large.py", large_module(self.new_salt(), k))
            ms, result = await self.client.hover(uri, large_def_line(k))
            check_hover(result)
            times.append(ms)
        return times

    async def panels(self, repeats: int, pause: float) -> list[float]:
        times = []
        for _ in range(repeats):
            await asyncio.sleep(pause)
            uri = self.edit("panel.py", module_text(self.new_salt()))
            ms, _ = await plot(self.client, panel_args(uri, def_line(0), order=2))
            times.append(ms)
        return times

    async def previews(self, repeats: int) -> list[float]:
        """A drag of the `a` slider: previews at ratio 1, each right after the last."""
        uri = self.edit("slider.py", module_text(self.new_salt(), held=True))
        times = []
        for i in range(repeats):
            arguments = panel_args(uri, def_line(0), scale=1, params={"a": 1.0 + 0.013 * i})
            ms, _ = await plot(self.client, arguments)
            times.append(ms)
        return times

    async def cached(self, repeats: int) -> list[float]:
        uri = self.edit("cached.py", module_text(self.new_salt()))
        await self.client.hover(uri, def_line(0))
        times = []
        for _ in range(repeats):
            ms, result = await self.client.hover(uri, def_line(0))
            check_hover(result)
            times.append(ms)
        return times

    async def bursts(self, bursts: int) -> tuple[list[float], list[int]]:
        last, answered = [], []
        for _ in range(bursts):
            await asyncio.sleep(0.5)
            uri = self.edit("burst.py", module_text(self.new_salt(), functions=20))
            sent: list[tuple[int, float, asyncio.Future[Any]]] = []
            for k in range(20):
                request_id, future = self.client.send_request(
                    "textDocument/hover", self.client.hover_params(uri, def_line(k))
                )
                sent.append((request_id, time.perf_counter(), future))
                if k < 19:
                    await asyncio.sleep(0.020)
            results = await asyncio.gather(*(f for _, _, f in sent), return_exceptions=True)
            last_id, last_sent, _ = sent[-1]
            check_hover(results[-1])
            last.append((self.client.received[last_id] - last_sent) * 1000)
            answered.append(sum(1 for r in results if isinstance(r, dict)))
        return last, answered


async def warm_session(workdir: Path, repeats: int, bursts: int) -> dict[str, Any]:
    client, _ = await Client.start()
    session = Session(client, workdir)
    await session.hovers(2, 0.5)  # waits for the worker, warms every path once
    await session.panels(2, 0.3)
    await session.large(2, 0.3)
    waited = proctree.wait_idle(client.proc.pid)  # the worker's idle warm-up done
    print(f"  the server's tree idle after {waited:.1f} s more", file=sys.stderr)
    measured: dict[str, Any] = {}
    # Interleaved rounds, so that machine noise hits every measure alike.
    for _ in range(repeats):
        for name, run in (
            ("spaced", lambda: session.hovers(1, 0.3)),
            ("back_to_back", lambda: session.hovers(3, 0.0)),
            ("panel", lambda: session.panels(1, 0.3)),
            ("large", lambda: session.large(1, 0.3)),
            ("preview", lambda: session.previews(3)),
        ):
            measured.setdefault(name, []).extend(await run())
    await asyncio.sleep(0.3)
    measured["cached"] = await session.cached(repeats * 2)
    measured["burst_last"], measured["burst_answered"] = await session.bursts(bursts)
    measured["rss"], measured["hwm"] = client.rss_mb()
    await client.close()
    return measured


# --- baselines -----------------------------------------------------------------------------

NOTEBOOK = textwrap.dedent(
    """
    import io, json, sys, time
    import torch
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    samples, lo, hi = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3])
    FIGURES = json.loads(sys.argv[4])  # kind -> [width in, height in, dpi, order]
    calls = 0

    def figure(width, height, dpi, order):
        global calls
        calls += 1
        i = calls
        started = time.perf_counter()
        def f(x):
            return CUBIC + i * torch.sin(x) / 1e6
        x = torch.linspace(lo, hi, samples, dtype=torch.float64, requires_grad=True)
        y = f(x)
        series = [y]
        for _ in range(order):
            (d,) = torch.autograd.grad(series[-1].sum(), x, create_graph=True)
            series.append(d)
        plt.figure(figsize=(width, height))
        for k, s in enumerate(series):
            plt.plot(x.detach().numpy(), s.detach().numpy(), label="f" + "'" * k + "(x)")
        plt.legend()
        plt.grid(True)
        buffer = io.BytesIO()
        plt.savefig(buffer, format="png", dpi=dpi)
        plt.close()
        return (time.perf_counter() - started) * 1000

    for kind in FIGURES:  # the first two of each warm the kernel up
        figure(*FIGURES[kind]); figure(*FIGURES[kind])
    print("ready", flush=True)
    for line in sys.stdin:
        kind, count = line.split()
        print(json.dumps([figure(*FIGURES[kind]) for _ in range(int(count))]), flush=True)
    """
).replace("CUBIC", CUBIC)

EXAMPLE_1 = textwrap.dedent(
    """
    import torch
    import matplotlib.pyplot as plt
    import numpy as np

    # Define the function
    def f(x):
      return x**3 - 2*x**2 + x - 1

    # Create input tensor and require gradient calculation
    x = torch.linspace(-2, 2, 100, requires_grad=True)

    # Calculate function value
    y = f(x)

    # Calculate gradient
    y.backward(torch.ones_like(x))  #Gradient w.r.t. x

    # Extract gradient values
    derivative = x.grad.detach().numpy()

    # Plot the function and its derivative
    plt.figure(figsize=(10, 6))
    plt.plot(x.detach().numpy(), y.detach().numpy(), label='f(x)')
    plt.plot(x.detach().numpy(), derivative, label='f\\'(x)')
    plt.xlabel('x')
    plt.ylabel('y')
    plt.legend()
    plt.title('Function and its Derivative')
    plt.grid(True)
    plt.savefig(OUT)
    """
)


#: The notebook's figures: the hover-sized one (f, f′) and the panel's (f, f′, f″).
NOTEBOOK_FIGURES = {"hover": [3.6, 2.0, 100, 1], "panel": [5.0, 3.0, 200, 2]}


class Notebook:
    """A warm notebook kernel in a process of its own, asked for its figures while no
    derivlens runs (see `main`), each after a pause."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            [PYTHON, "-c", NOTEBOOK, str(SAMPLES), *map(str, DOMAIN),
             json.dumps(NOTEBOOK_FIGURES)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env={**os.environ, "MPLBACKEND": "Agg"},
        )  # fmt: skip
        assert self.proc.stdout is not None
        if self.proc.stdout.readline().strip() != "ready":
            raise SystemExit("the notebook kernel did not start")
        self.times: dict[str, list[float]] = {kind: [] for kind in NOTEBOOK_FIGURES}

    def measure(self, kind: str, count: int = 1) -> None:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        time.sleep(0.3)  # as between a user's plots
        self.proc.stdin.write(f"{kind} {count}\n")
        self.proc.stdin.flush()
        self.times[kind] += json.loads(self.proc.stdout.readline())

    def close(self) -> None:
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        self.proc.wait()


def fresh_process(code: str, repeats: int) -> list[float]:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        subprocess.run([PYTHON, "-c", code], check=True, env={**os.environ, "MPLBACKEND": "Agg"})
        times.append((time.perf_counter() - started) * 1000)
    return times


# --- the report ----------------------------------------------------------------------------


def report(
    m: dict[str, float],
    raw: dict[str, list[float]],
    warm: dict[str, Any],
    colds: list[Any],
    repeats: int,
) -> None:
    goals = [
        ("uncached hover, 300 ms apart", "spaced", "≤ 0.5× notebook hover figure",
         m["spaced"] / m["notebook_hover"], 0.5),
        ("uncached hover, back to back", "back_to_back", "≤ 0.75× notebook hover figure",
         m["back_to_back"] / m["notebook_hover"], 0.75),
        ("panel plot, 500×300 CSS px at ratio 2 (f, f′, f″)", "panel",
         "≤ 0.4× notebook 5×3 in, 200 dpi", m["panel"] / m["notebook_panel"], 0.4),
        ("hover after an edit in a 5,000-line module", "large", "≤ 1.5× small module",
         m["large"] / m["spaced"], 1.5),
        ("slider preview while dragging", "preview", "≤ 0.5× notebook hover figure",
         m["preview"] / m["notebook_hover"], 0.5),
        ("cached hover", "cached", "≤ 3 ms", m["cached"] / 3.0, 1.0),
        ("first hover after start", "first", "≤ 1.0× import torch, matplotlib.pyplot",
         m["first"] / m["import_torch_mpl"], 1.0),
    ]  # fmt: skip

    def row(*cells: str) -> None:
        print("| " + " | ".join(cells) + " |")

    print()
    print(f"derivlens language server over stdio: {repeats} interleaved rounds")
    print(f"(load average before the run {m['load']:.2f}, after it {m['load_after']:.2f});")
    print("ratio = median / its quiet baseline's median")
    print()
    row("measure", "min / median / max (ms)", "goal", "ratio", "met")
    row("---", "---:", "---", "---:", ":---:")
    for name, key, goal, ratio, limit in goals:
        digits = 0 if key == "first" else 1
        row(name, spread(raw[key], digits), goal, f"{ratio:.2f}", "yes" if ratio <= limit else "NO")
    print()
    row("quiet baseline (no derivlens running)", "min / median / max (ms)")
    row("---", "---:")
    row(
        "warm notebook: autograd + pyplot, 3.6×2 in, 100 dpi, f and f′",
        spread(raw["notebook_hover"]),
    )
    row("warm notebook: 5×3 in, 200 dpi, f, f′ and f″", spread(raw["notebook_panel"]))
    row("fresh `import torch, matplotlib.pyplot`", spread(raw["import_torch_mpl"], 0))
    row("seed's Example 1 as a fresh script (savefig)", spread(raw["example1_script"], 0))
    print()
    row("detail", "value")
    row("---", "---:")
    row(
        "first hover's own latency (sent right after `initialized`)",
        f"{m['first_hover_only']:.0f} ms",
    )
    row("progress reported on every cold start", "yes" if all(c[2] for c in colds) else "NO")
    row("burst of 20 hovers 20 ms apart: the last one's latency", f"{m['burst_last']:.1f} ms")
    row(
        "burst: hovers answered with a plot (the rest superseded)",
        f"{median(warm['burst_answered']):.0f} of 20",
    )
    row("server RSS / peak (VmRSS / VmHWM)", f"{warm['rss']:.1f} / {warm['hwm']:.1f} MB")
    ratio = m["example1_script"] / m["spaced"]
    row("fresh Example 1 script / uncached hover", f"{ratio:.0f}×")


def quiet_notebook(notebook: Notebook, rounds: int) -> None:
    """`rounds` figures of each size, alternating, with no derivlens running."""
    for _ in range(rounds):
        notebook.measure("hover")
        notebook.measure("panel")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    parser.add_argument("--json", type=Path, help="also write the raw figures here")
    args = parser.parse_args()
    repeats = 6 if args.quick else 15
    cold_repeats = 2 if args.quick else 3
    bursts = 3 if args.quick else 5
    load = os.getloadavg()[0]
    half = (repeats + 1) // 2

    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        png = workdir / "example1.png"
        print("quiet baselines (no derivlens running), first half …", file=sys.stderr)
        notebook = Notebook()
        try:
            quiet_notebook(notebook, half)
            imports = fresh_process("import torch, matplotlib.pyplot", cold_repeats)
            example = fresh_process(EXAMPLE_1.replace("OUT", repr(str(png))), cold_repeats)
            print("cold starts …", file=sys.stderr)
            colds = [asyncio.run(cold_first_hover(workdir)) for _ in range(cold_repeats)]
            print("warm session …", file=sys.stderr)
            warm = asyncio.run(warm_session(workdir, repeats, bursts))
            print("quiet baselines, second half …", file=sys.stderr)
            imports += fresh_process("import torch, matplotlib.pyplot", cold_repeats)
            quiet_notebook(notebook, repeats - half)
        finally:
            notebook.close()

    raw: dict[str, list[float]] = {
        "import_torch_mpl": imports,
        "example1_script": example,
        "notebook_hover": notebook.times["hover"],
        "notebook_panel": notebook.times["panel"],
        "first": [c[0] for c in colds],
        "first_hover_only": [c[1] for c in colds],
        **{k: warm[k] for k in ("spaced", "back_to_back", "panel", "large", "preview",
                                "cached", "burst_last")},
    }  # fmt: skip
    m = {"load": load, "load_after": os.getloadavg()[0], **{k: median(v) for k, v in raw.items()}}
    report(m, raw, warm, colds, repeats)
    if args.json:
        args.json.write_text(json.dumps({"medians": m, "raw": raw, "colds": colds}, indent=1))


if __name__ == "__main__":
    main()
