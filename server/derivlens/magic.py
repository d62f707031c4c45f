"""`%load_ext derivlens`, then `%derivlens f --domain -2 2 --order 2`: `derivlens.plot` as an
IPython line magic (docs/protocol.md, "In a notebook kernel").

The flags are the CLI's: the options table's (`options.add_cli_arguments`), and
`--param`, `--taylor` and `--compare` read as `derivlens plot` reads them, so a bad value
is the same `invalid-options` error, naming the flag. `--compare` names another callable
of the notebook.
"""

from __future__ import annotations

import argparse
import shlex
from typing import Any, NoReturn

from derivlens import options, taylor_options
from derivlens.errors import InvalidOptions
from derivlens.kernel import evaluate, name_of
from derivlens.kernel_result import KernelResult

USAGE = (
    "%derivlens f [--domain A B] [--y-domain A B] [--order K] [--samples N] "
    "[--param NAME=VALUE] [--taylor X0 [K]] [--compare G]"
)


class _Parser(argparse.ArgumentParser):
    """argparse that raises `invalid-options` instead of exiting the kernel."""

    def error(self, message: str) -> NoReturn:
        raise InvalidOptions(f"{message}; usage: {USAGE}")


def parser() -> argparse.ArgumentParser:
    made = _Parser(prog="%derivlens", add_help=False, usage=USAGE)
    made.add_argument("function", help="the function to plot (a name in the notebook)")
    options.add_cli_arguments(made)
    made.add_argument("--param", action="append", default=[], metavar="NAME=VALUE")
    made.add_argument("--taylor", nargs="+", metavar="X0 [K]")
    made.add_argument("--compare", metavar="G")
    return made


def _named(name: str, namespace: dict[str, Any], flag: str = "") -> Any:
    """The notebook's object called `name`, or `invalid-options` saying it is not there."""
    if name not in namespace:
        where = f"{flag}: " if flag else ""
        raise InvalidOptions(
            f"{where}{name!r} is not defined in the notebook; usage: {USAGE}",
            option="compare" if flag else None,
        )
    return namespace[name]


def derivlens_magic(line: str, namespace: dict[str, Any]) -> KernelResult:
    """Plot what `line` names in `namespace`, with the options its flags give."""
    try:
        words = shlex.split(line)
    except ValueError as error:
        raise InvalidOptions(f"{error}; usage: {USAGE}") from None
    args = parser().parse_args(taylor_options.cli_values(options.cli_values(words)))
    function = _named(args.function, namespace)
    name = args.function if args.function.isidentifier() else name_of(function)
    compare = None if args.compare is None else _named(args.compare, namespace, "--compare")
    return evaluate(
        function,
        options.from_cli(args),
        options.read_params(args.param) or None,
        options.Origin.CLI,
        name=name,
        taylor=taylor_options.from_cli(args.taylor),
        compare=compare,
        compare_name=args.compare if args.compare and args.compare.isidentifier() else None,
    )


def load_ipython_extension(ipython: Any) -> None:
    """Register `%derivlens` (IPython calls this on `%load_ext derivlens`)."""

    def magic(line: str) -> KernelResult:
        return derivlens_magic(line, ipython.user_ns)

    magic.__doc__ = f"Plot a function and its derivatives: {USAGE}"
    ipython.register_magic_function(magic, magic_kind="line", magic_name="derivlens")
