"""The parent side, `Sandbox`: what the CLI and the language server call.

It starts the warm worker (`worker.py`, given the application module to load) with an
allow-listed environment, sends it jobs, enforces the wall-clock deadline, kills a
child's whole process group on timeout or cancellation, and replaces a worker that died
or hung. It never imports the application and never runs user code; what a child
sends back is checked by `verdict` before anyone uses it: the layers it had come from
its status frame (written before user code ran), the result from its one reply frame.
A child that could not apply a layer the worker had at its start refused to run; its
worker is then replaced, since something has changed it.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from derivlens.errors import DerivlensError
from derivlens.sandbox import protocol, verdict
from derivlens.sandbox.env import cache_dir, clean_environment, private_home
from derivlens.sandbox.verdict import Outcome

#: A cold start imports the application and warms it up (derivlens: about 2 s here).
START_TIMEOUT = 180.0


@dataclass
class _Pending:
    future: asyncio.Future[tuple[Any, ...]]
    pid: int | None = None


@dataclass
class EarlyWorker:
    """A worker process started before any event loop exists (see `prespawn`)."""

    popen: subprocess.Popen[bytes]
    home: str


class _AdoptedProcess:
    """The part of `asyncio.subprocess.Process` the evaluator uses, over an early Popen."""

    def __init__(
        self,
        popen: subprocess.Popen[bytes],
        stdin: asyncio.StreamWriter,
        stdout: asyncio.StreamReader,
        stderr: asyncio.StreamReader,
    ) -> None:
        self._popen = popen
        self.pid = popen.pid
        self.stdin, self.stdout, self.stderr = stdin, stdout, stderr

    @property
    def returncode(self) -> int | None:
        return self._popen.poll()

    def kill(self) -> None:
        self._popen.kill()

    async def wait(self) -> int:
        while self._popen.poll() is None:
            await asyncio.sleep(0.02)
        return self._popen.returncode


def _worker_command(app: str, prefork: bool, without: Sequence[str]) -> list[str]:
    args = [sys.executable, "-m", "derivlens.sandbox.worker", "--app", app]
    if not prefork:
        args.append("--no-prefork")
    for name in without:
        args += ["--without", name]
    return args


def prespawn(app: str, *, prefork: bool = True, without: Sequence[str] = ()) -> EarlyWorker | None:
    """Start the worker now, before the caller's own (slow) imports.

    Its cold start then overlaps the caller's start-up; a `Sandbox(adopt=...)` takes the
    process over in its event loop. None if it cannot start here (the Sandbox then
    starts one itself).
    """
    home = private_home()
    try:
        popen = subprocess.Popen(
            _worker_command(app, prefork, without),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=clean_environment(home, cache_dir(home)),
            cwd=home,
            start_new_session=True,
        )
    except OSError:
        shutil.rmtree(home, ignore_errors=True)
        return None
    return EarlyWorker(popen, home)


async def _adopt(popen: subprocess.Popen[bytes]) -> _AdoptedProcess:
    """Connect an early worker's pipes to the running event loop."""
    loop = asyncio.get_running_loop()
    assert popen.stdin is not None and popen.stdout is not None and popen.stderr is not None

    async def reader(pipe: Any) -> asyncio.StreamReader:
        stream = asyncio.StreamReader(limit=protocol.MAX_REPLY_BYTES + 1024)
        await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(stream), pipe)
        return stream

    # The protocol `asyncio.open_connection` gives its writers (public, unlike its base
    # FlowControlMixin): drain() waits while the pipe is full; wait_closed() works.
    def writer_protocol() -> asyncio.StreamReaderProtocol:
        return asyncio.StreamReaderProtocol(asyncio.StreamReader())

    transport, flow = await loop.connect_write_pipe(writer_protocol, popen.stdin)
    stdin = asyncio.StreamWriter(transport, flow, None, loop)
    return _AdoptedProcess(popen, stdin, await reader(popen.stdout), await reader(popen.stderr))


@dataclass
class _Worker:
    """One running worker process and the requests waiting on it."""

    proc: asyncio.subprocess.Process | _AdoptedProcess
    ready: asyncio.Future[None]
    pending: dict[int, _Pending] = field(default_factory=dict)
    tasks: list[asyncio.Task[None]] = field(default_factory=list)
    dead: bool = False
    #: The layers its probe child had at its start: every child must have them too.
    layers: tuple[str, ...] = ()

    def alive(self) -> bool:
        return not self.dead and self.proc.returncode is None


def _killpg(pid: int) -> None:
    for target in (-pid, pid):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(target, signal.SIGKILL)


class Sandbox:
    """Runs jobs of the application `app` in sandboxed children of a warm worker."""

    def __init__(
        self,
        app: str,
        *,
        memory_mb: int = 2048,
        log: Callable[[str], None] | None = None,
        prefork: bool = True,
        without: Sequence[str] = (),
        adopt: EarlyWorker | None = None,
    ) -> None:
        """`prefork` keeps a spare child ready; `without` turns layers off (diagnosis);
        `adopt` is a worker `prespawn` started, used as the first worker."""
        self.app = app
        self.memory_mb = memory_mb
        self.prefork = prefork
        self.without = tuple(without)
        self._log = log or (lambda _msg: None)
        self._worker: _Worker | None = None
        self._lock = asyncio.Lock()
        self._ids = itertools.count(1)
        self._home: str | None = None
        self._early = adopt

    # -- lifecycle ----------------------------------------------------------------------
    @property
    def ready(self) -> bool:
        w = self._worker
        return w is not None and w.alive() and w.ready.done() and not w.ready.exception()

    async def start(self) -> None:
        """Spawn the warm worker if there is none alive; return once it is ready."""
        async with self._lock:
            w = self._worker
            if w is None or not w.alive():
                if w is not None:
                    await self._stop(w)
                w = self._worker = await self._spawn()
        await asyncio.wait_for(asyncio.shield(w.ready), START_TIMEOUT)

    async def _spawn(self) -> _Worker:
        proc: asyncio.subprocess.Process | _AdoptedProcess
        early, self._early = self._early, None
        if early is not None and early.popen.poll() is None:
            if self._home is not None:
                shutil.rmtree(self._home, ignore_errors=True)
            self._home = early.home
            proc = await _adopt(early.popen)
        else:
            if early is not None:  # it died before we needed it: start afresh
                shutil.rmtree(early.home, ignore_errors=True)
            if self._home is None:
                self._home = private_home()
            proc = await asyncio.create_subprocess_exec(
                *_worker_command(self.app, self.prefork, self.without),
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
                env=clean_environment(self._home, cache_dir(self._home)),
                cwd=self._home,
                start_new_session=True,
                limit=protocol.MAX_REPLY_BYTES + 1024,
            )
        loop = asyncio.get_running_loop()
        w = _Worker(proc, loop.create_future())
        w.tasks.append(asyncio.create_task(self._read_replies(w)))
        w.tasks.append(asyncio.create_task(self._read_stderr(w)))
        self._log(f"derivlens sandbox: started worker pid {proc.pid}")
        return w

    async def close(self) -> None:
        w, self._worker = self._worker, None
        if w is not None:
            await self._stop(w)
        early, self._early = self._early, None
        if early is not None:  # started early but never needed
            _killpg(early.popen.pid)
            early.popen.wait()
            shutil.rmtree(early.home, ignore_errors=True)
        if self._home is not None:
            shutil.rmtree(self._home, ignore_errors=True)
            self._home = None

    async def _stop(self, w: _Worker) -> None:
        w.dead = True
        for p in w.pending.values():
            if p.pid is not None:
                _killpg(p.pid)
        _killpg(w.proc.pid)
        with contextlib.suppress(ProcessLookupError):
            w.proc.kill()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(w.proc.wait(), 5)
        for task in w.tasks:
            task.cancel()
        self._fail_all(w, "the evaluation worker was stopped")

    def _fail_all(self, w: _Worker, why: str) -> None:
        w.dead = True
        if not w.ready.done():
            w.ready.set_exception(DerivlensError("internal", f"{why}; see the server log"))
            w.ready.exception()  # mark retrieved
        for p in w.pending.values():
            if not p.future.done():
                p.future.set_result(("died", why))

    # -- the worker's output ------------------------------------------------------------
    async def _read_replies(self, w: _Worker) -> None:
        assert w.proc.stdout is not None
        reader = w.proc.stdout
        try:
            while True:
                msg = protocol.decode(await protocol.read_frame_async(reader))
                op = msg.get("op")
                if op == "ready":
                    w.layers = tuple(str(name) for name in msg.get("layers") or ())
                    notes = msg.get("notes") or {}
                    if notes:
                        self._log(f"derivlens sandbox: layers not available here: {notes}")
                    if not w.ready.done():
                        w.ready.set_result(None)
                    continue
                p = w.pending.get(msg.get("id", -1))
                if op == "done":
                    count = int(msg["frames"])
                    if not 0 <= count <= 2:
                        raise protocol.FrameError(f"{count} frames")
                    frames = [await protocol.read_frame_async(reader) for _ in range(count)]
                    if p is not None and not p.future.done():
                        ended = (msg.get("code"), msg.get("signal"))
                        p.future.set_result(("done", frames, bool(msg.get("extra")), *ended))
                elif p is None or p.future.done():
                    continue
                elif op == "started":
                    p.pid = int(msg["pid"])
                elif op == "error":
                    p.future.set_result(("oversized", str(msg.get("message"))))
        except (protocol.FrameError, ValueError, KeyError, TypeError) as exc:
            if not w.dead:
                self._log(f"derivlens sandbox: worker channel closed ({exc})")
        finally:
            self._fail_all(w, "the evaluation worker stopped unexpectedly")

    async def _read_stderr(self, w: _Worker) -> None:
        assert w.proc.stderr is not None
        logged = 0
        while True:
            line = await w.proc.stderr.readline()
            if not line:
                return
            if logged < 200:  # a chatty worker must not flood the log
                logged += 1
                self._log("derivlens worker: " + line.decode(errors="replace").rstrip()[:500])

    # -- running a job -----------------------------------------------------------------
    async def run(
        self,
        request: Any,
        *,
        timeout: float,
        memory_mb: int | None = None,
        readable: Sequence[str] = (),
        user_file: str = "",
        name: str = "the function",
    ) -> Outcome:
        """Run `request` (JSON) in a fresh sandboxed child: the application's checked reply.

        `readable` are the paths the child may read besides Python and the packages
        (the user's project); `user_file` and `name` make the sandbox's messages point
        at the user's code. Failures of the sandbox itself raise `DerivlensError`.
        """
        await self.start()
        w = self._worker
        assert w is not None
        job = {
            "request": request,
            "timeout": timeout,
            "memory_mb": int(memory_mb if memory_mb is not None else self.memory_mb),
            "readable": list(readable),
            "user_file": user_file,
            "name": name,
        }
        rid = next(self._ids)
        pending = _Pending(asyncio.get_running_loop().create_future())
        w.pending[rid] = pending
        try:
            assert w.proc.stdin is not None
            w.proc.stdin.write(protocol.encode({"op": "run", "id": rid, "envelope": job}))
            await w.proc.stdin.drain()
            outcome = await asyncio.wait_for(asyncio.shield(pending.future), timeout)
        except (asyncio.TimeoutError, TimeoutError):
            await self._abandon(w, rid, pending, hung=pending.pid is None)
            raise verdict.timeout_error(name, timeout) from None
        except asyncio.CancelledError:
            await self._abandon(w, rid, pending, hung=False)
            raise
        except (ConnectionError, OSError):
            outcome = ("died", "the evaluation worker is gone")
        finally:
            w.pending.pop(rid, None)
        try:
            return self._interpret(outcome, w, name, timeout)
        except verdict.LayerRefused:
            self._log(f"derivlens sandbox: worker pid {w.proc.pid} lost a layer; replacing it")
            if self._worker is w:
                self._worker = None
            await self._stop(w)
            raise

    async def _abandon(self, w: _Worker, rid: int, p: _Pending, *, hung: bool) -> None:
        """Kill the child's process group now; a worker that never started it is replaced."""
        if p.pid is not None:
            _killpg(p.pid)
        if hung or not w.alive():
            self._log("derivlens sandbox: worker did not respond; replacing it")
            if self._worker is w:
                self._worker = None
            await self._stop(w)
            return
        with contextlib.suppress(Exception):
            assert w.proc.stdin is not None
            w.proc.stdin.write(protocol.encode({"op": "cancel", "id": rid}))

    def _interpret(
        self, outcome: tuple[Any, ...], w: _Worker, name: str, timeout: float
    ) -> Outcome:
        kind = outcome[0]
        if kind == "done":
            frames, extra, code, sig = outcome[1:]
            if not frames:
                raise verdict.from_exit(code, sig, name, timeout)
            status = verdict.status(frames[0], name)
            lost = dict(status.refused)
            lost.update({k: "not applied" for k in w.layers if k not in status.layers})
            if lost:
                raise verdict.refused(name, lost)
            if extra:
                raise verdict.more_than_one_reply(name)
            if len(frames) < 2:
                raise verdict.from_exit(code, sig, name, timeout)
            checked = verdict.from_reply(frames[1], name, status)
            if checked.output:
                self._log(f"{name} printed: {verdict.printable(checked.output, 2000)}")
            if checked.notes:
                self._log(f"derivlens sandbox: inactive layers: {checked.notes}")
            return checked
        if kind == "oversized":
            raise verdict.oversized(name, outcome[1])
        raise DerivlensError(
            "crashed", f"{outcome[1]} while evaluating {name}; it has been restarted, try again"
        )


def run_once(
    app: str, request: Any, *, timeout: float, memory_mb: int = 2048, **job: Any
) -> Outcome:
    """Synchronous start, run, close (the CLI's one-shot use)."""

    async def go() -> Outcome:
        sandbox = Sandbox(app, memory_mb=memory_mb, prefork=False)
        try:
            await sandbox.start()
            return await sandbox.run(request, timeout=timeout, memory_mb=memory_mb, **job)
        finally:
            await sandbox.close()

    return asyncio.run(go())
