"""Landlock: a read-only view of what Python, the packages and the project need.

Three system calls made through ctypes, with the kernel's own constants
(`linux/landlock.h`, Documentation/userspace-api/landlock.rst): the ruleset handles every
file-system right of the kernel's ABI, the network (ABI 4: no TCP bind/connect) and the
scopes (ABI 6: no signals to processes outside the sandbox, no abstract UNIX sockets)
when the kernel has them. Nothing is writable but the child's private tmpfs
(`private_tmp`), beneath which files and folders may be made, written, renamed and
removed (no devices, sockets or pipes). Prepared before the request arrives (the
slow part: opening every path), finished with the request's project folder and applied
just before user code.
"""

from __future__ import annotations

import ctypes
import errno
import os
import sys
from collections.abc import Iterable

from derivlens.sandbox.layers import LayerUnavailable

SYS_CREATE_RULESET, SYS_ADD_RULE, SYS_RESTRICT_SELF = 444, 445, 446  # every architecture
CREATE_RULESET_VERSION = 1 << 0
RULE_PATH_BENEATH = 1
PR_SET_NO_NEW_PRIVS = 38
ACCESS_FS_READ_FILE = 1 << 2
ACCESS_FS_READ_DIR = 1 << 3
#: Writing beneath the private folder: WRITE_FILE, REMOVE_DIR, REMOVE_FILE, MAKE_DIR,
#: MAKE_REG, MAKE_SYM, REFER (ABI 2: renames between its folders), TRUNCATE (ABI 3).
ACCESS_FS_WRITE = (1 << 1) | (1 << 4) | (1 << 5) | (1 << 7) | (1 << 8) | (1 << 12)
ACCESS_FS_REFER_TRUNCATE = (1 << 13) | (1 << 14)
#: Every file-system right (bits from 0 up) of each ABI: 13 at first, REFER with 2,
#: TRUNCATE with 3, IOCTL_DEV with 5.
_FS_RIGHTS_BY_ABI = ((1, 13), (2, 14), (3, 15), (5, 16))
ACCESS_NET_BIND_TCP = 1 << 0
ACCESS_NET_CONNECT_TCP = 1 << 1
SCOPE_ABSTRACT_UNIX_SOCKET = 1 << 0
SCOPE_SIGNAL = 1 << 1
#: What an unavailable Landlock's errno means.
_WHY = {
    errno.ENOSYS: "the kernel has no Landlock (built without CONFIG_SECURITY_LANDLOCK)",
    errno.EOPNOTSUPP: "Landlock is disabled at boot (not in the kernel's lsm= list)",
}

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


def _threads() -> int:
    """How many threads this process has (each has an entry in /proc/self/task)."""
    return len(os.listdir("/proc/self/task"))


class _RulesetAttr(ctypes.Structure):
    _fields_ = [
        ("handled_access_fs", ctypes.c_uint64),
        ("handled_access_net", ctypes.c_uint64),
        ("scoped", ctypes.c_uint64),
    ]


class _PathBeneathAttr(ctypes.Structure):
    _pack_ = 1  # packed in the kernel's header
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


_libc: ctypes.CDLL | None = None
_abi: int | None = None


def _lib() -> ctypes.CDLL:
    global _libc
    if _libc is None:
        _libc = ctypes.CDLL(None, use_errno=True)
        _libc.syscall.restype = ctypes.c_long
    return _libc


def _syscall(number: int, *args: object) -> int:
    """syscall(2): its result, -1 with errno set on failure."""
    ctypes.set_errno(0)
    return int(_lib().syscall(ctypes.c_long(number), *args))


def abi_version() -> int:
    """The kernel's Landlock ABI, or LayerUnavailable saying why there is none."""
    global _abi
    if not sys.platform.startswith("linux"):
        raise LayerUnavailable("Landlock is Linux-only")
    if _abi is None:
        flags = ctypes.c_uint32(CREATE_RULESET_VERSION)
        version = _syscall(SYS_CREATE_RULESET, None, ctypes.c_size_t(0), flags)
        if version < 0:
            code = ctypes.get_errno()
            reason = _WHY.get(code) or os.strerror(code)
            raise LayerUnavailable(f"Landlock is not available: {reason}")
        _abi = version
    return _abi


def fs_rights(abi: int) -> int:
    """Every file-system access right the kernel of Landlock ABI `abi` knows."""
    return max((1 << bits) - 1 for since, bits in _FS_RIGHTS_BY_ABI if abi >= since)


def python_read_paths() -> list[str]:
    """Python's prefixes and every existing sys.path entry (site-packages, the package)."""
    paths = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix}
    paths.update(p for p in sys.path if p)
    return sorted(paths)


class Ruleset:
    """A Landlock ruleset filled in two steps, then applied to this process."""

    def __init__(self) -> None:
        self.abi = abi_version()
        self.read_file = ACCESS_FS_READ_FILE
        self.read_dir = ACCESS_FS_READ_FILE | ACCESS_FS_READ_DIR
        attr = _RulesetAttr(fs_rights(self.abi), 0, 0)
        size = 8
        self.net = self.abi >= 4
        self.scoped = self.abi >= 6
        if self.net:
            attr.handled_access_net = ACCESS_NET_BIND_TCP | ACCESS_NET_CONNECT_TCP
            size = 16
        if self.scoped:
            attr.scoped = SCOPE_ABSTRACT_UNIX_SOCKET | SCOPE_SIGNAL
            size = 24
        fd = _syscall(
            SYS_CREATE_RULESET, ctypes.byref(attr), ctypes.c_size_t(size), ctypes.c_uint32(0)
        )
        if fd < 0:
            raise LayerUnavailable(
                f"landlock_create_ruleset failed: {os.strerror(ctypes.get_errno())}"
            )
        self._fd = fd
        self.paths: list[str] = []
        self.writable: str | None = None

    def allow_read(self, paths: Iterable[str]) -> None:
        """Grant read access beneath each existing path (missing ones are skipped)."""
        for path in paths:
            if self._add(path, None):
                self.paths.append(os.path.realpath(path))

    def allow_write(self, folder: str) -> None:
        """Grant reading and writing beneath `folder` (the child's private tmpfs)."""
        rights = self.read_dir | ACCESS_FS_WRITE | ACCESS_FS_REFER_TRUNCATE
        if not self._add(folder, rights & fs_rights(self.abi)):
            raise LayerUnavailable(f"Landlock refused a rule for {folder}")
        self.writable = os.path.realpath(folder)
        self.paths.append(self.writable)

    def _add(self, path: str, rights: int | None) -> bool:
        """One path-beneath rule (`rights` None: reading, by the kind of file)."""
        try:
            fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
        except OSError:
            return False
        try:
            if rights is None:
                is_dir = os.path.isdir(f"/proc/self/fd/{fd}")
                rights = self.read_dir if is_dir else self.read_file
            rule = _PathBeneathAttr(rights, fd)
            rc = _syscall(
                SYS_ADD_RULE,
                ctypes.c_int(self._fd),
                ctypes.c_uint(RULE_PATH_BENEATH),
                ctypes.byref(rule),
                ctypes.c_uint32(0),
            )
            return rc == 0
        finally:
            os.close(fd)

    def apply(self) -> None:
        """no_new_privs, then restrict this process for good. Landlock restricts the
        calling thread only: a process with more than one thread is refused."""
        threads = _threads()
        if threads != 1:
            raise LayerUnavailable(f"Landlock needs a single-threaded process ({threads} threads)")
        if _lib().prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
            raise LayerUnavailable(f"prctl(NO_NEW_PRIVS) failed: {os.strerror(ctypes.get_errno())}")
        rc = _syscall(SYS_RESTRICT_SELF, ctypes.c_int(self._fd), ctypes.c_uint32(0))
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
        access = "writable beneath a private tmpfs" if self.writable else "read-only"
        return f"Landlock ABI {self.abi}: {access}, {len(self.paths)} paths{more}"
