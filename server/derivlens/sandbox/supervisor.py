"""The parent side, `Sandbox`: what the CLI and the language server call.

It starts the warm worker (`worker.py`, given the application module to load) with an
allow-listed environment, sends it jobs, enforces the wall-clock deadline, kills a
child's whole process group on timeout or cancellation, and replaces a worker that died
or hung. It never imports the application and never runs user code. It speaks to the
worker in `channel`'s messages; a job ends as an `outcome.Ending`, which `verdict`
turns into what the caller gets, an `Outcome`: `Replied` (the layers the child had come
from its status frame, written before user code ran, the reply from its one reply
frame) or a `SandboxFailure`. A child that could not apply a layer the worker had at
its start refused to run; its worker is then replaced, since something has changed it.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import shutil
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from derivlens.sandbox import channel, process, protocol, strict, verdict
from derivlens.sandbox.channel import Cancel, Done, Job, Ready, Run, Started
from derivlens.sandbox.env import cache_dir, clean_environment, private_home
from derivlens.sandbox.outcome import (
    Ending,
    Failure,
    Finished,
    LayerLost,
    Outcome,
    Oversized,
    SandboxFailure,
    TimedOut,
    WorkerLost,
)

#: A cold start imports the application and warms it up (derivlens: about 2 s here).
START_TIMEOUT = 180.0


@dataclass
class _Pending:
    future: asyncio.Future[Ending]
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


class Sandbox:
    """Runs jobs of the application `app` in sandboxed children of a warm worker."""

    def __init__(
        self,
        app: str,
        *,
        log: Callable[[str], None] | None = None,
        prefork: bool = True,
        without: Sequence[str] = (),
        adopt: EarlyWorker | None = None,
    ) -> None:
        """`prefork` keeps a spare child ready; `without` turns layers off (diagnosis);
        `adopt` is a worker `prespawn` started, used as the first worker."""
        self.app = app
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
            process.kill_group(early.popen.pid)
            early.popen.wait()
            shutil.rmtree(early.home, ignore_errors=True)
        if self._home is not None:
            shutil.rmtree(self._home, ignore_errors=True)
            self._home = None

    async def _stop(self, w: _Worker) -> None:
        w.dead = True
        for p in w.pending.values():
            if p.pid is not None:
                process.kill_group(p.pid)
        # Not `w.proc.kill()`: Popen polls before it signals, and that poll could take the
        # exit status from asyncio's child watcher (it then logs "Unknown child process").
        process.kill_group(w.proc.pid)
        with contextlib.suppress(Exception):
            await asyncio.wait_for(w.proc.wait(), 5)
        for task in w.tasks:
            task.cancel()
        self._fail_all(w, "the evaluation worker was stopped")

    def _fail_all(self, w: _Worker, why: str) -> None:
        w.dead = True
        if not w.ready.done():
            w.ready.set_exception(SandboxFailure(Failure.NOT_STARTED, f"{why}; see the server log"))
            w.ready.exception()  # mark retrieved
        for p in w.pending.values():
            if not p.future.done():
                p.future.set_result(WorkerLost(why))

    # -- the worker's output ------------------------------------------------------------
    async def _read_replies(self, w: _Worker) -> None:
        assert w.proc.stdout is not None
        reader = w.proc.stdout
        try:
            while True:
                body = await protocol.read_frame_async(reader)
                message = channel.from_worker(body)
                if isinstance(message, Ready):
                    w.layers = message.layers
                    if message.notes:
                        self._log(f"derivlens sandbox: layers not available here: {message.notes}")
                    if not w.ready.done():
                        w.ready.set_result(None)
                    continue
                p = w.pending.get(message.id)
                if isinstance(message, Done):
                    count = message.frames
                    if not 0 <= count <= 2:
                        raise protocol.FrameError(f"{count} frames")
                    frames = tuple([await protocol.read_frame_async(reader) for _ in range(count)])
                    if p is not None and not p.future.done():
                        ended = Finished(frames, message.extra, message.code, message.signal)
                        p.future.set_result(ended)
                elif p is None or p.future.done():
                    continue
                elif isinstance(message, Started):
                    p.pid = message.pid
                else:
                    p.future.set_result(Oversized(message.what))
        except (protocol.FrameError, strict.Malformed) as exc:
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
    async def run(self, job: Job) -> Outcome:
        """Run `job` in a fresh sandboxed child: the checked reply, or why there is none.

        Only a cancellation raises; a worker that cannot start is a `SandboxFailure` too.
        """
        try:
            await self.start()
        except SandboxFailure as failure:
            return failure
        w = self._worker
        assert w is not None
        ending = await self._ending(w, job)
        try:
            replied = verdict.outcome(ending, w.layers, job.name, job.timeout)
        except LayerLost as lost:
            self._log(f"derivlens sandbox: worker pid {w.proc.pid} lost a layer; replacing it")
            if self._worker is w:
                self._worker = None
            await self._stop(w)
            return lost
        except SandboxFailure as failure:
            return failure
        if replied.output:
            self._log(f"{job.name} printed: {verdict.printable(replied.output, 2000)}")
        if replied.notes:
            self._log(f"derivlens sandbox: inactive layers: {replied.notes}")
        return replied

    async def _ending(self, w: _Worker, job: Job) -> Ending:
        """How the worker says `job` ended, or `TimedOut` at its deadline."""
        rid = next(self._ids)
        pending = _Pending(asyncio.get_running_loop().create_future())
        w.pending[rid] = pending
        try:
            assert w.proc.stdin is not None
            w.proc.stdin.write(channel.encode(Run(rid, job)))
            await w.proc.stdin.drain()
            return await asyncio.wait_for(asyncio.shield(pending.future), job.timeout)
        except (asyncio.TimeoutError, TimeoutError):
            await self._abandon(w, rid, pending, hung=pending.pid is None)
            return TimedOut()
        except asyncio.CancelledError:
            await self._abandon(w, rid, pending, hung=False)
            raise
        except (ConnectionError, OSError):
            return WorkerLost("the evaluation worker is gone")
        finally:
            w.pending.pop(rid, None)

    async def _abandon(self, w: _Worker, rid: int, p: _Pending, *, hung: bool) -> None:
        """Kill the child's process group now; a worker that never started it is replaced."""
        if p.pid is not None:
            process.kill_group(p.pid)
        if hung or not w.alive():
            self._log("derivlens sandbox: worker did not respond; replacing it")
            if self._worker is w:
                self._worker = None
            await self._stop(w)
            return
        with contextlib.suppress(Exception):
            assert w.proc.stdin is not None
            w.proc.stdin.write(channel.encode(Cancel(rid)))


def run_once(app: str, job: Job) -> Outcome:
    """Synchronous start, run, close (the CLI's one-shot use)."""

    async def go() -> Outcome:
        sandbox = Sandbox(app, prefork=False)
        try:
            return await sandbox.run(job)
        finally:
            await sandbox.close()

    return asyncio.run(go())
