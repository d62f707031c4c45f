"""The process controls the sandbox's parent, worker and children share: killing a child's
whole process group, and who may look into a process (`PR_SET_DUMPABLE`)."""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import sys

PR_SET_PDEATHSIG = 1
PR_SET_DUMPABLE = 4
_LIBC = ctypes.CDLL(None, use_errno=True) if sys.platform.startswith("linux") else None


def kill_group(pid: int) -> None:
    """SIGKILL the process group `pid` leads, and `pid` itself (it may not lead one yet,
    if it is killed right after its fork); one already gone is no error."""
    for target in (-pid, pid):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(target, signal.SIGKILL)


def set_dumpable(dumpable: bool) -> None:
    """Whether processes of the same user may read this one's /proc entries (Linux)."""
    if _LIBC is not None:
        _LIBC.prctl(PR_SET_DUMPABLE, int(dumpable), 0, 0, 0)


def die_with_parent(parent: int) -> None:
    """SIGKILL this process when its parent (the worker) dies, and exit now if it already
    has (between the fork and this call), so a child never outlives its worker (Linux).
    The seccomp filter keeps user code from clearing it (layers/seccomp_filter.py)."""
    if _LIBC is not None:
        _LIBC.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:
        os._exit(0)
