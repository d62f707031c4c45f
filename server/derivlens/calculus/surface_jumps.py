"""Jumps of f of two variables between grid points (docs/protocol.md, "Semantics": the
disagreement check, two variables).

A jump of f across a curve in the plane crosses grid lines. Along each row (and each
column) the change of f between neighbouring grid points is predicted by the trapezoid
rule from the partial derivative along that line at both ends (autograd's, or the
differences' with their stated error). A smooth f's residual changes little from one
interval of a line to the next, however steep f is; a jump's is its interval's alone.
Each interval whose residual stands out is then located along its line from f's values
alone (`fd_discontinuities.locate_jumps`), down to 1e-9 of the domain's width, and is a
jump only if the change keeps its size there: a steep smooth front's change shrinks.

Kinks of a surface (a change of the gradient across a curve) are not looked for: only
jumps of f are reported for two variables.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from derivlens.calculus.discontinuities import RESOLUTION, Discontinuity, precision
from derivlens.calculus.fd_discontinuities import locate_jumps, standing_out

#: f at arrays of x and y (NaN where undefined).
Evaluate2 = Callable[[np.ndarray, np.ndarray], np.ndarray]
#: At most this many intervals are located per direction (the most outstanding first).
MAX_SUSPECTS = 64


def find_surface_jumps(
    evaluate: Evaluate2,
    xs: np.ndarray,
    ys: np.ndarray,
    values: np.ndarray,
    gradient: tuple[np.ndarray, np.ndarray],
    errors: tuple[np.ndarray | None, np.ndarray | None] = (None, None),
) -> list[Discontinuity]:
    """The places where f (`values`, one row per y) jumps between grid points, located
    along rows (x found, y that of the row) and along columns (y found, x the column's)."""
    eps = precision(values)
    finite = np.abs(values[np.isfinite(values)])
    scale = float(finite.max()) if finite.size else 0.0
    found = []
    for axis in (0, 1):
        coordinate, other = (xs, ys) if axis == 0 else (ys, xs)
        # Lines along this axis: rows of f for x, columns (rows of the transpose) for y.
        lines = values if axis == 0 else values.T
        slopes = gradient[axis] if axis == 0 else gradient[axis].T
        error = errors[axis]
        line_errors = None if error is None else (error if axis == 0 else error.T)
        which, where = _suspects(coordinate, lines, slopes, line_errors, eps, scale)
        if which.size == 0:
            continue
        found += _located(evaluate, axis, coordinate, other, which, where, eps, scale)
    return _distinct_2d(found, xs, ys)


def _suspects(
    t: np.ndarray,
    lines: np.ndarray,
    slopes: np.ndarray,
    errors: np.ndarray | None,
    eps: float,
    scale: float,
) -> tuple[np.ndarray, np.ndarray]:
    """(line, interval) of the intervals whose trapezoid residual stands out."""
    w = np.diff(t)[None, :]
    if errors is not None:  # differences that did not settle (a stencil across the jump)
        finite = np.abs(slopes[np.isfinite(slopes)])
        largest = float(finite.max()) if finite.size else 0.0
        with np.errstate(invalid="ignore"):
            wild = (errors > 0.25 * np.abs(slopes)) & (errors > 1e-3 * largest)
        slopes = np.where(wild, np.nan, slopes)
    f_a, f_b, d_a, d_b = lines[:, :-1], lines[:, 1:], slopes[:, :-1], slopes[:, 1:]
    with np.errstate(invalid="ignore", over="ignore"):
        residual = np.abs(f_b - f_a - w * (d_a + d_b) / 2)
        tolerance = 32 * eps * np.fmax(np.abs(f_a), np.abs(f_b)) + 1e-12 * scale + 1e-300
        if errors is not None:
            tolerance = tolerance + w * np.nan_to_num(errors[:, :-1] + errors[:, 1:]) / 2
    score = np.stack([standing_out(r, tol) for r, tol in zip(residual, tolerance, strict=True)])
    defined = np.isfinite(f_a) & np.isfinite(f_b)
    score = np.where(defined & ~np.isfinite(d_a + d_b), np.inf, np.where(defined, score, 0.0))
    line, interval = np.nonzero(score > 1)
    order = np.argsort(-score[line, interval], kind="stable")[:MAX_SUSPECTS]
    return line[order], interval[order]


def _located(
    evaluate: Evaluate2,
    axis: int,
    t: np.ndarray,
    other: np.ndarray,
    which: np.ndarray,
    where: np.ndarray,
    eps: float,
    scale: float,
) -> list[Discontinuity]:
    """Each suspect interval located along its line (with a grid step's margin)."""
    spacing = float(t[1] - t[0])
    a = np.clip(t[where] - spacing, t[0], t[-1])
    b = np.clip(t[where + 1] + spacing, t[0], t[-1])
    held = other[which]

    def along(points: np.ndarray) -> np.ndarray:
        fixed = np.repeat(held, points.shape[1])
        flat = points.reshape(-1)
        f = evaluate(flat, fixed) if axis == 0 else evaluate(fixed, flat)
        return f.reshape(points.shape)

    stop = max(RESOLUTION * float(t[-1] - t[0]), 4 * float(np.spacing(np.abs(t).max())))
    lines, jumps = locate_jumps(along, a, b, stop, 32 * eps * scale + 1e-300)
    located = []
    for line, jump in zip(lines, jumps, strict=True):
        x, y = (jump.x, float(held[line])) if axis == 0 else (float(held[line]), jump.x)
        located.append(Discontinuity(x, 0, jump.left, jump.right, y=y))
    return located


def _distinct_2d(found: list[Discontinuity], xs: np.ndarray, ys: np.ndarray) -> list[Discontinuity]:
    """One entry per place (a crossing found along both its row and its column): the
    row's, as `found` lists the rows' first, so every row that crosses a jump names its
    point even where the jump passes next to a grid point, sorted by y, then x."""
    near_x, near_y = 1e-5 * float(xs[-1] - xs[0]), 1e-5 * float(ys[-1] - ys[0])
    kept: list[Discontinuity] = []
    for item in found:
        assert item.y is not None
        if all(abs(item.x - k.x) > near_x or abs(item.y - (k.y or 0.0)) > near_y for k in kept):
            kept.append(item)
    return sorted(kept, key=lambda d: (d.y or 0.0, d.x))


def surface_jumps_text(found: list[Discontinuity]) -> str:
    """ "f jumps between grid points at (x, y) = (0.3, -1), (0.29, -0.9) and 3 more: by
    about 1 at the first" """
    shown = [f"({d.x:.6g}, {d.y:.6g})" for d in found[:6]]
    more = f" and {len(found) - 6} more" if len(found) > 6 else ""
    listed = (
        ", ".join(shown[:-1]) + f" and {shown[-1]}"
        if len(shown) > 1 and not more
        else (", ".join(shown) + more)
    )
    first = found[0]
    size = float(np.asarray(first.right)) - float(np.asarray(first.left))
    return f"f jumps between grid points at (x, y) = {listed}: by about {size:.3g} at the first"
