"""A notebook sent as ONE text document, as jupyterlab-lsp sends it, over LSP.

The `.ipynb` is written to disk (jupyterlab-lsp with `requires_documents_on_disk: false`
sends its real path) with a helper module beside it, and its code cells are joined here
the way jupyterlab-lsp joins them: IPython syntax rewritten as `get_ipython()` calls, each
cell followed by two blank lines. Numbers are checked against analytic derivatives.
"""

from __future__ import annotations

import json
import math
import re
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_lsp
from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

from derivlens.joined_notebook import split
from derivlens.notebook import blank_ipython
from tests.lsp.test_lsp import hover, open_document

SERVER = ClientServerConfig(server_command=[sys.executable, "-m", "derivlens", "serve"])
lsp_test = pytest.mark.asyncio(loop_scope="module")


def cells(marker: Path) -> list[tuple[str, str]]:
    return [
        ("code", "%matplotlib inline\nimport torch\nfrom helper import scale"),
        ("markdown", "# Derivatives\nSome *text*."),
        ("code", f"A = 2.0\nfiles = !ls\nlisting = %ls -a\nopen({str(marker)!r}, 'w')"),
        ("code", "%%bash\necho hi\n\n\necho there"),
        # Two blank lines inside one cell (PEP 8): f calls a helper defined below it.
        (
            "code",
            "def f(x):\n    return A * square(x) + scale(x)\n\n\ndef square(x):\n    return x * x",
        ),
        ("code", "%%time\ndef g(x):\n    return A * torch.sin(x)"),
        ("code", "def uses_later(x):\n    return x * LATER"),
        ("code", "LATER = 5.0"),
        ("code", "def broken(x:\n    return"),
        ("code", "def h(x):\n    return x ** 3"),
    ]


def _escape(text: str) -> str:
    return re.sub(r'(["\\])', r"\\\1", text)


def _line(line: str) -> str:
    """One line as jupyterlab-lsp's IPython overrides rewrite it."""
    shell = re.match(r"^(\s*|\s*\S+\s*=\s*)!([^=\s]+)(.*)$", line)
    if shell:
        return f'{shell[1]}get_ipython().getoutput("{shell[2]}{shell[3]}")'
    magic = re.match(r"^(\s*|\s*\S+\s*=\s*)%(\S+)(.*)$", line)
    if magic:
        return f'{magic[1]}get_ipython().run_line_magic("{magic[2]}", "{_escape(magic[3])}")'
    return line


def _cell(source: str) -> str:
    cell_magic = re.match(r"^%%(\S+)(.*\n)([\s\S]*)$", source)
    if cell_magic:
        name, first, content = cell_magic[1], _escape(cell_magic[2])[:-1], cell_magic[3]
        if name in ("time", "capture"):
            return f'# START_CELL_MAGIC("{name}", "{first}")\n{content}\n# END_CELL_MAGIC'
        content = content.replace('"""', '\\"\\"\\"')
        return f'get_ipython().run_cell_magic("{name}", "{first}", """{content}""")'
    return "\n".join(_line(line) for line in source.split("\n"))


def joined(notebook: list[tuple[str, str]]) -> str:
    """The document jupyterlab-lsp sends: code cells, each + "\\n", joined by two "\\n"."""
    return "\n\n".join(_cell(source) + "\n" for kind, source in notebook if kind == "code")


def write_ipynb(path: Path, notebook: list[tuple[str, str]]) -> None:
    path.write_text(
        json.dumps(
            {
                "nbformat": 4,
                "nbformat_minor": 5,
                "metadata": {"language_info": {"name": "python"}},
                "cells": [
                    {
                        "cell_type": kind,
                        "metadata": {},
                        "source": source.splitlines(keepends=True),
                        **({"outputs": [], "execution_count": None} if kind == "code" else {}),
                    }
                    for kind, source in notebook
                ],
            }
        )
    )


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("lab")
    (folder / "helper.py").write_text("def scale(x):\n    return 3 * x\n")
    return folder


@pytest_lsp.fixture(config=SERVER, scope="module")
async def lab(lsp_client: LanguageClient, folder: Path) -> AsyncIterator[LanguageClient]:
    # As jupyterlab-lsp initializes: no clientInfo, no initializationOptions, no folders.
    await lsp_client.initialize_session(
        types.InitializeParams(capabilities=client_capabilities("neovim"), root_uri=folder.as_uri())
    )
    yield lsp_client
    await lsp_client.shutdown_session()


def line_of(text: str, start: str) -> int:
    return next(i for i, line in enumerate(text.split("\n")) if line.startswith(start))


async def plot(client: LanguageClient, uri: str, line: int) -> dict[str, Any]:
    result = await client.workspace_execute_command_async(
        types.ExecuteCommandParams(
            command="derivlens.plot",
            arguments=[{"uri": uri, "position": {"line": line, "character": 4}, "samples": 41}],
        )
    )
    assert isinstance(result, dict), result
    return result


def worst(result: dict[str, Any], derivative: Any) -> float:
    pairs = zip(result["x"], result["derivatives"]["1"], strict=True)
    return max(abs(d - derivative(x)) for x, d in pairs)


@pytest.fixture(scope="module")
def notebook(lab: LanguageClient, folder: Path) -> tuple[str, str]:
    """The saved notebook, opened as one joined document: (its uri, its text)."""
    path = folder / "lab.ipynb"
    content = cells(folder / "ran")
    write_ipynb(path, content)
    text = joined(content)
    return open_document(lab, path, text, save=False), text


@lsp_test
async def test_cells_see_the_cells_above_and_a_helper_beside(
    lab: LanguageClient, notebook: tuple[str, str], folder: Path
) -> None:
    uri, text = notebook
    f = await plot(lab, uri, line_of(text, "def f("))
    assert f["function"] == "f"
    assert worst(f, lambda x: 4 * x + 3) < 1e-9  # A·2x + 3 with A = 2, scale = 3x
    g = await plot(lab, uri, line_of(text, "def g("))
    assert worst(g, lambda x: 2 * math.cos(x)) < 1e-9  # %%time kept its Python body
    h = await plot(lab, uri, line_of(text, "def h("))  # below the broken cell
    assert worst(h, lambda x: 3 * x * x) < 1e-9
    assert (f["line"], f.get("cell")) == (1, 3)  # in its cell: the 4th code cell, from 0
    assert not (folder / "ran").exists()  # no statement of any cell ran


@lsp_test
async def test_a_function_does_not_see_the_cells_below(
    lab: LanguageClient, notebook: tuple[str, str]
) -> None:
    uri, text = notebook
    with pytest.raises(JsonRpcException) as raised:
        await plot(lab, uri, line_of(text, "def uses_later("))
    assert "LATER" in str(raised.value)


@lsp_test
async def test_hover_in_the_joined_document_is_an_html_image(
    lab: LanguageClient, notebook: tuple[str, str]
) -> None:
    uri, text = notebook
    result = await hover(lab, uri, line_of(text, "def h("))
    assert result is not None
    value = result.contents.value
    assert value.startswith("**h(x)**")
    assert re.search(r'<img src="data:image/png;base64,[^"]+" width="360" height="150"', value)


@lsp_test
async def test_unsaved_notebook_falls_back_to_the_two_blank_line_joins(
    lab: LanguageClient, folder: Path
) -> None:
    content = [
        ("code", "import torch\nK = 3.0"),
        ("code", "def k(x):\n    return K * x * x"),
        ("code", "def half(x:"),
        ("code", "def m(x):\n    return torch.exp(x)"),
    ]
    text = joined(content)
    uri = open_document(lab, folder / "never_saved.ipynb", text, save=False)
    k = await plot(lab, uri, line_of(text, "def k("))
    assert worst(k, lambda x: 6 * x) < 1e-9
    m = await plot(lab, uri, line_of(text, "def m("))
    assert worst(m, math.exp) < 1e-6 * math.exp(5)


# --- in-process: where the cells begin ------------------------------------------------


def test_saved_cells_keep_their_inner_blank_runs_and_magics_both_forms_blank() -> None:
    content = cells(Path("/nonexistent/marker"))
    text = joined(content)
    saved = [source for kind, source in content if kind == "code"]
    with_disk = split(text, saved)
    guessed = split(text, None)
    code_cells = len(saved)
    assert len(with_disk.starts) == code_cells
    assert len(guessed.starts) == code_cells + 1  # the PEP 8 cell split in two
    assert with_disk.text.count("\n") == text.count("\n")  # line for line
    assert "get_ipython" not in with_disk.text and "echo" not in with_disk.text
    assert with_disk.blanked == {7}  # `def broken(x:` only (cells counted from 0)


def test_get_ipython_calls_never_run_in_either_notebook_form() -> None:
    cell = (
        'files = get_ipython().getoutput("ls")\n'
        'if True:\n    get_ipython().run_line_magic("time", "")\nA = 1'
    )
    assert blank_ipython(cell) == "\nif True:\n    pass\nA = 1"
    magic = 'get_ipython().run_cell_magic("bash", "", """echo\nA = 2""")'
    assert blank_ipython(magic) == "\n"
