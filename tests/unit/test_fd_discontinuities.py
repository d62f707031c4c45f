"""Jumps and kinks of curves that autograd cannot follow (math on floats, numpy, `.item()`):
found between the samples, located and named as for autograd's curves (docs/protocol.md,
"Semantics": the disagreement check).

Every expected location and derivative is analytic, computed here; none of the generated
discontinuities lies within 1e-4 of a sample.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from derivlens.calculus import differentiate_1d
from tests.unit.test_discontinuities import assert_located

SAMPLES, LO, HI = 201, -1.0, 1.0
GRID = np.linspace(LO, HI, SAMPLES)
RESOLUTION = 1e-9


def off_grid(value: float) -> bool:
    return float(np.min(np.abs(GRID - value))) > 1e-4


places = st.floats(-0.95, 0.95).filter(off_grid)
sizes = st.floats(0.2, 3.0) | st.floats(-3.0, -0.2)
features = st.lists(
    st.tuples(places, st.sampled_from(["jump", "kink"]), sizes), min_size=0, max_size=4
).filter(lambda fs: all(abs(a[0] - b[0]) > 0.05 for i, a in enumerate(fs) for b in fs[:i]))


def piecewise(spec):
    """math on Python floats (autograd cannot follow it): a smooth base plus the features."""

    def f(x):
        t = float(x)
        total = math.sin(3 * t) + 0.5 * t * t
        for c, kind, size in spec:
            if kind == "jump":
                total += size if t > c else 0.0
            else:
                total += size * max(0.0, t - c)
        return total

    return f


def slope_of(spec, t: float) -> float:
    """f′ of `piecewise(spec)` away from its features, by hand."""
    return 3 * math.cos(3 * t) + t + sum(s for c, k, s in spec if k == "kink" and t > c)


def fd_messages(curves) -> str:
    return " ".join(w.message for w in curves.warnings if w.kind == "finite-difference")


def stated_bound(curves) -> float:
    return float(fd_messages(curves).split("f′ to within about ")[1].split(" ")[0])


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(features)
def test_every_generated_jump_and_kink_under_differences_is_found_and_located(spec):
    curves = differentiate_1d(piecewise(spec), (LO, HI), SAMPLES, 1)
    assert curves.method == "finite-difference"
    expected = sorted((c, 0 if kind == "jump" else 1) for c, kind, _ in spec)
    assert_located(curves, expected, HI - LO)
    disagreements = [w.message for w in curves.warnings if w.kind == "disagreement"]
    assert len(disagreements) == (1 if spec else 0), disagreements
    for found in curves.discontinuities:  # located (above), and named as located
        assert f"{found.x:.6g}" in disagreements[0]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(features)
def test_the_stated_bound_holds_at_every_sample_beside_the_features(spec):
    """Samples at least 2e-3 (beyond the differences' first step) from every feature;
    nearer ones hold the bound too, or are named as not computed."""
    curves = differentiate_1d(piecewise(spec), (LO, HI), SAMPLES, 1)
    bound = stated_bound(curves)
    for t, d in zip(curves.x, curves.derivatives[1], strict=True):
        if math.isnan(d):
            assert any(abs(t - c) <= 2e-3 for c, _, _ in spec)
            assert f"{t:.6g}" in fd_messages(curves).split("no derivative could be computed")[0]
        elif all(abs(t - c) > 2e-3 for c, _, _ in spec):
            assert abs(d - slope_of(spec, float(t))) <= bound, (t, d, bound)


steepness = st.floats(1.0, 200.0)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steepness, places)
def test_smooth_steep_curves_under_differences_have_no_discontinuity(k, c):
    curves = differentiate_1d(lambda x: math.tanh(k * (float(x) - c)), (LO, HI), SAMPLES, 1)
    assert curves.method == "finite-difference"
    assert curves.discontinuities == []
    assert "disagreement" not in [w.kind for w in curves.warnings]


@pytest.mark.parametrize("dtype", [np.float32, np.float16])
def test_rounding_of_float32_or_float16_code_under_differences_is_no_jump(dtype):
    def f(x):
        return float(np.tanh(dtype(float(x)) * dtype(2)))

    curves = differentiate_1d(f, (LO, HI), SAMPLES, 1)
    assert curves.method == "finite-difference"
    assert curves.discontinuities == []


def test_a_jump_at_the_domain_s_end_is_found_there():
    """easeInOutExpo's shape on floats: 0 at t == 0 exactly, 2⁻¹¹ just after it."""

    def f(t):
        t = float(t)
        if t == 0:
            return 0.0
        if t == 1:
            return 1.0
        return math.exp(20 * t - 10) / 2 if t < 0.5 else (2 - math.exp(-20 * t + 10)) / 2

    curves = differentiate_1d(f, (0.0, 1.0), 101, 1)
    assert [(d.x, d.order) for d in curves.discontinuities] == [(0.0, 0), (1.0, 0)]


def test_a_kink_on_a_sample_under_differences_is_located_at_that_sample():
    curves = differentiate_1d(lambda x: abs(float(x) - 0.5) + math.cos(float(x)), (0, 1), 101, 1)
    assert [(d.x, d.order) for d in curves.discontinuities] == [(0.5, 1)]
    (warning,) = [w for w in curves.warnings if w.kind == "disagreement"]
    assert "f′ jumps (a kink) from -1.479" in warning.message  # −1 − sin(0.5), then 1 − sin(0.5)
    assert "to 0.520" in warning.message


def test_a_singular_slope_at_the_end_is_no_kink():
    """1 − sqrt(1 − t²): f′ → ∞ at t = 1, but nothing jumps."""
    curves = differentiate_1d(lambda t: 1 - math.sqrt(1 - float(t) ** 2), (0.0, 1.0), 101, 1)
    assert curves.discontinuities == []
