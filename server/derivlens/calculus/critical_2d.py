"""Critical points of a surface: where both partials vanish, refined to full precision.

The grid's cells where both partials change sign are the candidates, grouped by
adjacency. On a finite-difference surface each small group's centre is reported, as
the grid shows it (a large group is a flat region, not a point). On an autograd surface
Newton's method on ∇f = 0, with autograd's exact Hessian, starts from each small group's
centre and from cells spread along each large one (a curved valley such as
Rosenbrock's puts sign changes in every cell along it, and only one point of it is
critical). A start that converges is a critical point if it lies in its group's cells
or next to them (a large group's anywhere in the domain); one that does not is none,
and starts that reach the same point are one point. More candidates than MAX_STARTS:
the centres, as on a finite-difference surface.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

import numpy as np
import torch
from torch.func import vmap

from derivlens.calculus.common import DTYPE, reraise_if_fatal

#: Groups of more cells than this are regions, not points.
MAX_CELLS = 16
#: Newton starts taken along one large group, and in all.
STARTS_PER_REGION = 8
MAX_STARTS = 256
ITERATIONS = 100
#: A step this small (relative to the box's width) has converged; after all the
#: iterations, one below SLOW still is, slowly (Newton is linear at a degenerate point
#: such as x⁴ + y⁴'s).
CONVERGED = 1e-13
SLOW = 1e-7
#: Two converged starts this close (relative to the width) found the same point.
SAME_POINT = 1e-7

Cell = tuple[int, int]


class Grid(Protocol):
    """What of a surface the search reads."""

    x: np.ndarray
    y: np.ndarray
    gradient_x: np.ndarray
    gradient_y: np.ndarray


def critical_points_2d(surface: Grid) -> list[tuple[float, float]]:
    """The centres of the small groups of cells where both partials change sign."""
    return sorted(_centre(surface, group) for group in _groups(surface) if len(group) <= MAX_CELLS)


def refined_critical_points(
    f: Callable[..., torch.Tensor], vectorized: bool, surface: Grid
) -> list[tuple[float, float]]:
    """Critical points found by Newton's method from the candidates (see the module's
    docstring); the grid's centres if there are too many candidates or f cannot be
    differentiated twice there."""
    starts = _starts(surface)
    if not starts:
        return []
    if len(starts) > MAX_STARTS:
        return critical_points_2d(surface)
    begin, boxes = np.array([s[0] for s in starts]), np.array([s[1] for s in starts])
    try:
        x, y, converged = _newton(f, vectorized, begin[:, 0].copy(), begin[:, 1].copy(), boxes)
    except Exception as error:
        reraise_if_fatal(error)
        return critical_points_2d(surface)
    return _distinct(x[converged], y[converged], surface)


def _groups(surface: Grid) -> list[list[Cell]]:
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
    groups: list[list[Cell]] = []
    unvisited = {(int(i), int(j)) for i, j in zip(*np.nonzero(crosses), strict=True)}
    while unvisited:
        group, stack = [], [min(unvisited)]
        unvisited.remove(stack[0])
        while stack:
            i, j = stack.pop()
            group.append((i, j))
            for near in ((i + 1, j), (i - 1, j), (i, j + 1), (i, j - 1)):
                if near in unvisited:
                    unvisited.remove(near)
                    stack.append(near)
        groups.append(sorted(group))
    return groups


def _centre(surface: Grid, group: list[Cell]) -> tuple[float, float]:
    x = np.mean([(surface.x[j] + surface.x[j + 1]) / 2 for _, j in group])
    y = np.mean([(surface.y[i] + surface.y[i + 1]) / 2 for i, _ in group])
    return float(x), float(y)


Start = tuple[tuple[float, float], tuple[float, float, float, float]]


def _starts(surface: Grid) -> list[Start]:
    """Where Newton starts, and the box (x0, x1, y0, y1) it must converge in: a small
    group's critical point lies in it or next to it (a start that wanders off found a
    sign change that no critical point explains); a large group's may lie anywhere."""
    xs, ys = surface.x, surface.y
    domain = (float(xs[0]), float(xs[-1]), float(ys[0]), float(ys[-1]))
    starts: list[Start] = []
    for group in _groups(surface):
        if len(group) <= MAX_CELLS:
            rows, columns = [i for i, _ in group], [j for _, j in group]
            low_i, high_i = max(min(rows) - 1, 0), min(max(rows) + 2, len(ys) - 1)
            low_j, high_j = max(min(columns) - 1, 0), min(max(columns) + 2, len(xs) - 1)
            box = (float(xs[low_j]), float(xs[high_j]), float(ys[low_i]), float(ys[high_i]))
            starts.append((_centre(surface, group), box))
            continue
        picks = np.linspace(0, len(group) - 1, STARTS_PER_REGION).round().astype(int)
        starts.extend((_centre(surface, [group[k]]), domain) for k in sorted(set(picks.tolist())))
    return starts


def _newton(
    f: Callable[..., torch.Tensor],
    vectorized: bool,
    x: np.ndarray,
    y: np.ndarray,
    boxes: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """All starts at once; (x, y, whether each converged inside its box)."""
    width = float(np.max(boxes[:, 1] - boxes[:, 0])) or 1.0
    height = float(np.max(boxes[:, 3] - boxes[:, 2])) or 1.0
    active = np.ones(len(x), dtype=bool)
    converged = np.zeros(len(x), dtype=bool)
    step = np.full(len(x), np.inf)
    for _ in range(ITERATIONS):
        if not active.any():
            break
        gx, gy, hxx, hxy, hyy = _gradient_and_hessian(f, vectorized, x[active], y[active])
        with np.errstate(all="ignore"):
            det = hxx * hyy - hxy * hxy
            dx = (hyy * gx - hxy * gy) / det
            dy = (hxx * gy - hxy * gx) / det
        index = np.flatnonzero(active)
        step[index] = np.maximum(np.abs(dx) / width, np.abs(dy) / height)
        x[index] -= dx
        y[index] -= dy
        far = ~_inside(x[index], y[index], boxes[index], slack=1.0)  # gone, not a detour
        lost = ~(np.isfinite(dx) & np.isfinite(dy)) | far
        done = ~lost & (step[index] <= CONVERGED)
        converged[index[done]] = True
        active[index[done | lost]] = False
    converged |= active & (step <= SLOW)
    return x, y, converged & _inside(x, y, boxes)


def _inside(x: np.ndarray, y: np.ndarray, boxes: np.ndarray, slack: float = 0.0) -> np.ndarray:
    """Within each box, widened by `slack` times its width and height on each side."""
    a, b, c, d = boxes.T
    sx, sy = slack * (b - a), slack * (d - c)
    with np.errstate(invalid="ignore"):
        return (x >= a - sx) & (x <= b + sx) & (y >= c - sy) & (y <= d + sy)


def _gradient_and_hessian(
    f: Callable[..., torch.Tensor], vectorized: bool, x: np.ndarray, y: np.ndarray
) -> tuple[np.ndarray, ...]:
    """∂f/∂x, ∂f/∂y, ∂²f/∂x², ∂²f/∂x∂y, ∂²f/∂y² at each point, from autograd."""
    tx = torch.tensor(x, dtype=DTYPE, requires_grad=True)
    ty = torch.tensor(y, dtype=DTYPE, requires_grad=True)
    if vectorized:
        out = vmap(lambda a, b: f(a.clone(), b.clone()))(tx, ty)
    else:
        out = torch.stack([f(tx[i].clone(), ty[i].clone()) for i in range(len(x))])
    gx, gy = _grads(out, tx, ty, create_graph=True)
    hxx, hxy = _grads(gx, tx, ty)
    hyx, hyy = _grads(gy, tx, ty)
    return tuple(t.detach().numpy().copy() for t in (gx, gy, hxx, (hxy + hyx) / 2, hyy))


def _grads(
    out: torch.Tensor, tx: torch.Tensor, ty: torch.Tensor, create_graph: bool = False
) -> tuple[torch.Tensor, torch.Tensor]:
    """Pointwise partials of `out` (0 where it does not depend on a variable)."""
    if not out.requires_grad:
        return torch.zeros_like(tx), torch.zeros_like(ty)
    found: Any = torch.autograd.grad(
        out.sum(), (tx, ty), create_graph=create_graph, retain_graph=True, allow_unused=True
    )
    return tuple(  # type: ignore[return-value]
        torch.zeros_like(t) if g is None else g for g, t in zip(found, (tx, ty), strict=True)
    )


def _distinct(x: np.ndarray, y: np.ndarray, grid: Grid) -> list[tuple[float, float]]:
    width = float(grid.x[-1] - grid.x[0]) or 1.0
    height = float(grid.y[-1] - grid.y[0]) or 1.0
    found: list[tuple[float, float]] = []
    for a, b in zip(x.tolist(), y.tolist(), strict=True):
        if all(
            abs(a - p) > SAME_POINT * width or abs(b - q) > SAME_POINT * height for p, q in found
        ):
            found.append((a, b))
    return sorted(found)
