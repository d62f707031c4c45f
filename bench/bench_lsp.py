"""How fast the language server answers, over stdio, next to what the user would do instead.

Run: .venv/bin/python bench/bench_lsp.py [--quick]

One run measures (medians of several repetitions):
  server  hover on a new function body (no cache: the text changes each time),
          repeated hover (cache), first hover after the server starts (cold, worker
          warm-up included), the last of a burst of 20 hovers 20 ms apart over 20
          different functions, and the server process's RSS (not the worker's);
  baselines
          the same function differentiated with autograd and drawn with pyplot at hover
          size in a warm process (a notebook kernel), `import torch, matplotlib.pyplot`
          in a fresh interpreter, and the seed article's Example 1 as a fresh script.
It prints a table with the issue's goals. The client is a bare JSON-RPC client (no
pygls) so that its own overhead stays out of the figures.
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

PYTHON = sys.executable
SERVER = [PYTHON, "-m", "derivlens", "serve"]
#: The seed article's Example 1 function, on its domain.
CUBIC = "x**3 - 2*x**2 + x - 1"
DOMAIN = (-2.0, 2.0)
SAMPLES = 401  # the server's default for one variable


def median(values: list[float]) -> float:
    return statistics.median(values)


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
        try:
            await asyncio.wait_for(self.request("shutdown", None), 10)
            self.notify("exit", None)
            await asyncio.wait_for(self.proc.wait(), 10)
        except (TimeoutError, asyncio.TimeoutError, RuntimeError, ConnectionError):
            self.proc.kill()
            await self.proc.wait()
        self.reader.cancel()


def module_text(salt: int, functions: int = 1) -> str:
    """`functions` variants of the cubic; `salt` makes every body new (no cache hit)."""
    lines = ["import torch", ""]
    for k in range(functions):
        lines += [
            f"# derivlens: domain={DOMAIN[0]:g}..{DOMAIN[1]:g}",
            f"def f{k}(x):",
            f"    return {CUBIC} + {salt}.{k} * torch.sin(x) / 1e6",
            "",
        ]
    return "\n".join(lines)


def def_line(k: int) -> int:
    return 3 + 4 * k  # 0-based line of `def f{k}`


def check_hover(result: Any) -> None:
    value = result["contents"]["value"] if result else ""
    if "data:image/png;base64," not in value or "▁" not in value + "█":
        raise SystemExit(f"the hover has no plot: {value[:300]!r}")


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


async def warm_session(workdir: Path, repeats: int, bursts: int) -> dict[str, Any]:
    client, _ = await Client.start()
    uri = (workdir / "warm.py").as_uri()
    version = 1
    client.open(uri, module_text(0))
    _, first = await client.hover(uri, def_line(0))  # waits for the worker
    check_hover(first)
    await asyncio.sleep(0.5)

    uncached = []
    for salt in range(1, repeats + 1):
        version += 1
        client.change(uri, version, module_text(salt))
        ms, result = await client.hover(uri, def_line(0))
        check_hover(result)
        uncached.append(ms)
        await asyncio.sleep(0.25)  # the user reads the hover; the worker forks its spare

    cached = []
    for _ in range(repeats * 2):
        ms, result = await client.hover(uri, def_line(0))
        check_hover(result)
        cached.append(ms)

    burst_last = []
    burst_answered = []
    for b in range(bursts):
        await asyncio.sleep(0.5)
        version += 1
        client.change(uri, version, module_text(1000 + b, functions=20))
        sent: list[tuple[int, float, asyncio.Future[Any]]] = []
        for k in range(20):
            request_id, future = client.send_request(
                "textDocument/hover", client.hover_params(uri, def_line(k))
            )
            sent.append((request_id, time.perf_counter(), future))
            if k < 19:
                await asyncio.sleep(0.020)
        results = await asyncio.gather(*(f for _, _, f in sent), return_exceptions=True)
        last_id, last_sent, _ = sent[-1]
        check_hover(results[-1])
        burst_last.append((client.received[last_id] - last_sent) * 1000)
        burst_answered.append(sum(1 for r in results if isinstance(r, dict)))

    rss, hwm = client.rss_mb()
    await client.close()
    return {
        "uncached": uncached,
        "cached": cached,
        "burst_last": burst_last,
        "burst_answered": burst_answered,
        "rss": rss,
        "hwm": hwm,
    }


# --- baselines -----------------------------------------------------------------------------

NOTEBOOK = textwrap.dedent(
    """
    import io, json, sys, time
    import torch
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    repeats, samples = int(sys.argv[1]), int(sys.argv[2])
    lo, hi, dpi = float(sys.argv[3]), float(sys.argv[4]), sys.argv[5]
    times = []
    for i in range(repeats + 2):  # the first two warm the kernel up
        started = time.perf_counter()
        def f(x):
            return CUBIC + i * torch.sin(x) / 1e6
        x = torch.linspace(lo, hi, samples, dtype=torch.float64, requires_grad=True)
        y = f(x)
        (dy,) = torch.autograd.grad(y.sum(), x)
        xs, ys, dys = x.detach().numpy(), y.detach().numpy(), dy.numpy()
        plt.figure(figsize=(3.6, 2))
        plt.plot(xs, ys, label="f(x)")
        plt.plot(xs, dys, label="f'(x)")
        plt.legend()
        plt.grid(True)
        buffer = io.BytesIO()
        plt.savefig(buffer, format="png", **({} if dpi == "default" else {"dpi": float(dpi)}))
        plt.close()
        if i >= 2:
            times.append((time.perf_counter() - started) * 1000)
    print(json.dumps(times))
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


def warm_notebook(repeats: int, dpi: str) -> list[float]:
    out = subprocess.run(
        [PYTHON, "-c", NOTEBOOK, str(repeats), str(SAMPLES), *map(str, DOMAIN), dpi],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "MPLBACKEND": "Agg"},
    )
    return json.loads(out.stdout)


def fresh_process(code: str, repeats: int) -> list[float]:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        subprocess.run([PYTHON, "-c", code], check=True, env={**os.environ, "MPLBACKEND": "Agg"})
        times.append((time.perf_counter() - started) * 1000)
    return times


# --- the report ----------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    parser.add_argument("--json", type=Path, help="also write the raw figures here")
    args = parser.parse_args()
    repeats = 8 if args.quick else 20
    cold_repeats = 2 if args.quick else 3
    bursts = 3 if args.quick else 7

    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        png = workdir / "example1.png"
        print("baselines: fresh interpreters …", file=sys.stderr)
        imports = fresh_process("import torch, matplotlib.pyplot", cold_repeats)
        example = fresh_process(EXAMPLE_1.replace("OUT", repr(str(png))), cold_repeats)
        print("baselines: warm notebook kernel …", file=sys.stderr)
        notebook = warm_notebook(repeats, "default")
        notebook_2x = warm_notebook(repeats, "200")
        print("server: cold starts …", file=sys.stderr)
        colds = [asyncio.run(cold_first_hover(workdir)) for _ in range(cold_repeats)]
        print("server: warm session …", file=sys.stderr)
        warm = asyncio.run(warm_session(workdir, repeats, bursts))

    m = {
        "import_torch_mpl": median(imports),
        "example1_script": median(example),
        "notebook": median(notebook),
        "notebook_2x": median(notebook_2x),
        "first": median([c[0] for c in colds]),
        "first_hover_only": median([c[1] for c in colds]),
        "uncached": median(warm["uncached"]),
        "cached": median(warm["cached"]),
        "burst_last": median(warm["burst_last"]),
        "rss": warm["rss"],
    }
    progress_on_cold = all(c[2] for c in colds)
    ratios = {
        "uncached": m["uncached"] / m["notebook"],
        "cached": m["cached"] / 3.0,
        "first": m["first"] / m["import_torch_mpl"],
        "burst": m["burst_last"] / m["uncached"],
        "rss": m["rss"] / 80.0,
    }
    goals = [
        ("uncached hover", f"{m['uncached']:.1f} ms", "≤ 0.7× warm notebook", "uncached", 0.7),
        ("cached hover", f"{m['cached']:.1f} ms", "≤ 3 ms", "cached", 1.0),
        ("first hover after start", f"{m['first']:.0f} ms", "≤ 1.5× import", "first", 1.5),
        ("burst: last of 20", f"{m['burst_last']:.1f} ms", "≤ 2× uncached", "burst", 2.0),
        ("server RSS", f"{m['rss']:.1f} MB", "≤ 80 MB", "rss", 1.0),
    ]

    def row(*cells: str) -> None:
        print("| " + " | ".join(cells) + " |")

    print()
    print(f"derivlens language server over stdio: medians of {repeats} hovers,")
    print(f"{cold_repeats} cold starts, {bursts} bursts; ratio = figure / its baseline")
    print()
    row("measure", "median", "goal", "ratio", "met")
    row("---", "---:", "---", "---:", ":---:")
    for name, value, goal, key, limit in goals:
        row(name, value, goal, f"{ratios[key]:.2f}", "yes" if ratios[key] <= limit else "NO")
    print()
    row("baseline", "median")
    row("---", "---:")
    row("warm notebook: autograd + pyplot, 3.6×2 in PNG, 100 dpi", f"{m['notebook']:.1f} ms")
    row("warm notebook, same at 200 dpi (the hover PNG's 720×400 px)", f"{m['notebook_2x']:.1f} ms")
    row("fresh `import torch, matplotlib.pyplot`", f"{m['import_torch_mpl']:.0f} ms")
    row("seed's Example 1 as a fresh script (savefig)", f"{m['example1_script']:.0f} ms")
    print()
    row("detail", "value")
    row("---", "---:")
    row(
        "first hover's own latency (sent right after `initialized`)",
        f"{m['first_hover_only']:.0f} ms",
    )
    row("progress reported on every cold start", "yes" if progress_on_cold else "NO")
    answered = median(warm["burst_answered"])
    row("burst: hovers answered with a plot (the rest superseded)", f"{answered:.0f} of 20")
    row("server peak RSS (VmHWM)", f"{warm['hwm']:.1f} MB")
    row("fresh Example 1 script / uncached hover", f"{m['example1_script'] / m['uncached']:.0f}×")
    if args.json:
        args.json.write_text(json.dumps({"medians": m, "raw": warm, "colds": colds}, indent=1))


if __name__ == "__main__":
    main()
