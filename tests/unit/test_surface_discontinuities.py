"""A surface that jumps across a curve is never silently smooth: each grid line that crosses
it names where (docs/protocol.md, "Semantics": two variables; "Result": `discontinuities`
with `y`). Smooth steep surfaces and float32 rounding are never jumps.

Every expected place is analytic: on the line x + s·y = c, computed here.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from derivlens.calculus import differentiate_2d
from tests.helpers import evaluate_source, warning_kinds

LO, HI, SAMPLES = -1.0, 1.0, 21
GRID = np.linspace(LO, HI, SAMPLES)


def jump_on_tensors(c: float, s: float):
    return lambda x, y: torch.sin(x) * y + torch.where(x + s * y > c, 1.0, 0.0)


def jump_on_floats(c: float, s: float):
    def f(x, y):
        x, y = float(x), float(y)
        return math.sin(x) * y + (1.0 if x + s * y > c else 0.0)

    return f


def crossings(c: float, s: float) -> list[tuple[float, float]]:
    """Where the line x + s·y = c crosses each row of the grid inside the domain."""
    return [(c - s * y, y) for y in GRID if LO <= c - s * y <= HI]


def assert_on_the_line(surface, c: float, s: float) -> None:
    found = surface.discontinuities
    assert found, "a jumping surface was reported smooth"
    for d in found:
        assert d.order == 0
        assert abs(d.x + s * d.y - c) <= 1e-9 * (HI - LO) * (1 + abs(s)), (d.x, d.y)
    missing = [
        (x, y)
        for x, y in crossings(c, s)
        if LO + 1e-3 < x < HI - 1e-3
        and not any(abs(d.y - y) <= 1e-12 and abs(d.x - x) <= 1e-9 for d in found)
    ]
    assert not missing, f"rows crossing the jump without their point: {missing}"
    (warning,) = [w for w in surface.warnings if w.kind == "disagreement"]
    first = found[0]
    assert f"({first.x:.6g}, {first.y:.6g})" in warning.message
    assert "by about 1 " in warning.message or "by about -1 " in warning.message


lines = st.tuples(st.floats(-0.6, 0.6), st.floats(0.2, 0.8))


@pytest.mark.parametrize(
    ("make", "method"),
    [(jump_on_tensors, "autograd"), (jump_on_floats, "finite-difference")],
    ids=["autograd", "finite-differences"],
)
@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lines)
@example(line=(-5.960464477539063e-08, 0.5))  # 6e-8 from the grid's nodes: rows and columns meet
def test_a_jump_across_a_line_is_found_on_every_row_that_crosses_it(make, method, line):
    """By autograd, or under finite differences (f computed on Python floats)."""
    c, s = line
    surface = differentiate_2d(make(c, s), (LO, HI), (LO, HI), SAMPLES)
    assert surface.method == method
    assert_on_the_line(surface, c, s)


@pytest.mark.parametrize("k", [5.0, 60.0, 300.0])
def test_a_smooth_steep_surface_has_no_jump(k):
    surface = differentiate_2d(
        lambda x, y: torch.tanh(k * (x - 0.3 * y - 0.1)), (LO, HI), (LO, HI), SAMPLES
    )
    assert surface.discontinuities == []
    assert "disagreement" not in [w.kind for w in surface.warnings]


@pytest.mark.parametrize("dtype", [torch.float32, torch.float16])
def test_a_surface_computed_in_float32_or_float16_has_no_jump_and_no_disagreement(dtype):
    """As SoftF1Loss does (`.sum().float()`): its rounding is judged at its own precision."""

    def f(x, y):
        a, b = x.to(dtype), y.to(dtype)
        return (torch.sigmoid(a * 3) * b + (a - b) ** 2).double()

    surface = differentiate_2d(f, (0.1, 0.9), (0.1, 0.9), SAMPLES)
    assert surface.method == "autograd"
    assert surface.discontinuities == []
    assert "disagreement" not in [w.kind for w in surface.warnings]


def test_the_surface_result_carries_discontinuities_with_y(tmp_path):
    result = evaluate_source(
        tmp_path,
        """
        import torch
        def g(x, y):
            return x * y + torch.where(x > 0.3, 2.0, 0.0)
        """,
        "g",
        domain=(-1, 1),
        ydomain=(-1, 1),
        samples=11,
    )
    places = result["discontinuities"]
    assert {round(d["y"], 12) for d in places} == {round(y, 12) for y in np.linspace(-1, 1, 11)}
    assert all(abs(d["x"] - 0.3) <= 2e-9 and d["order"] == 0 for d in places)
    assert warning_kinds(result) == ["disagreement"]
    assert (
        "f jumps between grid points at (x, y) = (0.3, -1), (0.3, -0.8)"
        in (result["warnings"][0]["message"])
    )


def test_a_curve_s_discontinuities_carry_no_y(tmp_path):
    result = evaluate_source(tmp_path, "def f(x):\n    return abs(x)\n", "f", samples=11)
    assert result["discontinuities"] == [{"x": 0.0, "order": 1}]
