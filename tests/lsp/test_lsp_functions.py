"""`derivlens.functions`: the names the panel's "Compare with…" picker offers.

The picker lists the other eligible functions of the document, with their variables so
that it can offer only those `compare` accepts; nothing is evaluated to list them.
"""

from __future__ import annotations

import textwrap
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_lsp
from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pytest_lsp import LanguageClient

from tests.lsp_session import SERVER, start

pytestmark = pytest.mark.asyncio(loop_scope="module")

SOURCE = textwrap.dedent(
    """
    import functools
    import torch
    from torch import nn

    def gelu_exact(x):
        return 0.5 * x * (1 + torch.erf(x / 2**0.5))

    def helper_not_plotted():
        return 1

    def bowl(x, y, k=2.0):
        def inner(t):
            return t
        return x**2 + k * y**2

    square = lambda t: t * t

    class Act(nn.Module):
        def forward(self, z):
            return torch.tanh(z)

    class Tools:
        @staticmethod
        def cube(u):
            return u**3

    act = nn.GELU()
    """
).lstrip("\n")


def line_of(prefix: str) -> int:
    return next(i for i, line in enumerate(SOURCE.splitlines()) if line.lstrip().startswith(prefix))


@pytest_lsp.fixture(config=SERVER, scope="module")
async def client(lsp_client: LanguageClient, workdir: Path) -> AsyncIterator[None]:
    await start(lsp_client, workdir, "functions")
    yield
    await lsp_client.shutdown_session()


def open_document(client: LanguageClient, path: Path, text: str) -> str:
    path.write_text(text)
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri=path.as_uri(), language_id="python", version=1, text=text
            )
        )
    )
    return path.as_uri()


async def functions(client: LanguageClient, *arguments: Any) -> Any:
    return await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command="derivlens.functions", arguments=list(arguments))
    )


async def test_lists_each_eligible_function_with_its_line_and_variables(
    client: LanguageClient, workdir: Path
) -> None:
    uri = open_document(client, workdir / "acts.py", SOURCE)
    listed = await functions(client, {"uri": uri})
    assert listed == [
        {"name": "gelu_exact", "line": line_of("def gelu_exact"), "variables": ["x"]},
        {"name": "bowl", "line": line_of("def bowl"), "variables": ["x", "y"]},
        {"name": "square", "line": line_of("square ="), "variables": ["t"]},
        {"name": "Act.forward", "line": line_of("def forward"), "variables": ["z"]},
        {"name": "Tools.cube", "line": line_of("def cube"), "variables": ["u"]},
        {"name": "act", "line": line_of("act ="), "variables": None},
    ]


async def test_a_document_that_does_not_parse_lists_nothing(
    client: LanguageClient, workdir: Path
) -> None:
    uri = open_document(client, workdir / "broken.py", "def f(x:\n    return x\n")
    assert await functions(client, {"uri": uri}) == []


@pytest.mark.parametrize("arguments", [(), ({"uri": 3},), ({},), ("file:///a.py",)])
async def test_a_bad_argument_is_invalid_options_saying_what_to_send(
    client: LanguageClient, arguments: tuple[Any, ...]
) -> None:
    with pytest.raises(JsonRpcException) as raised:
        await functions(client, *arguments)
    assert raised.value.data == {"kind": "invalid-options"}
    assert 'derivlens.functions takes one argument, {"uri"' in str(raised.value)
