"""`derivlens plot | serve | doctor`: the command line of SPEC §1.

The CLI process never runs user code: `plot` prepares a request and hands it to the
sandbox, then writes the image the sandbox drew.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import sys
import time
from collections.abc import Sequence
from typing import Any, NoReturn

from derivlens import __version__
from derivlens.errors import DerivlensError
from derivlens.options import OptionError, PlotOptions, check_interval, parse_number

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
DEFAULT_TIMEOUT_S = 10.0
DEFAULT_MEMORY_MB = 2048


class UsageError(Exception):
    """Bad command-line arguments (exit status 2)."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{self.prog}: {message}")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="derivlens",
        description="Plot a Python function and its exact derivatives (torch autograd).",
    )
    parser.add_argument("--version", action="version", version=f"derivlens {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    plot = commands.add_parser("plot", help="plot a function of a Python file")
    plot.add_argument("file", metavar="FILE", help="the Python file")
    which = plot.add_mutually_exclusive_group(required=True)
    which.add_argument(
        "--function", metavar="NAME", help="function name (Class.method for a staticmethod)"
    )
    which.add_argument("--line", type=int, metavar="L", help="1-based line inside the function")
    plot.add_argument("--column", type=int, default=0, metavar="C", help="0-based column")
    plot.add_argument("--domain", nargs=2, type=parse_number, metavar=("A", "B"))
    plot.add_argument("--y-domain", nargs=2, type=parse_number, metavar=("A", "B"), dest="ydomain")
    plot.add_argument("--order", type=int, metavar="K", help="highest derivative, 1-4 (default 1)")
    plot.add_argument("--samples", type=int, metavar="N", help="points per axis")
    plot.add_argument("--out", metavar="PATH", help="write the plot to PATH.png or PATH.svg")
    plot.add_argument("--json", action="store_true", help="print the result as one JSON object")
    plot.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT_S, metavar="SECONDS")
    plot.add_argument("--memory-mb", type=int, default=DEFAULT_MEMORY_MB, metavar="MB")
    plot.add_argument("--theme", choices=("light", "dark"), default="light")
    plot.add_argument("--size", choices=("panel", "hover"), default="panel")

    serve = commands.add_parser("serve", help="run the language server (stdio by default)")
    serve.add_argument("--tcp", metavar="HOST:PORT", help="listen on TCP instead of stdio")
    serve.add_argument("--stdio", action="store_true", help="use stdio (the default)")

    commands.add_parser("doctor", help="show which sandbox layers work on this machine")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    want_json = "--json" in args_list
    try:
        args = build_parser().parse_args(args_list)
        if args.command == "plot":
            return plot_command(args)
        if args.command == "serve":
            return serve_command(args)
        return doctor_command()
    except UsageError as error:
        return _fail_usage(str(error), want_json)
    except OptionError as error:
        return _fail_usage(f"derivlens plot: {error}", want_json)


def _fail_usage(message: str, want_json: bool) -> int:
    if want_json:
        print(json.dumps({"error": {"kind": "usage", "message": message}}))
    else:
        print(message, file=sys.stderr)
        print("Try 'derivlens --help'.", file=sys.stderr)
    return EXIT_USAGE


def plot_command(args: argparse.Namespace) -> int:
    from derivlens import engine

    started = time.perf_counter()
    try:
        requested = _requested_options(args)
        render = _render_for(args)
        try:
            with open(args.file, encoding="utf-8") as handle:
                source = handle.read()
        except FileNotFoundError:
            raise DerivlensError("not-found", f"no such file: {args.file}") from None
        except (OSError, UnicodeDecodeError) as error:
            raise DerivlensError("not-found", f"cannot read {args.file}: {error}") from None
        prepared = engine.prepare(
            source,
            args.file,
            name=args.function,
            line=args.line,
            column=args.column,
            requested=requested,
            render=render,
        )
        from derivlens.sandbox import evaluate_once

        result = evaluate_once(prepared.request, timeout=args.timeout, memory_mb=args.memory_mb)
        result = engine.finish(prepared, result, (time.perf_counter() - started) * 1000)
        if args.out:
            result["image"] = _write_image(result.get("image"), args.out)
    except DerivlensError as error:
        if args.json:
            print(json.dumps(error.to_json()))
        else:
            print(f"derivlens: {error.kind}: {error.message}", file=sys.stderr)
        return error.exit_status
    if args.json:
        print(json.dumps(result))
    else:
        print(summary(result))
    return EXIT_OK


def _requested_options(args: argparse.Namespace) -> PlotOptions:
    domain = tuple(args.domain) if args.domain else None
    ydomain = tuple(args.ydomain) if args.ydomain else None
    if domain:
        check_interval("--domain", domain)
    if ydomain:
        check_interval("--y-domain", ydomain)
    return PlotOptions(domain=domain, ydomain=ydomain, order=args.order, samples=args.samples)


def _render_for(args: argparse.Namespace) -> Any:
    from derivlens.engine import Render

    if not args.out:
        return None
    extension = os.path.splitext(args.out)[1].lower()
    if extension not in (".png", ".svg"):
        raise UsageError(f"derivlens plot: --out must end in .png or .svg, got {args.out!r}")
    return Render(format=extension[1:], theme=args.theme, size=args.size)


def _write_image(image: dict[str, Any] | None, path: str) -> dict[str, Any]:
    if not image:
        raise DerivlensError("internal", "the plot was not drawn")
    data = base64.b64decode(image["data"])
    folder = os.path.dirname(os.path.abspath(path))
    try:
        os.makedirs(folder, exist_ok=True)
        with open(path, "wb") as handle:
            handle.write(data)
    except OSError as error:
        raise DerivlensError("not-found", f"cannot write {path}: {error.strerror}") from None
    return {
        "format": image["format"],
        "path": os.path.abspath(path),
        "width": image["width"],
        "height": image["height"],
    }


def summary(result: dict[str, Any]) -> str:
    """A few human lines about a result, for the CLI without --json."""
    variables = ", ".join(result["variables"])
    fixed = ", ".join(f"{k}={v}" for k, v in result.get("fixed", {}).items())
    head = f"{result['function']}({variables}{', ' + fixed if fixed else ''})"
    lo, hi = result["domain"]
    lines = [
        f"{head}: {result['method']}, order {result['order']}, x in [{lo:g}, {hi:g}]"
        + (
            f", y in [{result['ydomain'][0]:g}, {result['ydomain'][1]:g}]"
            if "ydomain" in result
            else ""
        )
        + f" ({result['elapsed_ms']:.0f} ms)"
    ]
    points = result.get("critical_points") or []
    if points:
        shown = ", ".join(
            f"({p[0]:.4g}, {p[1]:.4g})" if isinstance(p, list) else f"{p:.6g}" for p in points[:8]
        )
        lines.append(f"  critical points: {shown}{' ...' if len(points) > 8 else ''}")
    for warning in result.get("warnings", []):
        lines.append(f"  warning ({warning['kind']}): {warning['message']}")
    image = result.get("image")
    if image:
        lines.append(f"  wrote {image['path']} ({image['width']}×{image['height']} px)")
    return "\n".join(lines)


def serve_command(args: argparse.Namespace) -> int:
    tcp = None
    if args.tcp:
        host, _, port = args.tcp.rpartition(":")
        if not port.isdigit():
            raise UsageError(f"derivlens serve: --tcp needs HOST:PORT, got {args.tcp!r}")
        tcp = (host or "127.0.0.1", int(port))
    from derivlens.sandbox import prespawn

    # The worker's cold start (~2.5 s) runs while this process imports pygls (~0.5 s).
    early_worker = prespawn()
    from derivlens.server import run_server

    run_server(tcp=tcp, early_worker=early_worker)
    return EXIT_OK


def doctor_command() -> int:
    import importlib.util
    import platform

    from derivlens.sandbox import doctor

    print(f"derivlens {__version__} on Python {platform.python_version()} ({sys.executable})")
    print(f"platform: {platform.system()} {platform.release()} {platform.machine()}")
    for package in ("torch", "matplotlib", "numpy", "pygls"):
        found = importlib.util.find_spec(package) is not None
        print(f"  {package:12s} {'installed' if found else 'MISSING — pip install ' + package}")
    print("sandbox layers:")
    for layer in doctor():
        mark = "on " if layer.active else "off"
        print(f"  [{mark}] {layer.name:14s} {layer.detail}")
    return EXIT_OK
