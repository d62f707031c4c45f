"""Closed forms for the language server: each computed in a job of its own, after the plot.

A formula needs SymPy and a trace of the function, and it must never delay a plot
(docs/protocol.md, "Formula"). So the server's hover and command jobs do not ask for
one; once a result is there, `Formulas.merged` queues a job that asks for the formula
(the same request without an image) and keeps its answer by what decides it: the code,
the options and the held values. A result carries the formula once it is known: a hover
from its next showing, a command's result from its next request.

These jobs give way to the user: one runs at a time, only the newest waits, none starts
while an interactive evaluation runs or has just finished (`QUIET_S`), and one that is
running is stopped (its child killed) when an interactive evaluation starts, and tried
again later. A formula job that fails (a timeout or a crash: on a busy machine, not
always the formula's fault) is tried again the next time the result is asked for, up to
`TRIES` jobs in all; after that the formula stays null. A job that answers null (nothing
to trace, nothing proven) is final at once: its budget is CPU time, the same on any load.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import attrs

from derivlens.engine import Prepared
from derivlens.model import FormulaTexts, Result, VectorCurvesResult

#: How long no interactive evaluation must have run before a formula job starts.
QUIET_S = 0.3
#: How often a waiting job looks again.
POLL_S = 0.05
#: Jobs tried for one formula before a failure is taken as its answer (null).
TRIES = 3

Compute = Callable[[Prepared], Awaitable[FormulaTexts | None]]


def formula_key(prepared: Prepared) -> tuple[Any, ...]:
    """What decides a formula: f's prepared request alone (compare aside), whatever image or
    Taylor polynomial it asked for (pinning a tangent does not compute the formula again)."""
    return attrs.evolve(prepared.alone, render=None, taylor=None).cache_key


class Formulas:
    """The formulas known, and the job that finds the next one."""

    def __init__(self, compute: Compute, *, size: int = 64) -> None:
        self._compute = compute
        self._size = size
        self._known: OrderedDict[tuple[Any, ...], FormulaTexts | None] = OrderedDict()
        self._failed: OrderedDict[tuple[Any, ...], int] = OrderedDict()  # jobs failed, by key
        self._waiting: tuple[tuple[Any, ...], Prepared] | None = None
        self._drainer: asyncio.Task[None] | None = None
        self._job: asyncio.Task[FormulaTexts | None] | None = None
        self._gave_way = False
        self._interactive = 0
        self._last_interactive = 0.0

    def known(self, prepared: Prepared) -> bool:
        return formula_key(prepared) in self._known

    def merged(self, prepared: Prepared, result: Result) -> Result:
        """`result` with its formula if known; else a job to find it is queued."""
        if isinstance(result, VectorCurvesResult):
            return result
        key = formula_key(prepared)
        if key in self._known:
            self._known.move_to_end(key)
            return attrs.evolve(result, formula=self._known[key])
        self._waiting = (key, prepared)
        if self._drainer is None or self._drainer.done():
            self._drainer = asyncio.ensure_future(self._drain())
        return result

    @contextlib.contextmanager
    def interactive(self) -> Iterator[None]:
        """Around a hover's or a command's evaluation: formula jobs give way to it."""
        self._interactive += 1
        if self._job is not None:
            self._gave_way = True
            self._job.cancel()
        try:
            yield
        finally:
            self._interactive -= 1
            self._last_interactive = time.monotonic()

    def _quiet(self) -> bool:
        return self._interactive == 0 and time.monotonic() - self._last_interactive >= QUIET_S

    async def _drain(self) -> None:
        while self._waiting is not None:
            while not self._quiet():
                await asyncio.sleep(POLL_S)
            waiting, self._waiting = self._waiting, None
            if waiting is None or waiting[0] in self._known:
                continue
            key, prepared = waiting
            self._job = asyncio.ensure_future(self._compute(prepared))
            self._gave_way = False
            try:
                formula = await self._job
            except asyncio.CancelledError:
                if not self._gave_way:
                    raise  # the server is stopping, not an interactive evaluation
                self._waiting = self._waiting or waiting  # given way: again, later
                continue
            except Exception:  # a failed job (a timeout, a crash, a bad reply)
                if self._failed_again(key):
                    continue  # not known yet: asked for again, it is tried again
                formula = None
            finally:
                self._job = None
            self._failed.pop(key, None)
            self._known[key] = formula
            while len(self._known) > self._size:
                self._known.popitem(last=False)

    def _failed_again(self, key: tuple[Any, ...]) -> bool:
        """Count a failed job for `key`; whether another may be tried (fewer than `TRIES`)."""
        self._failed[key] = self._failed.pop(key, 0) + 1
        while len(self._failed) > self._size:
            self._failed.popitem(last=False)
        return self._failed[key] < TRIES
