"""A notebook sent as ONE text document (jupyterlab-lsp), split back into its cells.

jupyterlab-lsp sends a notebook as one Python document: each code cell's text, then two
blank lines, then the next cell; IPython syntax rewritten as calls (`%x` →
`get_ipython().run_line_magic(…)`, `!cmd` → `get_ipython().getoutput(…)`, a `%%cell` as
`run_cell_magic(…)`, `%%time` unwrapped between `# START_CELL_MAGIC` comments). Pure but
for reading the `.ipynb` it came from (docs/protocol.md, "Notebooks as one document").

Where the cells begin: every run of two or more blank lines could be a join, but a cell
may hold such runs itself (two blank lines between functions, as PEP 8 writes them). When
the `.ipynb` is on disk (the spec's `requires_documents_on_disk: false` sends its real
path), the text's pieces are aligned with the saved cells' pieces (difflib), and a run
inside a saved cell is not a join; pieces that match nothing (unsaved edits) and every
run without the file are taken as joins. The cells are then handled like LSP notebook
sync (`notebook.Cells`): each keeps its lines, a cell that does not parse on its own is
left blank, and a cell's function sees only the cells up to its own.
"""

from __future__ import annotations

import difflib
import json
import os
import re
from collections.abc import Callable, Sequence

from derivlens.notebook import Cells, blank_ipython, parses_alone

_CELL_MAGIC = re.compile(r"^\s*get_ipython\(\)\.run_cell_magic\(")
#: A notebook larger than this is not read from disk (the joins are then guessed).
MAX_NOTEBOOK_BYTES = 64 * 2**20


def is_joined_notebook(path: str, language_id: str | None) -> bool:
    """Whether a text document is a notebook sent whole (an `.ipynb` of language python)."""
    return path.lower().endswith(".ipynb") and language_id in (None, "python")


def saved_code_cells(path: str) -> list[str] | None:
    """The code cells' sources of the `.ipynb` at `path`, or None when it cannot be read."""
    try:
        if os.path.getsize(path) > MAX_NOTEBOOK_BYTES:
            return None
        with open(path, encoding="utf-8") as file:
            notebook = json.load(file)
        cells = notebook["cells"]
        sources = [c.get("source", "") for c in cells if c.get("cell_type") == "code"]
        return ["".join(s) if isinstance(s, list) else str(s) for s in sources]
    except (OSError, ValueError, KeyError, TypeError, AttributeError, RecursionError):
        return None


def _is_blank(line: str) -> bool:
    return not line.strip()


def piece_starts(lines: Sequence[str]) -> list[int]:
    """0-based lines where a piece begins: the first line, and each non-blank line after
    two or more blank lines (where jupyterlab-lsp may have joined two cells), except
    inside a `run_cell_magic(…)` call, whose body is one string."""
    starts = [0]
    for index in range(2, len(lines)):
        after_two_blanks = _is_blank(lines[index - 1]) and _is_blank(lines[index - 2])
        if after_two_blanks and not _is_blank(lines[index]):
            starts.append(index)
    return _whole_cell_magics(lines, starts)


def _whole_cell_magics(lines: Sequence[str], starts: list[int]) -> list[int]:
    """`starts` less those inside a cell magic's string: a piece that opens with
    `get_ipython().run_cell_magic(` takes the pieces after it until it parses."""
    kept: list[int] = []
    number = 0
    while number < len(starts):
        kept.append(starts[number])
        number += 1
        first = lines[starts[number - 1]]
        if not _CELL_MAGIC.match(first):
            continue
        for end in range(number, len(starts) + 1):
            stop = starts[end] if end < len(starts) else len(lines)
            if parses_alone("\n".join(lines[kept[-1] : stop])):
                number = end
                break
    return kept


def _key(lines: Sequence[str]) -> tuple[str, ...]:
    """A piece as compared with a saved cell: its code lines, IPython in either form and
    comments (`# START_CELL_MAGIC`) left out."""
    code = blank_ipython("\n".join(lines)).split("\n")
    return tuple(s for s in (line.strip() for line in code) if s and not s.startswith("#"))


def _pieces(lines: Sequence[str]) -> list[tuple[str, ...]]:
    starts = piece_starts(lines)
    ends = [*starts[1:], len(lines)]
    return [_key(lines[a:b]) for a, b in zip(starts, ends, strict=True)]


def cell_starts(lines: Sequence[str], saved: Sequence[str] | None) -> list[int]:
    """0-based lines where the cells begin: the pieces' starts, less those that the saved
    cells show to be inside a cell."""
    starts = piece_starts(lines)
    if not saved:
        return starts
    saved_keys: list[tuple[str, ...]] = []
    first_of_cell: list[bool] = []
    for source in saved:
        for number, key in enumerate(_pieces(source.split("\n"))):
            saved_keys.append(key)
            first_of_cell.append(number == 0)
    text_keys = _pieces(lines)
    inside: set[int] = set()
    matcher = difflib.SequenceMatcher(None, text_keys, saved_keys, autojunk=False)
    for block in matcher.get_matching_blocks():
        for offset in range(block.size):
            if not first_of_cell[block.b + offset] and block.a + offset > 0:
                inside.add(block.a + offset)
    return [start for number, start in enumerate(starts) if number not in inside]


def split(
    text: str, saved: Sequence[str] | None, parses: Callable[[str], bool] = parses_alone
) -> Cells:
    """The document's cells as `Cells` (every cell; `Cells.up_to` narrows them), line for
    line the document's text, so its positions need no mapping. Cells are numbered in
    order from 0 (code cells only: markdown cells never reach the document)."""
    lines = text.split("\n")
    starts = cell_starts(lines, saved)
    ends = [*starts[1:], len(lines)]
    bodies: list[str] = []
    blanked: set[int] = set()
    for index, (start, end) in enumerate(zip(starts, ends, strict=True)):
        body = blank_ipython("\n".join(lines[start:end]))
        if not parses(body):
            body = "\n".join("" for _ in range(end - start))
            blanked.add(index)
        bodies.append(body)
    return Cells(
        "\n".join(bodies),
        tuple(start + 1 for start in starts),
        tuple(range(len(starts))),
        frozenset(blanked),
    )
