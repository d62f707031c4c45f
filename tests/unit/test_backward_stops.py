"""Where autograd stops following a backward, a derivative is never a silent 0.

A custom `autograd.Function` whose backward detaches its tensors, computes in numpy, or
is `once_differentiable` gives f′ exactly and then a graph-free f′, which autograd would
differentiate to 0 everywhere. A piecewise linear f (ReLU) gives a graph-free f′ too,
rightly: its f″ is 0. The two differ in f′ itself, constant between steps or not
(docs/protocol.md, "Semantics")."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch.autograd.function import once_differentiable

from derivlens import model
from derivlens.calculus import differentiate_1d
from derivlens.calculus.taylor import polynomial


class ExpDetached(torch.autograd.Function):
    """exp, whose backward detaches x before using it."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return torch.exp(x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * torch.exp(x.detach())


class TanhOnce(torch.autograd.Function):
    """tanh, with a backward marked once_differentiable."""

    @staticmethod
    def forward(ctx, x):
        y = torch.tanh(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    @once_differentiable
    def backward(ctx, grad):
        (y,) = ctx.saved_tensors
        return grad * (1 - y * y)


class CubeByNumpy(torch.autograd.Function):
    """x³/3 − x, whose backward computes x² − 1 in numpy."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x**3 / 3 - x

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * torch.from_numpy(np.asarray(x.detach().numpy() ** 2 - 1))


class CosCut(torch.autograd.Function):
    """cos, whose own backward detaches: differentiable once."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return torch.cos(x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return -grad * torch.sin(x.detach())


class SinTwice(torch.autograd.Function):
    """sin, whose backward is differentiable once more (through CosCut): f″ exact, no f‴."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return torch.sin(x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * CosCut.apply(x)


#: f, its f′ and f″ in closed form, and a domain with two inflection points inside.
STOPPING = [
    pytest.param(ExpDetached.apply, math.exp, math.exp, (-2.0, 1.0), id="detached"),
    pytest.param(
        TanhOnce.apply,
        lambda t: 1 - math.tanh(t) ** 2,
        lambda t: -2 * math.tanh(t) * (1 - math.tanh(t) ** 2),
        (-2.0, 3.0),
        id="once_differentiable",
    ),
    pytest.param(CubeByNumpy.apply, lambda t: t * t - 1, lambda t: 2 * t, (-2.0, 2.5), id="numpy"),
]


def messages(curves) -> list[str]:
    return [w.message for w in curves.warnings]


@pytest.mark.parametrize(("f", "slope", "bend", "domain"), STOPPING)
def test_f_second_is_finite_differences_said_so_never_zero(f, slope, bend, domain):
    curves = differentiate_1d(f, domain, 61, 2)
    assert curves.method == "finite-difference"
    assert any("cannot differentiate f′" in m for m in messages(curves))
    expected = np.array([bend(t) for t in curves.x])
    np.testing.assert_allclose(curves.derivatives[2], expected, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize(("f", "slope", "bend", "domain"), STOPPING)
def test_f_prime_stays_exact_and_the_missing_inflection_points_are_said(f, slope, bend, domain):
    curves = differentiate_1d(f, domain, 61, 1)
    assert curves.method == "autograd"
    expected = np.array([slope(t) for t in curves.x])
    np.testing.assert_allclose(curves.derivatives[1], expected, rtol=1e-12, atol=1e-12)
    assert curves.inflection_points == []
    assert any(
        m.startswith("inflection points are not listed: autograd cannot") for m in messages(curves)
    )


def test_a_backward_differentiable_once_gives_f_second_exactly_and_f_third_by_differences():
    two = differentiate_1d(SinTwice.apply, (-1.0, 4.0), 81, 2)
    assert two.method == "autograd"
    np.testing.assert_allclose(two.derivatives[2], -np.sin(two.x), rtol=0, atol=1e-12)
    # refined on f″ alone (no f‴ from autograd): sin's inflection points 0 and π
    np.testing.assert_allclose(two.inflection_points, [0.0, math.pi], rtol=0, atol=1e-12)
    three = differentiate_1d(SinTwice.apply, (-1.0, 4.0), 81, 3)
    assert three.method == "finite-difference"
    assert any("cannot differentiate f″" in m for m in messages(three))
    np.testing.assert_allclose(three.derivatives[3], -np.cos(three.x), rtol=0, atol=1e-5)


@pytest.mark.parametrize(
    ("f", "levels"),
    [
        pytest.param(lambda x: torch.relu(x) ** 2, {2: lambda t: 2.0 * (t > 0)}, id="relu²"),
        pytest.param(lambda x: F.hardtanh(x) * 3 + x, {2: lambda t: 0.0}, id="hardtanh"),
        pytest.param(lambda x: torch.relu(x) ** 3, {3: lambda t: 6.0 * (t > 0)}, id="relu³"),
    ],
)  # fmt: skip
def test_a_piecewise_constant_level_keeps_autograd_and_its_zeros(f, levels):
    curves = differentiate_1d(f, (-2.0, 2.0), 40, 3)  # no sample at a kink
    assert curves.method == "autograd"
    assert not any("cannot differentiate" in m for m in messages(curves))
    for k, level in levels.items():
        expected = np.array([level(t) for t in curves.x])
        np.testing.assert_allclose(curves.derivatives[k], expected, rtol=0, atol=1e-12)


def test_the_taylor_polynomial_of_a_stopping_backward_is_by_differences_and_said_so():
    x = np.linspace(-1.0, 2.0, 31)
    request = model.TaylorRequest(at=0.5, order=3)
    taylor, warnings = polynomial(ExpDetached.apply, request, x, "autograd", [], "f")
    e = math.exp(0.5)
    np.testing.assert_allclose(taylor.coefficients, [e, e, e / 2, e / 6], rtol=1e-6)
    assert [w.kind for w in warnings] == ["finite-difference"]


def test_the_taylor_polynomial_of_relu_cubed_stays_autograd_s():
    x = np.linspace(-1.0, 2.0, 31)
    request = model.TaylorRequest(at=0.5, order=4)
    taylor, warnings = polynomial(lambda t: torch.relu(t) ** 3, request, x, "autograd", [], "f")
    assert taylor.coefficients == [0.125, 0.75, 1.5, 1.0, 0.0]
    assert warnings == []
