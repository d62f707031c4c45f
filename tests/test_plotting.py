"""Result dicts (SPEC §5) rendered to images: sizes, themes, robustness, determinism."""

from __future__ import annotations

import io
import math
import xml.etree.ElementTree as ET
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from matplotlib.text import Text
from PIL import Image

from derivlens.plotting import RenderedImage, build_figure, render

HOVER_PNG = (720, 400)
PANEL_PNG = (2000, 1200)
HOVER_LIMIT = 70 * 1024


def _json(values: Any) -> list[float | None]:
    return [float(v) if math.isfinite(v) else None for v in np.asarray(values, dtype=float)]


def _critical(x: np.ndarray, d1: np.ndarray) -> list[float]:
    s = np.sign(d1)
    idx = np.flatnonzero(s[:-1] * s[1:] < 0)
    return [float(x[i] - d1[i] * (x[i + 1] - x[i]) / (d1[i + 1] - d1[i])) for i in idx]


def one_var(
    funcs: list[Callable[[np.ndarray], np.ndarray]],
    *,
    name: str = "f",
    domain: tuple[float, float] = (-5.0, 5.0),
    samples: int = 401,
    fixed: dict[str, float] | None = None,
) -> dict[str, Any]:
    """A result like the engine's: f and its analytic derivatives on a grid."""
    x = np.linspace(*domain, samples)
    with np.errstate(all="ignore"):
        values = [np.asarray(fn(x), dtype=float) * np.ones_like(x) for fn in funcs]
    return {
        "function": name,
        "variables": ["x"],
        "fixed": fixed or {},
        "domain": list(domain),
        "order": len(funcs) - 1,
        "method": "autograd",
        "x": _json(x),
        "f": _json(values[0]),
        "derivatives": {str(k): _json(values[k]) for k in range(1, len(funcs))},
        "critical_points": _critical(x, values[1]) if len(values) > 1 else [],
        "warnings": [],
    }


def two_var(
    f: Callable[[np.ndarray, np.ndarray], np.ndarray],
    fx: Callable[[np.ndarray, np.ndarray], np.ndarray],
    fy: Callable[[np.ndarray, np.ndarray], np.ndarray],
    *,
    n: int = 61,
    critical: list[list[float]] | None = None,
) -> dict[str, Any]:
    x = np.linspace(-5, 5, n)
    y = np.linspace(-5, 5, n)
    gx, gy = np.meshgrid(x, y)
    with np.errstate(all="ignore"):
        return {
            "function": "g",
            "variables": ["x", "y"],
            "fixed": {},
            "domain": [-5.0, 5.0],
            "ydomain": [-5.0, 5.0],
            "order": 1,
            "method": "autograd",
            "x": _json(x),
            "y": _json(y),
            "f": [_json(r) for r in f(gx, gy)],
            "gradient": {"x": [_json(r) for r in fx(gx, gy)], "y": [_json(r) for r in fy(gx, gy)]},
            "critical_points": critical or [],
            "warnings": [],
        }


CUBIC = one_var(
    [lambda x: x**3 - 2 * x**2 + x - 1, lambda x: 3 * x**2 - 4 * x + 1, lambda x: 6 * x - 4],
    domain=(-1.0, 2.5),
    fixed={"y": 1.0},
)
QUARTIC = one_var(
    [lambda x: x**4, lambda x: 4 * x**3, lambda x: 12 * x**2, lambda x: 24 * x, lambda x: 24.0],
    name="quartic",
)
BUSY = one_var(
    [lambda x: np.sin(20 * x), lambda x: 20 * np.cos(20 * x), lambda x: -400 * np.sin(20 * x)]
)
BOWL = two_var(lambda x, y: x**2 + y**2, lambda x, y: 2 * x, lambda x, y: 2 * y, critical=[[0, 0]])
WAVE = two_var(
    lambda x, y: np.sin(3 * x) * np.cos(3 * y),
    lambda x, y: 3 * np.cos(3 * x) * np.cos(3 * y),
    lambda x, y: -3 * np.sin(3 * x) * np.sin(3 * y),
)


def _png(image: RenderedImage) -> Image.Image:
    assert image.format == "png"
    png = Image.open(io.BytesIO(image.data))
    png.load()
    assert png.format == "PNG"
    assert png.size == (image.width, image.height)
    return png


def _luminance(rgb: tuple[int, ...]) -> float:
    r, g, b = (c / 255 for c in rgb[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def _texts(result: dict[str, Any], size: str = "panel") -> str:
    fig = build_figure(result, size=size)  # type: ignore[arg-type]
    return "\n".join(t.get_text() for t in fig.findobj(Text))  # type: ignore[attr-defined]


@pytest.mark.parametrize("result", [CUBIC, QUARTIC, BOWL], ids=["cubic", "quartic", "bowl"])
@pytest.mark.parametrize(("size", "pixels"), [("hover", HOVER_PNG), ("panel", PANEL_PNG)])
def test_png_has_exact_pixel_size_at_scale_2(
    result: dict[str, Any], size: str, pixels: tuple[int, int]
) -> None:
    image = render(result, fmt="png", size=size)  # type: ignore[arg-type]
    assert (image.width, image.height) == pixels
    assert image.scale == 2
    assert _png(image).size == pixels


@pytest.mark.parametrize("result", [BUSY, WAVE, BOWL, QUARTIC], ids=["busy", "wave", "bowl", "q"])
@pytest.mark.parametrize("theme", ["light", "dark"])
def test_hover_png_stays_small(result: dict[str, Any], theme: str) -> None:
    image = render(result, fmt="png", size="hover", theme=theme)  # type: ignore[arg-type]
    assert len(image.data) < HOVER_LIMIT


@pytest.mark.parametrize(
    ("size", "css"), [("hover", (360, 200)), ("panel", (1000, 600))], ids=["hover", "panel"]
)
@pytest.mark.parametrize("result", [CUBIC, BOWL], ids=["cubic", "bowl"])
def test_svg_parses_with_px_size(result: dict[str, Any], size: str, css: tuple[int, int]) -> None:
    image = render(result, fmt="svg", size=size)  # type: ignore[arg-type]
    assert image.format == "svg"
    assert image.scale == 1
    assert (image.width, image.height) == css
    root = ET.fromstring(image.data)
    assert root.tag.endswith("svg")
    assert root.get("width") == f"{css[0]}px"
    assert root.get("height") == f"{css[1]}px"
    assert root.get("viewBox")
    assert len(image.data) < 600 * 1024


@pytest.mark.parametrize("result", [CUBIC, BOWL], ids=["cubic", "bowl"])
@pytest.mark.parametrize("size", ["hover", "panel"])
def test_themes_set_the_background(result: dict[str, Any], size: str) -> None:
    dark = _png(render(result, theme="dark", size=size)).convert("RGB")  # type: ignore[arg-type]
    light = _png(render(result, theme="light", size=size)).convert("RGB")  # type: ignore[arg-type]
    for corner in [(0, 0), (dark.width - 1, dark.height - 1), (0, dark.height - 1)]:
        assert _luminance(dark.getpixel(corner)) < 0.2  # type: ignore[arg-type]
        assert _luminance(light.getpixel(corner)) > 0.9  # type: ignore[arg-type]


def test_none_gaps_render() -> None:
    result = one_var([lambda x: 1 / x, lambda x: -1 / x**2], name="inv", samples=401)
    assert None in result["f"]  # x = 0 is a sample
    result["f"][100:120] = [None] * 20
    for size in ("hover", "panel"):
        _png(render(result, size=size))  # type: ignore[arg-type]


def test_all_none_renders_with_a_note() -> None:
    result = one_var([lambda x: x * np.nan, lambda x: x * np.nan])
    assert all(v is None for v in result["f"])
    for size in ("hover", "panel"):
        _png(render(result, size=size, theme="dark"))  # type: ignore[arg-type]
        assert "no finite values" in _texts(result, size)


def test_all_none_surface_renders_with_a_note() -> None:
    nan = lambda x, y: x * np.nan  # noqa: E731
    result = two_var(nan, nan, nan)
    _png(render(result, size="panel"))
    assert "no finite values" in _texts(result)


def test_order_4_draws_five_curves_with_legend_labels() -> None:
    fig = build_figure(QUARTIC, size="panel")
    curves = [
        line
        for line in fig.findobj(lambda a: type(a).__name__ == "Line2D")
        if str(line.get_label()).startswith("quartic")  # type: ignore[attr-defined]
    ]
    labels = [str(c.get_label()) for c in curves]  # type: ignore[attr-defined]
    for label in ["quartic(x)", "quartic′(x)", "quartic″(x)", "quartic‴(x)", "quartic⁽⁴⁾(x)"]:
        assert label in labels
    _png(render(QUARTIC, size="panel"))


def test_hover_shows_f_and_first_derivative_and_names_the_rest() -> None:
    text = _texts(QUARTIC, "hover")
    assert "quartic(x)" in text
    assert "in the panel" in text


def test_fixed_values_in_the_title() -> None:
    assert "y = 1" in _texts(CUBIC)


def test_two_variables_render_contours_arrows_and_partials() -> None:
    fig = build_figure(BOWL, size="panel")
    kinds = {type(a).__name__ for a in fig.findobj()}
    assert "Quiver" in kinds
    text = _texts(BOWL)
    assert "∂g/∂x" in text  # one-letter names are kept
    assert "∂g/∂y" in text
    _png(render(WAVE, size="hover", theme="dark"))


def test_render_is_deterministic() -> None:
    for result in (CUBIC, BOWL):
        for fmt in ("png", "svg"):
            a = render(result, fmt=fmt, size="hover")  # type: ignore[arg-type]
            b = render(result, fmt=fmt, size="hover")  # type: ignore[arg-type]
            assert a.data == b.data


@pytest.mark.parametrize(
    "values",
    [
        [1e300, -1e300, 5e299],
        [1.7e308, -1.7e308, 0.0],
        [24.0, 24.000000000000004, 23.999999999999996],
        [0.0, 0.0, 0.0],
        [1e-300, 2e-300, 3e-300],
    ],
    ids=["huge", "max-float", "noisy-constant", "zero", "tiny"],
)
def test_extreme_values_render(values: list[float]) -> None:
    n = 60
    ys = (values * n)[:n]
    result = {
        "function": "f",
        "variables": ["x"],
        "fixed": {},
        "domain": [-1.0, 1.0],
        "order": 1,
        "method": "finite-difference",
        "x": list(np.linspace(-1, 1, n)),
        "f": ys,
        "derivatives": {"1": ys[::-1]},
        "critical_points": [],
        "warnings": [],
    }
    for size in ("hover", "panel"):
        _png(render(result, size=size))  # type: ignore[arg-type]


@pytest.mark.parametrize("n", [0, 1, 2])
def test_tiny_inputs_render(n: int) -> None:
    xs = list(np.linspace(0, 1, n))
    result = {
        "function": "f",
        "variables": ["x"],
        "x": xs,
        "f": [1.0] * n,
        "derivatives": {"1": [None] * n},
        "critical_points": [],
    }
    _png(render(result, size="hover"))
    _png(render(result, size="panel", theme="dark"))
    surface = {"function": "g", "variables": ["x", "y"], "x": xs, "y": xs, "f": [[1.0] * n] * n}
    _png(render(surface, size="panel"))


def test_ragged_surface_rows_render() -> None:
    result = dict(BOWL)
    result["f"] = [row[:30] for row in BOWL["f"][:40]]
    result["gradient"] = {"x": None, "y": []}
    _png(render(result, size="panel"))


def test_rejects_unknown_options() -> None:
    with pytest.raises(ValueError):
        render(CUBIC, fmt="gif")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        render(CUBIC, theme="solarized")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        render(CUBIC, size="huge")  # type: ignore[arg-type]
