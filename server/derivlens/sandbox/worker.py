"""The warm worker: imports the application once, then forks a child per request.

Started by `Sandbox` as `python -m derivlens.sandbox.worker --app MODULE` with an
allow-listed environment. MODULE is the application (an `application.Application`):
its `warm_up()` runs here once, before any fork, so that every child starts with it
done; its `warm_later()` steps run here while the worker is idle (see `Worker.idle_in`).
Talks to the parent over stdin/stdout in the messages of `channel`: it reads `Run` and
`Cancel`, and answers `Ready` once warm, `Started` with the pid of the child that took a
job (= its process group), `Done` followed by the child's raw frames (its status, then
its reply), or `TooLarge` for a frame over its cap.

At its start, before any child runs user code, the worker forks one probe child that
applies every layer and says which held: those are `required` of every later child
(which refuses to run user code without one of them) and go to the parent in `ready`.
The worker itself is not dumpable, so its /proc entries stay closed to its children.

A child writes exactly two frames: its status (before user code ran) and its reply
(after), then closes the pipe. The worker splits what it reads into frames by their
length headers, caps their sizes and relays them; anything after the reply frame, or a
pipe that stays open past `LINGER` seconds after it, sets `Done.extra` (the parent then
refuses the reply). It never parses a frame's JSON. Two children are kept forked
ahead, prepared and waiting (`--spares`; `--no-prefork` turns that off).

While idle the worker also makes later children cheaper: the app's `warm_later`, its
own memory in huge pages (`hugepages`: forks and exits cost less), the pages a job
writes measured once (`prefault`: spares copy them while they wait), and after each
request the app's `warm_for(request)` (texts laid out for what was just plotted).
While a job runs, spares wait at idle priority where the worker may undo it (`pace_spares`).
`--without prefault|hugepages|learn|idle-exit|idle-spares` turns each off (for measuring them).
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import errno
import gc
import os
import selectors
import signal
import sys
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field

import attrs

from derivlens.sandbox import channel, hugepages, prefault, process, protocol
from derivlens.sandbox.application import Application
from derivlens.sandbox.channel import Cancel, ChildStatus, Done, Ready, Run, Started, TooLarge
from derivlens.sandbox.child import CHILD_LAYERS, ChildConfig
from derivlens.sandbox.layers import tasks
from derivlens.sandbox.startup import (
    MAX_STATUS_BYTES,
    load_app,
    preload_layers,
    probe_layers,
    read_paths,
)

#: How long a child may keep its reply pipe open after its reply frame.
LINGER = 1.0
#: A later warm-up step (a few tens of ms) runs once no job runs and nothing arrived for
#: this long; a request that comes during one waits for that step alone.
IDLE_BEFORE_WARM = 0.1
#: Likewise before forking a spare to replace one a job took.
IDLE_BEFORE_REFILL = 0.02
IDLE_POLL = 0.02
#: At most this many children exit at idle priority at a time (see `child._finish`):
#: while requests keep both cores busy, their memory is not given back.
IDLE_EXITS = 2


@dataclass
class Slot:
    """A forked child as the worker sees it."""

    pid: int
    req_w: int
    rep_r: int
    id: int | None = None
    buf: bytearray = field(default_factory=bytearray)
    frames: list[bytes] = field(default_factory=list)
    extra: bool = False  # bytes after the reply frame
    replied: bool = False  # reported to the parent (or given up on)
    eof: bool = False
    deadline: float | None = None  # when the pipe must be closed, once the reply is in
    idle: bool = False  # at idle priority (a spare while a job runs)


class Worker:
    """Forks a child per job. `spares` children are kept forked ahead, oldest first: a job
    takes the one that has waited longest (its warm-up long done), so a job right after
    another does not wait for the replacement that is still warming up."""

    def __init__(
        self, config: ChildConfig, prefork: bool, app: Application, spares: int = 2
    ) -> None:
        self.config = config
        self.app = app
        self.later: Iterator[object] | None = self.later_steps()
        self.quiet_since = time.monotonic()
        self.prefork = prefork
        self.target = spares
        self.idle_spares = config.wants("idle-spares") and process.may_leave_idle()
        self.sel = selectors.DefaultSelector()
        self.slots: dict[int, Slot] = {}  # pid -> slot
        self.spares: deque[Slot] = deque()
        self.stale: set[int] = set()  # spares that lack what idle work made since
        self.measuring: tuple[int, int, bytearray] | None = None  # pid, pipe, what it said
        self.last_request: object = None  # for the app's `warm_for`, once idle
        self.spare_deaths = 0
        self.inbuf = bytearray()
        self.out = sys.stdout.buffer.fileno()
        self.wake_r, wake_w = os.pipe()
        os.set_blocking(self.wake_r, False)
        os.set_blocking(wake_w, False)
        signal.set_wakeup_fd(wake_w)
        signal.signal(signal.SIGCHLD, lambda *_: None)
        self.sel.register(0, selectors.EVENT_READ, "control")
        self.sel.register(self.wake_r, selectors.EVENT_READ, "sigchld")

    # -- children -----------------------------------------------------------------------
    def fork(self, spare: bool = False) -> Slot:
        req_r, req_w = os.pipe()
        rep_r, rep_w = os.pipe()
        pid = os.fork()
        if pid == 0:
            from derivlens.sandbox import child

            signal.set_wakeup_fd(-1)
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            child.run(req_r, rep_w, dataclasses.replace(self.config, warm=spare), self.app)
        os.close(req_r)
        os.close(rep_w)
        os.set_blocking(rep_r, False)
        slot = Slot(pid, req_w, rep_r)
        self.slots[pid] = slot
        self.sel.register(rep_r, selectors.EVENT_READ, slot)
        return slot

    def take_child(self) -> Slot:
        return self.spares.popleft() if self.spares else self.fork()

    def refill(self) -> None:
        while self.prefork and len(self.spares) < self.target:
            self.spares.append(self.fork(spare=True))

    def kill(self, slot: Slot) -> None:
        process.kill_group(slot.pid)

    def close_slot(self, slot: Slot) -> None:
        with contextlib.suppress(KeyError, ValueError):
            self.sel.unregister(slot.rep_r)
        for fd in (slot.rep_r, slot.req_w):
            with contextlib.suppress(OSError):
                os.close(fd)
        self.slots.pop(slot.pid, None)

    # -- parent channel -----------------------------------------------------------------
    def send(self, message: channel.FromWorker, *raw: bytes) -> None:
        data = channel.encode(message) + b"".join(protocol.frame(body) for body in raw)
        protocol.write_all(self.out, data)

    def on_control(self) -> bool:
        chunk = os.read(0, 1 << 20)
        if not chunk:
            return False
        self.inbuf += chunk
        while len(self.inbuf) >= protocol.HEADER.size:
            (size,) = protocol.HEADER.unpack_from(self.inbuf)
            if len(self.inbuf) < protocol.HEADER.size + size:
                break
            body = bytes(self.inbuf[protocol.HEADER.size : protocol.HEADER.size + size])
            del self.inbuf[: protocol.HEADER.size + size]
            self.handle(channel.to_worker(body))
        return True

    def handle(self, message: channel.ToWorker) -> None:
        self.quiet_since = time.monotonic()
        if isinstance(message, Run):
            slot = self.take_child()
            slot.id = message.id
            self.last_request = message.job.request
            self.send(Started(slot.id, slot.pid))
            self.set_idle(slot, False)  # the job never runs at idle priority
            exiting = sum(1 for s in self.slots.values() if s.replied)
            idle_exit = exiting < IDLE_EXITS and self.config.wants("idle-exit")
            job = attrs.evolve(message.job, idle_exit=idle_exit)
            # if the child is already dead, its exit status tells the parent
            with contextlib.suppress(OSError):
                protocol.write_all(slot.req_w, channel.encode(job))
            # Took the last spare: the next is forked now, to prepare while this job runs.
            # Else once it is done (`idle_in`): a fork's 5–20 ms of a core slowed the job.
            if self.prefork and not self.spares:
                self.spares.append(self.fork(spare=True))
            self.pace_spares()
        elif isinstance(message, Cancel):
            for slot in list(self.slots.values()):
                if slot.id == message.id:
                    self.kill(slot)

    # -- child replies and deaths -------------------------------------------------------
    def on_reply(self, slot: Slot) -> bool:
        """Read what the child wrote; False when nothing more is there for now."""
        try:
            chunk = os.read(slot.rep_r, 1 << 20)
        except OSError as exc:
            if exc.errno == errno.EAGAIN:
                return False
            chunk = b""
        if not chunk:
            slot.eof = True
            with contextlib.suppress(KeyError, ValueError):
                self.sel.unregister(slot.rep_r)
            if len(slot.frames) == 2:
                self.report(slot)
            return False
        if slot.replied:
            return True
        if len(slot.frames) == 2:
            slot.extra = True  # written after the reply: the reply is not to be trusted
            self.report(slot)
            return True
        slot.buf += chunk
        while len(slot.frames) < 2 and len(slot.buf) >= protocol.HEADER.size:
            (size,) = protocol.HEADER.unpack_from(slot.buf)
            limit = MAX_STATUS_BYTES if not slot.frames else protocol.MAX_REPLY_BYTES
            if size > limit:
                self.kill(slot)
                slot.replied = True
                what = "status" if not slot.frames else "reply"
                if slot.id is not None:
                    self.send(TooLarge(slot.id, f"a {what} of {size / 2**20:.0f} MB"))
                return True
            if len(slot.buf) < protocol.HEADER.size + size:
                break
            slot.frames.append(bytes(slot.buf[protocol.HEADER.size : protocol.HEADER.size + size]))
            del slot.buf[: protocol.HEADER.size + size]
        if len(slot.frames) == 2:
            if slot.buf:
                slot.extra = True
                self.report(slot)
            elif slot.deadline is None:
                slot.deadline = time.monotonic() + LINGER
        return True

    def report(self, slot: Slot, status: int | None = None) -> None:
        """Relay what the child sent (and how it ended, if it has); it is done."""
        if slot.replied:
            return
        slot.replied = True
        self.quiet_since = time.monotonic()
        code = sig = None
        if status is not None:
            code = os.WEXITSTATUS(status) if os.WIFEXITED(status) else None
            sig = os.WTERMSIG(status) if os.WIFSIGNALED(status) else None
        self.kill(slot)  # one request per child: it has nothing left to do
        if slot.id is not None:
            done = Done(slot.id, slot.pid, len(slot.frames), slot.extra, code, sig)
            self.send(done, *slot.frames)
        slot.frames, slot.buf = [], bytearray()
        self.pace_spares()

    def pace_spares(self) -> None:
        """Spares at idle priority while a job runs, else normal: what they prepare only
        speeds their own job up; it must not take CPU time from the job or the server."""
        busy = bool(self.running())
        for slot in self.spares:
            self.set_idle(slot, busy)

    def set_idle(self, slot: Slot, idle: bool) -> None:
        if not self.idle_spares or slot.idle == idle:
            return
        with contextlib.suppress(OSError):  # it may be gone
            (process.idle_priority if idle else process.normal_priority)(slot.pid)
            slot.idle = idle

    def linger(self) -> float | None:
        """Kill children that keep their pipe open after replying; the next deadline."""
        now, soonest = time.monotonic(), None
        for slot in list(self.slots.values()):
            if slot.deadline is None or slot.replied:
                continue
            if now >= slot.deadline:
                slot.extra = True  # someone holds a copy of the pipe: not the child's runner
                self.report(slot)
            else:
                soonest = min(soonest or slot.deadline, slot.deadline)
        return None if soonest is None else max(0.0, soonest - now)

    def on_sigchld(self) -> None:
        with contextlib.suppress(OSError):
            while os.read(self.wake_r, 4096):
                pass
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            slot = self.slots.get(pid)
            if slot is not None:
                self.on_exit(slot, status)

    def on_exit(self, slot: Slot, status: int) -> None:
        """The child is gone: take what it left in the pipe, then report and replace it."""
        while not slot.eof and self.on_reply(slot):
            pass
        if slot in self.spares:
            self.spares.remove(slot)
            self.spare_deaths += 1
            if self.spare_deaths >= 3:
                self.prefork = False  # spares keep dying: fork on demand from now on
        elif not slot.replied and slot.id is not None:
            self.report(slot, status)
        self.close_slot(slot)
        self.pace_spares()

    # -- idle work: spares, the later warm-up ------------------------------------------
    def idle_in(self) -> float | None:
        """Seconds until idle work may run (None: there is none): forking spares up to
        the target (or to replace stale ones), then the later warm-up's steps, then
        learning from the last request (`learn`). All wait until no job runs and no
        request came for a moment: a fork blocks the worker and a spare's preparation
        takes a core, so right after a reply they would slow the next request of a
        quick sequence (a cursor moving, a slider dragged). A job that takes the last
        spare forks its replacement as it is handed over instead (see `handle`)."""
        if self.prefork and (len(self.spares) < self.target or self.replacing()):
            quiet = IDLE_BEFORE_REFILL
        elif self.later is not None or self.learning():
            quiet = IDLE_BEFORE_WARM
        else:
            return None
        if any(s.id is not None and not s.replied for s in self.slots.values()):
            return IDLE_POLL  # a job is running: look again soon
        return max(0.0, self.quiet_since + quiet - time.monotonic())

    def idle_work(self) -> None:
        if self.prefork and len(self.spares) < self.target:
            self.spares.append(self.fork(spare=True))
        elif self.prefork and self.replacing():
            self.replace_stale()
        elif self.later is not None:
            self.warm_step()
        elif self.learning():
            self.learn()

    def learning(self) -> bool:
        """Whether the app's `warm_for` has a request to learn from (once warm)."""
        ready = self.later is None and self.measuring is None
        return ready and self.config.wants("learn") and self.last_request is not None

    def learn(self) -> None:
        """The app's `warm_for(request)` for the last request (in the parent's words: no
        user code runs here); if it made something new, the spares are replaced by
        ones that have it."""
        request, self.last_request = self.last_request, None
        try:
            new = bool(self.app.warm_for(request))
        except Exception as exc:  # it only speeds later requests up
            print(f"derivlens sandbox: warm_for failed: {exc!r}", file=sys.stderr)
            new = False
        if new:
            self.stale = {slot.pid for slot in self.spares}

    def replacing(self) -> bool:
        """Whether a spare lacks what the worker made since its fork (the later warm-up,
        the pages to copy, what `learn` laid out), with no measurement under way."""
        return self.measuring is None and any(s.pid in self.stale for s in self.spares)

    def replace_stale(self) -> None:
        """One stale spare makes way for a new one."""
        slot = next(s for s in self.spares if s.pid in self.stale)
        self.spares.remove(slot)
        self.stale.discard(slot.pid)
        self.kill(slot)
        self.refill()

    def warm_step(self) -> None:
        """One step of `later_steps`. After the last, the spares forked before are to be
        replaced (they lack what it made), once a measuring child has found the pages a
        job writes (see `prefault`), which later spares copy while they wait."""
        assert self.later is not None
        try:
            next(self.later)
            return
        except StopIteration:
            pass
        except Exception as exc:  # the later warm-up only speeds things up
            print(f"derivlens sandbox: later warm-up failed: {exc!r}", file=sys.stderr)
        self.later = None
        if self.config.wants("prefault"):
            pid, pipe = prefault.fork_measurer(self.app.warm_child)
            self.measuring = (pid, pipe, bytearray())
            self.sel.register(pipe, selectors.EVENT_READ, "measure")
        else:  # without a measurement (`on_measure` marks them), the spares are stale now
            self.stale = {slot.pid for slot in self.spares}

    def later_steps(self) -> Iterator[object]:
        """The app's `warm_later`, a garbage collection freeze, then the worker's memory
        in huge pages (see `hugepages`): forks and exits cost less from then on."""
        yield from self.app.warm_later()
        gc.freeze()
        if self.config.wants("hugepages"):
            yield from hugepages.collapse_steps()

    def on_measure(self) -> None:
        """Read the measuring child's answer; at its end, later spares copy those pages
        and the ones forked before are replaced (see `replacing`)."""
        assert self.measuring is not None
        _, pipe, got = self.measuring
        try:
            chunk = os.read(pipe, 1 << 16)
        except BlockingIOError:
            return
        got += chunk
        if chunk and len(got) <= protocol.MAX_REPLY_BYTES:
            return
        self.sel.unregister(pipe)
        os.close(pipe)  # the child exits by itself (and is reaped with the others)
        self.measuring = None
        ranges = prefault.parse(bytes(got)) if not chunk else []
        self.config = dataclasses.replace(self.config, prefault=ranges)
        self.stale = {slot.pid for slot in self.spares}

    # -- main loop ----------------------------------------------------------------------
    def serve(self, probe: ChildStatus) -> None:
        self.refill()
        self.send(Ready(self.prefork, probe.layers, probe.notes))
        while True:
            waits = (self.linger(), self.idle_in(), self.tasks_in())
            timeouts = [t for t in waits if t is not None]
            for key, _ in self.sel.select(min(timeouts) if timeouts else None):
                if key.data == "control":
                    if not self.on_control():
                        return
                elif key.data == "sigchld":
                    self.on_sigchld()
                elif key.data == "measure":
                    self.on_measure()
                elif isinstance(key.data, Slot):
                    self.on_reply(key.data)
            self.cap_tasks()
            if self.idle_in() == 0.0:
                self.idle_work()

    # -- the cap on a child's threads (see layers/tasks.py) --------------------------------
    def running(self) -> list[Slot]:
        return [s for s in self.slots.values() if s.id is not None and not s.replied]

    def tasks_in(self) -> float | None:
        """While a job runs, look at its threads this often."""
        return tasks.POLL_SECONDS if self.running() else None

    def cap_tasks(self) -> None:
        """Kill a running child with more threads than `tasks.CAP`."""
        for slot in self.running():
            if tasks.over_cap(slot.pid):
                self.kill(slot)

    def shutdown(self) -> None:
        for slot in list(self.slots.values()):
            self.kill(slot)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m derivlens.sandbox.worker")
    parser.add_argument("--app", required=True, help="the application module (see application.py)")
    parser.add_argument("--no-prefork", action="store_true")
    parser.add_argument("--spares", type=int, default=2, help="children kept forked ahead")
    parser.add_argument("--without", action="append", default=[], help="a layer to turn off")
    args = parser.parse_args(argv)
    # protocol frames own fd 1: anything printed by imports goes to stderr instead
    out = os.dup(1)
    os.dup2(2, 1)
    sys.stdout = open(out, "w", closefd=False)  # noqa: SIM115 - lives as long as the process

    process.set_dumpable(False)  # children may not read our /proc entries
    app = load_app(args.app)
    preload_layers()
    home = os.environ.get("HOME", os.getcwd())
    config = ChildConfig(read_paths(home, app), {name: False for name in args.without})
    gc.freeze()  # no collection first: a pass over torch's objects costs ~130 ms at start
    probe = probe_layers(config, app)
    required = tuple(name for name in CHILD_LAYERS if name in probe.layers)
    config = dataclasses.replace(config, required=required)
    worker = Worker(config, prefork=not args.no_prefork, app=app, spares=max(1, args.spares))
    try:
        worker.serve(probe)
    finally:
        worker.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
