"""Copying a job's pages ahead (`sandbox.prefault`): which pages, and that it holds.

Each case runs in a forked child, as the worker's children do: a page is shared with
the parent until the child writes it, and the count of minor faults shows the copies.
"""

from __future__ import annotations

import ctypes
import mmap
import resource

import pytest

from derivlens.sandbox import prefault
from tests.helpers import in_child

PAGES = 256
#: Faults a child takes anyway while it counts (its own objects, the interpreter's).
INCIDENTAL = 16


def address(buffer: mmap.mmap) -> int:
    return ctypes.addressof((ctypes.c_char * len(buffer)).from_buffer(buffer))


def shared_buffer(pages: int = PAGES) -> tuple[mmap.mmap, int]:
    """A private mapping of `pages` pages, written here so that a child shares them."""
    buffer = mmap.mmap(-1, pages * mmap.PAGESIZE, flags=mmap.MAP_PRIVATE)
    buffer.write(b"x" * len(buffer))
    return buffer, address(buffer)


def faults_writing(buffer: mmap.mmap) -> int:
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for page in range(PAGES):
        buffer[page * mmap.PAGESIZE] = 1
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before


def test_writing_shared_pages_copies_each_one() -> None:
    buffer, _ = shared_buffer()
    assert int(in_child(lambda: faults_writing(buffer))) >= PAGES


def test_pages_copied_ahead_take_no_fault_when_written() -> None:
    buffer, start = shared_buffer()

    def copy_then_write() -> int:
        copied = prefault.populate([(start, PAGES * mmap.PAGESIZE)], lambda: False)
        if copied is None:
            return -1
        return faults_writing(buffer)

    faults = int(in_child(copy_then_write))
    if faults == -1:
        pytest.fail("MADV_POPULATE_WRITE is not supported by this kernel (Linux 5.14+)")
    assert faults < INCIDENTAL


def test_a_stop_ends_the_copying_after_one_chunk() -> None:
    big, start = shared_buffer(4 * prefault.CHUNK_PAGES)
    copied = int(in_child(lambda: prefault.populate([(start, len(big))], lambda: True) or 0))
    assert copied == prefault.CHUNK_PAGES


def test_unmapped_ranges_are_skipped() -> None:
    """A range the measured child had but this one has not (its own allocation)."""
    size = PAGES * mmap.PAGESIZE
    gone = ctypes.CDLL(None).mmap
    gone.restype = ctypes.c_void_p
    gone.argtypes = (ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int,
                     ctypes.c_int, ctypes.c_long)  # fmt: skip
    libc = ctypes.CDLL(None)
    libc.munmap.argtypes = (ctypes.c_void_p, ctypes.c_size_t)
    flags = mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS
    buffer, kept = shared_buffer()  # first: it would take the address unmapped below
    start = gone(None, size, mmap.PROT_READ | mmap.PROT_WRITE, flags, -1, 0)
    assert libc.munmap(start, size) == 0
    copied = int(
        in_child(lambda: prefault.populate([(start, size), (kept, size)], lambda: False) or 0)
    )
    assert copied == PAGES
    del buffer


def test_the_written_pages_are_found_and_the_others_are_not() -> None:
    written, written_start = shared_buffer()
    untouched, untouched_start = shared_buffer()
    size = PAGES * mmap.PAGESIZE

    def write_then_measure() -> int:
        for page in range(PAGES):
            written[page * mmap.PAGESIZE] = 2
        assert untouched[0] == ord("x")  # read, not written
        ranges = prefault.written_ranges()

        def covered(start: int) -> int:
            return sum(
                max(0, min(s + n, start + size) - max(s, start)) // mmap.PAGESIZE for s, n in ranges
            )

        return covered(written_start) * 10_000 + covered(untouched_start)

    answer = int(in_child(write_then_measure))
    assert answer // 10_000 == PAGES  # every written page
    assert answer % 10_000 == 0  # none of the pages only read


@pytest.mark.parametrize(
    "data",
    [b"", b"not json", b'{"a": 1}', b"[[1, 4096]]", b"[[4096, 0]]", b"[[4096, 100]]", b"[[4096]]"],
)
def test_a_malformed_measurement_copies_nothing(data: bytes) -> None:
    assert prefault.parse(data) == []


def test_a_measurement_is_read_back() -> None:
    assert prefault.parse(b"[[8192, 4096], [16384, 8192]]") == [(8192, 4096), (16384, 8192)]
