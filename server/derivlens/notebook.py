"""A Jupyter notebook's cells as the one module a cell's function sees.

Pure. The source of a cell's function is the code cells up to and including that cell,
in order (docs/protocol.md, "Notebooks"); it is then sliced like any file, so only the
imports, definitions and assignments the function needs run, and nothing of any other
cell. IPython syntax (`%magic`, `%%cell magic`, `!shell`, `x?`) never runs and never
breaks the parse: such lines become blank (or `pass` where a block needs a statement),
so every line keeps its number and a position maps back to its cell.
"""

from __future__ import annotations

import re
import symtable
import warnings
from collections.abc import Callable, Sequence

import attrs

#: Cell magics whose body is Python (the magic only times or captures it).
PYTHON_CELL_MAGICS = frozenset({"time", "timeit", "capture", "prun", "debug"})
#: `%magic`, `%%magic`, `!shell` (not `!=`) and `?help` at the start of a line.
_LINE_MAGIC = re.compile(r"^(\s*)(%%?[A-Za-z]|!(?!=)|\?)")
_HELP = re.compile(r"^(\s*)[\w.]+\s*\?\??\s*$")
_SHELL_ASSIGN = re.compile(r"^(\s*)[\w., ]+=\s*(!|%)")


def blank_ipython(text: str) -> str:
    """`text` with its IPython-only lines blanked, line for line."""
    lines = text.split("\n")
    first = next((line for line in lines if line.strip()), "")
    if first.lstrip().startswith("%%"):
        name = first.strip()[2:].split(maxsplit=1)[0] if first.strip()[2:] else ""
        if name not in PYTHON_CELL_MAGICS:
            return "\n".join("" for _ in lines)  # %%bash, %%html...: not Python at all
    return "\n".join(_blank_line(line) for line in lines)


def _blank_line(line: str) -> str:
    match = _LINE_MAGIC.match(line) or _HELP.match(line) or _SHELL_ASSIGN.match(line)
    if match is None:
        return line
    indent = match.group(1)
    return f"{indent}pass" if indent else ""


@attrs.frozen
class Cells:
    """The cells a function in cell `target` sees, as one text.

    `starts[i]` is the 1-based line of that text where the i-th included cell begins,
    and `indices[i]` its index in the notebook; the target is the last one.
    """

    text: str
    starts: tuple[int, ...]
    indices: tuple[int, ...]
    #: The cells left blank because they do not parse on their own.
    blanked: frozenset[int] = frozenset()

    @property
    def index(self) -> int:
        """The target cell's index in the notebook."""
        return self.indices[-1]

    @property
    def start(self) -> int:
        """The line of `text` where the target cell begins."""
        return self.starts[-1]

    def to_text_line(self, cell_line: int) -> int:
        """A 1-based line of the target cell as a line of `text`."""
        return self.start + cell_line - 1

    def to_cell_line(self, text_line: int) -> tuple[int, int]:
        """(notebook cell index, 1-based line in it) of a line of `text`."""
        return cell_line(self.starts, self.indices, text_line)

    def up_to(self, target: int) -> Cells:
        """These cells as the target cell `target` (a notebook index) sees them: those up
        to it, in the same text (the lines after it are no part of its module)."""
        count = self.indices.index(target) + 1
        return Cells(self.text, self.starts[:count], self.indices[:count], self.blanked)

    def end(self, target: int) -> int:
        """The last line of `text` that belongs to cell `target` (a notebook index)."""
        after = self.indices.index(target) + 1
        return self.starts[after] - 1 if after < len(self.starts) else self.text.count("\n")

    def in_target(self, text_line: int) -> bool:
        return text_line >= self.start


def cell_line(starts: Sequence[int], indices: Sequence[int], text_line: int) -> tuple[int, int]:
    """(notebook cell index, 1-based line in that cell) of a 1-based line of the cells'
    combined text, where cell `indices[i]` begins at line `starts[i]`: the one mapping,
    for the server's positions and the child's messages alike."""
    for start, index in zip(reversed(starts), reversed(indices), strict=True):
        if text_line >= start:
            return index, text_line - start + 1
    return indices[0], text_line


def parses_alone(text: str) -> bool:
    """Whether a cell parses on its own (`symtable` parses it, then checks its scopes)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            symtable.symtable(text, "<cell>", "exec")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True


def combine(
    cells: Sequence[tuple[int, str]],
    target: int | None = None,
    parses: Callable[[str], bool] = parses_alone,
) -> Cells:
    """The code cells `(index, text)` up to and including the one with index `target`
    (all of them when None).

    A cell other than the target that does not parse on its own (half typed, or not
    Python) is left out, blank: it cannot define anything, and must not break the
    others. With no target, every cell that does not parse is blank: the one text all
    the notebook's cells share (`Cells.up_to`).
    """
    parts: list[str] = []
    starts: list[int] = []
    indices: list[int] = []
    blanked: set[int] = set()
    line = 1
    for index, text in cells:
        if target is not None and index > target:
            break
        body = blank_ipython(text.rstrip("\n"))
        if index != target and not parses(body):
            body = "\n".join("" for _ in body.split("\n"))
            blanked.add(index)
        parts.append(body)
        starts.append(line)
        indices.append(index)
        line += body.count("\n") + 1
    return Cells("\n".join(parts) + "\n", tuple(starts), tuple(indices), frozenset(blanked))
