"""Landlock: a read-only view of what Python, the packages and the project need.

Built on the `landlock` package's syscalls; the ruleset attribute is extended here with
the network (ABI 4: no TCP bind/connect) and scope fields (ABI 6: no signals to
processes outside the sandbox, no abstract UNIX sockets) when the kernel has them.
Nothing is writable. Prepared before the request arrives (the slow part: opening every
path), finished with the request's project folder and applied just before user code.
"""

from __future__ import annotations

import ctypes
import os
import sys
from collections.abc import Iterable

from derivlens.sandbox.layers import LayerUnavailable

ACCESS_NET_BIND_TCP = 1 << 0
ACCESS_NET_CONNECT_TCP = 1 << 1
SCOPE_ABSTRACT_UNIX_SOCKET = 1 << 0
SCOPE_SIGNAL = 1 << 1

#: Read-only system locations besides Python's own prefixes and sys.path.
SYSTEM_READ = (
    "/usr",
    "/lib",
    "/lib64",
    "/lib32",
    "/bin",
    "/etc/ld.so.cache",
    "/etc/localtime",
    "/etc/fonts",
    "/etc/matplotlibrc",
    "/etc/passwd",
    "/etc/group",
    "/etc/nsswitch.conf",
    "/etc/os-release",
    "/dev/null",
    "/dev/zero",
    "/dev/urandom",
    "/dev/random",
    "/proc/self",
    "/sys/devices/system/cpu",
    "/sys/fs/cgroup",
)


class _RulesetAttr(ctypes.Structure):
    _fields_ = [
        ("handled_access_fs", ctypes.c_uint64),
        ("handled_access_net", ctypes.c_uint64),
        ("scoped", ctypes.c_uint64),
    ]


def abi_version() -> int:
    """The kernel's Landlock ABI, or LayerUnavailable saying why there is none."""
    if not sys.platform.startswith("linux"):
        raise LayerUnavailable("Landlock is Linux-only")
    try:
        import landlock
        from landlock.plumbing import landlock_abi_version
    except ImportError as exc:
        raise LayerUnavailable(f"the landlock package is not installed ({exc})") from exc
    try:
        ctypes.set_errno(0)
        return int(landlock_abi_version())
    except landlock.LandlockError as exc:
        reason = getattr(exc, "reason", None) or str(exc)
        raise LayerUnavailable(f"Landlock is not available: {reason}") from exc


def python_read_paths() -> list[str]:
    """Python's prefixes and every existing sys.path entry (site-packages, the package)."""
    paths = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix}
    paths.update(p for p in sys.path if p)
    return sorted(paths)


class Ruleset:
    """A Landlock ruleset filled in two steps, then applied to this process."""

    def __init__(self) -> None:
        from landlock.plumbing import FSAccess

        self.abi = abi_version()
        self.fs = FSAccess.all()
        self.read_file = FSAccess.READ_FILE
        self.read_dir = FSAccess.READ_FILE | FSAccess.READ_DIR
        attr = _RulesetAttr(int(self.fs), 0, 0)
        size = 8
        self.net = self.abi >= 4
        self.scoped = self.abi >= 6
        if self.net:
            attr.handled_access_net = ACCESS_NET_BIND_TCP | ACCESS_NET_CONNECT_TCP
            size = 16
        if self.scoped:
            attr.scoped = SCOPE_ABSTRACT_UNIX_SOCKET | SCOPE_SIGNAL
            size = 24
        libc = ctypes.CDLL(None, use_errno=True)
        libc.syscall.restype = ctypes.c_long
        ctypes.set_errno(0)
        fd = libc.syscall(
            ctypes.c_long(444), ctypes.byref(attr), ctypes.c_size_t(size), ctypes.c_uint32(0)
        )
        if fd < 0:
            raise LayerUnavailable(
                f"landlock_create_ruleset failed: {os.strerror(ctypes.get_errno())}"
            )
        self._fd = int(fd)
        self._libc = libc
        self.paths: list[str] = []

    def allow_read(self, paths: Iterable[str]) -> None:
        """Grant read access beneath each existing path (missing ones are skipped)."""
        from landlock.plumbing import PathBeneathAttr

        for path in paths:
            try:
                fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
            except OSError:
                continue
            try:
                is_dir = os.path.isdir(f"/proc/self/fd/{fd}")
                rule = PathBeneathAttr(int(self.read_dir if is_dir else self.read_file), fd)
                ctypes.set_errno(0)
                rc = self._libc.syscall(
                    ctypes.c_long(445),
                    ctypes.c_int(self._fd),
                    ctypes.c_uint(1),
                    ctypes.byref(rule),
                    ctypes.c_uint32(0),
                )
                if rc == 0:
                    self.paths.append(os.path.realpath(path))
            finally:
                os.close(fd)

    def apply(self) -> None:
        """no_new_privs, then restrict this process for good."""
        PR_SET_NO_NEW_PRIVS = 38
        if self._libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
            raise LayerUnavailable(f"prctl(NO_NEW_PRIVS) failed: {os.strerror(ctypes.get_errno())}")
        ctypes.set_errno(0)
        rc = self._libc.syscall(ctypes.c_long(446), ctypes.c_int(self._fd), ctypes.c_uint32(0))
        os.close(self._fd)
        if rc != 0:
            raise LayerUnavailable(
                f"landlock_restrict_self failed: {os.strerror(ctypes.get_errno())}"
            )

    def describe(self) -> str:
        extra = []
        if self.net:
            extra.append("no TCP")
        if self.scoped:
            extra.append("no signals or abstract sockets outside")
        more = f", {', '.join(extra)}" if extra else ""
        return f"Landlock ABI {self.abi}: read-only, {len(self.paths)} paths{more}"
