"""Critical points: where f′ changes sign, refined to full precision.

The samples bracket each sign change of f′; the root is then found on f′ itself, all
brackets at once: by Newton's method on autograd's exact f′ and f″ (from the root of
the cubic that matches f′ and f″ at the bracket's ends, one step and its check reach full
precision; `together` refines several searches with one evaluation per step), or, on a
finite-difference f′,
by the Illinois variant of regula falsi (superlinear like the secant method). Both stay
inside their bracket, falling back to bisection. A sign change between two values that
are both below f′'s noise floor (rounding in a flat region) is not a critical point.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from derivlens.calculus.common import EPS

#: f′ at an array of points (NaN where undefined), one value per point.
Slope = Callable[[np.ndarray], np.ndarray]
#: f′ and f″ at an array of points.
SlopeAndBend = Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]
#: f's derivatives by order (at least the ones a search asks for) at an array of points.
Derivatives = Callable[[np.ndarray], dict[int, np.ndarray]]
ITERATIONS = 60
NEWTON_STEPS = 8
#: How far the estimate of a root's error after a step is trusted (`newton`).
SAFETY = 4.0
#: Newton steps on the cubic that gives the first guess (numpy only, cheap).
HERMITE_STEPS = 4


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
    curvature: np.ndarray | None = None,
) -> list[float]:
    """Roots of f′ by Newton's method from `guess`, kept inside each interval (f′ has
    the sign `lower_sign` at its lower end, the opposite at its upper end); a root
    where f″ does not lead there (a jump of f′ through 0) is finished by `refine` on
    what is left of its interval.

    A root is settled when a step is below `settle` (its error is then about the step's
    square), or, given `curvature` (a bound on |f‴| over each interval), when the step
    just taken leaves an error below that: Newton's error after a step s is about
    |f‴ / 2f″|·s², so a close first guess needs no second evaluation to confirm it."""
    a = np.array([lo for lo, _ in intervals])
    b = np.array([hi for _, hi in intervals])
    settle = 1e-7 * (b - a)  # a step this small leaves an error of about its square
    width = b - a
    close = 1e-3 * width  # a step this small came from a guess in the quadratic regime
    x = np.clip(guess, a, b)
    done = np.zeros(len(x), dtype=bool)
    for _ in range(NEWTON_STEPS):
        slope, bend = slope_and_bend(x)
        below = np.sign(slope) == lower_sign
        a, b = np.where(below, x, a), np.where(below, b, x)
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            step = np.where(slope == 0, 0.0, slope / bend)
            new = x - step
            new = np.where(np.isfinite(new) & (new >= a) & (new <= b), new, (a + b) / 2)
            last = np.abs(new - x)
            done = last <= settle
            if curvature is not None:  # the error left below rounding's: x is final
                left = SAFETY * curvature / (2 * np.abs(bend)) * last**2
                rounding = EPS * np.maximum(np.abs(new), width)
                done |= (last <= close) & np.isfinite(left) & (left <= rounding)
        x = new
        if done.all():
            break
    astray = np.flatnonzero(~done)
    if astray.size:
        left = [(float(a[i]), float(b[i])) for i in astray]

        def slope_there(points: np.ndarray) -> np.ndarray:
            every = x.copy()  # `slope_and_bend` is asked for every root at once, always
            every[astray] = points
            return slope_and_bend(every)[0][astray]

        x[astray] = refine(left, slope_there)
    return [float(v) for v in x]


def hermite_guess(
    a: np.ndarray, b: np.ndarray, ends: tuple[np.ndarray, np.ndarray], bends: np.ndarray | None
) -> np.ndarray:
    """Where f′ crosses 0 in each [a, b]: the linear interpolation of f′'s values at the
    ends, or, where f″ is known and finite at both ends (`bends`: the pairs), the root of
    the cubic that matches f′ and f″ there (error of order h⁴ rather than h²: Newton's
    method on f′ then settles a step sooner). Always inside the bracket."""
    lo, hi = ends
    linear = lo / (lo - hi)  # where the chord crosses 0, as a fraction of b - a
    if bends is None:
        return a + linear * (b - a)
    h = b - a
    da, db = bends[0] * h, bends[1] * h
    t = linear.copy()
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        for _ in range(HERMITE_STEPS):  # Newton's method on the cubic, in numpy
            value = (
                (2 * t**3 - 3 * t**2 + 1) * lo
                + (t**3 - 2 * t**2 + t) * da
                + (3 * t**2 - 2 * t**3) * hi
                + (t**3 - t**2) * db
            )
            slope = (
                (6 * t**2 - 6 * t) * lo
                + (3 * t**2 - 4 * t + 1) * da
                + (6 * t - 6 * t**2) * hi
                + (3 * t**2 - 2 * t) * db
            )
            t = t - value / slope
    t = np.where(np.isfinite(t) & (t > 0) & (t < 1), t, linear)
    return a + t * (b - a)


@dataclass(frozen=True)
class Bracketed:
    """One search's sign changes: the brackets, a first guess in each and the sign at
    its lower end, and the samples where the function is exactly 0 between two signs."""

    intervals: list[tuple[float, float]]
    guess: np.ndarray
    lower_sign: np.ndarray
    exact: list[float]
    curvature: np.ndarray | None = None  # a bound on |f‴| over each bracket, if known


def bracketed(
    x: np.ndarray,
    values: np.ndarray,
    slope: np.ndarray,
    error: float = 0.0,
    avoid: Sequence[float] = (),
    bend: np.ndarray | None = None,
    third: np.ndarray | None = None,
) -> Bracketed:
    """The sign changes of f′ (`slope` at the samples) that are not noise and hold no
    point of `avoid`, with first guesses (closer ones with `bend`, f″ at the samples) and
    with `bend`, a bound on |f‴| over each (`third`: f‴ at the samples, if known)."""
    floor = noise_floor(values, slope, x, error)
    intervals, exact = away_from(*brackets(x, slope, floor), avoid, x)
    if not intervals:
        return Bracketed([], np.zeros(0), np.zeros(0), exact)
    index = {float(v): i for i, v in enumerate(x)}
    at_a = np.array([index[a] for a, _ in intervals])
    at_b = np.array([index[b] for _, b in intervals])
    lo, hi = slope[at_a], slope[at_b]
    if bend is None:
        guess = hermite_guess(x[at_a], x[at_b], (lo, hi), None)
        return Bracketed(intervals, guess, np.sign(lo), exact)
    bends = np.stack([bend[at_a], bend[at_b]])
    guess = hermite_guess(x[at_a], x[at_b], (lo, hi), bends)
    curvature = np.abs(bends[1] - bends[0]) / (x[at_b] - x[at_a])  # f‴ between the ends
    if third is not None:
        curvature = np.maximum(curvature, np.maximum(np.abs(third[at_a]), np.abs(third[at_b])))
    return Bracketed(intervals, guess, np.sign(lo), exact, curvature)


def critical_points(
    x: np.ndarray,
    values: np.ndarray,
    slope: np.ndarray,
    slope_at: Slope,
    error: float = 0.0,
    slope_and_bend: SlopeAndBend | None = None,
    avoid: Sequence[float] = (),
    bend: np.ndarray | None = None,
) -> list[float]:
    """Where f′ changes sign in the domain, refined on f′ (with f″ when it is exact;
    `bend`: f″ at the samples, if known, for a closer first guess).

    A sign change whose bracket holds a point of `avoid` is no root (the same search
    finds inflection points on f″, `inflection`: not across a jump of f or f′)."""
    found = bracketed(x, values, slope, error, avoid, bend)
    if not found.intervals:
        return sorted(found.exact)
    if slope_and_bend is None:
        return sorted([*refine(found.intervals, slope_at), *found.exact])
    roots = newton(found.intervals, slope_and_bend, found.guess, found.lower_sign)
    return sorted([*roots, *found.exact])


def together(
    searches: Sequence[tuple[Bracketed, int]], derivatives_at: Derivatives
) -> list[list[float]]:
    """Several searches refined at once, each (`(found, k)`) on the k-th derivative with
    the next one (the critical points on f′ and f″, the inflection points on f″ and f‴):
    one evaluation of f's derivatives at all their points per Newton step."""
    levels = np.concatenate([np.full(len(found.intervals), k) for found, k in searches])
    intervals = [pair for found, _ in searches for pair in found.intervals]
    roots: list[float] = []
    if intervals:

        def slope_and_bend(points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            derivatives = derivatives_at(points)
            pick = [levels == k for k in set(levels.tolist())]
            slope = np.select(pick, [derivatives[k] for k in set(levels.tolist())])
            bend = np.select(pick, [derivatives[k + 1] for k in set(levels.tolist())])
            return slope, bend

        guess = np.concatenate([found.guess for found, _ in searches])
        lower = np.concatenate([found.lower_sign for found, _ in searches])
        bounds = [found.curvature for found, _ in searches if found.intervals]
        known = [bound for bound in bounds if bound is not None]
        curvature = np.concatenate(known) if len(known) == len(bounds) else None
        roots = newton(intervals, slope_and_bend, guess, lower, curvature)
    split = np.cumsum([len(found.intervals) for found, _ in searches])[:-1]
    return [
        sorted([*part.tolist(), *found.exact])
        for part, (found, _) in zip(np.split(np.array(roots), split), searches, strict=True)
    ]
