"""The Landlock layer's own system calls: the kernel's constants, and a process it
restricts reads what it was allowed and nothing else, and writes nothing."""

from __future__ import annotations

import ctypes
import errno
import os
from pathlib import Path

import pytest

from derivlens.sandbox.layers import LayerUnavailable, landlock_fs
from derivlens.sandbox.layers.landlock_fs import Ruleset, fs_rights, python_read_paths


def test_the_file_system_rights_of_each_abi_are_the_kernels() -> None:
    """linux/landlock.h: LANDLOCK_ACCESS_FS_EXECUTE (1 << 0) to MAKE_SYM (1 << 12) from
    ABI 1, REFER (1 << 13) from 2, TRUNCATE (1 << 14) from 3, IOCTL_DEV (1 << 15) from 5."""
    assert [fs_rights(abi) for abi in range(1, 8)] == [
        0x1FFF,
        0x3FFF,
        0x7FFF,
        0x7FFF,
        0xFFFF,
        0xFFFF,
        0xFFFF,
    ]
    # struct landlock_path_beneath_attr is packed: a u64 and an s32.
    assert ctypes.sizeof(landlock_fs._PathBeneathAttr) == 12


def restricted(allowed: list[str], probe: list[tuple[str, str]]) -> list[str]:
    """In a forked child restricted to reading `allowed`: what each (mode, path) of
    `probe` gives ("ok" or the error's name)."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: restrict, try, report, exit
        try:
            os.close(read_end)
            ruleset = Ruleset()
            ruleset.allow_read([*python_read_paths(), *allowed])
            ruleset.apply()
            answers = []
            for mode, path in probe:
                try:
                    with open(path, mode):
                        answers.append("ok")
                except OSError as error:
                    answers.append(type(error).__name__)
            os.write(write_end, " ".join(answers).encode())
        finally:
            os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        out = pipe.read().decode()
    os.waitpid(pid, 0)
    return out.split()


def test_a_restricted_process_reads_only_what_it_was_allowed(tmp_path: Path) -> None:
    assert landlock_fs.abi_version() >= 1  # the sandbox requires it on this machine
    allowed, other = tmp_path / "project", tmp_path / "elsewhere"
    for folder in (allowed, other):
        folder.mkdir()
        (folder / "data.txt").write_text("x")
    answers = restricted(
        [str(allowed)],
        [
            ("r", str(allowed / "data.txt")),
            ("r", str(other / "data.txt")),
            ("a", str(allowed / "data.txt")),
            ("w", str(allowed / "new.txt")),
        ],
    )
    assert answers == ["ok", "PermissionError", "PermissionError", "PermissionError"]
    assert not (allowed / "new.txt").exists()


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        (errno.ENOSYS, "the kernel has no Landlock (built without CONFIG_SECURITY_LANDLOCK)"),
        (errno.EOPNOTSUPP, "Landlock is disabled at boot (not in the kernel's lsm= list)"),
        (errno.EPERM, os.strerror(errno.EPERM)),  # e.g. a container's own seccomp filter
    ],
)
def test_without_landlock_the_layer_says_why(
    code: int, reason: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refused(number: int, *args: object) -> int:
        ctypes.set_errno(code)
        return -1

    monkeypatch.setattr(landlock_fs, "_syscall", refused)
    monkeypatch.setattr(landlock_fs, "_abi", None)
    with pytest.raises(LayerUnavailable) as raised:
        landlock_fs.abi_version()
    assert str(raised.value) == f"Landlock is not available: {reason}"
