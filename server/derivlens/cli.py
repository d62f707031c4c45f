"""`derivlens plot | serve | doctor`: the command line (docs/protocol.md, "Command line").

The CLI process never runs user code: `plot` prepares a request and hands it to the
sandbox, then writes the image the sandbox drew. It never prints a traceback: every
failure is one error object (`--json`) or one line on stderr, with its exit status.
"""

from __future__ import annotations

from derivlens import safepath

# The `derivlens` console script imports this module first: nothing below may come from
# the working folder (an empty PYTHONPATH entry puts it on sys.path).
safepath.drop_working_directory()

import argparse
import base64
import binascii
import json
import os
import sys
import time
from collections.abc import Sequence
from typing import Any, NoReturn

import attrs

from derivlens import SANDBOX_APP, __version__, defaults, model, taylor_options, wire
from derivlens.errors import DerivlensError, ErrorKind, InvalidOptions
from derivlens.model import ImageFile, Render, Result
from derivlens.options import (
    Origin,
    add_cli_arguments,
    cli_values,
    from_cli,
    read_params,
)
from derivlens.text import escaped

EXIT_OK = 0


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise InvalidOptions(f"{self.prog}: {message}")


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
    add_cli_arguments(plot)
    plot.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="hold a parameter with a default at another value (repeatable); "
        "a module constructor's as 'Class(name)=VALUE'",
    )
    plot.add_argument(
        "--taylor",
        nargs="+",
        metavar="X0 [K]",
        help="draw the Taylor polynomial of order K (1 to 4, default 1: the tangent) at X0",
    )
    plot.add_argument(
        "--compare",
        metavar="NAME",
        help="also plot another function of the file, dashed, and a row for f − g",
    )
    plot.add_argument("--out", metavar="PATH", help="write the plot to PATH.png or PATH.svg")
    plot.add_argument("--json", action="store_true", help="print the result as one JSON object")
    plot.add_argument(
        "--timeout", type=float, default=defaults.COMMAND_TIMEOUT_S, metavar="SECONDS"
    )
    plot.add_argument("--memory-mb", type=int, default=defaults.MEMORY_MB, metavar="MB")
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
        args = build_parser().parse_args(taylor_options.cli_values(cli_values(args_list)))
        if args.command == "plot":
            return plot_command(args)
        if args.command == "serve":
            return serve_command(args)
        return doctor_command()
    except BrokenPipeError:  # the reader went away (`| head`): nothing more to say
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except DerivlensError as error:
        return fail(error, want_json)
    except Exception as error:  # a bug of ours: still one clear line, no traceback
        return fail(
            DerivlensError(ErrorKind.INTERNAL, f"{type(error).__name__}: {error}"), want_json
        )


def fail(error: DerivlensError, want_json: bool) -> int:
    if want_json:
        print(json.dumps(wire.error_json(error)))
    else:
        print(f"derivlens: {error.kind.value}: {escaped(error.message)}", file=sys.stderr)
        if error.kind is ErrorKind.INVALID_OPTIONS:
            print("Try 'derivlens plot --help'.", file=sys.stderr)
    return error.exit_status


def plot_command(args: argparse.Namespace) -> int:
    from derivlens import engine, judge
    from derivlens.sandbox import run_once

    started = time.perf_counter()
    prepared = engine.prepare_source(
        read_source(args.file),
        args.file,
        name=args.function,
        line=args.line,
        column=args.column,
        requested=from_cli(args),
        source=Origin.CLI,
        params=read_params(args.param),
        render=render_for(args),
        compare=args.compare,
    )
    prepared = attrs.evolve(prepared, taylor=taylor_options.from_cli(args.taylor))
    taylor_options.check_prepared(prepared, "--taylor")
    try:
        outcome = run_once(
            SANDBOX_APP,
            # The closed form too, after the image (docs/protocol.md, "Formula").
            prepared.job(timeout=args.timeout, memory_mb=args.memory_mb, formula=True),
        )
        result = judge.finish(prepared, outcome, (time.perf_counter() - started) * 1000)
    except DerivlensError as error:
        raise flag_hint(error, args) from None
    if args.out:
        result = attrs.evolve(result, image=write_image(result, args.out))
    print(json.dumps(wire.result_json(result)) if args.json else summary(result))
    return EXIT_OK


def read_source(path: str) -> str:
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read()
    except FileNotFoundError:
        raise DerivlensError("not-found", f"no such file: {path}") from None
    except (OSError, UnicodeDecodeError) as error:
        raise DerivlensError("not-found", f"cannot read {path}: {error}") from None


def render_for(args: argparse.Namespace) -> Render | None:
    if not args.out:
        return None
    extension = os.path.splitext(args.out)[1].lower()
    if extension not in (".png", ".svg"):
        raise InvalidOptions(f"--out must end in .png or .svg, got {args.out!r}")
    return Render(format=extension[1:], theme=args.theme, size=args.size)


def flag_hint(error: DerivlensError, args: argparse.Namespace) -> DerivlensError:
    """An error with the flag that would help, for the kinds a flag fixes."""
    if error.kind is ErrorKind.TIMEOUT:
        return DerivlensError(error.kind, f"{error.message}, or allow more time (--timeout)")
    if error.kind is ErrorKind.MEMORY:
        text = f"{error.message}, or raise the limit (--memory-mb, now {args.memory_mb})"
        return DerivlensError(error.kind, text)
    return error


def write_image(result: Result, path: str) -> ImageFile:
    image = result.image
    if not isinstance(image, model.Image):
        raise DerivlensError("internal", "the plot was not drawn")
    try:
        data = base64.b64decode(image.data, validate=True)
    except (binascii.Error, ValueError):
        raise DerivlensError("crashed", "the plot came back damaged") from None
    try:
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        with open(path, "wb") as handle:
            handle.write(data)
    except OSError as error:
        raise DerivlensError("not-found", f"cannot write {path}: {error.strerror}") from None
    return ImageFile(
        format=image.format,
        path=os.path.abspath(path),
        width=image.width,
        height=image.height,
        axes=image.axes,
    )


def summary(result: Result) -> str:
    """A few human lines about a result, for the CLI without --json: one line per field,
    every text from the child with its control characters escaped (`text.escaped`)."""
    variables = ", ".join(escaped(v) for v in result.variables)
    fixed = ", ".join(f"{escaped(k)}={_value(v)}" for k, v in result.fixed.items())
    head = f"{escaped(result.function)}({variables}{', ' + fixed if fixed else ''})"
    lo, hi = result.domain
    ranges = f"x in [{lo:g}, {hi:g}]"
    if isinstance(result, model.SurfaceResult):
        ranges += f", y in [{result.ydomain[0]:g}, {result.ydomain[1]:g}]"
    lines = [
        f"{head}: {result.method}, order {result.order}, {ranges} ({result.elapsed_ms:.0f} ms)"
    ]
    points: list[Any] = list(result.critical_points)
    if points:
        shown = ", ".join(_point(p) for p in points[:8])
        lines.append(f"  critical points: {shown}{' …' if len(points) > 8 else ''}")
    lines += taylor_lines(result)
    lines += compared_line(result)
    for warning in result.warnings:
        lines.append(f"  warning ({warning.kind.value}): {escaped(warning.message)}")
    if isinstance(result.image, ImageFile):
        image = result.image
        lines.append(f"  wrote {escaped(image.path)} ({image.width}×{image.height} px)")
    return "\n".join(lines)


def taylor_lines(result: Result) -> list[str]:
    """The inflection points and the Taylor polynomial's coefficients, if there are."""
    lines = []
    inflections = getattr(result, "inflection_points", [])
    if inflections:
        shown = ", ".join(_point(p) for p in inflections[:8])
        lines.append(f"  inflection points: {shown}{' …' if len(inflections) > 8 else ''}")
    taylor = getattr(result, "taylor", None)
    if taylor is not None:
        terms = ", ".join(f"{c:.10g}" for c in taylor.coefficients)
        lines.append(f"  taylor at {taylor.at:g}, order {taylor.order}: coefficients {terms}")
    return lines


def compared_line(result: Result) -> list[str]:
    """`compared with g: largest |f − g| = 0.00047 at x = -2.7` (at (x, y) = (…, …) for
    two variables; docs/protocol.md, "Compare")."""
    compared = getattr(result, "compare", None)
    if compared is None:
        return []
    name = escaped(compared.function)
    pairs: list[tuple[float, str]]
    if isinstance(result, model.SurfaceResult):
        pairs = [
            (abs(d), f"(x, y) = ({x:.6g}, {y:.6g})")
            for row, y in zip(compared.difference, result.y, strict=True)
            for d, x in zip(row, result.x, strict=True)
            if d is not None and x is not None and y is not None
        ]
    else:
        pairs = [
            (abs(d), f"x = {x:.6g}")
            for d, x in zip(compared.difference, result.x, strict=True)
            if d is not None and x is not None
        ]
    if not pairs:
        return [f"  compared with {name}: f − g has no finite value"]
    largest, where = max(pairs, key=lambda pair: pair[0])
    return [f"  compared with {name}: largest |f − g| = {largest:.6g} at {where}"]


def _value(value: model.FixedValue) -> str:
    return escaped(value) if isinstance(value, str) else str(value)


def _point(p: Any) -> str:
    if isinstance(p, tuple) and len(p) == 2:
        return f"({p[0]:.4g}, {p[1]:.4g})"
    if isinstance(p, list):
        return "[" + ", ".join(f"{v:.6g}" for v in p) + "]"
    return f"{p:.6g}"


def serve_command(args: argparse.Namespace) -> int:
    tcp = None
    if args.tcp:
        host, _, port = args.tcp.rpartition(":")
        if not port.isdigit():
            raise InvalidOptions(f"derivlens serve: --tcp needs HOST:PORT, got {args.tcp!r}")
        tcp = (host or "127.0.0.1", int(port))
    from derivlens import early

    # The worker's cold start runs while this process imports pygls (bench/README.md).
    early.start_if_serving(["serve"])  # unless `python -m derivlens` started it already
    early_worker = early.take()
    safepath.leave_working_directory()  # the workspace is the client's cwd, never ours
    from derivlens.lsp.server import run_server

    run_server(tcp=tcp, early_worker=early_worker)
    return EXIT_OK


def doctor_command() -> int:
    import importlib.util
    import platform

    from derivlens import SANDBOX_APP
    from derivlens.sandbox import doctor

    print(f"derivlens {__version__} on Python {platform.python_version()} ({sys.executable})")
    print(f"platform: {platform.system()} {platform.release()} {platform.machine()}")
    for package in ("torch", "matplotlib", "numpy", "pygls"):
        found = importlib.util.find_spec(package) is not None
        print(f"  {package:12s} {'installed' if found else 'MISSING — pip install ' + package}")
    print("sandbox layers:")
    for layer in doctor(SANDBOX_APP):
        mark = "on " if layer.active else "off"
        print(f"  [{mark}] {escaped(layer.name):14s} {escaped(layer.detail)}")
    from derivlens.sandbox.doctor import drawing

    print(f"text drawing: {escaped(drawing())}")
    return EXIT_OK
