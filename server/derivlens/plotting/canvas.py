"""The Agg canvas every PNG is drawn on, with its text work remembered: the one module
that uses matplotlib's private names.

Text is most of what a plot here costs to draw (a hover has ~15 labels, a panel ~25),
and almost all of it is the same work again: measuring a label, laying its glyphs out,
rasterizing each glyph. `Renderer` keeps the results in `textcache`'s tables, keyed by
everything they depend on, so a label drawn once (in the worker's warm-up, before the
fork, or earlier in this process) costs a table look-up:

- a string's extent and a font's ascent, descent and line gap (`_get_font_height_metrics`,
  which matplotlib otherwise reads from the font's tables for every text it lays out);
- a string's glyphs and their advances (`FT2Font._layout`), and a text's layout around
  its anchor (`Text._get_layout`, for the texts of this module's `Text`);
- a glyph's coverage bitmap per sub-pixel position: FreeType rasterizes a glyph moved by
  whole pixels to the same bitmap, moved, so a hit is exact;
- the fonts themselves, read from memory (`font_for`): a forked child uses the worker's,
  already opened and analysed by FreeType's auto-hinter.

`Legend` measures its boxes once instead of at every draw and level, and `Canvas` keeps
a renderer per image size. Every value is what matplotlib computes itself, by the same
calls, so the pixels are the ones it draws. These are matplotlib's internals, though:
all of it is used only while `FAST` is on, which `fastpath` decides (a release this was
tested on, whose reference figure comes out pixel for pixel as plain Agg draws it;
docs/protocol.md, "Drawing"). While it is off, this is plain Agg through public API.
"""

from __future__ import annotations

import io
import math
import os
from collections.abc import Callable, Iterable
from typing import Any

import matplotlib
import numpy as np
from matplotlib import font_manager
from matplotlib.backends.backend_agg import FigureCanvasAgg, RendererAgg, get_hinting_flag
from matplotlib.font_manager import FontProperties
from matplotlib.ft2font import FT2Font
from matplotlib.legend import Legend as _MplLegend
from matplotlib.offsetbox import OffsetBox
from matplotlib.text import Text as _MplText

from derivlens.plotting import textcache
from derivlens.plotting.textcache import Key, cache_sizes, remember

__all__ = [
    "FAST",
    "Canvas",
    "Legend",
    "Renderer",
    "Text",
    "add_text",
    "cache_sizes",
    "canvas_for",
    "new_legend",
    "remember_texts",
]

#: Whether the fast path is on: off until `fastpath` has checked it in this process.
FAST = False
#: An FT2Font: its private methods used here are not in matplotlib's type stubs.
Font = Any
_MEMO = "_get_bbox_and_child_offsets"
#: The layouts table under its old name (a sandbox test's user code looks into it).
_layouts = textcache.layouts


def _font_key(prop: FontProperties) -> Key:
    """Everything of `prop` that picks the font and its size (as its own hash does)."""
    return (
        tuple(prop.get_family()),
        prop.get_slant(),
        prop.get_variant(),
        prop.get_weight(),
        prop.get_stretch(),
        prop.get_size_in_points(),
        prop.get_file(),
        prop.get_math_fontfamily(),
    )


def _rc_key() -> Key:
    """The settings that change how text is hinted and spaced."""
    rc = matplotlib.rcParams
    return (get_hinting_flag(), rc["text.hinting_factor"], rc["text.kerning_factor"])


class Renderer(RendererAgg):
    """`RendererAgg` that remembers text measurements, layouts and glyph bitmaps."""

    def get_text_width_height_descent(self, s: str, prop: FontProperties, ismath: Any) -> Any:
        if not FAST or ismath:
            return super().get_text_width_height_descent(s, prop, ismath)
        key = (s, _font_key(prop), self.dpi, _rc_key())
        hit = textcache.metrics.get(key)
        if hit is None:
            value = super().get_text_width_height_descent(s, prop, ismath)
            hit = remember(textcache.metrics, key, value)
        return hit

    def _get_font_height_metrics(self, prop: FontProperties) -> Any:
        """The font's ascent, descent and line gap in pixels, as `Text._get_layout` reads
        them from its OS/2 or hhea table when the renderer has no such method."""
        if not FAST:
            return None, None, None
        key = (_font_key(prop), self.dpi, _rc_key())
        hit = textcache.heights.get(key)
        if hit is None:
            hit = remember(textcache.heights, key, _height_metrics(prop, self.dpi))
        return hit

    def draw_text(
        self,
        gc: Any,
        x: float,
        y: float,
        s: str,
        prop: FontProperties,
        angle: float,
        ismath: Any = False,
        mtext: Any = None,
    ) -> None:
        if not FAST or ismath:
            super().draw_text(gc, x, y, s, prop, angle, ismath=ismath, mtext=mtext)
            return
        # RendererAgg.draw_text and _draw_text_glyphs_and_boxes, with their results kept.
        rc = _rc_key()
        features = mtext.get_fontfeatures() if mtext is not None else None
        language = mtext.get_language() if mtext is not None else None
        key = (s, _font_key(prop), self.dpi, rc, features, language)
        items = textcache.layouts.get(key)
        if items is None:
            items = remember(textcache.layouts, key, self._glyphs(s, prop, features, language))
        cos, sin, matrix = _rotation(angle)
        shape = (matrix, prop.get_size_in_points(), self.dpi, rc, gc.get_antialiased())
        height = self.height
        for face, glyph, dx, dy in items:
            # 26.6 fixed point, as FreeType is given it; FreeType's y is upwards.
            px = round(0x40 * (x + dx * cos - dy * sin))
            py = round(0x40 * (height - y + dx * sin + dy * cos))
            gkey = (face, glyph, shape, px & 63, py & 63)
            hit = textcache.glyphs.get(gkey)
            if hit is None:
                if face not in textcache.used_fonts:  # not met yet: a layout names it
                    self._glyphs(s, prop, features, language)
                hit = remember(textcache.glyphs, gkey, _render(face, glyph, shape, px, py))
            buffer, left, top = hit
            # draw_text_image's y is downwards and the bitmap's bottom side.
            self._renderer.draw_text_image(
                buffer, left + (px >> 6), int(height) - (top + (py >> 6)) + buffer.shape[0], 0, gc
            )

    def _prepare_font(self, font_prop: FontProperties) -> Font:
        """RendererAgg's, with a font read from memory (see `font_for`)."""
        if not FAST:
            return super()._prepare_font(font_prop)
        font = font_for(font_manager.fontManager._find_fonts_by_props(font_prop))
        font.clear()
        font.set_size(font_prop.get_size_in_points(), self.dpi)
        return font

    def _glyphs(
        self, s: str, prop: FontProperties, features: Any, language: Any
    ) -> list[tuple[Any, int, float, float]]:
        """`FT2Font._layout` of `s` as (font id, glyph, x, y), noting the fonts it uses."""
        laid = self._prepare_font(prop)._layout(
            s, flags=get_hinting_flag(), features=features, language=language
        )
        for item in laid:
            textcache.used_fonts.setdefault(_font_id(item.ft_object), item.ft_object)
        return [(_font_id(i.ft_object), i.glyph_index, i.x, i.y) for i in laid]


def _render(face: Any, glyph: int, shape: Key, px: int, py: int) -> tuple[Any, int, int]:
    """A glyph's coverage bitmap at (px, py) in 26.6, and its offset from the whole pixel."""
    from matplotlib.ft2font import RenderMode

    matrix, size, dpi, rc, antialiased = shape
    font = textcache.used_fonts[face]
    font.set_size(size, dpi)
    font._set_transform(np.array(matrix).reshape(2, 2), [px, py])
    bitmap = font._render_glyph(glyph, rc[0], RenderMode.NORMAL if antialiased else RenderMode.MONO)
    buffer = np.array(bitmap.buffer, dtype=np.uint8)
    if not antialiased:
        buffer *= 0xFF
    return buffer, bitmap.left - (px >> 6), bitmap.top - (py >> 6)


_rotations: dict[float, tuple[float, float, tuple[int, ...]]] = {}


def _rotation(angle: float) -> tuple[float, float, tuple[int, ...]]:
    """cos, sin and FreeType's 16.16 matrix (as _draw_text_glyphs_and_boxes rounds it)."""
    hit = _rotations.get(angle)
    if hit is None:
        cos, sin = math.cos(math.radians(angle)), math.sin(math.radians(angle))
        matrix = (0x10000 * np.array([[cos, -sin], [sin, cos]])).round().astype(int)
        hit = remember(_rotations, angle, (cos, sin, tuple(int(v) for v in matrix.ravel())))
    return hit


def _height_metrics(
    prop: FontProperties, dpi: float
) -> tuple[float, float, float] | tuple[None, None, None]:
    """What `Text._get_layout` computes from the font's tables."""
    font = font_for(font_manager.fontManager._find_fonts_by_props(prop))
    for table_name, gap_key, ascent_key, descent_key in (
        ("OS/2", "sTypoLineGap", "sTypoAscender", "sTypoDescender"),
        ("hhea", "lineGap", "ascent", "descent"),
    ):
        table = font.get_sfnt_table(table_name)
        if table is None:
            continue
        fontsize = prop.get_size_in_points()
        units_per_em = font.get_sfnt_table("head")["unitsPerEm"]
        scale = 1 / units_per_em * fontsize * dpi / 72
        return table[ascent_key] * scale, -table[descent_key] * scale, table[gap_key] * scale
    return None, None, None


def remember_texts(strings: Iterable[str], prop: FontProperties, dpi: float) -> None:
    """Measure and lay out `strings` in `prop` at `dpi` now, as a draw would (the glyphs,
    which depend on where a text lands, are rendered when drawn)."""
    if not FAST:
        return
    renderer = Renderer(1, 1, dpi)
    rc = _rc_key()
    for s in strings:
        renderer.get_text_width_height_descent(s, prop, False)
        key = (s, _font_key(prop), renderer.dpi, rc, None, None)
        if key not in textcache.layouts:
            remember(textcache.layouts, key, renderer._glyphs(s, prop, None, None))


# --- fonts read from memory ----------------------------------------------------------------
# FreeType reads a font opened from a file through a descriptor that a parent and its
# forked children would share, so matplotlib opens its fonts again in each child, and a
# font's first hinted glyph there costs more (the auto-hinter analyses the face).
# `font_for` opens them from bytes instead, as `font_manager._get_font` does from files;
# the same bytes make the same glyphs.


def _font_id(font: Font) -> tuple[Any, int]:
    source = font.fname
    return (getattr(source, "path", source), font.face_index)


class _FontFile(io.BytesIO):
    """A font file's bytes, for FreeType to read as it would the file."""

    def __init__(self, data: bytes, path: str) -> None:
        super().__init__(data)
        self.path = path


_font_bytes: dict[str, bytes] = {}
_realpaths: dict[Any, str] = {}


def font_for(font_filepaths: Any) -> Font:
    """What `font_manager.get_font` returns, read from memory: the worker's fonts,
    analysed and sized, serve its children as they are."""
    rc = matplotlib.rcParams
    paths = tuple(
        (_realpath(f.path), f.face_index)
        if isinstance(f, font_manager.FontPath)
        else (_realpath(f), 0)
        for f in font_filepaths
    )
    key = (paths, rc["text.kerning_factor"], rc["font.enable_last_resort"])
    font = textcache.fonts.get(key)
    if font is None:
        font = remember(textcache.fonts, key, _new_font(paths, *key[1:]))
    # As get_font does: the transform is always reset.
    font._set_transform([[0x10000, 0], [0, 0x10000]], [0, 0])
    return font


def _realpath(path: Any) -> str:
    """`os.path.realpath`, remembered (as matplotlib's own font cache does)."""
    real = _realpaths.get(path)
    if real is None:
        real = remember(_realpaths, path, os.path.realpath(path))
    return real


def _new_font(paths: tuple[tuple[str, int], ...], kerning: Any, last_resort: bool) -> Font:
    """`font_manager._get_font`, on `_FontFile`s."""

    def source(path: str) -> _FontFile:
        data = _font_bytes.get(path)
        if data is None:
            with open(path, "rb") as file:
                data = _font_bytes[path] = file.read()
        return _FontFile(data, path)

    (first, first_index), *rest = paths
    fallback = [FT2Font(source(p), face_index=i, _kerning_factor=kerning) for p, i in rest]
    last_path = _realpath(
        os.path.join(matplotlib.get_data_path(), "fonts", "ttf", "LastResortHE-Regular.ttf")
    )
    try:
        last_index = paths.index((last_path, 0))
    except ValueError:
        last_index = -1
        if last_resort:
            fallback.append(FT2Font(source(last_path), _kerning_factor=kerning, _warn_if_used=True))
            last_index = len(fallback)
    font = FT2Font(
        source(first), face_index=first_index, _fallback_list=fallback, _kerning_factor=kerning
    )
    if last_index == 0:
        font.set_charmap(0)
    elif last_index > 0:
        fallback[last_index - 1].set_charmap(0)
    return font


# --- the canvas, texts and legends ---------------------------------------------------------


class Canvas(FigureCanvasAgg):
    """`FigureCanvasAgg` drawing with `Renderer`, one kept for each of the last few image
    sizes (a panel alternates between its size at the screen's pixel ratio and at 1,
    for slider previews); each draw clears its renderer first."""

    _KEEP = 3

    def get_renderer(self) -> RendererAgg:
        if not FAST:
            return super().get_renderer()
        w, h = self.get_width_height(physical=True)
        key = w, h, self.figure.dpi
        if self._lastKey != key or not isinstance(getattr(self, "renderer", None), Renderer):
            kept: dict[Any, Renderer] = self.__dict__.setdefault("_renderers", {})
            renderer = kept.pop(key, None) or Renderer(w, h, self.figure.dpi)
            kept[key] = renderer
            while len(kept) > self._KEEP:
                del kept[next(iter(kept))]
            self.renderer = renderer
            self._lastKey = key
        return self.renderer

    def touch(self) -> None:
        """Write every kept renderer's buffer once (a forked child's copies are made now)."""
        for renderer in self.__dict__.get("_renderers", {}).values():
            renderer.clear()


def canvas_for(fig: Any) -> FigureCanvasAgg:
    """The figure's canvas if it is a `Canvas`, else a new one attached to it."""
    canvas = fig.canvas
    return canvas if isinstance(canvas, Canvas) else Canvas(fig)


class Text(_MplText):
    """matplotlib's `Text`, whose layout is remembered.

    `_get_layout` places the lines of a text relative to its anchor (not where the
    anchor is), from its string, font, alignment and rotation and the renderer's
    metrics; `draw` and `get_window_extent` ask for it every time.
    """

    def _get_layout(self, renderer: Any) -> Any:
        text: Any = self  # its private state, as Text._get_layout reads it
        if not FAST or text._wrap:
            return super()._get_layout(renderer)  # type: ignore[misc]
        key = (
            self.get_text(),
            _font_key(text._fontproperties),
            text.get_figure(root=True).dpi,
            type(renderer),
            getattr(renderer, "dpi", None),
            self.get_usetex(),
            text._parse_math,
            text._linespacing,
            text._get_multialignment(),
            self.get_rotation(),
            text._horizontalalignment,
            text._verticalalignment,
            self.get_rotation_mode(),
            _rc_key(),
        )
        hit = textcache.text_layouts.get(key)
        if hit is None:
            layout = super()._get_layout(renderer)  # type: ignore[misc]
            hit = remember(textcache.text_layouts, key, layout)
        return hit


def add_text(fig: Any, x: float, y: float, s: str, **kwargs: Any) -> _MplText:
    """`fig.text(x, y, s, **kwargs)` (kwargs with a transform), as a `Text` of this module."""
    if not FAST:
        return fig.text(x, y, s, **kwargs)
    from matplotlib.figure import _stale_figure_callback  # type: ignore[attr-defined]

    # What Figure.text does, with the class changed.
    text: Any = Text(x=x, y=y, text=s, **kwargs)
    text.set_figure(fig)
    text.stale_callback = _stale_figure_callback
    fig.texts.append(text)
    text._remove_method = fig.texts.remove
    fig.stale = True
    return text


def new_legend(fig: Any, lines: list[Any], labels: list[str], **kwargs: Any) -> Legend:
    """A `Legend` of `fig`, made as `Figure.legend` makes one but not yet in `fig.legends`
    (the caller places it, see `stage.Pool`)."""
    legend = Legend(fig, lines, labels, bbox_transform=fig.transSubfigure, **kwargs)
    if FAST:  # so that `legend.remove()` works, as it does for Figure.legend's
        legend._remove_method = fig.legends.remove  # type: ignore[attr-defined]
    return legend


class Legend(_MplLegend):
    """matplotlib's legend, whose boxes are measured once, not at every draw and level.

    Its packers ask their children for their boxes when they are measured and again when
    they are drawn, at every level of nesting. A box's size (not where it goes, which
    the legend works out at each draw from the figure's size) depends only on its
    children and on the renderer's dpi and metrics, so each box's answer is kept per
    kind of renderer and dpi until `relabel` changes a child.
    """

    def draw(self, renderer: Any) -> None:
        if FAST and not hasattr(self, "_kept"):
            self._kept: dict[Key, Any] = {}
            for box in _offset_boxes(self._legend_box):  # type: ignore[attr-defined]
                if _MEMO in type(box).__dict__:  # the packers
                    box.__dict__[_MEMO] = _memo(getattr(box, _MEMO), self._kept)
        super().draw(renderer)

    def relabel(self, labels: list[str]) -> None:
        """New texts for the entries (as many as there are), as if it were made with them.

        The boxes measured for the labels before are kept for when they come back (up
        to `KEPT_LABELS` sets of labels): a session draws the same few functions."""
        before = tuple(text.get_text() for text in self.texts)
        changed = False
        for text, label in zip(self.texts, labels, strict=True):
            if text.get_text() != label:
                text.set_text(label)
                changed = True
        if changed:
            for handle, label in zip(self.legend_handles, labels, strict=True):
                if handle is not None:
                    handle.set_label(label)
            if hasattr(self, "_kept"):
                by_labels = self.__dict__.setdefault("_kept_by_labels", {})
                by_labels[before] = dict(self._kept)
                while len(by_labels) > KEPT_LABELS:
                    del by_labels[next(iter(by_labels))]
                self._kept.clear()
                self._kept.update(by_labels.pop(tuple(labels), {}))
            self.stale = True


#: Sets of legend labels whose measured boxes a legend keeps (see `Legend.relabel`).
KEPT_LABELS = 32


def _offset_boxes(box: Any) -> list[OffsetBox]:
    found, todo = [], [box]
    while todo:
        item = todo.pop()
        if isinstance(item, OffsetBox):
            found.append(item)
            todo.extend(item.get_children())
    return found


def _memo(method: Any, kept: dict[Key, Any]) -> Callable[[Any], Any]:
    def remembered(renderer: Any) -> Any:
        if not FAST:
            return method(renderer)
        key = (id(method.__self__), type(renderer), renderer.points_to_pixels(1.0), _rc_key())
        if key not in kept:
            kept[key] = method(renderer)
        return kept[key]

    return remembered
