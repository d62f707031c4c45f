"""Colours, font sizes and margins: every constant of the look, in one place (the image
sizes a `Render` asks for are `derivlens.image_size`'s).

Layout is in CSS pixels (1 inch of figure = 100 CSS px) and fonts in points, so a bigger
image box gives more room, not bigger text; `scale` only multiplies the pixel count.
"""

from __future__ import annotations

from dataclasses import dataclass

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


PALETTES: dict[str, Palette] = {
    # VS Code "Light Modern"
    "light": Palette(
        background="#ffffff",
        foreground="#3b3b3b",
        muted="#767676",
        grid="#e8e8e8",
        spine="#c4c4c4",
        zero="#a8a8a8",
        curves=("#005fb8", "#d35f00", "#2b8a3e", "#8a3ffc", "#c62828"),
        components=(
            "#005fb8",
            "#d35f00",
            "#2b8a3e",
            "#8a3ffc",
            "#c62828",
            "#00838f",
            "#c2185b",
            "#7a5c00",
        ),
        surface_cmap="viridis",
        diverging_cmap="RdBu_r",
        arrow="#ffffff",
        arrow_edge="#1f1f1f",
    ),
    # VS Code "Dark Modern"
    "dark": Palette(
        background="#1f1f1f",
        foreground="#cccccc",
        muted="#9d9d9d",
        grid="#3c3c3c",
        spine="#5a5a5a",
        zero="#767676",
        curves=("#4daafc", "#ff9e4a", "#5fd17a", "#c08cff", "#ff6b6b"),
        components=(
            "#4daafc",
            "#ff9e4a",
            "#5fd17a",
            "#c08cff",
            "#ff6b6b",
            "#4dd0e1",
            "#f48fb1",
            "#d4b45a",
        ),
        surface_cmap="viridis",
        diverging_cmap="berlin",
        arrow="#ffffff",
        arrow_edge="#1f1f1f",
    ),
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


COMPACT = Style(
    compact=True,
    tuned=DEFAULT_SIZE["hover"],
    title=8.0,
    text=7.0,
    tick=6.5,
    legend=7.0,
    line=1.3,
    pad=2.5,
    top=25,
    bottom=30,
    left=55,
    right=12,
    row_gap=10,
    label_x=10,
    title_x=10,
    title_y=7,
    x_ticks=6,
    y_ticks=3,
    f_weight=1.3,
    markers=24,
    marker=3.5,
    min_row=20,
    arrow_cell=14,
    arrow_shaft=0.0045 * 225,  # quiver's width=0.0045 of the hover's plot, as it used to be
)
FULL = Style(
    compact=False,
    tuned=DEFAULT_SIZE["panel"],
    title=11.0,
    text=9.0,
    tick=8.5,
    legend=9.5,
    line=1.6,
    pad=3.5,
    top=62,
    bottom=50,
    left=92,
    right=25,
    row_gap=14,
    label_x=22,
    title_x=30,
    title_y=15,
    x_ticks=10,
    y_ticks=4,
    f_weight=1.6,
    markers=60,
    marker=4.5,
    min_row=28,
    arrow_cell=33,
    arrow_shaft=0.0045 * 500,
)


def style_for(size: str, width: float, height: float) -> Style:
    """The hover's style, or the panel's unless the page is too small for it (CSS px)."""
    small = width < MIN_FULL_SIZE[0] or height < MIN_FULL_SIZE[1]
    return COMPACT if size == "hover" or small else FULL
