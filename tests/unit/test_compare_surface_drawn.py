"""Compare drawn for two variables, and in the kernel (docs/protocol.md, "Compare").

g's contour lines are dashed over f's filled contours at the levels of f's bands (and
g's partials over f's), a plot "f − g" with its own colour scale follows the partials
(its area named so in `image.axes`), and the compact style keeps f alone. Results are
built here from formulas (no evaluation involved) unless the kernel is under test.
"""

from __future__ import annotations

import base64
from typing import Any

import numpy as np
import pytest
from matplotlib.collections import LineCollection

import derivlens
from derivlens import images, model, plotting
from tests.helpers import drawn

X = np.linspace(-2.0, 2.0, 41)
Y = np.linspace(-1.0, 2.0, 31)
GX, GY = np.meshgrid(X, Y)


def rows(values: np.ndarray) -> list[list[float | None]]:
    return [[float(v) for v in row] for row in values]


#: What every surface here shares: autograd's, of x and y, nothing held.
PLAIN: dict[str, Any] = {"variables": ("x", "y"), "fixed": {}, "order": 1, "method": "autograd"}


def bowl_and_product(compare: bool = True) -> model.SurfaceResult:
    """f = x² + y² with g = x·y compared, from the formulas."""
    f, g = GX**2 + GY**2, GX * GY
    return model.SurfaceResult(
        function="bowl",
        **PLAIN,
        domain=(-2.0, 2.0),
        ydomain=(-1.0, 2.0),
        x=[float(v) for v in X],
        y=[float(v) for v in Y],
        f=rows(f),
        gradient=model.Gradient(x=rows(2 * GX), y=rows(2 * GY)),
        critical_points=[(0.0, 0.0)],
        compare=model.SurfaceComparison(
            function="product",
            f=rows(g),
            derivatives={"x": rows(GY), "y": rows(GX)},
            difference=rows(f - g),
        )
        if compare
        else None,
    )


def pixel(pixels: np.ndarray, box: model.AxesBox, x: float, y: float) -> np.ndarray:
    left, top, width, height = box.box
    (x0, x1), (y0, y1) = box.xlim, box.ylim
    col = left + (x - x0) / (x1 - x0) * width
    row = top + (y1 - y) / (y1 - y0) * height
    return pixels[int(row), int(col)]


def dashed_lines(result: model.SurfaceResult, **render: Any) -> list[LineCollection]:
    drawing = plotting.build_figure(result, model.Render(format="svg", **render))
    return [
        artist
        for artist in drawing.figure.get_children()
        if isinstance(artist, LineCollection) and artist.get_path_effects()
    ]


def vertices(lines: LineCollection) -> np.ndarray:
    return np.concatenate([np.asarray(segment) for segment in lines.get_segments()])


def equally_spaced(values: np.ndarray) -> np.ndarray:
    """The distinct values (to 1e-9), checked to be a run of equally spaced levels."""
    levels = np.unique(np.round(values, 9))
    steps = np.diff(levels)
    assert levels.size >= 3 and np.allclose(steps, steps[0], rtol=0, atol=1e-9), levels
    return levels


# --- the panel -------------------------------------------------------------------------------


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_the_panel_has_f_its_partials_and_f_minus_g(theme):
    pixels, image = drawn(bowl_and_product(), theme=theme, width=1000, height=600, scale=1)
    assert [a.name for a in image.axes] == ["f", "∂f/∂x", "∂f/∂y", "f − g"]
    f_box, _, _, difference = image.axes
    tops = [a.box[1] for a in image.axes[1:]]
    assert tops == sorted(tops)  # the partials, then f − g under them
    assert difference.xlim == (-2.0, 2.0) and difference.ylim == (-1.0, 2.0)
    assert difference.box[0] > f_box.box[0] + f_box.box[2]  # beside f
    # f − g = x² + y² − xy is 10.83 at (−1.9, 1.9), on its own diverging scale: red where it
    # is largest, the map's middle where it is 0 (at (0, 0)), nothing of f's viridis.
    hot = pixel(pixels, difference, -1.9, 1.9)
    assert hot[0] > hot[2] + 60
    _, plain = drawn(bowl_and_product(compare=False), theme=theme, scale=1)
    assert [a.name for a in plain.axes] == ["f", "∂f/∂x", "∂f/∂y"]
    centre = pixel(pixels, difference, 0.02, 0.02)
    middle = np.array([247, 247, 247]) if theme == "light" else np.array([30, 25, 25])
    assert np.abs(centre - middle).max() < 45, centre


def test_g_is_dashed_at_the_levels_of_f_bands_on_f_and_on_each_partial():
    main, along_x, along_y = dashed_lines(bowl_and_product())
    for lines in (main, along_x, along_y):
        assert lines.get_linestyle()[0][1] is not None  # dashed
    # g = x·y on the main plot: every vertex lies on a level of g, the levels equally
    # spaced (the bands' levels, which span f's 0..8 and g's −4..4 together).
    at = vertices(main)
    levels = equally_spaced(at[:, 0] * at[:, 1])
    assert levels.min() <= -2 and levels.max() >= 2 and 0 in levels
    # ∂g/∂x = y and ∂g/∂y = x: horizontal and vertical dashed lines at equally spaced levels.
    equally_spaced(vertices(along_x)[:, 1])
    equally_spaced(vertices(along_y)[:, 0])
    assert dashed_lines(bowl_and_product(compare=False)) == []


def test_a_g_that_stays_within_one_band_is_dashed_at_its_own_levels():
    result = bowl_and_product()
    assert result.compare is not None
    tiny = rows(1e-3 * GX * GY)
    small = model.SurfaceComparison(
        function="tiny",
        f=tiny,
        derivatives=result.compare.derivatives,
        difference=rows(GX**2 + GY**2 - 1e-3 * GX * GY),
    )
    drawing = plotting.build_figure(
        model.SurfaceResult(**{**_fields(result), "compare": small}), model.Render(format="svg")
    )
    texts = [t.get_text() for t in drawing.figure.texts]
    assert any("dashed: tiny at its own levels" in t for t in texts)
    main = next(
        a
        for a in drawing.figure.get_children()
        if isinstance(a, LineCollection) and a.get_path_effects()
    )
    at = vertices(main)
    levels = equally_spaced(1e-3 * at[:, 0] * at[:, 1])
    assert levels.max() - levels.min() < 0.01  # g's own range, ±0.004


def _fields(result: model.SurfaceResult) -> dict[str, Any]:
    import attrs

    return {a.name: getattr(result, a.name) for a in attrs.fields(type(result))}


def test_a_narrow_tall_panel_puts_the_partials_under_f_and_f_minus_g_under_them():
    # Too narrow for three plots side by side (the panel asks a taller image for this).
    _pixels, image = drawn(bowl_and_product(), width=600, height=700, scale=1)
    assert [a.name for a in image.axes] == ["f", "∂f/∂x", "∂f/∂y", "f − g"]
    f_box, dx, dy, difference = (a.box for a in image.axes)
    # Boxes are (left, top, width, height) in image pixels, y downwards.
    assert dx[1] == dy[1] > f_box[1] + f_box[3]  # side by side, under f
    assert dx[0] + dx[2] < dy[0]
    assert difference[1] > dx[1] + dx[3] and difference[0] == dx[0]  # under ∂f/∂x
    assert f_box[3] >= 150 and min(dx[3], difference[3]) >= 80


def test_a_narrow_short_panel_keeps_f_minus_g_alone_under_f():
    _pixels, image = drawn(bowl_and_product(), width=600, height=560, scale=1)
    assert [a.name for a in image.axes] == ["f", "f − g"]
    f_box, difference = image.axes
    assert difference.box[1] > f_box.box[1] + f_box.box[3]  # under f


def test_the_hover_keeps_its_size_and_f_alone_with_g_dashed():
    _pixels, image = drawn(bowl_and_product(), size="hover")
    plain = plotting.render(bowl_and_product(compare=False), model.Render(size="hover"))
    assert (image.width, image.height) == (plain.width, plain.height)
    assert [a.name for a in image.axes] == ["f"]
    assert image.data != plain.data
    assert len(dashed_lines(bowl_and_product(), size="hover")) == 1


def test_an_svg_with_a_comparison_passes_the_image_checks():
    image = plotting.render(bowl_and_product(), model.Render(format="svg", theme="dark"))
    sent = model.Image("svg", base64.b64encode(image.data).decode(), image.width, image.height)
    assert images.problem(sent) is None


# --- the kernel: derivlens.plot(f, compare=g) for two variables ------------------------------


def test_kernel_compare_of_two_surfaces():
    result = derivlens.plot(
        lambda x, y: x**2 + y**2,
        compare=lambda u, v: u * v,
        domain=(-2, 2),
        ydomain=(-1, 2),
        samples=21,
    )
    x, y = np.meshgrid(np.linspace(-2, 2, 21), np.linspace(-1, 2, 21))
    comparison = result.compare
    assert comparison.function == "g"
    assert sorted(comparison.derivatives) == ["x", "y"]  # the partials keep their keys
    np.testing.assert_allclose(np.array(comparison.f, dtype=float), x * y, atol=1e-12)
    np.testing.assert_allclose(np.array(comparison.derivatives["x"], dtype=float), y, atol=1e-12)
    np.testing.assert_allclose(np.array(comparison.derivatives["y"], dtype=float), x, atol=1e-12)
    np.testing.assert_allclose(
        np.array(comparison.difference, dtype=float), x**2 + y**2 - x * y, atol=1e-12
    )
    assert sorted(result.to_dict()["compare"]["derivatives"]) == ["x", "y"]
    drawn_image = plotting.render(result.result, model.Render())
    assert [a.name for a in drawn_image.axes] == ["f", "∂f/∂x", "∂f/∂y", "f − g"]


def test_kernel_refuses_a_surface_against_a_curve():
    with pytest.raises(derivlens.DerivlensError) as caught:
        derivlens.plot(lambda x, y: x * y, compare=lambda t: t, samples=5)
    assert caught.value.kind.value == "invalid-options"
    assert caught.value.message == (
        "compare: f takes 2 variables and g takes 1 variable; compare needs functions of the "
        "same number of variables"
    )
