"""The warm worker: imports the application once, then forks a child per request.

Started by `Sandbox` as `python -m derivlens.sandbox.worker --app MODULE` with an
allow-listed environment. MODULE is the application (see `derivlens.sandbox.app`): its
`warm_up()` runs here once, before any fork, so that every child starts with it done.
Talks to the parent over stdin/stdout in length-prefixed JSON frames:

  parent -> worker  {"op": "run", "id", "envelope": {"request", "timeout", "memory_mb",
                                                     "readable", "user_file", "name"}}
                    {"op": "cancel", "id"}
  worker -> parent  {"op": "ready", "prefork"}      once warm
                    {"op": "started", "id", "pid"}  the child's pid (= its process group)
                    {"op": "reply", "id", "pid"} then one raw frame: the child's reply
                    {"op": "exit", "id", "code", "signal"}  died without a reply
                    {"op": "error", "id", "message"}  e.g. a reply over the size cap

One child is kept forked ahead, prepared and waiting (`--no-prefork` turns that off).
The worker never parses a child's reply: it only caps its size and relays it.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import errno
import gc
import importlib
import os
import selectors
import signal
import sys
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from derivlens.sandbox import protocol
from derivlens.sandbox.child import ChildConfig


@dataclass
class Slot:
    """A forked child as the worker sees it."""

    pid: int
    req_w: int
    rep_r: int
    id: int | None = None
    buf: bytearray = field(default_factory=bytearray)
    need: int | None = None  # body size once the header is in
    replied: bool = False
    eof: bool = False


class Worker:
    def __init__(self, config: ChildConfig, prefork: bool, app: ModuleType) -> None:
        self.config = config
        self.app = app
        self.prefork = prefork
        self.sel = selectors.DefaultSelector()
        self.slots: dict[int, Slot] = {}  # pid -> slot
        self.spare: Slot | None = None
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
        slot, self.spare = self.spare, None
        return slot if slot is not None else self.fork()

    def refill(self) -> None:
        if self.prefork and self.spare is None:
            self.spare = self.fork(spare=True)

    def kill(self, slot: Slot) -> None:
        for target in (-slot.pid, slot.pid):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(target, signal.SIGKILL)

    def close_slot(self, slot: Slot) -> None:
        with contextlib.suppress(KeyError, ValueError):
            self.sel.unregister(slot.rep_r)
        for fd in (slot.rep_r, slot.req_w):
            with contextlib.suppress(OSError):
                os.close(fd)
        self.slots.pop(slot.pid, None)

    # -- parent channel -----------------------------------------------------------------
    def send(self, message: dict[str, Any], raw: bytes | None = None) -> None:
        data = protocol.encode(message)
        if raw is not None:
            data += protocol.frame(raw)
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
            self.handle(protocol.decode(body))
        return True

    def handle(self, message: dict[str, Any]) -> None:
        op = message.get("op")
        if op == "run":
            slot = self.take_child()
            slot.id = int(message["id"])
            self.send({"op": "started", "id": slot.id, "pid": slot.pid})
            # if the child is already dead, its exit status tells the parent
            with contextlib.suppress(OSError):
                protocol.write_all(slot.req_w, protocol.encode(message["envelope"]))
        elif op == "cancel":
            for slot in list(self.slots.values()):
                if slot.id == message.get("id"):
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
            return False
        if slot.replied:
            return True
        slot.buf += chunk
        if slot.need is None and len(slot.buf) >= protocol.HEADER.size:
            (slot.need,) = protocol.HEADER.unpack_from(slot.buf)
            if slot.need > protocol.MAX_REPLY_BYTES:
                self.kill(slot)
                slot.replied = True
                mb = slot.need / 2**20
                self.send({"op": "error", "id": slot.id, "message": f"a reply of {mb:.0f} MB"})
                return True
        if slot.need is not None and len(slot.buf) >= protocol.HEADER.size + slot.need:
            body = bytes(slot.buf[protocol.HEADER.size : protocol.HEADER.size + slot.need])
            slot.replied = True
            slot.buf = bytearray()
            self.kill(slot)  # one request per child: it has nothing left to do
            if slot.id is not None:
                self.send({"op": "reply", "id": slot.id, "pid": slot.pid}, body)
        return True

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
        if self.spare is slot:
            self.spare = None
            self.spare_deaths += 1
            if self.spare_deaths >= 3:
                self.prefork = False  # spares keep dying: fork on demand from now on
        elif not slot.replied and slot.id is not None:
            code = os.WEXITSTATUS(status) if os.WIFEXITED(status) else None
            sig = os.WTERMSIG(status) if os.WIFSIGNALED(status) else None
            self.send({"op": "exit", "id": slot.id, "code": code, "signal": sig})
        self.close_slot(slot)
        self.refill()

    # -- main loop ----------------------------------------------------------------------
    def serve(self) -> None:
        self.refill()
        self.send({"op": "ready", "prefork": self.prefork})
        while True:
            for key, _ in self.sel.select():
                if key.data == "control":
                    if not self.on_control():
                        return
                elif key.data == "sigchld":
                    self.on_sigchld()
                elif isinstance(key.data, Slot):
                    self.on_reply(key.data)

    def shutdown(self) -> None:
        for slot in list(self.slots.values()):
            self.kill(slot)


def read_paths(home: str, app: ModuleType) -> list[str]:
    """What children may read: Python, packages, system libraries, our home, and what
    the application says it needs (its data files)."""
    from derivlens.sandbox.layers.landlock_fs import SYSTEM_READ, python_read_paths

    extra = getattr(app, "read_paths", None)
    return [*python_read_paths(), *SYSTEM_READ, home, *(extra() if extra else [])]


def load_app(name: str) -> ModuleType:
    """The application module, warmed up (its imports done, its caches filled)."""
    app = importlib.import_module(name)
    warm_up = getattr(app, "warm_up", None)
    if warm_up is not None:
        warm_up()
    return app


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m derivlens.sandbox.worker")
    parser.add_argument("--app", required=True, help="the application module (run, warm_up)")
    parser.add_argument("--no-prefork", action="store_true")
    parser.add_argument("--without", action="append", default=[], help="a layer to turn off")
    args = parser.parse_args(argv)
    # protocol frames own fd 1: anything printed by imports goes to stderr instead
    out = os.dup(1)
    os.dup2(2, 1)
    sys.stdout = open(out, "w", closefd=False)  # noqa: SIM115 - lives as long as the process

    app = load_app(args.app)
    home = os.environ.get("HOME", os.getcwd())
    config = ChildConfig(read_paths(home, app), {name: False for name in args.without})
    gc.collect()
    gc.freeze()
    worker = Worker(config, prefork=not args.no_prefork, app=app)
    try:
        worker.serve()
    finally:
        worker.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
