"""What the server keeps follows the open documents, over stdio as an editor drives it:
closed documents and notebooks leave no parse, piece, result or hover behind; a name of
300,000 characters neither wedges the worker nor is laid out by it."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_lsp
from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pytest_lsp import LanguageClient

from tests.helpers import notebook_opened
from tests.lsp.test_lsp import hover, open_document
from tests.lsp_session import SERVER, start

pytestmark = pytest.mark.asyncio(loop_scope="module")

PANEL = {"width": 500, "height": 300, "scale": 2}


@pytest_lsp.fixture(config=SERVER, scope="module")
async def client(lsp_client: LanguageClient, workdir: Path) -> AsyncIterator[None]:
    await start(lsp_client, workdir, "memory")
    yield
    await lsp_client.shutdown_session()


async def kept(client: LanguageClient) -> dict[str, Any]:
    memory = await client.protocol.send_request_async("derivlens/memory", None)
    # pygls hands an unknown method's result over as a named tuple
    return memory if isinstance(memory, dict) else memory._asdict()


def close(client: LanguageClient, uri: str) -> None:
    client.text_document_did_close(
        types.DidCloseTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri))
    )


def edit(client: LanguageClient, uri: str, text: str) -> None:
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=2),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)],
        )
    )


def module_text(i: int, power: int) -> str:
    return f"import math\nK{i} = {i}\ndef f{i}(x):\n    return x ** {power} + K{i}\n"


def open_notebook(client: LanguageClient, workdir: Path) -> tuple[str, list[str]]:
    uri = (workdir / "closed.ipynb").as_uri()
    texts = ["import math\nA = 2.0", "def g(x):\n    return A * x * x"]
    cells = [f"vscode-notebook-cell:{workdir / 'closed.ipynb'}#cell{i}" for i in range(2)]
    client.notebook_document_did_open(notebook_opened(uri, list(zip(cells, texts, strict=True))))
    return uri, cells


async def test_closed_documents_and_notebooks_leave_nothing_behind(client, workdir):
    uris = []
    for i in range(40):
        uri = open_document(client, workdir / f"doc{i}.py", module_text(i, 2), save=False)
        edit(client, uri, module_text(i, 3))
        uris.append(uri)
        if i % 10 == 0:
            found = await hover(client, uri, 2)
            assert found is not None and "data:image/png;base64," in found.contents.value
    notebook, cells = open_notebook(client, workdir)
    found = await hover(client, cells[1], 0)
    assert found is not None and "data:image/png;base64," in found.contents.value
    before = await kept(client)
    assert before["documents"] >= 5 and before["results"] >= 5 and before["hovers"] >= 5
    assert before["pieces"] > 0
    for uri in uris:
        close(client, uri)
    client.notebook_document_did_close(
        types.DidCloseNotebookDocumentParams(
            notebook_document=types.NotebookDocumentIdentifier(uri=notebook),
            cell_text_documents=[types.TextDocumentIdentifier(uri=c) for c in cells],
        )
    )
    after = await kept(client)
    # pygls kept a future for each notification: 40 × (open, change, close) and more.
    assert after["pendingFutures"] <= 2  # this request's own
    assert (after["documents"], after["results"], after["hovers"]) == (0, 0, 0)
    assert after["pieces"] == 0 and after["resultBytes"] == 0


async def test_a_name_of_300k_characters_does_not_wedge_the_worker(client, workdir):
    name = "f" + "a" * 300_000
    long = open_document(client, workdir / "long.py", f"def {name}(x):\n    return x * x\n")
    found = await hover(client, long, 0)
    assert found is not None
    assert len(found.contents.value) < 200_000  # the hover does not carry the name whole
    try:  # in a panel (the worker took a minute to lay this one out for later children)
        result = await client.workspace_execute_command_async(
            types.ExecuteCommandParams(
                command="derivlens.plot",
                arguments=[{"uri": long, "position": {"line": 0, "character": 4}, **PANEL}],
            )
        )
        assert result["x"][0] == -result["x"][-1] and result["f"][0] == result["x"][0] ** 2
    except JsonRpcException as error:
        assert error.data["kind"] == "timeout", error
    # The worker, idle after that job, learns from it for the next children: the next
    # hover must find it free.
    short = open_document(client, workdir / "short.py", "def cube(x):\n    return x ** 3\n")
    started = time.monotonic()
    found = await hover(client, short, 0)
    assert found is not None and "data:image/png;base64," in found.contents.value
    assert time.monotonic() - started < 3.0  # the hover's own time limit
