"""seccomp: an allow-list; everything else the kernel refuses, most of it as an attack.

Built with `pyseccomp` (libseccomp). The calls a child may make are those measured for
the sandbox's workloads (`allowed_syscalls`); any other call, a future one included,
TRAPs: the kernel sends SIGSYS, the call fails, and the child's SIGSYS handler (see
`child.py`) turns that into a `blocked` error at the user's line; if the handler is
gone, SIGSYS kills the child and the parent says `blocked` too.

Starting a program or a process (execve, fork, vfork, clone without CLONE_THREAD) kills
the child at once (SIGSYS): user code that swallows errors or replaces the SIGSYS
handler cannot turn a fork bomb into a timeout. `clone` is allowed with the flags
glibc's (and musl's) pthread_create pass and nothing else: a "thread" in a new
namespace, or sharing less than a thread does, traps. clone3 answers ENOSYS so that
glibc falls back to clone, whose flags can be checked.

`prctl` is allowed for the options libraries use in passing and those that only
tighten (`allowed_syscalls.PRCTL_OPTIONS`); the others trap: the parent-death signal
cannot be cleared or changed (a child never outlives its worker), the process cannot
become dumpable again (its /proc entries stay closed to its siblings), nor let another
process trace it.

Errnos instead of traps, so that library code fails the way it expects, never as an
attack (docs/protocol.md): writing and changing files fail with EACCES, exactly as Landlock
refuses them (C++ writers such as torch.save abort on the ENOSYS of a trap); and
`socket(AF_UNIX)` fails with EACCES, because glibc's NSS opens one in passing to ask
nscd (or systemd, sssd) for a user or group name before it reads /etc/passwd, which a
lazy import in torch does. The user's own sockets of any family are still `blocked`:
Python's socket constructor raises an audit event, which the audit hook refuses by name
before the call is made; with the hook neutered, the EACCES is reported as `blocked` by
`child._explain`, and no UNIX socket exists to connect with. Other families trap.

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

import contextlib
import ctypes
import errno
import os
import sys
from typing import Any

from derivlens.sandbox.layers import LayerUnavailable, allowed_syscalls

CLONE_THREAD = 0x00010000
#: What glibc's pthread_create passes to clone: a thread sharing everything.
PTHREAD_CLONE_FLAGS = 0x003D0F00  # VM FS FILES SIGHAND THREAD SYSVSEM SETTLS PARENT_SETTID
#                                   CHILD_CLEARTID
CLONE_DETACHED = 0x00400000  # musl adds it; the kernel ignores it
AF_UNIX = 1
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
    "ftruncate", "fallocate", "chmod", "fchmod", "fchmodat", "fchmodat2", "chown",
    "fchown", "lchown", "fchownat", "setxattr", "lsetxattr", "fsetxattr", "removexattr",
    "lremovexattr", "fremovexattr", "utime", "utimes", "utimensat", "futimesat",
)  # fmt: skip


def _resolvable(name: str) -> bool:
    import pyseccomp

    try:
        pyseccomp.resolve_syscall(pyseccomp.system_arch(), name)
    except Exception:
        return False
    return True


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
        f = sc.SyscallFilter(sc.TRAP)
    except Exception as exc:
        raise LayerUnavailable(f"libseccomp could not create a filter ({exc})") from exc
    with contextlib.suppress(Exception):  # libseccomp 2.5+: a binary tree of the calls,
        f.set_attr(sc.Attr.CTL_OPTIMIZE, 2)  # so the common ones are not found last
    for name in allowed_syscalls.ALLOWED:
        if _resolvable(name):
            f.add_rule(sc.ALLOW, name)
    _processes_and_threads(f, sc)
    _files(f, sc)
    f.add_rule(sc.ERRNO(errno.EACCES), "socket", sc.Arg(0, sc.EQ, AF_UNIX))  # NSS's nscd
    for option in allowed_syscalls.PRCTL_OPTIONS.values():
        f.add_rule(sc.ALLOW, "prctl", sc.Arg(0, sc.EQ, option))
    _this_process_only(f, sc, pid)
    return f


def _processes_and_threads(f: Any, sc: Any) -> None:
    """Kill on a new process or program; a thread only as pthread_create makes one."""
    for name in PROCESSES:
        if _resolvable(name):
            f.add_rule(sc.KILL_PROCESS, name)
    f.add_rule(sc.KILL_PROCESS, "clone", sc.Arg(0, sc.MASKED_EQ, CLONE_THREAD, 0))
    thread = sc.Arg(0, sc.MASKED_EQ, ALL_BITS & ~CLONE_DETACHED, PTHREAD_CLONE_FLAGS)
    f.add_rule(sc.ALLOW, "clone", thread)
    f.add_rule(sc.ERRNO(errno.ENOSYS), "clone3")


def _files(f: Any, sc: Any) -> None:
    """Opening for reading is allowed (Landlock says what); writes and changes: EACCES."""
    eacces = sc.ERRNO(errno.EACCES)
    for name in FILE_CHANGES:
        if _resolvable(name):
            f.add_rule(eacces, name)
    if _resolvable("openat2"):
        f.add_rule(sc.ERRNO(errno.ENOSYS), "openat2")  # its flags are out of reach
    any_write = sum(WRITE_FLAGS)
    opens = [("openat", 2)] + ([("open", 1)] if _resolvable("open") else [])
    for name, arg in opens:
        f.add_rule(sc.ALLOW, name, sc.Arg(arg, sc.MASKED_EQ, any_write, 0))
        for flag in WRITE_FLAGS:
            f.add_rule(eacces, name, sc.Arg(arg, sc.MASKED_EQ, flag, flag))


def _this_process_only(f: Any, sc: Any, pid: int) -> None:
    """Calls that name a process: allowed for this one (or 0, "the caller") only."""
    for name in SELF_OR_ZERO:
        if _resolvable(name):
            for who in (0, pid):
                f.add_rule(sc.ALLOW, name, sc.Arg(0, sc.EQ, who))
    for name in SELF_ONLY:
        if _resolvable(name):
            f.add_rule(sc.ALLOW, name, sc.Arg(0, sc.EQ, pid))
    # setpriority(which, who, prio) and ioprio_set(which, who, prio): this process only
    for name, which in (("setpriority", PRIO_PROCESS), ("ioprio_set", IOPRIO_WHO_PROCESS)):
        for who in (0, pid):
            f.add_rule(sc.ALLOW, name, sc.Arg(0, sc.EQ, which), sc.Arg(1, sc.EQ, who))


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
