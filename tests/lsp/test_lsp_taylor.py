"""The Taylor polynomial and the inflection points through the command line and the
language server (docs/protocol.md, "Taylor and tangent", "Inflection points"): numbers
against analytic values, and every bad value as `invalid-options` with its message."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from pytest_lsp import LanguageClient

from tests.e2e.test_cli import json_of, run_cli, write
from tests.helpers import array
from tests.lsp.test_lsp import at, expect_error, open_document, plot
from tests.lsp_session import session

SOURCE = """\
import torch

def cubic(x):
    return x**3 - 2*x**2 + x - 1

def two(x, y):
    return x * y

def wave(x):
    return torch.sin(x)
"""
#: f = x³ − 2x² + x − 1 at x0 = 2: f = 1, f′ = 3·4 − 8 + 1 = 5, f″/2 = (12 − 4)/2 = 4.
CUBIC_AT_2 = [1.0, 5.0, 4.0]


def cubic_polynomial(x: np.ndarray) -> np.ndarray:
    return CUBIC_AT_2[0] + CUBIC_AT_2[1] * (x - 2) + CUBIC_AT_2[2] * (x - 2) ** 2


# --- the command line -----------------------------------------------------------------------


def test_cli_taylor_and_inflection_points(tmp_path: Path) -> None:
    path = write(tmp_path, SOURCE)
    completed = run_cli("plot", str(path), "--function", "cubic", "--taylor", "2", "2", "--json")
    assert completed.returncode == 0, completed.stderr
    result = json_of(completed)
    taylor = result["taylor"]
    assert taylor["at"] == 2.0 and taylor["order"] == 2
    np.testing.assert_allclose(taylor["coefficients"], CUBIC_AT_2, atol=1e-9)
    x = array(result["x"])
    np.testing.assert_allclose(array(taylor["values"]), cubic_polynomial(x), atol=1e-9)
    np.testing.assert_allclose(result["inflection_points"], [2 / 3], atol=1e-9)
    keys = list(result)
    assert keys.index("critical_points") < keys.index("inflection_points") < keys.index("taylor")


def test_cli_text_lists_them_and_k_defaults_to_the_tangent(tmp_path: Path) -> None:
    path = write(tmp_path, SOURCE)
    completed = run_cli("plot", str(path), "--function", "wave", "--taylor", "-pi/2")
    assert completed.returncode == 0, completed.stderr
    lines = completed.stdout.splitlines()
    assert "  inflection points: -3.14159, 0, 3.14159" in lines
    # sin at −π/2: −1, and a slope of cos(−π/2) = 0 (to rounding)
    assert any(line.startswith("  taylor at -1.5708, order 1: coefficients -1, ") for line in lines)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--function", "cubic", "--taylor", "0.3", "5"],
         "--taylor: K must be a whole number from 1 to 4 (1: the tangent line), got 5"),
        (["--function", "cubic", "--taylor", "7"],
         "--taylor: x0 = 7 is outside the domain [-5, 5]; choose x0 inside it (or widen the "
         "domain)"),
        (["--function", "cubic", "--taylor", "abc"],
         "--taylor: X0 'abc' is not a number: write digits, pi, tau or e, with * or / (like -2, "
         "1e-3, -2pi or pi/2; at most 64 characters)"),
        (["--function", "two", "--taylor", "0"],
         "--taylor: the Taylor polynomial needs a function of one variable; two has 2 (x, y): "
         "leave --taylor out"),
    ],
)  # fmt: skip
def test_cli_bad_taylor_values(tmp_path: Path, args: list[str], message: str) -> None:
    path = write(tmp_path, SOURCE)
    completed = run_cli("plot", str(path), *args, "--json")
    assert completed.returncode == 2
    assert json_of(completed) == {"error": {"kind": "invalid-options", "message": message}}


# --- the language server --------------------------------------------------------------------


server = session("taylor", name="server")


lsp_test = pytest.mark.asyncio(loop_scope="module")


@lsp_test
async def test_plot_command_with_taylor(server: LanguageClient, workdir: Path) -> None:
    uri = open_document(server, workdir / "taylor.py", SOURCE)
    result = await plot(server, at(uri, 2, domain=[-1, 3], taylor={"at": 2, "order": 2}))
    np.testing.assert_allclose(result["taylor"]["coefficients"], CUBIC_AT_2, atol=1e-9)
    x = array(result["x"])
    np.testing.assert_allclose(array(result["taylor"]["values"]), cubic_polynomial(x), atol=1e-9)
    np.testing.assert_allclose(result["inflection_points"], [2 / 3], atol=1e-9)
    # another order is another result (the cache tells them apart), and none is none
    third = await plot(server, at(uri, 2, domain=[-1, 3], taylor={"at": 2, "order": 3}))
    np.testing.assert_allclose(third["taylor"]["coefficients"], [*CUBIC_AT_2, 1.0], atol=1e-9)
    plain = await plot(server, at(uri, 2, domain=[-1, 3]))
    assert "taylor" not in plain
    wave = await plot(server, at(uri, 8, taylor={"at": 1.0, "order": 3}))
    expected = [math.sin(1), math.cos(1), -math.sin(1) / 2, -math.cos(1) / 6]
    np.testing.assert_allclose(wave["taylor"]["coefficients"], expected, atol=1e-9)


@pytest.mark.parametrize(
    ("line", "taylor", "message"),
    [
        (2, {"at": 0.3, "order": 5},
         "taylor: order must be a whole number from 1 to 4 (1: the tangent line), got 5"),
        (2, {"at": "abc"}, "taylor: at must be a finite number (a point of the domain), got 'abc'"),
        (2, {"at": 7}, "taylor: x0 = 7 is outside the domain [-5, 5]; choose x0 inside it (or "
         "widen the domain)"),
        (5, {"at": 0}, "taylor: the Taylor polynomial needs a function of one variable; two has 2 "
         "(x, y): leave taylor out"),
    ],
)  # fmt: skip
@lsp_test
async def test_plot_command_bad_taylor(
    server: LanguageClient, workdir: Path, line: int, taylor: Any, message: str
) -> None:
    uri = open_document(server, workdir / "bad.py", SOURCE)
    error = await expect_error(plot(server, at(uri, line, taylor=taylor)))
    assert error.message == message
    assert error.data["kind"] == "invalid-options"
