"""Resource limits: CPU seconds, address space, no core files, no file growth, few fds.

And no capabilities: a child of a root server without a user namespace would otherwise
keep CAP_SYS_RESOURCE (and raise its limits again), CAP_SYS_PTRACE (and open the
worker's /proc entries), CAP_KILL, CAP_SYS_NICE and the rest. Dropping them is always
allowed; in a user namespace they were good for that namespace only anyway.

And an exit handler: C code that calls exit() for want of memory (libgomp when a thread
cannot start) makes the child reply kind `memory` instead of dying with a status.
"""

from __future__ import annotations

import ctypes
import math
import os
import sys
from collections.abc import Callable
from typing import Any

from derivlens.sandbox.layers import LayerUnavailable

MB = 1024 * 1024
#: A library that exits while the address space is this close to RLIMIT_AS exited
#: because it could not get memory (a thread's 8 MiB stack, say).
NEAR_LIMIT = 64 * MB


def current_vm_bytes() -> int:
    """The process's present virtual size: RLIMIT_AS is set relative to it."""
    with open("/proc/self/statm", "rb") as f:
        pages = int(f.read().split()[0])
    return pages * os.sysconf("SC_PAGE_SIZE")


def _at_most(resource: Any, which: int, soft: int, hard: int) -> None:
    """Set a limit, never above the hard limit already there (lowering is always allowed)."""
    _, present = resource.getrlimit(which)
    if present != resource.RLIM_INFINITY:
        hard = min(hard, present)
        soft = min(soft, hard)
    resource.setrlimit(which, (soft, hard))


def apply(cpu_seconds: float, memory_mb: int) -> None:
    """Limit this process; `memory_mb` is headroom on top of what the warm process maps.

    Memory and CPU come first and never fail on a lower hard limit already in place (a
    server started under `ulimit -v` gets that limit); a failure of the last ones (the
    descriptors) leaves those set, and the child reports the layer missing.
    """
    try:
        import resource
    except ImportError as exc:  # Windows
        raise LayerUnavailable("the resource module is not available on this platform") from exc
    if sys.platform.startswith("linux"):
        limit = current_vm_bytes() + memory_mb * MB
        _at_most(resource, resource.RLIMIT_AS, limit, limit)
    elif hasattr(resource, "RLIMIT_DATA"):
        _at_most(resource, resource.RLIMIT_DATA, memory_mb * MB, memory_mb * MB)
    used = resource.getrusage(resource.RUSAGE_SELF)
    cpu = math.ceil(used.ru_utime + used.ru_stime + cpu_seconds)
    _at_most(resource, resource.RLIMIT_CPU, cpu, cpu + 1)
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))
    resource.setrlimit(resource.RLIMIT_NOFILE, (64, 64))
    if sys.platform.startswith("linux"):
        drop_capabilities()
        _handle_exits()


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [
        ("effective", ctypes.c_uint32),
        ("permitted", ctypes.c_uint32),
        ("inheritable", ctypes.c_uint32),
    ]


def drop_capabilities() -> None:
    """Empty this process's effective, permitted and inheritable capability sets."""
    libc = ctypes.CDLL(None, use_errno=True)
    header = _CapHeader(0x20080522, 0)  # _LINUX_CAPABILITY_VERSION_3, this process
    if libc.capset(ctypes.byref(header), (_CapData * 2)()) != 0:
        raise OSError(ctypes.get_errno(), f"capset: {os.strerror(ctypes.get_errno())}")


def near_the_limit() -> bool:
    """Whether the address space is within `NEAR_LIMIT` of its RLIMIT_AS."""
    import resource

    soft, _ = resource.getrlimit(resource.RLIMIT_AS)
    return soft != resource.RLIM_INFINITY and soft - current_vm_bytes() < NEAR_LIMIT


_report: list[Callable[[], None]] = []


@ctypes.CFUNCTYPE(None, ctypes.c_int, ctypes.c_void_p)
def _at_exit(status: int, _arg: Any) -> None:
    """The C library's exit handler (made at import, in the worker: a child would need
    executable memory for it)."""
    if _report and status != 0 and near_the_limit():
        _report[0]()


def report_exits_at_the_limit(report: Callable[[], None]) -> None:
    """Call `report` (which does not return) if C code calls exit() with a failure status
    while memory is full: libgomp does so when a thread of its pool cannot start (torch's
    `set_num_threads(1000)`), instead of raising. Out of memory in that form too is kind
    `memory` (docs/protocol.md); other exits keep their status. (The handler itself was given to
    the C library by `apply`, before the audit hook that refuses ctypes.)"""
    _report[:] = [report]


def _handle_exits() -> None:
    # fails only when the C library has no memory for it: then such exits keep their status
    ctypes.CDLL(None).on_exit(_at_exit, None)
