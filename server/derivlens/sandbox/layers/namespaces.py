"""A fresh user + network namespace: no interface but a down loopback, so no network.

Must run before Landlock and seccomp (the filter forbids unshare) and while the process
is single-threaded. Distributions may forbid unprivileged user namespaces: then this
layer is reported inactive and the others still hold.
"""

from __future__ import annotations

import ctypes
import os
import sys

from derivlens.sandbox.layers import LayerUnavailable

CLONE_NEWUSER = 0x10000000
CLONE_NEWNET = 0x40000000


def _write(path: str, text: str) -> None:
    fd = os.open(path, os.O_WRONLY)
    try:
        os.write(fd, text.encode())
    finally:
        os.close(fd)


def apply() -> None:
    """unshare(CLONE_NEWUSER | CLONE_NEWNET), keeping our uid/gid mapped to themselves."""
    if not sys.platform.startswith("linux"):
        raise LayerUnavailable("namespaces are Linux-only")
    uid, gid = os.getuid(), os.getgid()
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.unshare(CLONE_NEWUSER | CLONE_NEWNET) != 0:
        err = ctypes.get_errno()
        hint = ""
        if os.path.exists("/proc/sys/kernel/unprivileged_userns_clone"):
            hint = " (kernel.unprivileged_userns_clone may be 0)"
        elif os.path.exists("/proc/sys/kernel/apparmor_restrict_unprivileged_userns"):
            hint = " (AppArmor may restrict unprivileged user namespaces)"
        raise LayerUnavailable(
            f"unshare(CLONE_NEWUSER|CLONE_NEWNET) failed: {os.strerror(err)}{hint}"
        )
    try:
        _write("/proc/self/setgroups", "deny")
        _write("/proc/self/uid_map", f"{uid} {uid} 1")
        _write("/proc/self/gid_map", f"{gid} {gid} 1")
    except OSError:
        pass  # unmapped ids still work (we appear as nobody); the namespace holds
