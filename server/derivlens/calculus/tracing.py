"""A function of tensors read off as one SymPy expression, by tracing it with torch.fx.

`torch.fx` runs the function once on proxies and records every tensor operation; each
recorded operation becomes its SymPy counterpart (`sympy_ops`), each number in the code
a constant as people write it (`constants`). What a trace cannot follow raises
`Untraceable`, never a guess: Python control flow on the variable (`if x > 0:`, a
`while` loop), numpy or `math` on the variable, `float(x)` and `.item()`, in-place
operations, operations without a mapping, a result that is not one number. (`math` is
not wrapped as fx does by default: `math.sin(x)` must stay untraceable.)
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

import sympy as sp
import torch
from torch import fx

from derivlens.calculus import sympy_ops
from derivlens.calculus.constants import nice_constant

#: A longer trace is no formula anyone reads (and a loop unrolled by the trace).
MAX_NODES = 400


class Untraceable(Exception):
    """The function is not straight-line tensor code this module can read."""


class _Tracer(fx.Tracer):
    """Traces into every module (an `nn.GELU` becomes the `gelu` it calls), wraps
    nothing, and names a module it was not given (one the function closes over)."""

    def __init__(self) -> None:
        no_modules: tuple[Any, ...] = ()
        super().__init__(autowrap_modules=no_modules, autowrap_functions=())

    def is_leaf_module(self, m: torch.nn.Module, module_qualified_name: str) -> bool:
        return False

    def path_of_module(self, mod: torch.nn.Module) -> str:
        try:
            return super().path_of_module(mod)
        except NameError:
            return f"unregistered_{id(mod)}"


class _Root(torch.nn.Module):
    """The function as a module of its variables only, so that fx can trace it; a module
    it is (or a partial of) is registered, so that its parameters can be read."""

    def __init__(self, function: Callable[..., Any]) -> None:
        super().__init__()
        self.function = function
        inner = function.func if isinstance(function, functools.partial) else function
        if isinstance(inner, torch.nn.Module):
            self.inner = inner


class _One(_Root):
    def forward(self, x: Any) -> Any:
        return self.function(x)


class _Two(_Root):
    def forward(self, x: Any, y: Any) -> Any:
        return self.function(x, y)


def expression(function: Callable[..., Any], symbols: Sequence[sp.Symbol]) -> sp.Expr:
    """f as a SymPy expression of `symbols` (one or two), or `Untraceable`."""
    if len(symbols) not in (1, 2):
        raise Untraceable(f"{len(symbols)} variables")
    root = (_One if len(symbols) == 1 else _Two)(function)
    try:
        graph = _Tracer().trace(root)
    except Exception as error:  # control flow, numpy, float(x): the trace stops
        raise Untraceable(f"the trace stopped: {type(error).__name__}") from None
    if len(graph.nodes) > MAX_NODES:
        raise Untraceable(f"{len(graph.nodes)} operations")
    try:
        return _read(graph, root, symbols)
    except sympy_ops.Unmapped as error:
        raise Untraceable(str(error)) from None


def _read(graph: fx.Graph, root: torch.nn.Module, symbols: Sequence[sp.Symbol]) -> sp.Expr:
    """Each node of `graph` as SymPy, in order; the output's."""
    functions = _function_table()
    values: dict[fx.Node, Any] = {}
    placeholders = iter(symbols)

    def argument(value: Any) -> Any:
        return fx.node.map_aggregate(value, lambda v: _argument(v, values))

    for node in graph.nodes:
        if node.op == "placeholder":
            values[node] = next(placeholders)
        elif node.op == "get_attr":
            values[node] = _constant(_attribute(root, str(node.target)))
        elif node.op == "call_function":
            mapped = functions.get(node.target)
            if mapped is None:
                raise sympy_ops.Unmapped(f"{getattr(node.target, '__name__', node.target)}()")
            values[node] = sympy_ops.apply(mapped, argument(node.args), argument(node.kwargs))
        elif node.op == "call_method":
            mapped = sympy_ops.method(str(node.target))
            values[node] = sympy_ops.apply(mapped, argument(node.args), argument(node.kwargs))
        elif node.op == "output":
            return _single(argument(node.args[0]), symbols)
        else:
            raise sympy_ops.Unmapped(f"a {node.op} node")
    raise Untraceable("no output")


@functools.cache
def _function_table() -> dict[Any, Callable[..., Any]]:
    return sympy_ops.functions()


def _argument(value: Any, values: dict[fx.Node, Any]) -> Any:
    if isinstance(value, fx.Node):
        return values[value]
    if isinstance(value, bool) or value is None or isinstance(value, str | torch.dtype):
        return value
    if isinstance(value, int | float | torch.Tensor):
        return _constant(value)
    raise sympy_ops.Unmapped(f"an argument of type {type(value).__name__}")


def _constant(value: Any) -> sp.Expr:
    if isinstance(value, torch.Tensor):
        if value.numel() != 1 or value.is_complex() or value.dtype == torch.bool:
            raise sympy_ops.Unmapped("a tensor constant that is not one real number")
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise sympy_ops.Unmapped(f"a constant of type {type(value).__name__}")
    try:
        return nice_constant(float(value))
    except (ValueError, OverflowError):
        raise sympy_ops.Unmapped("a constant that is not finite") from None


def _attribute(root: torch.nn.Module, path: str) -> Any:
    value: Any = root
    for part in path.split("."):
        value = getattr(value, part)
    return value


def _single(value: Any, symbols: Sequence[sp.Symbol]) -> sp.Expr:
    """The output as one expression: a 1-tuple or 1-list is scalar, more is a vector."""
    if isinstance(value, tuple | list):
        if len(value) != 1:
            raise Untraceable("a vector result")
        (value,) = value
    if isinstance(value, int | float):  # bool too
        value = nice_constant(float(value))
    if not isinstance(value, sp.Expr):
        raise Untraceable(f"a result of type {type(value).__name__}")
    if not value.free_symbols <= set(symbols) or value.has(sp.I, sp.zoo, sp.nan, sp.oo):
        raise Untraceable("a result that is not a real expression of the variables")
    return value
