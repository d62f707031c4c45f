"""What the f row shows beside f: its inflection points, and the Taylor polynomial asked
for (docs/protocol.md, "Inflection points", "Taylor and tangent").

Inflection points are filled diamonds on f in its colour (critical points are open
circles), as many as critical points may be. The polynomial is drawn dashed over f
within a quarter of the x range either side of x0, clipped to the row (its y limits are
f's own, so a steep polynomial never squashes f), and x0 is marked by a dot on f.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from matplotlib.lines import Line2D

from derivlens import model
from derivlens.plotting import scales
from derivlens.plotting.draw import Box
from derivlens.plotting.scales import FloatArray

#: How far either side of x0 the polynomial is drawn, as a part of the x range.
REACH = 0.25


@dataclass(frozen=True)
class Overlays:
    """The f row's extras for a scalar f."""

    inflection: FloatArray
    taylor: model.Taylor | None = None

    @classmethod
    def of(cls, result: model.CurvesResult) -> Overlays:
        return cls(scales.array(result.inflection_points), result.taylor)


def draw(box: Box, x: FloatArray, f: FloatArray, colour: str, extras: Overlays) -> list[Line2D]:
    """The inflection points and the polynomial on the f row; the polynomial's line (for
    the legend), if drawn."""
    page = box.page
    ok = np.isfinite(x) & np.isfinite(f)
    lo, hi = box.xlim
    points = extras.inflection[(extras.inflection >= lo) & (extras.inflection <= hi)]
    if ok.any() and 0 < points.size <= page.style.markers:
        box.line(
            points,
            np.interp(points, x[ok], f[ok]),
            linestyle="none",
            marker="D",
            markersize=page.style.marker * 0.8,
            color=colour,
            markeredgewidth=0.0,
            zorder=3,
        )
    taylor = extras.taylor
    if taylor is None:
        return []
    near = np.abs(x - taylor.at) <= REACH * (hi - lo)
    label = "tangent" if taylor.order == 1 else f"Taylor, order {taylor.order}"
    line = box.line(
        x[near],
        scales.array(taylor.values)[near],
        color=page.palette.foreground,
        linewidth=page.style.line * 0.9,
        linestyle=(0, (4, 2)),
        label=f"{label} at {scales.fmt_value(taylor.at)}",
        zorder=2.5,
    )
    box.line(
        np.array([taylor.at]),
        np.array([taylor.coefficients[0]]),
        linestyle="none",
        marker="o",
        markersize=page.style.marker * 0.9,
        color=page.palette.foreground,
        zorder=3.5,
    )
    return [line]
