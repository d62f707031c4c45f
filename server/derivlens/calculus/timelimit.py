"""A time limit on pure-Python work (tracing, SymPy), by an interval timer.

SymPy's simplification has no time limit of its own and may take seconds on a long
expression; a formula must not (docs/protocol.md, "Formula"). The limit counts this
process's CPU time (`ITIMER_PROF`), not the wall clock: on a machine whose cores are
busy with other work the same formula gets the same budget, so whether it is shown does
not depend on the load. `SIGPROF` interrupts Python code between two bytecodes, which is
all SymPy and torch.fx run. Only the main thread
receives signals: elsewhere `limited` cannot stop the work, and says so with `False`
(the caller then skips what could take long).
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType


class OutOfTime(BaseException):
    """The time limit was reached. A BaseException, like KeyboardInterrupt, so that user
    code run by a trace (`except Exception: ...`) does not swallow it."""


def can_limit() -> bool:
    return hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()


def _expired(_signum: int, _frame: FrameType | None) -> None:
    raise OutOfTime


@contextmanager
def limited(seconds: float) -> Iterator[bool]:
    """Raise `OutOfTime` in the block once it has used `seconds` of CPU (yields whether it can).
    Not nested: the timer and handler before it are put back after the block."""
    if not can_limit():
        yield False
        return
    if seconds <= 0:
        raise OutOfTime
    previous = signal.signal(signal.SIGPROF, _expired)
    signal.setitimer(signal.ITIMER_PROF, seconds)
    try:
        yield True
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
        signal.signal(signal.SIGPROF, previous)
