"""Shared test helpers: run the whole pipeline in-process (locate, slice, runner), or a
function in a forked child."""

from __future__ import annotations

import io
import os
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from lsprotocol import types
from PIL import Image

from derivlens import engine, judge, model, plotting, runner, wire
from derivlens.locate import chunks
from derivlens.model import Render
from derivlens.options import Source, read_all
from derivlens.sandbox import Replied


def notebook_opened(
    uri: str, cells: list[tuple[str, str]], kinds: list[types.NotebookCellKind] | None = None
) -> types.DidOpenNotebookDocumentParams:
    """didOpen of a Jupyter notebook at `uri` whose cells are (cell uri, text), each a
    Python code cell unless `kinds` says otherwise (markup cells are markdown)."""
    kinds = kinds or [types.NotebookCellKind.Code] * len(cells)
    return types.DidOpenNotebookDocumentParams(
        notebook_document=types.NotebookDocument(
            uri=uri,
            notebook_type="jupyter-notebook",
            version=1,
            cells=[
                types.NotebookCell(kind=kind, document=cell)
                for kind, (cell, _) in zip(kinds, cells, strict=True)
            ],
        ),
        cell_text_documents=[
            types.TextDocumentItem(
                uri=cell,
                language_id="python" if kind == types.NotebookCellKind.Code else "markdown",
                version=1,
                text=text,
            )
            for kind, (cell, text) in zip(kinds, cells, strict=True)
        ],
    )


class ParsedCharacters:
    """Counts the characters `locate.chunks` hands to the parser, from its creation until
    `stop()` puts the parser back (the cost tests of test_chunks and test_memory)."""

    def __init__(self, monkeypatch: Any) -> None:
        self.count = 0
        self._compile = chunks._compile
        self._monkeypatch = monkeypatch
        monkeypatch.setattr(chunks, "_compile", self._counting)

    def _counting(self, text: str) -> Any:
        self.count += len(text)
        return self._compile(text)

    def stop(self) -> int:
        self._monkeypatch.setattr(chunks, "_compile", self._compile)
        return self.count


def evaluate_source(
    tmp_path: Path,
    source: str,
    name: str | None = None,
    *,
    line: int | None = None,
    render: Render | None = None,
    params: dict[str, float] | None = None,
    **options: Any,
) -> dict[str, Any]:
    """Plot `name` from `source` as the CLI does, but in this process (no sandbox): the
    result as JSON, after the same checks the server makes of a child's reply."""
    path = tmp_path / "user_module.py"
    text = textwrap.dedent(source)
    path.write_text(text)
    prepared = engine.prepare_source(
        text,
        str(path),
        name=name,
        line=line,
        requested=read_all(options, Source.REQUEST),
        params=params,
        render=render,
    )
    reply = runner.run(wire.unstructure(prepared.request))
    result = judge.finish(prepared, Replied(reply, (), {}, ""), 0.0)
    return wire.result_json(result)


def array(values: list[Any]) -> np.ndarray:
    """A JSON series (nulls included) as a float array with NaN for null."""
    return np.array([np.nan if v is None else v for v in values], dtype=float)


def warning_kinds(result: dict[str, Any]) -> list[str]:
    return [w["kind"] for w in result["warnings"]]


def in_child(body: Callable[[], object]) -> str:
    """`str(body())` computed in a forked child (as the sandbox's children are made),
    sent back through a pipe: what the child saw of its own memory."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.write(write, str(body()).encode())
        finally:
            os._exit(0)
    os.close(write)
    answer = os.read(read, 1 << 16).decode()
    os.close(read)
    os.waitpid(pid, 0)
    return answer


#: Surfaces the compare tests plot (closed forms worked out in each test): two of plain
#: variables and one of vector input, as a module's text.
SURFACE_DEFS = """
def bowl(x, y):
    return x**2 + y**2

def product(x, y):
    return x * y

def rosenbrock(v):
    return (1 - v[0]) ** 2 + 100 * (v[1] - v[0] ** 2) ** 2
"""


def drawn(result: model.Result, **render: Any) -> tuple[np.ndarray, plotting.RenderedImage]:
    """`result` drawn as the child draws it (`render`: a model.Render's fields), with its
    pixels as an RGB array for the tests that look at them."""
    image = plotting.render(result, model.Render(**render))
    pixels = np.asarray(Image.open(io.BytesIO(image.data)).convert("RGB"), dtype=float)
    return pixels, image


def assert_refused_option(error: Any, option: str, message: str) -> None:
    """`error` is `invalid-options` for `option`, with exactly `message`."""
    assert error.kind.value == "invalid-options"
    assert error.option == option
    assert error.message == message
