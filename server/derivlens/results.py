"""From `calculus`'s arrays to the contract's result types (in the sandboxed child).

numpy arrays become JSON-ready lists with None where a value is not finite; the
request supplies what the result repeats (variables, domain, order).
"""

from __future__ import annotations

import math
from typing import Any

import attrs

from derivlens import model
from derivlens.errors import DerivlensError, ErrorKind
from derivlens.model import EvaluationRequest, PlotWarning, Result
from derivlens.options import PlotOptions


@attrs.frozen
class Plan:
    """What a result repeats of its request, once the callable's variables are known."""

    function: str
    variables: tuple[str, ...]
    fixed: dict[str, model.FixedValue]
    options: PlotOptions
    warnings: tuple[PlotWarning, ...]

    @classmethod
    def of(cls, request: EvaluationRequest, target: Any) -> Plan:
        settled = request.settled.get(str(len(target.variables)))
        if settled is None:
            raise DerivlensError(ErrorKind.INTERNAL, "no options for this many variables")
        if settled.error is not None:
            raise settled.error.to_exception()
        assert settled.options is not None
        return cls(
            request.function, target.variables, target.fixed, settled.options, settled.warnings
        )


def series(values: Any) -> list[float | None]:
    """A NaN-holed array as a list with None."""
    return [float(v) if math.isfinite(v) else None for v in values.tolist()]


def grid(values: Any) -> list[list[float | None]]:
    return [series(row) for row in values]


def curves(plan: Plan, c: Any) -> Result:
    """Curves of one variable; a vector-valued f has one series per component."""
    shared: dict[str, Any] = {
        "function": plan.function,
        "variables": plan.variables,
        "fixed": plan.fixed,
        "domain": plan.options.domain,
        "order": plan.options.order,
        "method": c.method,
        "x": series(c.x),
        "warnings": (*plan.warnings, *c.warnings),
        "discontinuities": [model.Discontinuity(float(d.x), d.order) for d in c.discontinuities],
    }
    derivatives = sorted(c.derivatives.items())
    if c.outputs is not None:
        return model.VectorCurvesResult(
            **shared,
            outputs=c.outputs,
            f=[series(column) for column in c.f.T],
            derivatives={str(k): [series(col) for col in v.T] for k, v in derivatives},
            critical_points=[[float(p) for p in points] for points in c.critical_points],
        )
    return model.CurvesResult(
        **shared,
        f=series(c.f),
        derivatives={str(k): series(v) for k, v in derivatives},
        critical_points=[float(p) for p in c.critical_points],
        inflection_points=[float(p) for p in c.inflection_points],
    )


def surface(plan: Plan, s: Any) -> Result:
    assert plan.options.ydomain is not None
    return model.SurfaceResult(
        function=plan.function,
        variables=plan.variables,
        fixed=plan.fixed,
        domain=plan.options.domain,
        ydomain=plan.options.ydomain,
        order=1,
        method=s.method,
        x=series(s.x),
        y=series(s.y),
        f=grid(s.f),
        gradient=model.Gradient(x=grid(s.gradient_x), y=grid(s.gradient_y)),
        critical_points=[(float(x), float(y)) for x, y in s.critical_points],
        discontinuities=[
            model.Discontinuity(float(d.x), d.order, y=float(d.y)) for d in s.discontinuities
        ],
        warnings=(*plan.warnings, *s.warnings),
    )


def with_image(result: Result, image: model.Image) -> Result:
    return attrs.evolve(result, image=image)
