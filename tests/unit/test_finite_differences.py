"""Finite differences that keep their word (docs/protocol.md, "Semantics"): inside the
domain only, a step that adapts near a singularity, and a stated error that bounds the
real one at every point (checked against analytic derivatives)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from derivlens.calculus import differentiate_1d
from derivlens.calculus.stencils import derivative_with_error, unsettled


def ease_in_circ(t):
    return 1 - math.sqrt(1 - t * t)


def test_never_evaluated_outside_the_domain():
    seen: list[float] = []

    def recorded(t):
        seen.append(float(t))
        return ease_in_circ(float(t))

    differentiate_1d(recorded, (0.0, 1.0), 101, 3)
    assert min(seen) >= 0.0 and max(seen) <= 1.0


def test_ease_in_circ_within_its_bound_near_the_singularity():
    curves = differentiate_1d(ease_in_circ, (0.0, 1.0), 401, 1)
    assert curves.method == "finite-difference"
    x, got = curves.x, curves.derivatives[1]
    inner = x < 1
    exact = x[inner] / np.sqrt(1 - x[inner] ** 2)
    near = np.argmin(np.abs(x - 0.9975))
    assert abs(got[near] - exact[near]) / exact[near] < 1e-6
    bound = float(curves.warnings[0].message.split("f′ to within about ")[1].split(" ")[0])
    assert np.all(np.abs(got[inner] - exact) <= bound)
    # at t = 1 f′ is infinite: no value, and the point is named
    assert np.isnan(got[-1])
    assert any("at x = 1 no derivative could be computed" in w.message for w in curves.warnings)


def test_a_huge_x_with_no_room_for_a_step_says_so():
    curves = differentiate_1d(math.sin, (1e15, 1e15 + 0.2), 11, 1)
    assert np.isnan(curves.derivatives[1]).all()
    assert any("no derivative could be computed" in w.message for w in curves.warnings)


@pytest.mark.parametrize("x0", [1e3, 1e6, 1e9])
def test_large_x_gets_a_step_for_the_function_not_for_x(x0):
    curves = differentiate_1d(math.sin, (x0, x0 + 1.0), 21, 1)
    got = curves.derivatives[1]
    finite = np.isfinite(got)
    assert finite.all()
    values, errors = derivative_with_error(np.vectorize(math.sin), curves.x, 1, (x0, x0 + 1.0))
    actual = np.abs(values - np.cos(curves.x))
    assert np.all(actual <= errors), (actual.max(), errors.max())


@settings(max_examples=30, deadline=None)
@given(
    st.floats(0.2, 3.0),
    st.floats(-2.0, 2.0),
    st.floats(0.1, 2.0),
    st.integers(1, 4),
)
def test_every_stated_error_bounds_the_real_one(a, b, c, order):
    """f = exp(a·x)·sin(x + b) + c/(x + 3) on [-2, 2], with its analytic derivatives."""

    def f(x: np.ndarray) -> np.ndarray:
        return np.exp(a * x) * np.sin(x + b) + c / (x + 3)

    def exact(x: np.ndarray, k: int) -> np.ndarray:
        r, phi = math.hypot(a, 1.0), math.atan2(1.0, a)
        pole = c * (-1) ** k * math.factorial(k) / (x + 3) ** (k + 1)
        return r**k * np.exp(a * x) * np.sin(x + b + k * phi) + pole

    x = np.linspace(-2.0, 2.0, 41)
    values, errors = unsettled(*derivative_with_error(f, x, order, (-2.0, 2.0)))
    finite = np.isfinite(values)
    assert finite.all()
    assert np.all(np.abs(values - exact(x, order)) <= errors)
