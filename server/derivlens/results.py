"""From `calculus`'s arrays to the contract's result types (in the sandboxed child).

numpy arrays become JSON-ready lists with None where a value is not finite; the
request supplies what the result repeats (variables, domain, order).
"""

from __future__ import annotations

import math
from typing import Any

import attrs

from derivlens import model
from derivlens.model import EvaluationRequest, PlotWarning, Result


def series(values: Any) -> list[float | None]:
    """A NaN-holed array as a list with None."""
    return [float(v) if math.isfinite(v) else None for v in values.tolist()]


def grid(values: Any) -> list[list[float | None]]:
    return [series(row) for row in values]


def warnings_of(request: EvaluationRequest, found: list[PlotWarning]) -> tuple[PlotWarning, ...]:
    """The request's own warnings (options that gave way) and the evaluation's."""
    return (*request.warnings, *found)


def curves(request: EvaluationRequest, fixed: dict[str, model.FixedValue], c: Any) -> Result:
    return model.CurvesResult(
        function=request.function,
        variables=request.variables,
        fixed=fixed,
        domain=request.options.domain,
        order=request.options.order,
        method=c.method,
        x=series(c.x),
        f=series(c.f),
        derivatives={str(k): series(v) for k, v in sorted(c.derivatives.items())},
        critical_points=[float(p) for p in c.critical_points],
        warnings=warnings_of(request, c.warnings),
    )


def surface(request: EvaluationRequest, fixed: dict[str, model.FixedValue], s: Any) -> Result:
    assert request.options.ydomain is not None
    return model.SurfaceResult(
        function=request.function,
        variables=request.variables,
        fixed=fixed,
        domain=request.options.domain,
        ydomain=request.options.ydomain,
        order=1,
        method=s.method,
        x=series(s.x),
        y=series(s.y),
        f=grid(s.f),
        gradient=model.Gradient(x=grid(s.gradient_x), y=grid(s.gradient_y)),
        critical_points=[(float(x), float(y)) for x, y in s.critical_points],
        warnings=warnings_of(request, s.warnings),
    )


def with_image(result: Result, image: model.Image) -> Result:
    return attrs.evolve(result, image=image)
