"""f of two variables: filled contours of f with the gradient as arrows, and in the panel
the partials ∂f/∂x and ∂f/∂y as two smaller plots on the right.

Drawn without Axes, like the curve rows (see `draw`): the contour bands come straight
from contourpy (what `contourf` uses), and the colour bars and arrows are drawn as
collections. Bands, colours and arrow shapes follow matplotlib's `contourf`, `colorbar`
and `quiver` with the options this module used to pass them, so the look is theirs.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Any, TypeVar, cast

import contourpy
import numpy as np
from matplotlib import colormaps
from matplotlib.collections import Collection, PathCollection, PolyCollection
from matplotlib.colors import Normalize
from matplotlib.path import Path
from matplotlib.ticker import MaxNLocator
from matplotlib.transforms import Transform
from numpy.typing import NDArray

from derivlens import model
from derivlens.plotting import scales
from derivlens.plotting.contour_lines import dashed_contours
from derivlens.plotting.curves import short, subtitle
from derivlens.plotting.draw import Box, Page, Rect, fit_text, fitted_ticks, header
from derivlens.plotting.scales import FloatArray
from derivlens.plotting.style import PX_PER_PT

#: Extended contour bands reach these values (as in matplotlib's contourf).
_FAR = 1e250
#: The x tick labels sit this much lower (points) than in curve rows: the limits are the
#: grid's own, so the corner has a tick on both axes, and their labels would touch.
_CORNER = 2.0
#: A colour bar's end triangles, as a fraction of the bar's length (`extendfrac`).
_EXTEND = 0.05
_LEVEL_STEPS = [1, 2, 2.5, 5, 10]
C = TypeVar("C", bound=Collection)
#: Said of a compared function's dashed lines drawn at levels of their own.
OWN_LEVELS = " at its own levels"


@dataclass(frozen=True)
class _Look:
    """How one contour box is drawn."""

    cmap: str
    levels: int  # about how many contour levels
    ticks: tuple[int, int]  # x and y tick intervals at the style's own page size
    symmetric: bool = False  # levels symmetric about 0 (a diverging colour map)


def draw_surface(page: Page, result: model.SurfaceResult) -> tuple[model.AxesBox, ...]:
    """f's contours and gradient, then the partials where there is room; returns the boxes.

    With a compared g (docs/protocol.md, "Compare"): g's contours dashed over f's and its
    partials over f's, at the levels of f's bands (which then span both), and a plot of
    f − g after the partials; the compact style keeps f alone, with g dashed over it.
    """
    name = result.function or "f"
    vx, vy = result.variables[0], result.variables[1]
    compact, compared = page.style.compact, result.compare
    x, y, f = scales.array(result.x), scales.array(result.y), scales.array(result.f)
    gx, gy = scales.array(result.gradient.x), scales.array(result.gradient.y)
    main, bar, panels = _layout(page, 2 if compared is None else 3)
    if compared is not None and not panels:
        main, bar, panels = _layout(page, 1)  # f − g alone under f, if that fits
    levels, ticks = (9, (6, 4)) if compact else (12, (8, 8))
    look = _Look(page.palette.surface_cmap, levels, ticks)
    g = _compared_values(compared)
    box, y_texts, own = _contour_box(page, main, bar, (x, y, f), look, name, g[0])
    extra = [] if compact else [f"arrows: gradient ∇{short(name)} (long ones capped)"]
    if compared is not None:
        extra.append(f"dashed: {compared.function}{OWN_LEVELS if own else ''}")
    header(page, f"{name}({vx}, {vy})", "  ·  ".join(subtitle(result.fixed, result.method) + extra))
    box.x_title(vx, lower=_CORNER)
    box.y_title(vy, y_texts)
    if np.isfinite(f).any():
        _arrows(box, x, y, gx, gy)
        _critical(box, result.critical_points)
    boxes = [box.axes_box("f")]
    plots = [
        (f"∂{short(name)}/∂{vx}", "∂f/∂x", gx, g[1]),
        (f"∂{short(name)}/∂{vy}", "∂f/∂y", gy, g[2]),
    ]
    if compared is not None:
        other = compared.function if len(compared.function) <= 1 else "g"
        difference = scales.array(compared.difference)
        plots.append((f"{short(name)} − {other}", "f − g", difference, None))
    look = _Look(page.palette.diverging_cmap, 10, (4, 4), symmetric=True)
    size = page.style.text + 0.5
    for i, ((rect, bar_rect), (label, key, values, dashed)) in enumerate(
        zip(panels, plots[-len(panels) :] if panels else [], strict=False)
    ):
        pbox, _, own = _contour_box(page, rect, bar_rect, (x, y, values), look, label, dashed)
        title = fit_text(f"{label}  · dashed: own levels" if own else label, rect[2] + 40, size)
        page.text(rect[0], pbox.top + 4 * PX_PER_PT, title, fontsize=size, va="bottom")
        if i == len(panels) - 1 or rect[1] == panels[-1][0][1]:  # the lowest, or side by side
            pbox.x_title(vx, lower=_CORNER)
        boxes.append(pbox.axes_box(key))
    return tuple(boxes)


def _compared_values(
    compared: model.SurfaceComparison | None,
) -> tuple[FloatArray | None, FloatArray | None, FloatArray | None]:
    """g and its partials as arrays (None without a comparison)."""
    if compared is None:
        return None, None, None
    partials = compared.derivatives
    return scales.array(compared.f), scales.array(partials["x"]), scales.array(partials["y"])


def _layout(page: Page, count: int = 2) -> tuple[Rect, Rect, list[tuple[Rect, Rect]]]:
    """The main plot and its colour bar; `count` smaller plots (the partials, then f − g)
    and theirs if the width allows (beside f, or under it on a narrow page that is tall
    enough).

    Gaps and colour bars keep their size in CSS px; the plots share the rest 500 : 220.
    """
    w, h = page.width, page.height
    if page.style.compact:
        return (55.0, 32.0, w - 135, h - 60), (w - 70, 32.0, 8.0, h - 60), []
    left, bottom, height = 85.0, 55.0, h - 135
    main_w, partial_w = (w - 280) * 500 / 720, (w - 280) * 220 / 720
    if partial_w < 100:
        main_w = w - left - 79
        stacked = _stacked_partials(w, h, left, bottom, count) or _two_rows(
            w, h, left, bottom, count
        )
        if stacked:
            partials, main_bottom = stacked
            main_h = h - 80 - main_bottom
            return (
                (left, main_bottom, main_w, main_h),
                (left + main_w + 15, main_bottom, 14.0, main_h),
                partials,
            )
        return (left, bottom, main_w, height), (left + main_w + 15, bottom, 14.0, height), []
    bar_left = left + main_w + 15
    p_left, p_height = bar_left + 110, (height - 50 * (count - 1)) / count
    partials = [
        ((p_left, b, partial_w, p_height), (p_left + partial_w + 10, b, 10.0, p_height))
        for b in (bottom + i * (p_height + 50) for i in reversed(range(count)))
    ]
    return (left, bottom, main_w, height), (bar_left, bottom, 14.0, height), partials


def _stacked_partials(
    w: float, h: float, left: float, bottom: float, count: int
) -> tuple[list[tuple[Rect, Rect]], float] | None:
    """For a page too narrow for the smaller plots beside f but tall enough (a narrow
    panel): the `count` of them side by side under f, and where f's box then starts; else
    None.

    Each keeps room on its left for its y tick labels and on its right for its colour
    bar and its labels; above the row go f's x tick labels, its x title and their names.
    """
    p_w = (w - 145 - 105 * (count - 1)) / count
    p_h = min(0.8 * p_w, 0.4 * (h - 210))
    if p_w < 100 or p_h < 80 or h - 210 - p_h < 150:
        return None
    partials = [
        ((x, bottom, p_w, p_h), (x + p_w + 10, bottom, 10.0, p_h))
        for x in (left + i * (p_w + 105) for i in range(count))
    ]
    return partials, bottom + p_h + 75


def _two_rows(
    w: float, h: float, left: float, bottom: float, count: int
) -> tuple[list[tuple[Rect, Rect]], float] | None:
    """For a narrow page too narrow for `count` (3: the partials and f − g) side by side
    but tall enough (a narrow panel asks a compared surface for a taller image): two of
    them side by side under f, the rest in a row under those; else None."""
    if count < 3:
        return None
    p_w = (w - 145 - 105) / 2
    p_h = min(0.8 * p_w, 0.25 * (h - 270))
    if p_w < 100 or p_h < 80 or h - 270 - 2 * p_h < 150:
        return None
    upper = bottom + p_h + 60
    partials = [
        (
            (left + i * (p_w + 105), upper, p_w, p_h),
            (left + i * (p_w + 105) + p_w + 10, upper, 10.0, p_h),
        )
        for i in range(2)
    ]
    partials += [
        (
            (left + i * (p_w + 105), bottom, p_w, p_h),
            (left + i * (p_w + 105) + p_w + 10, bottom, 10.0, p_h),
        )
        for i in range(count - 2)
    ]
    return partials, upper + p_h + 75


def _contour_box(
    page: Page,
    rect: Rect,
    bar: Rect,
    xyz: tuple[FloatArray, FloatArray, FloatArray],
    look: _Look,
    what: str,
    dashed: FloatArray | None = None,
) -> tuple[Box, list[str], bool]:
    """A box of filled contours of z with its colour bar, and `dashed` (a compared
    function's values on the grid) as dashed contour lines at the same levels, which then
    span both; returns the box, its y tick labels, and whether the dashed lines had to be
    drawn at levels of their own (`_line_levels`)."""
    x, y, z = xyz
    box = Box(page, rect, (float(x[0]), float(x[-1])), (float(y[0]), float(y[-1])))
    box.frame()
    (x_lo, x_hi), (y_lo, y_hi) = sorted(box.xlim), sorted(box.ylim)
    x_ticks = fitted_ticks(page, (x_lo, x_hi), page.nbins(look.ticks[0], "x"), box.width)
    box.x_labels(x_ticks, lower=_CORNER)
    y_texts = box.y_labels(scales.tick_values(y_lo, y_hi, page.nbins(look.ticks[1], "y")))
    if not np.isfinite(z).any():
        box.note(f"{what} has no finite values here")
        return box, y_texts, False
    both = z if dashed is None else np.concatenate([z.ravel(), dashed.ravel()])
    levels, extend = _levels(both, look.levels, look.symmetric)
    bounds = np.concatenate([[-_FAR] if extend[0] else [], levels, [_FAR] if extend[1] else []])
    layers = 0.5 * (bounds[:-1] + bounds[1:])
    # As contourf: each band takes the colour of its middle value; extended bands get the
    # colour map's ends.
    colours = colormaps[look.cmap](Normalize(levels[0], levels[-1])(layers))
    _fill(box, xyz, bounds, colours)
    _colour_bar(page, bar, levels, extend, colours)
    own = False
    if dashed is not None and np.isfinite(dashed).any():
        line_levels, own = _line_levels(levels, dashed, look)
        dashed_contours(box, (x, y, dashed), line_levels)
    return box, y_texts, own


def _line_levels(levels: FloatArray, values: FloatArray, look: _Look) -> tuple[FloatArray, bool]:
    """The levels to draw a compared function's lines at: the bands' own when at least
    two of them fall inside its range, else (its range lies within a band or two, and
    those lines would hide its shape) levels of its own, and True."""
    finite = values[np.isfinite(values)]
    inside = np.count_nonzero((levels > finite.min()) & (levels < finite.max()))
    if inside >= 2:
        return levels, False
    return _levels(values, look.levels, look.symmetric)[0], True


def _levels(
    values: FloatArray, nbins: int, symmetric: bool
) -> tuple[FloatArray, tuple[bool, bool]]:
    """Contour levels over the bulk of `values`, and whether values lie below / above them."""
    finite = values[np.isfinite(values)]
    lims = scales.limits(finite, curve=False, margin=0.0)
    assert lims is not None  # the caller checked that some value is finite
    lo, hi = lims
    if symmetric:
        lo, hi = -max(abs(lo), abs(hi)), max(abs(lo), abs(hi))
    locator = MaxNLocator(nbins=nbins, steps=_LEVEL_STEPS)
    levels = np.unique(np.asarray(locator.tick_values(lo, hi), dtype=np.float64))
    if levels.size < 2:
        levels = np.array([lo, hi])
    return levels, (float(finite.min()) < levels[0], float(finite.max()) > levels[-1])


def _fill(
    box: Box, xyz: tuple[FloatArray, FloatArray, FloatArray], bounds: FloatArray, colours: NDArray
) -> None:
    """The filled contour bands between consecutive `bounds`, one compound path each."""
    x, y, z = xyz
    masked = np.ma.masked_invalid(z)
    generator = contourpy.contour_generator(
        x, y, masked, name="mpl2014", corner_mask=True, fill_type=contourpy.FillType.OuterCode
    )
    lowers = bounds[:-1].copy()
    if lowers[0] == masked.min():
        lowers[0] -= 1  # the lowest band includes the minimum
    paths = []
    for lower, upper in zip(lowers, bounds[1:], strict=True):
        # OuterCode: a list of point arrays and a list of code arrays, one per polygon.
        points, codes = cast(
            tuple[list[FloatArray], list[NDArray[np.uint8]]], generator.filled(lower, upper)
        )
        paths.append(
            Path(np.concatenate(points), np.concatenate(codes))
            if points
            else Path(np.empty((0, 2)))
        )
    bands = _tiles(PathCollection(paths), colours, box.data)
    bands.set_rasterized(box.page.rasterize)
    box.add(bands)


def _tiles(shapes: C, colours: Any, transform: Transform) -> C:
    """`shapes` filled flat with `colours`, without edges or antialiasing: they tile a
    region (contour bands, a colour bar's steps), and antialiased edges would show seams."""
    shapes.set(
        facecolors=colours, edgecolors="none", antialiaseds=False, transform=transform, zorder=1
    )
    return shapes


def _colour_bar(
    page: Page, rect: Rect, levels: FloatArray, extend: tuple[bool, bool], colours: NDArray
) -> None:
    """A vertical colour bar with a triangle at each extended end, and its tick labels.

    As in `colorbar`, the triangles are inside `rect`: the bar itself is shorter.
    """
    left, bottom, width, height = rect
    tip = _EXTEND * height / (1 + _EXTEND * sum(extend))
    inside = (left, bottom + tip * extend[0], width, height - tip * sum(extend))
    bar = Box(page, inside, (0.0, 1.0), (float(levels[0]), float(levels[-1])))
    right, mid = bar.right, left + width / 2
    inner = colours[1:] if extend[0] else colours
    polygons = [
        [(left, bar.y_px(a)), (right, bar.y_px(a)), (right, bar.y_px(b)), (left, bar.y_px(b))]
        for a, b in itertools.pairwise(levels)
    ]
    face = list(inner[: len(polygons)])
    outline = [(left, bar.bottom), (left, bar.top)]
    if extend[1]:
        polygons.append([(left, bar.top), (right, bar.top), (mid, bar.top + tip)])
        face.append(colours[-1])
        outline.append((mid, bar.top + tip))
    outline += [(right, bar.top), (right, bar.bottom)]
    if extend[0]:
        polygons.append([(left, bar.bottom), (right, bar.bottom), (mid, bar.bottom - tip)])
        face.append(colours[0])
        outline.append((mid, bar.bottom - tip))
    outline.append((left, bar.bottom))
    page.add(_tiles(PolyCollection(polygons), face, page.px))
    page.rule("outline", [outline])
    count = 5 if page.style.y_ticks >= 4 else 4
    bar.y_labels(scales.tick_values(float(levels[0]), float(levels[-1]), count), right=True)


def _subsample(n: int, target: int) -> NDArray[np.intp]:
    """Evenly spaced indices into range(n), at most about `target`, off the edges."""
    step = max(1, math.ceil(n / target))
    return np.arange(step // 2, n, step)


def _arrows(
    box: Box,
    x: FloatArray,
    y: FloatArray,
    gx: FloatArray,
    gy: FloatArray,
) -> None:
    """Gradient arrows on a coarse grid; long arrows are capped at about one cell."""
    spacing = box.page.style.arrow_cell
    ix = _subsample(x.size, max(4, round(box.width / spacing)))
    iy = _subsample(y.size, max(4, round(box.height / spacing)))
    if ix.size < 2 or iy.size < 2:
        return
    xs, ys = x[ix], y[iy]
    u, v = gx[np.ix_(iy, ix)].ravel(), gy[np.ix_(iy, ix)].ravel()
    mag = np.hypot(u, v)
    keep = np.isfinite(mag)
    if not keep.any():
        return
    ref = float(np.percentile(mag[keep], 90))
    if not ref > 0:
        ref = float(mag[keep].max())
    if not ref > 0:
        return
    # Long arrows are capped at the reference length, keeping their direction, and that
    # length is drawn as 0.85 of a cell: data units per unit of gradient.
    cell = min(abs(xs[1] - xs[0]), abs(ys[1] - ys[0]))
    with np.errstate(invalid="ignore", divide="ignore"):
        factor = np.where(mag > ref, ref / mag, 1.0) * 0.85 * cell / ref
    # The arrows in CSS px, then their outlines around their middles.
    du = (u * factor)[keep] * box.width / (box.xlim[1] - box.xlim[0])
    dv = (v * factor)[keep] * box.height / (box.ylim[1] - box.ylim[0])
    shaft = box.page.style.arrow_shaft
    outline = _arrow_outlines(np.hypot(du, dv) / shaft) * np.exp(1j * np.arctan2(dv, du))[:, None]
    vertices = np.stack([outline.real, outline.imag], axis=2) * shaft
    grid_x, grid_y = np.meshgrid(xs, ys)
    offsets = np.column_stack([grid_x.ravel()[keep], grid_y.ravel()[keep]])
    palette = box.page.palette
    arrows = PolyCollection(
        list(vertices),
        closed=False,
        offsets=offsets,
        offset_transform=box.data,
        transform=box.page.px,
        facecolors=palette.arrow,
        edgecolors=palette.arrow_edge,
        linewidths=0.4,
        zorder=3,
    )
    box.add(arrows)


#: Arrow proportions in shaft widths (quiver's headwidth, headlength, headaxislength,
#: minlength; the shaft never shrinks below one head length).
_HEAD_WIDTH, _HEAD_LENGTH, _HEAD_AXIS, _MIN_LENGTH = 3.8, 4.0, 3.6, 0.6


def _arrow_outlines(length: FloatArray) -> NDArray[np.complex128]:
    """Closed outlines (x + iy, 8 points) of arrows along +x centred on 0, in shaft widths.

    As `quiver` draws them: an arrow shorter than its head is a scaled-down head, and
    one shorter than `_MIN_LENGTH` a dot.
    """
    length = np.clip(length, 0, 2**16)[:, None]
    order = [0, 1, 2, 3, 2, 1, 0, 0]
    sign = np.array([1, 1, 1, -1, -1, -1, -1, 1])
    half = 0.5 * np.array([1, 1, _HEAD_WIDTH, 0])[order] * sign
    full = (
        np.array([0, -_HEAD_AXIS, -_HEAD_LENGTH, 0])[order] + np.array([0, 1, 1, 1])[order] * length
    )
    head = np.array([0, 1 - _HEAD_AXIS / _HEAD_LENGTH, 0, 1])[order] * _HEAD_LENGTH
    short = length < _HEAD_LENGTH
    x = np.where(short, head * length / _HEAD_LENGTH, full)
    y = np.where(short, half * length / _HEAD_LENGTH, half)
    x = x - 0.5 * x[:, 3:4]
    outline = x + 1j * y
    angles = np.arange(8) * (np.pi / 3)
    dot = 0.5 * _MIN_LENGTH * np.exp(1j * angles)
    return np.where(length < _MIN_LENGTH, dot, outline)


def _critical(box: Box, points: list[tuple[float, float]]) -> None:
    """Open circles at the critical points (the first 200)."""
    if not points:
        return
    xy = np.array(points[:200], dtype=np.float64)
    page = box.page
    box.line(
        xy[:, 0],
        xy[:, 1],
        linestyle="none",
        marker="o",
        markersize=page.style.marker + 1.5,
        markerfacecolor=page.palette.background,
        markeredgecolor=page.palette.foreground,
        markeredgewidth=1.2,
        zorder=4,
    )
