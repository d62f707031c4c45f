"""The parent side: the API the CLI and the server call (never imports torch)."""

from __future__ import annotations

import asyncio
import os
import signal
import tempfile
from collections.abc import Callable
from typing import Any

from derivlens.errors import DerivlensError
from derivlens.sandbox import protocol
from derivlens.sandbox.env import clean_environment, python_executable


class Evaluator:
    """Evaluates requests in sandboxed children of a warm worker."""

    def __init__(self, *, memory_mb: int = 2048, log: Callable[[str], None] | None = None) -> None:
        self.memory_mb = memory_mb
        self._log = log or (lambda _msg: None)
        self._home = tempfile.mkdtemp(prefix="derivlens-")

    async def start(self) -> None:
        return None

    @property
    def ready(self) -> bool:
        return True

    async def evaluate(
        self, request: dict[str, Any], *, timeout: float, memory_mb: int | None = None
    ) -> dict[str, Any]:
        proc = await asyncio.create_subprocess_exec(
            python_executable(),
            "-m",
            "derivlens.sandbox.oneshot",
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL,
            env=clean_environment(self._home),
            cwd=self._home,
            start_new_session=True,
        )
        assert proc.stdin is not None and proc.stdout is not None
        try:
            proc.stdin.write(protocol.encode(request))
            await proc.stdin.drain()
            proc.stdin.close()
            body = await asyncio.wait_for(protocol.read_frame_async(proc.stdout), timeout)
        except asyncio.TimeoutError:
            raise DerivlensError(
                "timeout", f"{request.get('function')} did not finish within {timeout:g} s"
            ) from None
        except protocol.FrameError as exc:
            raise DerivlensError("crashed", f"the evaluation died: {exc}") from None
        finally:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            await proc.wait()
        envelope = protocol.decode(body)
        reply = envelope["reply"]
        if "error" in reply:
            raise DerivlensError.from_json(reply["error"])
        result: dict[str, Any] = reply["result"]
        result["sandbox"] = envelope["layers"]
        return result

    async def close(self) -> None:
        return None


def evaluate_once(request: dict[str, Any], *, timeout: float, memory_mb: int = 2048) -> dict[str, Any]:
    """Synchronous start-evaluate-close for the CLI."""

    async def run() -> dict[str, Any]:
        ev = Evaluator(memory_mb=memory_mb)
        await ev.start()
        try:
            return await ev.evaluate(request, timeout=timeout, memory_mb=memory_mb)
        finally:
            await ev.close()

    return asyncio.run(run())
