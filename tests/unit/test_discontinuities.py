"""Jumps and kinks between the samples as well as on them, located and named
(docs/protocol.md, "Semantics": the disagreement check; "Result": `discontinuities`).

Every expected location is analytic; none of the jumps below lies on a sample unless
the test says so. Smooth but steep curves and float32 rounding are never jumps.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from derivlens.calculus import differentiate_1d
from tests.helpers import evaluate_source, warning_kinds

#: The bisection's promise: 1e-9 of the domain's width.
RESOLUTION = 1e-9


def found(curves) -> list[tuple[float, int]]:
    return [(d.x, d.order) for d in curves.discontinuities]


def assert_located(curves, expected: list[tuple[float, int]], width: float) -> None:
    got = found(curves)
    assert len(got) == len(expected), got
    for (x, order), (want_x, want_order) in zip(got, expected, strict=True):
        assert order == want_order, got
        assert abs(x - want_x) <= RESOLUTION * width, (x, want_x)


def angle_wrap(x):
    return ((x + math.pi) % (2 * math.pi)) - math.pi


def ease_out_bounce(t):
    """Piecewise quadratics, written here: kinks at 1, 2 and 2.5 over 2.75."""
    n1, d1 = 7.5625, 2.75
    if t < 1 / d1:
        return n1 * t * t
    if t < 2 / d1:
        t = t - 1.5 / d1
        return n1 * t * t + 0.75
    if t < 2.5 / d1:
        t = t - 2.25 / d1
        return n1 * t * t + 0.9375
    t = t - 2.625 / d1
    return n1 * t * t + 0.984375


def doubling(x):
    """A `while` loop doubling b until it reaches x: x / b drops by half at powers of 2."""
    b = 1.0
    while b < x:
        b = b * 2
    return x / b


def gelu_float32(x):
    """Computes in float32 and casts back, as fairseq's gelu does."""
    y = x.float()
    return (y * 0.5 * (1.0 + torch.erf(y / math.sqrt(2.0)))).type_as(x)


def test_an_angle_wrap_jumps_at_odd_multiples_of_pi_between_samples():
    curves = differentiate_1d(angle_wrap, (-10.0, 10.0), 401, 1)
    assert curves.method == "autograd"
    expected = [(k * math.pi, 0) for k in (-3, -1, 1, 3)]
    assert_located(curves, expected, 20.0)
    (warning,) = curves.warnings
    assert warning.kind == "disagreement"
    assert "at x = -9.42478, -3.14159, 3.14159 and 9.42478:" in warning.message
    assert "f jumps by about -6.28" in warning.message


def test_ease_out_bounce_has_three_kinks_between_samples():
    curves = differentiate_1d(ease_out_bounce, (0.0, 1.0), 101, 2)
    expected = [(1 / 2.75, 1), (2 / 2.75, 1), (2.5 / 2.75, 1)]
    assert_located(curves, expected, 1.0)
    (warning,) = curves.warnings
    assert "at x = 0.363636, 0.727273 and 0.909091:" in warning.message


def test_a_while_loop_doubling_jumps_at_powers_of_two():
    curves = differentiate_1d(doubling, (0.3, 19.7), 101, 1)
    assert curves.method == "autograd"
    assert_located(curves, [(2.0**k, 0) for k in range(5)], 19.4)


@pytest.mark.parametrize("c", [0.3, -1.234567, 0.0125])
def test_torch_where_jumps_and_abs_kinks_between_samples(c):
    jump = differentiate_1d(lambda x: torch.where(x > c, x**2, x + 1.0), (-2.0, 2.0), 401, 1)
    assert_located(jump, [(c, 0)], 4.0)
    kink = differentiate_1d(lambda x: abs(x - c), (-2.0, 2.0), 401, 1)
    assert_located(kink, [(c, 1)], 4.0)


def test_a_jump_of_the_second_derivative_is_found_when_order_two_is_asked_for():
    c = 0.4321
    curves = differentiate_1d(lambda x: torch.where(x > c, (x - c) ** 2, 0.0 * x), (-1, 1), 201, 2)
    assert_located(curves, [(c, 2)], 2.0)
    assert "f″ jumps from 0 (left) to 2 (right)" in curves.warnings[0].message


def test_a_kink_on_a_sample_is_located_at_that_sample():
    curves = differentiate_1d(lambda x: torch.relu(x), (-1.0, 1.0), 201, 1)
    assert found(curves) == [(0.0, 1)]


@pytest.mark.parametrize(
    "fn",
    [
        lambda x: torch.tanh(1000 * x),
        lambda x: torch.tanh(1000 * (x - 0.01234)),
        lambda x: torch.exp(x),
        lambda x: 1 / (1 + torch.exp(-300 * (x - 1.1111))),
        lambda x: torch.sin(50 * x) * torch.exp(-x * x),
    ],
)
def test_smooth_functions_however_steep_have_no_discontinuity(fn):
    curves = differentiate_1d(fn, (-5.0, 5.0), 401, 2)
    assert curves.discontinuities == []
    assert "disagreement" not in [w.kind for w in curves.warnings]


@pytest.mark.parametrize("dtype", [torch.float32, torch.float16])
def test_float32_and_float16_rounding_is_not_a_jump(dtype):
    def rounded(x):
        y = x.to(dtype)
        return (y * 0.5 * (1.0 + torch.erf(y / math.sqrt(2.0)))).type_as(x)

    curves = differentiate_1d(rounded, (-5.0, 5.0), 401, 1)
    assert curves.discontinuities == []
    assert curves.warnings == []


def test_float32_code_with_a_real_jump_still_has_it():
    curves = differentiate_1d(
        lambda x: torch.where(x > 0.777, 1.0 + x, x).float().double(), (-2.0, 2.0), 401, 1
    )
    assert len(curves.discontinuities) == 1
    assert curves.discontinuities[0].order == 0
    assert abs(curves.discontinuities[0].x - 0.777) < 1e-6  # float32's own precision


def test_the_result_carries_discontinuities_and_the_warning_names_points(tmp_path):
    result = evaluate_source(
        tmp_path,
        """
        import torch
        def f(x):
            return torch.where(x > 0.3, x**2, x + 1.0) + torch.abs(x + 1.7)
        """,
        "f",
        domain=(-3, 3),
        samples=301,
    )
    assert [d["order"] for d in result["discontinuities"]] == [1, 0]
    assert abs(result["discontinuities"][0]["x"] + 1.7) <= 6e-9
    assert abs(result["discontinuities"][1]["x"] - 0.3) <= 6e-9
    assert warning_kinds(result) == ["disagreement"]
    assert "disagree at x = -1.7 and 0.3:" in result["warnings"][0]["message"]


def test_a_smooth_result_has_an_empty_discontinuities_list(tmp_path):
    result = evaluate_source(tmp_path, "import torch\ndef f(x):\n    return torch.sin(x)\n", "f")
    assert result["discontinuities"] == []
    assert result["warnings"] == []


@pytest.mark.parametrize(
    "body", ["(x * x,)", "[x * x]", "(x * x).reshape(1)", "torch.stack([x * x])"]
)
def test_one_value_in_a_tuple_list_or_tensor_is_a_scalar(tmp_path, body):
    result = evaluate_source(
        tmp_path, f"import torch\ndef f(x):\n    return {body}\n", "f", domain=(-1, 1), samples=5
    )
    assert "outputs" not in result
    assert result["f"] == [1.0, 0.25, 0.0, 0.25, 1.0]
    assert result["derivatives"]["1"] == [-2.0, -1.0, 0.0, 1.0, 2.0]
    assert result["method"] == "autograd"


# Generated piecewise functions: a smooth base plus jumps, kinks and poles at random
# places, never on a sample of the 201 on [-1, 1] (kept at least 1e-4 from them).
SAMPLES, LO, HI = 201, -1.0, 1.0
GRID = np.linspace(LO, HI, SAMPLES)


def off_grid(value: float) -> bool:
    return float(np.min(np.abs(GRID - value))) > 1e-4


places = st.floats(-0.95, 0.95).filter(off_grid)
features = st.lists(
    st.tuples(places, st.sampled_from(["jump", "kink"]), st.floats(0.2, 3.0)),
    min_size=0,
    max_size=4,
).filter(lambda fs: all(abs(a[0] - b[0]) > 0.05 for i, a in enumerate(fs) for b in fs[:i]))


def piecewise(spec):
    def f(x):
        total = torch.sin(3 * x) + 0.5 * x * x
        for c, kind, size in spec:
            if kind == "jump":
                total = total + torch.where(x > c, size, 0.0)
            else:
                total = total + size * torch.relu(x - c)
        return total

    return f


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(features)
def test_every_generated_jump_and_kink_is_found_and_located(spec):
    curves = differentiate_1d(piecewise(spec), (LO, HI), SAMPLES, 1)
    expected = sorted((c, 0 if kind == "jump" else 1) for c, kind, _ in spec)
    assert_located(curves, expected, HI - LO)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(places)
def test_a_generated_pole_between_samples_is_found(c):
    curves = differentiate_1d(lambda x: 1 / (x - c), (LO, HI), SAMPLES, 1)
    (pole,) = curves.discontinuities
    assert pole.order == 0
    assert abs(pole.x - c) <= RESOLUTION * (HI - LO)


def ease_in_out_expo(t):
    """pytweening's shape: constants at t == 0 and t == 1 only, exp-based elsewhere."""
    if t == 0:
        return 0.0
    if t == 1:
        return 1.0
    if t < 0.5:
        return torch.exp(20 * t - 10) / 2
    return (2 - torch.exp(-20 * t + 10)) / 2


def test_a_few_constant_branches_keep_autograd_everywhere_else():
    curves = differentiate_1d(ease_in_out_expo, (0.0, 1.0), 101, 2)
    assert curves.method == "autograd"
    x = curves.x
    inner = (x > 0) & (x < 1)
    left = inner & (x < 0.5)
    exact_1 = np.where(x < 0.5, 10 * np.exp(20 * x - 10), 10 * np.exp(-20 * x + 10))
    exact_2 = np.where(x < 0.5, 200 * np.exp(20 * x - 10), -200 * np.exp(-20 * x + 10))
    np.testing.assert_allclose(curves.derivatives[1][inner], exact_1[inner], rtol=1e-12)
    np.testing.assert_allclose(curves.derivatives[2][left], exact_2[left], rtol=1e-12)
    kinds = [w.kind for w in curves.warnings]
    # f jumps at 0 and 1 (the constants are not the exp branches' limits): no f′ there
    assert kinds == ["finite-difference", "disagreement", "non-finite"]
    assert np.isnan(curves.derivatives[1][[0, -1]]).all()
    assert curves.warnings[0].message.startswith(
        "autograd cannot follow this function at x = 0 and 1 (there"
    )
    assert (0.5, 2) in found(curves)  # f″ jumps from 200 to -200 at 0.5


def test_a_python_branch_with_two_variables_is_followed_by_autograd():
    from derivlens.calculus import differentiate_2d

    def g(x, y):
        if x <= 0:
            return 0.0
        return x * y

    surface = differentiate_2d(g, (-1.0, 1.0), (-1.0, 1.0), 21)
    assert surface.method == "autograd"
    grid_y, grid_x = np.meshgrid(surface.y, surface.x, indexing="ij")
    right = grid_x > 0
    np.testing.assert_allclose(surface.gradient_x[right], grid_y[right], rtol=1e-12)
    np.testing.assert_allclose(surface.gradient_y[right], grid_x[right], rtol=1e-12)
    assert np.all(surface.gradient_x[grid_x < 0] == 0)
    assert "converts the tensor" not in " ".join(w.message for w in surface.warnings)
