"""The parsed current text of an editor document: a file, or a cell of a notebook.

A notebook cell's module is the notebook's code cells up to and including that cell
(`notebook.combine`); positions stay cell-relative for the editor and are mapped to
the combined text for locating. Parsed modules are kept per document and reused while
its text is unchanged.
"""

from __future__ import annotations

import os

import attrs
from lsprotocol import types
from pygls import uris
from pygls.workspace import Workspace

from derivlens.errors import DerivlensError
from derivlens.locate import FunctionInfo, Module, parse_module
from derivlens.notebook import Cells, combine


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

    def text_line(self, lsp_line: int) -> int:
        """The 1-based line of the module for a 0-based line of the document."""
        return lsp_line + 1 if self.cells is None else self.cells.to_text_line(lsp_line + 1)

    def lsp_line(self, text_line: int) -> int:
        """The 0-based line of the document for a 1-based line of the module."""
        return text_line - 1 if self.cells is None else text_line - self.cells.start

    def shows(self, function: FunctionInfo) -> bool:
        """Whether `function` belongs to this document (for a cell: it is defined in it)."""
        return self.cells is None or self.cells.in_target(function.def_line)


class Documents:
    """Parsed modules of the workspace's documents, reused while their text is the same."""

    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace
        self._parsed: dict[str, Module] = {}

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
        return Source(self._parse(uri, text, path), path)

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
        cells = combine(code, target)
        path = uri_path(notebook.uri)
        return Source(self._parse(uri, cells.text, path, cells), path, cells)

    def _parse(self, uri: str, text: str, path: str, cells: Cells | None = None) -> Module:
        known = self._parsed.get(uri)
        if known is not None and known.source == text:
            return known

        def where(line: int) -> str:
            if cells is None:
                return f"line {line}"
            index, cell_line = cells.to_cell_line(line)
            return f"cell {index + 1}, line {cell_line}"

        module = parse_module(text, os.path.basename(path), where)
        self._parsed[uri] = module
        return module

    def forget(self, uri: str) -> None:
        self._parsed.pop(uri, None)
