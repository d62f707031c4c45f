"""One evaluation's process: forked from the warm worker, sandboxed, used once.

`prepare` runs right after the fork (while the child is still a spare waiting for
work): own process group, parent-death signal, every inherited descriptor closed,
namespaces entered, the Landlock ruleset and seccomp filter built. `serve` reads the one
job, applies the rest (readable paths, limits, filter, audit hook, capped output), and
writes a *status* frame: which layers hold. That frame is written before any user code
exists in the process, so the parent can trust it; a layer the worker found available
at its start (`ChildConfig.required`) that did not apply here refuses the job right
there, user code never runs. Then the request goes to the application's `run`, and one
*reply* frame follows (untrusted: user code ran in this process and may have written to
the pipe itself). The child closes the pipe and exits; it is never reused.

The application (an `application.Application`) is what the worker was started with:
this module knows nothing of what the request or the reply mean. Its reply frame
(`channel.ChildReply`) says besides the first operation the sandbox refused and why
there is no reply, if there is none; the application's caller makes of them what its
user is told (derivlens: `judge`).
"""

from __future__ import annotations

import contextlib
import functools
import os
import select
import signal
import sys
import time
import traceback
from dataclasses import dataclass, field
from types import FrameType
from typing import Any, NoReturn

import attrs

from derivlens.sandbox import channel, process, protocol
from derivlens.sandbox.application import Application
from derivlens.sandbox.channel import ChildReply, ChildStatus, Job, NoReply, Refusal, Unanswered
from derivlens.sandbox.layers import LayerUnavailable, audit, namespaces, output, rlimits
from derivlens.sandbox.layers.audit import SandboxRefusal

SYSCALL = "make a system call the sandbox forbids"
#: The layers a child applies itself (the others hold for the whole worker).
#: How long a spare waits for a job before it warms up (see `Child.warm_unless_wanted`).
WARM_AFTER = 0.05
CHILD_LAYERS = ("namespaces", "landlock", "rlimits", "seccomp", "audit-hook", "output-cap")


@dataclass
class ChildConfig:
    """What the worker tells each child: what it may read, which layers to try."""

    read_paths: list[str]
    layers: dict[str, bool] = field(default_factory=dict)  # name -> wanted
    warm: bool = True  # run the app's warm-up while waiting, so pages are copied early
    #: Layers that held when the worker started: a child without one of them refuses.
    required: tuple[str, ...] = ()
    #: The pages a job writes (see `prefault`): a spare copies them while it waits.
    prefault: list[tuple[int, int]] = field(default_factory=list)

    def wants(self, name: str) -> bool:
        return self.layers.get(name, True)


class Child:
    def __init__(self, req_fd: int, rep_fd: int, config: ChildConfig, app: Application) -> None:
        self.req_fd = req_fd
        self.rep_fd = rep_fd
        self.config = config
        self.app = app
        self.pid = os.getpid()
        self.parent = os.getppid()  # the worker, right after the fork
        self.active: list[str] = ["env-allowlist", "private-tmp"]
        self.notes: dict[str, str] = {}
        self.refusals: list[tuple[str, str]] = []
        self.ruleset: Any = None
        self.filter: Any = None
        self.user_file = ""
        self.idle_exit = False

    # -- before the request -------------------------------------------------------------
    def prepare(self) -> None:
        sys.dont_write_bytecode = True  # the sandbox refuses writes: not even tried
        with contextlib.suppress(OSError):
            os.setpgid(0, 0)
        keep = {self.req_fd, self.rep_fd}
        for fd in _open_fds():
            if fd > 2 and fd not in keep:
                with contextlib.suppress(OSError):
                    os.close(fd)
        output.redirect_fds()
        # The worker is not dumpable (its /proc entries are closed to its children);
        # writing our own uid_map needs it for a moment.
        process.set_dumpable(True)
        self._try("namespaces", self._enter_namespaces)
        process.set_dumpable(False)  # nor are ours to our siblings
        process.die_with_parent(self.parent)
        self._try("landlock", self._build_ruleset)
        self._try("seccomp", self._build_filter)

    def warm_unless_wanted(self) -> None:
        """Get ready for the job while it has not come: first copy the pages a job
        writes (`prefault`: ~15 ms, stopped within a chunk when the job arrives), then,
        if no job arrives within `WARM_AFTER` s, the app's `warm_child` (a whole small
        evaluation: warmer still, but ~60 ms of a core, which a spare taken at once
        would take from the job before it). A job that arrives meanwhile stops it after the
        step under way."""
        if not (self.config.warm and self.config.wants("warm")):
            return
        job_waiting = functools.partial(self._job_waiting, 0.0)
        if self.config.prefault:
            from derivlens.sandbox import prefault

            prefault.populate(self.config.prefault, job_waiting)
        if self._job_waiting(WARM_AFTER):
            return
        for _ in self.app.warm_child():
            if job_waiting():
                return

    def _job_waiting(self, timeout: float) -> bool:
        ready, _, _ = select.select([self.req_fd], [], [], timeout)
        return bool(ready)

    def _enter_namespaces(self) -> None:
        note = namespaces.apply()
        if note:
            self.notes["ipc-namespace"] = note

    def _build_ruleset(self) -> None:
        from derivlens.sandbox.layers.landlock_fs import Ruleset

        self.ruleset = Ruleset()
        self.ruleset.allow_read(self.config.read_paths)

    def _build_filter(self) -> None:
        from derivlens.sandbox.layers import seccomp_filter

        self.filter = seccomp_filter.build(self.pid)

    def _try(self, name: str, step: Any, *args: Any) -> bool:
        if not self.config.wants(name):
            self.notes[name] = "turned off"
            return False
        try:
            step(*args)
        except LayerUnavailable as exc:
            self.notes[name] = str(exc)
            return False
        except Exception as exc:  # a layer must never take the evaluation down
            self.notes[name] = f"{type(exc).__name__}: {exc}"
            return False
        if name not in self.active and name not in ("landlock", "seccomp"):
            self.active.append(name)
        return True

    # -- the request --------------------------------------------------------------------
    def serve(self) -> NoReturn:
        self.warm_unless_wanted()
        try:
            body = protocol.read_frame(self.req_fd, protocol.MAX_REQUEST_BYTES)
        except protocol.FrameError:
            os._exit(0)  # the worker went away or shut us down: nothing to do
        job = channel.decode(body, Job)
        t0 = time.perf_counter()
        self.user_file = job.user_file
        self.idle_exit = job.idle_exit
        self._apply_layers(job)
        missing = [name for name in self.config.required if name not in self.active]
        refused = {name: self.notes.get(name, "not applied") for name in missing}
        self._write(ChildStatus(tuple(self.active), self.notes, refused))
        if missing:
            self._finish(0)  # without a layer it had when the worker started: run nothing
        captured = output.capture() if self.config.wants("output-cap") else output.CappedText()
        self._report_exits_at_the_limit(captured)
        t1 = time.perf_counter()
        reply, unanswered = None, None
        try:
            reply = self.app.run(job.request)
        except BaseException as exc:  # run never raises; user code might exit() though
            unanswered = _escaped(exc)
        t2 = time.perf_counter()
        self._send(
            ChildReply(
                reply=reply,
                output=captured.text(),
                timings={"layers_ms": (t1 - t0) * 1000, "run_ms": (t2 - t1) * 1000},
                refusal=Refusal(*self.refusals[0]) if self.refusals else None,
                unanswered=unanswered,
            )
        )
        self._finish(0)

    def _report_exits_at_the_limit(self, captured: output.CappedText) -> None:
        """A library that exits because memory is full is reported as such (see rlimits)."""
        if "rlimits" not in self.active:
            return

        def report() -> None:
            why = Unanswered(NoReply.OUT_OF_MEMORY, "a library it calls stopped the process")
            self._send(ChildReply(reply=None, output=captured.text(), unanswered=why))
            self._finish(0)

        rlimits.report_exits_at_the_limit(report)

    def _finish(self, code: int) -> NoReturn:
        """Close the reply pipe (the parent sees the end of it now) and exit.

        Exiting unmaps the whole inherited address space (~10–20 ms of a core); at idle
        priority that waits while the next request's child or spare needs the core."""
        with contextlib.suppress(OSError):
            _close(self.rep_fd)
        if self.idle_exit:
            with contextlib.suppress(OSError):
                _idle_priority()
        _exit(code)

    def _apply_layers(self, job: Job) -> None:
        readable: list[str] | None = None
        if self.ruleset is not None:
            self.ruleset.allow_read(job.readable)
            if self._try("landlock", self.ruleset.apply):
                self.active.append("landlock")
                readable = list(self.ruleset.paths)
        self._try("rlimits", rlimits.apply, job.timeout + 1.0, job.memory_mb)
        if self.filter is not None:
            from derivlens.sandbox.layers import seccomp_filter

            signal.signal(signal.SIGSYS, self._on_sigsys)
            if self._try("seccomp", seccomp_filter.load, self.filter):
                self.active.append("seccomp")
        self.filter = None
        self._try("audit-hook", audit.install, audit.make_hook(self.refusals, readable, self.pid))
        if self.config.wants("output-cap"):
            self.active.append("output-cap")

    def _on_sigsys(self, signum: int, frame: FrameType | None) -> None:
        where = self._user_line(frame)
        if not self.refusals:
            self.refusals.append((SYSCALL, where or "seccomp"))
        raise SandboxRefusal(f"derivlens sandbox: the kernel refused a system call ({where})")

    def _user_line(self, frame: FrameType | None) -> str:
        while frame is not None:
            if self.user_file and frame.f_code.co_filename == self.user_file:
                line = traceback.extract_stack(frame, limit=1)[-1]
                text = (line.line or "").strip()
                return f"{os.path.basename(self.user_file)}:{line.lineno}" + (
                    f": {text[:60]}" if text else ""
                )
            frame = frame.f_back
        return ""

    def probe(self) -> NoReturn:
        """For `derivlens doctor`: apply every layer, report which held, run nothing."""
        self._apply_layers(Job(None, 1.0, 2048, name="the probe"))
        details = {}
        if "landlock" in self.active and self.ruleset is not None:
            details["landlock"] = self.ruleset.describe()
        self._write(ChildStatus(tuple(self.active), self.notes, details=details))
        self._finish(0)

    # -- the reply ----------------------------------------------------------------------
    def _send(self, reply: ChildReply) -> None:
        """The reply frame; a reply that is not JSON or too large is sent as such."""
        try:
            data = channel.encode(reply)
        except (TypeError, ValueError) as exc:
            unsent = Unanswered(NoReply.NOT_JSON, str(exc))
            data = channel.encode(attrs.evolve(reply, reply=None, output="", unanswered=unsent))
        if len(data) > protocol.MAX_REPLY_BYTES:
            unsent = Unanswered(NoReply.TOO_LARGE, f"{len(data) / 2**20:.0f} MB")
            data = channel.encode(attrs.evolve(reply, reply=None, output="", unanswered=unsent))
        with contextlib.suppress(OSError):
            protocol.write_all(self.rep_fd, data)

    def _write(self, status: ChildStatus) -> None:
        with contextlib.suppress(OSError):
            protocol.write_all(self.rep_fd, channel.encode(status))


def _escaped(exc: BaseException) -> Unanswered:
    """An exception out of the application's `run` (which never raises itself)."""
    if isinstance(exc, SystemExit | KeyboardInterrupt):
        return Unanswered(NoReply.EXITED, type(exc).__name__)
    return Unanswered(NoReply.RAISED, f"{type(exc).__name__}: {exc}")


#: Bound now: user code may replace `os._exit` or `os.close` before the child finishes.
_exit = os._exit
_idle_priority: Any = (
    functools.partial(os.sched_setscheduler, 0, os.SCHED_IDLE, os.sched_param(0))
    if hasattr(os, "SCHED_IDLE")
    else lambda: None  # not Linux
)
_close = os.close


def _open_fds() -> list[int]:
    try:
        return [int(n) for n in os.listdir("/proc/self/fd")]
    except OSError:
        return list(range(3, 256))


def run(
    req_fd: int, rep_fd: int, config: ChildConfig, app: Application, probe: bool = False
) -> NoReturn:
    """The whole life of a child, called right after fork()."""
    try:
        child = Child(req_fd, rep_fd, config, app)
        child.prepare()
        if probe:
            child.probe()
        child.serve()
    except BaseException:
        with contextlib.suppress(Exception):
            why = traceback.format_exc(limit=3)[-500:]
            protocol.write_all(rep_fd, channel.encode(ChildStatus((), {"child": why})))
    _exit(70)


__all__ = ["Child", "ChildConfig", "run"]
