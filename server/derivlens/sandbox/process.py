"""The process controls the sandbox's parent, worker and children share: killing a child's
whole process group, who may look into a process (`PR_SET_DUMPABLE`), and a spare's
idle priority (`SCHED_IDLE` while it waits, the normal policy once it has a job)."""

from __future__ import annotations

import contextlib
import ctypes
import os
import re
import resource
import signal
import sys
from pathlib import Path

PR_SET_PDEATHSIG = 1
PR_SET_DUMPABLE = 4
CAP_SYS_NICE = 23
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


def idle_priority(pid: int) -> None:
    """Run `pid` only on CPU time nothing else wants (`SCHED_IDLE`, Linux)."""
    if hasattr(os, "SCHED_IDLE"):
        os.sched_setscheduler(pid, os.SCHED_IDLE, os.sched_param(0))


def normal_priority(pid: int) -> None:
    """Back to the normal policy from `SCHED_IDLE` (the caller needs `may_leave_idle`)."""
    if hasattr(os, "SCHED_OTHER"):
        os.sched_setscheduler(pid, os.SCHED_OTHER, os.sched_param(0))


def may_leave_idle() -> bool:
    """Whether this process may move one of its children back from `SCHED_IDLE` to the
    normal policy: the kernel allows it with CAP_SYS_NICE, or when RLIMIT_NICE lets the
    child's nice value be reached (sched(7)); otherwise a child once idle stays idle.
    (A child in its own user namespace never may itself: it is for the worker to do.)"""
    if not hasattr(os, "SCHED_IDLE"):
        return False
    try:
        status = Path("/proc/self/status").read_text()
    except OSError:
        return False
    found = re.search(r"^CapEff:\s*([0-9a-fA-F]+)", status, re.MULTILINE)
    if found and int(found.group(1), 16) >> CAP_SYS_NICE & 1:
        return True
    soft, _ = resource.getrlimit(resource.RLIMIT_NICE)
    nice = os.getpriority(os.PRIO_PROCESS, 0)
    return soft == resource.RLIM_INFINITY or 20 - nice <= soft
