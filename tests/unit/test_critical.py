"""Where f′ changes sign (`calculus.critical.brackets`), against a plain scan.

The scan walks the samples in order: a sign is kept from the last sample above the
noise floor, a null (NaN or ±inf) forgets it, and a change of sign is a bracket, or an
exact critical point where f′ is exactly 0 in between (the middle of that run).
"""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from derivlens.calculus.critical import brackets

VALUES = st.sampled_from([0.0, 1e-12, -1e-12, 0.5, -0.5, 2.0, -3.0, np.nan, np.inf, -np.inf])


def scan(x: np.ndarray, slope: np.ndarray, floor: float) -> tuple[list, list]:
    found, exact = [], []
    last_sign, last_index = 0.0, -1
    for i, value in enumerate(slope):
        if not np.isfinite(value):
            last_sign, last_index = 0.0, -1
            continue
        sign = float(np.sign(value)) if abs(value) > floor else 0.0
        if sign == 0:
            continue
        if last_sign and sign != last_sign:
            zeros = [j for j in range(last_index + 1, i) if slope[j] == 0]
            if zeros:
                exact.append(float(x[zeros[len(zeros) // 2]]))
            else:
                found.append((float(x[last_index]), float(x[i])))
        last_sign, last_index = sign, i
    return found, exact


@settings(max_examples=400, deadline=None)
@given(st.lists(VALUES, min_size=0, max_size=40), st.sampled_from([0.0, 1e-9, 1.0]))
def test_brackets_are_the_sign_changes_a_scan_finds(values: list[float], floor: float) -> None:
    slope = np.array(values, dtype=float)
    x = np.linspace(-1.0, 1.0, len(values)) if values else np.array([])
    assert brackets(x, slope, floor) == scan(x, slope, floor)


def test_a_cubic_s_slope_changes_sign_twice() -> None:
    x = np.linspace(-2.0, 2.0, 401)
    slope = 3 * x**2 - 4 * x + 1  # f = x³ − 2x² + x − 1: critical points 1/3 and 1
    found, exact = brackets(x, slope, 1e-9)
    assert exact == [] or exact == [1.0]
    assert len(found) + len(exact) == 2
    assert found[0][0] < 1 / 3 < found[0][1]
