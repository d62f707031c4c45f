"""Which folder of the user's an evaluation may read: the project the file belongs to.

The sandbox lets a child read Python, the installed packages and this folder (and the
file itself), nothing else of the user's (docs/protocol.md, "Sandbox"). The folder is
the workspace folder holding the file; for a file outside every workspace folder, the
nearest folder above it that marks a project (`pyproject.toml`, `setup.py`,
`setup.cfg` or `.git`). Never the home folder, a temporary folder's root (`/tmp`),
or a folder holding either: a `~/scratch.py` must not make `~/.ssh` readable, nor a
file in `/tmp` all of `/tmp`. Never a folder under one of the home's dot-folders
either (`~/.config`, whose dotfiles `.git` marks it, holds tokens; `~/.local`,
`~/.cache` likewise). With no such folder, only the file itself is readable.
Pure: paths in, a path (or None) out; the language server and the CLI both use it.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import tempfile
from collections.abc import Iterable

MARKERS = ("pyproject.toml", "setup.py", "setup.cfg", ".git")


def _real(path: str) -> str:
    return os.path.realpath(os.path.abspath(os.path.expanduser(path)))


def _within(path: str, folder: str) -> bool:
    """Is `path` inside `folder` (or `folder` itself)?"""
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def homes() -> set[str]:
    """The user's home folders: `$HOME`'s and the password database's, if they differ."""
    found = {os.path.expanduser("~")}
    with contextlib.suppress(KeyError):  # a uid without an entry (a container's): $HOME
        found.add(pwd.getpwuid(os.getuid()).pw_dir)
    return {_real(home) for home in found if home}


def unsafe_roots() -> set[str]:
    """Folders whose whole content must never become readable: home and temp roots."""
    roots = {tempfile.gettempdir(), "/tmp", "/var/tmp", "/dev/shm"}
    roots.update(os.environ.get(name, "") for name in ("TMPDIR", "TEMP", "TMP"))
    return {_real(r) for r in roots if r} | homes()


def in_dot_folder(folder: str) -> bool:
    """Is the real path `folder` a home's dot-folder or inside one (`~/.config`,
    `~/.local/src/x`)?"""
    for home in homes():
        if _within(folder, home) and folder != home:
            parts = os.path.relpath(folder, home).split(os.sep)
            if any(part.startswith(".") for part in parts):
                return True
    return False


def acceptable(folder: str, unsafe: set[str] | None = None) -> bool:
    """May `folder` be read whole? Not the file system root, a home or temp root, a
    folder that holds one of them (`/home`), nor one under a home's dot-folders."""
    folder = _real(folder)
    unsafe = unsafe_roots() if unsafe is None else unsafe
    if folder == os.sep or any(_within(root, folder) for root in unsafe):
        return False
    return not in_dot_folder(folder)


def marked_project(path: str, unsafe: set[str] | None = None) -> str | None:
    """The nearest folder above `path` with a project marker, if it may be read whole."""
    folder = os.path.dirname(_real(path))
    while True:
        if any(os.path.exists(os.path.join(folder, marker)) for marker in MARKERS):
            return folder if acceptable(folder, unsafe) else None
        parent = os.path.dirname(folder)
        if parent == folder:
            return None
        folder = parent


def project_root(path: str, workspace_folders: Iterable[str] = ()) -> str | None:
    """The folder an evaluation of the file `path` may read, or None: the file alone."""
    real, unsafe = _real(path), unsafe_roots()
    holding = [_real(f) for f in workspace_folders if _within(real, _real(f))]
    for folder in sorted(holding, key=len, reverse=True):  # the innermost first
        if acceptable(folder, unsafe):
            return folder
    return marked_project(real, unsafe)
