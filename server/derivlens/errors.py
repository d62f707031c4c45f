"""The one error type every layer raises, with the kinds of SPEC §5.

A kind tells the caller what went wrong in a machine-readable way (CLI exit status,
LSP error data); the message tells a person what happened and what to do next.
"""

from __future__ import annotations

from typing import Literal, get_args

ErrorKind = Literal[
    "syntax",
    "not-found",
    "unsupported-signature",
    "user-error",
    "timeout",
    "memory",
    "blocked",
    "crashed",
    "internal",
]
ERROR_KINDS: frozenset[str] = frozenset(get_args(ErrorKind))

#: Kinds that mean "the request itself is wrong" (CLI exit status 2); the others mean
#: "the evaluation failed" (exit status 1).
USAGE_KINDS: frozenset[str] = frozenset({"syntax", "not-found", "unsupported-signature"})


class DerivlensError(Exception):
    """A failure to report to the user: a kind from SPEC §5 and a short, specific message."""

    def __init__(self, kind: ErrorKind, message: str) -> None:
        if kind not in ERROR_KINDS:
            raise ValueError(f"unknown error kind {kind!r}")
        super().__init__(message)
        self.kind: ErrorKind = kind
        self.message = message

    def to_json(self) -> dict[str, dict[str, str]]:
        return {"error": {"kind": self.kind, "message": self.message}}

    @classmethod
    def from_json(cls, payload: dict[str, object]) -> DerivlensError:
        """Rebuild an error from `{"kind": ..., "message": ...}` (as a child sends it)."""
        kind = payload.get("kind")
        message = str(payload.get("message", "unknown error"))
        if kind not in ERROR_KINDS:
            return cls("internal", f"unexpected error kind {kind!r}: {message}")
        return cls(kind, message)  # type: ignore[arg-type]

    @property
    def exit_status(self) -> int:
        return 2 if self.kind in USAGE_KINDS else 1

    def __repr__(self) -> str:
        return f"DerivlensError({self.kind!r}, {self.message!r})"
