"""A formula as one line of Unicode for the hover: `f′(x) = 3x² − 4x + 1`.

Written token by token from the SymPy text of a checked formula (`formula_check`), never
by evaluating it: integer powers become superscripts (`x⁻²`), other powers `^`, minus
signs `−`, `pi` `π`, `E` `e`, `sqrt` `√`; a product is written by juxtaposition after a
number or π when a variable, π or a parenthesis follows (`2πx`, `3(x + 1)`), else with
`·`. The hover escapes the line like any other text.
"""

from __future__ import annotations

import re

from derivlens import model

#: The longest line shown; a longer one ends in … (docs/protocol.md, "Language server").
MAX_LINE = 80
_TOKEN = re.compile(
    r"(?P<number>\d+(?:\.\d*)?(?:e[+-]?\d+)?)|(?P<name>[A-Za-z_]\w*)|(?P<power>\*\*)"
    r"|(?P<operator>[-+*/(),])|(?P<space>\s+)"
)
_SUPERSCRIPT = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")
_NAMES = {"pi": "π", "E": "e", "sqrt": "√", "Abs": "abs"}
Token = tuple[str, str]


def tokens(text: str) -> list[Token]:
    """(kind, text) of each token; spaces dropped. ValueError for anything else."""
    found: list[Token] = []
    position = 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None or match.lastgroup is None:
            raise ValueError(f"not SymPy text at {position}")
        if match.lastgroup != "space":
            found.append((match.lastgroup, match.group()))
        position = match.end()
    return found


def unicode_math(text: str) -> str:
    """SymPy text (`3*x**2 - 4*x + 1`) as Unicode math (`3x² − 4x + 1`)."""
    items = tokens(text)
    out: list[str] = []
    i = 0
    while i < len(items):
        kind, value = items[i]
        if kind == "power":
            written, i = _exponent(items, i + 1)
            out.append(written)
            continue
        if kind == "name" and value == "sqrt" and _single_argument(items, i + 1):
            out.append("√" + _NAMES.get(items[i + 2][1], items[i + 2][1]))
            i += 4
            continue
        previous = items[i - 1] if i else None
        out.append(_written(kind, value, previous, items[i + 1 : i + 3]))
        i += 1
    return "".join(out)


def _written(kind: str, value: str, previous: Token | None, following: list[Token]) -> str:
    if kind == "name":
        return _NAMES.get(value, value)
    if kind == "number":
        return value
    if value == "*":
        return "" if _juxtaposed(previous, following) else "·"
    if value == "-":
        operand = previous is not None and (previous[0] != "operator" or previous[1] == ")")
        return " − " if operand else "−"
    return {"+": " + ", ",": ", "}.get(value, value)


def _juxtaposed(previous: Token | None, following: list[Token]) -> bool:
    """`2x`, `2π`, `πx`, `2√π`, `3(x + 1)`: after a number (not `1.0e-20`) or π, before a
    variable, π, √ or `(`; a function (`2·exp(x)`) keeps its dot."""
    if previous is None or not following:
        return False
    number = previous[0] == "number" and "e" not in previous[1]
    if not (number or previous == ("name", "pi")):
        return False
    head = following[0]
    if head == ("operator", "("):
        return True
    called = following[1:] == [("operator", "(")]
    return head[0] == "name" and (not called or head[1] == "sqrt")


def _single_argument(items: list[Token], start: int) -> bool:
    """`(2)` or `(x)` starts at `start`: √2 needs no parentheses."""
    return (
        start + 2 < len(items)
        and items[start] == ("operator", "(")
        and items[start + 1][0] in ("number", "name")
        and items[start + 2] == ("operator", ")")
    )


def _exponent(items: list[Token], start: int) -> tuple[str, int]:
    """An integer power as superscripts (`²`, `⁻¹`, from `2` or `(-1)`); else `^`."""
    if start < len(items) and items[start][0] == "number" and items[start][1].isdigit():
        return items[start][1].translate(_SUPERSCRIPT), start + 1
    window = items[start : start + 4]
    if (
        len(window) == 4
        and window[0] == ("operator", "(")
        and window[1] == ("operator", "-")
        and window[2][1].isdigit()
        and window[3] == ("operator", ")")
    ):
        return ("-" + window[2][1]).translate(_SUPERSCRIPT), start + 4
    return "^", start


def hover_line(result: model.Result) -> str | None:
    """`f′(x) = …` (or `∇f(x, y) = (…, …)`) from a result's formula, at most `MAX_LINE`
    characters (cut with …); None without a formula."""
    from derivlens.text import shorten

    formula = result.formula
    if formula is None:
        return None
    variables = ", ".join(result.variables)
    try:
        if isinstance(result, model.SurfaceResult):
            parts = [unicode_math(str(formula["x"])), unicode_math(str(formula["y"]))]
            line = f"∇f({variables}) = ({parts[0]}, {parts[1]})"
        else:
            line = f"f′({variables}) = {unicode_math(str(formula['1']))}"
    except (KeyError, ValueError):
        return None
    return shorten(line, MAX_LINE)
