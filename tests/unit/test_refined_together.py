"""Critical and inflection points refined together (docs/protocol.md, "Critical points"
and "Inflection points"): one evaluation of f′, f″ and f‴ per Newton step for both
searches, first guesses from the cubic that matches the samples, and each search alone
where autograd has no f‴ — the same points to full precision either way."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from derivlens.calculus import critical, differentiate_1d
from derivlens.calculus.common import EPS
from derivlens.calculus.critical import bracketed, hermite_guess, together


def test_the_first_guess_is_the_root_when_f_prime_is_a_cubic() -> None:
    # f′ = (x − 0.3)(x + 1)(x − 2): the cubic through f′ and f″ at the ends is f′ itself
    a, b = np.array([0.25]), np.array([0.4])
    slope = lambda x: (x - 0.3) * (x + 1) * (x - 2)  # noqa: E731
    bend = lambda x: (x + 1) * (x - 2) + (x - 0.3) * (x - 2) + (x - 0.3) * (x + 1)  # noqa: E731
    guess = hermite_guess(a, b, (slope(a), slope(b)), np.stack([bend(a), bend(b)]))
    assert abs(guess[0] - 0.3) <= 1e-14
    linear = hermite_guess(a, b, (slope(a), slope(b)), None)
    assert abs(linear[0] - 0.3) > 1e-4  # the chord alone is far coarser


finite = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)


@given(
    st.floats(-10, 10),
    st.floats(1e-6, 5),
    st.floats(1e-9, 1e6),
    st.floats(1e-9, 1e6),
    finite,
    finite,
    st.booleans(),
)
def test_the_first_guess_is_always_inside_its_bracket(
    a: float, width: float, low: float, high: float, da: float, db: float, rising: bool
) -> None:
    sign = 1.0 if rising else -1.0
    lo, hi = np.array([-sign * low]), np.array([sign * high])
    ends = (np.array([a]), np.array([a + width]))
    guess = hermite_guess(*ends, (lo, hi), np.array([[da], [db]]))[0]
    assert a <= guess <= a + width


def test_both_searches_share_each_evaluation() -> None:
    x = np.linspace(-4.0, 4.0, 401)
    f = np.sin(x)
    derivatives = {1: np.cos(x), 2: -np.sin(x), 3: -np.cos(x)}
    critical = bracketed(x, f, derivatives[1], bend=derivatives[2])
    bends = bracketed(x, derivatives[1], derivatives[2], bend=derivatives[3])
    calls: list[int] = []

    def at(points: np.ndarray) -> dict[int, np.ndarray]:
        calls.append(len(points))
        return {1: np.cos(points), 2: -np.sin(points), 3: -np.cos(points), 4: np.sin(points)}

    peaks, turns = together([(critical, 1), (bends, 2)], at)
    np.testing.assert_allclose(peaks, [-math.pi / 2, math.pi / 2], rtol=0, atol=1e-15)
    np.testing.assert_allclose(turns, [-math.pi, 0.0, math.pi], rtol=0, atol=1e-15)
    # each step evaluates all four bracketed roots at once (0 is a sample: exact there)
    assert calls and set(calls) == {4}
    assert len(calls) == 1  # guesses from the cubic: one step, its error estimated below


class Identity(torch.autograd.Function):
    """x, whose backward raises as torch's ops without a derivative formula do."""

    @staticmethod
    def forward(ctx, x):  # type: ignore[no-untyped-def]
        return x.clone()

    @staticmethod
    def backward(ctx, grad):  # type: ignore[no-untyped-def]
        raise RuntimeError("the derivative for 'identity' is not implemented")


class Square(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):  # type: ignore[no-untyped-def]
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx, grad):  # type: ignore[no-untyped-def]
        (x,) = ctx.saved_tensors
        return grad * 2 * Identity.apply(x)


class Cube(torch.autograd.Function):
    """x³ with f′ = 3x² and f″ = 6x, but no f‴ (autograd raises there, as for
    hardsigmoid one level lower)."""

    @staticmethod
    def forward(ctx, x):  # type: ignore[no-untyped-def]
        ctx.save_for_backward(x)
        return x**3

    @staticmethod
    def backward(ctx, grad):  # type: ignore[no-untyped-def]
        (x,) = ctx.saved_tensors
        return grad * 3 * Square.apply(x)


def test_without_f3_each_search_is_refined_alone_to_the_same_points() -> None:
    def f(x: torch.Tensor) -> torch.Tensor:
        return Cube.apply(x) - x

    for order in (1, 2):
        curves = differentiate_1d(f, (-2.0, 2.0), 400, order)
        assert curves.method == "autograd"
        root = 1 / math.sqrt(3)
        np.testing.assert_allclose(curves.critical_points, [-root, root], rtol=0, atol=1e-12)
        np.testing.assert_allclose(curves.inflection_points, [0.0], rtol=0, atol=1e-12)


def test_together_and_alone_agree_on_a_damped_wave() -> None:
    def f(x: torch.Tensor) -> torch.Tensor:
        return torch.sin(2 * x) * torch.exp(-0.1 * x**2) + 0.01 * x

    joint = differentiate_1d(f, (-5.0, 5.0), 401, 2)
    # a vector f with the same first component is refined component by component
    alone = differentiate_1d(lambda x: torch.stack([f(x), x]), (-5.0, 5.0), 401, 2)
    np.testing.assert_allclose(joint.critical_points, alone.critical_points[0], rtol=0, atol=1e-13)
    assert len(joint.inflection_points) == 7
    for point in joint.inflection_points:  # f″ vanishes there (autograd, at the point)
        x = torch.tensor(point, dtype=torch.float64, requires_grad=True)
        (slope,) = torch.autograd.grad(f(x), x, create_graph=True)
        (bend,) = torch.autograd.grad(slope, x)
        assert abs(float(bend)) <= 1e-12


@settings(max_examples=40, deadline=None)
@given(
    st.floats(0.3, 6.0),
    st.floats(-3.0, 3.0),
    st.floats(0.0, 0.5),
    st.floats(-0.2, 0.2),
    st.sampled_from([101, 257, 400, 401]),
)
def test_a_root_settled_after_one_step_is_the_one_that_a_check_step_confirms(
    frequency: float, phase: float, damping: float, cubic: float, samples: int
) -> None:
    """Accepting a root when the error left by its step is estimated below the settling
    threshold gives the same roots as Newton's own check step, to the last bits."""

    def f(x: torch.Tensor) -> torch.Tensor:
        return torch.sin(frequency * x + phase) * torch.exp(-damping * x**2) + cubic * x**3

    quick = differentiate_1d(f, (-3.0, 3.0), samples, 2)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(critical, "SAFETY", math.inf)  # never settled by the estimate
        checked = differentiate_1d(f, (-3.0, 3.0), samples, 2)
    for mine, theirs in [
        (quick.critical_points, checked.critical_points),
        (quick.inflection_points, checked.inflection_points),
    ]:
        assert len(mine) == len(theirs)
        np.testing.assert_allclose(mine, theirs, rtol=4 * EPS, atol=4 * EPS)
