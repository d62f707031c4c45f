"""Kinks located where the samples' scale hides them (docs/protocol.md, "Semantics"):
beside strong curvature or a flat piece under finite differences, and where autograd
has f′ but no f″ — each at its x to 1e-8, as a kink (order 1), and no jump of f."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from derivlens.calculus import differentiate_1d


def located(curves) -> list[tuple[float, int]]:  # type: ignore[no-untyped-def]
    return [(d.x, d.order) for d in curves.discontinuities]


def check(curves, kinks: list[float]) -> None:  # type: ignore[no-untyped-def]
    found = located(curves)
    assert [order for _, order in found] == [1] * len(kinks), found
    np.testing.assert_allclose([x for x, _ in found], kinks, rtol=0, atol=1e-8)


def curved_then_flat(c: float, amplitude: float):  # type: ignore[no-untyped-def]
    """0.7·t − a·cos(2πt) with t = min(x, c), c where sin(2πc) = 0: the slope drops by
    0.7 at c, beside a curvature of 4π²·a ≈ 400 — at the samples' scale the curvature's
    share of the second differences is 30 times the kink's."""

    def f(x: float) -> float:
        t = min(x, c)
        return float(0.7 * t - amplitude * np.cos(2 * np.pi * t))

    return f


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # numpy's, on cos of a tensor
@pytest.mark.parametrize("amplitude", [10.0, -10.0])
@pytest.mark.parametrize("kink", [-0.5, 0.0, 0.5, 1.0])
def test_under_differences_a_small_kink_beside_strong_curvature_is_located(
    kink: float, amplitude: float
) -> None:
    curves = differentiate_1d(curved_then_flat(kink, amplitude), (-1.3, 1.7), 101, 1)
    assert curves.method == "finite-difference"
    check(curves, [kink])


def flat_then_ramp(x: float) -> float:
    """Flat, then a line of slope 1/6, then flat (numpy's clip: hardsigmoid's shape)."""
    return float(np.clip(x / 6 + 0.5, 0.0, 1.0))


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # numpy's, on clip of a tensor
@pytest.mark.parametrize("samples", [101, 256])
def test_under_differences_a_ramp_between_flats_has_two_kinks_and_no_jump(samples: int) -> None:
    curves = differentiate_1d(flat_then_ramp, (-5.0, 5.0), samples, 1)
    assert curves.method == "finite-difference"
    check(curves, [-3.0, 3.0])


@pytest.mark.parametrize("samples", [401, 201])
def test_a_slope_beside_a_flat_piece_is_no_jump_of_f(samples: int) -> None:
    # hardsigmoid at order 2: autograd has no f″, so all by differences; a jump was once
    # "found" a hair beside each kink, where the locator's first look saw the flat piece
    curves = differentiate_1d(torch.nn.functional.hardsigmoid, (-5.0, 5.0), samples, 2)
    assert curves.method == "finite-difference"
    check(curves, [-3.0, 3.0])


class Step(torch.autograd.Function):
    """1 inside (lo, hi), 0 outside, with no backward (as torch's C++ backwards without a
    derivative formula): what Clamp's backward returns, so f has f′ but no f″."""

    @staticmethod
    def forward(ctx, x, lo, hi):  # type: ignore[no-untyped-def]
        return ((x > lo) & (x < hi)).to(x.dtype)

    @staticmethod
    def backward(ctx, grad):  # type: ignore[no-untyped-def]
        raise RuntimeError("the derivative for 'step' is not implemented")


class Clamp(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, lo, hi):  # type: ignore[no-untyped-def]
        ctx.save_for_backward(x)
        ctx.lo, ctx.hi = lo, hi
        return x.clamp(lo, hi)

    @staticmethod
    def backward(ctx, grad):  # type: ignore[no-untyped-def]
        (x,) = ctx.saved_tensors
        return grad * Step.apply(x, ctx.lo, ctx.hi), None, None


def test_with_autograd_f_prime_but_no_f_second_kinks_are_located_from_f() -> None:
    def f(x: torch.Tensor) -> torch.Tensor:
        return 2 * Clamp.apply(x, -1.2345, 0.3137) + torch.sin(x)

    curves = differentiate_1d(f, (-3.0, 3.0), 201, 1)
    assert curves.method == "autograd"
    check(curves, [-1.2345, 0.3137])
    # the values stay autograd's: 2·1 + cos x inside, cos x outside
    inside = (curves.x > -1.2345) & (curves.x < 0.3137)
    expected = np.cos(curves.x) + np.where(inside, 2.0, 0.0)
    away = np.min(np.abs(curves.x[:, None] - np.array([-1.2345, 0.3137])), axis=1) > 1e-9
    np.testing.assert_allclose(curves.derivatives[1][away], expected[away], rtol=0, atol=1e-12)
    # f′ = cos x changes sign at ±π/2, outside the clamp: refined on f′ alone
    np.testing.assert_allclose(curves.critical_points, [-np.pi / 2, np.pi / 2], atol=1e-12)
