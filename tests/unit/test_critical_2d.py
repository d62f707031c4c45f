"""Critical points of two variables refined by Newton's method on autograd's Hessian
(docs/protocol.md, "Critical points"): exact where the grid only brackets them, none
where sign changes of both partials have no critical point (a curved valley)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from derivlens.calculus import differentiate_2d


@pytest.mark.parametrize(
    ("f", "expected", "atol"),
    [
        # between samples: x = ±1/√3 and y = 1/3 fall on no grid point
        (lambda x, y: x**3 - x + (y - 1 / 3) ** 2, [(-1 / math.sqrt(3), 1 / 3),
                                                     (1 / math.sqrt(3), 1 / 3)], 1e-12),
        # a degenerate minimum, where Newton converges only linearly
        (lambda x, y: (x - 0.3) ** 4 + (y + 0.2) ** 4, [(0.3, -0.2)], 1e-9),
        # the maximum of a product of waves, with an `if` (no vmap: point by point)
        (lambda x, y: torch.cos(x) * torch.cos(y) if x < 10 else x, [(0.0, 0.0)], 1e-12),
    ],
)  # fmt: skip
def test_critical_points_are_refined_past_the_grid(f, expected, atol):
    surface = differentiate_2d(f, (-1.3, 1.1), (-1.2, 1.3), 25)
    assert surface.method == "autograd"
    np.testing.assert_allclose(surface.critical_points, expected, atol=atol)


def test_a_curved_valley_has_its_one_critical_point_only():
    def rosenbrock(x, y):
        return (1 - x) ** 2 + 100 * (y - x**2) ** 2

    surface = differentiate_2d(rosenbrock, (-2.0, 2.0), (-1.0, 3.0), 61)
    np.testing.assert_allclose(surface.critical_points, [(1.0, 1.0)], atol=1e-12)


def test_a_finite_difference_surface_keeps_the_grid_centres():
    surface = differentiate_2d(lambda x, y: math.sin(x) * math.sin(y), (-1, 1), (-1, 1), 21)
    assert surface.method == "finite-difference"
    np.testing.assert_allclose(surface.critical_points, [(0.0, 0.0)], atol=1e-12)
