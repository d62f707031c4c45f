"""Whether PNGs are drawn with `canvas`'s fast text path, decided once per process.

`canvas` mirrors matplotlib's internals, and a release can keep their names while it
changes what they do, so the fast path is turned on only when both hold:

- this matplotlib is a release it was tested on (`TESTED_MATPLOTLIB`) and has every
  private name `canvas` uses;
- a reference figure (texts of several sizes, weights and angles, primes and minus
  signs, an aliased text, a legend), drawn with the fast path (its tables empty, then
  full) at the hover's and the panel's pixel ratio, is pixel for pixel what plain Agg
  draws.

Otherwise every PNG is plain Agg. It is decided the first time a process draws
(`ensure_decided`, from `plotting.build_figure`): in the sandbox's worker that is its
warm-up, before any child is forked, so every child inherits the decision.
`derivlens doctor` prints it (docs/protocol.md, "Drawing").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import matplotlib
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from derivlens.plotting import canvas, textcache

__all__ = ["TESTED_MATPLOTLIB", "Status", "decide", "ensure_decided", "status", "unsupported"]

#: The matplotlib releases whose internals `canvas` mirrors and was tested on: the pin of
#: constraints.txt (a test keeps the two in step). Any other release draws plain Agg.
TESTED_MATPLOTLIB = ("3.11.2",)


@dataclass(frozen=True)
class Status:
    """Whether the fast path is on, and why (or why not)."""

    on: bool
    reason: str

    def describe(self) -> str:
        return f"fast path {'on' if self.on else 'off (plain Agg)'}: {self.reason}"


_status: Status | None = None


def status() -> Status:
    """This process's decision (made now if it was not yet)."""
    return _status if _status is not None else decide()


def ensure_decided() -> None:
    """Decide, unless this process has: before anything is drawn or measured."""
    if _status is None:
        decide()


def decide() -> Status:
    """Check the release, then the reference figure, and turn the fast path on or off."""
    global _status
    canvas.FAST = False
    textcache.clear()
    version = matplotlib.__version__
    why_not = unsupported()
    if why_not is None:
        canvas.FAST = True
        try:
            difference = _difference()
        except Exception as error:  # an internal that changed enough to fail
            difference = f"failed to draw ({type(error).__name__}: {error})"
        if difference is not None:
            canvas.FAST = False
            textcache.clear()
            why_not = f"on matplotlib {version} its reference figure {difference}"
    if why_not is None:
        reason = f"matplotlib {version}, its reference figure drawn exactly as plain Agg draws it"
        _status = Status(True, reason)
    else:
        _status = Status(False, why_not)
    return _status


def unsupported() -> str | None:
    """Why this matplotlib cannot have the fast path, or None: it is a release `canvas`
    was tested on, with every private name it uses."""
    version = matplotlib.__version__
    if version not in TESTED_MATPLOTLIB:
        tested = ", ".join(TESTED_MATPLOTLIB)
        return f"matplotlib {version} is not a release it was tested on ({tested})"
    missing = [name for name, present in _private_names() if not present]
    if missing:
        return f"matplotlib {version} lacks {', '.join(missing)}"
    return None


def _private_names() -> list[tuple[str, bool]]:
    """The private names `canvas` uses, and whether this matplotlib has each."""
    from matplotlib import figure, font_manager, ft2font, offsetbox, text

    text_names = ("_get_layout", "_wrap", "_fontproperties", "_parse_math", "_linespacing")
    alignment = ("_get_multialignment", "_horizontalalignment", "_verticalalignment")
    owners: tuple[tuple[str, Any, tuple[str, ...]], ...] = (
        ("RendererAgg", canvas.RendererAgg(1, 1, 72), ("_prepare_font", "_renderer")),
        ("RendererAgg", canvas.RendererAgg, ("_draw_text_glyphs_and_boxes",)),
        ("FigureCanvasAgg", FigureCanvasAgg, ("_lastKey",)),
        ("FT2Font", ft2font.FT2Font, ("_layout", "_render_glyph", "_set_transform")),
        ("ft2font", ft2font, ("RenderMode",)),
        ("font_manager", font_manager, ("FontPath",)),
        ("fontManager", font_manager.fontManager, ("_find_fonts_by_props",)),
        ("figure", figure, ("_stale_figure_callback",)),
        ("VPacker", offsetbox.VPacker, ("_get_bbox_and_child_offsets",)),
        ("Text", text.Text(0, 0, ""), text_names + alignment),
    )
    return [
        (f"{label}.{name}", hasattr(owner, name))
        for label, owner, names in owners
        for name in names
    ]


#: The reference figure's texts: (x, y) in figure fractions, the string, its style.
_TEXTS: tuple[tuple[float, float, str, dict[str, Any]], ...] = (
    (0.02, 0.96, "f(x) = sin(2πx) − x³", {"fontsize": 10, "fontweight": "bold", "va": "top"}),
    (0.02, 0.55, "f′ f″ f‴ f⁽⁴⁾ ∂f/∂x", {"fontsize": 8}),
    (0.513, 0.31, "−0.25  1e−3", {"fontsize": 7.5, "ha": "center"}),
    (0.7371, 0.3172, "−0.25  1e−3", {"fontsize": 7.5, "ha": "center"}),
    (0.985, 0.1, "x · y", {"fontsize": 8, "rotation": 90, "ha": "right", "va": "bottom"}),
    (0.3, 0.06, "aliased 0.5", {"fontsize": 8, "antialiased": False, "color": "#336699"}),
)
_LABELS = ["f", "f′ = df/dx"]
#: The reference figure's resolution: the hover's and the panel's (pixel ratio 2), so that
#: what it leaves in the tables serves the first plots. One is enough: the code drawn is
#: the same at every resolution.
_DPI = 200.0


def _difference() -> str | None:
    """How the fast path's reference figure differs from plain Agg's, or None."""
    plain = _pixels(_reference(_DPI, fast=False), FigureCanvasAgg)
    figure = _reference(_DPI, fast=True)
    for attempt in ("with its tables empty", "from its tables"):
        fast = _pixels(figure, canvas.Canvas)
        if fast.shape != plain.shape:
            return f"is {fast.shape[:2]} px, not {plain.shape[:2]}"
        differ = np.argwhere((fast != plain).any(axis=-1))
        if len(differ):
            y, x = (int(v) for v in differ[0])
            return (
                f"differs from plain Agg's {attempt}: {len(differ)} pixels, "
                f"the first at x={x}, y={y}"
            )
    return None


def _reference(dpi: float, *, fast: bool) -> Figure:
    """The reference figure, made as `stage` makes texts and legends (`fast`) or as
    matplotlib's own API does."""
    fig = Figure(figsize=(3.2, 1.2), dpi=dpi, facecolor="white", edgecolor="white")
    for x, y, s, style in _TEXTS:
        if fast:
            canvas.add_text(fig, x, y, s, transform=fig.transFigure, **style)
        else:
            fig.text(x, y, s, transform=fig.transFigure, **style)
    lines = [
        Line2D([0.1, 0.45], [0.42, 0.42 + 0.1 * i], color=f"C{i}", transform=fig.transFigure)
        for i in range(2)
    ]
    for line in lines:
        fig.add_artist(line)
    where: dict[str, Any] = {"bbox_to_anchor": (0.95, 0.95), "fontsize": 7, "ncols": 2}
    if fast:
        fig.legends.append(canvas.new_legend(fig, lines, _LABELS, loc="upper right", **where))
    else:
        fig.legend(lines, _LABELS, loc="upper right", **where)
    return fig


def _pixels(fig: Figure, kind: type[FigureCanvasAgg]) -> np.ndarray:
    drawn = kind(fig) if not isinstance(fig.canvas, kind) else fig.canvas
    drawn.draw()
    return np.asarray(drawn.buffer_rgba()).copy()
