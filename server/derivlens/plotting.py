"""Turn an evaluation result (SPEC §5) into a PNG or SVG image.

Pure: no LSP, no subprocess, no torch. Only matplotlib's object API is used (a
`Figure` per render and an explicit canvas, never pyplot), every artist is styled
explicitly, and no global rcParams are changed, so renders are thread- and
fork-safe and many can run in one warm process.

Speed: the layout is fixed (margins in inches, no `tight_layout`), and tick labels
and grid lines are drawn directly instead of through matplotlib's `Tick` objects,
which cost about 1 ms each to create; a hover renders in about 25 ms. The output
is deterministic: the same result gives the same bytes.

One variable: f and each derivative in stacked rows sharing the x axis (the panel),
or f and f′ only (the hover, with a note naming the rest). Each row has its own
y scale, so f⁽⁴⁾ = 24 stays readable next to an f that reaches 625; spikes inside
the domain (poles) are clipped to the bulk of the values.
Two variables: filled contours of f with the gradient field as arrows, plus the
partials ∂f/∂x and ∂f/∂y as two smaller panels (panel size only).
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from matplotlib import colormaps
from matplotlib import rc_context as _rc_context
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.backends.backend_svg import FigureCanvasSVG
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.text import Annotation, Text
from matplotlib.ticker import MaxNLocator, NullLocator
from matplotlib.transforms import Bbox, BboxTransform, Transform, TransformedBbox, offset_copy
from numpy.typing import NDArray

ImageFormat = Literal["png", "svg"]
Theme = Literal["light", "dark"]
Size = Literal["hover", "panel"]

FloatArray = NDArray[np.float64]

__all__ = ["ImageFormat", "RenderedImage", "Size", "Theme", "build_figure", "render"]


@dataclass(frozen=True)
class RenderedImage:
    format: ImageFormat
    data: bytes
    width: int  # pixel width of the image data (PNG: IHDR width; SVG: its width in px)
    height: int
    scale: (
        int  # device-pixel ratio it was drawn at (hover/panel PNG: 2), display size = width/scale
    )


# --------------------------------------------------------------------------- constants

#: Display size in CSS pixels; one inch of figure is 100 CSS px (1 pt = 100/72 px).
_CSS_SIZE: dict[str, tuple[int, int]] = {"hover": (360, 200), "panel": (1000, 600)}
_PX_PER_INCH = 100
_PNG_SCALE = 2
_SVG_RASTER_DPI = 150  # resolution of the rasterized contour fills inside an SVG
_PNG_COMPRESS_LEVEL = 3  # on the palette image: 2.5 ms, within 15 % of level 9
#: Values beyond this are clipped before plotting, so that axis arithmetic
#: (spans, margins, tick steps) cannot overflow to inf.
_HUGE = 1e300
_PRIMES = ["", "′", "″", "‴", "⁽⁴⁾"]
_STEPS = [1, 2, 2.5, 5, 10]


@dataclass(frozen=True)
class _Palette:
    background: str
    foreground: str
    muted: str  # secondary text: subtitles, notes
    grid: str
    spine: str
    zero: str  # the y = 0 line in derivative rows, guides at critical points
    curves: tuple[str, ...]  # f, f′, f″, f‴, f⁽⁴⁾
    surface_cmap: str
    diverging_cmap: str
    arrow: str
    arrow_edge: str


_PALETTES: dict[str, _Palette] = {
    # VS Code "Light Modern"
    "light": _Palette(
        background="#ffffff",
        foreground="#3b3b3b",
        muted="#767676",
        grid="#e8e8e8",
        spine="#c4c4c4",
        zero="#a8a8a8",
        curves=("#005fb8", "#d35f00", "#2b8a3e", "#8a3ffc", "#c62828"),
        surface_cmap="viridis",
        diverging_cmap="RdBu_r",
        arrow="#ffffff",
        arrow_edge="#1f1f1f",
    ),
    # VS Code "Dark Modern"
    "dark": _Palette(
        background="#1f1f1f",
        foreground="#cccccc",
        muted="#9d9d9d",
        grid="#3c3c3c",
        spine="#5a5a5a",
        zero="#767676",
        curves=("#4daafc", "#ff9e4a", "#5fd17a", "#c08cff", "#ff6b6b"),
        surface_cmap="viridis",
        diverging_cmap="berlin",
        arrow="#ffffff",
        arrow_edge="#1f1f1f",
    ),
}


@dataclass(frozen=True)
class _Style:
    """Font sizes and offsets in points, margins in inches."""

    title: float
    text: float
    tick: float
    legend: float
    line: float
    pad: float  # between an axis and its tick labels
    top: float
    bottom: float
    left: float
    right: float
    row_gap: float
    label_x: float  # centre of the row labels, from the figure's left edge
    x_ticks: int
    y_ticks: int


_STYLES: dict[str, _Style] = {
    "hover": _Style(
        title=8.0,
        text=7.0,
        tick=6.5,
        legend=7.0,
        line=1.3,
        pad=2.5,
        top=0.27,
        bottom=0.3,
        left=0.55,
        right=0.12,
        row_gap=0.08,
        label_x=0.1,
        x_ticks=6,
        y_ticks=3,
    ),
    "panel": _Style(
        title=11.0,
        text=9.0,
        tick=8.5,
        legend=9.5,
        line=1.6,
        pad=3.5,
        top=0.62,
        bottom=0.5,
        left=0.92,
        right=0.25,
        row_gap=0.14,
        label_x=0.22,
        x_ticks=10,
        y_ticks=4,
    ),
}


# --------------------------------------------------------------------------- public API


def render(
    result: dict[str, Any],
    *,
    fmt: ImageFormat = "png",
    theme: Theme = "light",
    size: Size = "panel",
) -> RenderedImage:
    """Draw `result` (a SPEC §5 result dict) as a PNG or SVG image.

    PNGs are drawn at twice the display size (hover 720×400, panel 2000×1200 px,
    `scale` 2); SVGs carry their display size in px (hover 360×200, panel 1000×600,
    `scale` 1).
    """
    if fmt not in ("png", "svg"):
        raise ValueError(f"unknown image format {fmt!r} (expected 'png' or 'svg')")
    if theme not in _PALETTES:
        raise ValueError(f"unknown theme {theme!r} (expected 'light' or 'dark')")
    if size not in _CSS_SIZE:
        raise ValueError(f"unknown size {size!r} (expected 'hover' or 'panel')")
    if fmt == "png":
        fig = build_figure(result, theme=theme, size=size, dpi=_PX_PER_INCH * _PNG_SCALE)
        return _to_png(fig)
    fig = build_figure(result, theme=theme, size=size, dpi=_SVG_RASTER_DPI, rasterize=True)
    return _to_svg(fig, *_CSS_SIZE[size])


def build_figure(
    result: dict[str, Any],
    *,
    theme: Theme = "light",
    size: Size = "panel",
    dpi: float = _PX_PER_INCH * _PNG_SCALE,
    rasterize: bool = False,
) -> Figure:
    """The matplotlib `Figure` that `render` draws (for tests and embedding).

    `rasterize` draws the contour fills as images (used for SVG, where thousands
    of contour polygons would make the file large).
    """
    palette = _PALETTES[theme]
    style = _STYLES[size]
    css_w, css_h = _CSS_SIZE[size]
    fig = Figure(
        figsize=(css_w / _PX_PER_INCH, css_h / _PX_PER_INCH),
        dpi=dpi,
        facecolor=palette.background,
        edgecolor=palette.background,
    )
    variables = result.get("variables") or ["x"]
    if isinstance(variables, (list, tuple)) and len(variables) >= 2:
        _draw_surface(fig, result, palette, style, size, rasterize)
    else:
        _draw_curves(fig, result, palette, style, size)
    return fig


# --------------------------------------------------------------------------- encoding


def _to_png(fig: Figure) -> RenderedImage:
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    rgba = np.asarray(canvas.buffer_rgba())
    height, width = rgba.shape[:2]
    # Imported here: pillow comes with matplotlib, and only PNG output needs it.
    from PIL import Image

    image = Image.fromarray(np.ascontiguousarray(rgba[:, :, :3]))
    # A 256-colour palette (no dithering) looks the same for these flat-coloured
    # plots, at a third of the bytes, and quantizing costs less than it saves in zlib.
    image = image.quantize(256, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE)
    out = io.BytesIO()
    # No text chunks at all (no "Software", no date): the bytes are reproducible.
    image.save(out, format="PNG", compress_level=_PNG_COMPRESS_LEVEL)
    return RenderedImage("png", out.getvalue(), width, height, _PNG_SCALE)


_SVG_ROOT_SIZE = re.compile(rb'(<svg\b[^>]*?)\swidth="[^"]*"\s+height="[^"]*"', re.S)


def _to_svg(fig: Figure, css_w: int, css_h: int) -> RenderedImage:
    canvas = FigureCanvasSVG(fig)
    out = io.BytesIO()
    # A fixed hash salt makes the element ids (and so the bytes) reproducible; it is
    # in effect only for the duration of this call.
    with _rc_context({"svg.hashsalt": "derivlens", "svg.fonttype": "path"}):
        canvas.print_svg(out, metadata={"Date": None, "Creator": None})
    data = _SVG_ROOT_SIZE.sub(
        lambda m: m.group(1) + f' width="{css_w}px" height="{css_h}px"'.encode(),
        out.getvalue(),
        count=1,
    )
    return RenderedImage("svg", data, css_w, css_h, 1)


# --------------------------------------------------------------------------- data helpers


def _array(values: Any) -> FloatArray:
    """A 1-D float array with NaN for None, non-numbers and non-finite values."""
    if values is None:
        return np.empty(0)
    if isinstance(values, np.ndarray):
        arr = values.astype(np.float64, copy=True).ravel()
    else:
        try:
            arr = np.array([np.nan if v is None else v for v in values], dtype=np.float64).ravel()
        except (TypeError, ValueError):
            arr = np.array([_to_float(v) for v in values], dtype=np.float64)
    arr[~np.isfinite(arr)] = np.nan
    np.clip(arr, -_HUGE, _HUGE, out=arr)
    return arr


def _to_float(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


def _grid(rows: Any, ny: int, nx: int) -> FloatArray:
    """A (ny, nx) array from a list of rows; missing or ragged entries become NaN."""
    out = np.full((ny, nx), np.nan)
    if rows is None:
        return out
    for i, row in enumerate(list(rows)[:ny]):
        if row is None:
            continue
        values = _array(row if isinstance(row, (list, tuple, np.ndarray)) else [row])
        k = min(nx, values.size)
        out[i, :k] = values[:k]
    return out


def _fit(values: FloatArray, n: int) -> FloatArray:
    """`values` cut or NaN-padded to length `n`."""
    if values.size >= n:
        return values[:n]
    return np.concatenate([values, np.full(n - values.size, np.nan)])


def _limits(
    values: FloatArray, *, curve: bool = True, margin: float = 0.06
) -> tuple[float, float, bool] | None:
    """Axis limits (lo, hi, clipped) for the finite `values`, or None if there are none.

    A constant series (up to rounding noise) gets a band around its value. When a few
    outliers stretch the range far beyond the bulk of the data, the limits follow the
    bulk instead and `clipped` is True. For a curve (`values` in x order) the bulk is
    the 5th to 95th percentile, and only spikes inside the domain (poles, as in tan x
    or 1/x) are clipped, never a run at either end (steep growth, as in exp x, stays
    whole). For a surface the bulk is the 1st to 99th percentile.
    """
    finite_mask = np.isfinite(values)
    finite = values[finite_mask]
    if finite.size == 0:
        return None
    lo, hi = float(finite.min()), float(finite.max())
    clipped = False
    if finite.size >= 20:
        q_lo, q_hi = (
            float(q) for q in np.percentile(finite, [5.0, 95.0] if curve else [1.0, 99.0])
        )
        bulk = q_hi - q_lo
        if bulk > 0 and (hi - lo) > 8.0 * bulk:
            c_lo, c_hi = max(lo, q_lo - 0.3 * bulk), min(hi, q_hi + 0.3 * bulk)
            if not curve or _interior_outliers(values, finite_mask, c_lo, c_hi):
                lo, hi, clipped = c_lo, c_hi, True
    span = hi - lo
    magnitude = max(abs(lo), abs(hi))
    if span <= 1e-9 * magnitude or span == 0.0:
        centre = (lo + hi) / 2
        pad = 0.5 * abs(centre) if centre != 0.0 else 1.0
        return centre - pad, centre + pad, False
    pad = margin * span
    return lo - pad, hi + pad, clipped


def _interior_outliers(values: FloatArray, finite: NDArray[np.bool_], lo: float, hi: float) -> bool:
    """Whether some finite value outside [lo, hi] is not in a run touching either end."""
    outside = finite & ((values < lo) | (values > hi))
    idx = np.flatnonzero(outside)
    if idx.size == 0:
        return False
    inside = np.flatnonzero(finite & ~outside)
    if inside.size == 0:
        return False
    # Outliers strictly between the first and last in-range points are interior.
    return bool(((idx > inside[0]) & (idx < inside[-1])).any())


def _fmt_number(value: float) -> str:
    """Compact tick/colorbar label: 0.25, 1200, 1.5e6, −3e−7 (with real minus signs)."""
    if value == 0.0 or not math.isfinite(value):
        return "0" if value == 0.0 else str(value)
    magnitude = abs(value)
    if 1e-4 <= magnitude < 1e6:
        text = f"{value:.6g}"
    else:
        text = f"{value:.3g}"
        text = text.replace("e+0", "e").replace("e+", "e").replace("e-0", "e-")
    return text.replace("-", "−")


def _fmt_value(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, int):
        return str(value)
    return _fmt_number(float(value)) if math.isfinite(value) else str(value)


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _subtitle(result: dict[str, Any], extra: Iterable[str] = ()) -> str:
    parts = []
    fixed = result.get("fixed") or {}
    if isinstance(fixed, dict) and fixed:
        parts.append(", ".join(f"{k} = {_fmt_value(v)}" for k, v in fixed.items()))
    if result.get("method") == "finite-difference":
        parts.append("finite differences")
    parts.extend(extra)
    return "  ·  ".join(parts)


def _curve_label(name: str, order: int, var: str) -> str:
    return f"{name}{_PRIMES[order]}({var})"


def _short(name: str) -> str:
    """The function's name for compact labels (f′, ∂f/∂x): itself if one letter, else f."""
    return name if len(name) <= 1 else "f"


# --------------------------------------------------------------------------- drawing helpers


def _rect(
    fig: Figure, left: float, bottom: float, width: float, height: float
) -> tuple[float, float, float, float]:
    """An axes rectangle in figure fractions from inches."""
    fw, fh = fig.get_size_inches()
    return (left / fw, bottom / fh, max(width, 0.01) / fw, max(height, 0.01) / fh)


def _plain_axes(fig: Figure, rect: tuple[float, float, float, float], palette: _Palette) -> Axes:
    """Axes with left and bottom spines and no matplotlib ticks (see `_ticks`)."""
    ax = fig.add_axes(rect)
    ax.set_facecolor(palette.background)
    ax.spines["top"].set_visible(False)
    ax.spines["right"].set_visible(False)
    for side in ("left", "bottom"):
        ax.spines[side].set_color(palette.spine)
        ax.spines[side].set_linewidth(0.8)
    ax.xaxis.set_major_locator(NullLocator())
    ax.yaxis.set_major_locator(NullLocator())
    return ax


def _tick_values(lo: float, hi: float, nbins: int) -> FloatArray:
    locator = MaxNLocator(nbins=nbins, steps=_STEPS, min_n_ticks=2)
    values = np.asarray(locator.tick_values(lo, hi), dtype=np.float64)
    tol = 1e-9 * (hi - lo)
    values = values[(values >= lo - tol) & (values <= hi + tol)]
    # Snap rounding noise (1e-17 for 0) so that labels read "0".
    values[np.abs(values) < 1e-12 * max(abs(lo), abs(hi))] = 0.0
    return values


def _text(
    owner: Axes | Figure,
    x: float,
    y: float,
    text: str,
    transform: Transform,
    *,
    color: str,
    size: float,
    ha: str = "left",
    va: str = "baseline",
    weight: str = "normal",
) -> Text:
    return owner.text(
        x,
        y,
        text,
        transform=transform,
        color=color,
        fontsize=size,
        ha=ha,
        va=va,
        fontweight=weight,
        clip_on=False,
    )


def _ticks(
    ax: Axes,
    axis: Literal["x", "y"],
    lo: float,
    hi: float,
    nbins: int,
    palette: _Palette,
    style: _Style,
    *,
    labels: bool = True,
    grid: bool = True,
) -> list[str]:
    """Grid lines and tick labels, drawn as plain artists; returns the labels."""
    values = _tick_values(lo, hi, nbins)
    texts = [_fmt_number(float(v)) for v in values]
    fig = ax.get_figure()
    assert isinstance(fig, Figure)
    along_x = axis == "x"
    trans = ax.get_xaxis_transform() if along_x else ax.get_yaxis_transform()
    if grid:
        lines = ax.vlines if along_x else ax.hlines
        lines(values, 0, 1, transform=trans, colors=palette.grid, linewidths=0.7, zorder=0.5)
    if labels:
        # x labels sit below the axis, y labels left of it, `style.pad` points away.
        pad = -style.pad
        shifted = offset_copy(
            trans, fig=fig, x=0 if along_x else pad, y=pad if along_x else 0, units="points"
        )
        ha, va = ("center", "top") if along_x else ("right", "center_baseline")
        for v, t in zip(values, texts, strict=True):
            x, y = (float(v), 0.0) if along_x else (0.0, float(v))
            _text(ax, x, y, t, shifted, color=palette.foreground, size=style.tick, ha=ha, va=va)
    return texts if labels else []


def _x_label(ax: Axes, text: str, palette: _Palette, style: _Style) -> None:
    fig = ax.get_figure()
    assert isinstance(fig, Figure)
    below = style.pad + 1.25 * style.tick + 1.5
    trans = offset_copy(ax.transAxes, fig=fig, y=-below, units="points")
    _text(ax, 0.5, 0, text, trans, color=palette.foreground, size=style.text, ha="center", va="top")


def _y_label(ax: Axes, text: str, tick_texts: list[str], palette: _Palette, style: _Style) -> None:
    """A horizontal axis label left of the tick labels (their width estimated)."""
    fig = ax.get_figure()
    assert isinstance(fig, Figure)
    widest = max((len(t) for t in tick_texts), default=1)
    left = style.pad + 0.62 * style.tick * widest + 4
    trans = offset_copy(ax.transAxes, fig=fig, x=-left, units="points")
    _text(
        ax, 0, 0.5, text, trans, color=palette.foreground, size=style.text, ha="right", va="center"
    )


def _note(ax: Axes, text: str, palette: _Palette, style: _Style) -> None:
    _text(
        ax,
        0.5,
        0.5,
        text,
        ax.transAxes,
        color=palette.muted,
        size=style.text,
        ha="center",
        va="center",
    )


def _header(
    fig: Figure, title: str, subtitle: str, palette: _Palette, style: _Style, size: str
) -> Text:
    """The title (function name) at the top left, and the muted subtitle after it."""
    fw, fh = fig.get_size_inches()
    x = (0.1 if size == "hover" else 0.3) / fw
    y = 1 - (0.07 if size == "hover" else 0.15) / fh
    hover = size == "hover"
    title = _shorten(title, 30 if hover else 80)
    head = _text(
        fig,
        x,
        y,
        title,
        fig.transFigure,
        color=palette.foreground,
        size=style.title,
        va="top",
        weight="bold",
    )
    if subtitle:
        if hover:
            # On the title's line, right after it.
            sub = Annotation(
                _shorten(subtitle, max(12, 46 - len(title))),
                xy=(1, 0),
                xycoords=head,
                xytext=(7, 0.5),
                textcoords="offset points",
                ha="left",
                va="bottom",
                color=palette.muted,
                fontsize=style.text,
            )
            fig.add_artist(sub)
        else:
            _text(
                fig,
                x,
                y - 0.25 / fh,
                _shorten(subtitle, 120),
                fig.transFigure,
                color=palette.muted,
                size=style.text,
                va="top",
            )
    return head


# --------------------------------------------------------------------------- one variable


def _isolated(y: FloatArray) -> NDArray[np.bool_]:
    """Finite points whose neighbours are both missing: a line would not show them."""
    finite = np.isfinite(y)
    left = np.concatenate([[False], finite[:-1]])
    right = np.concatenate([finite[1:], [False]])
    return finite & ~left & ~right


def _domain(result: dict[str, Any], key: str = "domain") -> tuple[float, float]:
    dom = _array(result.get(key))
    if dom.size >= 2 and np.isfinite(dom[:2]).all() and dom[1] > dom[0]:
        return float(dom[0]), float(dom[1])
    return -5.0, 5.0


def _x_range(x: FloatArray, result: dict[str, Any], key: str = "domain") -> tuple[float, float]:
    finite = x[np.isfinite(x)]
    if finite.size:
        lo, hi = float(finite.min()), float(finite.max())
    else:
        lo, hi = _domain(result, key)
    if hi - lo <= 1e-12 * max(abs(lo), abs(hi)):
        pad = 0.5 * abs(lo) if lo != 0 else 1.0
        lo, hi = lo - pad, hi + pad
    return lo, hi


class _Row:
    """One plot box of the curve view, drawn with figure-level artists (no Axes).

    Axes are the slow part of a small matplotlib figure (creating one builds tick
    machinery that costs several ms), so the rows are drawn directly: coordinates
    are in inches from the figure's bottom left, and data coordinates map into the
    box [left, left + width] × [bottom, bottom + height] and are clipped to it.
    """

    def __init__(
        self,
        fig: Figure,
        box: tuple[float, float, float, float],
        xlim: tuple[float, float],
        ylim: tuple[float, float],
    ) -> None:
        self.fig = fig
        self.left, self.bottom, self.width, self.height = box
        self.xlim, self.ylim = xlim, ylim
        inches = Bbox.from_bounds(*box)
        self.inches = fig.dpi_scale_trans
        data_box = Bbox([[xlim[0], ylim[0]], [xlim[1], ylim[1]]])
        self.data: Transform = BboxTransform(data_box, inches) + fig.dpi_scale_trans
        self.clip = TransformedBbox(inches, fig.dpi_scale_trans)

    def x_in(self, value: float) -> float:
        return self.left + self.width * (value - self.xlim[0]) / (self.xlim[1] - self.xlim[0])

    def y_in(self, value: float) -> float:
        return self.bottom + self.height * (value - self.ylim[0]) / (self.ylim[1] - self.ylim[0])

    def add(self, artist: Any, clip: bool = True) -> Any:
        if clip:
            artist.set_clip_box(self.clip)
        self.fig.add_artist(artist)
        return artist

    def line(self, x: FloatArray, y: FloatArray, **kwargs: Any) -> Line2D:
        line: Line2D = self.add(Line2D(x, y, transform=self.data, **kwargs))
        return line

    def segments(self, segments: list[list[tuple[float, float]]], **kwargs: Any) -> None:
        """Line segments in inches (grid, frame)."""
        if segments:
            self.add(LineCollection(segments, transform=self.inches, **kwargs), clip=False)

    def text(self, x_in: float, y_in: float, text: str, **kwargs: Any) -> Text:
        return self.fig.text(x_in, y_in, text, transform=self.inches, clip_on=False, **kwargs)


def _draw_curves(
    fig: Figure, result: dict[str, Any], palette: _Palette, style: _Style, size: str
) -> None:
    hover = size == "hover"
    variables = result.get("variables") or ["x"]
    var = str(variables[0])
    name = str(result.get("function") or "f")
    x = _array(result.get("x"))
    n = x.size

    derivatives = result.get("derivatives") or {}
    if not isinstance(derivatives, dict):
        derivatives = {}
    orders = sorted(
        {int(k) for k in derivatives if str(k).isdigit() and 1 <= int(k) < len(_PRIMES)}
    )
    series: list[tuple[int, FloatArray]] = [(0, _fit(_array(result.get("f")), n))]
    for k in orders:
        series.append((k, _fit(_array(derivatives.get(str(k), derivatives.get(k))), n)))

    hidden = [k for k, _ in series[2:]] if hover else []
    if hidden:
        series = series[:2]

    extra = []
    if hidden:
        names = [f"{_short(name)}{_PRIMES[k]}" for k in hidden]
        more = ", ".join(names) if len(names) <= 2 else f"{names[0]} to {names[-1]}"
        extra.append(f"{more} in the panel")
    _header(fig, f"{name}({var})", _subtitle(result, extra), palette, style, size)

    fw, fh = fig.get_size_inches()
    pt = 1 / 72  # inches per point
    # Rows: f taller than each derivative.
    weights = [1.0] * len(series)
    if len(series) > 1:
        weights[0] = 1.3 if hover else 1.6
    avail = fh - style.top - style.bottom - style.row_gap * (len(series) - 1)
    unit = avail / sum(weights)
    plot_w = fw - style.left - style.right
    xlim = _x_range(x, result)
    x_ticks = _tick_values(*xlim, style.x_ticks)

    critical = _array(result.get("critical_points"))
    critical = critical[np.isfinite(critical) & (critical >= xlim[0]) & (critical <= xlim[1])]
    show_markers = 0 < critical.size <= (24 if hover else 60)
    show_guides = not hover and 0 < critical.size <= 16 and len(series) > 1

    handles: list[Line2D] = []
    top = fh - style.top
    for row_index, ((order, y), weight) in enumerate(zip(series, weights, strict=True)):
        height = unit * weight
        bottom = top - height
        top = bottom - style.row_gap
        colour = palette.curves[order % len(palette.curves)]
        last = row_index == len(series) - 1
        lims = _limits(y)
        lo, hi, clipped = lims if lims is not None else (-1.0, 1.0, False)
        row = _Row(fig, (style.left, bottom, plot_w, height), xlim, (lo, hi))
        right = style.left + plot_w

        # Grid, frame, zero line.
        y_ticks = (
            _tick_values(lo, hi, max(2, style.y_ticks if weight > 1 else style.y_ticks - 1))
            if lims is not None
            else np.empty(0)
        )
        grid = [[(row.x_in(v), bottom), (row.x_in(v), bottom + height)] for v in x_ticks]
        grid += [[(style.left, row.y_in(v)), (right, row.y_in(v))] for v in y_ticks]
        row.segments(grid, colors=palette.grid, linewidths=0.7, zorder=0.5)
        frame = [[(style.left, bottom + height), (style.left, bottom), (right, bottom)]]
        row.segments(frame, colors=palette.spine, linewidths=0.8, zorder=2.5)
        if order > 0 and lims is not None and lo < 0 < hi:
            row.segments(
                [[(style.left, row.y_in(0.0)), (right, row.y_in(0.0))]],
                colors=palette.zero,
                linewidths=0.8,
                zorder=1.5,
            )
        if show_guides:
            row.segments(
                [[(row.x_in(c), bottom), (row.x_in(c), bottom + height)] for c in critical],
                colors=palette.zero,
                linewidths=0.7,
                linestyles=(0, (2, 3)),
                zorder=1.2,
            )

        # Tick labels and the row label.
        tick_kw = {"color": palette.foreground, "fontsize": style.tick}
        for v in y_ticks:
            row.text(
                style.left - style.pad * pt,
                row.y_in(float(v)),
                _fmt_number(float(v)),
                ha="right",
                va="center_baseline",
                **tick_kw,
            )
        if last:
            for v in x_ticks:
                row.text(
                    row.x_in(float(v)),
                    bottom - style.pad * pt,
                    _fmt_number(float(v)),
                    ha="center",
                    va="top",
                    **tick_kw,
                )
            row.text(
                style.left + plot_w / 2,
                bottom - (style.pad + 1.25 * style.tick + 1.5) * pt,
                var,
                ha="center",
                va="top",
                color=palette.foreground,
                fontsize=style.text,
            )
        row.text(
            style.label_x,
            bottom + height / 2,
            f"{_short(name)}{_PRIMES[order]}",
            ha="center",
            va="center",
            color=colour,
            fontsize=style.text + 1,
        )

        # The curve.
        line = row.line(
            x,
            y,
            color=colour,
            linewidth=style.line,
            label=_curve_label(name, order, var),
            solid_capstyle="round",
            zorder=2,
        )
        handles.append(line)
        if lims is None:
            what = name if order == 0 else f"{_short(name)}{_PRIMES[order]}"
            row.text(
                style.left + plot_w / 2,
                bottom + height / 2,
                f"{what} has no finite values here",
                ha="center",
                va="center",
                color=palette.muted,
                fontsize=style.text,
            )
            continue
        isolated = _isolated(y)
        if isolated.any():
            row.line(
                x[isolated], y[isolated], linestyle="none", marker="o", color=colour, markersize=2.5
            )
        if clipped:
            row.text(
                right,
                bottom + height,
                "spikes clipped",
                ha="right",
                va="top",
                color=palette.muted,
                fontsize=style.tick,
                bbox={"facecolor": palette.background, "edgecolor": "none", "pad": 1.0},
                zorder=4,
            )
        if show_markers and order == 0:
            ok = np.isfinite(x) & np.isfinite(y)
            if ok.any():
                row.line(
                    critical,
                    np.interp(critical, x[ok], y[ok]),
                    linestyle="none",
                    marker="o",
                    markersize=3.5 if hover else 4.5,
                    markerfacecolor=palette.background,
                    markeredgecolor=colour,
                    markeredgewidth=1.2,
                    zorder=3,
                )

    if not hover:
        fig.legend(
            handles,
            [str(h.get_label()) for h in handles],
            loc="upper right",
            bbox_to_anchor=(1 - style.right / fw, 1 - 0.1 / fh),
            ncol=len(handles),
            frameon=False,
            fontsize=style.legend,
            labelcolor=palette.foreground,
            handlelength=2.0,
            handletextpad=0.4,
            columnspacing=1.6,
            borderaxespad=0.0,
            borderpad=0.2,
        )


# --------------------------------------------------------------------------- two variables


def _subsample(n: int, target: int) -> NDArray[np.intp]:
    """Evenly spaced indices into range(n), at most about `target`, off the edges."""
    step = max(1, math.ceil(n / target))
    return np.arange(step // 2, n, step)


def _contour_levels(values: FloatArray, nbins: int, symmetric: bool) -> tuple[FloatArray, str]:
    """Contour levels covering the bulk of `values`, and the colorbar `extend`."""
    finite = values[np.isfinite(values)]
    lims = _limits(finite, curve=False, margin=0.0)
    assert lims is not None
    lo, hi, _ = lims
    if symmetric:
        m = max(abs(lo), abs(hi))
        lo, hi = -m, m
    locator = MaxNLocator(nbins=nbins, steps=_STEPS)
    levels = np.unique(np.asarray(locator.tick_values(lo, hi), dtype=np.float64))
    if levels.size < 2:
        levels = np.array([lo, hi])
    below = float(finite.min()) < levels[0]
    above = float(finite.max()) > levels[-1]
    extend = {(False, False): "neither", (True, False): "min", (False, True): "max"}.get(
        (below, above), "both"
    )
    return levels, extend


def _contour_panel(
    fig: Figure,
    ax: Axes,
    cax: Axes,
    x: FloatArray,
    y: FloatArray,
    z: FloatArray,
    cmap: str,
    palette: _Palette,
    style: _Style,
    *,
    nbins: int,
    symmetric: bool,
    rasterize: bool,
    what: str,
    x_ticks: int,
    y_ticks: int,
) -> list[str]:
    """Filled contours of z with a colorbar; returns the y tick labels."""
    x_lo, x_hi = float(x[0]), float(x[-1])
    y_lo, y_hi = float(y[0]), float(y[-1])
    ax.set_xlim(x_lo, x_hi)
    ax.set_ylim(y_lo, y_hi)
    _ticks(ax, "x", min(x_lo, x_hi), max(x_lo, x_hi), x_ticks, palette, style, grid=False)
    y_texts = _ticks(ax, "y", min(y_lo, y_hi), max(y_lo, y_hi), y_ticks, palette, style, grid=False)
    if not np.isfinite(z).any():
        cax.set_visible(False)
        _note(ax, f"{what} has no finite values here", palette, style)
        return y_texts
    levels, extend = _contour_levels(z, nbins, symmetric)
    cs = ax.contourf(
        x,
        y,
        np.ma.masked_invalid(z),
        levels=levels,
        cmap=colormaps[cmap],
        extend=extend,
        rasterized=rasterize,
    )
    cbar = fig.colorbar(cs, cax=cax, extendfrac=0.05, ticks=[])
    cbar.outline.set_edgecolor(palette.spine)
    cbar.outline.set_linewidth(0.6)
    cax.yaxis.set_major_locator(NullLocator())
    cax.yaxis.set_minor_locator(NullLocator())
    values = _tick_values(float(levels[0]), float(levels[-1]), 5 if style.y_ticks >= 4 else 4)
    shifted = offset_copy(cax.get_yaxis_transform(), fig=fig, x=style.pad, units="points")
    for v in values:
        _text(
            cax,
            1.0,
            float(v),
            _fmt_number(float(v)),
            shifted,
            color=palette.foreground,
            size=style.tick,
            va="center_baseline",
        )
    return y_texts


def _draw_surface(
    fig: Figure,
    result: dict[str, Any],
    palette: _Palette,
    style: _Style,
    size: str,
    rasterize: bool,
) -> None:
    hover = size == "hover"
    variables = [str(v) for v in (result.get("variables") or ["x", "y"])]
    vx, vy = variables[0], variables[1]
    name = str(result.get("function") or "f")
    x = _array(result.get("x"))
    y = _array(result.get("y"))
    fw, fh = fig.get_size_inches()
    extra = [] if hover else [f"arrows: gradient ∇{_short(name)} (long ones capped)"]
    _header(fig, f"{name}({vx}, {vy})", _subtitle(result, extra), palette, style, size)

    if hover:
        main = _rect(fig, 0.55, 0.3, fw - 0.55 - 0.8, fh - 0.3 - 0.3)
        cbar_rect = _rect(fig, fw - 0.7, 0.3, 0.08, fh - 0.3 - 0.3)
    else:
        main = _rect(fig, 0.85, 0.55, 5.0, fh - 0.55 - 0.8)
        cbar_rect = _rect(fig, 6.0, 0.55, 0.14, fh - 0.55 - 0.8)
    ax = _plain_axes(fig, main, palette)
    cax = fig.add_axes(cbar_rect)

    usable = x.size >= 2 and y.size >= 2 and np.isfinite(x).all() and np.isfinite(y).all()
    if not usable:
        cax.set_visible(False)
        _note(ax, "not enough grid points to draw a surface", palette, style)
        return
    f = _grid(result.get("f"), y.size, x.size)
    gradient = result.get("gradient") or {}
    if not isinstance(gradient, dict):
        gradient = {}
    gx = _grid(gradient.get(vx, gradient.get("x")), y.size, x.size)
    gy = _grid(gradient.get(vy, gradient.get("y")), y.size, x.size)

    y_texts = _contour_panel(
        fig,
        ax,
        cax,
        x,
        y,
        f,
        palette.surface_cmap,
        palette,
        style,
        nbins=9 if hover else 12,
        symmetric=False,
        rasterize=rasterize,
        what=name,
        x_ticks=6 if hover else 8,
        y_ticks=4 if hover else 8,
    )
    _x_label(ax, vx, palette, style)
    _y_label(ax, vy, y_texts, palette, style)
    if np.isfinite(f).any():
        _quiver(ax, x, y, gx, gy, palette, (16, 9) if hover else (15, 15))
        _critical_2d(ax, result, palette, size)

    if hover:
        return
    # The partials: two smaller panels on the right.
    left, width = 7.1, 2.2
    height = (fh - 0.55 - 0.8 - 0.5) / 2
    for i, (values, v) in enumerate(((gx, vx), (gy, vy))):
        bottom = 0.55 + (1 - i) * (height + 0.5)
        pax = _plain_axes(fig, _rect(fig, left, bottom, width, height), palette)
        pcax = fig.add_axes(_rect(fig, left + width + 0.1, bottom, 0.1, height))
        label = f"∂{_short(name)}/∂{v}"
        _text(
            pax,
            0.0,
            1.0,
            label,
            offset_copy(pax.transAxes, fig=fig, y=4, units="points"),
            color=palette.foreground,
            size=style.text + 0.5,
            va="bottom",
        )
        _contour_panel(
            fig,
            pax,
            pcax,
            x,
            y,
            values,
            palette.diverging_cmap,
            palette,
            style,
            nbins=10,
            symmetric=True,
            rasterize=rasterize,
            what=label,
            x_ticks=4,
            y_ticks=4,
        )
        if i == 1:
            _x_label(pax, vx, palette, style)


def _quiver(
    ax: Axes,
    x: FloatArray,
    y: FloatArray,
    gx: FloatArray,
    gy: FloatArray,
    palette: _Palette,
    counts: tuple[int, int],
) -> None:
    """Gradient arrows on a coarse grid; long arrows are capped at about one cell."""
    ix, iy = _subsample(x.size, counts[0]), _subsample(y.size, counts[1])
    if ix.size < 2 or iy.size < 2:
        return
    xs, ys = x[ix], y[iy]
    u, v = gx[np.ix_(iy, ix)], gy[np.ix_(iy, ix)]
    mag = np.hypot(u, v)
    finite = np.isfinite(mag)
    if not finite.any():
        return
    ref = float(np.percentile(mag[finite], 90))
    if not ref > 0:
        ref = float(mag[finite].max())
    if not ref > 0:
        return
    # Cap long arrows at the reference length, keeping their direction.
    with np.errstate(invalid="ignore", divide="ignore"):
        factor = np.where(mag > ref, ref / mag, 1.0)
    u, v = u * factor, v * factor
    cell = min(abs(float(xs[1] - xs[0])), abs(float(ys[1] - ys[0])))
    grid_x, grid_y = np.meshgrid(xs, ys)
    ax.quiver(
        grid_x,
        grid_y,
        np.ma.masked_invalid(u),
        np.ma.masked_invalid(v),
        angles="xy",
        scale_units="xy",
        scale=ref / (0.85 * cell),
        pivot="mid",
        color=palette.arrow,
        edgecolor=palette.arrow_edge,
        linewidth=0.4,
        width=0.0045,
        headwidth=3.8,
        headlength=4.0,
        headaxislength=3.6,
        minlength=0.6,
        zorder=3,
    )


def _critical_2d(ax: Axes, result: dict[str, Any], palette: _Palette, size: str) -> None:
    points = result.get("critical_points") or []
    xs, ys = [], []
    for p in list(points)[:200]:
        if isinstance(p, (list, tuple)) and len(p) >= 2:
            px, py = _to_float(p[0]), _to_float(p[1])
            if math.isfinite(px) and math.isfinite(py):
                xs.append(px)
                ys.append(py)
    if xs:
        ax.plot(
            xs,
            ys,
            "o",
            markersize=6 if size == "panel" else 4.5,
            markerfacecolor=palette.background,
            markeredgecolor=palette.foreground,
            markeredgewidth=1.2,
            zorder=4,
        )
