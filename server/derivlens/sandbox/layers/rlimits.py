"""Resource limits: CPU seconds, address space, no core files, no file growth, few fds.

And no capabilities: a child of a root server without a user namespace would otherwise
keep CAP_SYS_RESOURCE (and raise its limits again), CAP_SYS_PTRACE (and open the
worker's /proc entries), CAP_KILL, CAP_SYS_NICE and the rest. Dropping them is always
allowed; in a user namespace they were good for that namespace only anyway.
"""

from __future__ import annotations

import ctypes
import math
import os
import sys
from typing import Any

from derivlens.sandbox.layers import LayerUnavailable

MB = 1024 * 1024


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
