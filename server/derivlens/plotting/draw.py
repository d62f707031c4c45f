"""Drawing on a page without Axes: plot boxes, ticks, labels, the header and legends.

Axes are the slow part of a small matplotlib figure (creating one builds tick machinery
that costs several ms), so every plot area is a `Box`: figure-level artists whose data
coordinates map into a rectangle and are clipped to it. Positions are CSS px from the
image's bottom-left corner (matplotlib's direction); `Box.axes_box` reports them from
the top-left, in image pixels, for the client.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from matplotlib.artist import Artist
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.text import Annotation, Text
from matplotlib.transforms import Affine2D, Bbox, BboxTransform, Transform, TransformedBbox

from derivlens import model
from derivlens.plotting import scales
from derivlens.plotting.scales import FloatArray, Limits
from derivlens.plotting.stage import Pool
from derivlens.plotting.style import PX_PER_INCH, PX_PER_PT, Palette, Style

Segments = list[list[tuple[float, float]]]
#: The kinds of rule (straight lines in CSS px): colour (a palette field), width in points,
#: dashes, and whether they are drawn over the curves (frames) or under them.
_RULES: dict[str, tuple[str, float, Any, bool]] = {
    "grid": ("grid", 0.7, "solid", False),
    "guide": ("zero", 0.7, (0, (2, 3)), False),
    "zero": ("zero", 0.8, "solid", False),
    "frame": ("spine", 0.8, "solid", True),
    "outline": ("spine", 0.6, "solid", True),
}
#: left, bottom, width, height in CSS px from the page's bottom-left corner.
Rect = tuple[float, float, float, float]


@dataclass(frozen=True)
class Page:
    """The figure being drawn, its size in CSS px, and the look it is drawn with."""

    fig: Figure
    width: float
    height: float
    scale: float  # image pixels per CSS px (1 for SVG)
    palette: Palette
    style: Style
    hover: bool  # what to show: the hover's f and f′, or everything (the panel)
    rasterize: bool  # draw contour fills as images (SVG)
    pool: Pool  # where texts and curves come from (the figure's own, see `stage`)
    rules: dict[str, Segments] = field(default_factory=dict)  # kind → segments, see `rule`

    def nbins(self, base: int, axis: str) -> int:
        """`base` tick intervals on a page of the style's size, more on a bigger one."""
        tuned_w, tuned_h = self.style.tuned
        ratio = self.width / tuned_w if axis == "x" else self.height / tuned_h
        return max(2, round(base * ratio))

    @cached_property
    def px(self) -> Transform:
        """CSS px from the bottom-left to display coordinates (follows the figure's dpi)."""
        return Affine2D().scale(1 / PX_PER_INCH) + self.fig.dpi_scale_trans

    def text(self, x: float, y: float, text: str, **kwargs: Any) -> Text:
        """Text at (x, y) CSS px; colour and size default to tick labels'."""
        kwargs.setdefault("color", self.palette.foreground)
        kwargs.setdefault("fontsize", self.style.tick)
        return self.pool.text(x, y, text, transform=self.px, clip_on=False, **kwargs)

    def add(self, artist: Artist) -> Artist:
        """`artist`, added to the figure over what was added before it (at equal zorder)."""
        return self.pool.add(artist)

    def rule(self, kind: str, segments: Segments) -> None:
        """Straight lines in CSS px of a kind in `_RULES` (grid, frames, ...).

        They are collected and drawn by `finish`, under or over the curves, a collection
        per kind: a collection costs as much as a hundred segments, and a kept one only
        gets new segments.
        """
        self.rules.setdefault(kind, []).extend(segments)

    def finish(self) -> None:
        """Add the collected rules to the figure: one collection per kind, the kinds in
        `_RULES`' order (so each segment is drawn as one collection of them all would)."""
        for over in (False, True):
            for kind, (colour, width, dashes, above) in _RULES.items():
                segments = self.rules.get(kind)
                if above != over or not segments:
                    continue
                self.pool.lines(
                    segments,
                    transform=self.px,
                    colors=[getattr(self.palette, colour)],
                    linewidths=[width],
                    linestyles=[dashes],
                    zorder=2.5 if over else 0.5,
                )


class Box:
    """One plot area: data limits mapped onto a rectangle of the page."""

    def __init__(self, page: Page, rect: Rect, xlim: Limits, ylim: Limits) -> None:
        self.page = page
        self.left, self.bottom, self.width, self.height = rect
        self.right, self.top = self.left + self.width, self.bottom + self.height
        self.xlim, self.ylim = xlim, ylim
        px = Bbox.from_bounds(*rect)
        data = Bbox([[xlim[0], ylim[0]], [xlim[1], ylim[1]]])
        self.data: Transform = BboxTransform(data, px) + page.px
        self.clip = TransformedBbox(px, page.px)

    def with_ylim(self, ylim: Limits) -> Box:
        """The same rectangle and x limits, on other y limits."""
        return Box(self.page, (self.left, self.bottom, self.width, self.height), self.xlim, ylim)

    def x_px(self, value: float) -> float:
        return self.left + self.width * (value - self.xlim[0]) / (self.xlim[1] - self.xlim[0])

    def y_px(self, value: float) -> float:
        return self.bottom + self.height * (value - self.ylim[0]) / (self.ylim[1] - self.ylim[0])

    def add(self, artist: Artist) -> Artist:
        """`artist` (in data coordinates) clipped to the box."""
        artist.set_clip_box(self.clip)
        return self.page.add(artist)

    def line(self, x: FloatArray, y: FloatArray, **kwargs: Any) -> Line2D:
        """A curve (or markers) in data coordinates, clipped to the box."""
        return self.page.pool.line(x, y, transform=self.data, clip=self.clip, **kwargs)

    def axes_box(self, name: str) -> model.AxesBox:
        """Where the box is in the image (pixels from the top-left) and what it shows."""
        s = self.page.scale
        return model.AxesBox(
            name=name,
            box=(self.left * s, (self.page.height - self.top) * s, self.width * s, self.height * s),
            xlim=self.xlim,
            ylim=self.ylim,
        )

    # --- axes furniture --------------------------------------------------------------

    def frame(self) -> None:
        """The left and bottom spines."""
        corners = [(self.left, self.top), (self.left, self.bottom), (self.right, self.bottom)]
        self.page.rule("frame", [corners])

    def grid(self, x_ticks: FloatArray, y_ticks: FloatArray) -> None:
        lines = [[(self.x_px(v), self.bottom), (self.x_px(v), self.top)] for v in x_ticks]
        lines += [[(self.left, self.y_px(v)), (self.right, self.y_px(v))] for v in y_ticks]
        self.page.rule("grid", lines)

    def hline(self, kind: str, value: float) -> None:
        y = self.y_px(value)
        self.page.rule(kind, [[(self.left, y), (self.right, y)]])

    def vlines(self, kind: str, values: FloatArray) -> None:
        lines = [[(self.x_px(v), self.bottom), (self.x_px(v), self.top)] for v in values]
        self.page.rule(kind, lines)

    def x_labels(self, values: FloatArray, *, lower: float = 0.0) -> None:
        """Tick labels under the box (`lower` points further down than usual); one that
        would leave the image ends at its edge. An offset the labels are relative to goes
        at the right end, under them.
        """
        page, pad = self.page, (self.page.style.pad + lower) * PX_PER_PT
        labels, offset = scales.tick_labels(values)
        for v, t in zip(values, labels, strict=True):
            x, half = self.x_px(float(v)), label_width(page, t) / 2
            if x + half > page.width - 2:
                page.text(page.width - 2, self.bottom - pad, t, ha="right", va="top")
            elif x - half < 2:
                page.text(2, self.bottom - pad, t, ha="left", va="top")
            else:
                page.text(x, self.bottom - pad, t, ha="center", va="top")
        if offset:
            below = self.bottom - pad - 1.25 * page.style.tick * PX_PER_PT - 1.5
            page.text(self.right, below, offset, ha="right", va="top", color=page.palette.muted)

    def y_labels(self, values: FloatArray, *, right: bool = False) -> list[str]:
        """Tick labels left of the box (right of it for colour bars); returns them.

        An offset the labels are relative to goes in the box's top-left corner (above a
        colour bar).
        """
        page, pad = self.page, self.page.style.pad * PX_PER_PT
        x, ha = (self.right + pad, "left") if right else (self.left - pad, "right")
        labels, offset = scales.tick_labels(values)
        for v, t in zip(values, labels, strict=True):
            page.text(x, self.y_px(float(v)), t, ha=ha, va="center_baseline")
        if offset and right:
            page.text(self.left, self.top + 0.06 * self.height, offset, va="bottom")
        elif offset:
            page.text(
                self.left + 3,
                self.top - 2,
                offset,
                va="top",
                color=page.palette.muted,
                bbox={"facecolor": page.palette.background, "edgecolor": "none", "pad": 1.0},
                zorder=4,
            )
        return labels

    def x_title(self, text: str, *, lower: float = 0.0) -> None:
        """The variable's name under the x tick labels (as placed with `lower`)."""
        style = self.page.style
        below = (style.pad + lower + 1.25 * style.tick + 1.5) * PX_PER_PT
        centre = self.left + self.width / 2
        self.page.text(
            centre, self.bottom - below, text, ha="center", va="top", fontsize=style.text
        )

    def y_title(self, text: str, tick_texts: Sequence[str]) -> None:
        """A horizontal axis label left of the tick labels (their width estimated)."""
        style = self.page.style
        widest = max((label_width(self.page, t) for t in tick_texts), default=0.0)
        left = (style.pad + 4) * PX_PER_PT + widest
        y = self.bottom + self.height / 2
        self.page.text(self.left - left, y, text, ha="right", va="center", fontsize=style.text)

    def note(self, text: str) -> None:
        """A muted message in the middle of the box (no finite values, ...)."""
        centre = (self.left + self.width / 2, self.bottom + self.height / 2)
        self.page.text(
            *centre,
            text,
            ha="center",
            va="center",
            color=self.page.palette.muted,
            fontsize=self.page.style.text,
        )


#: Advance widths of DejaVu Sans (matplotlib's font) in em: narrow, wide, the rest.
_NARROW = frozenset("fijlrtI.,:;[]()'|!-·′″ ")
_WIDE = frozenset("mwMW=+−→…")


def text_width(text: str, points: float, *, bold: bool = False) -> float:
    """`text`'s width in CSS px at `points`, estimated (measuring costs a text layout)."""
    ems = sum(0.35 if c in _NARROW else 0.9 if c in _WIDE else 0.63 for c in text)
    return ems * points * PX_PER_PT * (1.1 if bold else 1.0)


def fit_text(text: str, width: float, points: float, *, bold: bool = False) -> str:
    """`text`, cut short with "…" if it would be wider than `width` CSS px."""
    if text_width(text, points, bold=bold) <= width:
        return text
    budget, kept = width - text_width("…", points, bold=bold), 0
    for c in text:
        budget -= text_width(c, points, bold=bold)
        if budget < 0:
            break
        kept += 1
    return text[:kept].rstrip() + "…" if kept else ""


def label_width(page: Page, text: str) -> float:
    """A tick label's width in CSS px."""
    return text_width(text, page.style.tick)


def fitted_ticks(page: Page, lims: Limits, nbins: int, length: float) -> FloatArray:
    """About `nbins` ticks over `lims` drawn `length` CSS px long, fewer if their labels
    would run into each other (long labels: a tiny domain far from 0)."""
    for n in range(nbins, 1, -1):
        values = scales.tick_values(*lims, n)
        if values.size < 2:
            return values
        widest = max(label_width(page, t) for t in scales.tick_labels(values)[0])
        if widest + 6 <= length * (values[1] - values[0]) / (lims[1] - lims[0]):
            return values
    return scales.tick_values(*lims, 1)


# --- header and legends --------------------------------------------------------------------


#: One entry of an inline legend: its label, a shorter tag for want of room, its colour.
Entry = tuple[str, str, str]
_GAP_PT = 7.0  # between the title and what follows it on its line
_WORD_GAP_PT = 5.0  # between the words of an inline legend


def header(page: Page, title: str, subtitle: str, legend: Sequence[Entry] = ()) -> None:
    """The title (function and variables) at the top left, the muted subtitle after it.

    In the compact style the subtitle follows the title on its line, and so does a
    legend (`legend`, at the right end); what does not fit is shortened, a legend to
    its tags, a subtitle to nothing. Else the subtitle has a line of its own.
    """
    style, palette = page.style, page.palette
    room = page.width - style.title_x - style.right
    title = fit_text(title, room * 2 / 3, style.title, bold=True)
    top = page.height - style.title_y
    head = page.text(style.title_x, top, title, fontsize=style.title, va="top", fontweight="bold")
    if not style.compact:
        if subtitle:
            text = fit_text(subtitle, room, style.text)
            page.text(
                style.title_x, top - 25, text, color=palette.muted, fontsize=style.text, va="top"
            )
        return
    room -= text_width(title, style.title, bold=True) + _GAP_PT * PX_PER_PT
    if legend:
        words = _legend_words(page, legend, room)
        room -= _words_width(page, words) + _GAP_PT * PX_PER_PT
        _inline_legend(page, head, words)
    text = fit_text(subtitle, room, style.text)
    if len(text) >= min(8, len(subtitle)) and text:
        sub = Annotation(
            text,
            xy=(1, 0),
            xycoords=head,
            xytext=(_GAP_PT, 0.5),
            textcoords="offset points",
            ha="left",
            va="bottom",
            color=palette.muted,
            fontsize=style.text,
        )
        page.add(sub)


def _legend_words(page: Page, entries: Sequence[Entry], room: float) -> list[tuple[str, str]]:
    """The legend's (word, colour) pairs: the labels, or [tag] or the tags if they fit better."""
    for form in ("{label}", "[{tag}]", "{tag}"):
        words = [(form.format(label=label, tag=tag), colour) for label, tag, colour in entries]
        if _words_width(page, words) <= room:
            break
    return words


def _words_width(page: Page, words: Sequence[tuple[str, str]]) -> float:
    gaps = (len(words) - 1) * _WORD_GAP_PT * PX_PER_PT
    return sum(text_width(w, page.style.legend) for w, _ in words) + gaps


def _inline_legend(page: Page, head: Text, words: Sequence[tuple[str, str]]) -> None:
    """Coloured words at the right end of the title's line, the first one leftmost.

    Each word is placed at draw time against its right neighbour, so no text has to be
    measured here.
    """
    anchor, offset = (page.width - page.style.right, 0.0), (0.0, 0.5)
    coords: Any = (page.px, head)
    for word, colour in reversed(words):
        text = Annotation(
            word,
            xy=anchor,
            xycoords=coords,
            xytext=offset,
            textcoords="offset points",
            ha="right",
            va="bottom",
            color=colour,
            fontsize=page.style.legend,
        )
        page.add(text)
        anchor, coords, offset = (0.0, 0.0), text, (-_WORD_GAP_PT, 0.0)


def panel_legend(page: Page, lines: Sequence[Line2D]) -> None:
    """The curves' legend at the top right of the panel, in as few rows as fit."""
    style = page.style
    labels = [str(line.get_label()) for line in lines]
    # Its width in CSS px: per entry handle, pad and spacing (4 em) and text (0.55 em a
    # character); it may take three quarters of the width, beside the title.
    em = style.legend * PX_PER_PT
    width = sum(4.0 * em + 0.55 * em * len(t) for t in labels) - 1.6 * em
    rows = max(1, math.ceil(width / (0.75 * page.width)))
    ncol = math.ceil(len(lines) / rows)
    page.pool.legend(
        lines,
        labels,
        loc="upper right",
        bbox_to_anchor=(1 - style.right / page.width, 1 - 10 / page.height),
        ncol=ncol,
        frameon=False,
        fontsize=style.legend,
        labelcolor=page.palette.foreground,
        handlelength=2.0,
        handletextpad=0.4,
        columnspacing=1.6,
        borderaxespad=0.0,
        borderpad=0.2,
    )
