"""Jumps of f and kinks between the samples of a curve served by finite differences
(docs/protocol.md, "Semantics": the disagreement check).

There is no autograd f′ to predict f with, so the differences' own f′ predicts it, and
the error they state is what an unexplained change must exceed. Between neighbouring
samples a and b (midpoint m, width w) two predictions from f and f′ at a, m and b:
Simpson's rule for f(b) − f(a), and the cubic Hermite interpolant for f(m). Both are
near exact for a smooth f; a jump of f or of f′ between a and b leaves a residual of
its own size (times w for a kink), and where one of them is blind to a kink (Simpson at
a sixth of the interval, Hermite at a quarter) the other is not. A point where f is
finite but the differences did not settle is a suspect too.

Each suspect is then located from f's values alone (differences cannot be taken across
the point being looked for): the interval is cut in quarters, and the next interval is
the quarter where f changes unlike in the others (a jump), or centred on where the
second differences of f put the change of slope (a kink), with a margin, halving each
time down to 1e-9 of the domain's width (or until f's rounding hides the kink). What is
a jump or a kink must keep its size as the interval shrinks: a smooth but steep f's
change shrinks with the width, and the slope near a singularity like sqrt's grows.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from derivlens.calculus import stencils
from derivlens.calculus.differences import Evaluate
from derivlens.calculus.discontinuities import (
    RESOLUTION,
    Discontinuity,
    _distinct,
    _shortest,
    name_points,
    precision,
)
from derivlens.model import PlotWarning, WarningKind

#: At most this many suspect intervals are located (the largest residuals first).
MAX_SUSPECTS = 48
#: Cells of the fine grid a kink's interval is first looked at on (`_zoomed`).
ZOOM = 128
#: A jump or kink must keep at least this share of its size over `MEMORY` halvings...
SHRINK, MEMORY = 0.25, 16
#: ... and a kink's size (the change of slope) must not grow more than this over them.
GROWTH = 4.0
#: Where f's rounding ends the halving sooner, over at least this many (`_kept`).
FEW = 4


def find_by_differences(
    evaluate: Evaluate,
    x: np.ndarray,
    values: np.ndarray,
    slope: np.ndarray,
    slope_error: np.ndarray,
) -> list[Discontinuity]:
    """Jumps of f (order 0) and of f′ (order 1) between or on the samples, given f, its
    derivative by differences and that derivative's stated error at the samples."""
    if values.ndim != 1 or len(x) < 3:
        return []  # a vector-valued f is checked per component by the caller, if at all
    domain = (float(x[0]), float(x[-1]))
    width = domain[1] - domain[0]
    eps = precision(values)
    finite = np.abs(values[np.isfinite(values)])
    scale = float(finite.max()) if finite.size else 0.0
    suspects = _suspects(evaluate, x, values, slope, slope_error, eps, scale)
    if suspects.size == 0:
        return []
    spacing = float(x[1] - x[0])
    a = np.clip(x[suspects] - spacing, domain[0], domain[1])
    b = np.clip(x[suspects + 1] + spacing, domain[0], domain[1])
    stop = max(RESOLUTION * width, 4 * float(np.spacing(np.abs(x).max())))
    noise = 32 * eps * scale + 1e-300
    found = locate_jumps(lambda points: _at(evaluate, points), a, b, stop, noise)[1]
    jumps = [d.x for d in found]
    rest = np.array(
        [i for i in range(len(a)) if all(not a[i] <= j <= b[i] for j in jumps)], dtype=int
    )
    if rest.size:
        found += _locate_kinks(evaluate, a[rest], b[rest], stop, eps, scale, domain)
    return _distinct(found, max(8 * stop, 1e-5 * width))


def _suspects(
    evaluate: Evaluate,
    x: np.ndarray,
    values: np.ndarray,
    slope: np.ndarray,
    slope_error: np.ndarray,
    eps: float,
    scale: float,
) -> np.ndarray:
    """The intervals between samples whose change f′ does not explain (see the module's
    docstring), the largest residuals first."""
    domain = (float(x[0]), float(x[-1]))
    mids = (x[:-1] + x[1:]) / 2
    f_m = evaluate(mids)
    d_m, e_m = stencils.derivative_with_error(evaluate, mids, 1, domain)
    f_a, f_b, d_a, d_b = values[:-1], values[1:], slope[:-1], slope[1:]
    e_a, e_b = slope_error[:-1], slope_error[1:]
    w = x[1:] - x[:-1]
    rounding = 32 * eps * np.fmax(np.fmax(np.abs(f_a), np.abs(f_b)), np.abs(f_m))
    rounding += 1e-12 * scale + 1e-300
    with np.errstate(invalid="ignore", over="ignore"):
        simpson = np.abs(f_b - f_a - w / 6 * (d_a + 4 * d_m + d_b))
        simpson_tolerance = w / 6 * (e_a + 4 * e_m + e_b) + 2 * rounding
        hermite = np.abs(f_m - (f_a + f_b) / 2 - w * (d_a - d_b) / 8)
        hermite_tolerance = w / 8 * (e_a + e_b) + 2 * rounding
    score = np.fmax(
        standing_out(simpson, simpson_tolerance), standing_out(hermite, hermite_tolerance)
    )
    defined = np.isfinite(f_a) & np.isfinite(f_b)
    unsettled = defined & ~np.isfinite(simpson + hermite)
    score = np.where(unsettled, np.inf, np.where(defined, score, 0.0))
    suspects = np.flatnonzero(score > 1)
    return suspects[np.argsort(-score[suspects], kind="stable")][:MAX_SUSPECTS]


def standing_out(residual: np.ndarray, tolerance: np.ndarray) -> np.ndarray:
    """How far a residual is above both its tolerance and the residuals beside it (0
    where it is within either): a smooth f's residual (the rule's own error, w⁴·f⁗/384
    for Hermite's) changes little from one interval to the next, so it is within the
    larger of those two intervals away on either side (or of those three away: a second
    feature two intervals away does not hide the first); a jump's or a kink's residual is
    its interval's alone."""
    padded = np.concatenate([[np.nan] * 3, residual, [np.nan] * 3])
    n = len(residual)
    two = np.fmax(padded[1 : n + 1], padded[5 : n + 5])
    three = np.fmax(padded[:n], padded[6 : n + 6])
    beside = np.fmin(two, three)
    beside = np.where(np.isfinite(beside), beside, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        over_tolerance = residual / tolerance
        over_beside = residual / (2 * beside)
        score = np.fmin(over_tolerance, over_beside)
    return np.nan_to_num(score, nan=0.0, posinf=np.finfo(float).max)


def _quarters(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The five points a, a + w/4, …, b per interval, shaped (intervals, 5)."""
    return a[:, None] + (b - a)[:, None] * np.array([0.0, 0.25, 0.5, 0.75, 1.0])


def _at(evaluate: Evaluate, points: np.ndarray) -> np.ndarray:
    return evaluate(points.reshape(-1)).reshape(points.shape)


def locate_jumps(
    along: Callable[[np.ndarray], np.ndarray],
    a: np.ndarray,
    b: np.ndarray,
    stop: float,
    noise: float,
) -> tuple[np.ndarray, list[Discontinuity]]:
    """Per interval, the quarter whose change of f stands out from the other three's,
    widened by an eighth on each side (so a jump at a quarter's end stays inside), until
    `stop`; a jump keeps its size (or grows: a pole) all the way down. `along(points)`
    is f at points shaped (intervals, 5), each row on its interval's own line. Returns
    which intervals hold a jump, and the jumps."""
    lo, hi = a.copy(), b.copy()
    history: list[np.ndarray] = []
    while float((hi - lo).max()) > stop:
        points = _quarters(lo, hi)
        f = along(points)
        change = np.diff(f, axis=1)
        with np.errstate(invalid="ignore"):
            others = (change.sum(axis=1, keepdims=True) - change) / 3
            standing = np.abs(change - others)
        k = np.argmax(np.nan_to_num(standing, nan=np.inf), axis=1)
        rows = np.arange(len(lo))
        history.append(np.abs(change[rows, k]))
        quarter = (hi - lo) / 4
        start = points[rows, k]
        lo, hi = np.maximum(lo, start - quarter / 2), np.minimum(hi, start + 1.5 * quarter)
    if len(history) <= MEMORY:
        return np.zeros(0, dtype=int), []
    # The change `MEMORY` halvings earlier must have been above rounding too: a flat
    # stretch's 0 there would make a smooth slope's shrinking change look lasting.
    last, earlier = history[-1], history[max(0, len(history) - 1 - MEMORY)]
    with np.errstate(invalid="ignore"):
        kept = (last >= SHRINK * earlier) & (last > noise) & (earlier > noise)
        lasting = kept | ~np.isfinite(last)
    sides = along(_quarters(lo, hi))[:, [0, 4]]
    which = np.flatnonzero(lasting)
    return which, [
        Discontinuity(_shortest(lo[i], hi[i]), 0, sides[i, 0], sides[i, 1]) for i in which
    ]


def _locate_kinks(
    evaluate: Evaluate,
    a: np.ndarray,
    b: np.ndarray,
    stop: float,
    eps: float,
    scale: float,
    domain: tuple[float, float],
) -> list[Discontinuity]:
    """Per interval, the change of slope from the second differences of f at the three
    inner quarter points, less the smallest (the smooth curvature's share): their
    weighted mean is where the slope changes, exactly so for straight pieces. The next
    interval is half as wide, centred there; the change of slope must keep its size.
    It starts from `_zoomed`: at the samples' scale a strong curvature beside the kink
    would pull the centre away from it."""
    noise = 32 * eps * scale + 1e-300
    lo, hi = _zoomed(evaluate, a, b, noise)
    sizes: list[list[float]] = [[] for _ in range(len(lo))]
    active = np.ones(len(lo), dtype=bool)
    rounded = np.zeros(len(lo), dtype=bool)  # stopped by f's rounding, not at `stop`
    while active.any() and float((hi - lo)[active].max()) > stop:
        points = _quarters(lo, hi)
        f = _at(evaluate, points)
        bend = f[:, :-2] - 2 * f[:, 1:-1] + f[:, 2:]
        sign = np.sign(bend.sum(axis=1, keepdims=True))
        part = sign * bend
        part = np.clip(part - part.min(axis=1, keepdims=True), 0.0, None)
        total = part.sum(axis=1)
        quarter = (hi - lo) / 4
        # Below f's rounding the second differences say nothing more: located to f's
        # own precision there.
        rounded |= active & np.isfinite(total) & (total <= noise)
        active &= np.isfinite(total) & (total > noise)
        with np.errstate(invalid="ignore", divide="ignore"):
            centre = (part * points[:, 1:-1]).sum(axis=1) / total
        for i in np.flatnonzero(active):
            sizes[i].append(float(total[i] / quarter[i]))
        centre = np.where(active, centre, (lo + hi) / 2)
        lo = np.where(active, np.maximum(lo, centre - quarter), lo)
        hi = np.where(active, np.minimum(hi, centre + quarter), hi)
    lasting = np.array([_kept(s, bool(r)) for s, r in zip(sizes, rounded, strict=True)])
    found = []
    for i in np.flatnonzero(lasting):
        where = _shortest(lo[i], hi[i])
        left, right = _one_sided_slopes(evaluate, where, domain, eps)
        found.append(Discontinuity(where, 1, left, right))
    return found


def _kept(sizes: list[float], rounded: bool) -> bool:
    """Whether a change of slope kept its size over the last `MEMORY` halvings, or, where
    f's rounding stopped the halving sooner (float32 code, a small kink), over all of at
    least `FEW` of them: a smooth f's share shrinks by half or more at each."""
    window = MEMORY if len(sizes) > MEMORY or not rounded else len(sizes) - 1
    if window < FEW or len(sizes) <= window:
        return False
    first, last = sizes[-1 - window], sizes[-1]
    return SHRINK * first <= last <= GROWTH * first


def _zoomed(
    evaluate: Evaluate, a: np.ndarray, b: np.ndarray, noise: float
) -> tuple[np.ndarray, np.ndarray]:
    """Per interval, a few cells of a fine grid (`ZOOM` cells) around the one where f's
    second differences stand out from their neighbours' (`b - a` when there is none):
    at that scale a change of slope (its share shrinks with the cell) outweighs the
    curvature (its share shrinks with the cell squared), even where the curvature jumps
    with it (a curved piece beside a flat one). Four cells, or as many more as it takes
    for the change to stay above f's rounding (`noise`) over `FEW` halvings (a small
    kink of float32 code)."""
    grid = a[:, None] + (b - a)[:, None] * np.linspace(0.0, 1.0, ZOOM + 1)
    f = _at(evaluate, grid)
    bend = f[:, :-2] - 2 * f[:, 1:-1] + f[:, 2:]  # bend[:, j] is centred on grid[:, j + 1]
    standing = np.abs(bend[:, 2:-2] - (bend[:, :-4] + bend[:, 4:]) / 2)
    spike = standing.max(axis=1, initial=0.0)
    found = np.isfinite(standing).all(axis=1) & (spike > 0)
    centre = 3 + np.argmax(np.nan_to_num(standing, nan=0.0), axis=1)  # a grid index
    with np.errstate(divide="ignore", invalid="ignore"):
        wanted = np.log2(np.maximum(2 ** (FEW + 1) * noise / spike, 1.0))
    cells = 2 * 2 ** np.clip(np.ceil(np.nan_to_num(wanted)), 0, np.log2(ZOOM // 8))
    rows = np.arange(len(a))
    low = np.maximum(centre - cells, 0).astype(int)
    high = np.minimum(centre + cells, ZOOM).astype(int)
    return np.where(found, grid[rows, low], a), np.where(found, grid[rows, high], b)


def _one_sided_slopes(
    evaluate: Evaluate, where: float, domain: tuple[float, float], eps: float
) -> tuple[float, float]:
    """f′ just left and right of a kink, for the warning (one-sided secants, 1e-6 of the
    domain's width long, or √eps of it for code that rounds more: float32's rounding
    over a shorter secant would be a visible share of the slope)."""
    step = max(1e-6, float(np.sqrt(eps))) * (domain[1] - domain[0])
    f = evaluate(np.array([max(domain[0], where - step), where, min(domain[1], where + step)]))
    return float((f[1] - f[0]) / step), float((f[2] - f[1]) / step)


def discontinuity_warning(found: list[Discontinuity]) -> PlotWarning | None:
    """The `disagreement` warning of a curve by differences: each jump and kink named,
    with f (or f′) on either side of the first of each kind."""
    if not found:
        return None
    said = []
    for order, name in ((0, "f jumps"), (1, "f′ jumps (a kink)")):
        group = [d for d in found if d.order == order]
        if not group:
            continue
        first = group[0]
        left, right = float(np.asarray(first.left)), float(np.asarray(first.right))
        where = f"at x = {first.x:.6g}" if len(found) > 1 else "there"
        more = f" (and at {len(group) - 1} more of these points)" if len(group) > 1 else ""
        said.append(f"{name} from {left:.6g} (left) to {right:.6g} (right) {where}{more}")
    return PlotWarning(
        WarningKind.DISAGREEMENT,
        f"f is not smooth at {name_points([d.x for d in found])}: " + "; ".join(said) + ". "
        "The finite differences at the samples next to these points may straddle them",
    )
