"""seccomp: the kernel refuses processes, sockets, writes and tampering outright.

Built with `pyseccomp` (libseccomp). Processes, sockets, tracing and the like TRAP: the
kernel sends SIGSYS, the call fails, and the child's SIGSYS handler (see `child.py`)
turns that into a `blocked` error at the user's line; if the handler is gone (or the
signal blocked), SIGSYS kills the child and the parent reports `blocked` all the same.
Writing and changing files fail with EACCES instead, exactly as Landlock refuses them:
C++ writers (torch.save) abort the whole process on the ENOSYS a trap returns.
Threads stay allowed (clone with CLONE_THREAD); clone3 answers ENOSYS so that glibc
falls back to clone, whose flags can be checked.
"""

from __future__ import annotations

import errno
import sys
from typing import Any

from derivlens.sandbox.layers import LayerUnavailable

CLONE_THREAD = 0x00010000
O_WRONLY = 0o1
O_RDWR = 0o2
O_CREAT = 0o100
O_TRUNC = 0o1000
WRITE_FLAGS = (O_WRONLY, O_RDWR, O_CREAT, O_TRUNC)

#: Refused whatever their arguments.
DENIED = (
    # new programs and processes
    "execve", "execveat", "fork", "vfork",
    # network and local sockets
    "socket", "socketpair", "connect", "bind", "listen", "accept", "accept4",
    # other processes' memory, tracing, namespaces, mounts, kernel interfaces
    "ptrace", "process_vm_readv", "process_vm_writev", "process_madvise",
    "io_uring_setup", "io_uring_enter", "io_uring_register",
    "mount", "umount2", "pivot_root", "chroot", "unshare", "setns", "fsopen", "fsmount",
    "move_mount", "open_tree", "bpf", "perf_event_open", "userfaultfd", "kcmp",
    "keyctl", "add_key", "request_key", "kexec_load", "kexec_file_load", "init_module",
    "finit_module", "delete_module", "reboot", "swapon", "swapoff", "acct", "quotactl",
    "name_to_handle_at", "open_by_handle_at", "setpgid", "setsid", "setpriority",
    # signals to others
    "tkill", "rt_sigqueueinfo", "rt_tgsigqueueinfo", "pidfd_send_signal", "pidfd_getfd",
)  # fmt: skip

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


def build(pid: int) -> Any:
    """The filter for this process (not loaded yet): `pid` is the only signal target."""
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
    deny = sc.TRAP
    eacces = sc.ERRNO(errno.EACCES)
    for name in DENIED:
        if _resolvable(name):
            f.add_rule(deny, name)
    for name in FILE_CHANGES:
        if _resolvable(name):
            f.add_rule(eacces, name)
    f.add_rule(sc.ERRNO(errno.ENOSYS), "clone3")
    if _resolvable("openat2"):
        f.add_rule(sc.ERRNO(errno.ENOSYS), "openat2")
    f.add_rule(deny, "clone", sc.Arg(0, sc.MASKED_EQ, CLONE_THREAD, 0))
    for flag in WRITE_FLAGS:
        if _resolvable("open"):
            f.add_rule(eacces, "open", sc.Arg(1, sc.MASKED_EQ, flag, flag))
        f.add_rule(eacces, "openat", sc.Arg(2, sc.MASKED_EQ, flag, flag))
    # kill/tgkill: only this process may be signalled (pid compared as the kernel sees it)
    for name in ("kill", "tgkill"):
        f.add_rule(deny, name, sc.Arg(0, sc.LT, pid))
        f.add_rule(deny, name, sc.Arg(0, sc.GT, pid))
    return f


def load(f: Any) -> None:
    try:
        f.load()
    except OSError as exc:
        raise LayerUnavailable(f"the kernel refused the seccomp filter ({exc})") from exc
