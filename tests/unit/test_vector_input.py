"""Vector input (docs/protocol.md, "Vector input"): a function of one parameter read only
as `v[0]` … `v[n-1]` (or unpacked) is a surface over `v[0]` and `v[1]`, the others held.

Numbers are checked against the partials worked out by hand here, on the result's grid."""

from __future__ import annotations

import textwrap

import attrs
import numpy as np
import pytest
import sympy as sp

from derivlens import engine, judge, runner, wire
from derivlens.errors import DerivlensError
from derivlens.locate import parse_module
from derivlens.options import Source, read_all
from derivlens.sandbox.outcome import Replied
from tests.helpers import array, evaluate_source

ROSENBROCK = """
def rosenbrock(v):
    return (1 - v[0]) ** 2 + 100 * (v[1] - v[0] ** 2) ** 2
"""

HIMMELBLAU = """
def himmelblau(p):
    a, b = p
    return (a * a + b - 11) ** 2 + (a + b * b - 7) ** 2
"""

THREE = """
import torch

def three(x, scale=2.0):
    return scale * x[0] * x[2] + x[1] ** 2 + torch.sin(x[2] * x[0])
"""


def grid(result: dict) -> tuple[np.ndarray, np.ndarray]:
    """(x0, x1) at every point of the result's grid, rows following x1."""
    x0, x1 = np.meshgrid(array(result["x"]), array(result["y"]))
    return x0, x1


def signature_of(source: str, name: str):
    return parse_module(textwrap.dedent(source)).by_name(name).signature


# --- which functions are vector input ----------------------------------------------------


@pytest.mark.parametrize(
    ("source", "name", "variables", "fixed", "count"),
    [
        (ROSENBROCK, "rosenbrock", ("v[0]", "v[1]"), (), 2),
        (HIMMELBLAU, "himmelblau", ("p[0]", "p[1]"), (), 2),
        (THREE, "three", ("x[0]", "x[1]"), ("x[2]", "scale"), 3),
        ("g = lambda v: v[0] ** 2 + v[1] ** 2\n", "g", ("v[0]", "v[1]"), (), 2),
        ("def f(x):\n    a, b, c = x\n    return a + x[2] * b\n", "f", ("x[0]", "x[1]"),
         ("x[2]",), 3),
        ("def f(x):\n    return x[0] + x[7]\n", "f", ("x[0]", "x[1]"),
         tuple(f"x[{i}]" for i in range(2, 8)), 8),
        ("class C:\n    @staticmethod\n    def f(q):\n        return q[1] * q[0]\n", "C.f",
         ("q[0]", "q[1]"), (), 2),
        ("import torch\nclass M(torch.nn.Module):\n    def __init__(self, k=2.0):\n"
         "        super().__init__()\n        self.k = k\n"
         "    def forward(self, z):\n        return self.k * z[0] + z[1]\n", "M.forward",
         ("z[0]", "z[1]"), ("M(k)",), 2),
    ],
)  # fmt: skip
def test_vector_input_is_found_from_the_source(source, name, variables, fixed, count):
    signature = signature_of(source, name)
    assert signature.problem is None
    assert (signature.variables, signature.fixed, signature.components) == (
        variables,
        fixed,
        count,
    )


@pytest.mark.parametrize(
    "body",
    [
        "return x * 2",
        "return x.sum()",
        "i = 1\n    return x[i]",
        "return x[0:2]",
        "return len(x)",
        "return x[-1] + x[0]",
        "return x[0]",  # one component: n starts at 2
        "return g(x) + x[1]",
        "a, *b = x\n    return a",
        "a, b = x\n    c, d, e = x\n    return a",
        "a, b = x\n    return a + x[2]",
        "x[0] = 1\n    return x[1]",
        "x = x + 1\n    return x[1]",
        "return x[True] + x[1]",
    ],
)
def test_other_uses_of_the_parameter_keep_one_variable(body):
    signature = signature_of(f"def g(x):\n    return x\n\ndef f(x):\n    {body}\n", "f")
    assert (signature.variables, signature.components, signature.problem) == (("x",), 0, None)


def test_more_than_eight_components_is_refused_saying_why():
    signature = signature_of("def f(x):\n    return x[0] + x[8]\n", "f")
    assert signature.problem == (
        "f reads x as a vector of 9 components (x[0] … x[8]); derivlens plots vector input "
        "of 2 to 8 components: pass the others as parameters with defaults to hold them fixed"
    )


def test_a_constructor_that_indexes_its_argument_still_needs_it():
    source = (
        "import torch\nclass M(torch.nn.Module):\n    def __init__(self, dims):\n"
        "        super().__init__()\n        self.n = dims[0] + dims[1]\n"
        "    def forward(self, x):\n        return x * self.n\n"
    )
    problem = signature_of(source, "M.forward").problem
    assert problem is not None and "needs constructor arguments (dims)" in problem


# --- values and partials -----------------------------------------------------------------


def test_rosenbrock_partials_and_its_minimum(tmp_path):
    result = evaluate_source(
        tmp_path, ROSENBROCK, "rosenbrock", domain=(-2, 2), ydomain=(-1, 3), samples=41
    )
    assert result["variables"] == ["v[0]", "v[1]"] and result["fixed"] == {}
    assert result["method"] == "autograd"
    a, b = grid(result)
    np.testing.assert_allclose(result["f"], (1 - a) ** 2 + 100 * (b - a**2) ** 2, rtol=1e-12)
    np.testing.assert_allclose(
        result["gradient"]["x"], -2 * (1 - a) - 400 * a * (b - a**2), rtol=1e-12, atol=1e-9
    )
    np.testing.assert_allclose(result["gradient"]["y"], 200 * (b - a**2), rtol=1e-12, atol=1e-9)
    # the valley puts sign changes of both partials in many cells; one point is critical
    np.testing.assert_allclose(result["critical_points"], [[1.0, 1.0]], atol=1e-9)


def test_himmelblau_unpacked_has_its_four_minima_among_the_critical_points(tmp_path):
    result = evaluate_source(
        tmp_path, HIMMELBLAU, "himmelblau", domain=(-5, 5), ydomain=(-5, 5), samples=61
    )
    assert result["variables"] == ["p[0]", "p[1]"]
    a, b = grid(result)
    np.testing.assert_allclose(
        result["gradient"]["x"], 4 * a * (a * a + b - 11) + 2 * (a + b * b - 7), atol=1e-9
    )
    np.testing.assert_allclose(
        result["gradient"]["y"], 2 * (a * a + b - 11) + 4 * b * (a + b * b - 7), atol=1e-9
    )
    points = np.array(result["critical_points"])
    # The minima, known in closed form for (3, 2), the others to 1e-6 from the literature.
    minima = [(3.0, 2.0), (-2.805118, 3.131312), (-3.779310, -3.283186), (3.584428, -1.848126)]
    for x, y in minima:
        nearest = np.min(np.hypot(points[:, 0] - x, points[:, 1] - y))
        assert nearest < 2e-6, (x, y, points)
    # every point reported is critical: both partials vanish there
    px, py = points[:, 0], points[:, 1]
    gx = 4 * px * (px * px + py - 11) + 2 * (px + py * py - 7)
    gy = 2 * (px * px + py - 11) + 4 * py * (px + py * py - 7)
    np.testing.assert_allclose(np.hypot(gx, gy), 0, atol=1e-9)
    assert len(points) == 9  # four minima, one maximum, four saddles


def test_three_components_hold_the_third_at_zero_then_at_params(tmp_path):
    at_zero = evaluate_source(tmp_path, THREE, "three", domain=(-1, 1), ydomain=(-1, 1), samples=9)
    assert at_zero["variables"] == ["x[0]", "x[1]"]
    assert at_zero["fixed"] == {"x[2]": 0.0, "scale": 2.0}
    a, b = grid(at_zero)
    np.testing.assert_allclose(at_zero["f"], b**2, atol=1e-15)
    np.testing.assert_allclose(at_zero["gradient"]["x"], 0 * a, atol=1e-15)

    held = evaluate_source(
        tmp_path, THREE, "three", domain=(-1, 1), ydomain=(-1, 1), samples=9,
        params={"x[2]": 1.5, "scale": 3.0},
    )  # fmt: skip
    assert held["fixed"] == {"x[2]": 1.5, "scale": 3.0}
    c = 1.5
    np.testing.assert_allclose(held["f"], 3 * a * c + b**2 + np.sin(c * a), rtol=1e-12)
    np.testing.assert_allclose(held["gradient"]["x"], 3 * c + c * np.cos(c * a), rtol=1e-12)
    np.testing.assert_allclose(held["gradient"]["y"], 2 * b, atol=1e-15)


def test_a_component_that_is_not_held_is_invalid_options_naming_those_that_are(tmp_path):
    for name in ("x[9]", "x[1]", "x[3]"):
        with pytest.raises(DerivlensError) as raised:
            evaluate_source(tmp_path, THREE, "three", params={name: 1.0})
        assert raised.value.kind == "invalid-options"
        assert raised.value.message == (
            f"params: three has no held parameter {name!r} (held: x[2], scale)"
        )


def test_code_that_fails_on_tensors_gets_its_vector_as_numbers(tmp_path):
    source = """
    import numpy as np

    def bowl(v):
        if np.any(np.isnan([v[0], v[1]])):
            return 0.0
        return float(v[0]) ** 2 + 3 * float(v[1]) ** 2 + v[2]
    """
    result = evaluate_source(
        tmp_path, source, "bowl", domain=(-1, 1), ydomain=(-1, 1), samples=11,
        params={"v[2]": 4.0},
    )  # fmt: skip
    assert result["method"] == "finite-difference"
    a, b = grid(result)
    np.testing.assert_allclose(result["f"], a**2 + 3 * b**2 + 4.0, rtol=1e-12)
    np.testing.assert_allclose(result["gradient"]["x"], 2 * a, atol=1e-6)
    np.testing.assert_allclose(result["gradient"]["y"], 6 * b, atol=1e-6)


# --- shapes that are not vector input behave exactly as before ---------------------------


def test_scaling_the_parameter_is_still_a_curve(tmp_path):
    result = evaluate_source(tmp_path, "def f(x):\n    return x * 2 + x.sum()\n", "f")
    assert result["variables"] == ["x"]
    x = array(result["x"])
    np.testing.assert_allclose(array(result["f"]), 3 * x)
    np.testing.assert_allclose(array(result["derivatives"]["1"]), 3.0)


@pytest.mark.parametrize(
    ("body", "raised"),
    [
        # a 0-d tensor cannot be indexed, so the function is tried on a Python float
        ("return x[0:2]", "TypeError: 'float' object is not subscriptable"),
        ("i = 0\n    return x[i]", "TypeError: 'float' object is not subscriptable"),
        ("return x[0]", "TypeError: 'float' object is not subscriptable"),
        ("return len(x)", "TypeError: object of type 'float' has no len()"),
    ],
)
def test_indexing_one_number_is_still_the_users_error(tmp_path, body, raised):
    with pytest.raises(DerivlensError) as error:
        evaluate_source(tmp_path, f"def f(x):\n    {body}\n", "f")
    assert error.value.kind == "user-error"
    message = error.value.message
    assert message.startswith(f"f raised {raised} (user_module.py:"), message


# --- the formula -------------------------------------------------------------------------


def formula_of(tmp_path, source: str, name: str, **how) -> dict:
    """The result with its formula, as the CLI asks for it (in this process)."""
    path = tmp_path / "user_module.py"
    text = textwrap.dedent(source)
    path.write_text(text)
    requested = read_all(how.pop("requested", {}), Source.REQUEST)
    prepared = engine.prepare_source(text, str(path), name=name, requested=requested, **how)
    request = attrs.evolve(prepared.request, formula=True)
    reply = runner.run(wire.unstructure(request))
    return wire.result_json(judge.finish(prepared, Replied(reply, (), {}, ""), 0.0))


@pytest.fixture
def formula_time(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests are about the formula's names and values, not its time budget
    (docs/protocol.md, "Formula"; tested in test_formula_proof.py): on a loaded machine
    the in-process run can pass it, and then the formula is rightly null."""
    from derivlens.calculus import formula

    monkeypatch.setattr(formula, "STEP_S", 30.0)


@pytest.mark.usefixtures("formula_time")
def test_the_formula_names_the_components_with_subscripts(tmp_path):
    result = formula_of(tmp_path, ROSENBROCK, "rosenbrock", requested={"samples": 11})
    v0, v1 = sp.symbols("v_0 v_1", real=True)
    f = (1 - v0) ** 2 + 100 * (v1 - v0**2) ** 2
    expected = {"f": f, "x": sp.diff(f, v0), "y": sp.diff(f, v1)}
    formula = result["formula"]
    for key, expr in expected.items():
        assert sp.simplify(sp.sympify(formula[key], locals={"v_0": v0, "v_1": v1}) - expr) == 0
    assert formula["latex"]["y"] == "- 200 v_{0}^{2} + 200 v_{1}"


@pytest.mark.usefixtures("formula_time")
def test_the_formula_of_a_held_component_is_its_value(tmp_path):
    result = formula_of(tmp_path, THREE, "three", requested={"samples": 11},
                        params={"x[2]": 0.25})  # fmt: skip
    x0, x1 = sp.symbols("x_0 x_1", real=True)
    gradient_x = sp.sympify(result["formula"]["x"], locals={"x_0": x0, "x_1": x1})
    expected = 2.0 * 0.25 + 0.25 * sp.cos(0.25 * x0)
    assert float(sp.Abs(gradient_x - expected).subs({x0: 0.7, x1: -0.3})) < 1e-12


def test_cli_param_reads_a_component_name():
    from derivlens.errors import InvalidOptions
    from derivlens.options import read_params

    assert read_params(["x[2]=1.5", "p[7]=-pi"]) == {"x[2]": 1.5, "p[7]": -np.pi}
    for item in ("x[8]=1", "x[-1]=1", "x[]=1", "x[2=1", "[2]=1"):
        with pytest.raises(InvalidOptions) as raised:
            read_params([item])
        assert raised.value.message == (
            "--param: write it as NAME=VALUE (or 'Class(name)=VALUE' for a module's "
            f"constructor, 'x[2]=VALUE' for a vector's component), got {item!r}"
        )
