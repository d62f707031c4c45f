"""A reply's formula checked as hostile input (docs/protocol.md, "Formula").

The sandboxed child ran user code, so the formula it sends is checked like the rest of
its reply: the keys are those of the result (f and each derivative asked for, or f and
both partials), every text is bounded, the SymPy text is made of SymPy's tokens only
(names, numbers, operators, parentheses, commas) and the LaTeX of plain characters and
an allow-list of commands (no `\\href`, no `\\url`, no `$`, `%`, `&` or `#`). Pure: no
SymPy here, nothing is parsed by evaluation. The hover then writes it from these tokens
(`formula_line`).
"""

from __future__ import annotations

import re

from derivlens import model

#: Longest text of one expression (SymPy or LaTeX) that a reply may carry.
MAX_TEXT = 2000
#: A SymPy expression as `sympy.sstr` writes a real one: names, decimal numbers
#: (`1.0e-20`), arithmetic, parentheses and commas, single spaces.
SYMPY_TEXT = re.compile(r"[A-Za-z0-9_.+\-*/(), ]+")
#: LaTeX from `sympy.latex`: letters, digits, braces, arithmetic and these commands.
LATEX_TEXT = re.compile(r"(?:[A-Za-z0-9_.+\-*/()\[\]{}^,|! ]|\\[A-Za-z]+|\\[,;! ])+")
_COMMAND_NAMES = """frac sqrt left right cdot operatorname pi log ln exp sin cos tan cot sec
    csc sinh cosh tanh coth asin acos atan arcsin arccos arctan asinh acosh atanh mathrm mathit text
    alpha beta gamma delta epsilon varepsilon zeta eta theta vartheta iota kappa lambda mu
    nu xi omicron rho varrho sigma tau upsilon phi varphi chi psi omega Gamma Delta Theta
    Lambda Xi Pi Sigma Upsilon Phi Psi Omega"""
LATEX_COMMANDS = frozenset(_COMMAND_NAMES.split())
_COMMAND = re.compile(r"\\([A-Za-z]+)")


def expected_keys(result: model.Result) -> list[str]:
    """f and each derivative asked for (one variable), or f and both partials ("x", "y")."""
    if isinstance(result, model.SurfaceResult):
        return ["f", "x", "y"]
    return ["f", *(str(k) for k in range(1, result.order + 1))]


def problem(result: model.Result) -> str | None:
    """What is wrong with `result`'s formula, or None (also when it has none)."""
    formula = result.formula
    if formula is None:
        return None
    if isinstance(result, model.VectorCurvesResult):
        return "a formula for a vector-valued function"
    keys = expected_keys(result)
    latex = formula.get("latex")
    if list(formula) != [*keys, "latex"] or not isinstance(latex, dict) or list(latex) != keys:
        return "a formula whose keys are not f and the derivatives asked for"
    for key in keys:
        text = formula[key]
        assert isinstance(text, str)  # the model's converter checked the shape
        if not 0 < len(text) <= MAX_TEXT or not SYMPY_TEXT.fullmatch(text):
            return f"a formula of {key} that is not SymPy text"
        if not 0 < len(latex[key]) <= MAX_TEXT or not latex_ok(latex[key]):
            return f"a LaTeX formula of {key} with characters or commands it may not have"
    return None


def latex_ok(text: str) -> bool:
    """Only plain characters and the allowed commands."""
    if not LATEX_TEXT.fullmatch(text):
        return False
    return all(name in LATEX_COMMANDS for name in _COMMAND.findall(text))
