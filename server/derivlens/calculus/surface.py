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
    if outcome is not None:
        values, gx, gy, connected = outcome
        evaluate = evaluator_2d(f, vectorized)
        along_x = Central(lambda a, which: evaluate(a, py[which]), px)
        along_y = Central(lambda b, which: evaluate(px[which], b), py)
        cut = cut_off(connected, values, along_x) | cut_off(connected, values, along_y)
        reason = disconnection(cut)
    if outcome is None or reason is not None:
        values, gx, gy, warning = by_differences_2d(
            fn, px, py, reason or "autograd cannot follow this function"
        )
        warnings, method = [warning], "finite-difference"
    else:
        patched = _by_differences_where(cut, evaluate, px, py, gx, gy)
        mismatch = _disagreement_2d(px, py, values, gx, gy, along_x, along_y)
        warnings, method = [w for w in (patched, mismatch) if w], "autograd"
    shape = grid_x.shape
    f_grid, gx, gy = values.reshape(shape), gx.reshape(shape), gy.reshape(shape)
    null_out(f_grid, [gx, gy], np.array([xs, ys]), warnings, "xy")
    surface = Surface(xs, ys, f_grid, gx, gy, method, warnings)  # type: ignore[arg-type]
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
    for i, (u, v) in enumerate(zip(px.tolist(), py.tolist(), strict=True)):
        a = torch.tensor(u, dtype=DTYPE).requires_grad_(True)
        b = torch.tensor(v, dtype=DTYPE).requires_grad_(True)
        try:
            out = f(a.clone(), b.clone())
        except POINTWISE_ERRORS:
            continue
        values[i] = out.item()
        connected[i] = out.requires_grad
        da, db = nested_grads(out, (a, b), 1)[0]
        gx[i], gy[i] = da.item(), db.item()
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
) -> tuple[np.ndarray, np.ndarray, np.ndarray, PlotWarning]:
    """f and its gradient by differences (on tensors, or on numbers where tensors fail)."""
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
    return values, gx, gy, warning


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
    px: np.ndarray,
    py: np.ndarray,
    values: np.ndarray,
    gx: np.ndarray,
    gy: np.ndarray,
    along_x: Central,
    along_y: Central,
) -> PlotWarning | None:
    differs = np.zeros(len(px), dtype=bool)
    for along, slope in ((along_x, gx), (along_y, gy)):
        wrong, kinks = differences.disagreement(along, slope, values)
        differs |= wrong | kinks
    if not differs.any():
        return None
    where = np.flatnonzero(differs)
    first = where[0]
    estimate = along_x.at(1)[0][first]
    return PlotWarning(
        WarningKind.DISAGREEMENT,
        f"autograd and a central difference disagree at {len(where)} grid point"
        f"{'s' if len(where) > 1 else ''} (first at x = {px[first]:.6g}, y = {py[first]:.6g}: "
        f"∂f/∂x = {gx[first]:.6g} by autograd, {estimate:.6g} by differences). "
        "f may have a kink or a jump there, or a custom backward may be wrong; the values "
        "shown are autograd's",
    )
