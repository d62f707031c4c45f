"""Compare drawn, and compare in the kernel (docs/protocol.md, "Compare").

The image overlays g dashed in each row's colour and adds an "f − g" row (its plot area
named so in `image.axes`); `derivlens.plot(f, compare=g)` carries the same field.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import derivlens
from derivlens import model, plotting
from derivlens.errors import DerivlensError
from derivlens.plotting.style import PALETTES
from tests.helpers import drawn

X = np.linspace(-1.0, 2.0, 121)


def series(values: np.ndarray) -> list[float | None]:
    return [float(v) for v in values]


def square_and_cube(order: int = 1, compare: bool = True) -> model.CurvesResult:
    """x² with x³ compared, built here from the formulas (no evaluation involved)."""
    derivatives = {"1": series(2 * X), "2": series(np.full_like(X, 2.0))}
    g_derivatives = {"1": series(3 * X**2), "2": series(6 * X)}
    keys = [str(k) for k in range(1, order + 1)]
    return model.CurvesResult(
        function="square",
        variables=("x",),
        fixed={},
        domain=(-1.0, 2.0),
        order=order,
        method="autograd",
        x=series(X),
        f=series(X**2),
        derivatives={k: derivatives[k] for k in keys},
        critical_points=[0.0],
        compare=model.Comparison(
            function="cube",
            f=series(X**3),
            derivatives={k: g_derivatives[k] for k in keys},
            difference=series(X**2 - X**3),
        )
        if compare
        else None,
    )


def near(pixels: np.ndarray, box: model.AxesBox, x: float, y: float, colour: str) -> bool:
    """Whether a pixel within 3 px of data point (x, y) in `box` has `colour`."""
    left, top, width, height = box.box
    (x0, x1), (y0, y1) = box.xlim, box.ylim
    col = left + (x - x0) / (x1 - x0) * width
    row = top + (y1 - y) / (y1 - y0) * height
    patch = pixels[int(row) - 3 : int(row) + 4, int(col) - 3 : int(col) + 4]
    want = np.array([int(colour[i : i + 2], 16) for i in (1, 3, 5)], dtype=float)
    return bool((np.abs(patch - want).sum(axis=2) < 60).any())


def test_the_image_has_an_f_minus_g_row_holding_the_difference():
    _pixels, image = drawn(square_and_cube(order=2), width=800, height=600, scale=1)
    names = [a.name for a in image.axes]
    assert names == ["f", "f′", "f″", "f − g"]
    difference = X**2 - X**3
    lo, hi = image.axes[-1].ylim
    assert lo <= difference.min() and difference.max() <= hi
    tops = [a.box[1] for a in image.axes]
    assert tops == sorted(tops)


def test_g_is_drawn_in_each_rows_colour_where_f_is_not():
    colours = PALETTES["light"].curves
    pixels, image = drawn(square_and_cube(order=1), width=800, height=600, scale=1)
    f_box, d_box, diff_box = image.axes
    # At x = 1.8: x³ = 5.832 (f is 3.24 there), 3x² = 9.72 (f′ is 3.6).
    assert near(pixels, f_box, 1.8, 1.8**3, colours[0])
    assert near(pixels, d_box, 1.8, 3 * 1.8**2, colours[1])
    assert near(pixels, diff_box, 1.8, 1.8**2 - 1.8**3, PALETTES["light"].foreground)
    plain, plain_image = drawn(square_and_cube(compare=False), width=800, height=600, scale=1)
    assert [a.name for a in plain_image.axes] == ["f", "f′"]
    assert not near(plain, plain_image.axes[0], 1.8, 1.8**3, colours[0])


def test_a_hover_keeps_its_size_and_two_rows_with_a_comparison():
    _pixels, image = drawn(square_and_cube(order=2), size="hover")
    plain = plotting.render(square_and_cube(order=2, compare=False), model.Render(size="hover"))
    assert (image.width, image.height) == (plain.width, plain.height)
    assert [a.name for a in image.axes] == ["f", "f′"]


# --- the kernel: derivlens.plot(f, compare=g) --------------------------------------------------


def test_kernel_compare_with_a_live_callable():
    def gelu(x):
        return 0.5 * x * (1 + torch.erf(x / math.sqrt(2)))

    def gelu_tanh(x, k=0.044715):
        return 0.5 * x * (1 + torch.tanh(math.sqrt(2 / math.pi) * (x + k * x**3)))

    result = derivlens.plot(gelu, compare=gelu_tanh, domain=(-3, 3), samples=61, order=2)
    x = np.linspace(-3, 3, 61)
    c = math.sqrt(2 / math.pi)
    approx = 0.5 * x * (1 + np.tanh(c * (x + 0.044715 * x**3)))
    exact = 0.5 * x * (1 + np.array([math.erf(v / math.sqrt(2)) for v in x]))
    assert result.compare.function == "gelu_tanh"
    np.testing.assert_allclose(result.compare.f, approx, atol=1e-12)
    np.testing.assert_allclose(result.compare.difference, exact - approx, atol=1e-12)
    # Keyed by the order as an int, as f's are in the kernel; the JSON keeps strings.
    assert sorted(result.compare.derivatives) == [1, 2]
    slope = np.array(result.derivatives[1]) - np.array(result.compare.derivatives[1])
    exact_1 = 0.5 * (1 + np.array([math.erf(v / math.sqrt(2)) for v in x])) + x * np.exp(
        -(x**2) / 2
    ) / math.sqrt(2 * math.pi)
    t = np.tanh(c * (x + 0.044715 * x**3))
    approx_1 = 0.5 * (1 + t) + 0.5 * x * (1 - t**2) * c * (1 + 3 * 0.044715 * x**2)
    np.testing.assert_allclose(slope, exact_1 - approx_1, atol=1e-12)
    as_json = result.to_dict()["compare"]
    assert sorted(as_json["derivatives"]) == ["1", "2"]
    assert as_json["function"] == "gelu_tanh" and len(as_json["difference"]) == 61
    assert result.image("png").startswith(b"\x89PNG")


def test_kernel_compare_image_has_the_difference_row():
    result = derivlens.plot(lambda x: x**2, compare=lambda x: x**3, domain=(-1, 2), samples=31)
    assert result.compare.function == "g"  # two lambdas: f and g
    np.testing.assert_allclose(result.compare.difference, X[::4] ** 2 - X[::4] ** 3, atol=1e-12)
    png = result._repr_png_()
    assert png.startswith(b"\x89PNG")
    drawn_image = plotting.render(result.result, model.Render())
    assert [a.name for a in drawn_image.axes] == ["f", "f′", "f − g"]


@pytest.mark.parametrize(
    ("compare", "message"),
    [
        (3, "compare must be a function of the same variables as f, got 3 (int)"),
        ("g", "compare must be a function of the same variables as f, got 'g' (str)"),
        (
            lambda x, y: x * y,
            "compare: f takes 1 variable and g takes 2 variables; compare needs functions of "
            "the same number of variables",
        ),
        (
            lambda x: torch.stack([x, x]),
            "compare: g returns 2 values; compare works with functions that return one number",
        ),
        (
            lambda: 1.0,
            "compare: g takes no variable to plot against; derivlens plots functions of one "
            "or two numbers, like `def f(x):` or `def f(x, y):`",
        ),
    ],
    ids=["number", "name", "two-variables", "vector", "no-variable"],
)
def test_kernel_bad_compare_is_invalid_options(compare, message):
    with pytest.raises(DerivlensError) as caught:
        derivlens.plot(lambda x: x**2, compare=compare, samples=11)
    assert caught.value.kind.value == "invalid-options"
    assert caught.value.message == message


def test_kernel_compare_with_itself_is_invalid_options():
    def f(x):
        return x**2

    with pytest.raises(DerivlensError) as caught:
        derivlens.plot(f, compare=f)
    assert caught.value.kind.value == "invalid-options"
    assert caught.value.message == (
        "compare: that is the function being plotted; pass another function"
    )


def test_the_legend_has_one_entry_for_g_and_one_for_the_difference():
    drawing = plotting.build_figure(square_and_cube(order=2), model.Render(format="svg"))
    (legend,) = drawing.figure.legends
    labels = [text.get_text() for text in legend.get_texts()]
    assert labels == ["square(x)", "cube(x)", "square′(x)", "square″(x)", "square − cube"]
    dashed = [line for line in legend.get_lines() if line.get_linestyle() == "--"]
    assert len(dashed) == 1
