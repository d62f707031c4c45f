"""The warm worker's memory in 2 MB pages, so that forking it and a child's exit cost less.

A fork copies a page-table entry for every 4 KB page of the worker's private memory
(~180 MB after torch and matplotlib: ~45,000 entries, ~8 ms here), and a child's exit
removes them again (~10 ms). Collapsed into transparent huge pages
(`madvise(MADV_COLLAPSE)`, Linux 6.1+), the same memory is a few hundred entries: a
fork then takes ~2.5 ms and an exit ~5 ms. A child that writes to such a page gets a
4 KB copy as before (the kernel splits the 2 MB mapping in that process first), so
what a child computes and how much memory it copies do not change.

Only `MADV_COLLAPSE` is used, not `MADV_HUGEPAGE`: pages faulted in later stay 4 KB, so
a child never zero-fills 2 MB for a small allocation. Where the kernel cannot (THP off,
an older kernel, memory too fragmented) nothing changes.
"""

from __future__ import annotations

import ctypes
import os
from collections.abc import Iterator

MADV_COLLAPSE = 25
HUGE = 2 << 20


def _private_anonymous(line: str) -> tuple[int, int] | None:
    """The 2 MB-aligned part of a writable private mapping of no file (heap or anonymous)."""
    fields = line.split()
    perms, name = fields[1], fields[5] if len(fields) > 5 else ""
    if perms[:2] != "rw" or perms[3] != "p" or name not in ("", "[heap]"):
        return None
    lo, hi = (int(x, 16) for x in fields[0].split("-"))
    start, end = -(-lo // HUGE) * HUGE, hi // HUGE * HUGE
    return (start, end) if end > start else None


def collapse_steps(per_step: int = 4) -> Iterator[int]:
    """Collapse this process's private anonymous memory into huge pages, `per_step` at a
    time (~6 ms each here), yielding the bytes done so far after each step: the worker
    runs them while idle, as a request may come."""
    if not os.path.exists("/sys/kernel/mm/transparent_hugepage/enabled"):
        return
    madvise = ctypes.CDLL(None, use_errno=True).madvise
    madvise.argtypes = (ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int)
    with open("/proc/self/maps") as maps:
        spans = [span for line in maps.readlines() if (span := _private_anonymous(line))]
    done = tried = 0
    for start, end in spans:
        for at in range(start, end, HUGE):  # one at a time: a region may be partly unfit
            if madvise(at, HUGE, MADV_COLLAPSE) == 0:
                done += HUGE
            tried += 1
            if tried % per_step == 0:
                yield done
    yield done
