"""Derivatives by finite differences that keep their word (docs/protocol.md, "Semantics").

- Inside the domain only: a stencil that would reach past an end is shifted inward (one-
  sided at the ends, its weights solved for its offsets), so a function of t ∈ [0, 1] is
  never evaluated at t > 1.
- An adaptive step: D is computed at h, h/2, h/4, … and, per point, the step whose change
  to the next is smallest is kept; near a singularity (1 − sqrt(1 − t²) at t → 1) that is
  a smaller step than elsewhere. For a 4th-order stencil twice the larger of the changes
  to both neighbouring steps bounds the value's error with a wide margin; rounding of f
  at that step is added. A value whose error is a good part of itself is no derivative.
- A step is a difference of floats actually evaluated, (x + h) − x, never less than a few
  spacings of floats at x: at x = 1e15 a step of 1e-4 would round to 0 and give f′ = 0
  with a false error of 0. Where no step fits inside the domain the derivative is not
  computed (NaN) and the points are named.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import cache

import numpy as np

from derivlens.calculus.common import EPS, POINTWISE_ERRORS, STENCILS, FunctionFailed

Evaluate = Callable[[np.ndarray], np.ndarray]
#: f with one coordinate replaced at some of the points (`rows`), the others held.
Along = Callable[[np.ndarray, np.ndarray], np.ndarray]
#: Steps tried for every point, and at most for the points whose error is still large.
FIRST_HALVINGS, MORE_HALVINGS = 3, 10
#: Relative error below which no smaller step is tried.
GOOD_ENOUGH = 1e-7


@cache
def _weights(offsets: tuple[int, ...], order: int) -> np.ndarray:
    """Weights w with Σ wⱼ f(x + oⱼh) / hᵏ = f⁽ᵏ⁾(x) + O(h^(n−k)) for these offsets."""
    powers = np.vander(np.array(offsets, dtype=float), len(offsets), increasing=True).T
    target = np.zeros(len(offsets))
    target[order] = math.factorial(order)
    return np.linalg.solve(powers, target)


def _central(order: int) -> tuple[tuple[int, ...], np.ndarray]:
    offsets, weights, divisor = STENCILS[order]
    return offsets, np.array(weights) / divisor


def _column(a: np.ndarray, like: np.ndarray) -> np.ndarray:
    return a.reshape(a.shape + (1,) * (like.ndim - 1))


def first_step(x: np.ndarray, order: int, domain: tuple[float, float]) -> np.ndarray:
    """Balances truncation against rounding at f's scale of variation, taken as |x| but no
    more than the domain's width (sin at 1e3 varies on a scale of 1, not 1e3)."""
    width = max(1.0, float(domain[1] - domain[0]))
    return EPS ** (1.0 / (order + 4)) * np.minimum(np.maximum(1.0, np.abs(x)), width)


def at_step(
    along: Along,
    x: np.ndarray,
    rows: np.ndarray,
    order: int,
    h: np.ndarray,
    domain: tuple[float, float],
) -> tuple[np.ndarray, np.ndarray]:
    """(D at step h, its rounding noise) per point, every stencil inside `domain`; NaN
    where the step is unusable (rounds to nothing at x, or no stencil fits)."""
    lo, hi = domain
    h = (x + h) - x  # the step actually taken
    offsets, weights = _central(order)
    start = np.zeros(len(x), dtype=int)
    with np.errstate(invalid="ignore", divide="ignore"):
        low = np.ceil((lo - x) / h).astype(float)
        high = np.floor((hi - x) / h).astype(float)
    fits = (x + min(offsets) * h >= lo) & (x + max(offsets) * h <= hi) & (h > 0)
    shifted_n = order + 6  # one-sided stencils lose accuracy: two more points
    start = np.where(low > -(shifted_n // 2), low, high - (shifted_n - 1))
    start = np.clip(np.nan_to_num(start), -(2**30), 2**30).astype(int)
    usable = fits | ((h > 0) & (start + shifted_n - 1 <= high) & (start >= low))
    value, noise = None, None
    groups = [(None, fits)] + [(s, ~fits & usable & (start == s)) for s in np.unique(start[~fits])]
    for shift, where in groups:
        if not where.any():
            continue
        if shift is None:
            offs, w = offsets, weights
        else:
            offs = tuple(range(int(shift), int(shift) + shifted_n))
            w = _weights(offs, order)
        d, n = _apply(along, x[where], rows[where], h[where], offs, w, order)
        if value is None or noise is None:
            value = np.full((len(x), *d.shape[1:]), np.nan)
            noise = np.full_like(value, np.nan)
        value[where], noise[where] = d, n
    if value is None or noise is None:
        return np.full(len(x), np.nan), np.full(len(x), np.nan)
    return value, noise


def _apply(
    along: Along,
    x: np.ndarray,
    rows: np.ndarray,
    h: np.ndarray,
    offsets: tuple[int, ...],
    weights: np.ndarray,
    order: int,
) -> tuple[np.ndarray, np.ndarray]:
    total: np.ndarray | None = None
    largest: np.ndarray | None = None
    for offset, weight in zip(offsets, weights, strict=True):
        if weight == 0:
            continue
        f = _defined(along, x + offset * h, rows)
        total = weight * f if total is None else total + weight * f
        largest = np.abs(f) if largest is None else np.fmax(largest, np.abs(f))
    assert total is not None and largest is not None
    scale = _column(h, total) ** order
    noise = 8 * EPS * largest * float(np.abs(weights).sum()) / scale
    return total / scale, noise


def _defined(along: Along, points: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """f at `points`, NaN where it is undefined at every one of them (math domain error)."""
    try:
        return along(points, rows)
    except FunctionFailed as failure:
        if not isinstance(failure.error, POINTWISE_ERRORS):
            raise
        return np.full(len(points), np.nan)


def derivative_with_error(
    evaluate: Evaluate,
    x: np.ndarray,
    order: int,
    domain: tuple[float, float],
    along: Along | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """(the derivative of `order`, a bound on its error) per point: the step halved until
    D settles, per point (see the module's docstring). NaN error: not estimable there.
    `along` replaces `evaluate` for f of two variables (the other coordinate per row)."""
    call: Along = along if along is not None else (lambda points, _rows: evaluate(points))
    every = np.arange(len(x))
    h = np.maximum(first_step(x, order, domain), 4 * np.spacing(np.abs(x)))
    # From four times the balanced step (one-sided stencils round more) downwards.
    steps = [at_step(call, x, every, order, h / 2.0**j, domain) for j in range(-2, FIRST_HALVINGS)]
    # No difference promises less than the rounding noise at the balanced step, at f's
    # scale over the whole curve: where f is near 0 by cancellation (a sum of larger
    # terms), its rounding is that of the terms, not of f (a hypothesis run found a point
    # 2.5x over a bound taken at f's own size there).
    noise = steps[2][1]
    floor = float(np.nanmax(noise)) if np.isfinite(noise).any() else 0.0
    best, error = _settle(steps)
    more = _worse_than(best, error)
    j = FIRST_HALVINGS
    while more.any() and j < MORE_HALVINGS:
        rows = np.flatnonzero(more)
        last = [(d[rows], n[rows]) for d, n in steps[-2:]]
        step = at_step(call, x[rows], rows, order, h[rows] / 2.0**j, domain)
        candidate, candidate_error = _settle([*last, step])
        better = candidate_error < error[rows]
        best[rows[better]], error[rows[better]] = candidate[better], candidate_error[better]
        steps = [steps[-1], (_put(steps[-1][0], rows, step[0]), _put(steps[-1][1], rows, step[1]))]
        steps[0] = (_put(steps[0][0], rows, last[1][0]), _put(steps[0][1], rows, last[1][1]))
        more = np.zeros_like(more)
        more[rows] = _worse_than(step[0], candidate_error) & better
        j += 1
    return best, np.fmax(error, floor)


def unsettled(
    best: np.ndarray, error: np.ndarray, scale: float = 0.0
) -> tuple[np.ndarray, np.ndarray]:
    """A value whose error is a good part of itself (and of the curve) is no derivative:
    the differences did not settle (f′ of 1 − sqrt(1 − t²) at t = 1 is infinite); NaN."""
    finite = np.abs(best[np.isfinite(best)])
    # `scale`: the size a derivative of f has over the domain (|f| / widthᵏ), so that a
    # flat curve's rounding (1e-14 ± 4e-12) is no unsettled value.
    largest = max(float(finite.max()) if finite.size else 0.0, scale)
    with np.errstate(invalid="ignore"):
        wild = (error > 0.25 * np.abs(best)) & (error > 1e-3 * largest)
    best = np.where(wild, np.nan, best)
    return best, error


def _put(into: np.ndarray, rows: np.ndarray, values: np.ndarray) -> np.ndarray:
    out = into.copy()
    out[rows] = values
    return out


def _settle(steps: list[tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
    """Per point, the D of three successive steps whose changes to both neighbours are
    smallest, with four times the larger change plus its rounding noise as its error (one
    small change can be luck, two in a row rarely are; the factor covers one-sided
    stencils, whose error constant is larger, and two changes that shrink by chance)."""
    best = np.full_like(steps[0][0], np.nan)
    error = np.full_like(steps[0][0], np.inf)
    for (coarse, _), (middle, noise), (fine, _) in zip(steps, steps[1:], steps[2:], strict=False):
        with np.errstate(invalid="ignore"):
            change = 4 * (np.fmax(np.abs(coarse - middle), np.abs(middle - fine)) + noise)
            better = change < error
        best = np.where(better, middle, best)
        error = np.where(better, change, error)
    error[~np.isfinite(error)] = np.nan
    return best, error


def _worse_than(value: np.ndarray, error: np.ndarray) -> np.ndarray:
    """Points (rows) whose error is still above GOOD_ENOUGH of their size."""
    with np.errstate(invalid="ignore"):
        bad = error > GOOD_ENOUGH * (1 + np.abs(value))
    return bad.reshape(len(bad), -1).any(axis=1)
