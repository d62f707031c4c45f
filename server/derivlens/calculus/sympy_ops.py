"""The tensor operations a formula can be read from, each as the SymPy expression it is.

Keyed by the operation's name as torch spells it: a `torch.` or `torch.special.`
function, a `torch.nn.functional` function, an `operator` function (what `x * y`,
`x ** 2` and `abs(x)` trace to) or a `Tensor` method. Each entry takes the operation's
arguments as torch takes them (SymPy expressions where torch takes a tensor), so keyword
and positional arguments bind as they would for torch. Anything not here, and any
argument an entry does not know (`out=`, `inplace=True`, a rounding mode), is not
mapped: the formula is then null (docs/protocol.md, "Formula").
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any

import sympy as sp


class Unmapped(Exception):
    """An operation, or an argument of one, that has no SymPy counterpart here."""


Expr = Any  # a SymPy expression, or a number it accepts


def _sigmoid(x: Expr) -> Expr:
    return 1 / (1 + sp.exp(-x))


def _softplus(x: Expr, beta: Expr = 1, threshold: Expr = 20) -> Expr:
    # torch returns x itself where beta·x > threshold: log(1 + e^t) - t < 2.1e-9 · t there,
    # and the numeric check decides whether that is within the tolerance for this plot.
    return sp.log(1 + sp.exp(beta * x)) / beta


def _gelu(x: Expr, approximate: str = "none") -> Expr:
    if approximate == "none":
        return x / 2 * (1 + sp.erf(x / sp.sqrt(2)))
    if approximate == "tanh":
        inner = sp.sqrt(2 / sp.pi) * (x + sp.Rational(44715, 1000000) * x**3)
        return x / 2 * (1 + sp.tanh(inner))
    raise Unmapped(f"gelu(approximate={approximate!r})")


def _not_in_place(inplace: bool = False) -> None:
    if inplace:
        raise Unmapped("an in-place activation")


def _silu(x: Expr, inplace: bool = False) -> Expr:
    _not_in_place(inplace)
    return x * _sigmoid(x)


def _mish(x: Expr, inplace: bool = False) -> Expr:
    _not_in_place(inplace)
    return x * sp.tanh(_softplus(x))


def _add(x: Expr, y: Expr, alpha: Expr = 1) -> Expr:
    return x + alpha * y


def _sub(x: Expr, y: Expr, alpha: Expr = 1) -> Expr:
    return x - alpha * y


def _rsub(x: Expr, y: Expr, alpha: Expr = 1) -> Expr:
    return y - alpha * x


def _div(x: Expr, y: Expr, rounding_mode: str | None = None) -> Expr:
    if rounding_mode is not None:
        raise Unmapped(f"div(rounding_mode={rounding_mode!r})")
    return x / y


def _double(x: Expr, *args: Any, **kwargs: Any) -> Expr:
    """`.to(torch.float64)`, `.double()`, `.clone()`: the same values (only float64)."""
    import torch

    for value in (*args, *kwargs.values()):
        if isinstance(value, torch.dtype) and value != torch.float64:
            raise Unmapped(f"a conversion to {value}")
        if not isinstance(value, torch.dtype | bool) and value is not None:
            raise Unmapped(f"a conversion argument {value!r}")
    return x


def _unary(function: Callable[[Expr], Expr]) -> Callable[[Expr], Expr]:
    def one(x: Expr) -> Expr:
        return function(x)

    return one


_UNARY: dict[str, Callable[[Expr], Expr]] = {
    "sin": sp.sin,
    "cos": sp.cos,
    "tan": sp.tan,
    "asin": sp.asin,
    "acos": sp.acos,
    "atan": sp.atan,
    "arcsin": sp.asin,
    "arccos": sp.acos,
    "arctan": sp.atan,
    "sinh": sp.sinh,
    "cosh": sp.cosh,
    "tanh": sp.tanh,
    "asinh": sp.asinh,
    "acosh": sp.acosh,
    "atanh": sp.atanh,
    "arcsinh": sp.asinh,
    "arccosh": sp.acosh,
    "arctanh": sp.atanh,
    "exp": sp.exp,
    "exp2": lambda x: 2**x,
    "expm1": lambda x: sp.exp(x) - 1,
    "log": sp.log,
    "log2": lambda x: sp.log(x) / sp.log(2),
    "log10": lambda x: sp.log(x) / sp.log(10),
    "log1p": lambda x: sp.log(1 + x),
    "sqrt": sp.sqrt,
    "rsqrt": lambda x: 1 / sp.sqrt(x),
    "square": lambda x: x**2,
    "reciprocal": lambda x: 1 / x,
    "abs": sp.Abs,
    "absolute": sp.Abs,
    "neg": operator.neg,
    "negative": operator.neg,
    "pos": operator.pos,
    "positive": operator.pos,
    "erf": sp.erf,
    "erfc": sp.erfc,
    "sigmoid": _sigmoid,
    "expit": _sigmoid,
    "logsigmoid": lambda x: -sp.log(1 + sp.exp(-x)),
    "softsign": lambda x: x / (1 + sp.Abs(x)),
    "tanhshrink": lambda x: x - sp.tanh(x),
    "clone": lambda x: x,
    "contiguous": lambda x: x,
}

#: Every operation by name: `torch.X`, `torch.special.X`, `F.X`, `operator.X`, `Tensor.X`.
OPERATIONS: dict[str, Callable[..., Expr]] = {
    **{name: _unary(function) for name, function in _UNARY.items()},
    "add": _add,
    "sub": _sub,
    "subtract": _sub,
    "rsub": _rsub,
    "mul": operator.mul,
    "multiply": operator.mul,
    "truediv": _div,
    "div": _div,
    "divide": _div,
    "true_divide": _div,
    "pow": operator.pow,
    "float_power": operator.pow,
    "atan2": sp.atan2,
    "arctan2": sp.atan2,
    "softplus": _softplus,
    "gelu": _gelu,
    "silu": _silu,
    "mish": _mish,
    "double": _double,
    "to": _double,
}

#: Where traced functions come from: their names there are OPERATIONS' names.
_NAMESPACES = ("torch", "torch.special", "torch.nn.functional", "operator")


def functions() -> dict[Any, Callable[..., Expr]]:
    """The traceable functions, by the function object itself (what torch.fx records)."""
    import importlib

    table: dict[Any, Callable[..., Expr]] = {}
    for module_name in _NAMESPACES:
        module = importlib.import_module(module_name)
        for name, mapped in OPERATIONS.items():
            function = getattr(module, name, None)
            if function is not None and callable(function):
                table.setdefault(function, mapped)
    return table


def method(name: str) -> Callable[..., Expr]:
    """The mapping of the Tensor method `name`; in-place methods (`mul_`) are refused."""
    if name.endswith("_") and not name.startswith("__"):
        raise Unmapped(f"the in-place method .{name}()")
    mapped = OPERATIONS.get(name)
    if mapped is None:
        raise Unmapped(f"the method .{name}()")
    return mapped


def apply(mapped: Callable[..., Expr], args: tuple[Any, ...], kwargs: dict[str, Any]) -> Expr:
    """`mapped(*args, **kwargs)`; arguments it does not take (`out=`) are Unmapped."""
    if kwargs.get("out") is not None:
        raise Unmapped("an out= argument")
    kwargs = {k: v for k, v in kwargs.items() if k != "out"}
    try:
        return mapped(*args, **kwargs)
    except TypeError as error:
        raise Unmapped(str(error)) from None
