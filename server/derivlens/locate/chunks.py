"""A source as top-level statements parsed one by one, so that an edit re-parses only the
statement it touched.

A large module is slow to parse and analyse whole; a keystroke changes one top-level
statement. The source is cut where a line starts a new top-level statement (column 0,
not a comment, not `else:`/`except:`/..., not a closing bracket; decorators stay with
what they decorate); each piece is parsed (`ast` and `symtable`) on its own and kept by
its text, with its lines counted from 1, so a piece that only moved is reused as it is.

A cut that falls inside a string or brackets leaves a piece that does not parse. Python's
tokenizer is then asked, once, from the piece's start, where the next top-level logical
line begins, and the piece runs to that cut: a long string literal full of column-0
lines costs its length, not one parse per line in it. Failed pieces are never kept. A
piece that still does not parse means a real syntax error, reported from a whole-file
parse (its line).
"""

from __future__ import annotations

import ast
import bisect
import itertools
import re
import symtable
import tokenize
import warnings
from collections.abc import Iterable, Iterator
from typing import Any

import attrs

from derivlens.lru import LRU

#: Bounds of the piece cache: a big module has ~500 pieces, each keystroke adds one (an
#: edited document drops the pieces it no longer has: `forget`). A piece's trees take
#: about 40 bytes per character of its text, counted as `PIECE_BYTES_PER_CHAR`.
CACHE_ENTRIES = 4_000
CACHE_BYTES = 96 * 2**20
PIECE_BYTES_PER_CHAR = 48
_CONTINUATION = re.compile(r"(else|elif|except|finally)\b|[)\]}]")
_COMPOUND_HEAD = re.compile(r"(async\s+def|def|class)\b")
#: Tokens that never start a statement (a NEWLINE ends one: what follows starts the next).
_NOT_A_START = frozenset(
    {
        tokenize.NL,
        tokenize.NEWLINE,
        tokenize.COMMENT,
        tokenize.INDENT,
        tokenize.DEDENT,
        tokenize.ENDMARKER,
    }
)


@attrs.frozen(eq=False)
class Piece:
    """One parsed top-level stretch of source: lines counted from 1 within it."""

    text: str
    tree: ast.Module
    scopes: symtable.SymbolTable
    #: (line, name) -> scope, for every function, class and lambda in it.
    scope_index: dict[tuple[int, str], symtable.SymbolTable]
    #: What `locate` made of it where it last sat (a few places: an edit above moves
    #: it), so that its descriptions are forgotten with it.
    described: LRU[tuple[object, ...], Any] = attrs.field(
        factory=lambda: LRU(max_entries=4, max_bytes=2**62, size=lambda _key, _value: 0)
    )


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


def _piece_bytes(text: str, piece: Piece) -> int:
    return 1_000 + PIECE_BYTES_PER_CHAR * len(text)


_CACHE: LRU[str, Piece] = LRU(max_entries=CACHE_ENTRIES, max_bytes=CACHE_BYTES, size=_piece_bytes)


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


def _compile(text: str) -> tuple[ast.Module, symtable.SymbolTable]:
    """Parse and scope-analyse `text` (a `SyntaxError` etc. when it does not parse)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return ast.parse(text), symtable.symtable(text, "<piece>", "exec")


def _parse_piece(text: str) -> Piece | None:
    known = _CACHE.get(text)
    if known is not None:
        return known
    try:
        tree, scopes = _compile(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    return _CACHE.put(text, Piece(text, tree, scopes, _index(scopes)))


def forget(pieces: Iterable[Piece]) -> None:
    """Drop these pieces from the cache (a document closed, or edited away from them)."""
    for piece in pieces:
        if _CACHE.get(piece.text) is piece:
            _CACHE.pop(piece.text)


def cached_pieces() -> int:
    """How many pieces the cache holds (for tests and `bench/bench_soak.py`)."""
    return len(_CACHE)


def _index(scopes: symtable.SymbolTable) -> dict[tuple[int, str], symtable.SymbolTable]:
    index: dict[tuple[int, str], symtable.SymbolTable] = {}
    stack = [scopes]
    while stack:
        scope = stack.pop()
        index[(scope.get_lineno(), scope.get_name())] = scope
        stack.extend(scope.get_children())
    return index


def _logical_starts(lines: list[str], begin: int) -> Iterator[int]:
    """The lines, from `begin` on, where the tokenizer sees a top-level logical line
    begin (so not inside a string, brackets or a backslash continuation); it stops where
    the text stops tokenizing."""
    physical = (f"{line}\n" for line in itertools.islice(lines, begin, None))
    at_start = True
    try:
        for token in tokenize.generate_tokens(lambda: next(physical, "")):
            if token.type in _NOT_A_START:
                at_start = at_start or token.type == tokenize.NEWLINE
                continue
            if at_start and token.start[1] == 0:
                yield begin + token.start[0] - 1
            at_start = False
    except (tokenize.TokenError, SyntaxError):
        return


def _statement_end(lines: list[str], begin: int, cuts: list[int], k: int) -> int:
    """The index of the first cut from `cuts[k]` on where the tokenizer sees a new
    top-level statement (`len(cuts) - 1`, the end, when there is none)."""
    for line in _logical_starts(lines, begin):
        at = bisect.bisect_left(cuts, line, k)
        if line >= cuts[k] and at < len(cuts) and cuts[at] == line:
            return at
    return len(cuts) - 1


def split(source: str) -> list[Chunk]:
    """The source as parsed chunks, in order; `Unparsable` if some part does not parse."""
    lines = source.split("\n")
    cuts = [*starts(lines), len(lines)]
    cuts[0] = 0  # blank or comment lines before the first statement go with it
    chunks: list[Chunk] = []
    begin = 0
    k = 1
    while k < len(cuts):
        piece = _parse_piece("\n".join(lines[begin : cuts[k]]))
        last = len(cuts) - 1
        if piece is None and k < last:  # a cut inside a string or brackets: to a real start
            k = max(k + 1, _statement_end(lines, begin, cuts, k))
            piece = _parse_piece("\n".join(lines[begin : cuts[k]]))
        if piece is None and k < last:  # the tokenizer and the parser disagree: all the rest
            k = last
            piece = _parse_piece("\n".join(lines[begin:]))
        if piece is None:
            raise Unparsable
        chunks.append(Chunk(begin, piece))
        begin = cuts[k]
        k += 1
    return chunks
