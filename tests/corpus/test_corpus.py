"""The real-world corpus: functions of packages installed from PyPI, plotted in place.

Each entry of `tests/corpus/entries.py` is plotted from its package's installed file
through the sandbox, as `derivlens plot FILE --function NAME --json` does, and checked
against what the contract promises (docs/protocol.md, "Semantics"):

- values and derivatives against our own mpmath re-implementations: to 1e-9 of the
  curve's scale where autograd serves, within the stated bound where finite differences
  serve (`tests/corpus/references.json`);
- `method`: autograd wherever it can follow the code, finite differences (with their
  warning) only for `math`, numpy or scipy code;
- `discontinuities`: every jump of f and kink (and f″ jump, at order 2) reported and
  located, named one by one by the `disagreement` warning; none, and no such warning,
  for a smooth function.

The quick selection (about 20 varied entries) runs by default; `DERIVLENS_CORPUS=all`
runs the whole corpus (tests/corpus/README.md). What today's engine gets wrong is marked
`xfail(strict=True)` in `tests/corpus/known_failures.py`, by cause.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from typing import Any

import mpmath
import numpy as np
import pytest

from tests.corpus import known_failures
from tests.corpus.entries import BY_ID, ENTRIES, FD, Entry
from tests.corpus.make_references import PATH as REFERENCES_PATH
from tests.corpus.make_references import references
from tests.corpus.mp_functions import focal
from tests.corpus.plotting import installed_file, plot_all

EXACT = 1e-9
WHOLE = os.environ.get("DERIVLENS_CORPUS", "") == "all"
SELECTED = [e for e in ENTRIES if WHOLE or e.quick]
STORED = json.loads(REFERENCES_PATH.read_text())


@pytest.fixture(scope="module")
def plotted() -> dict[str, dict[str, Any]]:
    return plot_all(SELECTED)


def cases(aspect: str, chosen: list[Entry]) -> list[Any]:
    return [pytest.param(e.id, id=e.id, marks=known_failures.marks(aspect, e.id)) for e in chosen]


def plotted_result(plotted: dict[str, dict[str, Any]], entry_id: str) -> dict[str, Any]:
    result = plotted[entry_id]
    assert "error" not in result, f"refused: {result.get('error')}"
    return result


# --- values ----------------------------------------------------------------------------


def stated_bounds(result: dict[str, Any]) -> dict[int, float]:
    """The finite-difference warning's "f′ to within about X" bounds, by order."""
    bounds: dict[int, float] = {}
    for warning in result["warnings"]:
        if warning["kind"] != "finite-difference":
            continue
        for order, primes in enumerate(("′", "″", "‴", "⁗"), start=1):
            found = re.search(rf"f{primes} to within about ([0-9.eE+-]+)", warning["message"])
            if found:
                bounds[order] = float(found.group(1).rstrip("."))
    return bounds


def within(value: float | None, expected: float | None, tolerance: float) -> bool:
    if expected is None:
        return True
    return value is not None and abs(value - expected) <= tolerance


def scale(values: list[float | None]) -> float:
    return max((abs(v) for v in values if v is not None), default=0.0)


def curve_mismatches(entry: Entry, result: dict[str, Any]) -> list[str]:
    points = STORED[entry.id]
    width = entry.domain[1] - entry.domain[0]
    bounds = stated_bounds(result)
    relative = entry.precision
    wrong = []
    for order in range(entry.order + 1):
        expected = [p["f"] if order == 0 else p["d"][order - 1] for p in points]
        tolerance = max(relative * scale(expected) + 1e-15, bounds.get(order, 0.0))
        series = result["f"] if order == 0 else result["derivatives"][str(order)]
        for point, reference in zip(points, expected, strict=True):
            i = point["i"]
            assert abs(result["x"][i] - point["x"]) <= 1e-12 * width, (i, result["x"][i])
            if not within(series[i], reference, tolerance):
                name = "f" if order == 0 else f"f^({order})"
                wrong.append(f"{name}({point['x']:.6g}) = {series[i]}, not {reference:.12g}")
    return wrong


def surface_mismatches(entry: Entry, result: dict[str, Any]) -> list[str]:
    points = STORED[entry.id]
    bounds = stated_bounds(result)
    wrong = []
    for key, series in (("f", result["f"]), ("gx", result["gradient"]["x"]),
                        ("gy", result["gradient"]["y"])):  # fmt: skip
        expected = [p[key] for p in points]
        bound = 0.0 if key == "f" else bounds.get(1, 0.0)
        relative = entry.precision
        tolerance = max(relative * scale(expected) + 1e-15, bound)
        for point, reference in zip(points, expected, strict=True):
            value = series[point["j"]][point["i"]]
            if not within(value, reference, tolerance):
                where = f"({point['x']:.4g}, {point['y']:.4g})"
                wrong.append(f"{key}{where} = {value}, not {reference:.12g}")
    return wrong


@pytest.mark.parametrize("entry_id", cases("values", SELECTED))
def test_values_and_derivatives_match_the_mpmath_references(plotted, entry_id):
    entry = BY_ID[entry_id]
    result = plotted_result(plotted, entry_id)
    check = surface_mismatches if entry.two_variables else curve_mismatches
    wrong = check(entry, result)
    assert not wrong, f"{len(wrong)} values off: " + "; ".join(wrong[:6])


# --- method -----------------------------------------------------------------------------


@pytest.mark.parametrize("entry_id", cases("method", SELECTED))
def test_the_method_is_autograd_wherever_autograd_can_follow(plotted, entry_id):
    entry = BY_ID[entry_id]
    result = plotted_result(plotted, entry_id)
    kinds = [w["kind"] for w in result["warnings"]]
    assert result["method"] == entry.method, [w["message"][:160] for w in result["warnings"]]
    if entry.method == FD:
        assert "finite-difference" in kinds, "finite differences without their warning"


# --- discontinuities --------------------------------------------------------------------


def numbers_in(message: str) -> list[float]:
    return [float(n) for n in re.findall(r"-?\d+(?:\.\d+)?(?:e[+-]?\d+)?", message)]


def check_reported(entry: Entry, reported: list[tuple[float, int]]) -> None:
    """Each expected discontinuity reported (its lowest order there), and nothing else."""
    width = entry.domain[1] - entry.domain[0]
    tolerance = 1e-8 * width
    for x, order in entry.discontinuities:
        here = [o for rx, o in reported if abs(rx - x) <= tolerance]
        assert here, f"no discontinuity reported at x = {x:.10g} (reported: {reported})"
        assert min(here) == order, f"at x = {x:.10g}: order {min(here)}, not {order}"
    false = [
        (rx, o)
        for rx, o in reported
        if not any(abs(rx - x) <= tolerance for x, _ in entry.discontinuities)
    ]
    assert not false, f"reported where f is smooth: {false}"


CURVES = [e for e in SELECTED if not e.two_variables]


@pytest.mark.parametrize("entry_id", cases("discontinuities", CURVES))
def test_every_kink_and_jump_is_reported_and_located_and_nothing_else(plotted, entry_id):
    entry = BY_ID[entry_id]
    result = plotted_result(plotted, entry_id)
    assert "discontinuities" in result, "the result has no `discontinuities` field"
    check_reported(entry, sorted((d["x"], d["order"]) for d in result["discontinuities"]))


@pytest.mark.parametrize("entry_id", cases("warning", SELECTED))
def test_the_disagreement_warning_names_each_one_and_no_false_one(plotted, entry_id):
    entry = BY_ID[entry_id]
    result = plotted_result(plotted, entry_id)
    messages = [w["message"] for w in result["warnings"] if w["kind"] == "disagreement"]
    if not entry.discontinuities:
        assert messages == [], f"a false disagreement: {messages}"
        return
    assert len(messages) == 1, f"{len(messages)} disagreement warnings: {messages}"
    assert " from x = " not in messages[0], f"a range, not points: {messages[0][:200]}"
    named = numbers_in(messages[0])
    for x, _order in entry.discontinuities:
        near = [n for n in named if abs(n - x) <= 1e-3 * max(1.0, abs(x))]
        assert near, f"x = {x:.6g} is not named: {messages[0][:200]}"


# --- the corpus itself ------------------------------------------------------------------


def test_the_corpus_is_broad_and_every_file_is_installed():
    assert len(ENTRIES) >= 100
    assert len({e.package for e in ENTRIES}) >= 15
    missing = [e.id for e in ENTRIES if not installed_file(e).is_file()]
    assert not missing, missing
    assert len([e for e in ENTRIES if e.quick]) in range(15, 31)
    assert set(STORED) == set(BY_ID)


def test_the_stored_references_are_those_of_the_re_implementations():
    assert references() == STORED, "run `python -m tests.corpus.make_references`"


def test_the_cli_plots_an_installed_file_in_place(tmp_path):
    entry = BY_ID["pytweening:easeOutCubic"]
    command = [sys.executable, "-m", "derivlens", "plot", str(installed_file(entry)), "--json",
               "--function", entry.function, "--domain", "0", "1", "--samples", "101"]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    result = json.loads(done.stdout)
    assert result["file"] == str(installed_file(entry))
    assert curve_mismatches(entry, result) == []


def test_a_held_constructor_value_is_set_from_the_command_line(tmp_path):
    entry = BY_ID["pytorch_optimizer:FocalLoss.forward"]
    command = [sys.executable, "-m", "derivlens", "plot", str(installed_file(entry)), "--json",
               "--function", entry.function, "--samples", "5",
               "--param", "FocalLoss(gamma)=1"]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, cwd=tmp_path, timeout=120)
    result = json.loads(done.stdout)
    assert done.returncode == 0, result
    assert result["fixed"]["FocalLoss(gamma)"] == 1
    with mpmath.workdps(30):
        expected = [[float(focal(x, y, 1)) for x in result["x"]] for y in result["y"]]
    np.testing.assert_allclose(result["f"], expected, rtol=EXACT, atol=EXACT)
