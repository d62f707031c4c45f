"""The sandbox's worker for `derivlens serve`, started before anything else is imported.

Its cold start (importing torch and matplotlib, ~3 s) is the first hover's wait; the
command line's and the language server's own imports (~0.5 s) then run beside it
instead of before it. `python -m derivlens` starts it here, ahead of `derivlens.cli`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from derivlens.sandbox import EarlyWorker

_started: EarlyWorker | None = None


def start_if_serving(argv: list[str]) -> None:
    """Start the worker now if the command is `serve` (at most once)."""
    global _started
    if argv[:1] == ["serve"] and _started is None:
        from derivlens import SANDBOX_APP
        from derivlens.sandbox import prespawn

        _started = prespawn(SANDBOX_APP)


def take() -> EarlyWorker | None:
    """The worker started early, for the server to adopt (None if there is none)."""
    global _started
    worker, _started = _started, None
    return worker
