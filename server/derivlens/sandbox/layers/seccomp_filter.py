"""seccomp: the kernel refuses processes, sockets, writes and tampering outright.

Built with `pyseccomp` (libseccomp). Starting a program or a process (execve, fork,
vfork, clone without CLONE_THREAD) kills the child at once (SIGSYS): user code that
swallows errors or replaces the SIGSYS handler cannot turn a fork bomb into a timeout,
and the parent reports `blocked`. Sockets, tracing, System V IPC, POSIX message queues
and acting on another process TRAP: the kernel sends SIGSYS, the call fails, and the
child's SIGSYS handler (see `child.py`) turns that into a `blocked` error at the user's
line; if the handler is gone, SIGSYS kills the child and the parent says `blocked` too.
Writing and changing files fail with EACCES instead, exactly as Landlock refuses them:
C++ writers (torch.save) abort the whole process on the ENOSYS a trap returns.
Threads stay allowed (clone with CLONE_THREAD); clone3 answers ENOSYS so that glibc
falls back to clone, whose flags can be checked.

Calls that name a process (prlimit64, sched_set*, setpriority, ioprio_set, kill,
tgkill, pidfd_open, migrate_pages, move_pages) are allowed on this process only: its
own pid, or 0 where the kernel reads 0 as "the caller" (glibc and Python pass 0 for
setrlimit, nice, sched_setaffinity(0, ...)). The pid is the one the child had when it
built the filter, in the namespace it runs in (no PID namespace: it is its real pid).
Arguments are compared as the kernel's 64-bit registers, so a pid with high bits set
(which the kernel would truncate to another pid) is refused too.

`build` compiles the filter to its BPF program while the child is still a spare (the
compiling is most of the cost); `load` only hands the program to the kernel.
"""

from __future__ import annotations

import ctypes
import errno
import os
import sys
from collections.abc import Iterator
from typing import Any

from derivlens.sandbox.layers import LayerUnavailable

CLONE_THREAD = 0x00010000
O_WRONLY = 0o1
O_RDWR = 0o2
O_CREAT = 0o100
O_TRUNC = 0o1000
WRITE_FLAGS = (O_WRONLY, O_RDWR, O_CREAT, O_TRUNC)
PRIO_PROCESS = 0
IOPRIO_WHO_PROCESS = 1
ALL_BITS = (1 << 64) - 1

#: New programs and processes: the child is killed on the spot.
PROCESSES = ("execve", "execveat", "fork", "vfork")

#: Refused whatever their arguments.
DENIED = (
    # network and local sockets
    "socket", "socketpair", "connect", "bind", "listen", "accept", "accept4",
    # other processes' memory, tracing, namespaces, mounts, kernel interfaces
    "ptrace", "process_vm_readv", "process_vm_writev", "process_madvise", "process_mrelease",
    "io_uring_setup", "io_uring_enter", "io_uring_register",
    "mount", "umount2", "pivot_root", "chroot", "unshare", "setns", "fsopen", "fsmount",
    "move_mount", "open_tree", "bpf", "perf_event_open", "userfaultfd", "kcmp",
    "keyctl", "add_key", "request_key", "kexec_load", "kexec_file_load", "init_module",
    "finit_module", "delete_module", "reboot", "swapon", "swapoff", "acct", "quotactl",
    "name_to_handle_at", "open_by_handle_at", "setpgid", "setsid",
    # signals to others (kill and tgkill: see PROCESS_TARGETED)
    "tkill", "rt_sigqueueinfo", "rt_tgsigqueueinfo", "pidfd_send_signal", "pidfd_getfd",
    # System V IPC and POSIX message queues: state that would outlive the child
    "ipc", "shmget", "shmat", "shmdt", "shmctl", "msgget", "msgsnd", "msgrcv", "msgctl",
    "semget", "semop", "semtimedop", "semctl",
    "mq_open", "mq_unlink", "mq_timedsend", "mq_timedreceive", "mq_notify", "mq_getsetattr",
)  # fmt: skip

#: Calls whose first argument is a pid: allowed for this process, 0 meaning "the caller".
SELF_OR_ZERO = (
    "prlimit64", "sched_setaffinity", "sched_setscheduler", "sched_setparam",
    "sched_setattr", "migrate_pages", "move_pages",
)  # fmt: skip
#: Calls whose first argument must be this very pid (0 would mean something else).
SELF_ONLY = ("kill", "tgkill", "pidfd_open")

#: Fail with EACCES, like a read-only file system view.
FILE_CHANGES = (
    "creat", "mknod", "mknodat", "rename", "renameat", "renameat2", "unlink", "unlinkat",
    "mkdir", "mkdirat", "rmdir", "link", "linkat", "symlink", "symlinkat", "truncate",
    "chmod", "fchmod", "fchmodat", "fchmodat2", "chown", "fchown", "lchown", "fchownat",
    "setxattr", "lsetxattr", "fsetxattr", "removexattr", "lremovexattr", "fremovexattr",
    "utime", "utimes", "utimensat", "futimesat",
)  # fmt: skip


def _resolvable(name: str) -> bool:
    import pyseccomp

    try:
        pyseccomp.resolve_syscall(pyseccomp.system_arch(), name)
    except Exception:
        return False
    return True


def _blocks(lo: int, hi: int) -> Iterator[tuple[int, int]]:
    """[lo, hi] as aligned power-of-two blocks `(start, size)`: ~2·log2(hi) of them."""
    while lo <= hi:
        size = lo & -lo if lo else 1 << 63
        while size > hi - lo + 1:
            size >>= 1
        yield lo, size
        lo += size


def _deny_unless(f: Any, action: Any, name: str, arg: int, allowed: tuple[int, ...]) -> None:
    """Refuse `name` unless argument `arg` is exactly one of `allowed` (64-bit compare).

    libseccomp takes one comparison per argument and rule, and rules are alternatives:
    so "not in allowed" is written as the ranges between and above the allowed values,
    each range as masked-equal blocks.
    """
    import pyseccomp as sc

    low = 0
    for value in sorted(set(allowed)):
        for start, size in _blocks(low, value - 1):
            f.add_rule(action, name, sc.Arg(arg, sc.MASKED_EQ, ALL_BITS & ~(size - 1), start))
        low = value + 1
    f.add_rule(action, name, sc.Arg(arg, sc.GE, low))


PR_SET_NO_NEW_PRIVS = 38
PR_SET_SECCOMP = 22
SECCOMP_MODE_FILTER = 2


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


def build(pid: int) -> bytes:
    """The BPF program of the filter for this process (not loaded yet): `pid` is the
    only process it may act on."""
    return _compiled(_rules(pid))


def _compiled(f: Any) -> bytes:
    read, write = os.pipe()  # at most 4096 instructions of 8 bytes: within a pipe's buffer
    try:
        with os.fdopen(write, "wb", closefd=False) as out:
            f.export_bpf(out)
    except Exception as exc:
        raise LayerUnavailable(f"libseccomp could not compile the filter ({exc})") from exc
    finally:
        os.close(write)
    chunks = []
    while chunk := os.read(read, 1 << 16):
        chunks.append(chunk)
    os.close(read)
    return b"".join(chunks)


def _rules(pid: int) -> Any:
    if not sys.platform.startswith("linux"):
        raise LayerUnavailable("seccomp is Linux-only")
    try:
        import pyseccomp as sc
    except (ImportError, OSError) as exc:
        raise LayerUnavailable(f"pyseccomp/libseccomp is not available ({exc})") from exc
    try:
        f = sc.SyscallFilter(sc.ALLOW)
    except Exception as exc:
        raise LayerUnavailable(f"libseccomp could not create a filter ({exc})") from exc
    kill, deny, eacces = sc.KILL_PROCESS, sc.TRAP, sc.ERRNO(errno.EACCES)
    for name in PROCESSES:
        if _resolvable(name):
            f.add_rule(kill, name)
    f.add_rule(kill, "clone", sc.Arg(0, sc.MASKED_EQ, CLONE_THREAD, 0))
    f.add_rule(sc.ERRNO(errno.ENOSYS), "clone3")
    for name in DENIED:
        if _resolvable(name):
            f.add_rule(deny, name)
    for name in FILE_CHANGES:
        if _resolvable(name):
            f.add_rule(eacces, name)
    if _resolvable("openat2"):
        f.add_rule(sc.ERRNO(errno.ENOSYS), "openat2")
    for flag in WRITE_FLAGS:
        if _resolvable("open"):
            f.add_rule(eacces, "open", sc.Arg(1, sc.MASKED_EQ, flag, flag))
        f.add_rule(eacces, "openat", sc.Arg(2, sc.MASKED_EQ, flag, flag))
    for name in SELF_OR_ZERO:
        if _resolvable(name):
            _deny_unless(f, deny, name, 0, (0, pid))
    for name in SELF_ONLY:
        if _resolvable(name):
            _deny_unless(f, deny, name, 0, (pid,))
    # setpriority(which, who, prio) and ioprio_set(which, who, prio): this process only
    _deny_unless(f, deny, "setpriority", 0, (PRIO_PROCESS,))
    _deny_unless(f, deny, "setpriority", 1, (0, pid))
    _deny_unless(f, deny, "ioprio_set", 0, (IOPRIO_WHO_PROCESS,))
    _deny_unless(f, deny, "ioprio_set", 1, (0, pid))
    return f


def load(program: bytes) -> None:
    """Filter this process, for good, with a program from `build`."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        raise LayerUnavailable(f"prctl(NO_NEW_PRIVS) failed: {os.strerror(ctypes.get_errno())}")
    code = ctypes.create_string_buffer(program, len(program))
    fprog = _SockFprog(len(program) // 8, ctypes.cast(code, ctypes.c_void_p))
    if libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(fprog), 0, 0) != 0:
        err = ctypes.get_errno()
        raise LayerUnavailable(f"the kernel refused the seccomp filter ({os.strerror(err)})")
