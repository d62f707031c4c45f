"""Hover markdown for a result: a summary line, the formula of f′ when there is one, the
plot, and a sparkline for text clients.

Pure: a result in, markdown out. Built as plain text from validated numbers and text
escaped by an allow-list (`escape`), then only the markdown it needs is added, so
nothing a sandboxed child sent (a warning's message, a held parameter's repr, a name)
can put a link, an autolink, an image or HTML into the editor. The text comes first and
the image last: a client that shows no images (Neovim) prints the data URI as one long
line, which would otherwise push the sparkline out of its hover window.

The image's markup depends on the client (docs/protocol.md, "Hover markup per client"):
VS Code's `|width=…,height=…` suffix shows the HiDPI PNG at its CSS size, but makes the
data URI invalid in JupyterLab, which gets a sized HTML `<img>` instead (its sanitizer
keeps `data:` images); a text client (Neovim) gets no image at all. Markdown stays under
`MAX_MARKDOWN` characters (VS Code cuts hovers at 100,000): if the image would not fit,
the hover says so and keeps the text.
"""

from __future__ import annotations

import base64
import html
import re
import string
from typing import Literal

from derivlens import text as text_tools
from derivlens.errors import DerivlensError
from derivlens.formula_line import MAX_LINE, hover_line
from derivlens.model import Image, Result, SurfaceResult, VectorCurvesResult
from derivlens.sparkline import sparkline

#: How the plot is carried: VS Code's markdown image, an HTML `<img>`, or no image.
HoverMarkup = Literal["markdown", "html", "text"]
MAX_MARKDOWN = 90_000
#: CSS pixels the formula's line takes under the summary: the image is shown that much
#: less tall (and narrower in proportion), so the hover stays within 360×180.
FORMULA_LINE_PX = 24
SPARK_WIDTH = 32
MAX_TEXT = 300
#: The ASCII punctuation that stays as it is in text from user code: none of it starts,
#: ends or links anything in CommonMark or GFM in the middle of a line. Every other ASCII
#: punctuation character is escaped with a backslash: `.`, `:` and `@` too, which is
#: what keeps `www.x.org`, `https://…` and `a@b.org` from becoming links by themselves.
_INERT_PUNCTUATION = ",;?'\"%/()=+-"
_BACKSLASHED = str.maketrans(
    {c: f"\\{c}" for c in string.punctuation if c not in _INERT_PUNCTUATION}
)
#: What a line's start would turn into a list item, a heading rule or an ordered list.
_LINE_START = re.compile(r"^([+\-=])|^(\d+)(\))")


def escape(text: str, cap: int = MAX_TEXT) -> str:
    """`text` as literal markdown on one line: no emphasis, code, link, autolink, image,
    entity or HTML can come of it (an allow-list: letters, digits, spaces, anything not
    ASCII and `_INERT_PUNCTUATION` are kept, the rest of ASCII punctuation is escaped).
    Control characters and bidirectional overrides become spaces (`text.UNSAFE`)."""
    plain = text_tools.shorten(text_tools.clean(text, replacement=" ").strip(), cap)
    escaped = plain.translate(_BACKSLASHED)
    return _LINE_START.sub(lambda m: f"\\{m[1]}" if m[1] else f"{m[2]}\\{m[3]}", escaped)


def _shown_number(value: object) -> str:
    """A number as we format it (safe as it is), or any other value escaped."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return escape(str(value), 60)
    return f"{value:g}"


def _interval(variable: str, interval: tuple[float, float]) -> str:
    lo, hi = interval
    return f"{escape(variable, 40)} ∈ [{_shown_number(lo)}, {_shown_number(hi)}]"


def summary_line(result: Result) -> str:
    variables = ", ".join(escape(v, 40) for v in result.variables)
    parts = [f"**{escape(result.function, 80)}({variables})**", result.method]
    parts.append(_interval(result.variables[0], result.domain))
    if isinstance(result, SurfaceResult):
        parts.append(_interval(result.variables[1], result.ydomain))
    if result.fixed:
        held = (f"{escape(k, 40)} = {_shown_number(v)}" for k, v in result.fixed.items())
        parts.append(", ".join(held))
    if isinstance(result, VectorCurvesResult):
        parts.append(f"{result.outputs} outputs")
    if not isinstance(result, SurfaceResult):
        parts.append(f"order {result.order}")
    if result.warnings:
        count = len(result.warnings)
        parts.append(f"⚠ {count} warning{'s' if count > 1 else ''}")
    return " · ".join(parts)


def sparklines(result: Result) -> list[str]:
    """`f  ▁▂▄█` and `f′ █▄▂▁` lines (two variables: f along the middle row)."""
    rows: list[tuple[str, list[float | None]]]
    if isinstance(result, SurfaceResult):
        middle = len(result.f) // 2
        rows = [("f ", result.f[middle]), ("∂x", result.gradient.x[middle])]
    elif isinstance(result, VectorCurvesResult):
        rows = [(f"f{i + 1}", component) for i, component in enumerate(result.f)]
    else:
        rows = [("f ", result.f), ("f′", result.derivatives["1"])]
    return [
        f"`{label} {sparkline(values, SPARK_WIDTH) or '(no finite values)'}`"
        for label, values in rows
    ]


def _png_base64(image: Image) -> str:
    """The image's data re-encoded from its decoded bytes: only base64 characters."""
    return base64.b64encode(base64.b64decode(image.data, validate=True)).decode("ascii")


def _css_size(image: Image, room_px: int = 0) -> tuple[int, int]:
    """The image's CSS size, made `room_px` less tall (in proportion) for a formula line."""
    width = image.width / (image.scale or 1)
    height = image.height / (image.scale or 1)
    shown = max(height - room_px, height / 2)
    return round(width * shown / height), round(shown)


def _picture(image: Image, function: str, *, room_px: int = 0) -> str:
    width, height = _css_size(image, room_px)
    return (
        f"![plot of {escape(function, 80)} and its derivative]"
        f"(data:image/png;base64,{_png_base64(image)}|width={width},height={height})"
    )


def _img_tag(image: Image, function: str, *, room_px: int = 0) -> str:
    """The plot as a sized HTML `<img>`; its alt text escaped as an attribute value."""
    width, height = _css_size(image, room_px)
    name = text_tools.shorten(text_tools.clean(function, replacement=" ").strip(), 80)
    alt = html.escape(f"plot of {name} and its derivative", quote=True)
    return (
        f'<img src="data:image/png;base64,{_png_base64(image)}" '
        f'width="{width}" height="{height}" alt="{alt}">'
    )


def markup_for(setting: str, client_name: str | None, one_document_notebook: bool) -> HoverMarkup:
    """The markup a hover takes: the `hover.format` setting, or with `auto` the client's.

    jupyterlab-lsp sends no `clientInfo`; a notebook sent as one text document is its
    sign. Neovim names itself and shows no images."""
    if setting in ("markdown", "html", "text"):
        return setting  # type: ignore[return-value]
    if one_document_notebook:
        return "html"
    if client_name is not None and "vim" in client_name.lower():
        return "text"
    return "markdown"


def hover_markdown(
    result: Result, *, sparkline_rows: bool = True, markup: HoverMarkup = "markdown"
) -> str:
    """The hover for `result`: the summary, the formula of f′ when known, then sparklines
    (always for a text client, never for HTML — a client that shows images —, as
    `sparkline_rows` says for markdown), warnings and the image."""
    formula = hover_line(result)
    lines = [summary_line(result)]
    if formula is not None:  # under the summary, in its paragraph (a hard line break)
        lines = [lines[0] + "  ", escape(formula, MAX_LINE)]
    if markup == "text" or (markup == "markdown" and sparkline_rows):
        lines += ["", *[line + "  " for line in sparklines(result)]]
    if result.warnings:
        lines += [
            "",
            *[f"*{w.kind.value}:* {escape(w.message)}  " for w in result.warnings],
        ]
    image = result.image
    if markup != "text" and isinstance(image, Image) and image.format == "png":
        room = FORMULA_LINE_PX if formula else 0
        if markup == "html":
            picture = _img_tag(image, result.function, room_px=room)
        else:
            picture = _picture(image, result.function, room_px=room)
        budget = MAX_MARKDOWN - sum(len(line) + 1 for line in lines) - 2
        if len(picture) <= budget:
            lines += ["", picture]
        else:
            lines += ["", "*(plot too large for a hover: run “Plot derivative” to see it)*"]
    return "\n".join(lines).rstrip() + "\n"


def error_markdown(function: str, error: DerivlensError) -> str:
    head = f"**{escape(function, 80)}** · derivlens could not plot it ({error.kind.value})"
    return f"{head}\n\n{escape(error.message, 600)}\n"
