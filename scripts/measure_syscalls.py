"""The system calls sandboxed children make once their seccomp filter is loaded.

    strace -ff -qq -o DIR/tr COMMAND...     # a CLI plot, a pytest file: any workload
    python scripts/measure_syscalls.py DIR  # the calls, with how many children made each

A child is a traced process that loaded a filter (`prctl(PR_SET_SECCOMP, ...)`); what
it calls after that line counts, and so does everything its threads call (their ids
come from the child's `clone(... CLONE_THREAD ...) = TID` lines). This is how the
allow-list of `derivlens/sandbox/layers/seccomp_filter.py` was measured (see its
docstring); run it again after adding a library to see what the filter must allow.
"""

from __future__ import annotations

import re
import sys
from collections import Counter
from pathlib import Path

CALL = re.compile(r"^(?:\d+\s+)?([a-z_][a-z0-9_]*)\(")
THREAD = re.compile(r"^(?:\d+\s+)?clone3?\(.*CLONE_THREAD.*= (\d+)$")


def calls_after_filter(lines: list[str]) -> tuple[set[str], set[int], bool]:
    """The calls made after the filter was loaded, the threads started then, whether it was."""
    names: set[str] = set()
    threads: set[int] = set()
    loaded = False
    for line in lines:
        if not loaded:
            loaded = "PR_SET_SECCOMP" in line and line.rstrip().endswith("= 0")
            continue
        if m := CALL.match(line):
            names.add(m.group(1))
        if m := THREAD.match(line.rstrip()):
            threads.add(int(m.group(1)))
    return names, threads, loaded


def thread_calls(lines: list[str]) -> tuple[set[str], set[int]]:
    names = {m.group(1) for line in lines if (m := CALL.match(line))}
    threads = {int(m.group(1)) for line in lines if (m := THREAD.match(line.rstrip()))}
    return names, threads


def measure(folder: Path) -> Counter[str]:
    files = {int(p.name.rsplit(".", 1)[1]): p for p in folder.glob("tr.*")}
    texts = {pid: p.read_text(errors="replace").splitlines() for pid, p in files.items()}
    counts: Counter[str] = Counter()
    for lines in texts.values():
        names, threads, loaded = calls_after_filter(lines)
        if not loaded:
            continue
        todo = list(threads)
        while todo:
            more, started = thread_calls(texts.get(todo.pop(), []))
            names |= more
            todo += sorted(started - threads)
            threads |= started
        counts.update(names)
    return counts


def main(argv: list[str]) -> int:
    counts: Counter[str] = Counter()
    for folder in argv:
        counts.update(measure(Path(folder)))
    for name, n in sorted(counts.items()):
        print(f"{name:<24} {n}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
