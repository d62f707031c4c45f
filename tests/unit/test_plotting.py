"""Typed results drawn as images: sizes, plot areas and their data mapping, looks, edge data."""

from __future__ import annotations

import io
import itertools
import math
import os
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator, Sequence

import attrs
import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg, RendererAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.text import Text
from PIL import Image

from derivlens import model, plotting
from derivlens.plotting import RenderedImage, build_figure, fastpath, render, stage
from derivlens.plotting.canvas import canvas_for
from derivlens.plotting.style import PALETTES

Fn = Callable[[np.ndarray], np.ndarray]
Fn2 = Callable[[np.ndarray, np.ndarray], np.ndarray]
HOVER_LIMIT = 70 * 1024
PRIMED = ("f", "f′", "f″", "f‴", "f⁽⁴⁾")


# --- results ------------------------------------------------------------------------------


def series(values: np.ndarray) -> list[float | None]:
    return [float(v) if math.isfinite(v) else None for v in np.asarray(values, dtype=float)]


def evaluate(fn: Fn, x: np.ndarray) -> np.ndarray:
    with np.errstate(all="ignore"):
        return np.asarray(fn(x), dtype=float) * np.ones_like(x)


def critical(x: np.ndarray, d1: np.ndarray) -> list[float]:
    s = np.sign(d1)
    idx = np.flatnonzero(s[:-1] * s[1:] < 0)
    return [float(x[i] - d1[i] * (x[i + 1] - x[i]) / (d1[i + 1] - d1[i])) for i in idx]


def curves(
    funcs: Sequence[Fn],
    *,
    name: str = "f",
    domain: tuple[float, float] = (-5.0, 5.0),
    samples: int = 401,
    fixed: dict[str, model.FixedValue] | None = None,
    method: model.Method = "autograd",
) -> model.CurvesResult:
    """A result like the engine's: f and its analytic derivatives on a grid."""
    x = np.linspace(*domain, samples)
    values = [evaluate(fn, x) for fn in funcs]
    return model.CurvesResult(
        variables=("x",),
        fixed=fixed or {},
        domain=domain,
        order=len(funcs) - 1,
        method=method,
        x=series(x),
        f=series(values[0]),
        derivatives={str(k): series(values[k]) for k in range(1, len(funcs))},
        critical_points=critical(x, values[1]),
        function=name,
    )


def vector(
    components: Sequence[Sequence[Fn]], *, domain: tuple[float, float] = (-3.0, 3.0)
) -> model.VectorCurvesResult:
    """f with one output per entry of `components` (each: the output and its derivatives)."""
    x = np.linspace(*domain, 401)
    order = len(components[0]) - 1
    return model.VectorCurvesResult(
        variables=("t",),
        fixed={},
        domain=domain,
        order=order,
        method="autograd",
        outputs=len(components),
        x=series(x),
        f=[series(evaluate(c[0], x)) for c in components],
        derivatives={
            str(k): [series(evaluate(c[k], x)) for c in components] for k in range(1, order + 1)
        },
        critical_points=[critical(x, evaluate(c[1], x)) for c in components],
        function="path",
    )


def surface(
    f: Fn2,
    fx: Fn2,
    fy: Fn2,
    *,
    n: int = 61,
    domain: tuple[float, float] = (-5.0, 5.0),
    ydomain: tuple[float, float] = (-5.0, 5.0),
    points: Sequence[tuple[float, float]] = (),
) -> model.SurfaceResult:
    x, y = np.linspace(*domain, n), np.linspace(*ydomain, n)
    gx, gy = np.meshgrid(x, y)

    def grid(fn: Fn2) -> list[list[float | None]]:
        with np.errstate(all="ignore"):
            return [series(row) for row in np.asarray(fn(gx, gy), dtype=float) * np.ones_like(gx)]

    return model.SurfaceResult(
        variables=("x", "y"),
        fixed={},
        domain=domain,
        ydomain=ydomain,
        order=1,
        method="autograd",
        x=series(x),
        y=series(y),
        f=grid(f),
        gradient=model.Gradient(x=grid(fx), y=grid(fy)),
        critical_points=list(points),
        function="g",
    )


CUBIC = curves(
    [lambda x: x**3 - 2 * x**2 + x - 1, lambda x: 3 * x**2 - 4 * x + 1, lambda x: 6 * x - 4],
    domain=(-1.0, 2.5),
    fixed={"y": 1.0},
)
QUARTIC = curves(
    [
        lambda x: x**4,
        lambda x: 4 * x**3,
        lambda x: 12 * x**2,
        lambda x: 24 * x,
        lambda x: 24 + 0 * x,
    ],
    name="quartic",
)
BUSY = curves(
    [lambda x: np.sin(20 * x), lambda x: 20 * np.cos(20 * x), lambda x: -400 * np.sin(20 * x)]
)
LINE = curves([lambda x: x, lambda x: 1 + 0 * x], domain=(-2.0, 3.0))
WAVES = vector(
    [
        (lambda t, k=k: np.sin(t + k), lambda t, k=k: np.cos(t + k), lambda t, k=k: -np.sin(t + k))
        for k in range(8)
    ]
)
BOWL = surface(
    lambda x, y: x**2 + y**2, lambda x, y: 2 * x, lambda x, y: 2 * y, points=[(0.0, 0.0)]
)
WAVE = surface(
    lambda x, y: np.sin(3 * x) * np.cos(3 * y),
    lambda x, y: 3 * np.cos(3 * x) * np.cos(3 * y),
    lambda x, y: -3 * np.sin(3 * x) * np.sin(3 * y),
)
ALL = {"cubic": CUBIC, "quartic": QUARTIC, "waves": WAVES, "bowl": BOWL}
#: Far from 0 on a tiny domain: long tick labels unless they are relative to an offset.
FAR = curves([lambda x: x, lambda x: 1 + 0 * x], domain=(1.0, 1.0 + 1e-9))


# --- looking at images ----------------------------------------------------------------------


def spec(**kwargs: object) -> model.Render:
    return model.Render(**kwargs)  # type: ignore[arg-type]


def pixels(image: RenderedImage) -> np.ndarray:
    """The PNG's pixels as an RGB array (height, width, 3), checking the header's size."""
    assert image.format == "png"
    png = Image.open(io.BytesIO(image.data))
    assert png.format == "PNG"
    assert png.size == (image.width, image.height)
    return np.asarray(png.convert("RGB"), dtype=float)


def rgb(colour: str) -> np.ndarray:
    return np.array([int(colour[i : i + 2], 16) for i in (1, 3, 5)], dtype=float)


def coverage(rgb_pixels: np.ndarray, colour: str, background: str) -> np.ndarray:
    """How much of `colour` each pixel holds over `background` (0..1; 0 off that blend)."""
    c, bg = rgb(colour), rgb(background)
    delta = rgb_pixels - bg
    direction = c - bg
    alpha = delta @ direction / (direction @ direction)
    off = np.linalg.norm(delta - alpha[..., None] * direction, axis=-1)
    return np.where((off < 20) & (alpha > 0.3), np.clip(alpha, 0, 1), 0.0)


def crop(rgb_pixels: np.ndarray, box: model.AxesBox, inset: float = 0) -> np.ndarray:
    left, top, width, height = box.box
    return rgb_pixels[
        math.ceil(top + inset) : math.floor(top + height - inset),
        math.ceil(left + inset) : math.floor(left + width - inset),
    ]


def texts(result: model.Result, **kwargs: object) -> list[str]:
    fig = build_figure(result, spec(**kwargs)).figure
    return [t.get_text() for t in fig.findobj(Text) if t.get_text()]  # type: ignore[attr-defined]


def drawn(fig: Figure) -> RendererAgg:
    """Draw `fig` (legends and annotations place their texts while drawing)."""
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    return canvas.get_renderer()


def by_name(image: RenderedImage) -> dict[str, model.AxesBox]:
    return {a.name: a for a in image.axes}


# --- sizes ----------------------------------------------------------------------------------


@pytest.mark.parametrize("result", ALL.values(), ids=ALL.keys())
@pytest.mark.parametrize(
    ("request_", "pixels_", "scale"),
    [
        ({"size": "hover"}, (720, 300), 2.0),
        ({"size": "panel"}, (2000, 1200), 2.0),
        ({"size": "panel", "width": 800, "height": 500, "scale": 1}, (800, 500), 1.0),
        ({"size": "hover", "width": 333.3, "height": 160.4, "scale": 1.5}, (500, 241), 1.5),
        ({"size": "hover", "width": 360, "height": 180, "scale": 3}, (1080, 540), 3.0),
    ],
    ids=["hover", "panel", "800x500", "fractional", "hover@3"],
)
def test_png_is_width_times_scale_pixels(
    result: model.Result, request_: dict[str, object], pixels_: tuple[int, int], scale: float
) -> None:
    image = render(result, spec(format="png", **request_))
    assert (image.width, image.height) == pixels_
    assert image.scale == scale
    assert pixels(image).shape[:2] == (pixels_[1], pixels_[0])


@pytest.mark.parametrize(
    ("request_", "size", "scale"),
    [
        ({"width": 10, "height": 10, "scale": 0.25}, (240, 150), 1.0),
        ({"width": 1e9, "height": 1e9, "scale": 40}, (4000, 3000), 1.0),
        ({"width": 3000, "height": 200, "scale": 9}, (12000, 800), 4.0),
    ],
    ids=["tiny", "huge", "wide"],
)
def test_absurd_sizes_are_clamped(
    request_: dict[str, object], size: tuple[int, int], scale: float
) -> None:
    drawing = build_figure(CUBIC, spec(format="png", size="panel", **request_))
    assert (drawing.width, drawing.height, drawing.scale) == (*size, scale)


def test_small_box_renders_at_its_size() -> None:
    image = render(CUBIC, spec(width=10, height=10, scale=0.25))
    assert (image.width, image.height, image.scale) == (240, 150, 1.0)
    pixels(image)


@pytest.mark.parametrize("result", [CUBIC, BOWL], ids=["cubic", "bowl"])
@pytest.mark.parametrize(
    ("request_", "css"),
    [
        ({"size": "hover"}, (360, 150)),
        ({"size": "panel", "width": 700.4, "height": 420}, (700, 420)),
    ],
    ids=["hover", "700x420"],
)
def test_svg_is_sized_in_px(
    result: model.Result, request_: dict[str, object], css: tuple[int, int]
) -> None:
    image = render(result, spec(format="svg", scale=3, **request_))
    assert (image.format, image.width, image.height, image.scale) == ("svg", *css, 1.0)
    root = ET.fromstring(image.data)
    assert (root.get("width"), root.get("height")) == (f"{css[0]}px", f"{css[1]}px")
    view = [float(v) for v in (root.get("viewBox") or "").split()]
    assert view[2] / view[3] == pytest.approx(css[0] / css[1], rel=1e-3)
    assert len(image.data) < 600 * 1024


@pytest.mark.parametrize("result", [CUBIC, WAVES, BOWL], ids=["cubic", "waves", "bowl"])
def test_svg_has_no_script_and_no_external_reference(result: model.Result) -> None:
    data = render(result, spec(format="svg", size="panel")).data
    assert b"<!DOCTYPE" not in data
    assert b"<script" not in data.lower()
    root = ET.fromstring(data)
    hrefs = []
    for element in root.iter():
        tag = element.tag.rsplit("}", 1)[-1].lower()
        assert tag not in ("script", "foreignobject", "metadata")
        assert not any(k.lower().startswith("on") for k in element.attrib)  # onload=...
        hrefs += [v for k, v in element.attrib.items() if k.rsplit("}", 1)[-1] == "href"]
    assert hrefs, "glyphs are referenced, so the check saw some hrefs"
    assert all(h.startswith(("#", "data:image/png;base64,")) for h in hrefs)
    assert b"http://" not in data.replace(b'"http://www.w3.org/', b"")


# --- plot areas -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "request_",
    [{"size": "panel"}, {"size": "hover", "width": 420, "height": 170, "scale": 1.5}],
    ids=["panel@2", "hover@1.5"],
)
def test_axes_boxes_map_data_to_the_drawn_curve(request_: dict[str, object]) -> None:
    """y = x on [-2, 3]: the curve's pixels lie where the box mapping puts them."""
    image = render(LINE, spec(format="png", **request_))
    rgb_pixels = pixels(image)
    palette = PALETTES["light"]
    f, d1 = by_name(image)["f"], by_name(image)["f′"]
    assert f.xlim == d1.xlim == (-2.0, 3.0)
    for box, colour, expected in ((f, palette.curves[0], None), (d1, palette.curves[1], 1.0)):
        left, top, width, height = box.box
        weight = coverage(crop(rgb_pixels, box, inset=4), colour, palette.background)
        rows = np.arange(weight.shape[0]) + math.ceil(top + 4) + 0.5
        columns = np.arange(weight.shape[1]) + math.ceil(left + 4) + 0.5
        assert (weight.sum(axis=0) > 0).all(), "the curve crosses the whole box"
        centre = (weight * rows[:, None]).sum(axis=0) / weight.sum(axis=0)
        x = box.xlim[0] + (columns - left) / width * (box.xlim[1] - box.xlim[0])
        y = x if expected is None else np.full_like(x, expected)
        y_px = top + (box.ylim[1] - y) / (box.ylim[1] - box.ylim[0]) * height
        assert np.abs(centre - y_px).max() < 1.0


def test_curve_ends_at_the_box_edges() -> None:
    image = render(LINE, spec(size="panel", scale=1))
    left, top, width, height = by_name(image)["f"].box
    # The box's rows, and 10 px more on either side (the row label is further left).
    start = int(left) - 10
    around = pixels(image)[
        math.ceil(top) : math.floor(top + height), start : int(left + width) + 10
    ]
    weight = coverage(around, PALETTES["light"].curves[0], PALETTES["light"].background)
    columns = np.flatnonzero(weight.sum(axis=0) > 0.5) + start
    assert abs(columns.min() - left) <= 1.5
    assert abs(columns.max() + 1 - (left + width)) <= 1.5


@pytest.mark.parametrize("result", ALL.values(), ids=ALL.keys())
@pytest.mark.parametrize("size", ["hover", "panel"])
def test_axes_boxes_are_named_inside_the_image_and_stacked(result: model.Result, size: str) -> None:
    image = render(result, spec(size=size))
    names = [a.name for a in image.axes]
    if isinstance(result, model.SurfaceResult):
        assert names == (["f"] if size == "hover" else ["f", "∂f/∂x", "∂f/∂y"])
        assert image.axes[0].xlim == result.domain
        assert image.axes[0].ylim == result.ydomain
    else:
        shown = result.order + 1 if size == "panel" else 2
        assert names == list(PRIMED[:shown])
        assert all(a.xlim == (result.x[0], result.x[-1]) for a in image.axes)
        tops = [a.box[1] for a in image.axes]
        bottoms = [a.box[1] + a.box[3] for a in image.axes]
        assert all(bottom < top for bottom, top in zip(bottoms, tops[1:], strict=False))
    for axes in image.axes:
        left, top, width, height = axes.box
        assert width > 50 and height > 20
        assert left >= 0 and left + width <= image.width
        assert top >= 0 and top + height <= image.height
        assert axes.ylim[0] < axes.ylim[1]


def test_svg_boxes_are_in_svg_px() -> None:
    png = render(BOWL, spec(format="png", size="panel", scale=2))
    svg = render(BOWL, spec(format="svg", size="panel"))
    for a, b in zip(png.axes, svg.axes, strict=True):
        assert a.name == b.name and a.xlim == b.xlim and a.ylim == b.ylim
        assert a.box == pytest.approx(tuple(2 * v for v in b.box))


def test_surface_box_maps_x_to_the_contour_bands() -> None:
    """f = x on [-2, 3]: the bands' edges (at the levels) sit where the mapping says."""
    nothing = lambda x, y: x * np.nan  # noqa: E731 - no gradient, so no arrows over the bands
    result = surface(lambda x, y: x, nothing, nothing, domain=(-2.0, 3.0), ydomain=(-1.0, 4.0))
    image = render(result, spec(size="panel", scale=1))
    box = by_name(image)["f"]
    assert (box.xlim, box.ylim) == ((-2.0, 3.0), (-1.0, 4.0))
    left, top, width, height = box.box
    row = pixels(image)[int(top + height / 2), math.ceil(left) + 2 : math.floor(left + width) - 2]
    edges = np.flatnonzero(np.abs(np.diff(row, axis=0)).sum(axis=1) > 0) + math.ceil(left) + 3
    x_at_edges = box.xlim[0] + (edges - left) / width * (box.xlim[1] - box.xlim[0])
    assert len(edges) >= 8  # levels every 0.5
    assert np.abs(x_at_edges * 2 - np.round(x_at_edges * 2)).max() * width / 10 < 1.0


def test_narrow_panel_leaves_out_the_partials() -> None:
    image = render(BOWL, spec(size="panel", width=500, height=400))
    assert [a.name for a in image.axes] == ["f"]


# --- looks ---------------------------------------------------------------------------------


@pytest.mark.parametrize("result", [CUBIC, WAVES, BOWL], ids=["cubic", "waves", "bowl"])
@pytest.mark.parametrize("size", ["hover", "panel"])
def test_themes_set_the_background(result: model.Result, size: str) -> None:
    for theme, expected in (("light", (255, 255, 255)), ("dark", (31, 31, 31))):
        rgb_pixels = pixels(render(result, spec(theme=theme, size=size, scale=1)))
        for y, x in ((0, 0), (-1, -1), (-1, 0), (0, -1)):
            assert tuple(rgb_pixels[y, x]) == expected


@pytest.mark.parametrize(
    "result", [BUSY, WAVES, WAVE, BOWL, QUARTIC], ids=["busy", "waves", "wave", "bowl", "quartic"]
)
@pytest.mark.parametrize("theme", ["light", "dark"])
def test_hover_png_stays_small(result: model.Result, theme: str) -> None:
    assert len(render(result, spec(size="hover", theme=theme)).data) < HOVER_LIMIT


@pytest.mark.parametrize(
    "result", [CUBIC, QUARTIC, WAVES, BOWL, FAR], ids=["c", "q", "w", "b", "far"]
)
@pytest.mark.parametrize(
    "request_",
    [
        {"size": "hover"},
        {"size": "hover", "width": 240},
        {"size": "panel", "width": 240, "height": 150},
        {"size": "panel", "width": 480, "height": 300},
        {"size": "panel"},
    ],
    ids=["hover", "hover-240", "panel-240x150", "panel-480x300", "panel"],
)
def test_texts_fit_and_do_not_overlap(result: model.Result, request_: dict[str, object]) -> None:
    """Every label is inside the image and clear of every other, down to the least size."""
    fig = build_figure(result, spec(**request_)).figure
    renderer = drawn(fig)
    boxes = [
        (t.get_text(), t.get_window_extent(renderer).padded(-1.0))
        for t in fig.findobj(Text)  # type: ignore[attr-defined]
        if t.get_text() and t.get_visible()
    ]
    assert len(boxes) >= 10
    for text, b in boxes:
        assert b.x0 >= 0 and b.y0 >= 0, text
        assert b.x1 <= fig.bbox.width and b.y1 <= fig.bbox.height, text
    for (s, a), (t, b) in itertools.combinations(boxes, 2):
        assert not a.overlaps(b), (s, t)


def test_small_panel_shows_the_rows_that_fit_and_names_the_rest() -> None:
    image = render(QUARTIC, spec(size="panel", width=300, height=150))
    shown = [a.name for a in image.axes]
    assert 1 <= len(shown) < 5
    assert any(
        t.startswith("no room for") or "no room for" in t
        for t in texts(QUARTIC, size="panel", width=300, height=150)
    )
    assert all(a.box[3] >= 20 * image.scale for a in image.axes)


@pytest.mark.parametrize("result", ALL.values(), ids=ALL.keys())
def test_render_is_deterministic(result: model.Result) -> None:
    for fmt in ("png", "svg"):
        a = render(result, spec(format=fmt, size="hover"))
        b = render(result, spec(format=fmt, size="hover"))
        assert a.data == b.data
        assert a.axes == b.axes


def test_hover_shows_f_and_f_prime_and_names_the_rest() -> None:
    shown = texts(QUARTIC, size="hover")
    assert "quartic(x)" in shown
    assert any("f″ to f⁽⁴⁾ in the panel" in t for t in shown)
    assert [a.name for a in render(QUARTIC, spec(size="hover")).axes] == ["f", "f′"]


def test_panel_legend_names_every_derivative() -> None:
    shown = texts(QUARTIC)
    for label in ["quartic(x)", "quartic′(x)", "quartic″(x)", "quartic‴(x)", "quartic⁽⁴⁾(x)"]:
        assert label in shown


def test_subtitle_names_fixed_values_and_approximation() -> None:
    result = curves([np.sin, np.cos], fixed={"y": 1.0, "mode": "fast"}, method="finite-difference")
    shown = "\n".join(texts(result))
    assert "y = 1, mode = fast" in shown
    assert "finite differences" in shown


@pytest.mark.parametrize("size", ["hover", "panel"])
def test_vector_with_8_outputs_shows_each_in_its_colour(size: str) -> None:
    shown = texts(WAVES, size=size)
    assert all(f"f[{i}]" in shown for i in range(8))
    image = render(WAVES, spec(size=size))
    assert [a.name for a in image.axes] == list(PRIMED[: 2 if size == "hover" else 3])
    palette = PALETTES["light"]
    row = crop(pixels(image), by_name(image)["f"], inset=3)
    for colour in palette.components:
        assert coverage(row, colour, palette.background).sum() > 50, colour


def test_surface_draws_the_partials_with_their_names() -> None:
    shown = texts(BOWL)
    assert "∂g/∂x" in shown and "∂g/∂y" in shown  # one-letter names are kept
    assert "g(x, y)" in shown


# --- real data at its edges -------------------------------------------------------------------


@pytest.mark.parametrize("size", ["hover", "panel"])
def test_all_none_renders_with_a_note(size: str) -> None:
    result = curves([lambda x: x * np.nan, lambda x: x * np.nan])
    assert all(v is None for v in result.f)
    assert "f has no finite values here" in texts(result, size=size)
    image = render(result, spec(size=size, theme="dark"))
    assert [a.name for a in image.axes] == ["f", "f′"]
    assert all(np.isfinite(a.ylim).all() for a in image.axes)


def test_all_none_surface_renders_with_a_note() -> None:
    nan = lambda x, y: x * np.nan  # noqa: E731
    result = surface(nan, nan, nan)
    shown = texts(result)
    assert "g has no finite values here" in shown
    assert "∂g/∂x has no finite values here" in shown
    pixels(render(result, spec()))


def test_constant_gets_a_band_around_its_value() -> None:
    image = render(curves([lambda x: 0 * x + 24, lambda x: 0 * x]), spec())
    f, d1 = by_name(image)["f"], by_name(image)["f′"]
    assert f.ylim[0] < 24 < f.ylim[1] and f.ylim[1] - f.ylim[0] <= 24
    assert d1.ylim[0] < 0 < d1.ylim[1]


def test_spikes_are_clipped_to_the_bulk() -> None:
    result = curves([np.tan, lambda x: 1 / np.cos(x) ** 2], domain=(-4.0, 4.0))
    image = render(result, spec(size="hover"))
    f, d1 = by_name(image)["f"], by_name(image)["f′"]
    assert f.ylim[1] - f.ylim[0] < 30  # tan reaches 1e2..1e15 near its poles
    assert "spikes clipped" in texts(result, size="hover")
    # Nothing of the curves is drawn outside their rows: above f, between f and f′.
    rgb_pixels, palette = pixels(image), PALETTES["light"]
    left, top, width, _ = f.box
    columns = slice(math.ceil(left), math.floor(left + width))
    above = rgb_pixels[: math.floor(top) - 1, columns]
    between = rgb_pixels[math.ceil(f.box[1] + f.box[3]) + 1 : math.floor(d1.box[1]) - 1, columns]
    for region in (above, between):
        assert coverage(region, palette.curves[0], palette.background).sum() == 0
        assert coverage(region, palette.curves[1], palette.background).sum() == 0


def test_steep_growth_is_not_clipped() -> None:
    image = render(curves([np.exp, np.exp], domain=(0.0, 20.0)), spec())
    assert by_name(image)["f"].ylim[1] >= math.exp(20)


@pytest.mark.parametrize(
    "values",
    [
        [1e300, -1e300, 5e299],
        [1.7e308, -1.7e308, 0.0],
        [24.0, 24.000000000000004, 23.999999999999996],
    ],
    ids=["huge", "max-float", "noisy-constant"],
)
@pytest.mark.parametrize("size", ["hover", "panel"])
def test_extreme_values_render(values: list[float], size: str) -> None:
    ys = (values * 60)[:60]
    result = model.CurvesResult(
        variables=("x",),
        fixed={},
        domain=(-1.0, 1.0),
        order=1,
        method="finite-difference",
        x=series(np.linspace(-1, 1, 60)),
        f=list(ys),
        derivatives={"1": ys[::-1]},
        critical_points=[],
    )
    image = render(result, spec(size=size))
    pixels(image)
    assert all(np.isfinite(a.ylim).all() and a.ylim[0] < a.ylim[1] for a in image.axes)


def test_none_gap_leaves_a_gap_in_the_curve() -> None:
    result = LINE
    f = list(result.f)
    f[150:200] = [None] * 50
    gap = (result.x[149], result.x[200])
    image = render(attrs.evolve(result, f=f), spec(scale=1))
    box = by_name(image)["f"]
    weight = coverage(
        crop(pixels(image), box, inset=2), PALETTES["light"].curves[0], PALETTES["light"].background
    )
    left, _, width, _ = box.box
    columns = np.arange(weight.shape[1]) + math.ceil(left + 2) + 0.5
    x = box.xlim[0] + (columns - left) / width * (box.xlim[1] - box.xlim[0])
    pad = 3 * (box.xlim[1] - box.xlim[0]) / width  # three pixels: the line's width and caps
    inside = (x > gap[0] + pad) & (x < gap[1] - pad)
    outside = (x < gap[0] - pad) | (x > gap[1] + pad)
    assert inside.sum() > 20
    assert weight[:, inside].sum() == 0
    assert (weight[:, outside].sum(axis=0) > 0).all()


def test_isolated_samples_show_as_dots() -> None:
    f = [None] * 401
    f[200] = 0.0
    result = attrs.evolve(LINE, f=f)
    fig = build_figure(result, spec()).figure
    dots = [
        line
        for line in fig.findobj(Line2D)  # type: ignore[attr-defined]
        if line.get_marker() == "o" and list(line.get_xdata()) == [LINE.x[200]]
    ]
    assert dots


@pytest.mark.parametrize(
    "domain", [(1.0, 1.0 + 1e-9), (-1e15, 1e15), (1e6, 1e6 + 1), (-1e-200, 1e-200), (-3.0, 3.0)]
)
@pytest.mark.parametrize("size", ["hover", "panel"])
def test_x_tick_labels_stay_distinct_and_apart(domain: tuple[float, float], size: str) -> None:
    result = curves([lambda x: x, lambda x: 1 + 0 * x], domain=domain)
    drawing = build_figure(result, spec(size=size))
    assert drawing.axes[0].xlim == (result.x[0], result.x[-1])
    # The x tick labels: the texts right under the last row (display px are image px here;
    # the variable's name and an offset sit further down).
    below = drawing.axes[-1].box[1] + drawing.axes[-1].box[3]
    fig = drawing.figure
    renderer = drawn(fig)
    under = [
        (t.get_text(), t.get_window_extent(renderer))
        for t in fig.findobj(Text)  # type: ignore[attr-defined]
        if t.get_text()
    ]
    under = [(s, b) for s, b in under if fig.bbox.height - b.y1 >= below]
    first = max(b.y1 for _, b in under)
    extents = {s: b for s, b in under if b.y1 == first}
    assert len(extents) >= 3, extents  # and distinct, being the keys
    assert all(len(label) <= 7 for label in extents), extents  # relative to an offset
    ordered = sorted(extents.values(), key=lambda b: b.x0)
    assert ordered[0].x0 >= 0 and ordered[-1].x1 <= fig.bbox.width
    for a, b in itertools.pairwise(ordered):
        assert a.x1 + 2 <= b.x0, extents


def test_two_samples_render() -> None:
    result = curves([lambda x: x, lambda x: 1 + 0 * x], samples=2, domain=(0.0, 1.0))
    image = render(result, spec(size="hover"))
    assert by_name(image)["f"].xlim == (0.0, 1.0)
    tiny = surface(lambda x, y: x + y, lambda x, y: 1 + 0 * x, lambda x, y: 1 + 0 * y, n=2)
    pixels(render(tiny, spec(size="panel")))


def test_surface_none_region_shows_the_background() -> None:
    def holey(fn: Fn2) -> Fn2:
        return lambda x, y: np.where((x < 0) & (y < 0), np.nan, fn(x, y))

    result = surface(
        holey(lambda x, y: x + y), holey(lambda x, y: 1 + 0 * x), holey(lambda x, y: 1 + 0 * y)
    )
    image = render(result, spec(scale=1))
    box = by_name(image)["f"]
    left, top, width, height = box.box
    rgb_pixels = pixels(image)
    hole = rgb_pixels[
        int(top + height * 0.7) : int(top + height * 0.9),
        int(left + width * 0.1) : int(left + width * 0.3),
    ]
    filled = rgb_pixels[
        int(top + height * 0.1) : int(top + height * 0.3),
        int(left + width * 0.7) : int(left + width * 0.9),
    ]
    assert (hole == 255).all()
    assert (filled != 255).any(axis=2).mean() > 0.9


def test_unknown_format_is_refused() -> None:
    with pytest.raises(ValueError, match="gif"):
        render(CUBIC, spec(format="gif"))


# --- kept figures (stages) and the text caches ---------------------------------------------
#
# A render on a stage (a figure kept from earlier renders, its artists updated) must give
# the bytes a new figure gives, and both the bytes matplotlib alone draws (no stage, no
# text caches: `stage.suspended`). Each check draws other shapes on the stage first, so
# the pools hold artists of every kind and the legend is relabelled.

_PREBUILT: dict[stage.StageKey, stage.Stage] = {}


@pytest.fixture
def staged() -> Iterator[dict[stage.StageKey, stage.Stage]]:
    """The stages `prebuild` makes (made once, installed for the test only), drawn with
    the fast text path (so that comparing them with matplotlib alone tests it)."""
    assert fastpath.status().on
    with stage.without_stages():
        if not _PREBUILT:
            _PREBUILT.update(plotting.prebuild())
        stage.stages().update(_PREBUILT)
        yield stage.stages()


def reference(result: model.Result, spec_: model.Render) -> RenderedImage:
    with stage.suspended():
        return render(result, spec_)


def _usual() -> dict[str, model.Result]:
    largest, smaller = stage.usual_shapes()
    return {
        "f, f′": curves([np.sin, np.cos], domain=(-2.0, 3.0), name="wave"),
        "f to f″": CUBIC,
        "f to f‴": curves(
            [lambda x: x**4, lambda x: 4 * x**3, lambda x: 12 * x**2, lambda x: 24 * x],
            domain=(-1.5, 2.5),
            name="g",
        ),
        "f to f⁽⁴⁾": QUARTIC,
        "2 outputs": vector(
            [(np.sin, np.cos, lambda t: -np.sin(t)), (np.cos, lambda t: -np.sin(t), np.cos)]
        ),
        "8 outputs": WAVES,
        "surface": BOWL,
        "busy surface": WAVE,
        "prebuilt f to f⁽⁴⁾": largest[0],
        "prebuilt 3 outputs": largest[1],
        "prebuilt, longer name": smaller[-2],
    }


USUAL = _usual()
#: Every look that has a stage, at the sizes and pixel ratios the editor asks for.
LOOKS = {
    "hover light": model.Render(size="hover"),
    "hover dark": model.Render(size="hover", theme="dark"),
    "panel 500×300@2": model.Render(size="panel", width=500, height=300, scale=2),
    "panel 500×300@1 dark": model.Render(
        size="panel", width=500, height=300, scale=1, theme="dark"
    ),
    "panel 731×402@1.5": model.Render(size="panel", width=731, height=402, scale=1.5),
    "panel 640×400@2 dark": model.Render(
        size="panel", width=640, height=400, scale=2, theme="dark"
    ),
}


@pytest.mark.parametrize("look", LOOKS.values(), ids=LOOKS.keys())
def test_a_kept_figure_draws_what_a_new_one_draws(
    staged: dict[stage.StageKey, stage.Stage], look: model.Render
) -> None:
    """Every usual shape, drawn one after the other on the look's stage (which holds what
    the shape before it left), gives the bytes matplotlib alone draws for it."""
    key = (look.theme, look.size, look.size == "hover")
    assert key in staged
    first = next(iter(USUAL.items()))
    for name, result in [*USUAL.items(), first]:
        kept = render(result, look)
        fresh = reference(result, look)
        assert kept.data == fresh.data, name
        assert kept.axes == fresh.axes, name
        assert (kept.width, kept.height, kept.scale) == (fresh.width, fresh.height, fresh.scale)
    assert staged[key].pool.reused > 0  # the last render did reuse artists


def test_the_text_caches_draw_what_matplotlib_draws() -> None:
    """A new figure on the caching canvas (no stage) gives matplotlib's own pixels."""
    assert fastpath.status().on
    for result in (CUBIC, FAR, WAVES, WAVE):
        for look in (model.Render(size="hover"), model.Render(size="panel", scale=1.25)):
            with stage.without_stages():
                drawing = build_figure(result, look)
                canvas = canvas_for(drawing.figure)
                canvas.draw()
                cached = np.asarray(canvas.buffer_rgba()).copy()
            with stage.suspended():
                drawing = build_figure(result, look)
                plain = FigureCanvasAgg(drawing.figure)
                plain.draw()
                assert np.array_equal(cached, np.asarray(plain.buffer_rgba()))


def test_a_kept_figure_follows_size_ratio_and_name(
    staged: dict[stage.StageKey, stage.Stage],
) -> None:
    """A panel resized, redrawn at another pixel ratio and for a function of another name
    (the legend is kept and relabelled) draws as a new figure would, each time."""
    sizes = [(500, 300, 2), (500, 300, 1), (820, 470, 2), (500, 300, 2), (480, 300, 1.25)]
    for (w, h, scale), name in zip(sizes, ["f", "sigmoid", "f", "a_longer_name", "g"], strict=True):
        result = attrs.evolve(QUARTIC, function=name)
        look = model.Render(size="panel", width=w, height=h, scale=scale)
        assert render(result, look).data == reference(result, look).data, (w, h, scale, name)


def test_looks_without_a_stage_get_a_figure_of_their_own(
    staged: dict[stage.StageKey, stage.Stage],
) -> None:
    kept = {key: s.figure for key, s in staged.items()}
    for look in (
        model.Render(size="panel", width=300, height=200),  # compact panel
        model.Render(format="svg", size="hover"),
    ):
        drawing = build_figure(CUBIC, look)
        assert drawing.figure not in kept.values()
    drawing = build_figure(CUBIC, model.Render(size="hover"))
    assert drawing.figure is kept[("light", "hover", True)]


def test_a_kept_figure_is_deterministic(staged: dict[stage.StageKey, stage.Stage]) -> None:
    for result in ALL.values():
        first = render(result, spec(size="hover"))
        render(WAVES, spec(size="hover"))
        assert render(result, spec(size="hover")).data == first.data


def test_a_forked_child_draws_what_its_parent_draws(
    staged: dict[stage.StageKey, stage.Stage],
) -> None:
    """After a fork (the sandbox's children) the kept figures and the fonts read from
    memory draw the same bytes, and two children at once do not disturb each other."""
    looks = [spec(size="hover"), spec(size="panel", width=500, height=300, scale=2)]
    results = [QUARTIC, BOWL, curves([np.tanh, lambda x: 1 - np.tanh(x) ** 2], name="act")]
    expected = [reference(r, look).data for r in results for look in looks]
    children = []
    for _ in range(2):
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child's own lines
            os.close(read)
            try:
                plotting.warm_child()
                datas = [render(r, look).data for r in results for look in looks]
                ok = datas == expected
                os.write(write, b"1" if ok else b"0")
            finally:
                os._exit(0)
        os.close(write)
        children.append((pid, read))
    for pid, read in children:
        with os.fdopen(read, "rb") as pipe:
            assert pipe.read() == b"1"
        os.waitpid(pid, 0)


def test_pools_stay_bounded(staged: dict[stage.StageKey, stage.Stage]) -> None:
    look = spec(size="panel", width=500, height=300)
    for k in range(12):
        name = "f" * (k + 1)  # legends of other widths, hence other columns
        render(attrs.evolve(QUARTIC, function=name), look)
    pool = staged[("light", "panel", False)].pool
    assert len(pool._free) <= stage._SIGNATURES
    assert all(len(v) <= stage._SPARE for v in pool._free.values())


# --- the PNG encoder --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "result", [CUBIC, WAVES, WAVE, BUSY], ids=["cubic", "waves", "wave", "busy"]
)
@pytest.mark.parametrize("theme", ["light", "dark"])
def test_png_keeps_the_background_exact_and_the_rest_close(
    result: model.Result, theme: str
) -> None:
    """The background is palette entry 0, exactly; the quantized ink stays within a few
    levels of the drawn pixels on average."""
    drawing = build_figure(result, spec(size="hover", theme=theme))
    canvas = canvas_for(drawing.figure)
    canvas.draw()
    drawn_ = np.asarray(canvas.buffer_rgba())[..., :3].astype(float)
    image = Image.open(io.BytesIO(render(result, spec(size="hover", theme=theme)).data))
    assert image.mode == "P"
    background = rgb(PALETTES[theme].background)
    assert list(image.getpalette()[:3]) == list(background)  # type: ignore[index]
    decoded = np.asarray(image.convert("RGB"), dtype=float)
    is_background = (drawn_ == background).all(axis=2)
    assert (decoded[is_background] == background).all()
    assert np.abs(decoded - drawn_).mean() < 1.0


def test_a_legend_drawn_for_a_name_before_draws_the_same_when_it_comes_back(
    staged: dict[stage.StageKey, stage.Stage],
) -> None:
    """A relabelled legend keeps the boxes it measured for the labels before (a session
    plots the same few functions): coming back to them draws what a new figure draws."""
    look = model.Render(size="panel", width=500, height=300, scale=1)
    for name in ["sigmoid", "g", "sigmoid", "g", "sigmoid"]:
        result = attrs.evolve(QUARTIC, function=name)
        assert render(result, look).data == reference(result, look).data, name
