"""`derivlens.plot(f, taylor=(x0, k))` in the kernel: `.taylor` and `.to_dict()` against
analytic derivatives, bad values as `invalid-options`, `.formula` filled and proven, and
the inflection points in the display (docs/protocol.md, "In a notebook kernel")."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
import torch

import derivlens
from derivlens.errors import DerivlensError, ErrorKind


def test_taylor_of_exp_at_a_point() -> None:
    result = derivlens.plot(torch.exp, domain=(-1, 1), samples=21, taylor=(0.3, 4))
    expected = [math.exp(0.3) / math.factorial(k) for k in range(5)]
    np.testing.assert_allclose(result.taylor.coefficients, expected, rtol=1e-12)
    x = np.array(result.x)
    values = sum(c * (x - 0.3) ** k for k, c in enumerate(expected))
    np.testing.assert_allclose(np.array(result.taylor.values, dtype=float), values, atol=1e-9)
    as_json = result.to_dict()["taylor"]
    assert as_json["at"] == 0.3 and as_json["order"] == 4
    assert as_json["coefficients"] == result.taylor.coefficients


def test_a_bare_x0_is_the_tangent_line() -> None:
    result = derivlens.plot(torch.sin, domain=(-4, 4), taylor=1.0)
    assert result.taylor.order == 1
    np.testing.assert_allclose(result.taylor.coefficients, [math.sin(1), math.cos(1)], atol=1e-12)


def test_no_taylor_unless_asked() -> None:
    result = derivlens.plot(torch.sin, domain=(-4, 4), samples=41)
    assert result.taylor is None and "taylor" not in result.to_dict()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"taylor": (0.3, 5)}, "taylor: k must be a whole number from 1 to 4 (1: the tangent "
         "line), got 5"),
        ({"taylor": ("abc", 1)}, "taylor: x0 must be a finite number (a point of the domain), "
         "got 'abc'"),
        ({"taylor": (math.inf, 1)}, "taylor: x0 must be a finite number (a point of the domain), "
         "got inf"),
        ({"taylor": (1, 2, 3)}, "taylor must be (x0, k) with k from 1 to 4, got (1, 2, 3)"),
        ({"taylor": (9, 1)}, "taylor: x0 = 9 is outside the domain [-5, 5]; choose x0 inside it "
         "(or widen the domain)"),
    ],
)  # fmt: skip
def test_bad_taylor_values_are_invalid_options(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(DerivlensError) as caught:
        derivlens.plot(torch.sin, **kwargs)
    assert caught.value.kind is ErrorKind.INVALID_OPTIONS and caught.value.message == message


def test_taylor_of_two_variables_is_refused() -> None:
    with pytest.raises(DerivlensError) as caught:
        derivlens.plot(lambda x, y: x * y, taylor=(0, 1))
    assert caught.value.kind is ErrorKind.INVALID_OPTIONS
    assert caught.value.message == (
        "taylor: the Taylor polynomial needs a function of one variable; f has 2 (x, y): "
        "leave taylor out"
    )


def test_the_formula_is_filled_and_matches_the_samples() -> None:
    result = derivlens.plot(lambda x: x**3 - 2 * x**2 + x - 1, domain=(-2, 2), order=2)
    assert result.formula["f"] == "x**3 - 2*x**2 + x - 1"
    assert result.formula["2"] == "6*x - 4"
    assert result.to_dict()["formula"]["1"] == "3*x**2 - 4*x + 1"
    assert "<li>f′(x) = 3x² − 4x + 1</li>" in result._repr_html_()  # the display shows it


def test_no_formula_for_what_cannot_be_traced() -> None:
    result = derivlens.plot(lambda x: math.sin(x), domain=(-2, 2), samples=41)
    assert result.formula is None


def test_inflection_points_as_attribute_and_in_the_display() -> None:
    result = derivlens.plot(torch.sin, domain=(-4, 4))
    np.testing.assert_allclose(result.inflection_points, [-math.pi, 0, math.pi], atol=1e-9)
    assert "inflection points: -3.142, 0, 3.142" in result._repr_html_()
