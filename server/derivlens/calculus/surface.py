"""f of two variables and its gradient on a grid."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torch.func import vmap

from derivlens.calculus.autograd import choose_autograd, disconnection, nested_grads, probe_points
from derivlens.calculus.common import (
    EPS,
    POINTWISE_ERRORS,
    STENCILS,
    Method,
    null_out,
    pointwise,
    sample_points,
    scalar,
)
from derivlens.model import PlotWarning, WarningKind


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


def differentiate_2d(
    fn: Callable[..., Any],
    domain: tuple[float, float],
    ydomain: tuple[float, float],
    samples: int,
) -> Surface:
    """f and its gradient on a `samples`×`samples` grid over `domain` × `ydomain`."""
    xs = torch.from_numpy(sample_points(domain, samples))
    ys = torch.from_numpy(sample_points(ydomain, samples))
    grid_y, grid_x = torch.meshgrid(ys, xs, indexing="ij")
    px, py = grid_x.reshape(-1), grid_y.reshape(-1)
    scalar_fn = scalar(fn)
    outcome, vectorized, reason = choose_autograd(
        scalar_fn,
        list(zip(probe_points(px), probe_points(py), strict=True)),
        lambda: _gradient_vmap(scalar_fn, px, py),
        lambda: _gradient_loop(scalar_fn, px, py),
    )
    if outcome is not None:
        values, gx, gy, connected = outcome

    hx = np.cbrt(EPS) * np.maximum(1.0, np.abs(px.numpy()))
    hy = np.cbrt(EPS) * np.maximum(1.0, np.abs(py.numpy()))
    if reason is None:
        estimate_x = _central_2d(scalar_fn, px, py, hx, 0, vectorized)
        estimate_y = _central_2d(scalar_fn, px, py, hy, 1, vectorized)
        reason = disconnection(connected, values, np.hypot(estimate_x, estimate_y))
    warnings: list[PlotWarning] = []
    if reason is not None:
        values = pointwise(lambda p: scalar_fn(*p).item(), list(zip(px, py, strict=True)))
        gx = _finite_difference_2d(scalar_fn, px.numpy(), py.numpy(), 0)
        gy = _finite_difference_2d(scalar_fn, px.numpy(), py.numpy(), 1)
        warnings.append(
            PlotWarning(
                WarningKind.FINITE_DIFFERENCE,
                f"{reason}, so the gradient is central finite differences (about 10 correct "
                "digits, not exact); use torch functions on x and y for exact ones",
            )
        )
        method: Method = "finite-difference"
    else:
        method = "autograd"
        mismatch = _disagreement_2d(px.numpy(), py.numpy(), gx, gy, estimate_x, estimate_y)
        if mismatch:
            warnings.append(mismatch)
    shape = grid_x.shape
    f, gx, gy = values.reshape(shape), gx.reshape(shape), gy.reshape(shape)
    null_out(f, [gx, gy], np.array([xs.numpy(), ys.numpy()]), warnings, "xy")
    surface = Surface(
        x=xs.numpy(),
        y=ys.numpy(),
        f=f,
        gradient_x=gx,
        gradient_y=gy,
        method=method,
        warnings=warnings,
    )
    surface.critical_points = critical_points_2d(surface)
    return surface


def _gradient_vmap(
    fn: Callable[..., torch.Tensor], px: torch.Tensor, py: torch.Tensor
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Every grid point at once, as `_autograd_vmap` does for curves."""
    tx, ty = px.clone().requires_grad_(True), py.clone().requires_grad_(True)
    out = vmap(fn)(tx, ty)
    connected = np.full(px.shape, out.requires_grad)
    gx, gy = nested_grads(out, (tx, ty), 1)[0]
    return (
        out.detach().numpy().copy(),
        gx.detach().numpy().copy(),
        gy.detach().numpy().copy(),
        connected,
    )


def _gradient_loop(
    fn: Callable[..., torch.Tensor], px: torch.Tensor, py: torch.Tensor
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    n = len(px)
    values, gx, gy = np.full(n, np.nan), np.full(n, np.nan), np.full(n, np.nan)
    connected = np.ones(n, dtype=bool)
    for i in range(n):
        a, b = px[i].clone().requires_grad_(True), py[i].clone().requires_grad_(True)
        try:
            out = fn(a, b)
        except POINTWISE_ERRORS:
            continue
        values[i] = out.item()
        connected[i] = out.requires_grad
        da, db = nested_grads(out, (a, b), 1)[0]
        gx[i], gy[i] = da.item(), db.item()
    return values, gx, gy, connected


def _central_2d(
    fn: Callable[..., torch.Tensor],
    px: torch.Tensor,
    py: torch.Tensor,
    step: np.ndarray,
    axis: int,
    vectorized: bool,
) -> np.ndarray:
    shift = torch.from_numpy(step)
    sides = []
    for sign in (1, -1):
        a = px + sign * shift if axis == 0 else px
        b = py + sign * shift if axis == 1 else py
        with torch.no_grad():
            if vectorized:
                sides.append(vmap(fn)(a, b).numpy().copy())
            else:
                pairs = list(zip(a, b, strict=True))
                sides.append(pointwise(lambda p: fn(*p).item(), pairs))
    return (sides[0] - sides[1]) / (2 * step)


def _finite_difference_2d(
    fn: Callable[..., torch.Tensor], px: np.ndarray, py: np.ndarray, axis: int
) -> np.ndarray:
    offsets, weights, divisor = STENCILS[1]
    along = px if axis == 0 else py
    step = EPS ** (1.0 / 5) * np.maximum(1.0, np.abs(along))
    total = np.zeros_like(px)
    for offset, weight in zip(offsets, weights, strict=True):
        a = px + offset * step if axis == 0 else px
        b = py + offset * step if axis == 1 else py
        pairs = list(zip(torch.from_numpy(a), torch.from_numpy(b), strict=True))
        total += weight * pointwise(lambda p: fn(*p).item(), pairs)
    return total / (divisor * step)


def _disagreement_2d(
    px: np.ndarray,
    py: np.ndarray,
    gx: np.ndarray,
    gy: np.ndarray,
    estimate_x: np.ndarray,
    estimate_y: np.ndarray,
) -> PlotWarning | None:
    differs = np.zeros(px.shape, dtype=bool)
    for exact, estimate in ((gx, estimate_x), (gy, estimate_y)):
        usable = np.isfinite(exact) & np.isfinite(estimate)
        scale = 1 + np.maximum(np.abs(exact), np.abs(estimate))
        differs |= usable & (np.abs(exact - estimate) > 1e-5 * scale)
    if not differs.any():
        return None
    where = np.flatnonzero(differs)
    first = where[0]
    return PlotWarning(
        WarningKind.DISAGREEMENT,
        f"autograd and a central difference disagree at {len(where)} grid point"
        f"{'s' if len(where) > 1 else ''} (first at x = {px[first]:.6g}, y = {py[first]:.6g}: "
        f"∂f/∂x = {gx[first]:.6g} by autograd, {estimate_x[first]:.6g} by differences). "
        "f may have a kink or a jump there, or a custom backward may be wrong; the values "
        "shown are autograd's",
    )


def critical_points_2d(surface: Surface, max_cells: int = 16) -> list[tuple[float, float]]:
    """Centres of the grid regions where both partials change sign (minima, maxima, saddles)."""
    gx, gy = surface.gradient_x, surface.gradient_y

    def corners(a: np.ndarray) -> np.ndarray:
        return np.stack([a[:-1, :-1], a[1:, :-1], a[:-1, 1:], a[1:, 1:]])

    cx, cy = corners(gx), corners(gy)
    finite = np.isfinite(cx).all(0) & np.isfinite(cy).all(0)
    with np.errstate(invalid="ignore"):
        crosses = (
            finite
            & (cx.min(0) <= 0)
            & (cx.max(0) >= 0)
            & (cx.max(0) > cx.min(0))
            & (cy.min(0) <= 0)
            & (cy.max(0) >= 0)
            & (cy.max(0) > cy.min(0))
        )
    found: list[tuple[float, float]] = []
    unvisited = {(int(i), int(j)) for i, j in zip(*np.nonzero(crosses), strict=True)}
    while unvisited:
        group, stack = [], [unvisited.pop()]
        while stack:
            i, j = stack.pop()
            group.append((i, j))
            for near in ((i + 1, j), (i - 1, j), (i, j + 1), (i, j - 1)):
                if near in unvisited:
                    unvisited.remove(near)
                    stack.append(near)
        if len(group) > max_cells:  # a flat region, not a point
            continue
        x = np.mean([(surface.x[j] + surface.x[j + 1]) / 2 for _, j in group])
        y = np.mean([(surface.y[i] + surface.y[i + 1]) / 2 for i, _ in group])
        found.append((float(x), float(y)))
    return sorted(found)
