"""Central differences: the check of autograd's f′, and the derivatives where autograd
cannot follow f, each with an estimate of its own error.

The check (docs/protocol.md, "Semantics") compares autograd's f′ with central
differences at three step sizes h, h/2, h/4. For a smooth f the difference D(h) tends to
f′ like h², so |f′ − D(h/2)| is about a third of |D(h) − D(h/2)|, however steep or curved
f is. At a kink D stays at the mean of the two slopes while f′ is one of them; at a jump D
grows like 1/h: there |f′ − D| exceeds |D(h) − D(h/2)|. Only differences well above the
central difference's own error, at both halvings, are flagged.

The derivatives by differences use 4th-order stencils at a step balancing truncation
and rounding; the same stencil at twice the step estimates their error.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from derivlens.calculus.common import EPS, STENCILS

#: f at an array of points (NaN where undefined): shape (points,) or (points, outputs).
Evaluate = Callable[[np.ndarray], np.ndarray]
#: f along one axis: the coordinates along it, and which points (the others stay put).
Along = Callable[[np.ndarray, "np.ndarray | slice"], np.ndarray]
#: How far autograd may be from D(h/2), in units of D's own error, before it is flagged.
RATIO = 1.5


def base_step(x: np.ndarray) -> np.ndarray:
    """The central difference's step at x: balances truncation (h²) and rounding (ε/h)."""
    return np.cbrt(EPS) * np.maximum(1.0, np.abs(x))


def _column(a: np.ndarray, like: np.ndarray) -> np.ndarray:
    """`a` (one value per point) shaped to broadcast against `like` (per point, per output)."""
    return a.reshape(a.shape + (1,) * (like.ndim - 1))


class Central:
    """Central differences of f along one axis at the samples, for the steps h / 2^k,
    each computed once. `along(coordinates, which)` is f with that axis's coordinate
    replaced, at the points `which` (all of them, or a few)."""

    def __init__(self, along: Along, x: np.ndarray) -> None:
        self.along = along
        self.x = x
        self.h = base_step(x)
        self._sides: dict[int, tuple[np.ndarray, np.ndarray]] = {}

    @classmethod
    def of(cls, evaluate: Evaluate, x: np.ndarray) -> Central:
        """For f of one variable."""
        return cls(lambda points, _which: evaluate(points), x)

    def sides(self, halvings: int, where: np.ndarray | None = None) -> tuple[np.ndarray, ...]:
        """(f(x + h), f(x − h), h) for h = base / 2^halvings, at the samples (or `where`)."""
        which: np.ndarray | slice = slice(None) if where is None else where
        h = self.h[which] / 2**halvings
        if where is None and halvings in self._sides:
            plus, minus = self._sides[halvings]
        else:
            x = self.x[which]
            plus, minus = self.along(x + h, which), self.along(x - h, which)
            if where is None:
                self._sides[halvings] = (plus, minus)
        return plus, minus, _column(h, plus)

    def at(self, halvings: int, where: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(D(h / 2^halvings), its rounding noise) at the samples (or at `where`)."""
        plus, minus, step = self.sides(halvings, where)
        estimate = (plus - minus) / (2 * step)
        noise = 16 * EPS * np.maximum(np.abs(plus), np.abs(minus)) / step
        return estimate, noise

    def bend(
        self, halvings: int, values: np.ndarray, where: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """(forward minus backward difference, (f(x+h) − 2 f(x) + f(x−h)) / h, and its
        rounding noise): about f″·h where f′ is continuous, the step of f′ at a kink."""
        plus, minus, step = self.sides(halvings, where)
        centre = values if where is None else values[where]
        bend = (plus - 2 * centre + minus) / step
        noise = 32 * EPS * np.maximum(np.abs(plus), np.abs(centre)) / step
        return bend, noise


def _confirmed(
    first: tuple[np.ndarray, np.ndarray],
    second: tuple[np.ndarray, np.ndarray],
    third: Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]],
    target: np.ndarray,
    tolerance: np.ndarray,
) -> np.ndarray:
    """Where `target` (autograd's f′, or 0) is farther from a difference than that
    difference's own error, from steps h and h/2, confirmed with h/4 (at those points)."""
    (d1, _), (d2, noise2) = first, second
    with np.errstate(invalid="ignore"):
        suspect = np.abs(target - d2) > RATIO * np.abs(d1 - d2) + noise2 + tolerance
    suspect &= np.isfinite(d1) & np.isfinite(d2) & np.isfinite(target)
    rows = np.flatnonzero(suspect.reshape(len(suspect), -1).any(axis=1))
    confirmed = np.zeros_like(suspect)
    if rows.size == 0:
        return confirmed
    d3, noise3 = third(rows)
    gap = RATIO * np.abs(d2[rows] - d3) + noise3 + tolerance[rows]
    with np.errstate(invalid="ignore"):
        again = np.abs(target[rows] - d3) > gap
    confirmed[rows] = suspect[rows] & again & np.isfinite(d3)
    return confirmed


def disagreement(
    central: Central, slope: np.ndarray, values: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Where autograd's `slope` cannot be f′, as two masks per point (and per output):
    it differs from the central differences by more than their own error (a jump, a wrong
    backward, a kink between the samples), and f′ is not continuous there (a kink on the
    sample, as |x| at 0)."""
    tolerance = 1e-12 * (1 + np.abs(slope))
    wrong_slope = _confirmed(
        central.at(0), central.at(1), lambda rows: central.at(2, rows), slope, tolerance
    )
    bends = (central.bend(0, values), central.bend(1, values))
    kink_tolerance = 1e-9 * (1 + np.abs(slope))
    kink = _confirmed(
        bends[0],
        bends[1],
        lambda rows: central.bend(2, values, rows),
        np.zeros_like(slope),
        kink_tolerance,
    )
    return wrong_slope, kink


def stencil(evaluate: Evaluate, x: np.ndarray, order: int, scale: float = 1.0) -> np.ndarray:
    """The 4th-order central difference of f of `order` at x, at `scale` × its best step."""
    offsets, weights, divisor = STENCILS[order]
    step = scale * EPS ** (1.0 / (order + 4)) * np.maximum(1.0, np.abs(x))
    total: np.ndarray | None = None
    for offset, weight in zip(offsets, weights, strict=True):
        term = weight * evaluate(x + offset * step)
        total = term if total is None else total + term
    assert total is not None
    return total / (divisor * _column(step, total) ** order)


def derivative_with_error(
    evaluate: Evaluate, x: np.ndarray, order: int
) -> tuple[np.ndarray, np.ndarray]:
    """(the derivative of `order` by differences, an estimate of its error at each point):
    the same stencil at twice the step; for a 4th-order stencil the difference between
    the two bounds the error of the finer one (by about 15×, more near rounding)."""
    fine = stencil(evaluate, x, order)
    coarse = stencil(evaluate, x, order, scale=2.0)
    return fine, np.abs(fine - coarse)
