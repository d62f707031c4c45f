"""Resource limits: CPU seconds, address space, no core files, no file growth, few fds."""

from __future__ import annotations

import math
import os
import sys

from derivlens.sandbox.layers import LayerUnavailable

MB = 1024 * 1024


def current_vm_bytes() -> int:
    """The process's present virtual size: RLIMIT_AS is set relative to it."""
    with open("/proc/self/statm", "rb") as f:
        pages = int(f.read().split()[0])
    return pages * os.sysconf("SC_PAGE_SIZE")


def apply(cpu_seconds: float, memory_mb: int) -> None:
    """Limit this process; `memory_mb` is headroom on top of what the warm process maps."""
    try:
        import resource
    except ImportError as exc:  # Windows
        raise LayerUnavailable("the resource module is not available on this platform") from exc
    used = resource.getrusage(resource.RUSAGE_SELF)
    cpu = math.ceil(used.ru_utime + used.ru_stime + cpu_seconds)
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))
    resource.setrlimit(resource.RLIMIT_NOFILE, (64, 64))
    if sys.platform.startswith("linux"):
        limit = current_vm_bytes() + memory_mb * MB
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    elif hasattr(resource, "RLIMIT_DATA"):
        resource.setrlimit(resource.RLIMIT_DATA, (memory_mb * MB, memory_mb * MB))
