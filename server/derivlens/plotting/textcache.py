"""The tables `canvas` keeps its text work in: bounded, process-wide, inherited by forks.

Kept apart from `canvas` (which fills them through matplotlib's private names) so that
what holds the values, and empties them when the fast path is turned off, uses none.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "LIMIT",
    "Key",
    "cache_sizes",
    "clear",
    "fonts",
    "glyphs",
    "heights",
    "layouts",
    "metrics",
    "remember",
    "text_layouts",
    "used_fonts",
]

#: Entries kept per table: far more than a session draws (tick labels, a few font sizes
#: and pixel ratios), small (a glyph bitmap is a few hundred bytes), and bounded.
LIMIT = 20_000
Key = tuple[Any, ...]

#: A string's extent, by string, font, dpi and hinting.
metrics: dict[Key, tuple[float, float, float]] = {}
#: A font's ascent, descent and line gap in pixels.
heights: dict[Key, Any] = {}
#: A string's glyphs: (font id, glyph index, x, y) each.
layouts: dict[Key, list[tuple[Any, int, float, float]]] = {}
#: A glyph's coverage bitmap and its offset, per sub-pixel position.
glyphs: dict[Key, Any] = {}
#: A text's layout around its anchor (`canvas.Text`).
text_layouts: dict[Key, Any] = {}
#: Fonts by the files they are read from, and the fonts layouts named, by file and face.
fonts: dict[Key, Any] = {}
used_fonts: dict[Any, Any] = {}


def remember(table: dict[Any, Any], key: Any, value: Any) -> Any:
    """`table[key] = value`, the table emptied first when it is full; returns `value`."""
    if len(table) >= LIMIT:
        table.clear()
    table[key] = value
    return value


def cache_sizes() -> dict[str, int]:
    """How many entries each text table holds (for the benchmark and tests)."""
    return {
        "metrics": len(metrics),
        "heights": len(heights),
        "layouts": len(layouts),
        "glyphs": len(glyphs),
        "text layouts": len(text_layouts),
    }


def clear() -> None:
    """Forget everything the fast path computed (it was turned off, or is checked anew)."""
    for table in (metrics, heights, layouts, glyphs, text_layouts, fonts, used_fonts):
        table.clear()
