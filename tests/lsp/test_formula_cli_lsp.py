"""The formula through the command line and the language server (docs/protocol.md,
"Formula"): `--json` carries it; the hover shows the f′ line once the server's own job
has found it, never waiting for it, and a command's result carries it then too."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import numpy as np
import pytest
from pytest_lsp import LanguageClient

from tests.e2e.test_cli import json_of, run_cli, write
from tests.helpers import array
from tests.lsp.test_lsp import at, hover, open_document, plot, source
from tests.lsp_session import session

CUBIC = "def cubic(x):\n    return x**3 - 2*x**2 + x - 1\n"


def test_cli_json_has_the_formula(tmp_path: Path) -> None:
    path = write(tmp_path, "import math\nimport torch\n\n" + CUBIC + "\n"
                 "def wave(x):\n    return torch.sin(2 * math.pi * x)\n")  # fmt: skip
    completed = run_cli("plot", str(path), "--function", "cubic", "--order", "2", "--json")
    assert completed.returncode == 0, completed.stderr
    result = json_of(completed)
    assert result["formula"] == {
        "f": "x**3 - 2*x**2 + x - 1",
        "1": "3*x**2 - 4*x + 1",
        "2": "6*x - 4",
        "latex": {"f": "x^{3} - 2 x^{2} + x - 1", "1": "3 x^{2} - 4 x + 1", "2": "6 x - 4"},
    }
    x = array(result["x"])
    np.testing.assert_allclose(array(result["derivatives"]["1"]), 3 * x**2 - 4 * x + 1)
    keys = list(result)
    assert keys.index("warnings") < keys.index("formula") < keys.index("image")
    wave = json_of(run_cli("plot", str(path), "--function", "wave", "--json"))
    assert wave["formula"]["1"] == "2*pi*cos(2*pi*x)"


def test_cli_json_formula_is_null_for_a_branch(tmp_path: Path) -> None:
    path = write(tmp_path, "def kink(x):\n    if x > 0:\n        return x * x\n    return -x\n")
    result = json_of(run_cli("plot", str(path), "--function", "kink", "--json"))
    assert result["formula"] is None and len(result["f"]) == 401


SETTINGS = {"derivlens": {"domain": [-2, 2], "hover": {"sparkline": False}}}


server = session("formula", SETTINGS, name="server")


lsp_test = pytest.mark.asyncio(loop_scope="module")


@lsp_test
async def test_hover_shows_the_formula_line_once_it_is_known(
    server: LanguageClient, workdir: Path
) -> None:
    uri = open_document(server, workdir / "cubic.py", "import torch\n\n" + CUBIC)
    first = await hover(server, uri, 2)
    lines = first.contents.value.splitlines()
    # the first hover did not wait for the formula: it has the plot, not the line
    assert lines[0].startswith("**cubic(x)**") and "f′(x)" not in first.contents.value
    assert "|width=360,height=150)" in first.contents.value
    deadline = time.monotonic() + 60
    while True:
        again = await hover(server, uri, 2)
        if "f′(x)" in again.contents.value or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.2)
    lines = again.contents.value.splitlines()
    assert lines[1] == "f′(x) = 3x² − 4x + 1", again.contents.value[:300]
    assert "|width=302,height=126)" in lines[-1]
    # and the panel's command now carries it, with its LaTeX
    result = await plot(server, at(uri, 2))
    assert result["formula"]["1"] == "3*x**2 - 4*x + 1"
    assert result["formula"]["latex"]["f"] == "x^{3} - 2 x^{2} + x - 1"


@lsp_test
async def test_a_function_without_a_closed_form_never_gets_a_line(
    server: LanguageClient, workdir: Path
) -> None:
    text = source(
        """
        import numpy as np

        def numeric(x):
            return np.sin(x) * 2
        """
    )
    uri = open_document(server, workdir / "numeric.py", text)
    first = await plot(server, at(uri, 2))
    assert first["formula"] is None and first["method"] == "finite-difference"
    await asyncio.sleep(3)  # time for the formula's job to run (it must find none)
    later = await plot(server, at(uri, 2))
    assert later["formula"] is None
    assert "f′(x) =" not in (await hover(server, uri, 2)).contents.value
