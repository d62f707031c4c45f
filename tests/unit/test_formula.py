"""The closed form of f and its derivatives (docs/protocol.md, "Formula"), in-process.

Every formula shown is checked here against derivatives worked out by hand (not against
the formula's own output), at points between the samples too; every function a trace
cannot read has none; no formula writes a named constant as a long decimal.
"""

from __future__ import annotations

import math
import re
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs
import numpy as np
import pytest
import sympy as sp

from derivlens import engine, judge, runner, wire
from derivlens.options import Source, read_all
from derivlens.sandbox.outcome import Replied

Curve = Callable[[np.ndarray], np.ndarray]
PHI = 1 / math.sqrt(2 * math.pi)


def with_formula(tmp_path: Path, code: str, name: str, **options: Any) -> dict[str, Any]:
    """The CLI's request for `name` (the closed form asked for), run in this process and
    checked as the server checks a child's reply; the result as JSON."""
    path = tmp_path / "user_module.py"
    text = textwrap.dedent(code)
    path.write_text(text)
    prepared = engine.prepare_source(
        text, str(path), name=name, requested=read_all(options, Source.REQUEST)
    )
    reply = runner.run(wire.unstructure(attrs.evolve(prepared.request, formula=True)))
    return wire.result_json(judge.finish(prepared, Replied(reply, (), {}, ""), 0.0))


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-x))


def normal_cdf(x: np.ndarray) -> np.ndarray:
    return np.vectorize(lambda v: 0.5 * (1 + math.erf(v / math.sqrt(2))))(x)


def gelu_tanh_curves() -> tuple[Curve, Curve]:
    c = math.sqrt(2 / math.pi)

    def f(x: np.ndarray) -> np.ndarray:
        return 0.5 * x * (1 + np.tanh(c * (x + 0.044715 * x**3)))

    def f1(x: np.ndarray) -> np.ndarray:
        t = np.tanh(c * (x + 0.044715 * x**3))
        return 0.5 * (1 + t) + 0.5 * x * (1 - t**2) * c * (1 + 3 * 0.044715 * x**2)

    return f, f1


def mish_curves() -> tuple[Curve, Curve]:
    def f(x: np.ndarray) -> np.ndarray:
        return x * np.tanh(np.log1p(np.exp(x)))

    def f1(x: np.ndarray) -> np.ndarray:
        t = np.tanh(np.log1p(np.exp(x)))
        return t + x * (1 - t**2) * sigmoid(x)

    return f, f1


def swish_curves(beta: float) -> tuple[Curve, Curve]:
    def f1(x: np.ndarray) -> np.ndarray:
        s = sigmoid(beta * x)
        return s + beta * x * s * (1 - s)

    return (lambda x: x * sigmoid(beta * x)), f1


HEADER = (
    "import math\nimport functools\nimport torch\nimport torch.nn as nn\n"
    "import torch.nn.functional as F\n"
)

#: (name, code, domain, f, f′, f″ or None): f″ is checked where it is given (order 2).
ONE_VARIABLE: list[tuple[str, str, tuple[float, float], Curve, Curve, Curve | None]] = [
    ("cubic", "def f(x):\n    return x**3 - 2*x**2 + x - 1", (-2, 2),
     lambda x: x**3 - 2 * x**2 + x - 1, lambda x: 3 * x**2 - 4 * x + 1, lambda x: 6 * x - 4),
    ("quartic", "def f(x):\n    return (x - 1) ** 4", (-2, 3),
     lambda x: (x - 1) ** 4, lambda x: 4 * (x - 1) ** 3, lambda x: 12 * (x - 1) ** 2),
    ("rational", "def f(x):\n    return 1 / (1 + x * x)", (-4, 4),
     lambda x: 1 / (1 + x**2), lambda x: -2 * x / (1 + x**2) ** 2,
     lambda x: (6 * x**2 - 2) / (1 + x**2) ** 3),
    ("sqrt", "def f(x):\n    return torch.sqrt(x)", (0.5, 4),
     np.sqrt, lambda x: 0.5 / np.sqrt(x), lambda x: -0.25 * x**-1.5),
    ("sin 2πx", "def f(x):\n    return torch.sin(2 * math.pi * x)", (-1, 1),
     lambda x: np.sin(2 * np.pi * x), lambda x: 2 * np.pi * np.cos(2 * np.pi * x),
     lambda x: -4 * np.pi**2 * np.sin(2 * np.pi * x)),
    ("cos squared", "def f(x):\n    return torch.cos(x) ** 2", (-3, 3),
     lambda x: np.cos(x) ** 2, lambda x: -np.sin(2 * x), lambda x: -2 * np.cos(2 * x)),
    ("tan", "def f(x):\n    return torch.tan(x)", (-1.2, 1.2),
     np.tan, lambda x: 1 / np.cos(x) ** 2, lambda x: 2 * np.tan(x) / np.cos(x) ** 2),
    ("normal pdf", "def f(x):\n    return torch.exp(-x**2 / 2) / math.sqrt(2 * math.pi)", (-4, 4),
     lambda x: PHI * np.exp(-(x**2) / 2), lambda x: -x * PHI * np.exp(-(x**2) / 2),
     lambda x: (x**2 - 1) * PHI * np.exp(-(x**2) / 2)),
    ("log", "def f(x):\n    return torch.log(x)", (0.5, 5),
     np.log, lambda x: 1 / x, lambda x: -1 / x**2),
    ("log1p of square", "def f(x):\n    return torch.log1p(x * x)", (-3, 3),
     lambda x: np.log1p(x**2), lambda x: 2 * x / (1 + x**2),
     lambda x: (2 - 2 * x**2) / (1 + x**2) ** 2),
    ("x e^-x", "def f(x):\n    return x * torch.exp(-x)", (-1, 5),
     lambda x: x * np.exp(-x), lambda x: (1 - x) * np.exp(-x), lambda x: (x - 2) * np.exp(-x)),
    ("sigmoid", "def f(x):\n    return torch.sigmoid(x)", (-6, 6),
     sigmoid, lambda x: sigmoid(x) * (1 - sigmoid(x)),
     lambda x: sigmoid(x) * (1 - sigmoid(x)) * (1 - 2 * sigmoid(x))),
    ("softplus", "def f(x):\n    return F.softplus(x)", (-5, 5),
     lambda x: np.log1p(np.exp(x)), sigmoid, lambda x: sigmoid(x) * (1 - sigmoid(x))),
    ("softplus beta 2", "def f(x):\n    return F.softplus(x, beta=2.0)", (-3, 3),
     lambda x: np.log1p(np.exp(2 * x)) / 2, lambda x: sigmoid(2 * x),
     lambda x: 2 * sigmoid(2 * x) * (1 - sigmoid(2 * x))),
    ("tanh GELU", "def f(x):\n    return 0.5 * x * (1 + torch.tanh(math.sqrt(2 / math.pi)"
     " * (x + 0.044715 * torch.pow(x, 3))))", (-4, 4), *gelu_tanh_curves(), None),
    ("nn.GELU", "act = nn.GELU()", (-4, 4), lambda x: x * normal_cdf(x),
     lambda x: normal_cdf(x) + x * PHI * np.exp(-(x**2) / 2),
     lambda x: (2 - x**2) * PHI * np.exp(-(x**2) / 2)),
    ("SiLU", "def f(x):\n    return F.silu(x)", (-6, 6),
     lambda x: x * sigmoid(x), lambda x: sigmoid(x) + x * sigmoid(x) * (1 - sigmoid(x)),
     lambda x: sigmoid(x) * (1 - sigmoid(x)) * (2 + x * (1 - 2 * sigmoid(x)))),
    ("mish", "def f(x):\n    return F.mish(x)", (-5, 5), *mish_curves(), None),
    ("atan", "def f(x):\n    return torch.atan(x)", (-3, 3),
     np.arctan, lambda x: 1 / (1 + x**2), lambda x: -2 * x / (1 + x**2) ** 2),
    ("sinh + cosh", "def f(x):\n    return torch.sinh(x) + torch.cosh(x)", (-2, 2),
     np.exp, np.exp, np.exp),
    ("erf", "def f(x):\n    return torch.erf(x)", (-3, 3),
     np.vectorize(math.erf), lambda x: 2 / np.sqrt(np.pi) * np.exp(-(x**2)),
     lambda x: -4 * x / np.sqrt(np.pi) * np.exp(-(x**2))),
    ("sin of exp", "def f(x):\n    return torch.sin(torch.exp(x))", (-2, 1.5),
     lambda x: np.sin(np.exp(x)), lambda x: np.cos(np.exp(x)) * np.exp(x),
     lambda x: np.cos(np.exp(x)) * np.exp(x) - np.sin(np.exp(x)) * np.exp(2 * x)),
    ("held floats", "def f(x, a=1.5, b=-2.0):\n    return a * x**2 + b * x", (-3, 3),
     lambda x: 1.5 * x**2 - 2 * x, lambda x: 3 * x - 2, lambda x: 3 + 0 * x),
    ("held int power", "def f(x, n=3):\n    return x ** n", (-2, 2),
     lambda x: x**3, lambda x: 3 * x**2, lambda x: 6 * x),
    ("lambda", "f = lambda x: x**2 + torch.cos(x)", (-3, 3),
     lambda x: x**2 + np.cos(x), lambda x: 2 * x - np.sin(x), lambda x: 2 - np.cos(x)),
    ("module forward", "class Swish(nn.Module):\n    def __init__(self, beta=1.5):\n"
     "        super().__init__()\n        self.beta = beta\n\n    def forward(self, x):\n"
     "        return x * torch.sigmoid(self.beta * x)", (-4, 4), *swish_curves(1.5), None),
    ("partial", "def g(x, a=1.0):\n    return a * torch.sin(x)\n\nf = functools.partial(g, a=2.5)",
     (-3, 3), lambda x: 2.5 * np.sin(x), lambda x: 2.5 * np.cos(x), lambda x: -2.5 * np.sin(x)),
    ("method calls", "def f(x):\n    return x.exp().mul(2).add(x.pow(2))", (-2, 2),
     lambda x: 2 * np.exp(x) + x**2, lambda x: 2 * np.exp(x) + 2 * x, lambda x: 2 * np.exp(x) + 2),
    ("2 to the x", "def f(x):\n    return 2 ** x", (-3, 3),
     lambda x: 2.0**x, lambda x: np.log(2) * 2.0**x, lambda x: np.log(2) ** 2 * 2.0**x),
    ("root of square + 1", "def f(x):\n    return (x * x + 1) ** 0.5", (-3, 3),
     lambda x: np.sqrt(x**2 + 1), lambda x: x / np.sqrt(x**2 + 1), lambda x: (x**2 + 1) ** -1.5),
    ("log-sigmoid", "def f(x):\n    return F.logsigmoid(x)", (-5, 5),
     lambda x: -np.log1p(np.exp(-x)), lambda x: 1 - sigmoid(x),
     lambda x: -sigmoid(x) * (1 - sigmoid(x))),
    ("degrees", "def f(x):\n    return torch.sin(x * math.pi / 180)", (-360, 360),
     lambda x: np.sin(x * np.pi / 180), lambda x: np.pi / 180 * np.cos(x * np.pi / 180),
     lambda x: -((np.pi / 180) ** 2) * np.sin(x * np.pi / 180)),
    ("x tanh x", "def f(x):\n    return x * x.tanh()", (-3, 3),
     lambda x: x * np.tanh(x), lambda x: np.tanh(x) + x / np.cosh(x) ** 2,
     lambda x: 2 / np.cosh(x) ** 2 - 2 * x * np.tanh(x) / np.cosh(x) ** 2),
    ("tensor constant", "SCALE = torch.tensor(0.25)\n\ndef f(x):\n    return SCALE * x**3", (-2, 2),
     lambda x: 0.25 * x**3, lambda x: 0.75 * x**2, lambda x: 1.5 * x),
]  # fmt: skip


def name_of(code: str) -> str:
    """The plotted name: a class's forward, `act`, or `f`."""
    if code.startswith("class "):
        return code.split()[1].split("(")[0] + ".forward"
    return "act" if code.startswith("act =") else "f"


def off_samples(domain: tuple[float, float]) -> np.ndarray:
    """Points that are not samples: the proof used the samples, this checks between them."""
    rng = np.random.default_rng(7)
    lo, hi = domain
    return rng.uniform(lo, hi, 50)


def formula_values(text: str, variables: list[str], points: list[np.ndarray]) -> np.ndarray:
    symbols = {name: sp.Symbol(name, real=True) for name in variables}
    expr = sp.sympify(text, locals=symbols)
    function = sp.lambdify(list(symbols.values()), expr, modules=["mpmath", "numpy"])
    values = [float(function(*p)) for p in zip(*points, strict=True)]
    return np.array(values)


def assert_matches(
    text: str, curve: Curve, domain: tuple[float, float], what: str, variable: str = "x"
) -> None:
    x = off_samples(domain)
    expected = curve(x)
    scale = max(float(np.max(np.abs(expected))), 1e-300)
    actual = formula_values(text, [variable], [x])
    assert np.max(np.abs(actual - expected)) <= 1e-9 * scale, (what, text)


@pytest.mark.parametrize(
    "name, code, domain, f, f1, f2", ONE_VARIABLE, ids=[case[0] for case in ONE_VARIABLE]
)
def test_each_formula_shown_is_the_function_and_its_derivatives(
    tmp_path: Path, name: str, code: str, domain: Any, f: Curve, f1: Curve, f2: Curve | None
) -> None:
    order = 2 if f2 is not None else 1
    result = with_formula(
        tmp_path, HEADER + code + "\n", name_of(code), domain=list(domain), order=order,
        samples=101,
    )  # fmt: skip
    formula = result["formula"]
    assert formula is not None, name
    assert sorted(formula) == sorted(["f", *map(str, range(1, order + 1)), "latex"])
    assert sorted(formula["latex"]) == sorted(["f", *map(str, range(1, order + 1))])
    (variable,) = result["variables"]  # `input` for nn.GELU's forward
    assert_matches(formula["f"], f, domain, "f", variable)
    assert_matches(formula["1"], f1, domain, "f′", variable)
    if f2 is not None:
        assert_matches(formula["2"], f2, domain, "f″", variable)
    for text in [*(formula[k] for k in formula if k != "latex"), *formula["latex"].values()]:
        assert not long_literals(text), (name, text)


def long_literals(text: str) -> list[str]:
    """Numbers of 10 or more significant digits (a constant that was not recognised)."""
    numbers = re.findall(r"\d+(?:\.\d+)?", text)
    return [n for n in numbers if len(n.replace(".", "").lstrip("0")) >= 10]


def test_constants_read_as_people_write_them(tmp_path: Path) -> None:
    code = HEADER + textwrap.dedent(
        """
        def wave(x):
            return torch.sin(2 * math.pi * x)

        def density(x):
            return torch.exp(-x**2 / 2) / math.sqrt(2 * math.pi)

        def gelu(x):
            return 0.5 * x * (1 + torch.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3)))

        def growth(x):
            return torch.exp(x * math.e) * 0.5
        """
    )
    wave = with_formula(tmp_path, code, "wave", order=2)["formula"]
    assert wave["f"] == "sin(2*pi*x)"
    assert wave["1"] == "2*pi*cos(2*pi*x)"
    assert wave["latex"]["1"] == r"2 \pi \cos{\left(2 \pi x \right)}"
    density = with_formula(tmp_path, code, "density")["formula"]
    assert "sqrt(pi)" in density["f"] and "sqrt(2)" in density["f"]
    gelu = with_formula(tmp_path, code, "gelu")["formula"]
    assert "sqrt(pi)" in gelu["f"] and "0.044715" in gelu["f"]
    growth = with_formula(tmp_path, code, "growth")["formula"]
    assert growth["f"] == "exp(E*x)/2"


def test_the_specs_polynomial_reads_as_in_the_spec(tmp_path: Path) -> None:
    code = "def f(x):\n    return x**3 - 2*x**2 + x - 1\n"
    formula = with_formula(tmp_path, code, "f", order=2)["formula"]
    assert {k: formula[k] for k in ("f", "1", "2")} == {
        "f": "x**3 - 2*x**2 + x - 1",
        "1": "3*x**2 - 4*x + 1",
        "2": "6*x - 4",
    }
    assert formula["latex"]["f"] == "x^{3} - 2 x^{2} + x - 1"


def test_held_values_set_by_params_are_in_the_formula(tmp_path: Path) -> None:
    code = "def f(x, a=1.5):\n    return a * x**2\n"
    path = tmp_path / "held.py"
    path.write_text(code)
    prepared = engine.prepare_source(code, str(path), name="f", params={"a": 4.0})
    reply = runner.run(wire.unstructure(attrs.evolve(prepared.request, formula=True)))
    formula = judge.finish(prepared, Replied(reply, (), {}, ""), 0.0).formula
    assert formula is not None and formula["f"] == "4*x**2" and formula["1"] == "8*x"
