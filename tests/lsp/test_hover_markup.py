"""Hover markup per client (docs/protocol.md, "Hover markup per client"), over LSP.

Three real servers, one per form: VS Code (markdown image with its size suffix), JupyterLab
(`hover.format: "html"`, as the jupyter spec sets it: a sized `<img>`), Neovim (it names
itself in `clientInfo`: text and sparkline, no image). Each image is decoded and its size
checked; the pure choice of markup and the escaping of the alt text are checked in-process.
"""

from __future__ import annotations

import base64
import html
import io
import re
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_lsp
from lsprotocol import types
from PIL import Image as PILImage
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

from derivlens.lsp.hover import hover_markdown, markup_for
from derivlens.model import CurvesResult, Image
from tests.lsp.test_lsp import hover, open_document

lsp_test = pytest.mark.asyncio(loop_scope="module")

SERVER = ClientServerConfig(server_command=[sys.executable, "-m", "derivlens", "serve"])
CUBIC = "def cube(x):\n    return x**3 - x\n"
BLOCKS = "▁▂▃▄▅▆▇█"
IMG = re.compile(
    r'<img src="data:image/png;base64,(?P<data>[A-Za-z0-9+/=]+)" '
    r'width="(?P<w>\d+)" height="(?P<h>\d+)" alt="(?P<alt>[^"<>]*)">'
)


async def start(
    lsp_client: LanguageClient, tmp: Path, name: str | None, options: Any
) -> LanguageClient:
    await lsp_client.initialize_session(
        types.InitializeParams(
            capabilities=client_capabilities("visual-studio-code"),
            client_info=types.ClientInfo(name=name) if name else None,
            initialization_options=options,
            root_uri=tmp.as_uri(),
        )
    )
    return lsp_client


async def hover_cube(client: LanguageClient, folder: Path) -> str:
    uri = open_document(client, folder / "cube.py", CUBIC)
    result = await hover(client, uri, 0)
    assert result is not None
    assert result.contents.kind == types.MarkupKind.Markdown
    return str(result.contents.value)


def png_size(data: str) -> tuple[int, int]:
    image = PILImage.open(io.BytesIO(base64.b64decode(data, validate=True)))
    image.load()
    assert image.format == "PNG"
    return image.size


@pytest_lsp.fixture(config=SERVER, scope="module")
async def vscode(
    lsp_client: LanguageClient, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[LanguageClient]:
    options = {"derivlens": {"hover": {"sparkline": False}}}  # as the VS Code client sends
    yield await start(lsp_client, tmp_path_factory.mktemp("vs"), "Visual Studio Code", options)
    await lsp_client.shutdown_session()


@pytest_lsp.fixture(config=SERVER, scope="module")
async def jupyterlab(
    lsp_client: LanguageClient, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[LanguageClient]:
    # jupyterlab-lsp: no clientInfo, no initializationOptions; the spec's settings arrive
    # through didChangeConfiguration.
    client = await start(lsp_client, tmp_path_factory.mktemp("jl"), None, None)
    client.workspace_did_change_configuration(
        types.DidChangeConfigurationParams(settings={"derivlens": {"hover": {"format": "html"}}})
    )
    yield client
    await lsp_client.shutdown_session()


@pytest_lsp.fixture(config=SERVER, scope="module")
async def neovim(
    lsp_client: LanguageClient, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[LanguageClient]:
    yield await start(lsp_client, tmp_path_factory.mktemp("nv"), "Neovim", None)
    await lsp_client.shutdown_session()


@lsp_test
async def test_vscode_gets_its_markdown_image_and_no_sparkline(
    vscode: LanguageClient, tmp_path: Path
) -> None:
    markdown = await hover_cube(vscode, tmp_path)
    match = re.search(
        r"\]\(data:image/png;base64,([A-Za-z0-9+/=]+)\|width=(\d+),height=(\d+)\)", markdown
    )
    assert match is not None, markdown[-300:]
    width, height = int(match[2]), int(match[3])
    assert (width, height) == (360, 150)
    pixels = png_size(match[1])
    assert pixels[0] * height == pixels[1] * width and pixels[0] >= width
    assert not any(block in markdown for block in BLOCKS)
    assert "<img" not in markdown


@lsp_test
async def test_jupyterlab_gets_a_sized_html_img(jupyterlab: LanguageClient, tmp_path: Path) -> None:
    markdown = await hover_cube(jupyterlab, tmp_path)
    assert markdown.startswith("**cube(x)**")
    match = IMG.search(markdown)
    assert match is not None, markdown[-300:]
    width, height = int(match["w"]), int(match["h"])
    assert (width, height) == (360, 150)
    pixels = png_size(match["data"])
    assert pixels[0] * height == pixels[1] * width and pixels[0] >= width
    assert match["alt"] == "plot of cube and its derivative"
    # The suffix that breaks the data URI in JupyterLab, and a sparkline it does not need.
    assert "|width=" not in markdown and "![" not in markdown
    assert not any(block in markdown for block in BLOCKS)


@lsp_test
async def test_neovim_gets_text_and_sparkline_without_image(
    neovim: LanguageClient, tmp_path: Path
) -> None:
    markdown = await hover_cube(neovim, tmp_path)
    assert markdown.startswith("**cube(x)**")
    rows = [line for line in markdown.splitlines() if line.startswith("`f")]
    assert len(rows) == 2 and all(any(b in row for b in BLOCKS) for row in rows)
    assert "data:image" not in markdown and "<img" not in markdown


# --- in-process: the choice, and the alt text -------------------------------------------


@pytest.mark.parametrize(
    ("setting", "client", "one_document", "expected"),
    [
        ("auto", "Visual Studio Code", False, "markdown"),
        ("auto", "code-server", False, "markdown"),
        ("auto", None, False, "markdown"),
        ("auto", "Neovim", False, "text"),
        ("auto", None, True, "html"),  # jupyterlab-lsp: no clientInfo, an .ipynb as text
        ("html", "Visual Studio Code", False, "html"),
        ("markdown", None, True, "markdown"),
        ("text", None, False, "text"),
    ],
)
def test_markup_for_each_client(
    setting: str, client: str | None, one_document: bool, expected: str
) -> None:
    assert markup_for(setting, client, one_document) == expected


def test_alt_text_is_escaped_and_sparkline_never_shown_with_html() -> None:
    png = base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\0" * 32).decode()
    result = CurvesResult(
        function='f"><script>alert(1)</script>',
        variables=("x",),
        fixed={},
        domain=(-1.0, 1.0),
        order=1,
        method="autograd",
        x=[-1.0, 0.0, 1.0],
        f=[1.0, 0.0, 1.0],
        derivatives={"1": [-2.0, 0.0, 2.0]},
        critical_points=[0.0],
        image=Image("png", png, 720, 300, 2.0),
    )
    text = hover_markdown(result, sparkline_rows=True, markup="html")
    match = IMG.search(text)
    assert match is not None
    assert html.unescape(match["alt"]) == 'plot of f"><script>alert(1)</script> and its derivative'
    assert not re.search(r"(?<!\\)<script", text)  # the summary's is backslash-escaped
    assert (match["w"], match["h"]) == ("360", "150")
    assert not any(block in text for block in BLOCKS)
    plain = hover_markdown(result, sparkline_rows=False, markup="text")
    assert "data:image" not in plain and any(block in plain for block in BLOCKS)
