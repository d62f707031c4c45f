"""The closed form of f and of its derivatives, shown only once the samples prove it.

f is traced to one SymPy expression (`tracing`); SymPy differentiates it; each
expression is tidied (expanded if a polynomial, else `sympy.simplify` where that is
shorter, within `SIMPLIFY_S` for all of them together: past it, the unsimplified
expression). Then the proof: each expression, evaluated at the result's samples, must be
the value autograd gave there to 1e-9 of that curve's scale (its largest finite
magnitude), at every point where that value is finite; if one is not, the formula is
None. Anything that cannot be traced, mapped, proven or printed short enough is None
too: never a wrong formula, never a failure of the plot (docs/protocol.md, "Formula").
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import sympy as sp

from derivlens import model
from derivlens.calculus.timelimit import OutOfTime, limited
from derivlens.calculus.tracing import Untraceable, expression
from derivlens.formula_check import expected_keys

#: Time for all the simplification of one formula; past it, the unsimplified forms.
SIMPLIFY_S = 0.2
#: Time for the trace with the derivatives, and again for the proof with the printing.
STEP_S = 0.5
#: How close each expression must be to the samples, relative to the curve's scale.
TOLERANCE = 1e-9
#: Fewest finite samples that make a proof (all of them when there are fewer).
MIN_PROOF_POINTS = 3
#: Longest formula text (SymPy or LaTeX) worth showing; a longer one is None.
MAX_TEXT = 2000


def _reserved(name: str) -> bool:
    """A variable name that SymPy's text would read as something else (`E`, `pi`, `beta`)."""
    return not name.isidentifier() or hasattr(sp, name)


def _symbol_name(variable: str) -> str:
    """A component of vector input, `v[0]`, as SymPy writes a subscript: `v_0` (LaTeX
    `v_{0}`; docs/protocol.md, "Vector input")."""
    return re.sub(r"\[(\d)\]$", r"_\1", variable)


class Unproven(Exception):
    """An expression differs from the samples (or cannot be evaluated at them)."""


def formula_of(function: Callable[..., Any], result: model.Result) -> model.FormulaTexts | None:
    """The formula of `function` checked against `result`'s samples, or None."""
    if isinstance(result, model.VectorCurvesResult) or result.method != "autograd":
        return None
    names = [_symbol_name(name) for name in result.variables]
    if any(_reserved(name) for name in names):
        return None
    symbols = [sp.Symbol(name, real=True) for name in names]
    try:
        with limited(STEP_S):
            f = expression(function, symbols)
            raw = derivatives(f, symbols, result)
        tidy = tidied(raw, symbols)
        with limited(STEP_S):
            prove(tidy, symbols, result)
            return texts(tidy)
    except (Untraceable, Unproven, OutOfTime):
        return None
    except (Exception, SystemExit):  # SymPy failing on an odd expression, user code
        return None  # exiting under the trace: no formula, the plot stands


def derivatives(f: sp.Expr, symbols: Sequence[sp.Symbol], result: model.Result) -> dict[str, Any]:
    """f and its derivatives by key, each differentiated from the one before."""
    if isinstance(result, model.SurfaceResult):
        return {"f": f, "x": sp.diff(f, symbols[0]), "y": sp.diff(f, symbols[1])}
    exprs: dict[str, Any] = {"f": f}
    previous = f
    for key in expected_keys(result)[1:]:
        previous = exprs[key] = sp.diff(previous, symbols[0])
    return exprs


def tidied(exprs: dict[str, Any], symbols: Sequence[sp.Symbol]) -> dict[str, Any]:
    """Each expression in its shortest form found within `SIMPLIFY_S` for them all (an
    equal share each, and what one leaves goes to the next); CPU time, as `limited` counts."""
    deadline = time.process_time() + SIMPLIFY_S
    tidy: dict[str, Any] = {}
    for done, (key, expr) in enumerate(exprs.items()):
        tidy[key] = expr
        share = (deadline - time.process_time()) / (len(exprs) - done)
        try:
            with limited(share) as can:
                if expr.is_polynomial(*symbols):
                    tidy[key] = sp.expand(expr)
                elif can:
                    tidy[key] = shorter(expr, sp.simplify(expr))
        except OutOfTime:
            continue
    return tidy


def shorter(expr: Any, simplified: Any) -> Any:
    """`simplified` if it has fewer operations and only functions `expr` has: a student
    who wrote a sigmoid reads `exp(-x)/(1 + exp(-x))**2`, not `1/(4*cosh(x/2)**2)`."""
    kinds = {type(f) for f in expr.atoms(sp.Function)}
    if any(type(f) not in kinds for f in simplified.atoms(sp.Function)):
        return expr
    return min((expr, simplified), key=lambda e: (sp.count_ops(e), len(str(e))))


def prove(exprs: dict[str, Any], symbols: Sequence[sp.Symbol], result: model.Result) -> None:
    """Raise `Unproven` unless every expression matches its curve at the samples."""
    points, curves = samples(result)
    for key, expr in exprs.items():
        values = evaluate(expr, symbols, points)
        reference = curves[key]
        finite = np.isfinite(reference)
        if finite.sum() < min(MIN_PROOF_POINTS, reference.size):
            raise Unproven(f"{key}: too few finite samples")
        scale = float(np.max(np.abs(reference[finite])))
        error = np.abs(values[finite] - reference[finite])
        if not np.all(error <= TOLERANCE * scale):  # NaN in values fails too
            raise Unproven(f"{key}: off by {np.nanmax(error):.3g} at scale {scale:.3g}")


def samples(result: model.Result) -> tuple[list[np.ndarray], dict[str, np.ndarray]]:
    """The sample points (one array per variable) and each curve there, NaN for null."""

    def array(values: Any) -> np.ndarray:
        return np.array(values, dtype=float)  # None becomes NaN

    if isinstance(result, model.SurfaceResult):
        grid = list(np.meshgrid(array(result.x), array(result.y)))
        gradient = result.gradient
        curves = {"f": array(result.f), "x": array(gradient.x), "y": array(gradient.y)}
        return grid, curves
    assert isinstance(result, model.CurvesResult)
    curves = {"f": array(result.f), **{k: array(v) for k, v in result.derivatives.items()}}
    return [array(result.x)], curves


_ERF = np.vectorize(math.erf, otypes=[float])
_ERFC = np.vectorize(math.erfc, otypes=[float])


def evaluate(expr: Any, symbols: Sequence[sp.Symbol], points: list[np.ndarray]) -> np.ndarray:
    """`expr` at the points, as float64 (NaN where it is not a real number)."""
    function = sp.lambdify(symbols, expr, modules=[{"erf": _ERF, "erfc": _ERFC}, "numpy"])
    with np.errstate(all="ignore"):
        values = np.asarray(function(*points))
    if np.iscomplexobj(values):
        raise Unproven("complex values")
    return np.broadcast_to(values.astype(float), points[0].shape)


def texts(exprs: dict[str, Any]) -> model.FormulaTexts:
    """The SymPy text and LaTeX of each expression; `Unproven` if one is too long."""
    formula: model.FormulaTexts = {key: sp.sstr(expr) for key, expr in exprs.items()}
    formula["latex"] = {key: sp.latex(expr) for key, expr in exprs.items()}
    lengths = [len(t) for t in formula.values() if isinstance(t, str)]
    lengths += [len(t) for t in formula["latex"].values()]  # type: ignore[union-attr]
    if max(lengths) > MAX_TEXT:
        raise Unproven("a formula too long to show")
    return formula
