"""A function whose graph autograd loses over a stretch where f still changes (a copy
with `torch.tensor(x)`, here in float32) is no autograd curve: autograd's f′ = 0 there
cannot be right, even where the differences are too noisy to say so point by point
(docs/protocol.md, "Semantics"). Its kink is then located by differences, to f's own
precision, with slopes on either side that float32's rounding does not blur."""

from __future__ import annotations

import re
import warnings

import numpy as np
import pytest
import torch

from derivlens.calculus import differentiate_1d

START = 37.3


def schedule(n: torch.Tensor) -> torch.Tensor:
    """A learning-rate style schedule: 1 until START, then a slow exponential decay, as
    package code writes it (a float32 copy of the step, clamped in place)."""
    prob = torch.exp(-0.003 * (torch.tensor(n, dtype=torch.float32) - START))
    prob.clamp_(max=1.0)
    return prob


def stated(warnings_: list, order: int = 1) -> float:  # type: ignore[type-arg]
    (text,) = [w.message for w in warnings_ if w.kind == "finite-difference"]
    return float(re.search(r"f′ to within about ([0-9.eE+-]+)", text).group(1).rstrip("."))  # type: ignore[union-attr]


@pytest.mark.parametrize("samples", [41, 101, 301])
def test_a_copied_variable_is_differentiated_by_differences_and_its_kink_found(
    samples: int,
) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch's own warning about copying a tensor
        curves = differentiate_1d(schedule, (0.0, 150.0), samples, 1)
    assert curves.method == "finite-difference"
    reasons = " ".join(w.message for w in curves.warnings if w.kind == "finite-difference")
    assert "copies it with torch.tensor(x)" in reasons
    x = curves.x
    expected = np.where(x > START, -0.003 * np.exp(-0.003 * (x - START)), 0.0)
    away = np.abs(x - START) > 1e-9
    error = np.abs(curves.derivatives[1] - expected)[away]
    assert np.nanmax(error) <= stated(curves.warnings)
    ((where, order, left, right),) = [
        (d.x, d.order, float(d.left), float(d.right)) for d in curves.discontinuities
    ]
    assert order == 1 and abs(where - START) <= 1e-6 * 150
    assert left == pytest.approx(0.0, abs=1e-6)
    assert right == pytest.approx(-0.003, rel=1e-3)


def test_a_constant_branch_is_still_autograd_everywhere_else() -> None:
    """`torch.zeros(())` for x ≤ 0 is cut off from the graph but constant: f′ = 0 is
    right there, and only the samples beside the branch point are by differences."""

    def f(x: torch.Tensor) -> torch.Tensor:
        return torch.zeros(()) if x <= 0 else x**2

    curves = differentiate_1d(f, (-1.0, 1.0), 101, 1)
    assert curves.method == "autograd"
    x = curves.x
    np.testing.assert_allclose(curves.derivatives[1][x > 0.05], 2 * x[x > 0.05], rtol=0, atol=1e-12)
    np.testing.assert_array_equal(curves.derivatives[1][x < -0.05], 0.0)
