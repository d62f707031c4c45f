"""Inflection points (docs/protocol.md, "Inflection points"): where f″ changes sign,
refined to 1e-9 against values worked out here by hand, never across a jump of f or f′;
and the refinement they share with critical points at a kink."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pytest
import torch

from derivlens.calculus import differentiate_1d

SIGMA = 1.5


def gaussian(x: torch.Tensor) -> torch.Tensor:
    return torch.exp(-(x**2) / (2 * SIGMA**2)) / (SIGMA * math.sqrt(2 * math.pi))


CASES: list[tuple[str, Callable[..., object], tuple[float, float], int, list[float]]] = [
    # f″ = 6x − 4
    ("cubic", lambda x: x**3 - 2 * x**2 + x - 1, (-2.0, 2.0), 400, [2 / 3]),
    # f″ = −sin x: −π, 0, π (0 is a sample of the odd grid, not of the even one)
    ("sin", torch.sin, (-4.0, 4.0), 401, [-math.pi, 0.0, math.pi]),
    ("sin-even", torch.sin, (-4.0, 4.0), 400, [-math.pi, 0.0, math.pi]),
    # f″ = −2 tanh x sech² x
    ("tanh", torch.tanh, (-3.0, 3.0), 400, [0.0]),
    # f″ = φ(x) (x² − σ²) / σ⁴
    ("gaussian", gaussian, (-5.0, 5.0), 401, [-SIGMA, SIGMA]),
    ("gaussian-shifted", lambda x: gaussian(x - 0.3), (-5.0, 5.0), 333, [0.3 - SIGMA, 0.3 + SIGMA]),
    # f″ = 12x² ≥ 0, a double zero: no change of sign
    ("x4", lambda x: x**4, (-2.0, 2.0), 401, []),
    ("x4-even", lambda x: x**4, (-2.0, 2.0), 400, []),
    # f″ = 6x is exactly 0 at the middle sample of an odd grid
    ("x3-odd", lambda x: x**3, (-1.0, 1.0), 201, [0.0]),
    # Python control flow (autograd point by point): x·|x| has f″ = 2 sign(x)
    ("x-abs-x", lambda x: x * x if x > 0 else -x * x, (-1.0, 1.0), 100, [0.0]),
]


@pytest.mark.parametrize("order", [1, 2])
@pytest.mark.parametrize(
    ("name", "fn", "domain", "samples", "expected"), CASES, ids=[c[0] for c in CASES]
)
def test_inflection_points_match_the_analytic_ones(
    name: str,
    fn: Callable[..., object],
    domain: tuple[float, float],
    samples: int,
    expected: list[float],
    order: int,
) -> None:
    curves = differentiate_1d(fn, domain, samples, order)
    assert curves.method == "autograd"
    assert len(curves.inflection_points) == len(expected), curves.inflection_points
    np.testing.assert_allclose(curves.inflection_points, expected, rtol=0, atol=1e-9)


def test_no_inflection_point_across_a_kink() -> None:
    """f = −(x − c)² left of c, (x − c)² + (x − c) right of it: f″ goes from −2 to 2
    across c, but f′ jumps there (0 to 1), so f has no tangent at c."""
    c = 0.3

    def kinked(x: torch.Tensor) -> torch.Tensor:
        return torch.where(x < c, -((x - c) ** 2), (x - c) ** 2 + (x - c))

    for samples in (200, 201, 333):
        curves = differentiate_1d(kinked, (-1.0, 1.0), samples, 2)
        assert [d.x for d in curves.discontinuities if d.order == 1]  # the kink is seen
        assert curves.inflection_points == []


def test_a_jump_of_f_is_no_inflection_point() -> None:
    """1/x on both sides of 0: f″ = 2/x³ changes sign across the pole, f jumps there."""
    curves = differentiate_1d(lambda x: 1 / x, (-1.0, 1.0), 200, 1)
    assert curves.inflection_points == []


def test_a_jump_of_f2_at_a_root_is_found_exactly() -> None:
    """x³ for x > 0, x³ − x² else: f and f′ are continuous, f″ jumps from −2 to 0 at 0
    and is positive after it: the inflection point is 0."""
    for samples in (100, 101):
        curves = differentiate_1d(lambda x: x**3 if x > 0 else x**3 - x**2, (-1.0, 1.0), samples, 1)
        np.testing.assert_allclose(curves.inflection_points, [0.0], atol=1e-9)


@pytest.mark.parametrize("order", [1, 2])  # f″ near the sign changes only, or everywhere
@pytest.mark.parametrize("samples", [201, 200])
def test_finite_differences_find_them_within_their_error(order: int, samples: int) -> None:
    """math (autograd cannot follow it): f″ by differences changes sign at −π, 0, π for
    sin, at ±σ for a Gaussian, nowhere for a line (f″ is rounding noise there)."""
    sine = differentiate_1d(lambda x: math.sin(x), (-4.0, 4.0), samples, order)
    assert sine.method == "finite-difference"
    np.testing.assert_allclose(sine.inflection_points, [-math.pi, 0, math.pi], atol=1e-9)
    bell = differentiate_1d(
        lambda x: math.exp(-(x**2) / (2 * SIGMA**2)), (-5.0, 5.0), samples, order
    )
    np.testing.assert_allclose(bell.inflection_points, [-SIGMA, SIGMA], atol=1e-9)
    line = differentiate_1d(lambda x: 2 * float(x) + 1, (-2.0, 2.0), samples, order)
    assert line.inflection_points == []


def test_a_vector_valued_f_has_none() -> None:
    curves = differentiate_1d(lambda x: torch.stack([torch.sin(x), x**3]), (-4.0, 4.0), 101, 1)
    assert curves.inflection_points == []


@pytest.mark.parametrize("samples", [101, 100, 77])
def test_a_critical_point_at_a_kink_is_the_kink(samples: int) -> None:
    """|x − 0.3| (f′ jumps from −1 to 1, f″ = 0): Newton has no f″ to follow, the
    bracket finishes it (it was 0.28 before)."""
    curves = differentiate_1d(lambda x: torch.abs(x - 0.3), (-1.0, 1.0), samples, 1)
    np.testing.assert_allclose(curves.critical_points, [0.3], atol=1e-9)
