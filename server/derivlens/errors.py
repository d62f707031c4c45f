"""The error model: one exception type, with the kinds of docs/protocol.md ("Errors").

A kind tells a program what went wrong (the CLI's exit status, the LSP error's
`data.kind`); the message tells a person what happened and what to do next.
"""

from __future__ import annotations

from enum import Enum


class ErrorKind(str, Enum):
    """Why a plot failed. The values are the strings on the wire."""

    SYNTAX = "syntax"
    NOT_FOUND = "not-found"
    UNSUPPORTED_SIGNATURE = "unsupported-signature"
    INVALID_OPTIONS = "invalid-options"
    USER_ERROR = "user-error"
    TIMEOUT = "timeout"
    MEMORY = "memory"
    BLOCKED = "blocked"
    CRASHED = "crashed"
    INTERNAL = "internal"

    @property
    def is_usage(self) -> bool:
        """The request itself is wrong (CLI exit status 2), not the evaluation (1)."""
        return self in _USAGE


_USAGE = frozenset(
    {
        ErrorKind.SYNTAX,
        ErrorKind.NOT_FOUND,
        ErrorKind.UNSUPPORTED_SIGNATURE,
        ErrorKind.INVALID_OPTIONS,
    }
)


class DerivlensError(Exception):
    """A failure to report to the user: a kind and a short, specific message.

    `option` names the option a kind `invalid-options` is about (the panel shows the
    message beside that control).
    """

    def __init__(self, kind: ErrorKind | str, message: str, *, option: str | None = None) -> None:
        super().__init__(message)
        self.kind = ErrorKind(kind)
        self.message = message
        self.option = option

    @property
    def exit_status(self) -> int:
        return 2 if self.kind.is_usage else 1

    def __repr__(self) -> str:
        return f"DerivlensError({self.kind.value!r}, {self.message!r})"


class InvalidOptions(DerivlensError):
    """A bad option value, from any source; the message gives the allowed range."""

    def __init__(self, message: str, *, option: str | None = None) -> None:
        super().__init__(ErrorKind.INVALID_OPTIONS, message, option=option)
