"""Compare through the command line and the language server (docs/protocol.md, "Compare"):
`--compare NAME` and the plot command's `compare`, in a file and in a notebook cell (g in
the same cell or a cell above; a cell below is not visible), g's edits re-plotted; two
surfaces (a vector input among them) on f's grid."""

from __future__ import annotations

import base64
import math
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import pytest_lsp
from lsprotocol import types
from PIL import Image
from pytest_lsp import LanguageClient

from tests.e2e.test_cli import json_of, run_cli, write
from tests.helpers import SURFACE_DEFS, array, notebook_opened
from tests.lsp.test_lsp import at, expect_error, open_document, plot, source
from tests.lsp_session import SERVER, start

#: The language server's tests share one server (the CLI's tests are plain functions).
on_the_server = pytest.mark.asyncio(loop_scope="module")

POWERS = (
    source(
        """
    import torch

    open(MARKER, "w").write("module-level code ran")

    def square(x):
        return x**2

    def cube(x):
        return x**3
    """
    )
    + SURFACE_DEFS
)
SQUARE_LINE = 4  # 0-based line of `def square`
BOWL_LINE = POWERS.splitlines().index("def bowl(x, y):")


def drawn_with(result: dict[str, Any], out: Path, axes: list[str]) -> None:
    """The result's image has these plot areas, and the PNG written is that image's size."""
    image = result["image"]
    assert [a["name"] for a in image["axes"]] == axes
    with Image.open(out) as png:
        assert png.size == (image["width"], image["height"])


def powers(folder: Path) -> str:
    """The source, its module-level `open` aimed at `folder / "ran"` (it must never run)."""
    return POWERS.replace("MARKER", repr(str(folder / "ran")))


# --- the command line ---------------------------------------------------------------------------


def test_cli_compare_json_and_png(tmp_path: Path) -> None:
    path = write(tmp_path, powers(tmp_path), "powers.py")
    out = tmp_path / "compare.png"
    completed = run_cli(
        "plot", str(path), "--function", "square", "--compare", "cube", "--domain", "-1", "2",
        "--samples", "31", "--order", "2", "--out", str(out), "--json",
    )  # fmt: skip
    assert completed.returncode == 0, completed.stderr
    result = json_of(completed)
    x = np.linspace(-1, 2, 31)
    comparison = result["compare"]
    assert comparison["function"] == "cube"
    np.testing.assert_allclose(array(comparison["f"]), x**3, atol=1e-12)
    np.testing.assert_allclose(array(comparison["derivatives"]["1"]), 3 * x**2, atol=1e-12)
    np.testing.assert_allclose(array(comparison["derivatives"]["2"]), 6 * x, atol=1e-12)
    np.testing.assert_allclose(array(comparison["difference"]), x**2 - x**3, atol=1e-12)
    drawn_with(result, out, ["f", "f′", "f″", "f − g"])
    assert not (tmp_path / "ran").exists()


@pytest.mark.parametrize(
    ("function", "other", "message"),
    [
        ("square", "sq", "compare: no function named 'sq' in this document; eligible: cube"),
        ("bowl", "cube", "compare: bowl takes 2 variables and cube takes 1 variable; compare "
         "needs functions of the same number of variables"),
    ],
    ids=["unknown-name", "surface-against-curve"],
)  # fmt: skip
def test_cli_a_bad_compare_is_exit_2(tmp_path: Path, function: str, other: str, message: str):
    path = write(tmp_path, POWERS, "powers.py")
    completed = run_cli("plot", str(path), "--function", function, "--compare", other, "--json")
    assert completed.returncode == 2
    assert json_of(completed)["error"] == {"kind": "invalid-options", "message": message}


# --- the language server -------------------------------------------------------------------------


@pytest_lsp.fixture(config=SERVER, scope="module")
async def client(lsp_client: LanguageClient, workdir: Path) -> AsyncIterator[None]:
    await start(lsp_client, workdir, "compare")
    yield
    await lsp_client.shutdown_session()


def change(client: LanguageClient, uri: str, version: int, text: str) -> None:
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)],
        )
    )


@on_the_server
async def test_the_plot_command_compares_and_replots_when_g_is_edited(
    client: LanguageClient, workdir: Path
) -> None:
    text = powers(workdir)
    uri = open_document(client, workdir / "powers.py", text)
    options: dict[str, Any] = {"domain": [-1, 2], "samples": 31, "compare": "cube"}
    result = await plot(client, at(uri, SQUARE_LINE, **options, width=600, height=500))
    x = np.linspace(-1, 2, 31)
    np.testing.assert_allclose(array(result["compare"]["difference"]), x**2 - x**3, atol=1e-12)
    assert [a["name"] for a in result["image"]["axes"]] == ["f", "f′", "f − g"]
    plain = await plot(client, at(uri, SQUARE_LINE, domain=[-1, 2], samples=31))
    assert "compare" not in plain
    # An edit to g (not to f) gives g's new values, not the comparison kept before.
    change(client, uri, 2, text.replace("return x**3", "return x**3 + 1"))
    edited = await plot(client, at(uri, SQUARE_LINE, **options))
    np.testing.assert_allclose(array(edited["compare"]["f"]), x**3 + 1, atol=1e-12)
    np.testing.assert_allclose(array(edited["f"]), x**2, atol=1e-12)
    assert not (workdir / "ran").exists()


@on_the_server
@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("sq", "compare: no function named 'sq' in this document; eligible: cube"),
        (
            "bowl",
            "compare: square takes 1 variable and bowl takes 2 variables; compare needs "
            "functions of the same number of variables",
        ),
        ("square", "compare: square is the function being plotted; name another function"),
    ],
    ids=["unknown", "variables", "itself"],
)
async def test_a_bad_compare_is_an_invalid_options_error(
    client: LanguageClient, workdir: Path, name: str, message: str
) -> None:
    uri = open_document(client, workdir / "refusals.py", POWERS)
    error = await expect_error(plot(client, at(uri, SQUARE_LINE, compare=name)))
    assert error.code == -32803
    assert error.data == {"kind": "invalid-options", "option": "compare"}
    assert error.message == message


@on_the_server
async def test_compare_must_be_a_name(client: LanguageClient, workdir: Path) -> None:
    uri = open_document(client, workdir / "typed.py", POWERS)
    error = await expect_error(plot(client, at(uri, SQUARE_LINE, compare=3)))
    assert error.code == -32803 and error.data["kind"] == "invalid-options"


# --- a notebook: g in the same cell or a cell above ----------------------------------------------


CELLS = [
    "import math\nimport torch\n\ndef gelu_tanh(x):\n"
    "    return 0.5 * x * (1 + torch.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3)))",
    "print('cell 2 ran')\ndef gelu(x):\n    return 0.5 * x * (1 + torch.erf(x / math.sqrt(2)))\n"
    "\ndef relu(x):\n    return torch.relu(x)",
    "def silu(x):\n    return x * torch.sigmoid(x)",
]


@on_the_server
async def test_a_notebook_cell_compares_with_a_cell_above_not_below(
    client: LanguageClient, workdir: Path
) -> None:
    notebook = workdir / "acts.ipynb"
    cells = [f"vscode-notebook-cell:{notebook}#cell{i}" for i in range(len(CELLS))]
    client.notebook_document_did_open(
        notebook_opened(notebook.as_uri(), list(zip(cells, CELLS, strict=True)))
    )
    options: dict[str, Any] = {"domain": [-3, 3], "samples": 61, "compare": "gelu_tanh"}
    result = await plot(client, at(cells[1], 1, **options))
    assert result["cell"] == 1 and result["function"] == "gelu"
    x = np.linspace(-3, 3, 61)
    c = math.sqrt(2 / math.pi)
    approx = 0.5 * x * (1 + np.tanh(c * (x + 0.044715 * x**3)))
    exact = 0.5 * x * (1 + np.array([math.erf(v / math.sqrt(2)) for v in x]))
    np.testing.assert_allclose(array(result["compare"]["difference"]), exact - approx, atol=1e-12)
    same_cell = await plot(client, at(cells[1], 1, domain=[-3, 3], samples=61, compare="relu"))
    np.testing.assert_allclose(array(same_cell["compare"]["f"]), np.maximum(x, 0), atol=0)
    error = await expect_error(plot(client, at(cells[1], 1, compare="silu")))
    assert error.data == {"kind": "invalid-options", "option": "compare"}
    assert error.message == (
        "compare: no function named 'silu' in this cell or the cells above it; "
        "eligible: gelu_tanh, relu"
    )


def test_cli_summary_names_g_and_the_largest_difference(tmp_path: Path) -> None:
    path = write(tmp_path, powers(tmp_path), "powers.py")
    completed = run_cli(
        "plot", str(path), "--function", "square", "--compare", "cube", "--domain", "-1", "2",
        "--samples", "31",
    )  # fmt: skip
    assert completed.returncode == 0, completed.stderr
    # |x² − x³| on [-1, 2] is largest at x = 2: |4 − 8| = 4.
    assert "  compared with cube: largest |f − g| = 4 at x = 2\n" in completed.stdout


@on_the_server
async def test_a_comparison_drawn_as_svg_passes_the_image_checks(
    client: LanguageClient, workdir: Path
) -> None:
    uri = open_document(client, workdir / "svg.py", powers(workdir))
    result = await plot(client, at(uri, SQUARE_LINE, compare="cube", format="svg", samples=21))
    assert result["image"]["format"] == "svg"
    assert [a["name"] for a in result["image"]["axes"]] == ["f", "f′", "f − g"]
    svg = base64.b64decode(result["image"]["data"]).decode()
    assert svg.lstrip().startswith("<") and "cube(x)" in svg  # g's legend entry


# --- two variables: g on f's grid ---------------------------------------------------------------


def grid_of(rows: list[list[float | None]]) -> np.ndarray:
    return np.array([[np.nan if v is None else v for v in row] for row in rows], dtype=float)


def test_cli_compares_two_surfaces(tmp_path: Path) -> None:
    path = write(tmp_path, powers(tmp_path), "powers.py")
    out = tmp_path / "surfaces.png"
    completed = run_cli(
        "plot", str(path), "--function", "bowl", "--compare", "product", "--domain", "-2", "2",
        "--y-domain", "-1", "3", "--samples", "21", "--out", str(out), "--json",
    )  # fmt: skip
    assert completed.returncode == 0, completed.stderr
    result = json_of(completed)
    x, y = np.meshgrid(np.linspace(-2, 2, 21), np.linspace(-1, 3, 21))
    comparison = result["compare"]
    np.testing.assert_allclose(grid_of(comparison["f"]), x * y, rtol=0, atol=1e-12)
    np.testing.assert_allclose(grid_of(comparison["derivatives"]["x"]), y, rtol=0, atol=1e-12)
    np.testing.assert_allclose(grid_of(comparison["derivatives"]["y"]), x, rtol=0, atol=1e-12)
    expected = x**2 + y**2 - x * y
    np.testing.assert_allclose(grid_of(comparison["difference"]), expected, rtol=0, atol=1e-12)
    drawn_with(result, out, ["f", "∂f/∂x", "∂f/∂y", "f − g"])
    assert not (tmp_path / "ran").exists()


def test_cli_summary_of_two_surfaces_names_the_point(tmp_path: Path) -> None:
    path = write(tmp_path, powers(tmp_path), "powers.py")
    completed = run_cli(
        "plot", str(path), "--function", "bowl", "--compare", "product", "--domain", "-2", "2",
        "--y-domain", "-2", "2", "--samples", "21",
    )  # fmt: skip
    assert completed.returncode == 0, completed.stderr
    # x² + y² − xy on [-2, 2]² is largest at the corners (2, −2) and (−2, 2): 12; the
    # first in the grid's order (rows by y) is named.
    assert "  compared with product: largest |f − g| = 12 at (x, y) = (2, -2)\n" in (
        completed.stdout
    )


@on_the_server
async def test_the_plot_command_compares_a_surface_with_a_vector_input_one(
    client: LanguageClient, workdir: Path
) -> None:
    uri = open_document(client, workdir / "surfaces.py", powers(workdir))
    options: dict[str, Any] = {"domain": [-2, 2], "ydomain": [-1, 3], "samples": 17}
    result = await plot(client, at(uri, BOWL_LINE, **options, compare="rosenbrock"))
    x, y = np.meshgrid(np.linspace(-2, 2, 17), np.linspace(-1, 3, 17))
    g = (1 - x) ** 2 + 100 * (y - x**2) ** 2
    comparison = result["compare"]
    assert comparison["function"] == "rosenbrock"
    np.testing.assert_allclose(grid_of(comparison["f"]), g, atol=1e-10)
    np.testing.assert_allclose(
        grid_of(comparison["derivatives"]["y"]), 200 * (y - x**2), atol=1e-10
    )
    np.testing.assert_allclose(grid_of(comparison["difference"]), x**2 + y**2 - g, atol=1e-10)
    assert [a["name"] for a in result["image"]["axes"]] == ["f", "∂f/∂x", "∂f/∂y", "f − g"]
    error = await expect_error(plot(client, at(uri, BOWL_LINE, compare="square")))
    assert error.data == {"kind": "invalid-options", "option": "compare"}
    assert error.message == (
        "compare: bowl takes 2 variables and square takes 1 variable; compare needs "
        "functions of the same number of variables"
    )
    assert not (workdir / "ran").exists()
