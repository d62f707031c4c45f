"""The allow-listed environment the worker (and so every child) starts with.

Secrets in the server's environment (tokens, keys) must never reach user code, not even
through `/proc/self/environ`, which keeps the environment a process was *started* with:
so the worker is spawned with this environment rather than scrubbing its own.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import stat
import tempfile
from collections.abc import Mapping
from pathlib import Path

#: `derivlens-sandbox-<owner pid>-<owner start time>-<random>`: whose folder it is.
HOME_PREFIX = "derivlens-sandbox-"
_HOME_NAME = re.compile(rf"{HOME_PREFIX}(\d+)-(\d+)-[^/]+\Z")

#: The locale categories, by name (POSIX and glibc's): no prefix rule, so that a token
#: kept as `LC_SOMETHING` stays behind like any other.
LOCALE_CATEGORIES = (
    "LC_ALL", "LC_CTYPE", "LC_NUMERIC", "LC_TIME", "LC_COLLATE", "LC_MONETARY",
    "LC_MESSAGES", "LC_PAPER", "LC_NAME", "LC_ADDRESS", "LC_TELEPHONE", "LC_MEASUREMENT",
    "LC_IDENTIFICATION",
)  # fmt: skip
#: Every variable copied from the server's environment when set (exact names only).
PASSTHROUGH = frozenset({"PATH", "LANG", "LANGUAGE", "TZ", *LOCALE_CATEGORIES})

FIXED = {
    "MPLBACKEND": "Agg",
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "NUMEXPR_NUM_THREADS": "1",
    "PYTHONNOUSERSITE": "1",
    "PYTHONSAFEPATH": "1",
}


def children_folder(home: str) -> str:
    """The folder inside `home` that is HOME, TMPDIR and the cwd of every child: each
    child mounts a fresh private tmpfs over it (see `layers/private_tmp.py`), so the rest
    of `home` (matplotlib's cache, where it falls back there) stays as the worker left it."""
    return os.path.join(home, "tmp")


def package_root() -> str:
    """The folder holding the `derivlens` package (put on PYTHONPATH for the worker)."""
    return str(Path(__file__).resolve().parents[2])


def cache_dir(home: str) -> str:
    """A persistent folder for matplotlib's font cache (so cold starts stay fast); where
    the user's cache folder is not writable, one inside `home`, which goes with it."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    path = os.path.join(base, "derivlens", "matplotlib")
    try:
        os.makedirs(path, mode=0o700, exist_ok=True)
        if os.access(path, os.W_OK):
            return path
    except OSError:
        pass
    path = os.path.join(home, "matplotlib")
    os.makedirs(path, mode=0o700, exist_ok=True)
    return path


def _start_time(pid: int) -> int | None:
    """When process `pid` started (clock ticks since boot; 0 where the system does not
    say), None if there is no such process."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            raw = f.read()
        return int(raw[raw.rindex(b")") + 2 :].split()[19])
    except FileNotFoundError:
        if os.path.isdir("/proc/self"):
            return None
    except (OSError, ValueError, IndexError):
        return 0
    try:  # no /proc here: is the pid alive at all?
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        pass
    return 0


def remove_stale_homes(tmp: str | None = None) -> list[str]:
    """Remove the private folders of sandboxes whose owner process is gone (a killed
    server); never one whose owner still runs, nor one of another user. What it removed."""
    tmp = tmp or tempfile.gettempdir()
    removed: list[str] = []
    try:
        names = [n for n in os.listdir(tmp) if n.startswith(HOME_PREFIX)]
    except OSError:
        return removed
    for name in names:
        match = _HOME_NAME.match(name)
        if match is None:
            continue  # not named by an owner (an older version's): leave it
        path = os.path.join(tmp, name)
        with contextlib.suppress(OSError):
            info = os.lstat(path)
            if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.geteuid():
                continue  # a symbolic link, a file, another user's: not ours to remove
            started = _start_time(int(match.group(1)))
            if started is not None and (started == 0 or started == int(match.group(2))):
                continue  # its owner is alive (a new process with its pid has another start)
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
    return removed


def private_home() -> str:
    """A fresh private folder, holding the worker's and the children's HOME and TMPDIR.

    Its name says which process owns it, so that the next start can remove it if this
    process dies without cleaning up; stale folders of dead owners go first.
    """
    remove_stale_homes()
    pid = os.getpid()
    home = tempfile.mkdtemp(prefix=f"{HOME_PREFIX}{pid}-{_start_time(pid) or 0}-")
    os.chmod(home, 0o700)
    os.mkdir(children_folder(home), 0o700)
    return home


def clean_environment(
    home: str, mpl_dir: str, source: Mapping[str, str] | None = None
) -> dict[str, str]:
    """The worker's whole environment: allow-listed names, private HOME and config dirs."""
    source = os.environ if source is None else source
    env = {k: v for k, v in source.items() if k in PASSTHROUGH}
    env.setdefault("PATH", "/usr/bin:/bin")
    env.update(FIXED)
    env["HOME"] = children_folder(home)
    env["TMPDIR"] = children_folder(home)
    env["MPLCONFIGDIR"] = mpl_dir
    # PYTHONDONTWRITEBYTECODE is not passed on: the worker writes the compiled modules
    # it lacks where Python keeps them (~0.1 s at every start otherwise, for derivlens
    # run from its sources). Children write none (`sys.dont_write_bytecode`, child.py).
    env["PYTHONPATH"] = package_root()
    return env
