"""A formula from the child is hostile input; the hover writes it as one line of Unicode.

In-process: `judge.finish` checks a reply's formula (docs/protocol.md, "Formula"), and
`hover_markdown` shows the f′ line under the summary with the image made a line shorter.
"""

from __future__ import annotations

import base64
import re
from typing import Any

import pytest

from derivlens import judge
from derivlens.errors import DerivlensError
from derivlens.formula_line import hover_line, unicode_math
from derivlens.lsp.hover import hover_markdown
from derivlens.model import CurvesResult, Gradient, Image, SurfaceResult
from derivlens.sandbox.outcome import Replied
from tests.sandbox.test_reply_validation import curves, prepared, surface

GOOD = {"f": "x**2", "1": "2*x", "latex": {"f": "x^{2}", "1": "2 x"}}


def finish(result: dict[str, Any], order: int = 1, name: str = "f") -> Any:
    ready = prepared(name=name, order=order)
    return judge.finish(ready, Replied({"result": result}, ("rlimits",), {}, ""), 1.0)


def refused(result: dict[str, Any], order: int = 1, name: str = "f") -> str:
    with pytest.raises(DerivlensError) as caught:
        finish(result, order, name)
    assert caught.value.kind.value == "crashed"
    assert "malformed result" in caught.value.message
    return caught.value.message


def test_a_well_formed_formula_passes_through() -> None:
    assert finish(curves(formula=GOOD)).formula == GOOD
    assert finish(curves(formula=None)).formula is None
    partials = {"f": "x*y", "x": "y", "y": "x", "latex": {"f": "x y", "x": "y", "y": "x"}}
    assert finish({**surface(), "formula": partials}, name="g").formula == partials


@pytest.mark.parametrize(
    "formula",
    [
        {"f": "x**2", "latex": {"f": "x^{2}"}},  # f′ missing
        {"f": "x**2", "1": "2*x", "2": "2", "latex": {"f": "x", "1": "2", "2": "2"}},  # extra
        {"f": "x**2", "1": "2*x", "latex": {"f": "x^{2}"}},  # latex without f′
        {"f": "x**2", "1": "2*x"},  # no latex
        {"f": "", "1": "2*x", "latex": {"f": "x", "1": "2 x"}},  # empty
        {"f": "x**2", "1": "2*x; import os", "latex": GOOD["latex"]},
        {"f": "__import__('os')", "1": "2*x", "latex": GOOD["latex"]},
        {"f": "x**2", "1": "2*x\n![](http://e.org/a.png)", "latex": GOOD["latex"]},
        {"f": "x" * 2001, "1": "2*x", "latex": GOOD["latex"]},
        {"f": "x**2", "1": "2*x", "latex": {"f": r"\href{http://e.org}{x}", "1": "2 x"}},
        {"f": "x**2", "1": "2*x", "latex": {"f": r"\url{http://e.org}", "1": "2 x"}},
        {"f": "x**2", "1": "2*x", "latex": {"f": "<img src=x>", "1": "2 x"}},
        {"f": "x**2", "1": "2*x", "latex": {"f": "$x$ & 100%", "1": "2 x"}},
        {"f": "x**2", "1": "2*x", "latex": {"f": r"\input{/etc/passwd}", "1": "2 x"}},
        {"f": "x**2", "1": "2*x", "latex": {"f": "x^{2}", "1": "x" * 2001}},
        {"f": "x**2", "1": "2*x", "latex": "x^{2}"},
        {"f": 2, "1": "2*x", "latex": GOOD["latex"]},
        ["x**2", "2*x"],
    ],
    ids=lambda f: repr(f)[:40],
)
def test_a_hostile_formula_is_a_crashed_evaluation(formula: Any) -> None:
    refused(curves(formula=formula))


def test_a_formula_for_a_vector_valued_result_is_refused() -> None:
    vector = curves(outputs=2, f=[[0.0] * 3] * 2, derivatives={"1": [[0.0] * 3] * 2},
                    critical_points=[[], []], formula=GOOD)  # fmt: skip
    assert "vector" in refused(vector)


@pytest.mark.parametrize(
    "text, line",
    [
        ("3*x**2 - 4*x + 1", "3x² − 4x + 1"),
        ("2*pi*cos(2*pi*x)", "2π·cos(2πx)"),
        ("-sqrt(2)*x*exp(-x**2/2)/(2*sqrt(pi))", "−√2·x·exp(−x²/2)/(2√π)"),
        ("x**(-2) + x**(3/2)", "x⁻² + x^(3/2)"),
        ("exp(-x)/(1 + exp(-x))**2", "exp(−x)/(1 + exp(−x))²"),
        ("0.134145*x**2 + 1", "0.134145x² + 1"),
        ("1.0e-20*x", "1.0e-20·x"),
        ("E*x + 2**x", "e·x + 2^x"),
        ("3*(x + 1)**10", "3(x + 1)¹⁰"),
    ],
)
def test_unicode_math(text: str, line: str) -> None:
    assert unicode_math(text) == line


def result_with(formula: Any, image: bool = True) -> CurvesResult:
    png = base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\0" * 64).decode()
    return CurvesResult(
        function="cubic", variables=("x",), fixed={}, domain=(-2.0, 2.0), order=2,
        method="autograd", x=[0.0, 1.0], f=[-1.0, -1.0], derivatives={"1": [1.0, 0.0],
        "2": [-4.0, 2.0]}, critical_points=[], formula=formula,
        image=Image("png", png, 720, 300, 2.0) if image else None,
    )  # fmt: skip


SPEC = {
    "f": "x**3 - 2*x**2 + x - 1",
    "1": "3*x**2 - 4*x + 1",
    "2": "6*x - 4",
    "latex": {"f": "x^{3} - 2 x^{2} + x - 1", "1": "3 x^{2} - 4 x + 1", "2": "6 x - 4"},
}


def test_the_hover_shows_f_prime_under_the_summary_and_a_shorter_image() -> None:
    lines = hover_markdown(result_with(SPEC), sparkline_rows=False).splitlines()
    assert lines[0].startswith("**cubic(x)**") and lines[0].endswith("  ")  # a hard break
    assert lines[1] == "f′(x) = 3x² − 4x + 1"
    size = re.search(r"\|width=(\d+),height=(\d+)\)$", lines[-1])
    assert size is not None
    width, height = int(size[1]), int(size[2])
    # one text line (24 CSS px) less than the 150 px image: within 360×180 with both lines
    assert height == 126 and width == round(360 * 126 / 150)


def test_without_a_formula_the_hover_is_as_before() -> None:
    lines = hover_markdown(result_with(None), sparkline_rows=False).splitlines()
    assert not lines[0].endswith("  ") and lines[1] == ""
    assert lines[-1].endswith("|width=360,height=150)")


def test_a_long_line_is_cut_at_80_characters() -> None:
    long = "*".join(f"sin({k}*x)" for k in range(2, 40))
    formula = {**SPEC, "1": long}
    line = hover_line(result_with(formula))
    assert line is not None and len(line) == 80 and line.endswith("…")
    assert line.startswith("f′(x) = sin(2x)·sin(3x)·")
    assert "f′(x) = sin(2x)" in hover_markdown(result_with(formula))


def test_the_hover_line_of_a_surface_is_its_gradient() -> None:
    grid = [[0.0, 1.0], [1.0, 2.0]]
    bowl = SurfaceResult(
        function="bowl", variables=("u", "v"), fixed={}, domain=(-2.0, 2.0),
        ydomain=(-2.0, 2.0), order=1, method="autograd", x=[0.0, 1.0], y=[0.0, 1.0], f=grid,
        gradient=Gradient(grid, grid), critical_points=[],
        formula={"f": "u**2 + v", "x": "2*u", "y": "1",
                 "latex": {"f": "u^{2} + v", "x": "2 u", "y": "1"}},
    )  # fmt: skip
    assert hover_line(bowl) == "∇f(u, v) = (2u, 1)"


def test_markdown_in_a_formula_is_escaped() -> None:
    """Names are the user's: `a_b_c` must not turn into emphasis, `x.y` stays text."""
    formula = {**SPEC, "1": "2*a_b_c + 0.5*x"}
    text = hover_markdown(result_with(formula), sparkline_rows=False)
    assert text.splitlines()[1] == r"f′(x) = 2a\_b\_c + 0\.5x"
