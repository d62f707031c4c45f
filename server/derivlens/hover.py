"""Hover markdown for a result: a summary line, the plot, and a sparkline for text clients.

Pure: a result dict in, markdown out. The text (summary, sparklines, warnings) comes
first and the image last: a client that shows no images (Neovim) prints the data URI as
one huge line, which would otherwise push the sparkline out of its hover window.
The image is a `data:` URI PNG; VS Code's
`|width=…,height=…` suffix shows the 2×-drawn PNG at its CSS size (other clients ignore
it or show the text). Markdown stays under `MAX_MARKDOWN` characters (VS Code cuts
hovers at 100,000): if the image would not fit, the hover says so and keeps the text.
"""

from __future__ import annotations

from typing import Any

from derivlens.sparkline import sparkline

MAX_MARKDOWN = 90_000
SPARK_WIDTH = 32
PRIMES = {1: "′", 2: "″", 3: "‴", 4: "⁽⁴⁾"}


def _number(value: Any) -> str:
    return f"{value:g}" if isinstance(value, int | float) else str(value)


def summary_line(result: dict[str, Any]) -> str:
    variables = ", ".join(result["variables"])
    parts = [f"**{result['function']}({variables})**", result["method"]]
    lo, hi = result["domain"]
    parts.append(f"x ∈ [{_number(lo)}, {_number(hi)}]")
    if "ydomain" in result:
        ylo, yhi = result["ydomain"]
        parts.append(f"y ∈ [{_number(ylo)}, {_number(yhi)}]")
    fixed = result.get("fixed") or {}
    if fixed:
        parts.append(", ".join(f"{k} = {_number(v)}" for k, v in fixed.items()))
    if len(result["variables"]) == 1:
        parts.append(f"order {result['order']}")
    warnings = result.get("warnings") or []
    if warnings:
        parts.append(f"⚠ {len(warnings)} warning{'s' if len(warnings) > 1 else ''}")
    return " · ".join(parts)


def sparklines(result: dict[str, Any]) -> list[str]:
    """`f  ▁▂▄█` and `f′ █▄▂▁` lines (for two variables: f along the middle row)."""
    if len(result["variables"]) == 1:
        rows = [("f ", result["f"]), ("f′", result["derivatives"]["1"])]
    else:
        middle = len(result["f"]) // 2
        rows = [
            ("f ", result["f"][middle]),
            ("∂x", result["gradient"]["x"][middle]),
        ]
    return [
        f"`{label} {sparkline(values, SPARK_WIDTH) or '(no finite values)'}`"
        for label, values in rows
    ]


def hover_markdown(result: dict[str, Any]) -> str:
    lines = [summary_line(result), "", *[line + "  " for line in sparklines(result)]]
    warnings = [f"*{w['kind']}:* {w['message']}  " for w in result.get("warnings") or []]
    if warnings:
        lines += ["", *warnings]
    image = result.get("image")
    if image and image.get("format") == "png":
        width = round(image["width"] / image.get("scale", 1))
        height = round(image["height"] / image.get("scale", 1))
        picture = (
            f"![plot of {result['function']} and its derivative]"
            f"(data:image/png;base64,{image['data']}|width={width},height={height})"
        )
        budget = MAX_MARKDOWN - sum(len(line) + 1 for line in lines) - 2
        if len(picture) <= budget:
            lines += ["", picture]
        else:
            lines += ["", "*(plot too large for a hover: run “Plot derivative” to see it)*"]
    return "\n".join(lines).rstrip() + "\n"


def error_markdown(function: str, kind: str, message: str) -> str:
    return f"**{function}** · derivlens could not plot it ({kind})\n\n{message}\n"
