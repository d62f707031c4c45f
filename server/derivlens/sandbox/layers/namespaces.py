"""A fresh user + network + IPC namespace: no network, no System V IPC shared with anyone.

The network namespace has no interface but a down loopback, so no network; the IPC
namespace has its own System V IPC objects and POSIX message queues, which vanish with
the child (seccomp refuses those calls anyway: this keeps them private where seccomp is
missing). Must run before Landlock and seccomp (the filter forbids unshare) and while
the process is single-threaded. Distributions may forbid unprivileged user namespaces:
then this layer is reported inactive and the others still hold; a kernel without IPC
namespaces gets the user + network ones, with a note.
"""

from __future__ import annotations

import ctypes
import os
import sys

from derivlens.sandbox.layers import LayerUnavailable

CLONE_NEWUSER = 0x10000000
CLONE_NEWNET = 0x40000000
CLONE_NEWIPC = 0x08000000


def _write(path: str, text: str) -> None:
    fd = os.open(path, os.O_WRONLY)
    try:
        os.write(fd, text.encode())
    finally:
        os.close(fd)


def _hint() -> str:
    if os.path.exists("/proc/sys/kernel/unprivileged_userns_clone"):
        return " (kernel.unprivileged_userns_clone may be 0)"
    if os.path.exists("/proc/sys/kernel/apparmor_restrict_unprivileged_userns"):
        return " (AppArmor may restrict unprivileged user namespaces)"
    return ""


def apply() -> str | None:
    """unshare(CLONE_NEWUSER | CLONE_NEWNET | CLONE_NEWIPC), keeping our uid/gid mapped
    to themselves; the note to report if the IPC namespace had to be left out."""
    if not sys.platform.startswith("linux"):
        raise LayerUnavailable("namespaces are Linux-only")
    uid, gid = os.getuid(), os.getgid()
    libc = ctypes.CDLL(None, use_errno=True)
    note = None
    if libc.unshare(CLONE_NEWUSER | CLONE_NEWNET | CLONE_NEWIPC) != 0:
        first = ctypes.get_errno()
        if libc.unshare(CLONE_NEWUSER | CLONE_NEWNET) != 0:
            err = ctypes.get_errno()
            raise LayerUnavailable(
                f"unshare(CLONE_NEWUSER|CLONE_NEWNET) failed: {os.strerror(err)}{_hint()}"
            )
        note = f"no IPC namespace (unshare(CLONE_NEWIPC) failed: {os.strerror(first)})"
    try:
        _write("/proc/self/setgroups", "deny")
        _write("/proc/self/uid_map", f"{uid} {uid} 1")
        _write("/proc/self/gid_map", f"{gid} {gid} 1")
    except OSError:
        pass  # unmapped ids still work (we appear as nobody); the namespace holds
    return note
