"""Notebooks of our own in the shapes real ones have, plotted over LSP notebook sync.

`tests/corpus/notebooks/` holds six `.ipynb` files with markdown cells, `%matplotlib`,
`%load_ext`, `%%time` and `!pip install` lines, `x?` help, `files = !ls`, training loops
(one runs 10⁹ epochs, another `while True`: if any statement of another cell ran, the
plot would time out), outputs (streams, images, results), functions several cells below
their imports that read constants of a cell above, and half-typed broken cells. Each
function is plotted through the language server as VS Code would (docs/protocol.md,
"Notebooks") and its numbers are checked against closed forms.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import LanguageClient

from tests.lsp_session import SERVER, start

FOLDER = Path(__file__).parent / "notebooks"
EXACT = 1e-9
Curve = Callable[[np.ndarray], np.ndarray]


@pytest_lsp.fixture(config=SERVER, scope="module")
async def client(lsp_client: LanguageClient) -> AsyncIterator[None]:
    await start(lsp_client, FOLDER, "notebooks")
    yield
    await lsp_client.shutdown_session()


def sigmoid(z: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-z))


@dataclass(frozen=True)
class Target:
    notebook: str
    function: str
    domain: tuple[float, float]
    f: Curve
    df: Curve
    method: str = "autograd"
    fixed: dict[str, float] | None = None
    skip: Callable[[float], bool] = lambda x: False  # a kink on a sample
    kinks: tuple[float, ...] = ()  # the x the disagreement warning must name
    precision: float = EXACT  # of the curve's scale: coarser for float32 code

    @property
    def id(self) -> str:
        return f"{self.notebook}:{self.function}"


E, K = np.exp, 1 / math.sqrt(2 * math.pi)


def lr(s: np.ndarray) -> np.ndarray:
    return np.where(s < 10, 3e-4 * s / 10, 3e-4 * 0.5 * (1 + np.cos(math.pi * (s - 10) / 90)))


def dlr(s: np.ndarray) -> np.ndarray:
    decay = -3e-4 * 0.5 * np.sin(math.pi * (s - 10) / 90) * math.pi / 90
    return np.where(s < 10, 3e-4 / 10, decay)


TARGETS = [
    Target("swish_training.ipynb", "swish", (-4, 4), lambda x: x * sigmoid(1.5 * x),
           lambda x: sigmoid(1.5 * x) + 1.5 * x * sigmoid(1.5 * x) * (1 - sigmoid(1.5 * x))),
    Target("swish_training.ipynb", "Swish.forward", (-4, 4), lambda x: x * sigmoid(1.5 * x),
           lambda x: sigmoid(1.5 * x) + 1.5 * x * sigmoid(1.5 * x) * (1 - sigmoid(1.5 * x)),
           fixed={"Swish(beta)": 1.5}),
    Target("lr_schedule.ipynb", "lr_at", (0, 100), lr, dlr, skip=lambda s: s == 10,
           kinks=(10,)),
    # a package's schedule factory, its product bound to a name; computes in float32
    Target("lr_schedule.ipynb", "update_prob", (0, 200),
           lambda n: np.minimum(1.0, np.exp(-0.001 * (n - 50))),
           lambda n: np.where(n < 50, 0.0, -0.001 * np.exp(-0.001 * (n - 50))),
           method="finite-difference", precision=1e-6, skip=lambda n: n == 50, kinks=(50,)),
    Target("easing_curves.ipynb", "ease_in_out_sine", (0, 1),
           lambda t: (1 - np.cos(math.pi * t)) / 2, lambda t: math.pi / 2 * np.sin(math.pi * t),
           method="finite-difference"),
    Target("easing_curves.ipynb", "smoothstep", (0, 1), lambda t: 3 * t**2 - 2 * t**3,
           lambda t: 6 * t - 6 * t**2),
    Target("potentials.ipynb", "lennard_jones", (0.95, 2.5), lambda r: 4 * (r**-12 - r**-6),
           lambda r: 4 * (-12 * r**-13 + 6 * r**-7), fixed={"eps": 1.0, "sigma": 1.0}),
    Target("potentials.ipynb", "morse", (0.5, 3), lambda r: 2 * (1 - E(-1.5 * (r - 1.2))) ** 2,
           lambda r: 6 * (1 - E(-1.5 * (r - 1.2))) * E(-1.5 * (r - 1.2)),
           method="finite-difference"),
    Target("density_fit.ipynb", "normal_pdf", (-4, 5),
           lambda x: K / 1.2 * E(-((x - 0.5) ** 2) / 2.88),
           lambda x: -K / 1.2 * (x - 0.5) / 1.44 * E(-((x - 0.5) ** 2) / 2.88),
           fixed={"mu": 0.5, "sigma": 1.2}),
    Target("density_fit.ipynb", "log_likelihood", (-4, 5),
           lambda x: -0.5 * ((x - 0.5) / 1.2) ** 2 - math.log(1.2 * math.sqrt(2 * math.pi)),
           lambda x: -(x - 0.5) / 1.44, fixed={"mu": 0.5, "sigma": 1.2}),
    Target("saturation.ipynb", "saturate", (-6, 6), lambda u: np.clip(u, -2, 2),
           lambda u: (np.abs(u) < 2).astype(float), kinks=(-2, 2)),
    Target("saturation.ipynb", "smooth_saturate", (-6, 6), lambda u: 2 * np.tanh(u / 2),
           lambda u: 1 / np.cosh(u / 2) ** 2),
]  # fmt: skip


def read_notebook(name: str) -> list[dict[str, Any]]:
    return json.loads((FOLDER / name).read_text(encoding="utf-8"))["cells"]


def open_notebook(client: LanguageClient, name: str) -> list[str]:
    """didOpen the notebook as VS Code sends it; the cells' URIs."""
    path = FOLDER / name
    cells = read_notebook(name)
    uris = [f"vscode-notebook-cell:{path}#cell{i}" for i in range(len(cells))]
    code = types.NotebookCellKind.Code
    kinds = [code if c["cell_type"] == "code" else types.NotebookCellKind.Markup for c in cells]
    client.notebook_document_did_open(
        types.DidOpenNotebookDocumentParams(
            notebook_document=types.NotebookDocument(
                uri=path.as_uri(),
                notebook_type="jupyter-notebook",
                version=1,
                cells=[
                    types.NotebookCell(kind=k, document=u) for k, u in zip(kinds, uris, strict=True)
                ],
            ),
            cell_text_documents=[
                types.TextDocumentItem(
                    uri=uri,
                    language_id="python" if kind == code else "markdown",
                    version=1,
                    text="".join(cell["source"]),
                )
                for cell, kind, uri in zip(cells, kinds, uris, strict=True)
            ],
        )
    )
    return uris


def definition(name: str, function: str) -> tuple[int, int, int]:
    """(cell index, line, column) of the name in the `def` of `function` (`Class.method`:
    the method's `def` in the class), or in the assignment that binds it."""
    short = function.rsplit(".", 1)[-1]
    for index, cell in enumerate(read_notebook(name)):
        for line, text in enumerate("".join(cell["source"]).splitlines()):
            if text.lstrip().startswith((f"def {short}(", f"{short} = ")):
                return index, line, text.index(short)
    raise LookupError(function)


def stated_bound(result: dict[str, Any]) -> float:
    (message,) = [w["message"] for w in result["warnings"] if w["kind"] == "finite-difference"]
    return float(message.split("f′ to within about ")[1].split(" ")[0].rstrip(".,"))


@pytest.fixture(scope="module")
def opened() -> dict[str, list[str]]:
    return {}


async def plot(client: LanguageClient, opened: dict[str, list[str]], target: Target) -> Any:
    """`derivlens.plot` at the function's `def` in its cell (the notebook opened once)."""
    if target.notebook not in opened:
        opened[target.notebook] = open_notebook(client, target.notebook)
    cell, line, column = definition(target.notebook, target.function)
    result = await client.workspace_execute_command_async(
        types.ExecuteCommandParams(
            command="derivlens.plot",
            arguments=[
                {
                    "uri": opened[target.notebook][cell],
                    "position": {"line": line, "character": column},
                    "domain": list(target.domain),
                    "samples": 41,
                }
            ],
        )
    )
    assert result["function"] == target.function
    assert result["cell"] == cell and result["line"] == line + 1
    return result


FOUND = [pytest.param(t, id=t.id) for t in TARGETS]


@pytest.mark.asyncio(loop_scope="module")
@pytest.mark.parametrize("target", FOUND)
async def test_a_notebook_function_is_plotted_with_the_right_numbers(
    client: LanguageClient, opened: dict[str, list[str]], target: Target
):
    result = await plot(client, opened, target)
    assert result["method"] == target.method, result["warnings"]
    if target.fixed is not None:
        assert result["fixed"] == target.fixed
    x = np.array(result["x"])
    keep = np.array([not target.skip(v) for v in x])
    f = np.array(result["f"], dtype=float)
    df = np.array(result["derivatives"]["1"], dtype=float)
    expected_f, expected_df = target.f(x), target.df(x)
    scale = target.precision * np.abs(expected_f).max()
    np.testing.assert_allclose(f, expected_f, rtol=0, atol=scale)
    slope = target.precision * np.abs(expected_df).max()
    if target.method == "finite-difference":
        slope = stated_bound(result)
    np.testing.assert_allclose(df[keep], expected_df[keep], rtol=0, atol=slope)


CASES = FOUND


@pytest.mark.asyncio(loop_scope="module")
@pytest.mark.parametrize("target", CASES)
async def test_each_kink_is_named_and_a_smooth_function_has_no_disagreement(
    client: LanguageClient, opened: dict[str, list[str]], target: Target
):
    check_disagreement(await plot(client, opened, target), target.kinks)


def check_disagreement(result: dict[str, Any], kinks: tuple[float, ...]) -> None:
    """No disagreement for a smooth function; one naming each kink otherwise."""
    messages = [w["message"] for w in result["warnings"] if w["kind"] == "disagreement"]
    if not kinks:
        assert messages == [], messages
        return
    assert len(messages) == 1, f"kinks at {kinks} not named: {messages}"
    named = [float(n) for n in re.findall(r"-?\d+(?:\.\d+)?", messages[0].split(":")[0])]
    for x in kinks:
        assert any(abs(n - x) <= 1e-3 * max(1, abs(x)) for n in named), messages[0]


def test_the_notebooks_have_the_shapes_real_ones_have():
    names = sorted(p.name for p in FOLDER.glob("*.ipynb"))
    assert len(names) >= 6 and {t.notebook for t in TARGETS} == set(names)
    for name in names:
        cells = read_notebook(name)
        texts = ["".join(c["source"]) for c in cells if c["cell_type"] == "code"]
        assert any(c["cell_type"] == "markdown" for c in cells), name
        assert any(line.lstrip().startswith(("%", "!")) for t in texts for line in t.split("\n"))
        assert any(c.get("outputs") for c in cells), name
        broken = [t for t in texts if not compiles(t)]
        assert broken, f"{name} has no half-typed cell"


def compiles(text: str) -> bool:
    lines = [line for line in text.split("\n") if not line.lstrip().startswith(("%", "!"))]
    try:
        compile("\n".join(lines), "<cell>", "exec")
    except SyntaxError:
        return "?" in text or "= !" in text  # IPython syntax, not a broken cell
    return True
