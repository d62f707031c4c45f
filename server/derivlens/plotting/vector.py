"""A vector-valued f of one variable: the curve rows of `curves`, one trace per output.

Rows are still one per derivative order (f, f′, ...); within a row each output has its
own colour, and the legend names the outputs as the user indexes them, f[0], f[1], ...
"""

from __future__ import annotations

from derivlens import model
from derivlens.plotting import scales
from derivlens.plotting.curves import Curves, Row, Trace, by_order, draw_rows, short, subtitle
from derivlens.plotting.draw import Page


def draw_vector(page: Page, result: model.VectorCurvesResult) -> tuple[model.AxesBox, ...]:
    """Each output a trace of every row, in a colour of its own."""
    name = result.function or "f"
    colours = page.palette.components
    labels = [f"{short(name)}[{i}]" for i in range(len(result.f))]
    rows = [
        Row(
            order,
            tuple(
                Trace(scales.array(values), colours[i % len(colours)], labels[i], str(i))
                for i, values in enumerate(components)
            ),
            page.palette.foreground,
        )
        for order, components in by_order(result.f, result.derivatives, result.order)
    ]
    curves = Curves(
        name=name,
        var=result.variables[0],
        x=scales.array(result.x),
        domain=result.domain,
        rows=rows,
        subtitle=subtitle(result.fixed, result.method),
        critical=[scales.array(points) for points in result.critical_points],
        per_component=True,
    )
    return draw_rows(page, curves)
