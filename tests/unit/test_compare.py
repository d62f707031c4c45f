"""Compare (docs/protocol.md, "Compare"): g beside f on the same x, and f − g.

The request is prepared as the CLI and the server prepare it, run by the runner in this
process and checked as the server checks a child's reply; numbers are held to formulas
computed here, errors to their exact kind and message.
"""

from __future__ import annotations

import math
import textwrap
from pathlib import Path
from typing import Any

import attrs
import numpy as np
import pytest

from derivlens import engine, judge, runner, slicing, wire
from derivlens.errors import DerivlensError
from derivlens.formula_jobs import formula_key
from derivlens.locate import parse_module
from derivlens.options import Source, read_all
from derivlens.sandbox.outcome import Replied
from tests.helpers import array, assert_refused_option

SOURCE = textwrap.dedent(
    """
    import math
    import torch

    print("module-level statements never run")

    def gelu(x):
        return 0.5 * x * (1 + torch.erf(x / math.sqrt(2)))

    def gelu_tanh(x):
        return 0.5 * x * (1 + torch.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3)))

    def sine(x):
        return torch.sin(x)

    def taylor5(x, a=1.0):
        return a * (x - x**3 / 6 + x**5 / 120)

    def square(x):
        return x**2

    def cube(t):
        return t**3

    def outer(x):
        def inner(t):
            return t
        return inner(x)

    def constant():
        return 1.0

    def bowl(x, y):
        return x**2 + y**2

    def saddle(x, y):
        return x**2 - y**2

    def pair(x):
        return torch.stack([x, x * x])

    def broken(x):
        return x + undefined_name
    """
)


def prepared_for(
    tmp_path: Path, name: str, compare: str | None, text: str = SOURCE, **options: Any
) -> engine.Prepared:
    path = tmp_path / "activations.py"
    path.write_text(text)
    return engine.prepare_source(
        text,
        str(path),
        name=name,
        requested=read_all(options, Source.REQUEST),
        compare=compare,
    )


def evaluated(prepared: engine.Prepared) -> dict[str, Any]:
    reply = runner.run(wire.unstructure(prepared.request))
    return wire.result_json(judge.finish(prepared, Replied(reply, (), {}, ""), 0.0))


def compared(tmp_path: Path, name: str, other: str, **options: Any) -> dict[str, Any]:
    return evaluated(prepared_for(tmp_path, name, other, **options))


def refusal(tmp_path: Path, name: str, other: str, text: str = SOURCE) -> DerivlensError:
    """The error for comparing `name` with `other`, wherever it is found (server or child)."""
    with pytest.raises(DerivlensError) as caught:
        compared_text = prepared_for(tmp_path, name, other, text)
        reply = runner.run(wire.unstructure(compared_text.request))
        judge.finish(compared_text, Replied(reply, (), {}, ""), 0.0)
    return caught.value


# --- numbers against formulas computed here ------------------------------------------------


def test_gelu_against_its_tanh_approximation(tmp_path):
    result = compared(tmp_path, "gelu", "gelu_tanh", domain=[-4, 4], order=2, samples=161)
    c = math.sqrt(2 / math.pi)
    x = array(result["x"])
    np.testing.assert_allclose(x, np.linspace(-4, 4, 161))
    u = c * (x + 0.044715 * x**3)
    t = np.tanh(u)
    approx = 0.5 * x * (1 + t)
    approx_1 = 0.5 * (1 + t) + 0.5 * x * (1 - t**2) * c * (1 + 3 * 0.044715 * x**2)
    erf = np.array([math.erf(v / math.sqrt(2)) for v in x])
    exact = 0.5 * x * (1 + erf)
    exact_1 = 0.5 * (1 + erf) + x * np.exp(-(x**2) / 2) / math.sqrt(2 * math.pi)
    comparison = result["compare"]
    assert comparison["function"] == "gelu_tanh"
    assert sorted(comparison["derivatives"]) == ["1", "2"]
    np.testing.assert_allclose(array(comparison["f"]), approx, rtol=0, atol=1e-12)
    np.testing.assert_allclose(array(comparison["derivatives"]["1"]), approx_1, atol=1e-12)
    np.testing.assert_allclose(array(comparison["difference"]), exact - approx, atol=1e-12)
    # The difference's derivative, from the two series of derivatives.
    slope = array(result["derivatives"]["1"]) - array(comparison["derivatives"]["1"])
    np.testing.assert_allclose(slope, exact_1 - approx_1, atol=1e-12)
    # The approximation is good to 5e-4 and no better: the difference is not zero.
    assert 1e-4 < np.max(np.abs(exact - approx)) < 5e-4


def test_sine_against_its_taylor_polynomial_held_parameter_at_its_default(tmp_path):
    result = compared(tmp_path, "sine", "taylor5", domain=[-3, 3], order=3, samples=61)
    x = array(result["x"])
    poly = [x - x**3 / 6 + x**5 / 120, 1 - x**2 / 2 + x**4 / 24, -x + x**3 / 6, -1 + x**2 / 2]
    comparison = result["compare"]
    np.testing.assert_allclose(array(comparison["f"]), poly[0], atol=1e-12)
    for k in (1, 2, 3):
        np.testing.assert_allclose(array(comparison["derivatives"][str(k)]), poly[k], atol=1e-12)
    np.testing.assert_allclose(array(comparison["difference"]), np.sin(x) - poly[0], atol=1e-12)
    # f's own result is untouched by the comparison.
    np.testing.assert_allclose(array(result["f"]), np.sin(x), atol=1e-15)
    assert result["fixed"] == {}


def test_square_against_cube_of_another_variable_name(tmp_path):
    result = compared(tmp_path, "square", "cube", domain=[-1, 2], order=2, samples=31)
    x = np.linspace(-1, 2, 31)
    comparison = result["compare"]
    np.testing.assert_allclose(array(comparison["f"]), x**3, atol=1e-12)
    np.testing.assert_allclose(array(comparison["derivatives"]["1"]), 3 * x**2, atol=1e-12)
    np.testing.assert_allclose(array(comparison["derivatives"]["2"]), 6 * x, atol=1e-12)
    np.testing.assert_allclose(array(comparison["difference"]), x**2 - x**3, atol=1e-12)
    assert list(result).index("discontinuities") < list(result).index("compare")


def test_no_compare_key_without_a_request(tmp_path):
    assert "compare" not in evaluated(prepared_for(tmp_path, "square", None, samples=5))


def test_a_failing_g_is_a_user_error_naming_g(tmp_path):
    error = refusal(tmp_path, "square", "broken")
    assert error.kind.value == "user-error"
    assert error.message.startswith("compare: broken raised NameError: name 'undefined_name'")
    assert "activations.py:" in error.message


# --- what runs: the slice defines both, nothing else -----------------------------------------


def test_the_slice_defines_f_and_g_and_runs_nothing_else(tmp_path):
    prepared = prepared_for(tmp_path, "gelu", "gelu_tanh")
    module = parse_module(SOURCE, "activations.py")
    kept = slicing.sliced_source(module, module.by_name("gelu"))[0]
    assert "def gelu_tanh" not in kept  # without compare, g is not in f's slice
    assert "def gelu(x)" in prepared.code and "def gelu_tanh(x)" in prepared.code
    assert "print(" not in prepared.code and "def sine" not in prepared.code
    assert prepared.code.splitlines()[6] == "def gelu(x):"  # kept on its own line


def test_the_cache_key_changes_with_g_and_its_code(tmp_path):
    plain = prepared_for(tmp_path, "gelu", None).cache_key
    with_g = prepared_for(tmp_path, "gelu", "gelu_tanh").cache_key
    edited = SOURCE.replace("0.044715", "0.045")
    with_edited_g = prepared_for(tmp_path, "gelu", "gelu_tanh", edited).cache_key
    with_other = prepared_for(tmp_path, "gelu", "sine").cache_key
    assert len({plain, with_g, with_edited_g, with_other}) == 4
    # An edit elsewhere (a function neither needs) keeps the key.
    elsewhere = SOURCE.replace("x**2 - y**2", "x**2 - 2 * y**2")
    assert prepared_for(tmp_path, "gelu", "gelu_tanh", elsewhere).cache_key == with_g


# --- refusals, each invalid-options with its message ------------------------------------------


BEING_PLOTTED = "the function being plotted; name another function"
ONE_NUMBER = "compare works with functions that return one number"


@pytest.mark.parametrize(
    ("name", "other", "message"),
    [
        (
            "square",
            "gg",
            "compare: no function named 'gg' in this document; "
            "eligible: gelu, gelu_tanh, sine, taylor5, cube, outer, pair, broken",
        ),
        (
            "square",
            "inner",
            "compare: inner is nested inside outer; derivlens plots module-level functions "
            "— move inner to module level to plot it",
        ),
        (
            "square",
            "constant",
            "compare: constant takes no variable to plot against; derivlens plots functions "
            "of one or two numbers, like `def f(x):` or `def f(x, y):`",
        ),
        (
            "square",
            "bowl",
            "compare: square takes 1 variable and bowl takes 2 variables; compare needs "
            "functions of the same number of variables",
        ),
        ("square", "square", f"compare: square is {BEING_PLOTTED}"),
        ("square", "pair", f"compare: pair returns 2 values; {ONE_NUMBER}"),
        ("pair", "square", f"compare: pair returns 2 values; {ONE_NUMBER}"),
        ("square", " ", "compare: give the name of another function of this document"),
        ("square", "g" * 5000, "compare: a function name has at most 200 characters, got 5000"),
    ],
    ids=["unknown", "nested", "no-variable", "variables", "itself", "vector-g", "vector-f",
         "blank", "long"],
)  # fmt: skip
def test_a_bad_compare_is_invalid_options(tmp_path, name, other, message):
    assert_refused_option(refusal(tmp_path, name, other), "compare", message)


def test_a_runtime_callable_of_two_variables_is_refused_in_the_child(tmp_path):
    plane = "plane = functools.partial(lambda x, y, a: a * x + y, a=2)"
    text = f"{SOURCE}\nimport functools\n{plane}\n"
    error = refusal(tmp_path, "square", "plane", text)
    assert error.kind.value == "invalid-options"
    assert error.message == (
        "compare: square takes 1 variable and plane takes 2 variables; compare needs "
        "functions of the same number of variables"
    )


# --- the judge: a forged comparison is refused -------------------------------------------------


def forged(tmp_path: Path, change: Any, compare: str | None = "cube") -> DerivlensError:
    prepared = prepared_for(tmp_path, "square", "cube", samples=9)
    reply = runner.run(wire.unstructure(prepared.request))
    change(reply["result"])
    asked = prepared if compare else attrs.evolve(prepared, compare=None)
    with pytest.raises(DerivlensError) as caught:
        judge.finish(asked, Replied(reply, (), {}, ""), 0.0)
    return caught.value


@pytest.mark.parametrize(
    ("change", "detail"),
    [
        (lambda r: r["compare"].update(function="gelu"), "a function that was not asked for"),
        (lambda r: r["compare"]["f"].pop(), "not on f's samples"),
        (lambda r: r["compare"]["difference"].append(0.0), "not on f's samples"),
        (lambda r: r["compare"]["derivatives"]["1"].pop(), "not on f's samples"),
        (lambda r: r["compare"]["derivatives"].update({"2": [0.0] * 9}), "other derivatives"),
        (lambda r: r["compare"]["derivatives"].pop("1"), "other derivatives"),
        (lambda r: r.pop("compare"), "no comparison where one was asked for"),
        (lambda r: r["compare"]["f"].__setitem__(0, "x"), "malformed"),
        (lambda r: r["compare"]["difference"].__setitem__(2, None), "difference is not f − g"),
        (lambda r: r["compare"]["difference"].__setitem__(8, 0.5), "difference is not f − g"),
        (lambda r: r["compare"]["f"].__setitem__(4, 7.0), "difference is not f − g"),
    ],
    ids=["name", "short-f", "long-difference", "short-derivative", "extra-order",
         "missing-order", "missing", "not-a-number", "null-difference", "wrong-difference",
         "g-not-its-difference"],
)  # fmt: skip
def test_a_forged_comparison_is_crashed(tmp_path, change, detail):
    error = forged(tmp_path, change)
    assert error.kind.value == "crashed"
    assert detail in error.message


def test_a_comparison_nobody_asked_for_is_crashed(tmp_path):
    error = forged(tmp_path, lambda r: None, compare=None)
    assert error.kind.value == "crashed"
    assert "a function that was not asked for" in error.message


def test_f_alone_is_f_without_the_comparison_for_its_closed_form(tmp_path):
    """The closed form depends on f alone: a comparison reuses f's (formula_jobs)."""
    plain = prepared_for(tmp_path, "gelu", None)
    with_g = prepared_for(tmp_path, "gelu", "gelu_tanh")
    assert with_g.alone.cache_key == plain.cache_key
    assert with_g.alone.code == plain.code and with_g.alone.request.compare is None
    assert formula_key(with_g) == formula_key(plain)
    assert plain.alone is plain


KINDS = textwrap.dedent(
    """
    import math
    import functools
    import torch

    def square(x):
        return x**2

    halve = lambda x: x / 2

    class Maths:
        @staticmethod
        def triple(x):
            return 3 * x

    class Scaled(torch.nn.Module):
        def __init__(self, k=4.0):
            super().__init__()
            self.k = k

        def forward(self, x):
            return self.k * x

    class Cubed(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x**3

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return grad * 3 * x**2

    tanh = torch.nn.Tanh()
    shifted = functools.partial(lambda x, c: x + c, c=5.0)

    def on_floats(x):
        return math.sin(x)

    def reciprocal(x):
        return 1 / x

    K = 7.0
    print("never runs")

    def uses_k(x):
        return K * torch.sin(x)
    """
)


@pytest.mark.parametrize(
    ("other", "g", "g1"),
    [
        ("halve", lambda x: x / 2, lambda x: np.full_like(x, 0.5)),
        ("Maths.triple", lambda x: 3 * x, lambda x: np.full_like(x, 3.0)),
        ("Scaled.forward", lambda x: 4 * x, lambda x: np.full_like(x, 4.0)),
        ("Cubed.forward", lambda x: x**3, lambda x: 3 * x**2),
        ("tanh", np.tanh, lambda x: 1 - np.tanh(x) ** 2),
        ("shifted", lambda x: x + 5, lambda x: np.ones_like(x)),
        ("uses_k", lambda x: 7 * np.sin(x), lambda x: 7 * np.cos(x)),
    ],
    ids=[
        "lambda",
        "staticmethod",
        "module-forward",
        "function-apply",
        "assigned",
        "partial",
        "own-global",
    ],
)
def test_every_kind_of_eligible_function_can_be_g(tmp_path, other, g, g1):
    prepared = prepared_for(tmp_path, "square", other, KINDS, domain=[-2, 2], samples=21)
    result = evaluated(prepared)
    x = np.linspace(-2, 2, 21)
    assert result["compare"]["function"] == other
    np.testing.assert_allclose(array(result["compare"]["f"]), g(x), atol=1e-12)
    np.testing.assert_allclose(array(result["compare"]["derivatives"]["1"]), g1(x), atol=1e-12)
    np.testing.assert_allclose(array(result["compare"]["difference"]), x**2 - g(x), atol=1e-12)
    assert result["fixed"] == {}  # f's held values only, g's stay its own defaults


def test_g_on_floats_uses_finite_differences_and_says_so(tmp_path):
    result = evaluated(prepared_for(tmp_path, "square", "on_floats", KINDS, samples=41))
    x = np.linspace(-5, 5, 41)
    np.testing.assert_allclose(array(result["compare"]["f"]), np.sin(x), atol=1e-12)
    np.testing.assert_allclose(array(result["compare"]["derivatives"]["1"]), np.cos(x), atol=1e-6)
    assert result["method"] == "autograd"  # f's own method
    ours = [w for w in result["warnings"] if w["message"].startswith("compared function")]
    assert [w["kind"] for w in ours] == ["finite-difference"]
    assert ours[0]["message"].startswith("compared function on_floats: ")


def test_where_g_is_not_finite_the_difference_is_null(tmp_path):
    result = evaluated(prepared_for(tmp_path, "square", "reciprocal", KINDS, samples=11))
    x = np.linspace(-5, 5, 11)
    g = array(result["compare"]["f"])
    difference = array(result["compare"]["difference"])
    assert np.isnan(g[5]) and np.isnan(difference[5])  # x = 0
    others = np.arange(11) != 5
    kept = x[others]
    np.testing.assert_allclose(difference[others], kept**2 - 1 / kept, atol=1e-12)
