"""Code that raises on tensors at every point but works on Python numbers (lmfit's
`x[where(x <= tiny)] = tiny` on a 0-d array: ValueError) is evaluated on numbers, with
finite differences (docs/protocol.md, "Semantics"), for one variable and for two; code
that fails on numbers too is the user's error."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

from derivlens.calculus import differentiate_1d, differentiate_2d
from derivlens.calculus.common import FunctionFailed

TINY = 1e-15


def clipped(x):
    """lmfit's shape: numbers are clipped with max(), arrays through numpy's where."""
    if isinstance(x, int | float):
        return max(TINY, x)
    x[np.where(x <= TINY)] = TINY
    return x


def x_log_x(x):
    x = clipped(x)
    return x * np.log(x)


def bound_of(warnings) -> float:
    text = " ".join(w.message for w in warnings if w.kind == "finite-difference")
    return float(re.search(r"to within about ([0-9.eE+-]+\d)", text).group(1))


def test_a_curve_that_fails_on_tensors_everywhere_is_evaluated_on_numbers():
    curves = differentiate_1d(x_log_x, (0.05, 5.0), 101, 1)
    assert curves.method == "finite-difference"
    (warning,) = [w for w in curves.warnings if w.kind == "finite-difference"]
    assert "works on Python numbers but not on tensors (ValueError" in warning.message
    bound = bound_of(curves.warnings)
    for x, f, d in zip(curves.x, curves.f, curves.derivatives[1], strict=True):
        assert abs(f - x * math.log(x)) <= 1e-12 * 8
        assert abs(d - (math.log(x) + 1)) <= bound


def test_a_surface_that_fails_on_tensors_everywhere_is_evaluated_on_numbers():
    surface = differentiate_2d(lambda x, y: x_log_x(x) * y, (0.5, 2.0), (-1.0, 1.0), 11)
    assert surface.method == "finite-difference"
    bound = bound_of(surface.warnings)
    grid_y, grid_x = np.meshgrid(surface.y, surface.x, indexing="ij")
    np.testing.assert_allclose(surface.f, grid_x * np.log(grid_x) * grid_y, atol=1e-12)
    assert np.abs(surface.gradient_x - (np.log(grid_x) + 1) * grid_y).max() <= bound
    assert np.abs(surface.gradient_y - grid_x * np.log(grid_x)).max() <= bound


def test_code_that_fails_on_numbers_too_is_the_user_s_error():
    def broken(x):
        raise ValueError("no value here")

    with pytest.raises(FunctionFailed, match="no value here"):
        differentiate_1d(broken, (0.0, 1.0), 11, 1)
