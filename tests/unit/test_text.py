"""The one text cleaner and the one truncation: what every place that shows text from
user code (result types, hovers, logs, the command line) relies on."""

from __future__ import annotations

import pytest

from derivlens import text
from derivlens.model import PlotWarning, WarningKind, capped

#: One of each family in `text.UNSAFE`: C0, DEL, C1, line separator, bidi override,
#: isolate, mark.
ACTING = ["\x1b", "\r", "\x07", "\x7f", "\x9b", "\u2028", "\u202e", "\u2067", "\u200f", "\u061c"]


def test_shorten_cuts_with_one_ellipsis_within_the_cap() -> None:
    assert text.shorten("abcdef", 6) == "abcdef"
    assert text.shorten("abcdefg", 6) == "abcde…"
    assert len(text.shorten("x" * 10_000, 300)) == 300
    assert text.shorten("abc", 1) == "…"


@pytest.mark.parametrize("character", ACTING)
def test_every_acting_character_is_replaced(character: str) -> None:
    assert text.clean(f"a{character}b") == "a\ufffdb"
    assert text.clean(f"a{character}b", keep_lines=True) == "a\ufffdb"
    assert text.clean(f"a{character}b", replacement=" ") == "a b"


def test_lines_are_kept_only_when_asked() -> None:
    assert text.clean("one\ntwo\tthree") == "one\ufffdtwo\ufffdthree"
    assert text.clean("one\ntwo\tthree", keep_lines=True) == "one\ntwo\tthree"
    assert text.clean("plain ünïcode ∂f/∂x — ok") == "plain ünïcode ∂f/∂x — ok"


def test_printable_caps_before_it_cleans() -> None:
    assert text.printable("ab\x1bcdef", 4) == "ab\ufffd…"


def test_escaped_is_one_line_that_shows_what_was_there() -> None:
    shown = text.escaped("Bad\nName\r\t\x1b[31m\u202eevil\x9b")
    assert shown == "Bad\\nName\\r\\t\\x1b[31m\\u202eevil\\x9b"
    assert shown.isprintable()


def test_the_result_types_clean_text_with_the_same_set() -> None:
    """A bidirectional override in a warning would reorder a log line or a hover."""
    warning = PlotWarning(WarningKind.DISAGREEMENT, "x = 1\u202e0.3 \u2066and\nmore")
    assert warning.message == "x = 1\ufffd0.3 \ufffdand\nmore"
    assert capped("y" * 3000, 2000) == "y" * 1999 + "…"
