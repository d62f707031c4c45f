"""Central differences at the samples: the check of autograd's f′ (the derivatives where
autograd cannot follow f are `stencils`').

The check (docs/protocol.md, "Semantics") compares autograd's f′ with central
differences at three step sizes h, h/2, h/4. For a smooth f the difference D(h) tends to
f′ like h², so |f′ − D(h/2)| is about a third of |D(h) − D(h/2)|, however steep or curved
f is. At a kink D stays at the mean of the two slopes while f′ is one of them; at a jump D
grows like 1/h: there |f′ − D| exceeds |D(h) − D(h/2)|. Only differences well above the
central difference's own error, at both halvings, are flagged.

"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from derivlens.calculus.common import EPS

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
        self.rounding: np.ndarray | float = 0.0
        #: The epsilon of the type f computes in (float32 code rounds far more).
        self.eps = EPS

    @classmethod
    def of(cls, evaluate: Evaluate, x: np.ndarray) -> Central:
        """For f of one variable."""
        return cls(lambda points, _which: evaluate(points), x)

    def calibrate(self, values: np.ndarray, slope: np.ndarray, rows: np.ndarray) -> None:
        """Measure how much rounding moves f near the samples `rows`: f at a + kδ for a
        few tiny δ, less the line through f(a) with autograd's slope, on either side of
        the sample (a = x ± h/2, so that a jump at x itself does not count), the smaller
        side kept. Cancellation inside f (the tail of GELU, where 1 + tanh(z) is tiny)
        makes this far larger than ε·|f|, and the differences' error with it."""
        x, h = self.x[rows], self.h[rows]
        delta = 64 * EPS * np.maximum(1.0, np.abs(x))
        sides = []
        for anchor in (x + h / 2, x - h / 2):
            base = self.along(anchor, rows)
            worst = np.zeros_like(base)
            for k in (1, 2, 3):
                shifted = self.along(anchor + k * delta, rows)
                line = base + _column(k * delta, base) * slope[rows]
                worst = np.fmax(worst, np.abs(shifted - line))
            sides.append(worst)
        measured = np.zeros_like(values)
        measured[rows] = np.fmin(sides[0], sides[1])
        self.rounding = measured

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
        noise = np.maximum(
            16 * self.eps * np.maximum(np.abs(plus), np.abs(minus)), self._measured(where)
        )
        return estimate, noise / step

    def _measured(self, where: np.ndarray | None) -> np.ndarray | float:
        """8 × the measured rounding of f (0 before `calibrate`)."""
        if isinstance(self.rounding, float):
            return self.rounding
        return 8 * (self.rounding if where is None else self.rounding[where])

    def bend(
        self, halvings: int, values: np.ndarray, where: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """(forward minus backward difference, (f(x+h) − 2 f(x) + f(x−h)) / h, and its
        rounding noise): about f″·h where f′ is continuous, the step of f′ at a kink."""
        plus, minus, step = self.sides(halvings, where)
        centre = values if where is None else values[where]
        bend = (plus - 2 * centre + minus) / step
        noise = np.maximum(
            32 * self.eps * np.maximum(np.abs(plus), np.abs(centre)), 2 * self._measured(where)
        )
        return bend, noise / step


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


def slope_precision(slope: np.ndarray) -> float:
    """The epsilon of the type autograd's f′ was computed in: float32's when every value
    is a float32 number and some need more bits than a float16 has (1/6 rounded to
    float32 does; 0, ±1, 0.5 or a constant slope of a line say nothing)."""
    finite = slope[np.isfinite(slope)]
    with np.errstate(over="ignore", invalid="ignore"):
        as32 = finite.astype(np.float32).astype(np.float64)
        as16 = finite.astype(np.float16).astype(np.float64)
    if finite.size and np.array_equal(as32, finite) and not np.array_equal(as16, finite):
        return float(np.finfo(np.float32).eps)
    return EPS


def disagreement(
    central: Central, slope: np.ndarray, values: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Where autograd's `slope` cannot be f′, as two masks per point (and per output):
    it differs from the central differences by more than their own error (a jump, a wrong
    backward, a kink between the samples), and f′ is not continuous there (a kink on the
    sample, as |x| at 0)."""
    # Below a ten-billionth of f′'s size over the domain, a difference is no disagreement:
    # autograd itself loses digits where f′ is tiny against the rest (GELU's tail, where
    # tanh's backward computes 1 − tanh² by cancellation), and nobody can see it.
    finite = np.abs(slope[np.isfinite(slope)])
    floor = 1e-10 * float(finite.max()) if finite.size else 0.0
    if central.eps > EPS:  # float32/float16 code: rounding relative to the curve's size
        sizes = np.abs(values[np.isfinite(values)])
        largest = float(sizes.max()) if sizes.size else 0.0
        floor = max(floor, 64 * central.eps * largest / float(central.h.min()) / 4)
    # A backward that computes in float32 (torch's hardsigmoid: 1/6 as 0.16666667163)
    # is exact only to float32: its own rounding is no disagreement.
    relative = max(1e-12, 8 * slope_precision(slope))
    tolerance = relative * (1 + np.abs(slope)) + floor
    kink_tolerance = max(1e-9, relative) * (1 + np.abs(slope)) + floor

    def flagged() -> tuple[np.ndarray, np.ndarray]:
        wrong_slope = _confirmed(
            central.at(0), central.at(1), lambda rows: central.at(2, rows), slope, tolerance
        )
        kink = _confirmed(
            central.bend(0, values),
            central.bend(1, values),
            lambda rows: central.bend(2, values, rows),
            np.zeros_like(slope),
            kink_tolerance,
        )
        return wrong_slope, kink

    wrong_slope, kink = flagged()
    rows = np.flatnonzero((wrong_slope | kink).reshape(len(slope), -1).any(axis=1))
    if rows.size == 0:
        return wrong_slope, kink
    central.calibrate(values, slope, rows)  # only where something was seen: it costs calls
    return flagged()
