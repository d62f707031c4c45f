"""What a process tree has cost, from /proc: CPU time and minor page faults, and whether it
is idle. Deterministic-ish proxies for the benchmarks on a shared machine, where wall
time moves with other people's load and these counts do not.

A process's own figures plus those of the children it has reaped (`cminflt`, `cutime`,
`cstime` in /proc/PID/stat) plus those of its live descendants: what the whole tree has
used since it started, even after its children are gone.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

TICK = 1.0 / os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Usage:
    cpu_s: float  # user + system
    minflt: int

    def __sub__(self, other: Usage) -> Usage:
        return Usage(self.cpu_s - other.cpu_s, self.minflt - other.minflt)


def _stat(pid: int) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text[text.rindex(")") + 2 :].split()  # fields from the 3rd (state) on


def _children(pid: int) -> list[int]:
    found: list[int] = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return found
    for task in tasks:
        try:
            found += [int(p) for p in Path(f"/proc/{pid}/task/{task}/children").read_text().split()]
        except OSError:
            continue
    return found


def descendants(pid: int) -> list[int]:
    """`pid` and every live process below it."""
    tree, queue = [], [pid]
    while queue:
        current = queue.pop()
        tree.append(current)
        queue += _children(current)
    return tree


def usage(pid: int) -> Usage:
    """CPU seconds and minor faults of `pid`'s tree: live processes and reaped children."""
    cpu, minflt = 0.0, 0
    for member in descendants(pid):
        fields = _stat(member)
        if fields is None:
            continue
        # stat fields 10 minflt, 11 cminflt, 14 utime, 15 stime, 16 cutime, 17 cstime
        minflt += int(fields[7]) + int(fields[8])
        cpu += (int(fields[11]) + int(fields[12]) + int(fields[13]) + int(fields[14])) * TICK
    return Usage(cpu, minflt)


def wait_idle(pid: int, quiet: float = 1.0, share: float = 0.02, limit: float = 60.0) -> float:
    """Wait until `pid`'s tree has used under `share` of a core for `quiet` seconds in a
    row (its background warm-up done); the seconds waited. Gives up after `limit`."""
    started = time.monotonic()
    last = usage(pid)
    while time.monotonic() - started < limit:
        time.sleep(quiet)
        now = usage(pid)
        if (now - last).cpu_s <= share * quiet:
            break
        last = now
    return time.monotonic() - started
