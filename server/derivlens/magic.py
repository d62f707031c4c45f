"""`%load_ext derivlens`, then `%derivlens f --domain -2 2 --order 2`: `derivlens.plot` as an
IPython line magic (docs/protocol.md, "In a notebook kernel").

The flags are the CLI's, made from the options table (`options.add_cli_arguments`), so
a bad value is the same `invalid-options` error, naming the flag.
"""

from __future__ import annotations

import argparse
import shlex
from typing import Any, NoReturn

from derivlens import options
from derivlens.errors import InvalidOptions
from derivlens.kernel import evaluate, name_of
from derivlens.kernel_result import KernelResult

USAGE = "%derivlens f [--domain A B] [--order K] [--samples N]"


class _Parser(argparse.ArgumentParser):
    """argparse that raises `invalid-options` instead of exiting the kernel."""

    def error(self, message: str) -> NoReturn:
        raise InvalidOptions(f"{message}; usage: {USAGE}")


def parser() -> argparse.ArgumentParser:
    made = _Parser(prog="%derivlens", add_help=False, usage=USAGE)
    made.add_argument("function", help="the function to plot (a name in the notebook)")
    options.add_cli_arguments(made)
    return made


def derivlens_magic(line: str, namespace: dict[str, Any]) -> KernelResult:
    """Plot what `line` names in `namespace`, with the options its flags give."""
    try:
        words = shlex.split(line)
    except ValueError as error:
        raise InvalidOptions(f"{error}; usage: {USAGE}") from None
    args = parser().parse_args(options.cli_values(words))
    if args.function not in namespace:
        raise InvalidOptions(f"{args.function!r} is not defined in the notebook; usage: {USAGE}")
    function = namespace[args.function]
    name = args.function if args.function.isidentifier() else name_of(function)
    return evaluate(function, options.from_cli(args), None, options.Origin.CLI, name=name)


def load_ipython_extension(ipython: Any) -> None:
    """Register `%derivlens` (IPython calls this on `%load_ext derivlens`)."""

    def magic(line: str) -> KernelResult:
        return derivlens_magic(line, ipython.user_ns)

    magic.__doc__ = f"Plot a function and its derivatives: {USAGE}"
    ipython.register_magic_function(magic, magic_kind="line", magic_name="derivlens")
