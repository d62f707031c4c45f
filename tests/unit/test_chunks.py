"""Parsing a module statement by statement gives what parsing it whole gives, and an
edit re-parses only what it touched."""

from __future__ import annotations

import ast
import textwrap

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from derivlens.errors import DerivlensError
from derivlens.locate import chunks, parse_module
from derivlens.slicing import sliced_source
from tests.helpers import ParsedCharacters

TRICKY = textwrap.dedent(
    '''\
    """A module docstring
    def not_a_function(x):
        that sits at column 0 inside the string
    """
    import torch

    TEMPLATE = """
    def also_not(x):
    return x
    """

    @torch.no_grad()
    @staticmethod
    def decorated(x):
        return x * 2

    if torch.cuda.is_available():
        DEVICE = "cuda"
    else:
        DEVICE = "cpu"

    try:
        import numpy as np
    except ImportError:
        np = None
    finally:
        pass

    TOTAL = 1 + \\
    2

    SHAPE = (
    3,
    4,
    )

    # a comment between
    class Shapes:
        @staticmethod
        def bowl(x, y=1.0):
            return x**2 + y**2

    square = lambda x: x * TOTAL
    def last(x): return x
    '''
)


def reference(source: str) -> list[tuple[str, int]]:
    """(name, def line) of the module-level defs and staticmethods, from a whole parse."""
    found = []
    for node in ast.parse(source).body:
        if isinstance(node, ast.FunctionDef):
            found.append((node.name, node.lineno))
        elif isinstance(node, ast.ClassDef):
            found += [(f"{node.name}.{m.name}", m.lineno) for m in node.body
                      if isinstance(m, ast.FunctionDef)]  # fmt: skip
        elif isinstance(node, ast.Assign) and isinstance(node.value, ast.Lambda):
            found.append((node.targets[0].id, node.lineno))  # type: ignore[attr-defined]
    return found


def found(source: str) -> list[tuple[str, int]]:
    module = parse_module(source)
    return [(f.name, f.def_line) for f in module.functions if f.kind != "assigned"]


def test_cuts_inside_strings_brackets_and_continuations_are_never_kept():
    assert found(TRICKY) == reference(TRICKY)
    module = parse_module(TRICKY)
    texts = [c.piece.text for c in module.chunks]
    assert "".join(t + "\n" for t in texts).rstrip("\n") == TRICKY.rstrip("\n")
    assert any(t.startswith('"""A module docstring') and "at column 0" in t for t in texts)
    code, _ = sliced_source(module, module.by_name("square"))
    assert "TOTAL = 1 + \\\n2" in code and "def last" not in code


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 60), st.sampled_from(["", "# note", "X = 1"])),
                max_size=6))  # fmt: skip
def test_lines_inserted_anywhere_move_functions_as_a_whole_parse_says(edits):
    lines = TRICKY.split("\n")
    for position, text in edits:
        at = min(position, len(lines))
        # only where a new statement may start: not inside a string, brackets or a block
        try:
            candidate = [*lines[:at], text, *lines[at:]]
            ast.parse("\n".join(candidate))
        except SyntaxError:
            continue
        lines = candidate
    source = "\n".join(lines)
    assert found(source) == reference(source)


def test_an_edit_reuses_every_other_statement():
    module = parse_module(TRICKY)
    edited = TRICKY.replace("return x * 2", "return x * 3")
    again = parse_module(edited)
    same = sum(a.piece is b.piece for a, b in zip(module.chunks, again.chunks, strict=True))
    assert same == len(module.chunks) - 1


def test_a_syntax_error_still_names_its_line():
    broken = TRICKY.replace("def last(x): return x", "def last(x) return x")
    with pytest.raises(DerivlensError) as caught:
        parse_module(broken, "user.py")
    assert caught.value.kind == "syntax"
    assert (
        f"at line {broken.splitlines().index('def last(x) return x') + 1}" in caught.value.message
    )


def test_starts_keep_decorators_with_their_def():
    lines = ["@a", "@b(1)", "def f():", "    pass", "x = 1", "else_thing = 2", "else:"]
    assert chunks.starts(lines) == [0, 4, 5]


def column_zero_string(lines: int) -> str:
    """A module whose middle is one string literal of `lines` column-0 lines that each
    look like a statement, a bracketed list of as many column-0 items, then a function."""
    body = "\n".join(f"x{i} = {i}" for i in range(lines))
    items = "\n".join(f"{i}," for i in range(lines))
    return (
        f'import math\nTEXT = """\n{body}\n"""\nVALUES = [\n{items}\n]\ndef f(x):\n    return x\n'
    )


def characters_parsed(monkeypatch: pytest.MonkeyPatch, source: str) -> int:
    """How many characters of source `parse_module` hands to the parser for `source`."""
    counter = ParsedCharacters(monkeypatch)
    module = parse_module(source)
    parsed = counter.stop()
    def_line = source.splitlines().index("def f(x):") + 1
    assert [(f.name, f.def_line) for f in module.functions] == [("f", def_line)]
    return parsed


def test_a_long_string_or_bracket_costs_its_length_not_its_square(monkeypatch):
    small = characters_parsed(monkeypatch, column_zero_string(3_000))
    large = characters_parsed(monkeypatch, column_zero_string(6_000))
    # Each line tried as a statement start re-parsed the prefix before it: 2,000× the text.
    assert large / len(column_zero_string(6_000)) < 4
    assert large < 2.5 * small


def test_failed_prefixes_are_not_kept():
    chunks._CACHE.clear()
    module = parse_module(column_zero_string(2_000))
    texts = {c.piece.text for c in module.chunks}
    assert chunks.cached_pieces() == len(texts)


def test_the_piece_cache_is_bounded_by_bytes():
    chunks._CACHE.clear()
    budget = chunks.CACHE_BYTES // chunks.PIECE_BYTES_PER_CHAR
    statement = "x = '" + "a" * 20_000 + "'"
    for i in range(2 * budget // len(statement)):
        parse_module(f"{statement} * {i}\n")
    assert chunks._CACHE.nbytes <= chunks.CACHE_BYTES
    assert chunks.cached_pieces() < budget // len(statement) + 5


def test_a_described_chunk_is_never_taken_for_another_that_reuses_its_memory():
    # A description was cached by id(piece) without keeping the piece alive: once the
    # piece was dropped, a new piece at the same address read the old one's functions.
    import gc

    for i in range(300):
        module = parse_module(f"g{i} = lambda x: x * {i}\n")
        assert [f.name for f in module.functions] == [f"g{i}"]
        del module
        chunks._CACHE.clear()
        gc.collect(0)  # the young generation: where the freed piece was (the whole heap is slow)
