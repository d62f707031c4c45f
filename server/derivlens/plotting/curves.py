"""f of one variable: f and each derivative in stacked rows that share the x axis.

Each row has its own y scale, so f⁽⁴⁾ = 24 stays readable next to an f that reaches 625;
spikes inside the domain (poles) are clipped to the bulk of the values. The hover shows
the f and f′ rows only, and its subtitle names the rows left for the panel. A row holds
one trace per output of f: one for a scalar f (`draw_curves`), several for a
vector-valued one (`vector.draw_vector`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import TypeVar

import numpy as np
from matplotlib.lines import Line2D
from numpy.typing import NDArray

from derivlens import model
from derivlens.plotting import overlays, scales
from derivlens.plotting.draw import Box, Page, fitted_ticks, header, panel_legend
from derivlens.plotting.scales import FloatArray, Limits
from derivlens.plotting.style import PRIMES, PX_PER_PT

T = TypeVar("T")


@dataclass(frozen=True)
class Trace:
    """One curve of a row; `label` names it in the legend, `tag` where room is short."""

    y: FloatArray
    colour: str
    label: str
    tag: str = ""
    dashed: bool = False  # a compared function's curve (docs/protocol.md, "Compare")


@dataclass(frozen=True)
class Row:
    order: int
    traces: tuple[Trace, ...]
    colour: str  # of the row's label (f, f′, ...)
    name: str = ""  # a row that is not f or a derivative (f − g): its label and box name

    def label(self, function: str) -> str:
        """The row's label and its plot area's name: f, f′, … or its own name."""
        return self.name or short(function) + PRIMES[self.order]


@dataclass(frozen=True)
class Curves:
    """What the rows show, whatever the number of outputs."""

    name: str  # the function's name
    var: str
    x: FloatArray
    domain: Limits
    rows: list[Row]
    subtitle: list[str]
    #: x of the critical points to mark on f, one array per trace of the f row.
    critical: list[FloatArray] = field(default_factory=list)
    guides: bool = False  # dashed lines through the critical points in every row
    per_component: bool = False  # the legend names the traces of one row, not the rows
    extras: overlays.Overlays | None = None  # a scalar f's inflection points and polynomial


def draw_curves(page: Page, result: model.CurvesResult) -> tuple[model.AxesBox, ...]:
    """A scalar f: one trace per row, coloured by the derivative's order."""
    name = result.function or "f"
    var = result.variables[0]
    rows = []
    for order, values in by_order(result.f, result.derivatives, result.order):
        colour = page.palette.curves[order]
        label = f"{name}{PRIMES[order]}({var})"
        rows.append(Row(order, (Trace(scales.array(values), colour, label),), colour))
    if result.compare is not None:
        rows = compared_rows(page, result, rows)
    curves = Curves(
        name=name,
        var=var,
        x=scales.array(result.x),
        domain=result.domain,
        rows=rows,
        subtitle=subtitle(result.fixed, result.method) + compared_note(result),
        critical=[scales.array(result.critical_points)],
        guides=True,
        extras=overlays.Overlays.of(result),
    )
    return draw_rows(page, curves)


def compared_rows(page: Page, result: model.CurvesResult, rows: list[Row]) -> list[Row]:
    """The rows with g overlaid, dashed in each row's colour, and a last row for f − g
    (docs/protocol.md, "Compare")."""
    assert result.compare is not None
    compared, var = result.compare, result.variables[0]
    out = []
    for row in rows:
        values = compared.f if row.order == 0 else compared.derivatives.get(str(row.order))
        if values is not None:  # one legend entry, g's: its derivatives are unlabelled
            label = f"{compared.function}({var})" if row.order == 0 else ""
            dashed = Trace(scales.array(values), row.colour, label, dashed=True)
            row = replace(row, traces=(*row.traces, dashed))
        out.append(row)
    colour = page.palette.foreground
    label = f"{result.function or 'f'} − {compared.function}"
    difference = Trace(scales.array(compared.difference), colour, label)
    return [*out, Row(0, (difference,), colour, name="f − g")]


def compared_note(result: model.CurvesResult) -> list[str]:
    """The subtitle's word on the dashed curves, when a function is compared."""
    return [f"dashed: {result.compare.function}"] if result.compare is not None else []


def by_order(f: T, derivatives: dict[str, T], order: int) -> list[tuple[int, T]]:
    """f and its derivatives up to `order` (at most the fourth), keyed by their order."""
    orders = range(1, min(order, len(PRIMES) - 1) + 1)
    return [(0, f)] + [(k, derivatives[str(k)]) for k in orders if str(k) in derivatives]


def subtitle(fixed: dict[str, model.FixedValue], method: model.Method) -> list[str]:
    """The held parameters' values, and a word if the derivatives are approximate."""
    parts = []
    if fixed:
        parts.append(", ".join(f"{k} = {scales.fmt_value(v)}" for k, v in fixed.items()))
    if method == "finite-difference":
        parts.append("finite differences")
    return parts


def short(name: str) -> str:
    """The function's name for compact labels (f′, ∂f/∂x): itself if one letter, else f."""
    return name if len(name) <= 1 else "f"


def draw_rows(page: Page, curves: Curves) -> tuple[model.AxesBox, ...]:
    """The header, one box per shown row (top to bottom), the legend; returns the boxes."""
    style = page.style
    heights = _heights(page, 2 if page.hover else len(curves.rows))
    rows, hidden = curves.rows[: len(heights)], curves.rows[len(heights) :]
    legend = [(t.label, t.tag, t.colour) for t in rows[0].traces] if curves.per_component else []
    extra = _hidden_note(page, curves.name, hidden)
    header(page, f"{curves.name}({curves.var})", "  ·  ".join(curves.subtitle + extra), legend)

    xlim = scales.x_range(curves.x, curves.domain)
    plot_w = page.width - style.left - style.right
    x_ticks = fitted_ticks(page, xlim, page.nbins(style.x_ticks, "x"), plot_w)
    critical = [c[np.isfinite(c) & (c >= xlim[0]) & (c <= xlim[1])] for c in curves.critical]
    count = sum(c.size for c in critical)
    marked = critical if 0 < count <= style.markers else []
    show_guides = curves.guides and not style.compact and len(rows) > 1 and 0 < count <= 16
    boxes, lines = [], []
    top = page.height - style.top
    for index, (row, height) in enumerate(zip(rows, heights, strict=True)):
        rect = (style.left, top - height, plot_w, height)
        top -= height + style.row_gap
        box, drawn = _row(
            Box(page, rect, xlim, (-1.0, 1.0)),
            curves,
            row,
            x_ticks,
            tall=index == 0 and len(rows) > 1,
            last=index == len(rows) - 1,
            guides=critical[0] if show_guides else None,
        )
        if row.order == 0 and not row.name:
            _markers(box, curves.x, row, marked)
        if not curves.per_component or index == 0:
            lines += [line for line in drawn if line.get_label()]  # g′, g″ share g's entry
        if row.order == 0 and not row.name and curves.extras is not None:
            trace = row.traces[0]
            lines += overlays.draw(box, curves.x, trace.y, trace.colour, curves.extras)
        boxes.append(box.axes_box(row.name or "f" + PRIMES[row.order]))
    if not style.compact:
        panel_legend(page, lines)
    return tuple(boxes)


def _heights(page: Page, wanted: int) -> list[float]:
    """Heights of the first rows that fit (f taller than each derivative), at most `wanted`."""
    style = page.style
    for count in range(wanted, 1, -1):
        weights = [style.f_weight] + [1.0] * (count - 1)
        avail = page.height - style.top - style.bottom - style.row_gap * (count - 1)
        unit = avail / sum(weights)
        if unit >= style.min_row:
            return [unit * w for w in weights]
    return [page.height - style.top - style.bottom]


def _hidden_note(page: Page, name: str, hidden: Sequence[Row]) -> list[str]:
    """Which rows are left out: for the panel (hover), or for want of room."""
    if not hidden:
        return []
    names = [row.label(name) for row in hidden]
    more = ", ".join(names) if len(names) <= 2 else f"{names[0]} to {names[-1]}"
    return [f"{more} in the panel" if page.hover else f"no room for {more}"]


def _row(
    frame: Box,
    curves: Curves,
    row: Row,
    x_ticks: FloatArray,
    *,
    tall: bool,
    last: bool,
    guides: FloatArray | None,
) -> tuple[Box, list[Line2D]]:
    """One row where `frame` is, on the row's own y limits; returns its box and curves."""
    page, style = frame.page, frame.page.style
    ylim, cut = _row_limits(row)
    box = frame.with_ylim(ylim or (-1.0, 1.0))
    # Fewer ticks in a short row: labels at least 1.6 of their height apart.
    y_base = page.nbins(style.y_ticks if tall else style.y_ticks - 1, "y")
    nbins = max(1, min(y_base, int(box.height / (1.6 * style.tick * PX_PER_PT))))
    y_ticks = scales.tick_values(*ylim, nbins) if ylim else np.empty(0)
    zero = (row.order > 0 or bool(row.name)) and ylim is not None and ylim[0] < 0 < ylim[1]
    _furniture(box, x_ticks, y_ticks, zero, guides)
    if last:
        box.x_labels(x_ticks)
        box.x_title(curves.var)
    box.y_labels(y_ticks)
    page.text(
        style.label_x,
        box.bottom + box.height / 2,
        row.label(curves.name),
        ha="center",
        va="center",
        color=row.colour,
        fontsize=style.text + 1,
    )
    return box, _traces(box, curves, row, ylim is not None, cut)


def _row_limits(row: Row) -> tuple[Limits | None, bool]:
    """The row's y limits (None if nothing is finite), and whether they cut a curve."""
    lims = scales.union([scales.limits(t.y) for t in row.traces])
    return lims, lims is not None and any(scales.clipped(t.y, lims) for t in row.traces)


def _furniture(
    box: Box, x_ticks: FloatArray, y_ticks: FloatArray, zero: bool, guides: FloatArray | None
) -> None:
    """Grid, frame, the zero line of a derivative, guides at critical points."""
    box.grid(x_ticks, y_ticks)
    box.frame()
    if zero:
        box.hline("zero", 0.0)
    if guides is not None and guides.size:
        box.vlines("guide", guides)


def _traces(box: Box, curves: Curves, row: Row, finite: bool, cut: bool) -> list[Line2D]:
    """The row's curves (isolated samples as dots), or a note if nothing is finite."""
    page = box.page
    lines = []
    for trace in row.traces:
        line = box.line(
            curves.x,
            trace.y,
            color=trace.colour,
            linewidth=page.style.line,
            linestyle="--" if trace.dashed else "-",
            label=trace.label,
            solid_capstyle="round",
            zorder=2,
        )
        lines.append(line)
        alone = _isolated(trace.y)
        if alone.any():
            box.line(
                curves.x[alone],
                trace.y[alone],
                linestyle="none",
                marker="o",
                color=trace.colour,
                markersize=2.5,
            )
    if not finite:
        what = curves.name if row.order == 0 and not row.name else row.label(curves.name)
        box.note(f"{what} has no finite values here")
    elif cut:
        page.text(
            box.right,
            box.top,
            "spikes clipped",
            ha="right",
            va="top",
            color=page.palette.muted,
            bbox={"facecolor": page.palette.background, "edgecolor": "none", "pad": 1.0},
            zorder=4,
        )
    return lines


def _isolated(y: FloatArray) -> NDArray[np.bool_]:
    """Finite points whose neighbours are both missing: a line would not show them."""
    finite = np.isfinite(y)
    left = np.concatenate([[False], finite[:-1]])
    right = np.concatenate([finite[1:], [False]])
    return finite & ~left & ~right


def _markers(box: Box, x: FloatArray, row: Row, critical: Sequence[FloatArray]) -> None:
    """Open circles on f at its critical points (each trace's own, in its colour)."""
    page = box.page
    for trace, points in zip(row.traces, critical, strict=False):
        ok = np.isfinite(x) & np.isfinite(trace.y)
        if not points.size or not ok.any():
            continue
        box.line(
            points,
            np.interp(points, x[ok], trace.y[ok]),
            linestyle="none",
            marker="o",
            markersize=page.style.marker,
            markerfacecolor=page.palette.background,
            markeredgecolor=trace.colour,
            markeredgewidth=1.2,
            zorder=3,
        )
