"""A compared function g drawn over f's filled contours: dashed contour lines of g at the
levels of f's bands (docs/protocol.md, "Compare").

Where a dashed line runs along the edge of f's band of the same level, f and g agree
there; the colour bar reads both. The lines come from contourpy (as `contour` draws
them) and are light with a dark outline, like the gradient arrows, so they show on every
colour of the map in both themes.
"""

from __future__ import annotations

from typing import cast

import contourpy
import numpy as np
from matplotlib import patheffects
from matplotlib.collections import LineCollection

from derivlens.plotting.draw import Box
from derivlens.plotting.scales import FloatArray

#: The dashes (on, off) and width of g's lines, in points; the outline's extra width.
DASHES = (0, (3.5, 2.0))
WIDTH = 1.1
OUTLINE = 1.2


def dashed_contours(
    box: Box, xyz: tuple[FloatArray, FloatArray, FloatArray], levels: FloatArray
) -> int:
    """g's (z's) contour lines at `levels`, dashed, clipped to `box`; how many pieces."""
    x, y, z = xyz
    if not np.isfinite(z).any():
        return 0
    generator = contourpy.contour_generator(
        x, y, np.ma.masked_invalid(z), name="serial", corner_mask=True,
        line_type=contourpy.LineType.Separate,
    )  # fmt: skip
    pieces: list[FloatArray] = []
    for level in levels:
        # LineType.Separate: a list of (n, 2) point arrays, one per line.
        found = cast(list[FloatArray], generator.lines(float(level)))
        pieces += [piece for piece in found if len(piece) > 1]
    if not pieces:
        return 0
    palette = box.page.palette
    lines = LineCollection(
        pieces,
        colors=palette.arrow,
        linewidths=WIDTH,
        linestyles=[DASHES],
        transform=box.data,
        zorder=2.8,
        capstyle="butt",
    )
    outline = patheffects.Stroke(linewidth=WIDTH + OUTLINE, foreground=palette.arrow_edge)
    lines.set_path_effects([outline, patheffects.Normal()])
    lines.set_rasterized(box.page.rasterize)
    box.add(lines)
    return len(pieces)
