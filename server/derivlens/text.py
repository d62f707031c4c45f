"""Text that may come from user code, made safe to show: capped, and without control
characters (docs/protocol.md, "What comes back is untrusted").

One character set for every place that shows such text (the result types, hovers, logs,
the command line), so that none of them misses a character another one knows about. A
leaf module: it imports nothing of derivlens, so the sandbox package may use it too.
"""

from __future__ import annotations

import re

ELLIPSIS = "…"

#: Characters that act on a terminal or on the order and layout of text instead of
#: showing as themselves: C0 controls (tab and newline included), DEL, C1 controls,
#: the line and paragraph separators, and the bidirectional marks, embeddings,
#: overrides and isolates (which can make a line read in another order than it runs).
UNSAFE = "\x00-\x1f\x7f-\x9f\u2028\u2029\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
_UNSAFE = re.compile(f"[{UNSAFE}]")
#: The same set without tab and newline, for text that may keep its lines (a message).
_UNSAFE_BUT_LINES = re.compile(f"(?![\t\n])[{UNSAFE}]")
REPLACEMENT = "\ufffd"


def shorten(text: str, cap: int) -> str:
    """`text` if it has at most `cap` characters, else its start and "…" in `cap`."""
    if len(text) <= cap:
        return text
    return text[: max(cap - 1, 0)] + ELLIPSIS


def clean(text: str, *, keep_lines: bool = False, replacement: str = REPLACEMENT) -> str:
    """`text` with every character of `UNSAFE` replaced (`keep_lines`: tab and newline
    stay, for a message that may have several lines)."""
    pattern = _UNSAFE_BUT_LINES if keep_lines else _UNSAFE
    return pattern.sub(replacement, text)


def printable(text: str, cap: int, *, keep_lines: bool = False) -> str:
    """`text` cleaned (see `clean`) and shortened to `cap` characters."""
    return clean(shorten(text, cap), keep_lines=keep_lines)


def escaped(text: str) -> str:
    """`text` on one line, each character of `UNSAFE` written as its Python escape
    (`\\n`, `\\x1b`, `\\u202e`), so that a reader sees it and it acts on nothing."""
    return _UNSAFE.sub(_escape_one, text)


_SHORT_ESCAPES = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}


def _escape_one(match: re.Match[str]) -> str:
    character = match.group()
    point = ord(character)
    short = _SHORT_ESCAPES.get(character)
    return short or (f"\\x{point:02x}" if point < 0x100 else f"\\u{point:04x}")
