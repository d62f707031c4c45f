"""Notebooks over LSP (3.17 notebook synchronization), driven by pytest-lsp as VS Code would.

A notebook with magics and shell lines; a function in a cell uses a constant of an
earlier cell; a cell with a top-level statement that would write a marker file must
never run.
"""

from __future__ import annotations

import asyncio
import math
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import LanguageClient

from tests.helpers import notebook_opened
from tests.lsp_session import SERVER, start

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest_lsp.fixture(config=SERVER, scope="module")
async def client(lsp_client: LanguageClient, workdir: Path) -> AsyncIterator[None]:
    await start(lsp_client, workdir, "nb")
    yield
    await lsp_client.shutdown_session()


def cells_of(workdir: Path) -> list[tuple[types.NotebookCellKind, str]]:
    marker = workdir / "ran"
    return [
        (types.NotebookCellKind.Code, "%matplotlib inline\n!pip install torch\nimport torch"),
        (types.NotebookCellKind.Markup, "# Training\nThe scale below is **learned**."),
        (types.NotebookCellKind.Code, f"SCALE = 2.0\nopen({str(marker)!r}, 'w').write('x')"),
        (types.NotebookCellKind.Code, "%%time\ndef f(x):\n    return SCALE * torch.sin(x)"),
        (types.NotebookCellKind.Code, "f?\nfor i in range(3):\n    print(f(torch.tensor(1.0)))"),
    ]


def open_notebook(client: LanguageClient, workdir: Path, name: str) -> tuple[str, list[str]]:
    uri = (workdir / name).as_uri()
    cells = cells_of(workdir)
    cell_uris = [f"vscode-notebook-cell:{workdir / name}#cell{i}" for i in range(len(cells))]
    texts = [(cell, text) for cell, (_, text) in zip(cell_uris, cells, strict=True)]
    client.notebook_document_did_open(
        notebook_opened(uri, texts, kinds=[kind for kind, _ in cells])
    )
    return uri, cell_uris


def edit_cell(client: LanguageClient, uri: str, cell: str, version: int, text: str) -> None:
    client.notebook_document_did_change(
        types.DidChangeNotebookDocumentParams(
            notebook_document=types.VersionedNotebookDocumentIdentifier(uri=uri, version=version),
            change=types.NotebookDocumentChangeEvent(
                cells=types.NotebookDocumentCellChanges(
                    text_content=[
                        types.NotebookDocumentCellContentChanges(
                            document=types.VersionedTextDocumentIdentifier(
                                uri=cell, version=version
                            ),
                            changes=[types.TextDocumentContentChangeWholeDocument(text=text)],
                        )
                    ]
                )
            ),
        )
    )


async def plot(client: LanguageClient, cell: str, line: int, **options: Any) -> dict[str, Any]:
    result = await client.workspace_execute_command_async(
        types.ExecuteCommandParams(
            command="derivlens.plot",
            arguments=[{"uri": cell, "position": {"line": line, "character": 4}, **options}],
        )
    )
    assert isinstance(result, dict), result
    return result


def sine_error(result: dict[str, Any], scale: float) -> float:
    xs = result["x"]
    d1 = result["derivatives"]["1"]
    return max(abs(d - scale * math.cos(x)) for x, d in zip(xs, d1, strict=True))


async def test_a_cell_function_sees_the_cells_above_and_nothing_else_runs(
    client: LanguageClient, workdir: Path
):
    uri, cells = open_notebook(client, workdir, "train.ipynb")
    result = await plot(client, cells[3], 1, samples=21)  # `def f(x):`, after `%%time`
    assert result["file"] == str(workdir / "train.ipynb")
    assert result["cell"] == 3 and result["line"] == 2  # cell-relative
    assert result["function"] == "f" and result["variables"] == ["x"]
    assert sine_error(result, 2.0) < 1e-9
    assert not (workdir / "ran").exists()  # cell 2's open(...) never ran

    edit_cell(client, uri, cells[2], 2, f"SCALE = 3.5\nopen({str(workdir / 'ran')!r}, 'w')")
    changed = await plot(client, cells[3], 1, samples=21)
    assert sine_error(changed, 3.5) < 1e-9
    assert not (workdir / "ran").exists()


async def test_hover_and_lenses_in_a_cell(client: LanguageClient, workdir: Path):
    _uri, cells = open_notebook(client, workdir, "hover.ipynb")
    hovered = await client.text_document_hover_async(
        types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri=cells[3]),
            position=types.Position(line=1, character=5),
        )
    )
    assert hovered is not None
    text = hovered.contents.value
    assert text.startswith("**f(x)** · autograd · x ∈ [-5, 5]")
    assert re.search(r"!\[plot of f[^\]]*\]\(data:image/png;base64,[A-Za-z0-9+/=]+\|", text)
    lenses = await client.text_document_code_lens_async(
        types.CodeLensParams(text_document=types.TextDocumentIdentifier(uri=cells[3]))
    )
    assert [(lens.range.start.line, list(lens.command.arguments)) for lens in lenses or []] == [
        (1, [{"uri": cells[3], "position": {"line": 1, "character": 4}}])
    ]
    above = await client.text_document_code_lens_async(
        types.CodeLensParams(text_document=types.TextDocumentIdentifier(uri=cells[0]))
    )
    assert list(above or []) == []  # no function there (and none of cell 3's lenses)
    nothing = await client.text_document_hover_async(
        types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri=cells[4]),
            position=types.Position(line=0, character=0),
        )
    )
    assert nothing is None


async def test_an_unrelated_cell_edit_is_served_from_the_cache(
    client: LanguageClient, workdir: Path
):
    uri, cells = open_notebook(client, workdir, "cache.ipynb")
    first = await plot(client, cells[3], 1, samples=31)
    assert first["elapsed_ms"] > 0
    # a new line in cell 0 moves every later line of the module, but not what f needs
    edit_cell(client, uri, cells[4], 2, "print('more training')\n\n\n")
    edit_cell(client, uri, cells[0], 3, "%matplotlib inline\n\nimport torch\n")
    again = await plot(client, cells[3], 1, samples=31)
    assert again["elapsed_ms"] == 0.0 and again["x"] == first["x"]
    assert again["line"] == 2


async def test_a_syntax_error_in_another_cell_does_not_break_this_one(
    client: LanguageClient, workdir: Path
):
    uri, cells = open_notebook(client, workdir, "typing.ipynb")
    edit_cell(client, uri, cells[4], 2, "def half_typed(x:\n")
    result = await plot(client, cells[3], 1, samples=11)
    assert sine_error(result, 2.0) < 1e-9
    edit_cell(client, uri, cells[3], 3, "def f(x):\n    return (SCALE *\n")
    with pytest.raises(Exception) as caught:
        await plot(client, cells[3], 0, samples=11)
    assert caught.value.data == {"kind": "syntax"}  # type: ignore[attr-defined]
    assert "at cell 4, line 2" in str(caught.value)  # the unclosed ( in cell 4 (index 3)


async def test_a_percent_format_script_is_a_plain_file(client: LanguageClient, workdir: Path):
    path = workdir / "script.py"
    text = "# %%\nimport torch\n\n# %%\nK = 3.0\n\n# %%\ndef f(x):\n    return K * torch.sin(x)\n"
    path.write_text(text)
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri=path.as_uri(), language_id="python", version=1, text=text
            )
        )
    )
    result = await plot(client, path.as_uri(), 7, samples=11)
    assert "cell" not in result and result["line"] == 8
    assert sine_error(result, 3.0) < 1e-9
    await asyncio.sleep(0)


async def test_an_exception_in_a_cell_names_the_cell_and_its_line(
    client: LanguageClient, workdir: Path
):
    uri, cells = open_notebook(client, workdir, "raises.ipynb")
    edit_cell(client, uri, cells[3], 2, "def f(x):\n    y = x + 1\n    raise ValueError('nope')")
    with pytest.raises(Exception) as caught:
        await plot(client, cells[3], 0, samples=11)
    assert caught.value.data == {"kind": "user-error"}  # type: ignore[attr-defined]
    assert "ValueError: nope (raises.ipynb, cell 4, line 3, in f)" in str(caught.value)
