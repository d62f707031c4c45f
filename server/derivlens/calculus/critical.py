"""Critical points: where f′ changes sign, refined to full precision.

The samples bracket each sign change of f′; the root is then found on f′ itself, all
brackets at once: by Newton's method on autograd's exact f′ and f″ (from the linear
interpolation, two or three steps reach full precision), or, on a finite-difference f′,
by the Illinois variant of regula falsi (superlinear like the secant method). Both stay
inside their bracket, falling back to bisection. A sign change between two values that
are both below f′'s noise floor (rounding in a flat region) is not a critical point.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from derivlens.calculus.common import EPS

#: f′ at an array of points (NaN where undefined), one value per point.
Slope = Callable[[np.ndarray], np.ndarray]
#: f′ and f″ at an array of points.
SlopeAndBend = Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]
ITERATIONS = 60
NEWTON_STEPS = 8


def noise_floor(values: np.ndarray, slope: np.ndarray, x: np.ndarray, error: float = 0.0) -> float:
    """Below this, a value of f′ may be rounding noise: relative to the size of f′, and
    to what rounding f can produce over the domain (or the differences' own error)."""
    finite_slope = np.abs(slope[np.isfinite(slope)])
    finite_values = np.abs(values[np.isfinite(values)])
    width = float(x[-1] - x[0]) or 1.0
    from_slope = 1e-9 * float(finite_slope.max()) if finite_slope.size else 0.0
    from_values = 64 * EPS * float(finite_values.max()) / width if finite_values.size else 0.0
    return max(from_slope, from_values, error)


def brackets(
    x: np.ndarray, slope: np.ndarray, floor: float
) -> tuple[list[tuple[float, float]], list[float]]:
    """(sample intervals over which f′ changes sign, samples where f′ is exactly 0 between
    two signs: the middle of such a run), never across a gap of nulls, not from noise.

    Each pair of neighbouring samples whose f′ is above `floor` is a candidate: it counts
    if the signs differ and no null lies between them (array operations, not a loop)."""
    finite = np.isfinite(slope)
    strong = np.flatnonzero(finite & (np.abs(np.where(finite, slope, 0.0)) > floor))
    found: list[tuple[float, float]] = []
    exact: list[float] = []
    if strong.size < 2:
        return found, exact
    signs = np.sign(slope[strong])
    nulls_before = np.cumsum(~finite)
    lo, hi = strong[:-1], strong[1:]
    pairs = (signs[:-1] != signs[1:]) & (nulls_before[hi] == nulls_before[lo])
    for a, b in zip(lo[pairs].tolist(), hi[pairs].tolist(), strict=True):
        zeros = np.flatnonzero(slope[a + 1 : b] == 0)
        if zeros.size:
            exact.append(float(x[a + 1 + zeros[zeros.size // 2]]))
        else:
            found.append((float(x[a]), float(x[b])))
    return found, exact


def away_from(
    intervals: list[tuple[float, float]], exact: list[float], avoid: Sequence[float], x: np.ndarray
) -> tuple[list[tuple[float, float]], list[float]]:
    """The brackets and exact zeros that hold no point of `avoid` (an exact zero within
    a sample's spacing of one is beside it)."""
    if not avoid:
        return intervals, exact
    points = np.array(avoid, dtype=float)
    spacing = float(x[1] - x[0]) if len(x) > 1 else 0.0
    kept = [(a, b) for a, b in intervals if not ((points >= a) & (points <= b)).any()]
    alone = [v for v in exact if not (np.abs(points - v) <= spacing).any()]
    return kept, alone


def refine(intervals: list[tuple[float, float]], slope_at: Slope) -> list[float]:
    """The root of f′ in each interval (where f′ changes sign), to full precision."""
    if not intervals:
        return []
    a = np.array([lo for lo, _ in intervals])
    b = np.array([hi for _, hi in intervals])
    fa, fb = slope_at(a), slope_at(b)
    kept = np.zeros(len(a))  # the end kept last time: -1 a, +1 b (Illinois halves its f′)
    for _ in range(ITERATIONS):
        live = (b - a) > 4 * EPS * np.maximum(np.abs(a), np.abs(b))
        if not live.any():
            break
        with np.errstate(invalid="ignore", divide="ignore"):
            c = (a * fb - b * fa) / (fb - fa)
        c = np.where(np.isfinite(c) & (c > a) & (c < b), c, (a + b) / 2)
        fc = slope_at(np.where(live, c, a))
        new_b = live & (np.sign(fc) == np.sign(fb))  # the root is in [a, c]
        new_a = live & (np.sign(fc) == np.sign(fa))  # the root is in [c, b]
        fa = np.where(new_b & (kept == -1), fa / 2, fa)
        fb = np.where(new_a & (kept == 1), fb / 2, fb)
        b, fb = np.where(new_b, c, b), np.where(new_b, fc, fb)
        a, fa = np.where(new_a, c, a), np.where(new_a, fc, fa)
        kept = np.where(new_b, -1, np.where(new_a, 1, kept))
        hit = live & (fc == 0)
        a, b = np.where(hit, c, a), np.where(hit, c, b)
    return [float(v) for v in np.where(np.abs(fa) <= np.abs(fb), a, b)]


def newton(
    intervals: list[tuple[float, float]],
    slope_and_bend: SlopeAndBend,
    guess: np.ndarray,
    lower_sign: np.ndarray,
) -> list[float]:
    """Roots of f′ by Newton's method from `guess`, kept inside each interval (f′ has
    the sign `lower_sign` at its lower end, the opposite at its upper end); a root
    where f″ does not lead there (a jump of f′ through 0) is finished by `refine` on
    what is left of its interval."""
    a = np.array([lo for lo, _ in intervals])
    b = np.array([hi for _, hi in intervals])
    settle = 1e-7 * (b - a)  # a step this small leaves an error of about its square
    x = np.clip(guess, a, b)
    last = np.full(len(x), np.inf)
    for _ in range(NEWTON_STEPS):
        slope, bend = slope_and_bend(x)
        below = np.sign(slope) == lower_sign
        a, b = np.where(below, x, a), np.where(below, b, x)
        with np.errstate(invalid="ignore", divide="ignore"):
            step = np.where(slope == 0, 0.0, slope / bend)
        new = x - step
        new = np.where(np.isfinite(new) & (new >= a) & (new <= b), new, (a + b) / 2)
        last = np.abs(new - x)
        x = new
        if (last <= settle).all():
            break
    astray = np.flatnonzero(last > settle)
    if astray.size:
        left = [(float(a[i]), float(b[i])) for i in astray]
        x[astray] = refine(left, lambda points: slope_and_bend(points)[0])
    return [float(v) for v in x]


def critical_points(
    x: np.ndarray,
    values: np.ndarray,
    slope: np.ndarray,
    slope_at: Slope,
    error: float = 0.0,
    slope_and_bend: SlopeAndBend | None = None,
    avoid: Sequence[float] = (),
) -> list[float]:
    """Where f′ changes sign in the domain, refined on f′ (with f″ when it is exact).

    A sign change whose bracket holds a point of `avoid` is no root (the same search
    finds inflection points on f″, `inflection`: not across a jump of f or f′)."""
    floor = noise_floor(values, slope, x, error)
    intervals, exact = away_from(*brackets(x, slope, floor), avoid, x)
    if not intervals:
        return sorted(exact)
    if slope_and_bend is None:
        return sorted([*refine(intervals, slope_at), *exact])
    index = {float(v): i for i, v in enumerate(x)}
    lo = np.array([slope[index[a]] for a, _ in intervals])
    hi = np.array([slope[index[b]] for _, b in intervals])
    a, b = (np.array(ends) for ends in zip(*intervals, strict=True))
    guess = a - lo * (b - a) / (hi - lo)  # the linear interpolation
    return sorted([*newton(intervals, slope_and_bend, guess, np.sign(lo)), *exact])
