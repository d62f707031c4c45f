"""What `derivlens.plot` returns: the contract's result as attributes, and a rich display.

The fields of docs/protocol.md ("Result") are attributes (`derivatives` keyed by the
order as an int, `to_dict()` gives the JSON with its string keys, as the CLI's `--json`
prints it). The display is a MIME bundle every notebook frontend renders (JupyterLab,
Notebook 7, VS Code, Colab): a PNG, an SVG, and HTML that shows the same PNG with a
summary of the warnings and critical points (frontends show only the richest type they
know, HTML first, so the HTML carries the image). Images are drawn when first shown.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Callable
from typing import Any

import attrs

from derivlens import model, wire

#: How the notebook image is drawn: the panel's layout at its own size, 2× pixels.
PNG = model.Render(format="png", theme="light", size="panel")
SVG = model.Render(format="svg", theme="light", size="panel")
#: Critical points listed in the summary (the rest are counted).
SHOWN_POINTS = 8


class KernelResult:
    """One evaluation's result in a kernel; see the module docstring."""

    def __init__(
        self,
        result: model.Result,
        replot: Callable[[dict[str, float]], KernelResult] | None = None,
    ) -> None:
        self.result = result
        self._images: dict[str, bytes] = {}
        #: The same evaluation with other `params` (the function and options kept).
        self._replot = replot

    def __getstate__(self) -> dict[str, Any]:
        """A copy keeps the numbers and images, not the function (which may not pickle)."""
        return {"result": self.result, "_images": self._images, "_replot": None}

    def sliders(self) -> Any:
        """An ipywidgets widget: a slider per numeric held parameter, and the plot, which
        follows them (docs/protocol.md, "In a notebook kernel"). Needs ipywidgets."""
        if self._replot is None:
            raise ValueError("this result was copied from another; call derivlens.plot again")
        from derivlens.kernel_widgets import sliders

        return sliders(self, self._replot)

    def __getattr__(self, name: str) -> Any:
        """Each field of the result (`x`, `f`, `warnings`, `critical_points`, ...);
        `derivatives` keyed by the order as an int."""
        if name.startswith("_") or name == "result":  # copy and pickle ask before __init__
            raise AttributeError(name)
        fields = attrs.fields_dict(type(self.result))
        if name not in fields:
            hint = "; a function of two variables has `gradient`" if name == "derivatives" else ""
            raise AttributeError(f"a derivlens result has no {name!r}{hint}")
        value = getattr(self.result, name)
        if name == "derivatives":
            return {int(order): values for order, values in value.items()}
        if (
            name == "compare"
            and value is not None
            and not isinstance(value, model.SurfaceComparison)
        ):
            # g's keyed as f's (docs/protocol.md); a surface's partials keep "x" and "y"
            keyed = {int(order): values for order, values in value.derivatives.items()}
            return attrs.evolve(value, derivatives=keyed)
        return value

    def __dir__(self) -> list[str]:
        return sorted({*super().__dir__(), *attrs.fields_dict(type(self.result))})

    def to_dict(self) -> dict[str, Any]:
        """The result as docs/protocol.md's JSON (the CLI's `--json`)."""
        return wire.result_json(self.result)

    # --- the rich display ------------------------------------------------------------------

    def image(self, format: model.ImageFormat = "png") -> bytes:
        """The plot as PNG or SVG bytes (drawn once, then kept)."""
        if format not in self._images:
            from derivlens import plotting

            render = PNG if format == "png" else SVG
            self._images[format] = plotting.render(self.result, render).data
        return self._images[format]

    def _repr_png_(self) -> bytes:
        return self.image("png")

    def _repr_svg_(self) -> str:
        return self.image("svg").decode("utf-8")

    def _repr_html_(self) -> str:
        encoded = base64.b64encode(self.image("png")).decode("ascii")
        width, height = model_size(PNG)
        alt = html.escape(summary_line(self.result), quote=True)
        return (
            f'<img src="data:image/png;base64,{encoded}" width="{width}" height="{height}" '
            f'style="max-width: 100%; height: auto" alt="{alt}">' + summary_html(self.result)
        )

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        return {
            "image/png": base64.b64encode(self.image("png")).decode("ascii"),
            "image/svg+xml": self._repr_svg_(),
            "text/html": self._repr_html_(),
            "text/plain": repr(self),
        }

    def __repr__(self) -> str:
        return f"<derivlens result: {summary_line(self.result)}>"


def model_size(render: model.Render) -> tuple[int, int]:
    """The CSS size the image is shown at (its own layout's size)."""
    from derivlens.plotting.style import DEFAULT_SIZE

    width, height = DEFAULT_SIZE[render.size]
    return round(width), round(height)


def summary_line(result: model.Result) -> str:
    """One line: the function, its variables and domain, the order and the method."""
    variables = ", ".join(result.variables)
    lo, hi = result.domain
    return (
        f"{result.function}({variables}) on [{lo:g}, {hi:g}], order {result.order}, {result.method}"
    )


def summary_html(result: model.Result) -> str:
    """The formula of f′, the critical and inflection points, the warnings, as an escaped
    HTML list."""
    from derivlens.formula_line import hover_line

    items = [f"<li><b>{html.escape(summary_line(result))}</b></li>"]
    formula = hover_line(result)
    if formula is not None:
        items.append(f"<li>{html.escape(formula)}</li>")
    points = _points_text(result.critical_points)
    items.append(f"<li>critical points: {html.escape(points)}</li>")
    if isinstance(result, model.CurvesResult):
        inflections = _points_text(result.inflection_points)
        items.append(f"<li>inflection points: {html.escape(inflections)}</li>")
    for warning in result.warnings:
        kind, message = html.escape(warning.kind.value), html.escape(warning.message)
        items.append(f"<li>⚠ {kind}: {message}</li>")
    return "<ul>" + "".join(items) + "</ul>"


def _points_text(points: Any) -> str:
    flat: list[Any] = []
    for point in points:
        flat.extend(point if isinstance(point, list) else [point])
    if not flat:
        return "none"
    shown = [_point(p) for p in flat[:SHOWN_POINTS]]
    more = len(flat) - SHOWN_POINTS
    return ", ".join(shown) + (f" and {more} more" if more > 0 else "")


def _point(point: Any) -> str:
    if isinstance(point, tuple | list):
        return "(" + ", ".join(f"{v:.4g}" for v in point) + ")"
    return f"{point:.4g}"
