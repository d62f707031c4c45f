"""Colours, font sizes and margins: every constant of the look, in one place (the image
sizes a `Render` asks for are `derivlens.image_size`'s).

Layout is in CSS pixels (1 inch of figure = 100 CSS px) and fonts in points, so a bigger
image box gives more room, not bigger text; `scale` only multiplies the pixel count.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from derivlens.image_size import DEFAULT_SIZE

#: Pixels per inch of figure at scale 1 (CSS px); points are 1/72 inch.
PX_PER_INCH = 100
PX_PER_PT = PX_PER_INCH / 72
#: A panel smaller than this is drawn in the compact style (the hover's).
MIN_FULL_SIZE = (480, 300)
#: Resolution of the rasterized contour fills inside an SVG (thousands of polygons else).
SVG_RASTER_DPI = 150

PRIMES = ("", "′", "″", "‴", "⁽⁴⁾")


@dataclass(frozen=True)
class Palette:
    background: str
    foreground: str
    muted: str  # secondary text: subtitles, notes
    grid: str
    spine: str
    zero: str  # the y = 0 line in derivative rows, guides at critical points
    curves: tuple[str, ...]  # f, f′, f″, f‴, f⁽⁴⁾
    components: tuple[str, ...]  # the outputs of a vector-valued f, up to 8
    surface_cmap: str
    diverging_cmap: str
    arrow: str
    arrow_edge: str


_LIGHT_CURVES = ("#005fb8", "#d35f00", "#2b8a3e", "#8a3ffc", "#c62828")
_DARK_CURVES = ("#4daafc", "#ff9e4a", "#5fd17a", "#c08cff", "#ff6b6b")
#: Every colour of the look, side by side: VS Code's "Light Modern" and "Dark Modern".
_THEMES: dict[str, tuple[Any, Any]] = {
    "background": ("#ffffff", "#1f1f1f"),
    "foreground": ("#3b3b3b", "#cccccc"),
    "muted": ("#767676", "#9d9d9d"),
    "grid": ("#e8e8e8", "#3c3c3c"),
    "spine": ("#c4c4c4", "#5a5a5a"),
    "zero": ("#a8a8a8", "#767676"),
    "curves": (_LIGHT_CURVES, _DARK_CURVES),
    "components": (
        (*_LIGHT_CURVES, "#00838f", "#c2185b", "#7a5c00"),
        (*_DARK_CURVES, "#4dd0e1", "#f48fb1", "#d4b45a"),
    ),
    "surface_cmap": ("viridis", "viridis"),
    "diverging_cmap": ("RdBu_r", "berlin"),
    "arrow": ("#ffffff", "#ffffff"),
    "arrow_edge": ("#1f1f1f", "#1f1f1f"),
}
PALETTES: dict[str, Palette] = {
    theme: Palette(**{name: both[i] for name, both in _THEMES.items()})
    for i, theme in enumerate(("light", "dark"))
}


@dataclass(frozen=True)
class Style:
    """Font sizes and offsets in points; margins and gaps in CSS px.

    COMPACT is the hover's, and a small panel's: the subtitle and legend share the
    title's line and a surface has no room for its partials. FULL is the panel's.
    """

    compact: bool
    tuned: tuple[float, float]  # the page size (CSS px) its tick counts are meant for
    title: float
    text: float
    tick: float
    legend: float
    line: float  # curve width, points
    pad: float  # between an axis and its tick labels, points
    top: float
    bottom: float
    left: float
    right: float
    row_gap: float
    label_x: float  # centre of the row labels, from the image's left edge
    title_x: float
    title_y: float  # from the image's top edge to the top of the title
    x_ticks: int
    y_ticks: int
    f_weight: float  # height of the f row relative to a derivative row
    markers: int  # most critical points marked on f
    marker: float  # their size, points
    min_row: float  # the least height of a derivative's row, CSS px
    arrow_cell: float  # the gradient arrows' spacing on a surface, CSS px
    arrow_shaft: float  # and their shafts' width, CSS px


#: Every measure of the two styles, side by side: (COMPACT, FULL).
_MEASURES: dict[str, tuple[Any, Any]] = {
    "compact": (True, False),
    "tuned": (DEFAULT_SIZE["hover"], DEFAULT_SIZE["panel"]),
    "title": (8.0, 11.0),
    "text": (7.0, 9.0),
    "tick": (6.5, 8.5),
    "legend": (7.0, 9.5),
    "line": (1.3, 1.6),
    "pad": (2.5, 3.5),
    "top": (25, 62),
    "bottom": (30, 50),
    "left": (55, 92),
    "right": (12, 25),
    "row_gap": (10, 14),
    "label_x": (10, 22),
    "title_x": (10, 30),
    "title_y": (7, 15),
    "x_ticks": (6, 10),
    "y_ticks": (3, 4),
    "f_weight": (1.3, 1.6),
    "markers": (24, 60),
    "marker": (3.5, 4.5),
    "min_row": (20, 28),
    "arrow_cell": (14, 33),
    # quiver's width=0.0045 of the plot, as it used to be (the hover's, the panel's)
    "arrow_shaft": (0.0045 * 225, 0.0045 * 500),
}
COMPACT, FULL = (Style(**{name: both[i] for name, both in _MEASURES.items()}) for i in (0, 1))


def style_for(size: str, width: float, height: float) -> Style:
    """The hover's style, or the panel's unless the page is too small for it (CSS px)."""
    small = width < MIN_FULL_SIZE[0] or height < MIN_FULL_SIZE[1]
    return COMPACT if size == "hover" or small else FULL
