"""The worker's memory collapsed into huge pages (`sandbox.hugepages`): same contents,
fewer page-table entries, and a child still copies only the 4 KB it writes."""

from __future__ import annotations

import mmap
from pathlib import Path

from derivlens.sandbox import hugepages
from tests.helpers import in_child

SIZE = 16 << 20


def rollup_kb(field: str) -> int:
    for line in Path("/proc/self/smaps_rollup").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    return 0


def anon_huge_kb() -> int:
    return rollup_kb("AnonHugePages")


def test_anonymous_memory_is_collapsed_and_keeps_its_contents() -> None:
    def collapse_a_buffer() -> str:
        buffer = mmap.mmap(-1, SIZE, flags=mmap.MAP_PRIVATE)
        pattern = bytes(range(256)) * (SIZE // 256)
        buffer.write(pattern)
        before = anon_huge_kb()
        done = list(hugepages.collapse_steps())[-1]
        kept = buffer[:] == pattern
        return f"{done} {anon_huge_kb() - before} {kept}"

    done, gained_kb, kept = in_child(collapse_a_buffer).split()
    assert int(done) >= SIZE - 2 * hugepages.HUGE  # the buffer's aligned part at least
    assert int(gained_kb) * 1024 >= SIZE - 2 * hugepages.HUGE
    assert kept == "True"


def test_a_child_writing_a_collapsed_page_copies_4_kb_of_it() -> None:
    """The kernel splits the 2 MB mapping in the child and copies the one page."""

    def collapse_then_fork() -> str:
        buffer = mmap.mmap(-1, SIZE, flags=mmap.MAP_PRIVATE)
        buffer.write(b"x" * SIZE)
        list(hugepages.collapse_steps())

        def write_one_byte() -> str:
            before = rollup_kb("Private_Dirty")
            buffer[SIZE // 2] = ord("y")
            return str(rollup_kb("Private_Dirty") - before)

        grown_kb = in_child(write_one_byte)
        return f"{grown_kb} {buffer[SIZE // 2]}"

    grown_kb, parent_byte = in_child(collapse_then_fork).split()
    assert 0 < int(grown_kb) < 1024  # its own copy of a page, not of 2 MB
    assert parent_byte == str(ord("x"))  # the parent's page is untouched


def test_collapsing_is_done_in_steps() -> None:
    def count_steps() -> str:
        buffer = mmap.mmap(-1, SIZE, flags=mmap.MAP_PRIVATE)
        buffer.write(b"x" * SIZE)
        return str(len(list(hugepages.collapse_steps(per_step=2))))

    assert int(in_child(count_steps)) >= (SIZE // hugepages.HUGE) // 2
