"""The Taylor polynomial of f at x0 (docs/protocol.md, "Taylor and tangent").

Its coefficients f(x0), f′(x0), f″(x0)/2!, …, f⁽ᵏ⁾(x0)/k! come from autograd at x0
itself, in float64 (never interpolated from the samples). Where autograd cannot serve at
x0 (the function converts the tensor to a number, or its result there does not depend
on the variable through torch operations) they are central finite differences, and a
warning says so with their estimated error; at a jump of f, f′ or f″ a warning says
that the coefficients are one side's. Coefficients that are not finite are refused.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import attrs
import numpy as np
import torch

from derivlens import model
from derivlens.calculus import stencils
from derivlens.calculus.autograd import FLOAT32_EPS, nested_grads
from derivlens.calculus.common import DTYPE, numeric, reraise_if_fatal
from derivlens.calculus.curves import finite_evaluator
from derivlens.errors import InvalidOptions
from derivlens.model import PlotWarning, TaylorRequest, WarningKind

#: How near x0 a jump must be (relative to the domain's width) to be "at x0".
AT_JUMP = 1e-8
JUMPS = ("f", "f′", "f″")


def attach(
    result: model.Result, function: Callable[..., Any], request: TaylorRequest | None
) -> model.Result:
    """`result` with its `taylor` field (and warnings) when the request asked for one."""
    if request is None:
        return result
    if not isinstance(result, model.CurvesResult):
        count = getattr(result, "outputs", 2)
        raise InvalidOptions(
            f"taylor: {result.function} returns {count} values; the Taylor polynomial needs "
            "a function with one value: leave taylor out",
            option="taylor",
        )
    x = np.array(result.x, dtype=float)
    found = [(d.x, d.order) for d in result.discontinuities]
    taylor, warnings = polynomial(function, request, x, result.method, found, result.function)
    return attrs.evolve(result, taylor=taylor, warnings=(*result.warnings, *warnings))


def polynomial(
    function: Callable[..., Any],
    request: TaylorRequest,
    x: np.ndarray,
    method: model.Method,
    jumps: Sequence[tuple[float, int]],
    name: str,
) -> tuple[model.Taylor, list[PlotWarning]]:
    """The polynomial of degree `request.order` at `request.at`, its values at `x`."""
    f, at, order = numeric(function), request.at, request.order
    warnings: list[PlotWarning] = []
    levels = _by_autograd(f, at, order) if method == "autograd" else None
    if levels is None:
        levels, note = _by_differences(function, at, order, x)
        warnings += [note] if note else []
    if not all(math.isfinite(v) for v in levels):
        raise InvalidOptions(
            f"taylor: {name} or its derivatives up to order {order} are not finite at "
            f"x0 = {at:g}; choose another x0",
            option="taylor",
        )
    coefficients = [v / math.factorial(k) for k, v in enumerate(levels)]
    width = float(x[-1] - x[0]) or 1.0
    near = [(p, k) for p, k in jumps if abs(p - at) <= AT_JUMP * width]
    if near:
        warnings.append(
            PlotWarning(
                WarningKind.DISAGREEMENT,
                f"taylor: x0 = {at:g} is at a jump of {JUMPS[min(k for _, k in near)]}: f has "
                "no Taylor polynomial there; the coefficients shown are autograd's, from one "
                "side",
            )
        )
    values = np.polynomial.polynomial.polyval(x - at, coefficients)
    series = [float(v) if math.isfinite(v) else None for v in values.tolist()]
    return model.Taylor(at=at, order=order, coefficients=coefficients, values=series), warnings


def _by_autograd(f: Callable[..., torch.Tensor], at: float, order: int) -> list[float] | None:
    """f(x0) and its derivatives up to `order` by autograd at x0 alone, or None where
    autograd cannot serve there (f fails on a tensor, or does not depend on it)."""
    point = torch.tensor(at, dtype=DTYPE).requires_grad_(True)
    free: set[int] = set()
    try:
        out = f(point.clone())
        if out.dim() != 0 or not out.requires_grad:
            return None
        grads = nested_grads(out, (point,), order, free)
        levels = [float(out.detach())] + [float(g[0].detach()) for g in grads]
        if free and _stops_at(f, at, min(free), levels[min(free) - 1]):
            return None
    except Exception as error:
        reraise_if_fatal(error)
        return None
    return levels


def _stops_at(f: Callable[..., torch.Tensor], at: float, level: int, below: float) -> bool:
    """Whether autograd's 0 for `level` at x0 (the level below had no graph) is autograd
    stopping, not that level being 0: the level below changes within a small step of x0
    (ReLU′ does not, away from its kink). Near a kink it changes too; the differences
    then serve, which is the safe side."""
    step = 1e-3 * max(1.0, abs(at))
    for x in (at - step, at + step):
        point = torch.tensor(x, dtype=DTYPE).requires_grad_(True)
        value = float(nested_grads(f(point.clone()), (point,), level - 1)[-1][0].detach())
        if abs(value - below) > 16 * FLOAT32_EPS * max(abs(value), abs(below)):
            return True
    return False


def _by_differences(
    function: Callable[..., Any], at: float, order: int, x: np.ndarray
) -> tuple[list[float], PlotWarning | None]:
    """The levels by central differences inside the domain, and a warning with their
    estimated error (none where f is constant: its derivatives are 0 within it)."""
    evaluate, _ = finite_evaluator(function, x, "")
    domain = (float(x[0]), float(x[-1]))
    point = np.array([at])
    levels, parts, constant = [float(evaluate(point)[0])], [], True
    for k in range(1, order + 1):
        value, error = (
            float(a[0]) for a in stencils.derivative_with_error(evaluate, point, k, domain)
        )
        constant = constant and abs(value) <= error
        levels.append(value)
        parts.append(f"order {k} to within about {error:.1g}")
    if constant:
        return [levels[0]] + [0.0] * order, None
    return levels, PlotWarning(
        WarningKind.FINITE_DIFFERENCE,
        f"taylor: autograd cannot serve f at x0 = {at:g}, so the Taylor coefficients are "
        f"central finite differences, not exact ({'; '.join(parts)})",
    )
