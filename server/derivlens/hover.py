"""Hover markdown for a result: a summary line, the plot, and a sparkline for text clients.

Pure: a result in, markdown out. Built only from validated numbers and escaped text, so
nothing a sandboxed child sent (a warning's message, a held parameter's repr) can put a
link or an image into the editor. The text comes first and the image last: a client
that shows no images (Neovim) prints the data URI as one long line, which would
otherwise push the sparkline out of its hover window. VS Code's `|width=…,height=…`
suffix shows the HiDPI PNG at its CSS size. Markdown stays under `MAX_MARKDOWN`
characters (VS Code cuts hovers at 100,000): if the image would not fit, the hover says
so and keeps the text.
"""

from __future__ import annotations

import base64
import re

from derivlens.errors import DerivlensError
from derivlens.model import Image, Result, SurfaceResult, VectorCurvesResult
from derivlens.sparkline import sparkline

MAX_MARKDOWN = 90_000
SPARK_WIDTH = 32
MAX_TEXT = 300
#: What markdown acts on mid-line: emphasis, code, links and images (`[`…`]`), HTML.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>~])")
#: What an editor would turn into a link by itself (GFM autolinks): `https:`, `www.`.
_AUTOLINK = re.compile(r"(?i)\b(https?|ftp|file|mailto|data|javascript)(:)|\b(www)(\.)")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def escape(text: str, cap: int = MAX_TEXT) -> str:
    """`text` as literal markdown on one line: no emphasis, code, links, images or HTML.

    Only what markdown would act on is escaped, so that text-only clients, which show
    the markdown as it is, still read `user.py:3` rather than a thicket of backslashes.
    """
    text = _CONTROL.sub(" ", text)
    if len(text) > cap:
        text = text[: cap - 1] + "…"
    text = _MARKDOWN_SPECIAL.sub(r"\\\1", text)
    if text.startswith(("#", "-", "+", "=")):  # a heading, list or rule at a line's start
        text = "\\" + text
    return _AUTOLINK.sub(lambda m: f"{m.group(1) or m.group(3)}\\{m.group(2) or m.group(4)}", text)


def _number(value: object) -> str:
    """A number as we format it (safe as it is), or any other value escaped."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return escape(str(value), 60)
    return f"{value:g}"


def summary_line(result: Result) -> str:
    variables = ", ".join(escape(v, 40) for v in result.variables)
    parts = [f"**{escape(result.function, 80)}({variables})**", result.method]
    lo, hi = result.domain
    parts.append(f"{escape(result.variables[0], 40)} ∈ [{_number(lo)}, {_number(hi)}]")
    if isinstance(result, SurfaceResult):
        ylo, yhi = result.ydomain
        parts.append(f"{escape(result.variables[1], 40)} ∈ [{_number(ylo)}, {_number(yhi)}]")
    if result.fixed:
        parts.append(", ".join(f"{escape(k, 40)} = {_number(v)}" for k, v in result.fixed.items()))
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
