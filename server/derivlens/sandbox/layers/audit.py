"""A PEP 578 audit hook: clear words for the common refusals. Not a boundary.

CPython says audit hooks cannot contain code that wants out (and some paths raise no
event at all: `torch.save`, `_posixsubprocess`); seccomp and Landlock do the containing.
This hook only makes the usual attempts fail early, with a message naming the thing
("start a process (os.system)"), and remembers the first refusal for the reply.

Writing beneath the child's private folder (`writable`, see `private_tmp`) is allowed.
A refusal that library code reaches in passing (`origin.Origin`) is not remembered and
raises a plain PermissionError (EACCES), as a locked-down machine would, so that the
library's own fallback runs; the user's own are `blocked`.
"""

from __future__ import annotations

import errno
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any

from derivlens.sandbox.layers.origin import Origin


class SandboxRefusal(PermissionError):
    """Raised inside user code when the sandbox refuses an operation."""


PROCESS = "start a process"
NETWORK = "use the network"
SOCKET = "open a socket"
WRITE = "write to a file"
CHANGE = "change the file system"
SIGNAL = "send a signal to another process"
OTHER = "act on another process"
CTYPES = "call C code through ctypes"
READ = "read a file outside Python and your project"

_EVENTS: dict[str, str] = {
    "os.system": PROCESS,
    "os.exec": PROCESS,
    "os.posix_spawn": PROCESS,
    "os.spawn": PROCESS,
    "os.fork": PROCESS,
    "os.forkpty": PROCESS,
    "os.startfile": PROCESS,
    "pty.spawn": PROCESS,
    "subprocess.Popen": PROCESS,
    "socket.__new__": SOCKET,
    "socket.connect": NETWORK,
    "socket.bind": NETWORK,
    "socket.sendto": NETWORK,
    "socket.sendmsg": NETWORK,
    "socket.getaddrinfo": NETWORK,
    "socket.gethostbyname": NETWORK,
    "urllib.Request": NETWORK,
    "http.client.connect": NETWORK,
    "ftplib.connect": NETWORK,
    "smtplib.connect": NETWORK,
    "webbrowser.open": PROCESS,
    "os.remove": CHANGE,
    "os.rename": CHANGE,
    "os.mkdir": CHANGE,
    "os.rmdir": CHANGE,
    "os.chmod": CHANGE,
    "os.chown": CHANGE,
    "os.link": CHANGE,
    "os.symlink": CHANGE,
    "os.truncate": CHANGE,
    "os.utime": CHANGE,
    "os.mkfifo": CHANGE,
    "os.mknod": CHANGE,
    "shutil.rmtree": CHANGE,
    "shutil.copyfile": WRITE,
    "shutil.move": CHANGE,
    "resource.prlimit": OTHER,
    "os.kill": SIGNAL,
    "os.killpg": SIGNAL,
    "signal.pthread_kill": SIGNAL,
    "ctypes.dlopen": CTYPES,
    "ctypes.dlsym": CTYPES,
    "ctypes.dlsym/handle": CTYPES,
    "ctypes.call_function": CTYPES,
    "ctypes.cdata": CTYPES,
    "sys.remote_exec": PROCESS,
}

#: Changes that may be made beneath the private folder: the events and which of their
#: arguments are paths (each with the index of its dir_fd argument, or None).
_WRITABLE_EVENTS: dict[str, tuple[tuple[int, int | None], ...]] = {
    "os.mkdir": ((0, 2),),
    "os.remove": ((0, 1),),
    "os.rmdir": ((0, 1),),
    "os.rename": ((0, 2), (1, 3)),
    "shutil.rmtree": ((0, 1),),
    "shutil.copyfile": ((1, None),),
    "shutil.move": ((0, None), (1, None)),
}

_WRITE_MODE = frozenset("wax+")
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | getattr(os, "O_APPEND", 0)


def _short(value: Any) -> str:
    text = os.fsdecode(value) if isinstance(value, str | bytes) else repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _beneath(folder: str, path: Any, dir_fd: Any = None) -> bool:
    """Whether `path` (relative to `dir_fd` if one is given) is beneath `folder`."""
    if not isinstance(path, str | bytes):
        return False
    name = os.fsdecode(path)
    if isinstance(dir_fd, int) and dir_fd >= 0 and not os.path.isabs(name):  # -1: none
        name = os.path.join(f"/proc/self/fd/{dir_fd}", name)
    try:
        real = os.path.realpath(name)
    except (OSError, ValueError):
        return False
    return real == folder or real.startswith(folder + "/")


def _changes_beneath(folder: str, event: str, args: tuple[Any, ...]) -> bool:
    """Whether file-change `event` touches only paths beneath `folder`."""
    spots = _WRITABLE_EVENTS.get(event)
    if spots is None:
        return False
    padded = (*args, None, None, None, None)
    return all(_beneath(folder, padded[i], padded[d] if d is not None else None) for i, d in spots)


def make_hook(
    refusals: list[tuple[str, str]],
    readable: Sequence[str] | None,
    pid: int,
    writable: str | None = None,
    origin: Origin | None = None,
) -> Callable[[str, tuple[Any, ...]], None]:
    """The hook; `readable` lists the path prefixes Landlock lets us read (None: no check),
    `writable` the private folder (None: nothing is writable), `origin` tells a library's
    operations from the user's (None: every refusal is the user's)."""
    events = dict(_EVENTS)
    prefixes = tuple(p.rstrip("/") + "/" for p in readable) if readable is not None else None
    exact = frozenset(p.rstrip("/") or "/" for p in readable) if readable is not None else None
    realpath = os.path.realpath

    def refuse(what: str, detail: str) -> None:
        if origin is not None and not origin.users(sys._getframe(2)):
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), detail)
        if not refusals:
            refusals.append((what, detail))
        raise SandboxRefusal(f"derivlens sandbox: your function may not {what} ({detail})")

    def hook(event: str, args: tuple[Any, ...]) -> None:
        if event == "open":
            path, mode, flags = [*args, None, None, None][:3]
            writing = (isinstance(mode, str) and not _WRITE_MODE.isdisjoint(mode)) or (
                isinstance(flags, int) and flags & _WRITE_FLAGS
            )
            mine = writable is not None and (isinstance(path, int) or _beneath(writable, path))
            if writing and mine:
                return  # an fd it opened already (os.fdopen), or its private folder
            if writing:
                refuse(WRITE, f"open {_short(path)!s} for writing")
            if prefixes is not None and isinstance(path, str | bytes):
                try:
                    real = realpath(os.fsdecode(path))
                except OSError:  # a link it may not even read (another process's /proc)
                    real = os.path.abspath(os.fsdecode(path))
                if real not in exact and not real.startswith(prefixes):  # type: ignore[operator]
                    refuse(READ, f"open {_short(path)}")
            return
        what = events.get(event)
        if what is None:
            return
        if writable is not None and _changes_beneath(writable, event, args):
            return
        if what is SIGNAL and args and args[0] in (pid, 0) and event != "os.killpg":
            return  # signalling ourselves (raise, alarm-like tricks) is harmless
        if what is OTHER and args and args[0] in (pid, 0):
            return  # our own limits
        if what is OTHER and args:
            detail = f"{event}(pid {_short(args[0])})"
            refuse(what, detail)
        if event == "socket.__new__" and len(args) > 1:
            detail = f"socket.socket(family={_short(args[1])})"
        elif event in ("os.system",):
            detail = f"os.system({_short(args[0])})" if args else event
        elif event == "subprocess.Popen" and len(args) > 1:
            detail = f"subprocess, {_short(args[1])}"
        else:
            detail = event
        refuse(what, detail)

    return hook


def install(hook: Callable[[str, tuple[Any, ...]], None]) -> None:
    sys.addaudithook(hook)
