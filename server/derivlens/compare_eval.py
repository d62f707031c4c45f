"""g beside f: the `compare` field of a result (docs/protocol.md, "Compare").

Runs where f is evaluated (the sandboxed child, or the user's kernel): g is sampled on
f's own x with f's order (for two variables, on f's grid with its gradient) by the same
calculus, so its values and derivatives mean what f's do; the difference f − g is taken
sample by sample (null where either is). What the server could not check from the
source is checked here: g's runtime number of variables, and that f and g each return
one number.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import attrs

from derivlens import model, results
from derivlens.comparison import different_counts, refused
from derivlens.errors import DerivlensError, ErrorKind
from derivlens.model import EvaluationRequest, PlotWarning

if TYPE_CHECKING:
    from derivlens.targets import Target


def in_child(module: Any, request: EvaluationRequest, result: model.Result) -> model.Result:
    """`result` with g of `request.compare` (found in the child's `module` as f is, its
    held parameters at their defaults) beside it; g's failure names g."""
    from derivlens import calculus, targets
    from derivlens.runner import user_error

    assert request.compare is not None
    wanted = request.compare
    as_f = attrs.evolve(
        request,
        function=wanted.function,
        kind=wanted.kind,
        variables=wanted.variables,
        components=wanted.components,
        params={},
        compare=None,
    )
    target = found(lambda: targets.find(module, as_f))
    try:
        return with_comparison(result, target.function, wanted.function, target.variables)
    except calculus.FunctionFailed as failed:
        raise user_error(failed.error, request, f"compare: {wanted.function}") from None


def found(find: Callable[[], Target]) -> Target:
    """g as `find` gets it; that g cannot be plotted is a bad `compare` value."""
    try:
        return find()
    except DerivlensError as error:
        if error.kind in (ErrorKind.NOT_FOUND, ErrorKind.UNSUPPORTED_SIGNATURE):
            raise refused(error.message) from None
        raise


def with_comparison(
    result: model.Result, function: Any, name: str, variables: tuple[str, ...]
) -> model.Result:
    """`result` with the `compare` field for `function` (named `name`, of `variables`);
    `calculus.FunctionFailed` if it raises, for the caller to say where."""
    from derivlens import calculus

    check_shapes(result, name, variables)
    if isinstance(result, model.SurfaceResult):
        return _with_surface(result, function, name)
    assert isinstance(result, model.CurvesResult)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            curves = calculus.differentiate_1d(function, result.domain, len(result.x), result.order)
    except calculus.NotAScalar as error:
        raise DerivlensError(ErrorKind.USER_ERROR, f"compare: {name}: {error}") from None
    if curves.outputs is not None:
        raise refused(f"{name} returns {curves.outputs} values; {_ONE_NUMBER}")
    values = results.series(curves.f)
    compared = model.Comparison(
        function=name,
        f=values,
        derivatives={
            key: results.series(curves.derivatives[int(key)]) for key in result.derivatives
        },
        difference=difference(result.f, values),
    )
    return attrs.evolve(result, compare=compared, warnings=_with_notes(result, name, curves))


def _with_surface(result: model.SurfaceResult, function: Any, name: str) -> model.Result:
    """`result` with g of two variables on f's grid: its values, its partials keyed "x"
    and "y" as f's gradient is, and f − g cell by cell."""
    from derivlens import calculus

    assert result.ydomain is not None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            surface = calculus.differentiate_2d(
                function, result.domain, result.ydomain, len(result.x)
            )
    except calculus.NotAScalar:
        raise refused(
            f"{name} returns {_several(function, result)} values; {_ONE_NUMBER}"
        ) from None
    values = results.grid(surface.f)
    compared = model.SurfaceComparison(
        function=name,
        f=values,
        derivatives={"x": results.grid(surface.gradient_x), "y": results.grid(surface.gradient_y)},
        difference=[difference(a, b) for a, b in zip(result.f, values, strict=True)],
    )
    return attrs.evolve(result, compare=compared, warnings=_with_notes(result, name, surface))


def _with_notes(result: model.Result, name: str, evaluated: Any) -> tuple[PlotWarning, ...]:
    """f's warnings, then g's, each saying it is about g."""
    notes = (
        PlotWarning(w.kind, f"compared function {name}: {w.message}") for w in evaluated.warnings
    )
    return (*result.warnings, *notes)


def _several(function: Any, result: model.SurfaceResult) -> str:
    """How many values g returned (for the refusal), from one call at the grid's corner;
    "several" if that call says nothing clearer."""
    import torch

    from derivlens.calculus.common import to_output

    corner = (torch.tensor(result.domain[0]), torch.tensor(result.ydomain[0]))
    try:
        shape = to_output(function(*corner)).shape
    except Exception:
        return "several"
    return str(shape[0]) if len(shape) == 1 else "several"


_ONE_NUMBER = "compare works with functions that return one number"


def check_shapes(result: model.Result, name: str, variables: tuple[str, ...]) -> None:
    """Refuse what cannot be compared: a different number of variables, and a
    vector-valued f (its components would each need their own g)."""
    if len(variables) != len(result.variables):
        raise refused(
            different_counts(result.function, len(result.variables), name, len(variables))
        )
    if isinstance(result, model.VectorCurvesResult):
        raise refused(f"{result.function} returns {result.outputs} values; {_ONE_NUMBER}")


def difference(f: model.Series, g: model.Series) -> model.Series:
    """f − g at each sample; null where either is null or the difference overflows."""
    out: model.Series = []
    for a, b in zip(f, g, strict=True):
        d = None if a is None or b is None else a - b
        out.append(d if d is not None and math.isfinite(d) else None)
    return out
