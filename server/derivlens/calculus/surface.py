"""f of two variables and its gradient on a grid.

As for curves, every call gets inputs of its own; autograd's gradient is checked against
central differences at three step sizes (`differences.disagreement`) along each axis,
and where autograd cannot follow f the gradient is by differences, on tensors or on
Python numbers, with its error estimated.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torch.func import vmap

from derivlens.calculus import differences, stencils
from derivlens.calculus.autograd import choose_autograd, cut_off, disconnection, nested_grads
from derivlens.calculus.common import (
    DTYPE,
    POINTWISE_ERRORS,
    FailsEverywhere,
    FunctionFailed,
    NotAScalar,
    null_out,
    numeric,
    probe_values,
    reraise_if_fatal,
    sample_points,
    tensors_else_numbers,
)
from derivlens.calculus.critical_2d import critical_points_2d, refined_critical_points
from derivlens.calculus.differences import Central
from derivlens.calculus.discontinuities import Discontinuity, precision
from derivlens.calculus.one_partial import one_partial
from derivlens.calculus.surface_jumps import find_surface_jumps, surface_jumps_text
from derivlens.model import Method, PlotWarning, WarningKind

#: f at arrays of x and y (NaN where undefined).
Evaluate2 = Callable[[np.ndarray, np.ndarray], np.ndarray]
Exact2 = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]


@dataclass
class Surface:
    """f of two variables on a grid (rows follow y) with its gradient (NaN = null)."""

    x: np.ndarray
    y: np.ndarray
    f: np.ndarray
    gradient_x: np.ndarray
    gradient_y: np.ndarray
    method: Method
    warnings: list[PlotWarning] = field(default_factory=list)
    critical_points: list[tuple[float, float]] = field(default_factory=list)
    discontinuities: list[Discontinuity] = field(default_factory=list)


def scalar_only(fn: Callable[..., Any]) -> Callable[..., torch.Tensor]:
    """`fn` as a number-valued function: a vector-valued f is for one variable only."""
    f = numeric(fn)

    def scalar_fn(*args: Any) -> torch.Tensor:
        out = f(*args)
        if out.dim() != 0:
            raise NotAScalar(
                f"the function returned {out.shape[-1]} values; a vector-valued f is plotted "
                "for one variable only, so return one number for two"
            )
        return out

    return scalar_fn


def differentiate_2d(
    fn: Callable[..., Any],
    domain: tuple[float, float],
    ydomain: tuple[float, float],
    samples: int,
) -> Surface:
    """f and its gradient on a `samples`×`samples` grid over `domain` × `ydomain`."""
    xs, ys = sample_points(domain, samples), sample_points(ydomain, samples)
    grid_y, grid_x = np.meshgrid(ys, xs, indexing="ij")
    px, py = grid_x.reshape(-1), grid_y.reshape(-1)
    f = scalar_only(fn)
    probes = [
        (torch.tensor(a, dtype=DTYPE), torch.tensor(b, dtype=DTYPE))
        for a, b in zip(probe_values(px), probe_values(py), strict=True)
    ]
    outcome, vectorized, reason = choose_autograd(
        f, probes, lambda: exact_vmap_2d(f, px, py), lambda: exact_loop_2d(f, px, py)
    )
    half = None if outcome is not None else one_partial(f, probes, px, py)
    if half is not None:  # autograd serves one partial: the other by differences below
        outcome, vectorized, missing = half
        half_reason = reason
    if outcome is not None:
        values, gx, gy, connected = outcome
        evaluate = evaluator_2d(f, vectorized)
        along_x = Central(lambda a, which: evaluate(a, py[which]), px)
        along_y = Central(lambda b, which: evaluate(px[which], b), py)
        # float32/float16 code: its rounding is judged at its own precision, as for curves.
        along_x.eps = along_y.eps = precision(values)
        cut = cut_off(connected, values, along_x) | cut_off(connected, values, along_y)
        reason = disconnection(cut)
    shape = grid_x.shape
    if outcome is None or reason is not None:
        values, gx, gy, warning, evaluate, errors = by_differences_2d(
            fn, px, py, reason or "autograd cannot follow this function"
        )
        jumps = _jumps(evaluate, xs, ys, values, gx, gy, errors)
        warnings, method = [warning], "finite-difference"
        warnings += [w for w in [_disagreement_2d(jumps, px, py, values, gx, gy)] if w]
    else:
        patched = _by_differences_where(cut, evaluate, px, py, gx, gy)
        centrals: list[Central | None] = [along_x, along_y]
        errors_by_axis: list[np.ndarray | None] = [None, None]
        other = None
        if half is not None:
            other, errors_by_axis[missing] = _other_partial(
                missing, half_reason, evaluate, px, py, (gx, gy)[missing]
            )
            centrals[missing] = None
        jumps = _jumps(evaluate, xs, ys, values, gx, gy, (errors_by_axis[0], errors_by_axis[1]))
        mismatch = _disagreement_2d(jumps, px, py, values, gx, gy, (centrals[0], centrals[1]))
        warnings, method = [w for w in (patched, other, mismatch) if w], "autograd"
    f_grid, gx, gy = values.reshape(shape), gx.reshape(shape), gy.reshape(shape)
    null_out(f_grid, [gx, gy], np.array([xs, ys]), warnings, "xy")
    surface = Surface(xs, ys, f_grid, gx, gy, method, warnings)  # type: ignore[arg-type]
    surface.discontinuities = jumps
    surface.critical_points = (
        refined_critical_points(f, vectorized, surface)
        if method == "autograd"
        else critical_points_2d(surface)
    )
    return surface


def exact_vmap_2d(f: Callable[..., torch.Tensor], px: np.ndarray, py: np.ndarray) -> Exact2:
    """Every grid point at once, as `curves.exact_vmap` does for curves."""
    tx = torch.tensor(px, dtype=DTYPE).requires_grad_(True)
    ty = torch.tensor(py, dtype=DTYPE).requires_grad_(True)
    out = vmap(lambda a, b: f(a.clone(), b.clone()))(tx, ty)
    connected = np.full(px.shape, out.requires_grad)
    gx, gy = nested_grads(out, (tx, ty), 1)[0]
    arrays = (out, gx, gy)
    values, dx, dy = (a.detach().numpy(force=True).copy() for a in arrays)
    return values, dx, dy, connected


def exact_loop_2d(f: Callable[..., torch.Tensor], px: np.ndarray, py: np.ndarray) -> Exact2:
    n = len(px)
    values, gx, gy = np.full(n, np.nan), np.full(n, np.nan), np.full(n, np.nan)
    connected = np.ones(n, dtype=bool)
    failures: list[BaseException] = []
    for i, (u, v) in enumerate(zip(px.tolist(), py.tolist(), strict=True)):
        a = torch.tensor(u, dtype=DTYPE).requires_grad_(True)
        b = torch.tensor(v, dtype=DTYPE).requires_grad_(True)
        try:
            out = f(a.clone(), b.clone())
        except POINTWISE_ERRORS as error:
            failures.append(error)
            continue
        values[i] = out.item()
        connected[i] = out.requires_grad
        da, db = nested_grads(out, (a, b), 1)[0]
        gx[i], gy[i] = da.item(), db.item()
    if len(failures) == n:
        raise FailsEverywhere(failures[0])
    return values, gx, gy, connected


def evaluator_2d(
    f: Callable[..., torch.Tensor], vectorized: bool, numbers: bool = False
) -> Evaluate2:
    """f at arrays of x and y, without gradients; each call gets fresh inputs."""

    def wrap(v: float) -> Any:
        return v if numbers else torch.tensor(v, dtype=DTYPE)

    def evaluate(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            if vectorized:
                return (
                    vmap(f)(torch.tensor(a, dtype=DTYPE), torch.tensor(b, dtype=DTYPE))
                    .numpy()
                    .copy()
                )
            return _pairwise(lambda u, v: f(wrap(u), wrap(v)).item(), a, b)

    return evaluate


def _pairwise(call: Callable[[float, float], float], a: np.ndarray, b: np.ndarray) -> np.ndarray:
    out = np.full(len(a), np.nan)
    first_error: BaseException | None = None
    for i, (u, v) in enumerate(zip(a.tolist(), b.tolist(), strict=True)):
        try:
            out[i] = call(u, v)
        except POINTWISE_ERRORS as error:
            first_error = first_error or error
        except Exception as error:
            reraise_if_fatal(error)
            raise FunctionFailed(error) from error
    if first_error is not None and np.isnan(out).all():
        raise FunctionFailed(first_error) from first_error
    return out


def by_differences_2d(
    fn: Callable[..., Any], px: np.ndarray, py: np.ndarray, reason: str
) -> tuple[
    np.ndarray, np.ndarray, np.ndarray, PlotWarning, Evaluate2, tuple[np.ndarray, np.ndarray]
]:
    """f and its gradient by differences (on tensors, or on numbers where tensors fail),
    the warning, the evaluator used and the partials' estimated errors."""
    f = scalar_only(fn)
    a, b = probe_values(px), probe_values(py)
    evaluate, reason = tensors_else_numbers(
        evaluator_2d(f, vectorized=False),
        lambda: evaluator_2d(f, vectorized=False, numbers=True),
        lambda e: e(a, b),
        reason,
    )
    values = evaluate(px, py)
    gx, ex = _partial(evaluate, px, py, 0, _span(px))
    gy, ey = _partial(evaluate, px, py, 1, _span(py))
    worst = [float(e[np.isfinite(e)].max()) for e in (ex, ey) if np.isfinite(e).any()]
    estimate = (
        f"to within about {max(worst):.1g}"
        if worst
        else "with an error that could not be estimated"
    )
    warning = PlotWarning(
        WarningKind.FINITE_DIFFERENCE,
        f"{reason}, so the gradient is central finite differences, not exact: estimated from "
        f"two step sizes, {estimate}; use torch functions on x and y for exact ones",
    )
    return values, gx, gy, warning, evaluate, (ex, ey)


def _jumps(
    evaluate: Evaluate2,
    xs: np.ndarray,
    ys: np.ndarray,
    values: np.ndarray,
    gx: np.ndarray,
    gy: np.ndarray,
    errors: tuple[np.ndarray | None, np.ndarray | None],
) -> list[Discontinuity]:
    """Where f jumps between grid points (`surface_jumps`), on the grid's shape."""
    shape = (len(ys), len(xs))
    grids = [None if e is None else e.reshape(shape) for e in errors]
    return find_surface_jumps(
        evaluate,
        xs,
        ys,
        values.reshape(shape),
        (gx.reshape(shape), gy.reshape(shape)),
        (grids[0], grids[1]),
    )


def _other_partial(
    axis: int,
    reason: str | None,
    evaluate: Evaluate2,
    px: np.ndarray,
    py: np.ndarray,
    into: np.ndarray,
) -> tuple[PlotWarning, np.ndarray]:
    """The partial autograd has no derivative for, by differences in place (`into`), with
    the warning that says so and its estimated error per point."""
    span = _span(px if axis == 0 else py)
    into[:], error = _partial(evaluate, px, py, axis, span)
    name = "xy"[axis]
    estimate = (
        f"to within about {float(np.nanmax(error)):.1g}"
        if np.isfinite(error).any()
        else "with an error that could not be estimated"
    )
    why = (reason or "").removeprefix("autograd cannot follow this function (")
    why = why.removesuffix(")") if why != reason else why or "it cannot follow it"
    return PlotWarning(
        WarningKind.FINITE_DIFFERENCE,
        f"autograd has no derivative of this function with respect to {name} ({why}), so "
        f"∂f/∂{name} is central finite differences, not exact: {estimate}; ∂f/∂{'yx'[axis]} "
        "is exact",
    ), error


def _by_differences_where(
    cut: np.ndarray,
    evaluate: Evaluate2,
    px: np.ndarray,
    py: np.ndarray,
    gx: np.ndarray,
    gy: np.ndarray,
) -> PlotWarning | None:
    """The gradient by differences, in place, at the few grid points autograd cannot serve
    (a branch returning a constant there), as for curves."""
    if not cut.any():
        return None
    a, b = px[cut], py[cut]
    gx[cut], ex = _partial(evaluate, a, b, 0, _span(px))
    gy[cut], ey = _partial(evaluate, a, b, 1, _span(py))
    worst = np.fmax(ex, ey)
    estimate = (
        f"to within about {float(np.nanmax(worst)):.1g}"
        if np.isfinite(worst).any()
        else "with an error that could not be estimated"
    )
    return PlotWarning(
        WarningKind.FINITE_DIFFERENCE,
        f"autograd cannot follow this function at {int(cut.sum())} grid point"
        f"{'s' if cut.sum() > 1 else ''} (first at x = {a[0]:.6g}, y = {b[0]:.6g}: there its "
        "result does not depend on the variables through torch operations, e.g. a branch "
        f"that returns a constant), so the gradient there is central finite differences, "
        f"{estimate}",
    )


def _partial(
    evaluate: Evaluate2, px: np.ndarray, py: np.ndarray, axis: int, span: tuple[float, float]
) -> tuple[np.ndarray, np.ndarray]:
    """∂f/∂x (axis 0) or ∂f/∂y (axis 1) by differences at the points (px, py)."""
    if axis == 0:
        return stencils.derivative_with_error(
            lambda s: evaluate(s, py), px, 1, span, lambda s, rows: evaluate(s, py[rows])
        )
    return stencils.derivative_with_error(
        lambda s: evaluate(px, s), py, 1, span, lambda s, rows: evaluate(px[rows], s)
    )


def _span(coordinates: np.ndarray) -> tuple[float, float]:
    """The domain along one axis: differences stay inside it."""
    return float(coordinates.min()), float(coordinates.max())


def _disagreement_2d(
    jumps: list[Discontinuity],
    px: np.ndarray,
    py: np.ndarray,
    values: np.ndarray,
    gx: np.ndarray,
    gy: np.ndarray,
    centrals: tuple[Central | None, Central | None] | None = None,
) -> PlotWarning | None:
    """One `disagreement` warning: the jumps of f found between grid points, then the grid
    points where autograd's gradient and central differences disagree (`centrals`, for
    autograd's gradient) away from those jumps."""
    parts = [surface_jumps_text(jumps)] if jumps else []
    differs = np.zeros(len(px), dtype=bool)
    for along, slope in zip(centrals or (), (gx, gy), strict=False):
        if along is None:  # that partial is by differences: nothing to check it against
            continue
        wrong, kinks = differences.disagreement(along, slope, values)
        differs |= wrong | kinks
    if jumps:  # the grid points beside a jump see that jump
        dx = float(np.ptp(px)) / max(1, int(np.sqrt(len(px))) - 1)
        dy = float(np.ptp(py)) / max(1, int(np.sqrt(len(py))) - 1)
        for d in jumps:
            assert d.y is not None
            differs[(np.abs(px - d.x) <= 2.5 * dx) & (np.abs(py - d.y) <= 2.5 * dy)] = False
    if differs.any():
        where = np.flatnonzero(differs)
        first = where[0]
        axis = next(i for i, c in enumerate(centrals or ()) if c is not None)
        central = (centrals or (None, None))[axis]
        assert central is not None
        estimate = central.at(1)[0][first]
        name, exact = "xy"[axis], (gx, gy)[axis][first]
        parts.append(
            f"autograd and a central difference disagree at {len(where)} grid point"
            f"{'s' if len(where) > 1 else ''} (first at x = {px[first]:.6g}, y = "
            f"{py[first]:.6g}: ∂f/∂{name} = {exact:.6g} by autograd, {estimate:.6g} by "
            "differences)"
        )
    if not parts:
        return None
    tail = (
        "f may have a kink or a jump there, or a custom backward may be wrong; the values "
        "shown are autograd's"
        if centrals is not None
        else "the finite differences at the grid points beside them may straddle them"
    )
    return PlotWarning(WarningKind.DISAGREEMENT, "; and ".join(parts) + ". " + tail)
