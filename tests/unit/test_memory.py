"""What the language server keeps stays bounded: results by bytes, a long notebook parsed
once for all its cells, closed documents forgotten with what their parse cached."""

from __future__ import annotations

import gc
import tracemalloc

import numpy as np
from lsprotocol import types
from pygls.workspace import Workspace

from derivlens.locate import chunks
from derivlens.lru import data_bytes
from derivlens.lsp import result_cache
from derivlens.lsp.documents import Documents
from derivlens.plotting import usual
from tests.helpers import ParsedCharacters, notebook_opened


def retained(build):  # type: ignore[no-untyped-def]
    """The bytes still allocated after `build()`, while what it returns is alive."""
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        kept = build()
        gc.collect()
        return tracemalloc.get_traced_memory()[0] - before, kept
    finally:
        tracemalloc.stop()


def big_result(position: int):  # type: ignore[no-untyped-def]
    """A result of 100,000 samples at order 4, as a slider position gives it."""
    x = np.linspace(-5.0, 5.0, 100_000)
    return usual.curves(x, [np.sin(x + position + k) for k in range(5)], "f")


def test_a_result_is_sized_as_what_it_takes():
    used, result = retained(lambda: big_result(0))
    assert 0.8 * used < data_bytes(result) < 1.5 * used


def test_results_at_many_slider_positions_stay_within_the_byte_budget():
    cache = result_cache.ResultCache()
    for position in range(20):
        cache.keep_result(("f", position), "file:///a.py", big_result(position))
    # 20 such results were all kept before (64 entries, no byte bound): ~400 MB.
    assert cache.results.nbytes <= result_cache.RESULT_BYTES
    assert 0 < len(cache.results) < 20
    newest = cache.result(("f", 19))
    assert newest is not None and newest.f[0] == np.sin(-5.0 + 19)


def test_closing_a_document_forgets_its_results_and_hovers_only():
    cache = result_cache.ResultCache()
    small = usual.curves(np.linspace(0, 1, 11), [np.zeros(11), np.ones(11)])
    cache.keep_result(("a",), "file:///a.py", small)
    cache.keep_result(("b",), "file:///b.py", small)
    cache.keep_hover(("a", True), "file:///a.py", "hover a")
    cache.forget({"file:///a.py"})
    assert cache.result(("a",)) is None and cache.hover(("a", True)) is None
    assert cache.result(("b",)) is not None


def notebook_workspace(count: int) -> tuple[Workspace, list[str]]:
    """A notebook of `count` code cells, each defining a constant and a function."""
    workspace = Workspace(None)
    uris = [f"vscode-notebook-cell:/nb/long.ipynb#cell{i}" for i in range(count)]
    texts = [f"C{i} = {i}.0\ndef f{i}(x):\n    return C{i} * x" for i in range(count)]
    workspace.put_notebook_document(
        notebook_opened("file:///nb/long.ipynb", list(zip(uris, texts, strict=True)))
    )
    return workspace, uris


def every_cell(count: int, monkeypatch) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    """(bytes kept, characters parsed) once every cell of a `count`-cell notebook is known."""
    chunks._CACHE.clear()
    counter = ParsedCharacters(monkeypatch)
    workspace, uris = notebook_workspace(count)

    def know_every_cell() -> Documents:
        documents = Documents(workspace)
        for i, uri in enumerate(uris):
            source = documents.source(uri)
            function = source.module.hover_target(source.text_line(1))
            assert function is not None and function.name == f"f{i}"
            assert [f.name for f in source.module.functions if source.shows(f)] == [f"f{i}"]
        return documents

    used, _documents = retained(know_every_cell)
    return used, counter.stop()


def test_a_long_notebook_is_parsed_once_for_all_its_cells(monkeypatch):
    small_bytes, small_parsed = every_cell(400, monkeypatch)
    large_bytes, large_parsed = every_cell(800, monkeypatch)
    # Each cell kept its own parse of every cell above it: four times the memory.
    assert large_bytes < 2.6 * small_bytes
    assert large_parsed < 2.6 * small_parsed


def test_a_cell_sees_only_the_cells_above_it():
    workspace, uris = notebook_workspace(3)
    source = Documents(workspace).source(uris[1])
    assert [f.name for f in source.module.functions] == ["f0", "f1"]
    assert source.cells is not None and source.cells.to_cell_line(source.text_line(0)) == (1, 1)


def test_a_closed_document_leaves_no_parse_and_no_piece():
    chunks._CACHE.clear()
    workspace = Workspace(None)
    documents = Documents(workspace)
    for i in range(50):
        uri = f"file:///w/doc{i}.py"
        text = f"import math\nK{i} = {i}\ndef g{i}(x):\n    return K{i} * x\n"
        workspace.put_text_document(types.TextDocumentItem(uri, "python", 1, text))
        assert documents.source(uri).module.by_name(f"g{i}").def_line == 3
        workspace.remove_text_document(uri)
        documents.forget(uri)
    assert documents.count() == 0 and chunks.cached_pieces() == 0


def test_an_edit_frees_the_pieces_it_replaced():
    chunks._CACHE.clear()
    workspace = Workspace(None)
    documents = Documents(workspace)
    uri = "file:///w/edited.py"
    for version in range(30):
        text = f"import math\ndef g(x):\n    return x * {version}\n"
        workspace.put_text_document(types.TextDocumentItem(uri, "python", version, text))
        documents.source(uri)
    assert chunks.cached_pieces() == 2
