"""Who reaps the worker: asyncio's child watcher, and nobody else.

A second `waitpid` on the worker (as `Popen.kill()` does before it signals) takes its
exit status from the watcher's thread when that thread has not run yet, which a busy
machine makes likely; asyncio then logs "Unknown child process pid N, will report
returncode 255" — on the CLI's stderr, after its one-line error (docs/protocol.md,
"Command line").
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from derivlens import SANDBOX_APP
from derivlens.sandbox import Sandbox

watchers = pytest.importorskip("asyncio.unix_events")


def is_zombie(pid: int) -> bool:
    stat = Path(f"/proc/{pid}/stat").read_text()
    return stat[stat.rindex(")") + 2] == "Z"


def test_a_stopped_worker_is_reaped_by_the_watcher_alone(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    held, reached = threading.Event(), threading.Event()
    original = watchers.ThreadedChildWatcher._do_waitpid

    def scheduled_late(self: Any, *args: Any) -> None:
        """The watcher's thread as a loaded machine runs it: after the worker has died."""
        reached.set()
        held.wait(30)
        original(self, *args)

    monkeypatch.setattr(watchers.ThreadedChildWatcher, "_do_waitpid", scheduled_late)

    async def stop_a_dead_worker() -> int | None:
        sandbox = Sandbox(SANDBOX_APP, prefork=False)
        await sandbox.start()
        worker = sandbox._worker
        assert worker is not None
        os.kill(worker.proc.pid, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while not is_zombie(worker.proc.pid) and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
        assert is_zombie(worker.proc.pid)
        closing = asyncio.create_task(sandbox.close())
        await asyncio.sleep(0.3)  # close() runs up to its wait for the worker's end
        held.set()
        await closing
        return worker.proc.returncode

    with caplog.at_level(logging.WARNING, logger="asyncio"):
        returncode = asyncio.run(stop_a_dead_worker())
    assert reached.is_set(), "asyncio did not use the threaded child watcher"
    assert [r.getMessage() for r in caplog.records if r.name == "asyncio"] == []
    assert returncode == -signal.SIGKILL
