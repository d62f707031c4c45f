"""The Taylor polynomial (docs/protocol.md, "Taylor and tangent"): coefficients from
autograd at x0 against derivatives worked out here, its values at the samples, the
checks of the request in each caller's words, the judge's check of a child's reply, and
the image it changes. In-process (the runner, then the judge, as the server does)."""

from __future__ import annotations

import io
import math
from pathlib import Path
from typing import Any

import attrs
import numpy as np
import pytest
from PIL import Image

from derivlens import engine, judge, model, plotting, runner, taylor_options, wire
from derivlens.errors import DerivlensError
from derivlens.formula_jobs import formula_key
from derivlens.model import Render, TaylorRequest
from derivlens.options import Source, read_all
from derivlens.sandbox import Replied
from tests.helpers import array

SOURCE = """\
import math
import torch

def expo(x):
    return torch.exp(x)

def wave(x):
    return torch.sin(x)

def cubic(x):
    return x**3 - 2*x**2 + x - 1

def floaty(x):
    return math.sin(x)

def step(x):
    return torch.where(x < 0.5, x, x + 1)

def two(x, y):
    return x * y

def pair(x):
    return torch.stack([x, x * x])
"""


def prepared_for(
    tmp_path: Path,
    name: str,
    taylor: TaylorRequest | None,
    render: Render | None = None,
    **options: Any,
) -> engine.Prepared:
    path = tmp_path / "user.py"
    path.write_text(SOURCE)
    ready = engine.prepare_source(
        SOURCE, str(path), name=name, requested=read_all(options, Source.REQUEST), render=render
    )
    return attrs.evolve(ready, taylor=taylor)


def evaluate(tmp_path: Path, name: str, at: float, order: int, **options: Any) -> dict[str, Any]:
    """The result as JSON, through the runner and the judge; an error raises."""
    ready = prepared_for(tmp_path, name, TaylorRequest(at=at, order=order), **options)
    taylor_options.check_prepared(ready, "taylor")
    reply = runner.run(wire.unstructure(ready.request))
    return wire.result_json(judge.finish(ready, Replied(reply, (), {}, ""), 0.0))


def polynomial(coefficients: list[float], at: float, x: np.ndarray) -> np.ndarray:
    return sum(c * (x - at) ** k for k, c in enumerate(coefficients))


@pytest.mark.parametrize(
    ("name", "at", "order", "derivatives"),
    [
        ("expo", 0.3, 4, [math.exp(0.3)] * 5),
        ("wave", 1.0, 3, [math.sin(1), math.cos(1), -math.sin(1), -math.cos(1)]),
        ("cubic", 2.0, 2, [8 - 8 + 2 - 1, 12 - 8 + 1, 12 - 4]),
        ("cubic", -1.25, 1, [-(1.25**3) - 2 * 1.25**2 - 1.25 - 1, 3 * 1.25**2 + 5 + 1]),
    ],
)
def test_coefficients_are_the_derivatives_over_factorials(
    tmp_path: Path, name: str, at: float, order: int, derivatives: list[float]
) -> None:
    result = evaluate(tmp_path, name, at, order)
    taylor = result["taylor"]
    assert taylor["at"] == at and taylor["order"] == order
    expected = [d / math.factorial(k) for k, d in enumerate(derivatives)]
    np.testing.assert_allclose(taylor["coefficients"], expected, rtol=1e-12, atol=1e-9)
    x = array(result["x"])
    np.testing.assert_allclose(array(taylor["values"]), polynomial(expected, at, x), atol=1e-9)
    assert not [w for w in result["warnings"] if "taylor" in w["message"]]


def test_a_cubic_of_order_3_is_its_own_polynomial(tmp_path: Path) -> None:
    result = evaluate(tmp_path, "cubic", 2.0, 3)
    np.testing.assert_allclose(array(result["taylor"]["values"]), array(result["f"]), atol=1e-9)


def test_where_autograd_cannot_serve_the_coefficients_say_so(tmp_path: Path) -> None:
    result = evaluate(tmp_path, "floaty", 1.0, 2)
    expected = [math.sin(1), math.cos(1), -math.sin(1) / 2]
    np.testing.assert_allclose(result["taylor"]["coefficients"], expected, atol=1e-7)
    said = [w for w in result["warnings"] if w["message"].startswith("taylor:")]
    assert said and said[0]["kind"] == "finite-difference"
    assert "not exact" in said[0]["message"]


def test_at_a_jump_a_warning_says_the_coefficients_are_one_sides(tmp_path: Path) -> None:
    result = evaluate(tmp_path, "step", 0.5, 1, domain=(0.0, 1.0), samples=101)
    said = [w for w in result["warnings"] if w["message"].startswith("taylor:")]
    assert said and "jump of f" in said[0]["message"], result["warnings"]


@pytest.mark.parametrize(
    ("name", "at", "options", "message"),
    [
        (
            "expo",
            7.0,
            {},
            "taylor: x0 = 7 is outside the domain [-5, 5]; choose x0 inside it "
            "(or widen the domain)",
        ),
        (
            "two",
            0.0,
            {},
            "taylor: the Taylor polynomial needs a function of one variable; two has 2 (x, y): "
            "leave taylor out",
        ),
        (
            "pair",
            0.0,
            {},
            "taylor: pair returns 2 values; the Taylor polynomial needs a function with one "
            "value: leave taylor out",
        ),
    ],
)
def test_what_cannot_have_a_polynomial_is_refused(
    tmp_path: Path, name: str, at: float, options: dict[str, Any], message: str
) -> None:
    with pytest.raises(DerivlensError) as caught:
        evaluate(tmp_path, name, at, 1, **options)
    assert caught.value.kind.value == "invalid-options"
    assert caught.value.message == message


def test_the_child_checks_too(tmp_path: Path) -> None:
    """A request that passed no server check (a runtime signature) is refused by the
    child with the same words."""
    ready = prepared_for(tmp_path, "expo", TaylorRequest(at=9.0, order=1))
    reply = runner.run(wire.unstructure(ready.request))
    assert reply["error"]["kind"] == "invalid-options"
    assert reply["error"]["message"].startswith("taylor: x0 = 9 is outside the domain [-5, 5]")


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ({"at": 0.3, "order": 5}, "taylor: order must be a whole number from 1 to 4 "
         "(1: the tangent line), got 5"),
        ({"at": "abc"}, "taylor: at must be a finite number (a point of the domain), got 'abc'"),
        ({"at": True}, "taylor: at must be a finite number (a point of the domain), got True"),
        ({"order": 2}, 'taylor must be {"at": x0, "order": k} with k from 1 to 4, got '
         "{'order': 2}"),
    ],
)  # fmt: skip
def test_bad_command_values(value: Any, message: str) -> None:
    with pytest.raises(DerivlensError) as caught:
        taylor_options.from_command(value)
    assert caught.value.kind.value == "invalid-options" and caught.value.message == message


def test_command_order_defaults_to_the_tangent() -> None:
    assert taylor_options.from_command({"at": 1}) == TaylorRequest(at=1.0, order=1)


@pytest.mark.parametrize(
    ("values", "message"),
    [
        (["0.3", "5"], "--taylor: K must be a whole number from 1 to 4 (1: the tangent line), "
         "got 5"),
        (["0.3", "2.5"], "--taylor: K must be a whole number from 1 to 4 (1: the tangent line), "
         "got '2.5'"),
        (["abc"], "--taylor: X0 'abc' is not a number: write digits, pi, tau or e, with * or / "
         "(like -2, 1e-3, -2pi or pi/2; at most 64 characters)"),
        (["0.3", "0"], "--taylor: K must be a whole number from 1 to 4 (1: the tangent line), "
         "got 0"),
        (["1", "2", "3"], "--taylor takes X0 and an optional order K (1 to 4), got 3 values"),
    ],
)  # fmt: skip
def test_bad_cli_values(values: list[str], message: str) -> None:
    with pytest.raises(DerivlensError) as caught:
        taylor_options.from_cli(values)
    assert caught.value.kind.value == "invalid-options" and caught.value.message == message


def test_cli_reads_numbers_as_people_write_them() -> None:
    assert taylor_options.from_cli([" -pi/4", "3"]) == TaylorRequest(at=-math.pi / 4, order=3)
    assert taylor_options.from_cli(["2"]) == TaylorRequest(at=2.0, order=1)
    kept = taylor_options.cli_values(["plot", "f.py", "--taylor", "-pi/4", "2"])
    assert kept[3] == " -pi/4"


# --- the judge: a child's taylor is hostile input -----------------------------------------


def forged(tmp_path: Path, change: dict[str, Any]) -> DerivlensError:
    ready = prepared_for(tmp_path, "cubic", TaylorRequest(at=2.0, order=2), samples=11)
    reply = runner.run(wire.unstructure(ready.request))
    reply["result"]["taylor"].update(change)
    with pytest.raises(DerivlensError) as caught:
        judge.finish(ready, Replied(reply, (), {}, ""), 0.0)
    return caught.value


@pytest.mark.parametrize(
    ("change", "detail"),
    [
        ({"at": 1.5}, "a Taylor polynomial other than the order 2 at 2 asked for"),
        ({"order": 3, "coefficients": [1.0, 5.0, 4.0, 1.0]}, "other than the order 2"),
        ({"coefficients": [1.0, 5.0]}, "2 Taylor coefficients for order 2"),
        ({"values": [0.0] * 10}, "Taylor values of the wrong length"),
    ],
)
def test_a_forged_taylor_is_refused(tmp_path: Path, change: dict[str, Any], detail: str) -> None:
    error = forged(tmp_path, change)
    assert error.kind.value == "crashed" and detail in error.message


def test_a_taylor_nobody_asked_for_is_refused(tmp_path: Path) -> None:
    ready = prepared_for(tmp_path, "cubic", TaylorRequest(at=2.0, order=2), samples=11)
    reply = runner.run(wire.unstructure(ready.request))
    unasked = attrs.evolve(ready, taylor=None)
    with pytest.raises(DerivlensError) as caught:
        judge.finish(unasked, Replied(reply, (), {}, ""), 0.0)
    assert "a Taylor polynomial that was not asked for" in caught.value.message


def test_inflection_points_outside_the_domain_are_refused(tmp_path: Path) -> None:
    ready = prepared_for(tmp_path, "cubic", None, samples=11)
    reply = runner.run(wire.unstructure(ready.request))
    reply["result"]["inflection_points"] = [7.0]
    with pytest.raises(DerivlensError) as caught:
        judge.finish(ready, Replied(reply, (), {}, ""), 0.0)
    assert "inflection points that are not points of the domain" in caught.value.message


def test_the_cache_key_tells_polynomials_apart(tmp_path: Path) -> None:
    one = prepared_for(tmp_path, "cubic", TaylorRequest(at=2.0, order=2))
    other = attrs.evolve(one, taylor=TaylorRequest(at=2.0, order=3))
    assert one.cache_key != other.cache_key
    assert one.cache_key != attrs.evolve(one, taylor=None).cache_key
    # the formula does not depend on it: one formula job for every tangent pinned
    assert formula_key(one) == formula_key(other) == formula_key(attrs.evolve(one, taylor=None))


# --- the image ----------------------------------------------------------------------------


def test_the_polynomial_is_drawn_over_f_near_x0(tmp_path: Path) -> None:
    """Only the legend and the f row change; there, the pixels that change are near x0
    (within a quarter of the x range either side, where the polynomial is drawn)."""
    render = Render(format="png", size="panel", width=600, height=400, scale=1)
    images = []
    for taylor in (None, TaylorRequest(at=1.5, order=1)):
        ready = prepared_for(tmp_path, "cubic", taylor, render, domain=(-1.0, 3.0), order=2)
        reply = runner.run(wire.unstructure(ready.request))
        result = judge.finish(ready, Replied(reply, (), {}, ""), 0.0)
        images.append((plotting.render(result, render), result))
    (plain, _), (drawn, result) = images
    assert plain.axes == drawn.axes
    a, b = (
        np.asarray(Image.open(io.BytesIO(i.data)).convert("RGB")).astype(int)
        for i in (plain, drawn)
    )
    changed = np.argwhere(np.abs(a - b).sum(axis=2) > 60)  # not antialiasing's ±1
    f_box = drawn.axes[0]
    left, top, width, height = f_box.box
    inside = changed[changed[:, 0] >= top]  # the legend's new entry is above the f row
    assert inside.size, "nothing drawn over f"
    assert (inside[:, 0] <= top + height + 4).all()  # not in the derivative rows
    xs = f_box.xlim[0] + (inside[:, 1] - left) / width * (f_box.xlim[1] - f_box.xlim[0])
    assert (np.abs(xs - 1.5) <= 0.25 * 4 + 0.1).all()
    assert result.taylor is not None and result.taylor.coefficients == pytest.approx(
        [1.5**3 - 2 * 1.5**2 + 1.5 - 1, 3 * 1.5**2 - 6 + 1], abs=1e-12
    )
    assert isinstance(result, model.CurvesResult)
