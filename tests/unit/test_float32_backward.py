"""A backward that computes in float32 (torch's hardsigmoid: 1/6 as 0.16666667163) is
exact only to float32: its rounding is no disagreement, while a real kink or a backward
that is wrong beyond float32's precision still is (docs/protocol.md, "Semantics")."""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F

from derivlens.calculus import differentiate_1d


class SinWithFloat32Backward(torch.autograd.Function):
    """sin, whose backward computes cos in float32 (`scale` = 1: right to float32)."""

    @staticmethod
    def forward(ctx, x, scale):
        ctx.save_for_backward(x)
        ctx.scale = scale
        return torch.sin(x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        slope = (torch.cos(x.float()) * ctx.scale).to(torch.float32).double()
        return grad * slope, None


def disagreements(curves) -> list[str]:
    return [w.message for w in curves.warnings if w.kind == "disagreement"]


def test_hardsigmoid_names_its_two_kinks_only():
    curves = differentiate_1d(F.hardsigmoid, (-5.0, 5.0), 101, 1)
    (message,) = disagreements(curves)
    assert "disagree at x = -3 and 3: f′ jumps from 0 (left) to 0.166667 (right)" in message
    # autograd has no f″ of hardsigmoid: its kinks are located from f's values
    located = [(d.x, d.order) for d in curves.discontinuities]
    assert [order for _, order in located] == [1, 1]
    np.testing.assert_allclose([x for x, _ in located], [-3.0, 3.0], rtol=0, atol=1e-8)
    expected = np.where(np.abs(curves.x) < 3, 1 / 6, 0.0)
    inside = np.abs(np.abs(curves.x) - 3) > 1e-9
    assert np.abs(curves.derivatives[1] - expected)[inside].max() <= 1e-7 / 6


def test_a_float32_backward_that_is_right_to_float32_is_not_flagged():
    curves = differentiate_1d(lambda x: SinWithFloat32Backward.apply(x, 1.0), (-3, 3), 201, 1)
    assert curves.method == "autograd"
    assert disagreements(curves) == []
    cos = np.cos(curves.x)
    assert np.abs(curves.derivatives[1] - cos).max() <= 2e-7


def test_a_float32_backward_that_is_wrong_is_still_flagged():
    scale = 1 + 1e-4
    curves = differentiate_1d(lambda x: SinWithFloat32Backward.apply(x, scale), (-3, 3), 201, 1)
    (message,) = disagreements(curves)
    assert "by autograd" in message and "by central differences" in message
    first = float(message.split("disagree at x = ")[1].split(",")[0])
    assert abs(math.cos(first)) > 1e-3  # a point where the slope is wrong, named
