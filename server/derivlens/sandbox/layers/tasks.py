"""A cap on a child's tasks (threads), enforced by the worker (see docs/protocol.md).

Nothing else bounds them: RLIMIT_NPROC does not bind root, and counts every process of
a user (other programs' too) where it does; a pids cgroup needs a writable cgroup tree,
which root has here (cgroup v1) but an unprivileged user does not. Small-stack threads
fit in the memory limit by the tens of thousands, enough to use up the host's pids, so
that other programs cannot fork until the timeout. So the worker, which user code
cannot reach, looks at each running child's thread count while it runs and kills the
child (its whole process group) past `CAP`: reported as kind `memory`, like any child
killed for its size.

`CAP` is 256: torch's intra-op and inter-op pools (a thread per core each, and
`torch.set_num_threads` asks for more), OpenBLAS's pool, a few Python threads; far
above what a plot needs on any machine that runs an editor, far below a pid space
(32,768 by default) even with one child per core.
"""

from __future__ import annotations

PR_SET_PDEATHSIG = 1
CAP = 256
#: How often the worker looks while a job runs: a flood of Python threads starts a few
#: hundred in this time, a few hundred more than `CAP` at most.
POLL_SECONDS = 0.01


def threads_of(pid: int) -> int:
    """The number of threads of process `pid` (0 if it is gone)."""
    try:
        with open(f"/proc/{pid}/status", "rb") as f:
            status = f.read()
    except OSError:
        return 0
    start = status.find(b"\nThreads:")
    if start < 0:
        return 0
    return int(status[start + 9 : status.index(b"\n", start + 1)])


def over_cap(pid: int) -> bool:
    """Whether the child `pid` has more threads than `CAP`."""
    return threads_of(pid) > CAP
