"""Turn an evaluation result into a PNG or SVG image, and say where its plots are.

Pure: no LSP, no subprocess, no torch. Only matplotlib's object API is used (figures
and explicit canvases, never pyplot), every artist is styled explicitly, and no global
rcParams are changed outside the SVG encoder's short `rc_context`, so many renders can
run in one warm process. The output is deterministic: the same result and `Render` give
the same bytes, on a new figure or on a kept one.

- `curves`: one variable, f and its derivatives in rows sharing x (`vector`: several
  outputs per row);
- `surface`: two variables, contours, gradient arrows and the partials;
- `draw`, `scales`, `style`: the boxes, numbers and look they share; `encode`: bytes;
- `stage`: figures kept between renders (made by `prebuild`, in the sandbox's worker,
  from `usual` shapes), their texts and curves updated rather than rebuilt;
- `canvas`: the Agg canvas, with text measurements, layouts, glyphs and fonts remembered
  (in `textcache`'s tables): the only module that uses matplotlib's private names, and
  only while `fastpath` has it on (a tested release whose reference figure it draws
  exactly as plain Agg does).

Speed matters (a hover is drawn on every uncached hover): nothing is drawn with Axes,
whose tick machinery costs several ms each (see `draw`); text is most of what is left,
hence `canvas`'s caches. `bench/bench_render.py` measures it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from matplotlib.figure import Figure

from derivlens import image_size, model
from derivlens.image_size import DEFAULT_SIZE
from derivlens.plotting import encode, fastpath, stage
from derivlens.plotting.curves import draw_curves
from derivlens.plotting.draw import Page
from derivlens.plotting.style import PALETTES, PX_PER_INCH, SVG_RASTER_DPI, style_for
from derivlens.plotting.surface import draw_surface
from derivlens.plotting.vector import draw_vector

__all__ = [
    "Drawing",
    "RenderedImage",
    "build_figure",
    "prebuild",
    "prebuild_steps",
    "render",
    "warm_child",
]

prebuild = stage.prebuild
prebuild_steps = stage.prebuild_steps
warm_child = stage.warm_child


@dataclass(frozen=True)
class RenderedImage:
    """Image bytes, their size in pixels, and where each plot area is in them.

    `scale` is the device-pixel ratio the PNG was drawn at (its CSS size is
    width/scale × height/scale); an SVG has scale 1 and its size in px.

    `axes` has one entry per plot area, top to bottom: named f, f′, … f⁽⁴⁾ for curve
    rows (whatever the function is called), f, ∂f/∂x, ∂f/∂y for a surface. Its box is
    (left, top, width, height) in image pixels from the top-left corner, and xlim/ylim
    are the data limits exactly as drawn: x = xlim[0] + (px - left) / width · (xlim[1] -
    xlim[0]), and y likewise from ylim[1] at the top down to ylim[0].
    """

    format: model.ImageFormat
    data: bytes
    width: int
    height: int
    scale: float
    axes: tuple[model.AxesBox, ...]


@dataclass(frozen=True)
class Drawing:
    """A figure ready to encode: its size in image pixels and its plot areas."""

    figure: Figure
    width: int
    height: int
    scale: float
    axes: tuple[model.AxesBox, ...]


def render(result: model.Result, spec: model.Render) -> RenderedImage:
    """Draw `result` as `spec` asks.

    A PNG is round(width·scale) × round(height·scale) pixels, an SVG width × height px;
    width and height are CSS px (default: the layout's own size), clamped to sane bounds,
    and a PNG of more than 16 million pixels is drawn at a lower scale.
    """
    d = build_figure(result, spec)
    data = encode.png(d.figure) if spec.format == "png" else encode.svg(d.figure, d.width, d.height)
    return RenderedImage(spec.format, data, d.width, d.height, d.scale, d.axes)


def build_figure(result: model.Result, spec: model.Render) -> Drawing:
    """The figure `render` encodes (for tests), with its plot areas.

    A PNG whose look has a stage (see `stage`) is drawn on the stage's figure, which the
    next render of that look changes; any other gets a figure of its own.
    """
    _check(spec)
    fastpath.ensure_decided()
    width, height, scale = image_size.pixels(spec)
    palette = PALETTES[spec.theme]
    style = style_for(spec.size, width / scale, height / scale)
    inches = (_inches(width, scale), _inches(height, scale))
    # The SVG encoder draws at 72 dpi; this dpi only sets its raster parts' resolution.
    dpi = PX_PER_INCH * scale if spec.format == "png" else SVG_RASTER_DPI
    kept = stage.stage_for((spec.theme, spec.size, style.compact)) if spec.format == "png" else None
    if kept is not None:
        kept.fit(inches, dpi)
        fig, pool = kept.figure, kept.pool
    else:
        fig = Figure(
            figsize=inches, dpi=dpi, facecolor=palette.background, edgecolor=palette.background
        )
        pool = stage.Pool(fig)
    pool.begin()
    page = Page(
        fig=fig,
        width=width / scale,
        height=height / scale,
        scale=scale,
        palette=palette,
        style=style,
        hover=spec.size == "hover",
        rasterize=spec.format == "svg",
        pool=pool,
    )
    if isinstance(result, model.SurfaceResult):
        axes = draw_surface(page, result)
    elif isinstance(result, model.VectorCurvesResult):
        axes = draw_vector(page, result)
    else:
        axes = draw_curves(page, result)
    page.finish()
    pool.end()
    return Drawing(fig, width, height, scale, axes)


def _check(spec: model.Render) -> None:
    """Refuse what no layout or encoder knows (a caller's bug, not a user's input)."""
    if (
        spec.format not in ("png", "svg")
        or spec.theme not in PALETTES
        or spec.size not in DEFAULT_SIZE
    ):
        raise ValueError(
            f"cannot render format={spec.format!r} theme={spec.theme!r} size={spec.size!r}"
        )


def _inches(pixels: int, scale: float) -> float:
    """Figure inches that make exactly `pixels` pixels at scale (Agg truncates the product)."""
    dpi = PX_PER_INCH * scale
    inches = pixels / dpi
    while inches * dpi < pixels:
        inches = math.nextafter(inches, math.inf)
    return inches
