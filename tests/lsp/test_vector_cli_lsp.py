"""Vector input through the command line and the language server (docs/protocol.md,
"Vector input"): `--param 'x[2]=1.5'` and the command's `params` set a held component,
the hover's summary line names the components, a code lens sits above the function."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from pytest_lsp import LanguageClient

from tests.e2e.test_cli import json_of, run_cli, write
from tests.helpers import array
from tests.lsp.test_lsp import at, expect_error, hover, lenses, open_document, plot
from tests.lsp_session import session

SOURCE = """\
import torch


def rosenbrock(v):
    return (1 - v[0]) ** 2 + 100 * (v[1] - v[0] ** 2) ** 2


def tilted(x):
    a, b, c = x
    return a * c + b**2 + torch.exp(c)
"""
LINES = SOURCE.splitlines()
ROSENBROCK = LINES.index("def rosenbrock(v):")
TILTED = LINES.index("def tilted(x):")


def test_cli_param_sets_a_held_component_and_draws_the_surface(tmp_path: Path) -> None:
    path = write(tmp_path, SOURCE)
    out = tmp_path / "tilted.png"
    completed = run_cli(
        "plot", str(path), "--function", "tilted", "--param", "x[2]=1.5", "--samples", "11",
        "--json", "--out", str(out),
    )  # fmt: skip
    assert completed.returncode == 0, completed.stderr
    result = json_of(completed)
    assert result["variables"] == ["x[0]", "x[1]"] and result["fixed"] == {"x[2]": 1.5}
    a, b = np.meshgrid(array(result["x"]), array(result["y"]))
    np.testing.assert_allclose(result["f"], 1.5 * a + b**2 + np.exp(1.5), rtol=1e-12)
    np.testing.assert_allclose(result["gradient"]["x"], np.full_like(a, 1.5), rtol=1e-12)
    np.testing.assert_allclose(result["gradient"]["y"], 2 * b, atol=1e-12)
    assert out.read_bytes().startswith(b"\x89PNG")
    assert [axes["name"] for axes in result["image"]["axes"]] == ["f", "∂f/∂x", "∂f/∂y"]


def test_cli_refuses_a_component_that_is_not_held(tmp_path: Path) -> None:
    path = write(tmp_path, SOURCE)
    completed = run_cli("plot", str(path), "--function", "tilted", "--param", "x[3]=1", "--json")
    assert completed.returncode == 2
    assert json_of(completed) == {
        "error": {
            "kind": "invalid-options",
            "message": "params: tilted has no held parameter 'x[3]' (held: x[2])",
        }
    }


SETTINGS = {"derivlens": {"domain": [-2, 2], "hover": {"sparkline": False}}}


server = session("vector", SETTINGS, name="server")


lsp_test = pytest.mark.asyncio(loop_scope="module")


@lsp_test
async def test_command_plots_rosenbrock_with_its_partials(
    server: LanguageClient, workdir: Path
) -> None:
    uri = open_document(server, workdir / "vectors.py", SOURCE)
    result = await plot(server, at(uri, ROSENBROCK, ydomain=[-1, 3], samples=41))
    assert result["variables"] == ["v[0]", "v[1]"] and result["method"] == "autograd"
    a, b = np.meshgrid(array(result["x"]), array(result["y"]))
    np.testing.assert_allclose(result["f"], (1 - a) ** 2 + 100 * (b - a**2) ** 2, rtol=1e-12)
    np.testing.assert_allclose(
        result["gradient"]["x"], -2 * (1 - a) - 400 * a * (b - a**2), rtol=1e-12, atol=1e-9
    )
    np.testing.assert_allclose(result["gradient"]["y"], 200 * (b - a**2), rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(result["critical_points"], [[1.0, 1.0]], atol=1e-9)


@lsp_test
async def test_command_params_set_the_held_component(server: LanguageClient, workdir: Path) -> None:
    uri = open_document(server, workdir / "params.py", SOURCE)
    held = await plot(server, at(uri, TILTED, samples=11))
    assert held["fixed"] == {"x[2]": 0.0}
    moved = await plot(server, at(uri, TILTED, samples=11, params={"x[2]": -0.5}))
    assert moved["fixed"] == {"x[2]": -0.5}
    a, b = np.meshgrid(array(moved["x"]), array(moved["y"]))
    np.testing.assert_allclose(held["f"], b**2 + 1.0, rtol=1e-12)
    np.testing.assert_allclose(moved["f"], -0.5 * a + b**2 + np.exp(-0.5), rtol=1e-12)
    error = await expect_error(plot(server, at(uri, TILTED, params={"x[9]": 1.0})))
    assert error.code == -32803
    assert error.data == {"kind": "invalid-options", "option": "params"}
    assert error.message == "params: tilted has no held parameter 'x[9]' (held: x[2])"


@lsp_test
async def test_hover_and_code_lens_as_for_any_surface(
    server: LanguageClient, workdir: Path
) -> None:
    uri = open_document(server, workdir / "hover.py", SOURCE)
    assert {lens.range.start.line for lens in await lenses(server, uri)} == {ROSENBROCK, TILTED}
    found = await hover(server, uri, TILTED)
    assert found is not None
    summary = found.contents.value.splitlines()[0]
    assert summary.startswith("**tilted(x\\[0\\], x\\[1\\])** · autograd"), summary
    assert "x\\[2\\] = 0" in summary
