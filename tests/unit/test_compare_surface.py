"""Compare for functions of two variables (docs/protocol.md, "Compare"): g on f's grid,
its partials keyed "x" and "y", and f − g cell by cell; vector input on either side.

The request is prepared as the CLI and the server prepare it, run by the runner in this
process and checked as the server checks a child's reply; numbers are held to formulas
computed here on the grid, errors to their exact kind and message.
"""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from derivlens import engine, judge, runner, wire
from derivlens.errors import DerivlensError
from derivlens.options import Source, read_all
from derivlens.sandbox.outcome import Replied
from tests.helpers import SURFACE_DEFS, assert_refused_option

SOURCE = (
    textwrap.dedent(
        """
    import functools
    import math
    import torch

    print("module-level statements never run")

    def himmelblau(p):
        a, b = p
        return (a**2 + b - 11) ** 2 + (a + b**2 - 7) ** 2

    def wave(u, w, k=2.0):
        return torch.sin(k * u) * torch.cos(w)

    def floats(x, y):
        return math.exp(x) * math.cos(y)

    def inverse(x, y):
        return 1 / (x * y)

    def pair(x, y):
        return torch.stack([x, y])

    def three(v):
        return v[0] + v[1] * v[2]

    def square(x):
        return x**2

    plane = functools.partial(lambda x, y, a: a * x + y, a=2.0)

    def broken(x, y):
        return x + undefined_name
    """
    )
    + SURFACE_DEFS
)


def prepared_for(
    tmp_path: Path,
    name: str,
    compare: str | None,
    params: dict[str, float] | None = None,
    **options: Any,
) -> engine.Prepared:
    path = tmp_path / "surfaces.py"
    path.write_text(SOURCE)
    requested = read_all(options, Source.REQUEST)
    return engine.prepare_source(
        SOURCE, str(path), name=name, requested=requested, params=params, compare=compare
    )


def reply_of(prepared: engine.Prepared) -> dict[str, Any]:
    return runner.run(wire.unstructure(prepared.request))


def judged(prepared: engine.Prepared, reply: dict[str, Any]) -> dict[str, Any]:
    return wire.result_json(judge.finish(prepared, Replied(reply, (), {}, ""), 0.0))


def compared(tmp_path: Path, name: str, other: str, **options: Any) -> dict[str, Any]:
    prepared = prepared_for(tmp_path, name, other, **options)
    return judged(prepared, reply_of(prepared))


def grid(result: dict[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    """The grid as f's rows hold it: one row per y, one column per x."""
    return np.meshgrid(np.array(result["x"]), np.array(result["y"]))


def values(rows: list[list[float | None]]) -> np.ndarray:
    return np.array([[np.nan if v is None else v for v in row] for row in rows], dtype=float)


# --- numbers against formulas computed here ------------------------------------------------


def test_bowl_against_the_product_on_f_grid(tmp_path):
    result = compared(tmp_path, "bowl", "product", domain=[-2, 1], ydomain=[-1, 3], samples=31)
    x, y = grid(result)
    np.testing.assert_allclose(x[0], np.linspace(-2, 1, 31))
    np.testing.assert_allclose(y[:, 0], np.linspace(-1, 3, 31))
    comparison = result["compare"]
    assert comparison["function"] == "product"
    assert sorted(comparison) == ["derivatives", "difference", "f", "function"]
    assert sorted(comparison["derivatives"]) == ["x", "y"]
    np.testing.assert_allclose(values(comparison["f"]), x * y, rtol=0, atol=1e-12)
    np.testing.assert_allclose(values(comparison["derivatives"]["x"]), y, rtol=0, atol=1e-12)
    np.testing.assert_allclose(values(comparison["derivatives"]["y"]), x, rtol=0, atol=1e-12)
    np.testing.assert_allclose(
        values(comparison["difference"]), x**2 + y**2 - x * y, rtol=0, atol=1e-12
    )
    # f's own result is untouched, and the key sits where the contract puts it.
    np.testing.assert_allclose(values(result["f"]), x**2 + y**2, rtol=0, atol=1e-12)
    np.testing.assert_allclose(values(result["gradient"]["x"]), 2 * x, rtol=0, atol=1e-12)
    assert list(result).index("discontinuities") < list(result).index("compare")
    assert not any(w["message"].startswith("compared function") for w in result["warnings"])


def test_no_compare_key_on_a_surface_without_a_request(tmp_path):
    prepared = prepared_for(tmp_path, "bowl", None, samples=5)
    assert "compare" not in judged(prepared, reply_of(prepared))


def test_a_plain_surface_against_a_vector_input_one(tmp_path):
    result = compared(tmp_path, "bowl", "rosenbrock", domain=[-2, 2], ydomain=[-1, 3], samples=21)
    x, y = grid(result)
    g = (1 - x) ** 2 + 100 * (y - x**2) ** 2
    comparison = result["compare"]
    np.testing.assert_allclose(values(comparison["f"]), g, rtol=1e-14, atol=1e-12)
    np.testing.assert_allclose(
        values(comparison["derivatives"]["x"]), -2 * (1 - x) - 400 * x * (y - x**2), atol=1e-10
    )
    np.testing.assert_allclose(values(comparison["derivatives"]["y"]), 200 * (y - x**2), atol=1e-10)
    np.testing.assert_allclose(values(comparison["difference"]), x**2 + y**2 - g, atol=1e-10)
    assert result["variables"] == ["x", "y"]


def test_a_vector_input_surface_against_an_unpacking_one_and_a_plain_one(tmp_path):
    result = compared(tmp_path, "rosenbrock", "himmelblau", domain=[-3, 3], samples=25)
    assert result["variables"] == ["v[0]", "v[1]"]
    a, b = grid(result)
    g = (a**2 + b - 11) ** 2 + (a + b**2 - 7) ** 2
    gx = 4 * a * (a**2 + b - 11) + 2 * (a + b**2 - 7)
    gy = 2 * (a**2 + b - 11) + 4 * b * (a + b**2 - 7)
    f = (1 - a) ** 2 + 100 * (b - a**2) ** 2
    comparison = result["compare"]
    np.testing.assert_allclose(values(comparison["f"]), g, atol=1e-10)
    np.testing.assert_allclose(values(comparison["derivatives"]["x"]), gx, atol=1e-10)
    np.testing.assert_allclose(values(comparison["derivatives"]["y"]), gy, atol=1e-10)
    np.testing.assert_allclose(values(comparison["difference"]), f - g, atol=1e-9)
    plain = compared(tmp_path, "himmelblau", "product", domain=[-3, 3], samples=9)
    a, b = grid(plain)
    np.testing.assert_allclose(
        values(plain["compare"]["difference"]), g[::3, ::3] - a * b, atol=1e-10
    )


def test_held_components_of_g_stay_at_zero_and_f_params_are_f_own(tmp_path):
    """g's held parameters stay at their defaults: v[2] = 0 for g, f's params are f's."""
    prepared = prepared_for(tmp_path, "wave", "three", {"k": 3.0}, samples=11)
    result = judged(prepared, reply_of(prepared))
    u, w = grid(result)
    assert result["fixed"] == {"k": 3.0}
    comparison = result["compare"]
    np.testing.assert_allclose(values(comparison["f"]), u, atol=1e-12)  # v[0] + v[1]·0
    np.testing.assert_allclose(values(comparison["derivatives"]["y"]), 0 * u, atol=1e-12)
    np.testing.assert_allclose(
        values(comparison["difference"]), np.sin(3 * u) * np.cos(w) - u, atol=1e-12
    )


def test_g_on_floats_uses_finite_differences_and_says_so(tmp_path):
    result = compared(tmp_path, "bowl", "floats", domain=[-1, 1], samples=21)
    x, y = grid(result)
    comparison = result["compare"]
    np.testing.assert_allclose(values(comparison["f"]), np.exp(x) * np.cos(y), atol=1e-12)
    np.testing.assert_allclose(
        values(comparison["derivatives"]["y"]), -np.exp(x) * np.sin(y), atol=1e-6
    )
    assert result["method"] == "autograd"  # f's own
    ours = [w for w in result["warnings"] if w["message"].startswith("compared function")]
    assert [w["kind"] for w in ours] == ["finite-difference"]
    assert ours[0]["message"].startswith("compared function floats: ")


def test_where_g_is_not_finite_the_difference_is_null(tmp_path):
    result = compared(tmp_path, "bowl", "inverse", domain=[-1, 1], samples=11)
    x, y = grid(result)
    g, difference = values(result["compare"]["f"]), values(result["compare"]["difference"])
    axes = (x == 0) | (y == 0)
    assert np.isnan(g[axes]).all() and np.isnan(difference[axes]).all()
    assert axes.sum() == 21  # the row y = 0 and the column x = 0
    kept_x, kept_y = x[~axes], y[~axes]
    expected = kept_x**2 + kept_y**2 - 1 / (kept_x * kept_y)
    np.testing.assert_allclose(difference[~axes], expected, rtol=1e-15, atol=1e-12)


def test_an_assigned_callable_of_two_variables_compares(tmp_path):
    result = compared(tmp_path, "bowl", "plane", domain=[-1, 1], samples=11)
    x, y = grid(result)
    np.testing.assert_allclose(values(result["compare"]["f"]), 2 * x + y, atol=1e-12)
    np.testing.assert_allclose(values(result["compare"]["derivatives"]["x"]), 2 + 0 * x, atol=1e-12)


# --- refusals, each invalid-options (or g's user error) with its message ----------------------


def refusal(tmp_path: Path, name: str, other: str) -> DerivlensError:
    with pytest.raises(DerivlensError) as caught:
        compared(tmp_path, name, other, samples=5)
    return caught.value


ONE_NUMBER = "compare works with functions that return one number"


@pytest.mark.parametrize(
    ("name", "other", "message"),
    [
        (
            "bowl",
            "square",
            "compare: bowl takes 2 variables and square takes 1 variable; compare needs "
            "functions of the same number of variables",
        ),
        (
            "square",
            "rosenbrock",
            "compare: square takes 1 variable and rosenbrock takes 2 variables; compare needs "
            "functions of the same number of variables",
        ),
        (
            "bowl",
            "gg",
            "compare: no function named 'gg' in this document; eligible: himmelblau, wave, "
            "floats, inverse, pair, three, plane, broken, product, rosenbrock",
        ),
        ("bowl", "pair", f"compare: pair returns 2 values; {ONE_NUMBER}"),
        ("rosenbrock", "rosenbrock", "compare: rosenbrock is the function being plotted; "
         "name another function"),
    ],
    ids=["two-against-one", "one-against-vector-input", "unknown", "vector-valued-g", "itself"],
)  # fmt: skip
def test_a_bad_surface_compare_is_invalid_options(tmp_path, name, other, message):
    assert_refused_option(refusal(tmp_path, name, other), "compare", message)


def test_a_failing_g_of_two_variables_is_a_user_error_naming_g(tmp_path):
    error = refusal(tmp_path, "bowl", "broken")
    assert error.kind.value == "user-error"
    assert error.message.startswith("compare: broken raised NameError: name 'undefined_name'")


# --- the judge: a forged comparison of surfaces is refused --------------------------------------


def forged(tmp_path: Path, change: Any) -> DerivlensError:
    prepared = prepared_for(tmp_path, "bowl", "product", samples=7)
    reply = reply_of(prepared)
    change(reply["result"]["compare"])
    with pytest.raises(DerivlensError) as caught:
        judged(prepared, reply)
    return caught.value


def _set(rows: list[list[Any]], i: int, j: int, value: Any) -> None:
    rows[i][j] = value


@pytest.mark.parametrize(
    ("change", "detail"),
    [
        (lambda c: c["f"].pop(), "grids are not f's grid"),
        (lambda c: c["f"][3].pop(), "grids are not f's grid"),
        (lambda c: c["difference"].append([0.0] * 7), "grids are not f's grid"),
        (lambda c: c["derivatives"]["y"][6].append(1.0), "grids are not f's grid"),
        (lambda c: c.update(f=c["f"][0]), "malformed"),
        (lambda c: c["derivatives"].pop("y"), "other derivatives than f's partials"),
        (lambda c: c["derivatives"].update({"1": c["derivatives"]["x"]}), "f's partials"),
        (lambda c: _set(c["f"], 2, 2, float("nan")), "malformed"),
        (lambda c: _set(c["derivatives"]["x"], 2, 2, float("inf")), "malformed"),
        (lambda c: _set(c["difference"], 2, 3, None), "difference is not f − g"),
        (lambda c: _set(c["difference"], 4, 4, c["difference"][4][4] + 1e-6), "not f − g"),
        (lambda c: _set(c["f"], 1, 5, c["f"][1][5] + 0.5), "difference is not f − g"),
        (lambda c: _set(c["f"], 1, 5, None), "difference is not f − g"),
        (lambda c: c.update(function="himmelblau"), "a function that was not asked for"),
    ],
    ids=["short-f", "short-row", "long-difference", "long-partial-row", "flat-f",
         "missing-partial", "order-key", "nan-in-g", "inf-in-partial", "null-difference",
         "shifted-difference", "g-not-its-difference", "g-null-difference-not", "name"],
)  # fmt: skip
def test_a_forged_surface_comparison_is_crashed(tmp_path, change, detail):
    error = forged(tmp_path, change)
    assert error.kind.value == "crashed"
    assert error.message.startswith("the evaluation of bowl sent back a malformed result (")
    assert detail in error.message


def test_a_surface_comparison_nobody_asked_for_is_crashed(tmp_path):
    asked = prepared_for(tmp_path, "bowl", "product", samples=5)
    reply = reply_of(asked)
    plain = prepared_for(tmp_path, "bowl", None, samples=5)
    with pytest.raises(DerivlensError) as caught:
        judged(plain, reply)
    assert caught.value.kind.value == "crashed"
    assert "a function that was not asked for" in caught.value.message
