"""The child's writable folder: a fresh tmpfs, private to one child (see docs/protocol.md).

The worker's HOME and TMPDIR (`env.children_folder`) is the child's cwd too. Each child
mounts an empty tmpfs over it in a mount namespace of its own: nothing one child writes
can reach the next one or a sibling (they never see the same folder), the kernel frees
it all when the child exits however it dies (even SIGKILLed on a timeout: no clean-up
to forget), and its size and inode count are bounded, so a child cannot fill the disk.
Needs a mount namespace (root, or a user namespace from the `namespaces` layer); without
one, nothing is writable, as before. Must run before Landlock and seccomp.
"""

from __future__ import annotations

import ctypes
import os
import sys

from derivlens.sandbox.layers import LayerUnavailable

CLONE_NEWNS = 0x00020000
MS_NOSUID, MS_NODEV, MS_NOEXEC = 0x2, 0x4, 0x8
MS_REC, MS_PRIVATE = 0x4000, 1 << 18
#: The folder's bounds: far more than a library's cache files need (torch's inductor
#: folder, a temporary file), far less than the memory limit.
SIZE_BYTES = 64 * 1024 * 1024
INODES = 4096


def _check(rc: int, what: str) -> None:
    if rc != 0:
        raise LayerUnavailable(f"{what} failed: {os.strerror(ctypes.get_errno())}")


def mount_fresh(folder: str) -> str:
    """Put an empty tmpfs of `SIZE_BYTES` over `folder`, seen by this process only, and
    make it the cwd; the folder's real path (what Landlock lets us write beneath)."""
    if not sys.platform.startswith("linux"):
        raise LayerUnavailable("a private tmpfs is Linux-only")
    real = os.path.realpath(folder)
    if not os.path.isdir(real):
        raise LayerUnavailable(f"no private folder to mount ({folder})")
    libc = ctypes.CDLL(None, use_errno=True)
    _check(libc.unshare(CLONE_NEWNS), "unshare(CLONE_NEWNS)")
    # no mount of ours may propagate to the worker's namespace (the host's, as root)
    _check(libc.mount(None, b"/", None, MS_REC | MS_PRIVATE, None), "making mounts private")
    options = f"size={SIZE_BYTES},nr_inodes={INODES},mode=0700".encode()
    flags = MS_NOSUID | MS_NODEV | MS_NOEXEC
    _check(libc.mount(b"tmpfs", real.encode(), b"tmpfs", flags, options), "mounting a tmpfs")
    os.chdir(real)  # the old cwd is the folder beneath the mount
    return real
