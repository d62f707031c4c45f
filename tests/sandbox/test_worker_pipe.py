"""The pipe to an adopted worker (started before the event loop, `derivlens serve`): its
writer is built from asyncio's public stream classes, and behaves as a subprocess's."""

from __future__ import annotations

import subprocess
import sys

import pytest

from derivlens.sandbox import supervisor

#: Reads nothing for a while, then everything, and says how much it got.
SLOW_READER = "import sys, time; time.sleep(0.5); print(len(sys.stdin.buffer.read()))"


@pytest.mark.asyncio
async def test_an_adopted_workers_stdin_waits_for_its_reader_and_closes() -> None:
    popen = subprocess.Popen(
        [sys.executable, "-c", SLOW_READER],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        adopted = await supervisor._adopt(popen)
        payload = b"x" * (4 * 1024 * 1024)  # far more than a pipe holds
        adopted.stdin.write(payload)
        transport = adopted.stdin.transport
        assert transport.get_write_buffer_size() > 1024 * 1024  # the reader is asleep
        await adopted.stdin.drain()  # back-pressure: returns once the reader caught up
        assert transport.get_write_buffer_size() <= 64 * 1024
        adopted.stdin.close()
        await adopted.stdin.wait_closed()
        assert int(await adopted.stdout.readline()) == len(payload)
    finally:
        popen.kill()
        popen.wait()
