"""Write tests/corpus/references.json from our mpmath re-implementations (`mp_functions`).

Run after changing the list or a re-implementation:
`python -m tests.corpus.make_references` (from the repository's root). The test
`test_corpus.py::test_the_stored_references_are_those_of_the_re_implementations` keeps
the file and the re-implementations in step.

For each entry, a handful of grid points: nine spread over the domain (its ends
included) and the two samples on either side of every discontinuity. Derivatives are
`mpmath.diff` at 30 digits, kept only where two step sizes agree (not at a kink or a
singularity, nor where the function is not defined on both sides of the point); at the
domain's ends, one-sided from inside the domain (f's derivative on the domain).
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import mpmath
import numpy as np

from tests.corpus.entries import ENTRIES, Entry
from tests.corpus.mp_functions import REFERENCES

PATH = Path(__file__).with_name("references.json")
DIGITS = 30
SPREAD = 9


def grid(domain: tuple[float, float], samples: int) -> np.ndarray:
    return np.linspace(domain[0], domain[1], samples)


def point_indices(entry: Entry) -> list[int]:
    """Nine spread samples and the neighbours of each discontinuity."""
    n = entry.samples
    chosen = {round(k * (n - 1) / (SPREAD - 1)) for k in range(SPREAD)}
    a, b = entry.domain
    for x, _order in entry.discontinuities:
        at = (x - a) / (b - a) * (n - 1)
        chosen.update(i for i in (math.floor(at) - 1, math.floor(at), math.ceil(at),
                                  math.ceil(at) + 1) if 0 <= i < n)  # fmt: skip
    return sorted(chosen)


def real(value: Any) -> float | None:
    """A finite real mpmath value as a float, else None."""
    if isinstance(value, mpmath.mpc) or not mpmath.isfinite(value):
        return None
    return float(value)


def derivative(function: Any, x: Any, order: int, direction: int = 0) -> float | None:
    """f⁽ᵏ⁾(x), or None where two step sizes disagree (a kink, a jump, a singularity).
    At the domain's ends (`direction` +1 at its start, −1 at its end) the derivative of
    f on the domain: one-sided, from inside it (docs/protocol.md, "Semantics": finite
    differences never evaluate f outside the requested domain)."""
    steps = ("1e-9", "1e-12") if direction == 0 else ("1e-16", "1e-18")
    try:
        # One-sided differences err like h, not h²: tiny steps, at three times the digits.
        with mpmath.workdps(DIGITS if direction == 0 else 3 * DIGITS):
            coarse, fine = (
                mpmath.diff(function, x, order, h=mpmath.mpf(h), direction=direction) for h in steps
            )
    except (ValueError, ZeroDivisionError):
        return None
    if real(coarse) is None or real(fine) is None:
        return None
    if abs(coarse - fine) > 1e-10 * max(1, abs(fine)):
        return None
    return float(fine)


def near_a_discontinuity(entry: Entry, x: float) -> bool:
    width = entry.domain[1] - entry.domain[0]
    return any(abs(x - d) < 1e-6 * width for d, _ in entry.discontinuities)


def curve_points(entry: Entry) -> list[dict[str, Any]]:
    function = REFERENCES[entry.id]
    xs = grid(entry.domain, entry.samples)
    points = []
    for i in point_indices(entry):
        x = mpmath.mpf(float(xs[i]))
        value = real(function(x))
        if near_a_discontinuity(entry, float(x)):
            slopes: list[float | None] = [None] * entry.order
        else:
            inward = 1 if i == 0 else -1 if i == entry.samples - 1 else 0
            slopes = [derivative(function, x, k, inward) for k in range(1, entry.order + 1)]
        points.append({"i": i, "x": float(x), "f": value, "d": slopes})
    return points


def surface_points(entry: Entry) -> list[dict[str, Any]]:
    function = REFERENCES[entry.id]
    assert entry.ydomain is not None
    xs, ys = grid(entry.domain, entry.samples), grid(entry.ydomain, entry.samples)
    picks = [0, entry.samples // 3, (2 * entry.samples) // 3, entry.samples - 1]
    points = []
    for i in picks:
        for j in picks:
            x, y = mpmath.mpf(float(xs[i])), mpmath.mpf(float(ys[j]))
            gx = mpmath.diff(function, (x, y), (1, 0))
            gy = mpmath.diff(function, (x, y), (0, 1))
            point = {"i": i, "j": j, "x": float(x), "y": float(y), "f": real(function(x, y))}
            points.append({**point, "gx": real(gx), "gy": real(gy)})
    return points


def references() -> dict[str, list[dict[str, Any]]]:
    with mpmath.workdps(DIGITS):
        return {e.id: surface_points(e) if e.two_variables else curve_points(e) for e in ENTRIES}


def main() -> None:
    PATH.write_text(json.dumps(references(), indent=0, sort_keys=True) + "\n")
    print(f"wrote {PATH} ({len(ENTRIES)} entries)")


if __name__ == "__main__":
    main()
