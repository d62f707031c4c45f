"""Slider sweeps (docs/protocol.md, "Slider sweeps"): the child's arrays, the limits of a
request, and the judge's refusal of a reply that is not what was asked.

In-process: `runner.run` computes what a sandboxed child would; `judge.finish_sweep`
checks a reply as the server does.
"""

from __future__ import annotations

import copy
import math
from typing import Any

import attrs
import pytest

from derivlens import engine, judge, runner, sweeps, wire
from derivlens.errors import DerivlensError
from derivlens.lsp.sweep import read_arguments
from derivlens.model import SweepRequest
from derivlens.sandbox import Replied

SOURCE = (
    "import torch\n"
    "def scaled(x, a=1.5):\n    return a * x**2\n\n"
    "def partial_sum(x, n=3):\n    return sum(x**k for k in range(n))\n\n"
    "def bowl(x, y, k=2.0):\n    return x**2 + k * y**2\n\n"
    "def pair(x, a=1.0):\n    return torch.stack([x, a * x])\n\n"
    "def wave(x, a=1.0):\n    return torch.sin(a * x)\n\n"
    "def leaves(x, a=0.0):\n    return x * 1.0 if a < 1 else x.detach() * 1.0\n"
)


def prepared(name: str, **options: Any) -> engine.Prepared:
    return engine.prepare_source(SOURCE, "/p/user.py", name=name, requested=options)


def child_reply(name: str, sweep: SweepRequest, **options: Any) -> dict[str, Any]:
    """What the sandboxed child answers for this sweep (computed in-process)."""
    request = attrs.evolve(prepared(name, **options).request, sweep=sweep)
    return runner.run(wire.unstructure(request))


def finish(name: str, sweep: SweepRequest, reply: Any, **options: Any) -> Any:
    outcome = Replied(reply=reply, layers=("rlimits",), notes={}, output="")
    return judge.finish_sweep(prepared(name, **options), sweep, outcome, 12.0)


A_VALUES = [0.0, 0.5, 1.5, 3.0]
OPTIONS = {"domain": (-2.0, 2.0), "samples": 9, "order": 2}


def test_a_sweep_of_a_times_x_squared_is_a_x2_and_2ax_per_value():
    sweep = SweepRequest("a", A_VALUES)
    result = finish("scaled", sweep, child_reply("scaled", sweep, **OPTIONS), **OPTIONS)
    xs = [-2.0 + 0.5 * i for i in range(9)]
    assert result.x == pytest.approx(xs)
    assert result.param == "a" and result.values == A_VALUES and result.function == "scaled"
    assert len(result.f) == len(A_VALUES)
    for a, f, d1, d2 in zip(
        A_VALUES, result.f, result.derivatives["1"], result.derivatives["2"], strict=True
    ):
        assert f == pytest.approx([a * x * x for x in xs], abs=1e-12)
        assert d1 == pytest.approx([2 * a * x for x in xs], abs=1e-12)
        assert d2 == pytest.approx([2 * a] * 9, abs=1e-12)


def test_a_nonlinear_parameter_each_value_exact():
    """sin(a·x): f′ = a·cos(a·x), f″ = −a²·sin(a·x) at every swept value (values after
    the first take vectorized autograd alone)."""
    values = [0.5, 1.0, 2.0, 3.5]
    sweep = SweepRequest("a", values)
    result = finish("wave", sweep, child_reply("wave", sweep, **OPTIONS), **OPTIONS)
    for a, f, d1, d2 in zip(
        values, result.f, result.derivatives["1"], result.derivatives["2"], strict=True
    ):
        assert f == pytest.approx([math.sin(a * x) for x in result.x], abs=1e-12)
        assert d1 == pytest.approx([a * math.cos(a * x) for x in result.x], abs=1e-12)
        assert d2 == pytest.approx([-a * a * math.sin(a * x) for x in result.x], abs=1e-12)


def test_a_value_where_autograd_is_cut_off_is_evaluated_in_full():
    """Autograd is right at a = 0 but f leaves the graph at a = 2 (`x.detach()`): there
    autograd alone would say f′ = 0; the full evaluation's differences say 1."""
    sweep = SweepRequest("a", [0.0, 2.0])
    result = finish("leaves", sweep, child_reply("leaves", sweep, **OPTIONS), **OPTIONS)
    assert result.f[1] == pytest.approx(result.x, abs=1e-12)
    assert result.derivatives["1"][0] == pytest.approx([1.0] * 9, abs=1e-12)
    assert result.derivatives["1"][1] == pytest.approx([1.0] * 9, abs=1e-6)


def test_an_integer_parameter_is_swept_as_integers():
    """`range(n)` needs an int: whole values reach the function as ints."""
    sweep = SweepRequest("n", [1.0, 2.0, 4.0])
    options = {"domain": (0.0, 2.0), "samples": 3}
    result = finish("partial_sum", sweep, child_reply("partial_sum", sweep, **options), **options)
    expected = {1: [1.0, 1.0, 1.0], 2: [1.0, 2.0, 3.0], 4: [1.0, 4.0, 15.0]}
    assert result.f == [pytest.approx(expected[n]) for n in (1, 2, 4)]


def test_a_vector_valued_function_is_refused_as_invalid_options():
    reply = child_reply("pair", SweepRequest("a", [1.0, 2.0]), samples=5)
    assert reply["error"]["kind"] == "invalid-options"
    assert "returns 2 values" in reply["error"]["message"]


def test_a_sweep_that_would_take_too_long_stops_with_a_timeout(monkeypatch):
    from derivlens import sweep_eval

    monkeypatch.setattr(sweep_eval, "BUDGET_S", 0.0)
    reply = child_reply("scaled", SweepRequest("a", [1.0, 2.0, 3.0]), samples=5)
    assert reply["error"]["kind"] == "timeout"
    assert "a sweep of a over 3 values would take about" in reply["error"]["message"]


@pytest.mark.parametrize(
    ("name", "sweep", "options", "message"),
    [
        ("scaled", SweepRequest("a", [1.0]), {}, "give 2 to 128 values of a, got 1"),
        ("scaled", SweepRequest("a", [1.0] * 129), {}, "give 2 to 128 values of a, got 129"),
        ("scaled", SweepRequest("a", [1.0, math.inf]), {}, "must be finite numbers"),
        ("scaled", SweepRequest("b", [1.0, 2.0]), {}, "no held parameter 'b'"),
        ("bowl", SweepRequest("k", [1.0, 2.0]), {}, "only a function of one variable"),
        (
            "scaled",
            SweepRequest("a", [1.0] * 128),
            {"samples": 1002},
            "128 values × 1002 samples is more than 128128 points; use fewer",
        ),
    ],
)
def test_a_sweep_out_of_bounds_is_invalid_options(name, sweep, options, message):
    with pytest.raises(DerivlensError) as caught:
        sweeps.check(prepared(name, **options), sweep)
    assert caught.value.kind.value == "invalid-options"
    assert message in caught.value.message


def test_the_command_argument_takes_json_numbers_and_refuses_a_missing_sweep():
    plot, sweep = read_arguments(
        {
            "uri": "file:///p/user.py",
            "position": {"line": 1, "character": 4},
            "samples": 11,
            "sweep": {"param": "a", "values": [0, 1.5, 3]},
        }
    )
    assert sweep.values == [0.0, 1.5, 3.0] and plot.options["samples"] == 11
    for bad in [{"uri": "u", "position": {"line": 0, "character": 0}}, None,
                {"uri": "u", "position": {"line": 0, "character": 0},
                 "sweep": {"param": "a", "values": "1,2"}}]:  # fmt: skip
        with pytest.raises(DerivlensError) as caught:
            read_arguments(bad)
        assert caught.value.kind.value == "invalid-options" and caught.value.option == "sweep"


# --- a forged reply is refused -------------------------------------------------------------


def forged(change: Any) -> str:
    sweep = SweepRequest("a", A_VALUES)
    reply = copy.deepcopy(child_reply("scaled", sweep, **OPTIONS))
    change(reply["result"])
    with pytest.raises(DerivlensError) as caught:
        finish("scaled", sweep, reply, **OPTIONS)
    assert caught.value.kind.value == "crashed"
    return caught.value.message


@pytest.mark.parametrize(
    ("change", "detail"),
    [
        (lambda r: r["f"].pop(), "not 4 series of 9 samples"),
        (lambda r: r["f"].append(r["f"][0]), "not 4 series of 9 samples"),
        (lambda r: r["derivatives"]["2"][1].pop(), "not 4 series of 9 samples"),
        (lambda r: r["derivatives"]["1"].extend([[1.0] * 9] * 10**4), "not 4 series"),
        (lambda r: r["derivatives"].pop("2"), "not the derivatives of orders 1 to 2"),
        (lambda r: r["derivatives"].update({"3": r["f"]}), "not the derivatives of orders 1"),
        (lambda r: r["values"].reverse(), "not the values of a asked for"),
        (lambda r: r.update(param="b"), "not the values of a asked for"),
        (lambda r: r["x"].pop(), "x does not span the requested 9 samples"),
        (lambda r: r.update(domain=[-1.0, 1.0]), "x does not span the requested 9 samples"),
        (lambda r: r["f"][0].__setitem__(3, math.nan), "f"),
        (lambda r: r["f"][0].__setitem__(3, math.inf), "f"),
        (lambda r: r["f"][0].__setitem__(3, "1.0"), "f"),
        (lambda r: r.update(extra=[0.0] * 10**5), "extra"),
    ],
)
def test_a_forged_sweep_is_refused_as_crashed(change, detail):
    message = forged(change)
    assert "the evaluation of scaled sent back a malformed result" in message
    assert detail in message


def test_null_is_a_value_that_is_not_finite():
    """What the child could not compute is null: accepted, and kept null."""

    def hole(reply: dict[str, Any]) -> None:
        reply["f"][1][4] = None

    sweep = SweepRequest("a", A_VALUES)
    reply = child_reply("scaled", sweep, **OPTIONS)
    hole(reply["result"])
    assert finish("scaled", sweep, reply, **OPTIONS).f[1][4] is None
