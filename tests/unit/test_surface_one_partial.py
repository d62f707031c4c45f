"""A function whose autograd has no derivative for one argument (torch's
soft_margin_loss for its target) keeps the exact partial for the other; only the missing
one is by differences, and the warning says which (docs/protocol.md, "Semantics")."""

from __future__ import annotations

import re

import numpy as np
import pytest
import torch.nn.functional as F

from derivlens.calculus import differentiate_2d


def softplus_derivative(z: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-z))


@pytest.mark.parametrize("missing", ["x", "y"])
def test_the_partial_autograd_has_is_exact_and_only_the_other_by_differences(missing):
    # soft_margin_loss(input, target) = log(1 + exp(−target·input)): no derivative for target.
    if missing == "y":
        surface = differentiate_2d(lambda x, y: F.soft_margin_loss(x, y), (-2, 2), (-2, 2), 21)
    else:
        surface = differentiate_2d(lambda x, y: F.soft_margin_loss(y, x), (-2, 2), (-2, 2), 21)
    assert surface.method == "autograd"
    grid_x, grid_y = np.meshgrid(surface.x, surface.y)
    slope = softplus_derivative(-grid_x * grid_y)
    gx, gy = -grid_y * slope, -grid_x * slope  # ∂/∂x and ∂/∂y of log(1 + exp(−xy))
    (warning,) = [w for w in surface.warnings if w.kind == "finite-difference"]
    assert f"with respect to {missing} (" in warning.message
    assert "not differentiable with respect to argument 'target'" in warning.message
    bound = float(re.search(r"to within about ([0-9.e+-]+\d)", warning.message).group(1))
    exact, by_differences = (gy, gx) if missing == "x" else (gx, gy)
    got_exact = surface.gradient_y if missing == "x" else surface.gradient_x
    got_differences = surface.gradient_x if missing == "x" else surface.gradient_y
    np.testing.assert_allclose(got_exact, exact, rtol=0, atol=1e-14)
    assert np.abs(got_differences - by_differences).max() <= bound
    assert "disagreement" not in [w.kind for w in surface.warnings]
