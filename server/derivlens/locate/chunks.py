"""A source as top-level statements parsed one by one, so that an edit re-parses only the
statement it touched.

A 7,000-line module takes ~100 ms to parse and analyse whole; a keystroke changes one
top-level statement. The source is cut where a line starts a new top-level statement
(column 0, not a comment, not `else:`/`except:`/..., not a closing bracket; decorators
stay with what they decorate); each piece is parsed (`ast` and `symtable`) on its own and
kept by its text, with its lines counted from 1, so a piece that only moved is reused as
it is. A cut that falls inside a string or brackets leaves a piece that does not parse;
it is then joined with the next one, so only cuts where Python itself would see a new
statement remain. A real syntax error is reported from a whole-file parse (its line).
"""

from __future__ import annotations

import ast
import re
import symtable
import warnings
from collections import OrderedDict

import attrs

CACHE_SIZE = 4_000  # pieces (a big module has ~500; each keystroke adds one)
_CONTINUATION = re.compile(r"(else|elif|except|finally)\b|[)\]}]")
_COMPOUND_HEAD = re.compile(r"(async\s+def|def|class)\b")


@attrs.frozen(eq=False)
class Piece:
    """One parsed top-level stretch of source: lines counted from 1 within it."""

    text: str
    tree: ast.Module
    scopes: symtable.SymbolTable
    #: (line, name) -> scope, for every function, class and lambda in it.
    scope_index: dict[tuple[int, str], symtable.SymbolTable]


@attrs.frozen(eq=False)
class Chunk:
    """A piece where it sits: `offset` lines precede it in the source."""

    offset: int
    piece: Piece

    @property
    def tree(self) -> ast.Module:
        return self.piece.tree


class Unparsable(Exception):
    """The source has a syntax error somewhere: parse it whole to say where."""


_CACHE: OrderedDict[str, Piece | None] = OrderedDict()


def starts(lines: list[str]) -> list[int]:
    """Indices of the lines that may start a top-level statement."""
    found: list[int] = []
    decorated = False
    for i, line in enumerate(lines):
        head = line[:1]
        if not head or head in " \t#\r\f" or _CONTINUATION.match(line):
            continue
        if head == "@":
            if not decorated:
                found.append(i)
            decorated = True
            continue
        if decorated and _COMPOUND_HEAD.match(line):
            decorated = False
            continue
        decorated = False
        found.append(i)
    return found or [0]


def _parse_piece(text: str) -> Piece | None:
    if text in _CACHE:
        _CACHE.move_to_end(text)
        return _CACHE[text]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tree = ast.parse(text)
            scopes = symtable.symtable(text, "<piece>", "exec")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        piece = None
    else:
        piece = Piece(text, tree, scopes, _index(scopes))
    _CACHE[text] = piece
    while len(_CACHE) > CACHE_SIZE:
        _CACHE.popitem(last=False)
    return piece


def _index(scopes: symtable.SymbolTable) -> dict[tuple[int, str], symtable.SymbolTable]:
    index: dict[tuple[int, str], symtable.SymbolTable] = {}
    stack = [scopes]
    while stack:
        scope = stack.pop()
        index[(scope.get_lineno(), scope.get_name())] = scope
        stack.extend(scope.get_children())
    return index


def split(source: str) -> list[Chunk]:
    """The source as parsed chunks, in order; `Unparsable` if some part does not parse."""
    lines = source.split("\n")
    cuts = [*starts(lines), len(lines)]
    chunks: list[Chunk] = []
    begin = cuts[0]
    if begin:  # blank or comment lines before the first statement
        cuts[0] = 0
        begin = 0
    k = 1
    while k < len(cuts):
        text = "\n".join(lines[begin : cuts[k]])
        piece = _parse_piece(text)
        if piece is None:  # a cut inside a string or brackets: join the next piece
            k += 1
            continue
        chunks.append(Chunk(begin, piece))
        begin = cuts[k]
        k += 1
    if begin < len(lines) and "\n".join(lines[begin:]).strip():
        raise Unparsable
    return chunks
