"""Fonts read from memory, so a forked child draws with its parent's fonts as they are.

Part of `canvas`'s text work: FreeType reads a font opened from a file through a
descriptor that a parent and its forked children would share, so matplotlib opens its
fonts again in each child, and a font's first hinted glyph there costs ~2 ms more (the
auto-hinter analyses the face). `font_for` opens them from bytes instead, as matplotlib
3.11's `font_manager._get_font` does from files; the same bytes make the same glyphs.
"""

from __future__ import annotations

import io
import os
from typing import Any

import matplotlib
from matplotlib import font_manager
from matplotlib.ft2font import FT2Font

__all__ = ["LIMIT", "Font", "Key", "font_for", "font_id", "remember", "used"]

#: Entries kept per table: far more than a session draws (tick labels, a few font sizes
#: and pixel ratios), small (a glyph bitmap is a few hundred bytes), and bounded.
LIMIT = 20_000
Key = tuple[Any, ...]
#: An FT2Font: its private 3.11 methods used by `canvas` (`_layout`, `_render_glyph`,
#: `_set_transform`) are not in matplotlib's type stubs.
Font = Any


def remember(table: dict[Any, Any], key: Any, value: Any) -> Any:
    """`table[key] = value`, the table emptied first when it is full; returns `value`."""
    if len(table) >= LIMIT:
        table.clear()
    table[key] = value
    return value


def font_id(font: Font) -> tuple[Any, int]:
    source = font.fname
    return (getattr(source, "path", source), font.face_index)


#: The fonts glyphs are rendered with, by file and face: those a layout named
#: (`canvas.Renderer` notes them).
used: dict[tuple[Any, int], Font] = {}


class _FontFile(io.BytesIO):
    """A font file's bytes, for FreeType to read as it would the file."""

    def __init__(self, data: bytes, path: str) -> None:
        super().__init__(data)
        self.path = path


_font_bytes: dict[str, bytes] = {}
_memory_fonts: dict[Key, Font] = {}


def font_for(font_filepaths: Any) -> Font:
    """What `font_manager.get_font` returns (matplotlib 3.11), read from memory: the
    worker's fonts, analysed and sized, serve its children as they are."""
    rc = matplotlib.rcParams
    paths = tuple(
        (_realpath(f.path), f.face_index)
        if isinstance(f, font_manager.FontPath)
        else (_realpath(f), 0)
        for f in font_filepaths
    )
    key = (paths, rc["text.kerning_factor"], rc["font.enable_last_resort"])
    font = _memory_fonts.get(key)
    if font is None:
        font = remember(_memory_fonts, key, _new_font(paths, *key[1:]))
    # As get_font does: the transform is always reset.
    font._set_transform([[0x10000, 0], [0, 0x10000]], [0, 0])
    return font


_realpaths: dict[Any, str] = {}


def _realpath(path: Any) -> str:
    """`os.path.realpath`, remembered (as matplotlib's own font cache does)."""
    real = _realpaths.get(path)
    if real is None:
        real = remember(_realpaths, path, os.path.realpath(path))
    return real


def _new_font(paths: tuple[tuple[str, int], ...], kerning: Any, last_resort: bool) -> Font:
    """matplotlib 3.11's `font_manager._get_font`, on `_FontFile`s."""

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
