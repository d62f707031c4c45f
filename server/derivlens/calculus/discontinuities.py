"""Jumps of f, f′ and f″ between the samples as well as on them (docs/protocol.md,
"Semantics").

Between neighbouring samples a and b, a level v of f (f itself, f′ or f″) changes by
v(b) − v(a), and autograd's derivative v′ predicts that change by Simpson's rule,
(b − a)/6 · (v′(a) + 4 v′(m) + v′(b)). Where v is smooth the residual is Simpson's error,
which vanishes like (b − a)⁵ as the interval is halved, however steep v is (tanh(1000x)
only needs a few halvings). At a jump of v it stays the size of the jump whatever the
width, and at a pole it grows. So every unexplained interval is halved, keeping the half
that is still unexplained, down to 1e-9 of the domain's width (or the spacing of floats
at x); what is still unexplained there, and has not shrunk over the last halvings, is a
discontinuity. The halvings of all intervals run together, as array operations.

Residuals are judged against the precision f computes in: code that computes in float32
or float16 returns values that are all float32 (float16) numbers, and its rounding is
never taken for a jump.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from derivlens.calculus.common import EPS

#: v and v′ at points: (points, level) -> (v, v′), shaped (points,) or (points, outputs).
Levels = Callable[[np.ndarray, int], tuple[np.ndarray, np.ndarray]]
#: How finely a discontinuity is located, relative to the domain's width.
RESOLUTION = 1e-9
#: A residual that shrank by more than this over `MEMORY` halvings was a smooth change.
SHRINK, MEMORY = 0.25, 10
#: At most this many intervals are refined per level (the largest residuals first).
MAX_REFINED = 32


@dataclass(frozen=True)
class Discontinuity:
    """Where f (order 0), f′ (1) or f″ (2) jumps."""

    x: float
    order: int
    #: The level's values on either side (the ends of the last interval, per output).
    left: np.ndarray | float = 0.0
    right: np.ndarray | float = 0.0
    #: For f of two variables: the y of the grid line on which x was located (or, for a
    #: jump located along a column, that column's x is `x` and the place is `y`).
    y: float | None = None


def precision(values: np.ndarray) -> float:
    """The machine epsilon of the type f computes in, seen from its values: code that
    computes in float32 and casts back returns only float32 numbers."""
    finite = values[np.isfinite(values)]
    if finite.size < 8 or not np.any(finite):
        return EPS
    for dtype in (np.float16, np.float32):
        with np.errstate(over="ignore", invalid="ignore"):
            if np.array_equal(finite.astype(dtype).astype(np.float64), finite):
                return float(np.finfo(dtype).eps)
    return EPS


def _largest(values: np.ndarray) -> float:
    finite = np.abs(values[np.isfinite(values)])
    return float(finite.max()) if finite.size else 0.0


def _flat(a: np.ndarray, rows: int) -> np.ndarray:
    return a.reshape(rows, -1)


class _Judge:
    """How far a change of v may be from Simpson's prediction before it is a jump."""

    def __init__(self, values: np.ndarray, slopes: np.ndarray) -> None:
        self.eps_v, self.eps_d = precision(values), precision(slopes)
        # Cancellation inside f (1 + erf(z) where erf is near −1) rounds relative to the
        # curve's size, not to the value's: so a floor from the largest |v| and |v′|.
        self.largest = _largest(values)
        self.floor = max(1e-11, 16 * self.eps_v) * self.largest
        self.slope_floor = 16 * self.eps_d * _largest(slopes)

    def residual(
        self,
        width: np.ndarray,
        ends: tuple[np.ndarray, ...],
        mids: np.ndarray,
        inside: bool = False,
    ) -> tuple[np.ndarray, np.ndarray]:
        """(|change − Simpson| over its tolerance, |change − Simpson|) per interval, for
        the component where the ratio is largest. Where v is finite at both ends but not
        in between (a pole), or `inside` an interval being refined, the ratio is infinite."""
        va, vb, da, db = ends
        rows = len(width)
        va, vb, da, db, dm = (_flat(a, rows) for a in (va, vb, da, db, mids))
        w = width[:, None]
        simpson = w / 6 * (da + 4 * dm + db)
        with np.errstate(invalid="ignore", over="ignore"):
            error = np.abs((vb - va) - simpson)
            size = np.fmax(np.abs(va), np.abs(vb))
            slope = np.fmax(np.fmax(np.abs(da), np.abs(db)), np.abs(dm))
            tolerance = 8 * self.eps_v * size + w * (8 * self.eps_d * slope + self.slope_floor)
            tolerance += self.floor
            ratio = error / np.where(tolerance > 0, tolerance, np.finfo(float).tiny)
        undefined = ~np.isfinite(ratio)
        defined_ends = np.isfinite(va) & np.isfinite(vb) & np.isfinite(da) & np.isfinite(db)
        ratio[undefined] = 0.0
        ratio[undefined & (defined_ends | inside)] = np.inf
        error[undefined & (defined_ends | inside)] = np.inf
        worst = ratio.argmax(axis=1)
        rows_index = np.arange(rows)
        return ratio[rows_index, worst], error[rows_index, worst]


def find(
    x: np.ndarray,
    levels: dict[int, tuple[np.ndarray, np.ndarray]],
    at: Levels,
    mids: np.ndarray | None = None,
) -> list[Discontinuity]:
    """The discontinuities of each level v (0: f, 1: f′, 2: f″) given v and v′ at the
    samples in `levels`, and `at` for v and v′ anywhere in between (`mids`, the samples'
    midpoints, is passed as this very array every time, so `at` may keep its values)."""
    width = float(x[-1] - x[0])
    stop = max(RESOLUTION * width, 4 * float(np.spacing(np.abs(x).max())))
    found: list[Discontinuity] = []
    for level, (values, slopes) in sorted(levels.items()):
        judge = _Judge(values, slopes)
        mids = (x[:-1] + x[1:]) / 2 if mids is None else mids
        ends = (values[:-1], values[1:], slopes[:-1], slopes[1:])
        width_each = x[1:] - x[:-1]
        middle = at(mids, level)[1]
        ratio, error = judge.residual(width_each, ends, middle)
        suspects = np.flatnonzero((ratio > 1) & _beyond_curvature(width_each, ends, middle, error))
        if suspects.size == 0:
            continue
        suspects = suspects[np.argsort(-ratio[suspects])][:MAX_REFINED]
        state = (x[:-1][suspects], x[1:][suspects], *(e[suspects] for e in ends))
        a, b = _refine(state, error[suspects], level, at, judge, stop)
        if a.size == 0:
            continue
        # Either side, one interval's width away: the limits, not the value at the point.
        beside = np.clip(np.concatenate([2 * a - b, 2 * b - a]), x[0], x[-1])
        sides = at(beside, level)[0]
        for i in range(len(a)):
            jump = Discontinuity(_shortest(a[i], b[i]), level, sides[i], sides[len(a) + i])
            found.append(jump)
    # A pole of f makes f′ wild for a while around it (its refined place can sit 2e-6 of
    # the width away): one place within 1e-5 of the width.
    return _distinct(found, max(8 * stop, 1e-5 * width))


def _beyond_curvature(
    width: np.ndarray, ends: tuple[np.ndarray, ...], mids: np.ndarray, error: np.ndarray
) -> np.ndarray:
    """Whether a residual is more than Simpson's error can be for a smooth v: that is
    about w⁵·v⁽⁵⁾/2880, far below the w·|v′(a) − 2v′(m) + v′(b)| ≈ w³·v‴/4 that v′'s
    own bend gives; a jump's residual is the jump, a pole's a good part of that bend.
    Saves refining every interval of a smooth curve whose Simpson error is above the
    rounding tolerance."""
    rows = len(width)
    da, db, dm = (_flat(a, rows) for a in (ends[2], ends[3], mids))
    with np.errstate(invalid="ignore", over="ignore"):
        bend = (width[:, None] * np.abs(da - 2 * dm + db)).max(axis=1)
        # An infinite residual (v finite at the ends, not in between: a pole, maybe right
        # at the midpoint, where the bend is infinite too) is always a suspect.
        return ~(error <= 0.05 * bend) | np.isinf(error)


def _refine(
    state: tuple[np.ndarray, ...],
    error: np.ndarray,
    level: int,
    at: Levels,
    judge: _Judge,
    stop: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Halve the intervals in `state` (a, b, v(a), v(b), v′(a), v′(b)) until `stop`, each
    time keeping the half whose residual is larger: the ends (a, b) of those still
    unexplained at the end, whose residual did not shrink, hold the discontinuities."""
    history = [error]
    while state[0].size and float((state[1] - state[0]).max()) > stop:
        a, b, va, vb, da, db = state
        m = (a + b) / 2
        points = np.concatenate([m, (a + m) / 2, (m + b) / 2])
        v, d = at(points, level)
        k = len(a)
        vm, dm, d_left, d_right = v[:k], d[:k], d[k : 2 * k], d[2 * k :]
        left_ratio, left_error = judge.residual(m - a, (va, vm, da, dm), d_left, True)
        right_ratio, right_error = judge.residual(b - m, (vm, vb, dm, db), d_right, True)
        right = right_ratio > left_ratio
        keep = np.fmax(left_ratio, right_ratio) > 1

        pairs = ((a, m), (m, b), (va, vm), (vm, vb), (da, dm), (dm, db))
        state = tuple(_halves(left, right_half, right, keep) for left, right_half in pairs)
        history = [h[keep] for h in history]
        history.append(np.where(right, right_error, left_error)[keep])
    if not state[0].size:
        return state[0], state[1]
    earlier = history[max(0, len(history) - 1 - MEMORY)]
    window = np.stack(history[-1 - MEMORY :])
    with np.errstate(invalid="ignore"):
        lasting = (history[-1] >= SHRINK * earlier) | np.isinf(earlier)
        # A pole: no rounding grows like that (f is infinite at a midpoint on the way).
        grew = (history[-1] > 2 * earlier) | np.isinf(window).any(axis=0)
        # ... or v is a million times larger at an end than anywhere on the samples.
        va, vb = (np.abs(_flat(e, len(earlier))).max(axis=1) for e in state[2:4])
        grew |= np.fmax(va, vb) > 1e6 * judge.largest
    lasting = grew | (lasting & _stands_out(state, history[-1], level, at, judge))
    return state[0][lasting], state[1][lasting]


def _stands_out(
    state: tuple[np.ndarray, ...], error: np.ndarray, level: int, at: Levels, judge: _Judge
) -> np.ndarray:
    """Whether the last interval's residual is far above those of its neighbours of the
    same width, three on each side (a width apart): where it is not, it is rounding
    inside f (autograd's 1 − tanh² far out in the tail), which no floor from the samples'
    sizes foresees."""
    a, b = state[0], state[1]
    w = b - a
    # Not touching [a, b]: the value at a jump's own point may be halfway (|x|′ at 0).
    starts = [a - 4 * w, a - 3 * w, a - 2 * w, b + w, b + 2 * w, b + 3 * w]
    k = len(a)
    ends = np.concatenate(starts + [s + w for s in starts])
    v, d = at(np.concatenate([ends, np.concatenate([s + w / 2 for s in starts])]), level)
    noise = np.zeros(k)
    for j in range(len(starts)):
        lo, hi, mid = (slice(i * k, (i + 1) * k) for i in (j, j + len(starts), j + 2 * len(starts)))
        _, neighbour = judge.residual(w, (v[lo], v[hi], d[lo], d[hi]), d[mid])
        noise = np.fmax(noise, np.where(np.isfinite(neighbour), neighbour, 0.0))
    return error > 8 * noise


def _halves(
    left: np.ndarray, right_half: np.ndarray, right: np.ndarray, keep: np.ndarray
) -> np.ndarray:
    """Per interval, the left or the right half's value, for the intervals kept."""
    mask = right.reshape(right.shape + (1,) * (left.ndim - 1))
    return np.where(mask, right_half, left)[keep]


def _shortest(a: float, b: float) -> float:
    """The number with the fewest decimals in [a, b] (a jump at 0 is at 0, not 3e-9)."""
    lo, hi = float(min(a, b)), float(max(a, b))
    for decimals in range(16):
        candidate = round((lo + hi) / 2, decimals) + 0.0
        if lo <= candidate <= hi:
            return candidate
    return (lo + hi) / 2


def _distinct(found: list[Discontinuity], near: float) -> list[Discontinuity]:
    """One entry per place: the lowest order (a jump of f also breaks f′ there)."""
    kept: list[Discontinuity] = []
    for item in sorted(found, key=lambda d: (d.order, d.x)):
        if all(abs(item.x - other.x) > near for other in kept):
            kept.append(item)
    return sorted(kept, key=lambda d: d.x)


def name_points(xs: list[float]) -> str:
    """ "x = 0.3636", "x = 0.3636 and 0.7273", "x = 0.3636, 0.7273 and 0.9091" (at most
    eight named, then how many more)."""
    for digits in range(6, 18):  # enough digits to tell the points apart
        shown = [f"{v:.{digits}g}" for v in xs[:8]]
        if len(set(shown)) == len(shown):
            break
    if len(xs) > 8:
        return f"x = {', '.join(shown)} and {len(xs) - 8} more"
    if len(shown) == 1:
        return f"x = {shown[0]}"
    return f"x = {', '.join(shown[:-1])} and {shown[-1]}"
