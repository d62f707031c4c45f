"""The pages a job writes, learned once and copied ahead in every spare.

A forked child shares its parent's memory until it writes to a page; each first write
then costs a copy-on-write fault. A job here writes ~3,000 pages (~12 MB: reference
counts all over the heap, the figures' buffers), ~15–30 ms of faults on this kind of
virtual machine. Running a whole warm-up evaluation in each spare moves those faults
before the job, but takes ~60 ms of a core and cannot stop half way, so a spare taken
at once (requests in quick succession) gets nothing of it.

Instead, once the worker is fully warm, one measuring child (no user code, no layers)
runs the application's `warm_child` and reads which of its pages became its own
(`/proc/self/pagemap`: present and exclusively mapped). Every spare forked after that
copies those pages with `madvise(MADV_POPULATE_WRITE)` (Linux 5.14+), a few hundred
pages per call, stopping as soon as its job arrives: ~15 ms of a core, while the job
before it runs. Nothing is written to the pages, so what a job computes cannot change,
only when the copies are made. Where the call is not supported (or the measurement
failed) a spare runs `warm_child` itself, as before.
"""

from __future__ import annotations

import ctypes
import errno
import json
import os
from collections.abc import Callable, Iterable, Iterator

PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096
MADV_POPULATE_WRITE = 23
PRESENT = 1 << 63
EXCLUSIVE = 1 << 56
#: Pages copied per `madvise` call between looks for a job (~0.5 ms here).
CHUNK_PAGES = 256
#: Page entries read at a time (a small buffer: the reading writes few pages itself).
READ_PAGES = 4096
#: Runs of written pages closer than this are copied as one (fewer calls).
JOIN_GAP_PAGES = 4

Ranges = list[tuple[int, int]]  # (start address, length in bytes)
#: Pages this process copied ahead (for the tests: a job can see its spare was ready).
copied_ahead = 0


def _writable_private(maps_line: str) -> tuple[int, int] | None:
    fields = maps_line.split()
    perms = fields[1]
    name = fields[5] if len(fields) > 5 else ""
    if perms[1] != "w" or perms[3] != "p" or name in ("[vvar]", "[vdso]", "[vsyscall]"):
        return None
    lo, hi = (int(x, 16) for x in fields[0].split("-"))
    return lo, hi


def written_ranges() -> Ranges:
    """In a child that ran a typical job: its own pages, as joined runs."""
    runs: Ranges = []
    with open("/proc/self/maps") as maps, open("/proc/self/pagemap", "rb", buffering=0) as pm:
        for line in maps.readlines():
            span = _writable_private(line)
            if span is None:
                continue
            for start in range(span[0], span[1], READ_PAGES * PAGE):
                pages = min(READ_PAGES, (span[1] - start) // PAGE)
                pm.seek(start // PAGE * 8)
                runs.extend(_runs(start, memoryview(pm.read(pages * 8)).cast("Q")))
    return _join(runs)


def _runs(lo: int, entries: memoryview) -> Iterable[tuple[int, int]]:
    start = None
    for i, entry in enumerate(entries):
        own = entry & PRESENT and entry & EXCLUSIVE
        if own and start is None:
            start = i
        elif not own and start is not None:
            yield lo + start * PAGE, (i - start) * PAGE
            start = None
    if start is not None:
        yield lo + start * PAGE, (len(entries) - start) * PAGE


def _join(runs: Ranges) -> Ranges:
    joined: Ranges = []
    for start, length in sorted(runs):
        if joined and start - sum(joined[-1]) <= JOIN_GAP_PAGES * PAGE:  # sum: its end
            first, _ = joined[-1]
            joined[-1] = (first, max(start + length, sum(joined[-1])) - first)
        else:
            joined.append((start, length))
    return joined


def populate(ranges: Ranges, stop: Callable[[], bool]) -> int | None:
    """Copy the pages of `ranges` now, a chunk at a time until `stop()`: the number of
    pages copied, or None if the kernel cannot (then nothing was done)."""
    libc = ctypes.CDLL(None, use_errno=True)
    madvise = libc.madvise
    madvise.argtypes = (ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int)
    global copied_ahead
    step = CHUNK_PAGES * PAGE
    for start, length in ranges:
        for offset in range(0, length, step):
            size = min(step, length - offset)
            if madvise(start + offset, size, MADV_POPULATE_WRITE) != 0:
                if ctypes.get_errno() == errno.EINVAL and not copied_ahead:
                    return None  # before Linux 5.14
                break  # not mapped here (a page the measured job allocated itself)
            copied_ahead += size // PAGE
            if stop():
                return copied_ahead
    return copied_ahead


# --- the measuring child --------------------------------------------------------------


def fork_measurer(warm: Callable[[], object]) -> tuple[int, int]:
    """Fork the child that runs `warm` and writes its own pages' ranges as one JSON
    list to a pipe: (its pid, the read end). It runs only the application's code."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        code = 0
        try:
            os.close(read)
            steps = warm()
            if isinstance(steps, Iterator):
                for _ in steps:
                    pass
            data = json.dumps(written_ranges()).encode()
            view = memoryview(data)
            while view:
                view = view[os.write(write, view) :]
        except BaseException:
            code = 70
        os._exit(code)
    os.close(write)
    os.set_blocking(read, False)
    return pid, read


def parse(data: bytes) -> Ranges:
    """The measuring child's answer, checked (an empty list if it is not well formed)."""
    try:
        runs = json.loads(data)
        ranges = [(int(start), int(length)) for start, length in runs]
    except (ValueError, TypeError):
        return []
    ok = all(start % PAGE == 0 and length > 0 and length % PAGE == 0 for start, length in ranges)
    return ranges if ok else []
