"""Capped stdout/stderr: user code may print, but only the first bytes are kept.

Python-level writes go to a bounded buffer (printing 100 MB costs nothing beyond the
string itself); C-level writes to fds 1 and 2 go to /dev/null, never to the server.
"""

from __future__ import annotations

import io
import os
import sys

CAP = 64 * 1024


class CappedText(io.TextIOBase):
    """A text stream that remembers the first `cap` characters and counts the rest."""

    def __init__(self, cap: int = CAP) -> None:
        self.cap = cap
        self.parts: list[str] = []
        self.kept = 0
        self.dropped = 0

    def writable(self) -> bool:
        return True

    def write(self, s: str) -> int:
        n = len(s)
        room = self.cap - self.kept
        if room > 0:
            piece = s[:room]
            self.parts.append(piece)
            self.kept += len(piece)
        self.dropped += max(0, n - max(room, 0))
        return n

    def text(self) -> str:
        out = "".join(self.parts)
        if self.dropped:
            out += f"\n[... {self.dropped} more characters not kept]"
        return out


def redirect_fds() -> None:
    """Point fds 0, 1, 2 at /dev/null (opened before Landlock and seccomp apply)."""
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    if null > 2:
        os.close(null)


def capture() -> CappedText:
    """Route sys.stdout and sys.stderr into one capped buffer."""
    buf = CappedText()
    sys.stdout = buf
    sys.stderr = buf
    return buf
