"""The parsed current text of an editor document: a file, or a cell of a notebook.

A notebook cell's module is the notebook's code cells up to and including that cell
(`notebook.combine`); positions stay cell-relative for the editor and are mapped to
the combined text for locating. A notebook is parsed once for all its cells, each cell's
module a prefix of it (`locate.prefix`), so a long notebook costs its length, not its
square. Parsed modules are kept per document, reused while its text is unchanged, and
forgotten (with the pieces only they held) when it is edited or closed.
"""

from __future__ import annotations

import os
from collections.abc import Iterable

import attrs
from lsprotocol import types
from pygls import uris
from pygls.workspace import Workspace

from derivlens.errors import DerivlensError
from derivlens.joined_notebook import is_joined_notebook, saved_code_cells, split
from derivlens.locate import FunctionInfo, Module, forget, parse_module, prefix
from derivlens.lru import LRU, text_bytes
from derivlens.notebook import Cells, combine, parses_alone


def uri_path(uri: str) -> str:
    """The file a `file:` URI names (a Windows drive's too, as pygls maps it), else the
    URI itself (an unsaved document's `untitled:`), which then only names the module."""
    return uris.to_fs_path(uri) or uri


@attrs.frozen
class Source:
    """A document's module, its path, and (for a notebook cell) the cells it is made of."""

    module: Module
    path: str
    cells: Cells | None = None
    uri: str = ""
    #: A notebook sent as one text document (jupyterlab-lsp), split back into its cells.
    one_document: bool = False

    def text_line(self, lsp_line: int) -> int:
        """The 1-based line of the module for a 0-based line of the document."""
        if self.cells is None or self.one_document:
            return lsp_line + 1
        return self.cells.to_text_line(lsp_line + 1)

    def lsp_line(self, text_line: int) -> int:
        """The 0-based line of the document for a 1-based line of the module."""
        if self.cells is None or self.one_document:
            return text_line - 1
        return text_line - self.cells.start

    def shows(self, function: FunctionInfo) -> bool:
        """Whether `function` belongs to this document (for a cell: it is defined in it)."""
        return self.cells is None or self.one_document or self.cells.in_target(function.def_line)

    def narrowed(self, function: FunctionInfo) -> Source:
        """This source as `function` sees it: for a notebook sent as one document, the
        cells up to the function's own (docs/protocol.md, "Notebooks as one document")."""
        if not self.one_document or self.cells is None:
            return self
        index, _line = self.cells.to_cell_line(function.def_line)
        module = prefix(self.module, self.cells.end(index))
        if module is None:
            return self
        return attrs.evolve(self, module=module, cells=self.cells.up_to(index))


#: Bounds of the parsed modules kept: a module's own objects are about a kilobyte a
#: function beside its pieces (counted by `locate.chunks`); documents are also forgotten
#: when closed (docs/protocol.md, "Language server").
PARSED_ENTRIES = 512
PARSED_BYTES = 32 * 2**20


@attrs.frozen(eq=False)
class _Notebook:
    """One parse that all the cells of a notebook share: its code cells as one text,
    each that does not parse on its own left blank (a cell's module is a prefix of it)."""

    code: tuple[tuple[int, str], ...]
    cells: Cells
    module: Module | None  # None: the whole does not parse (each cell parses its own)
    #: Whether each cell's text parses on its own, for the next version to reuse.
    alone: dict[str, bool]


def _module_bytes(module: Module | None) -> int:
    if module is None:
        return 0
    return 1_000 + 100 * len(module.chunks) + 1_000 * len(module.functions)


def _parsed_bytes(_uri: str, value: tuple[str, Module]) -> int:
    return text_bytes(value[0]) + _module_bytes(value[1])


def _joined_bytes(_uri: str, value: tuple[tuple[str, float], Cells, Module]) -> int:
    return text_bytes(value[0][0], value[1].text) + _module_bytes(value[2])


def _notebook_bytes(_uri: str, value: _Notebook) -> int:
    texts = [text for _index, text in value.code]
    return text_bytes(value.cells.text, *texts, *value.alone) + _module_bytes(value.module)


class Documents:
    """Parsed modules of the workspace's documents, reused while their text is the same,
    forgotten when their document closes."""

    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace
        #: By document URI: (what it was parsed from, the module).
        self._parsed: LRU[str, tuple[str, Module]] = LRU(
            max_entries=PARSED_ENTRIES, max_bytes=PARSED_BYTES, size=_parsed_bytes
        )
        self._notebooks: LRU[str, _Notebook] = LRU(
            max_entries=PARSED_ENTRIES, max_bytes=PARSED_BYTES, size=_notebook_bytes
        )
        #: Notebooks sent as one text document: (text, the .ipynb's mtime), cells, module.
        self._joined: LRU[str, tuple[tuple[str, float], Cells, Module]] = LRU(
            max_entries=PARSED_ENTRIES, max_bytes=PARSED_BYTES, size=_joined_bytes
        )

    def count(self) -> int:
        """How many documents' parses are kept (notebooks count once)."""
        return len(self._parsed) + len(self._notebooks) + len(self._joined)

    def source(self, uri: str) -> Source:
        notebook = self.workspace.get_notebook_document(cell_uri=uri)
        if notebook is not None:
            return self._cell(notebook, uri)
        document = self.workspace.get_text_document(uri)
        try:
            text = document.source
        except FileNotFoundError:
            raise DerivlensError("not-found", f"{uri} is not open and not on disk") from None
        path = document.path or uri_path(uri)
        if is_joined_notebook(path, document.language_id):
            return self._joined_notebook(uri, text, path)
        return Source(self._parse(uri, text, path), path, uri=uri)

    def _joined_notebook(self, uri: str, text: str, path: str) -> Source:
        """A notebook sent as one text document, split into its cells (`joined_notebook`)."""
        try:
            stamp = os.stat(path).st_mtime
        except OSError:
            stamp = -1.0
        known = self._joined.get(uri)
        if known is not None and known[0] == (text, stamp):
            return Source(known[2], path, known[1], uri, one_document=True)
        cells = split(text, saved_code_cells(path) if stamp >= 0 else None)

        def where(line: int) -> str:
            index, cell_line = cells.to_cell_line(line)
            return f"cell {index + 1}, line {cell_line}"

        module = parse_module(cells.text, os.path.basename(path), where)
        self._joined.put(uri, ((text, stamp), cells, module))
        if known is not None:
            forget(known[2], keep=module)
        return Source(module, path, cells, uri, one_document=True)

    def _cell(self, notebook: types.NotebookDocument, uri: str) -> Source:
        code = []
        target = None
        for index, cell in enumerate(notebook.cells):
            document = self.workspace.get_text_document(cell.document)
            if cell.kind != types.NotebookCellKind.Code or document.language_id not in (
                None,
                "python",
            ):
                continue
            code.append((index, document.source))
            if cell.document == uri:
                target = index
        if target is None:
            raise DerivlensError("not-found", f"{uri} is not a Python cell of its notebook")
        path = uri_path(notebook.uri)
        shared = self._notebook(notebook.uri, tuple(code), path)
        if shared.module is not None and target not in shared.cells.blanked:
            module = prefix(shared.module, shared.cells.end(target))
            if module is not None:
                return Source(module, path, shared.cells.up_to(target), uri)
        cells = combine(code, target)  # its own parse: the cell does not parse alone
        return Source(self._parse(uri, cells.text, path, cells), path, cells, uri)

    def _notebook(self, uri: str, code: tuple[tuple[int, str], ...], path: str) -> _Notebook:
        known = self._notebooks.get(uri)
        if known is not None and known.code == code:
            return known
        alone: dict[str, bool] = {}
        before = known.alone if known is not None else {}

        def parses(body: str) -> bool:
            found = before.get(body)
            alone[body] = parses_alone(body) if found is None else found
            return alone[body]

        cells = combine(code, parses=parses)
        try:
            module: Module | None = parse_module(cells.text, os.path.basename(path))
        except DerivlensError:
            module = None
        shared = self._notebooks.put(uri, _Notebook(code, cells, module, alone))
        if known is not None and known.module is not None:
            forget(known.module, keep=module)
        return shared

    def _parse(self, uri: str, text: str, path: str, cells: Cells | None = None) -> Module:
        known = self._parsed.get(uri)
        if known is not None and known[0] == text:
            return known[1]

        def where(line: int) -> str:
            if cells is None:
                return f"line {line}"
            index, cell_line = cells.to_cell_line(line)
            return f"cell {index + 1}, line {cell_line}"

        module = parse_module(text, os.path.basename(path), where)
        self._parsed.put(uri, (text, module))
        if known is not None:
            forget(known[1], keep=module)
        return module

    def forget(self, uri: str, cells: Iterable[str] = ()) -> None:
        """Forget a closed document (a notebook: with its cells) and what its parse
        cached."""
        for each in (uri, *cells):
            known = self._parsed.pop(each)
            if known is not None:
                forget(known[1])
        notebook = self._notebooks.pop(uri)
        if notebook is not None and notebook.module is not None:
            forget(notebook.module)
        joined = self._joined.pop(uri)
        if joined is not None:
            forget(joined[2])
