"""The system calls a sandboxed child may make, by what needs them (see docs/protocol.md).

Measured, not guessed: `scripts/measure_syscalls.py` lists what children call once
their filter is loaded, under strace, for the sandbox's real workloads (the CLI on
`examples/`, the cases of tests/unit/test_derivatives.py, test_realworld.py and
test_critical.py run through a child, the ORDINARY cases of tests/hardening.py and of
tests/sandbox/test_seccomp_allowlist.py: threads, sleeping, project data, NSS look-ups, lazy
imports). A warm child needs little (reading, writing its reply, memory, futexes,
exiting); the rest is what ordinary functions reach beyond the warm-up: a lazy import,
a thread, a clock. Names the kernel of this architecture lacks are skipped.

Everything else is refused: by default with a trap (kind `blocked`, see
`seccomp_filter`), some with an errno so that a library's own fallback runs.
"""

from __future__ import annotations

#: Python's own work: reading modules and data (Landlock decides which; `open` and
#: `openat` are allowed for reading only, see `seccomp_filter`), stat-ing
#: paths, its reply pipe and /dev/null, polling the job pipe, terminal checks (ioctl
#: TCGETS on fds 0-2 by `isatty`).
FILES = (
    "read", "pread64", "readv", "preadv", "preadv2", "write", "writev", "pwrite64",
    "pwritev", "pwritev2", "close", "close_range", "lseek", "fstat",
    "stat", "lstat", "newfstatat", "statx", "statfs", "fstatfs", "access", "faccessat",
    "faccessat2", "readlink", "readlinkat", "getdents64", "getcwd", "chdir", "fchdir",
    "fcntl", "dup", "dup2", "dup3", "pipe", "pipe2", "ioctl", "poll", "ppoll", "select",
    "pselect6", "fadvise64",
)  # fmt: skip

#: The allocator, numpy's and torch's buffers, mapped libraries of a lazy import.
MEMORY = (
    "brk", "mmap", "munmap", "mremap", "mprotect", "madvise", "mincore", "msync",
    "membarrier", "get_mempolicy", "mbind",
)  # fmt: skip

#: Threads (torch's OpenMP pool, a thread pool in user code) and their locks; `clone`
#: itself is allowed with pthread_create's flags only (see `seccomp_filter`).
THREADS = (
    "futex", "set_robust_list", "get_robust_list", "rseq", "set_tid_address", "gettid",
    "sched_yield", "sched_getaffinity", "sched_getparam", "sched_getscheduler",
    "sched_get_priority_max", "sched_get_priority_min", "sched_getattr", "getcpu",
)  # fmt: skip

#: Time, sleeping, timers (time.sleep, datetime, faulthandler's watchdog).
TIME = (
    "clock_gettime", "clock_getres", "clock_nanosleep", "nanosleep", "gettimeofday",
    "time", "times", "alarm", "setitimer", "getitimer", "timer_create", "timer_settime",
    "timer_gettime", "timer_getoverrun", "timer_delete",
)  # fmt: skip

#: Signals within the process (Python's handlers, the SIGSYS handler's return).
SIGNALS = (
    "rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "rt_sigpending", "rt_sigtimedwait",
    "rt_sigsuspend", "sigaltstack", "restart_syscall", "pause",
)  # fmt: skip

#: Who and where the process is (getpass, os.uname, resource.getrusage, random).
IDENTITY = (
    "getpid", "getppid", "getuid", "geteuid", "getgid", "getegid", "getgroups",
    "getresuid", "getresgid", "getpgrp", "getpgid", "getsid", "getrusage", "getrlimit",
    "uname", "sysinfo", "getrandom", "getpriority", "ioprio_get", "capget",
    "arch_prctl", "exit", "exit_group",
)  # fmt: skip

#: Adding a seccomp filter only takes more away.
TIGHTEN = ("seccomp",)

ALLOWED = FILES + MEMORY + THREADS + TIME + SIGNALS + IDENTITY + TIGHTEN

#: prctl options libraries use in passing (thread names, glibc naming its anonymous
#: mappings, reads of the process's settings) and the ones that only tighten.
PRCTL_OPTIONS = {
    "PR_GET_PDEATHSIG": 2,
    "PR_GET_DUMPABLE": 3,
    "PR_GET_KEEPCAPS": 7,
    "PR_SET_NAME": 15,
    "PR_GET_NAME": 16,
    "PR_GET_SECCOMP": 21,
    "PR_SET_SECCOMP": 22,
    "PR_CAPBSET_READ": 23,
    "PR_GET_SECUREBITS": 27,
    "PR_GET_TIMERSLACK": 30,
    "PR_MCE_KILL_GET": 34,
    "PR_SET_NO_NEW_PRIVS": 38,
    "PR_GET_NO_NEW_PRIVS": 39,
    "PR_GET_TID_ADDRESS": 40,
    "PR_GET_THP_DISABLE": 42,
    "PR_GET_SPECULATION_CTRL": 52,
    "PR_SET_VMA": 0x53564D41,
}
