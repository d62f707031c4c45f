"""Hover markdown for a result: a summary line, the plot, and a sparkline for text clients.

Pure: a result in, markdown out. Built as plain text from validated numbers and text
escaped by an allow-list (`escape`), then only the markdown it needs is added, so
nothing a sandboxed child sent (a warning's message, a held parameter's repr, a name)
can put a link, an autolink, an image or HTML into the editor. The text comes first and
the image last: a client that shows no images (Neovim) prints the data URI as one long
line, which would otherwise push the sparkline out of its hover window. VS Code's
`|width=…,height=…` suffix shows the HiDPI PNG at its CSS size. Markdown stays under
`MAX_MARKDOWN` characters (VS Code cuts hovers at 100,000): if the image would not fit,
the hover says so and keeps the text.
"""

from __future__ import annotations

import base64
import re
import string

from derivlens import text as text_tools
from derivlens.errors import DerivlensError
from derivlens.model import Image, Result, SurfaceResult, VectorCurvesResult
from derivlens.sparkline import sparkline

MAX_MARKDOWN = 90_000
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


def _picture(image: Image, function: str) -> str:
    width = round(image.width / (image.scale or 1))
    height = round(image.height / (image.scale or 1))
    # The data is re-encoded from its decoded bytes: only base64 characters can follow.
    data = base64.b64encode(base64.b64decode(image.data, validate=True)).decode("ascii")
    return (
        f"![plot of {escape(function, 80)} and its derivative]"
        f"(data:image/png;base64,{data}|width={width},height={height})"
    )


def hover_markdown(result: Result, *, sparkline_rows: bool = True) -> str:
    lines = [summary_line(result)]
    if sparkline_rows:
        lines += ["", *[line + "  " for line in sparklines(result)]]
    if result.warnings:
        lines += [
            "",
            *[f"*{w.kind.value}:* {escape(w.message)}  " for w in result.warnings],
        ]
    image = result.image
    if isinstance(image, Image) and image.format == "png":
        picture = _picture(image, result.function)
        budget = MAX_MARKDOWN - sum(len(line) + 1 for line in lines) - 2
        if len(picture) <= budget:
            lines += ["", picture]
        else:
            lines += ["", "*(plot too large for a hover: run “Plot derivative” to see it)*"]
    return "\n".join(lines).rstrip() + "\n"


def error_markdown(function: str, error: DerivlensError) -> str:
    head = f"**{escape(function, 80)}** · derivlens could not plot it ({error.kind.value})"
    return f"{head}\n\n{escape(error.message, 600)}\n"
