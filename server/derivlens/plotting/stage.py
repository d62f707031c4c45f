"""Figures kept from one render to the next, their artists updated instead of rebuilt.

A `Stage` is a figure with its canvas for one look (theme, and the hover's or the
panel's layout) and a `Pool` of the artists its renders made. The drawing code asks the
pool for each text, curve, collection of rules and legend with the arguments it would
make it with; the pool hands back one made with exactly those arguments, updated with
what differs from render to render (see `Pool`):

- a text: its string, position and transform (tick labels, titles, row labels);
- a curve or markers: its data, transform (the box's limits), clip box and label;
- the grid, frame and zero lines of a kind: their segments;
- the panel's legend: its labels and anchor (one of as many entries, styles and columns);

or makes one as a new figure would. Contour bands, colour bars, arrows and annotations
are made anew each time. At the end the figure holds this render's artists in the order
a new figure would have them, so it draws the pixels a new figure draws (the tests
compare the bytes for every usual shape and look, after other shapes on the stage).

`prebuild` makes the stages of the usual looks, hover and panel, light and dark, and
builds the usual shapes on them: f with 1–4 derivatives, f with up to 3 outputs, a
surface; the light ones are drawn too, which fills `canvas`'s text caches. The sandbox's
worker runs it a look at a time while it is idle (`prebuild_steps`), then forks its
spares again: every later child starts with them, copy-on-write. A stage fits any
image size and pixel ratio; a request of another look (SVG, a panel too small for its
full layout) is drawn on a figure of its own, by the same code.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Hashable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np
from matplotlib.artist import Artist
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.lines import Line2D
from matplotlib.text import Text
from matplotlib.transforms import Transform, TransformedBbox

from derivlens import model
from derivlens.plotting import canvas as canvas_mod
from derivlens.plotting import fastpath, scales
from derivlens.plotting.canvas import Canvas, Legend, add_text, new_legend
from derivlens.plotting.usual import usual_shapes

__all__ = [
    "Pool",
    "Stage",
    "StageKey",
    "clear",
    "prebuild",
    "prebuild_steps",
    "stage_for",
    "stages",
    "suspended",
    "warm_child",
    "without_stages",
]

#: (theme, hover or panel, compact style): what a stage's artists are styled for.
StageKey = tuple[str, str, bool]
Signature = tuple[Any, ...]
#: Spare artists kept per signature between renders (a panel uses ~20 tick labels), and
#: signatures kept (the least recently used go; a look has ~40, sizes add legends).
_SPARE = 48
_SIGNATURES = 160
_SIGNATURE = "_derivlens_signature"


def _frozen(value: Any) -> Hashable:
    """`value` as a hashable key (dicts and lists by their items); TypeError if it cannot be."""
    if isinstance(value, dict):
        return tuple(sorted((k, _frozen(v)) for k, v in value.items()))
    if isinstance(value, (list, tuple)):
        return tuple(_frozen(v) for v in value)
    if isinstance(value, (str, int, float, bool, type(None))):
        return value
    raise TypeError(f"not a key: {type(value).__name__}")


def _signature(kind: str, kwargs: dict[str, Any], *extra: Any) -> Signature | None:
    items: Hashable
    try:
        items = tuple(sorted(kwargs.items()))
        hash(items)
    except TypeError:  # a dict or list among the values
        try:
            items = _frozen(kwargs)
        except TypeError:
            return None  # made fresh every time
    return (kind, items, *extra)


class Pool:
    """The artists of a figure, handed out again to requests made with the same arguments.

    `begin` frees the artists of the last render; `end` leaves the figure holding the
    ones asked for since, in the order they were asked for.
    """

    def __init__(self, fig: Figure) -> None:
        self.fig = fig
        self._free: dict[Signature, list[Artist]] = {}
        self._texts: list[Text] = []
        self._artists: list[Artist] = []
        self._legends: list[Legend] = []
        self.reused = 0
        self.created = 0

    def begin(self) -> None:
        for artist in (*self._texts, *self._artists, *self._legends):
            signature = getattr(artist, _SIGNATURE, None)
            if signature is not None:
                # The signatures used last go to the end (the least used are dropped first).
                spare = self._free.pop(signature, [])
                spare.append(artist)
                self._free[signature] = spare
        self._texts, self._artists, self._legends = [], [], []
        self.reused = self.created = 0

    def end(self) -> None:
        # Slice assignment: the artists' `_remove_method`s are these lists' own.
        self.fig.texts[:] = self._texts
        self.fig.artists[:] = self._artists
        self.fig.legends[:] = self._legends
        for spare in self._free.values():
            del spare[_SPARE:]
        while len(self._free) > _SIGNATURES:
            del self._free[next(iter(self._free))]
        self.fig.stale = True

    def _take(self, signature: Signature | None) -> Any:
        spare = self._free.get(signature) if signature is not None else None
        if spare:
            self.reused += 1
            return spare.pop(0)
        self.created += 1
        return None

    def text(self, x: float, y: float, s: str, *, transform: Transform, **kwargs: Any) -> Text:
        """`fig.text(x, y, s, transform=transform, **kwargs)`, or one made so, moved."""
        signature = _signature("text", kwargs)
        text: Text | None = self._take(signature)
        if text is None:
            text = add_text(self.fig, x, y, s, transform=transform, **kwargs)
            setattr(text, _SIGNATURE, signature)
        else:
            text.set_text(s)
            text.set_position((x, y))
            text.set_transform(transform)
        self._texts.append(text)
        return text

    def line(
        self, x: Any, y: Any, *, transform: Transform, clip: TransformedBbox, **kwargs: Any
    ) -> Line2D:
        """A `Line2D` of x, y in `transform`, clipped to `clip`, added to the figure."""
        label = kwargs.pop("label", None)
        signature = _signature("line", kwargs, label is not None)
        line: Line2D | None = self._take(signature)
        if line is None:
            if label is not None:
                kwargs["label"] = label
            line = Line2D(x, y, transform=transform, **kwargs)
            line.set_clip_box(clip)
            self.fig.add_artist(line)
            setattr(line, _SIGNATURE, signature)
        else:
            line.set_data(x, y)
            line.set_transform(transform)
            line.set_clip_box(clip)
            if label is not None:
                line.set_label(label)
        self._artists.append(line)
        return line

    def lines(
        self,
        segments: Any,
        *,
        transform: Transform,
        zorder: float,
        colors: list[str],
        linewidths: list[float],
        linestyles: list[Any],
    ) -> LineCollection:
        """A `LineCollection` made with these arguments, or one made with the same styles
        given these segments."""
        signature = _signature(
            "lines", {"colors": colors, "linewidths": linewidths, "linestyles": linestyles}, zorder
        )
        lines: LineCollection | None = self._take(signature)
        if lines is None:
            lines = LineCollection(
                segments,
                transform=transform,
                colors=colors,
                linewidths=linewidths,
                linestyles=linestyles,
                zorder=zorder,
            )
            self.fig.add_artist(lines)
            setattr(lines, _SIGNATURE, signature)
        else:
            lines.set_segments(segments)
            lines.set_transform(transform)
        self._artists.append(lines)
        return lines

    def add(self, artist: Artist) -> Artist:
        """A new artist, added to the figure (drawn in the order it was added)."""
        self.fig.add_artist(artist)
        self._artists.append(artist)
        return artist

    def legend(self, lines: Sequence[Line2D], labels: Sequence[str], **kwargs: Any) -> Legend:
        """`fig.legend(lines, labels, **kwargs)`; one made of as many entries in the same
        styles and columns, relabelled and anchored where this one goes.

        A legend is laid out in points, so the figure's size and dpi do not change it.
        """
        styles = tuple(getattr(line, _SIGNATURE, None) for line in lines)
        anchor = kwargs.pop("bbox_to_anchor")
        signature = None
        if None not in styles:
            signature = _signature("legend", kwargs, len(labels), styles)
        legend: Legend | None = self._take(signature)
        if legend is None:
            # As Figure.legend does it, with the legend whose layout is measured once.
            legend = new_legend(
                self.fig, list(lines), list(labels), bbox_to_anchor=anchor, **kwargs
            )
            setattr(legend, _SIGNATURE, signature)
        else:
            legend.relabel(list(labels))
            legend.set_bbox_to_anchor(anchor, self.fig.transSubfigure)
        self._legends.append(legend)
        return legend


class Stage:
    """A figure, its canvas and its pool, resized to each render's image."""

    def __init__(self, key: StageKey, background: str) -> None:
        self.key = key
        self.figure = Figure(
            figsize=(1.0, 1.0), dpi=100, facecolor=background, edgecolor=background
        )
        self.canvas = Canvas(self.figure)
        self.pool = Pool(self.figure)

    def fit(self, inches: tuple[float, float], dpi: float) -> None:
        """Make the figure `inches` at `dpi`, as `Figure(figsize=inches, dpi=dpi)` would be."""
        if self.figure.dpi != dpi:
            self.figure.set_dpi(dpi)
        if tuple(self.figure.get_size_inches()) != inches:
            self.figure.set_size_inches(*inches, forward=False)
        if self.figure.canvas is not self.canvas:  # someone drew it on a canvas of theirs
            self.figure.set_canvas(self.canvas)


_stages: dict[StageKey, Stage] = {}


def stages() -> dict[StageKey, Stage]:
    """The stages there are, by key."""
    return _stages


def stage_for(key: StageKey) -> Stage | None:
    return _stages.get(key)


def clear() -> None:
    """Forget every stage (a render then builds a figure of its own)."""
    _stages.clear()


@contextmanager
def without_stages() -> Iterator[None]:
    """No stage while inside: every render builds a figure of its own."""
    kept = dict(_stages)
    _stages.clear()
    try:
        yield
    finally:
        _stages.clear()
        _stages.update(kept)


@contextmanager
def suspended() -> Iterator[None]:
    """No stage and no text caches while inside: a render as matplotlib alone draws it."""
    fastpath.ensure_decided()  # not inside, where it would turn the fast path on
    fast = canvas_mod.FAST
    canvas_mod.FAST = False
    try:
        with without_stages():
            yield
    finally:
        canvas_mod.FAST = fast


#: The looks that get a stage: (theme, hover or panel, compact style).
LOOKS: tuple[StageKey, ...] = (
    ("light", "hover", True),
    ("dark", "hover", True),
    ("light", "panel", False),
    ("dark", "panel", False),
)
#: The panel's pixel ratios drawn in the warm-up: a HiDPI screen's, and a slider preview's.
PANEL_SCALES = (2.0, 1.0)


def prebuild(*, draw: bool = True) -> dict[StageKey, Stage]:
    """Make a stage for each look and build the usual shapes on it (see the module),
    all at once (`prebuild_steps` does it a look at a time)."""
    started = time.perf_counter()
    for _ in prebuild_steps(draw=draw):
        pass
    global prebuild_seconds
    prebuild_seconds = time.perf_counter() - started
    return _stages


def prebuild_steps(*, draw: bool = True) -> Iterator[StageKey]:
    """Build the stages in steps of a shape or a vocabulary each (~10–60 ms), yielding
    the look after each, so that the sandbox's worker can do it between requests.

    The pools need each kind of artist once, so each stage gets the largest shape of
    each kind drawn (f with 4 derivatives, f with 3 outputs, a surface; the smaller ones
    reuse a subset), and the panel's f with 1–4 derivatives built, for their legends.
    Drawing fills the text caches, which the themes share, so only the light stages are
    drawn (curves and surfaces), at the pixel ratios the hover (2) and the panel (2, and
    1 for a slider's preview) use; the dark ones are built; and the usual tick labels
    are measured at those ratios (`tick_vocabulary`). The garbage collector waits
    during each step: nothing made here is garbage, and a pass over torch's objects
    costs ~100 ms.
    """
    fastpath.ensure_decided()
    largest, smaller = usual_shapes()
    for key in LOOKS:
        steps = _prebuild_look(key, largest, smaller, draw)
        while True:
            collecting = gc.isenabled()
            gc.disable()
            try:
                next(steps)
            except StopIteration:
                break
            finally:
                if collecting:
                    gc.enable()
            yield key


def _prebuild_look(
    key: StageKey, largest: list[model.Result], smaller: list[model.Result], draw: bool
) -> Iterator[None]:
    from derivlens.plotting import build_figure
    from derivlens.plotting.style import COMPACT, FULL, PALETTES, PX_PER_INCH

    theme, size, _compact = key
    if key not in _stages:
        _stages[key] = Stage(key, PALETTES[theme].background)
    panel = size == "panel"
    for scale in PANEL_SCALES if panel else (2.0,):
        spec = model.Render(
            format="png",
            theme=theme,  # type: ignore[arg-type]
            size=size,  # type: ignore[arg-type]
            width=500 if panel else None,
            height=300 if panel else None,
            scale=scale,
        )
        for result in largest:
            drawing = build_figure(result, spec)
            # Vector results share the curves' texts but for their legends' words.
            if draw and theme == "light" and not isinstance(result, model.VectorCurvesResult):
                canvas_mod.canvas_for(drawing.figure).draw()
            yield
        # The legends (of any size and pixel ratio) for 2–5 rows, in one row of
        # entries (a short name) or two.
        for result in smaller if panel and scale == PANEL_SCALES[0] else ():
            build_figure(result, spec)
        yield
        if draw and theme == "light":
            style = COMPACT if not panel else FULL
            prop = FontProperties(size=style.tick)
            canvas_mod.remember_texts(tick_vocabulary(), prop, PX_PER_INCH * scale)
            yield


def tick_vocabulary() -> list[str]:
    """The tick labels of the usual steps (0.1 to 1000, as `scales` labels them) from −6
    to 6 steps: most labels a plot shows, measured before the fork (~0.3 ms each, which
    a child would pay for each label it had not seen)."""
    words: set[str] = set()
    for step in (0.1, 0.2, 0.25, 0.5, 1, 2, 2.5, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000):
        words.update(scales.tick_labels(np.arange(-6, 7, dtype=np.float64) * step)[0])
    return sorted(words)


def warm_child() -> None:
    """In a forked child waiting for its request: write each stage's image buffers once,
    so that the child's own copies of them are made now, not while a request waits."""
    for kept in _stages.values():
        kept.canvas.touch()


#: How long the last `prebuild` took (for the benchmark).
prebuild_seconds: float | None = None
