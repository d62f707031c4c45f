"""The allow-listed environment the worker (and so every child) starts with.

Secrets in the server's environment (tokens, keys) must never reach user code, not even
through `/proc/self/environ`, which keeps the environment a process was *started* with:
so the worker is spawned with this environment rather than scrubbing its own.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from pathlib import Path

#: Variables copied from the server's environment when set.
PASSTHROUGH = ("PATH", "LANG", "LANGUAGE", "TZ")
#: Prefixes copied too (locale settings).
PASSTHROUGH_PREFIXES = ("LC_",)

FIXED = {
    "MPLBACKEND": "Agg",
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "NUMEXPR_NUM_THREADS": "1",
    "PYTHONDONTWRITEBYTECODE": "1",
    "PYTHONNOUSERSITE": "1",
    "PYTHONSAFEPATH": "1",
}


def package_root() -> str:
    """The folder holding the `derivlens` package (put on PYTHONPATH for the worker)."""
    return str(Path(__file__).resolve().parents[2])


def cache_dir() -> str:
    """A persistent folder for matplotlib's font cache (so cold starts stay fast)."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    path = os.path.join(base, "derivlens", "matplotlib")
    try:
        os.makedirs(path, mode=0o700, exist_ok=True)
        if os.access(path, os.W_OK):
            return path
    except OSError:
        pass
    return tempfile.mkdtemp(prefix="derivlens-mpl-")


def private_home() -> str:
    """A fresh private folder: the worker's HOME, the children's cwd and TMPDIR."""
    home = tempfile.mkdtemp(prefix="derivlens-sandbox-")
    os.chmod(home, 0o700)
    return home


def clean_environment(
    home: str, mpl_dir: str, source: Mapping[str, str] | None = None
) -> dict[str, str]:
    """The worker's whole environment: allow-listed names, private HOME and config dirs."""
    source = os.environ if source is None else source
    env = {
        k: v for k, v in source.items() if k in PASSTHROUGH or k.startswith(PASSTHROUGH_PREFIXES)
    }
    env.setdefault("PATH", "/usr/bin:/bin")
    env.update(FIXED)
    env["HOME"] = home
    env["TMPDIR"] = home
    env["MPLCONFIGDIR"] = mpl_dir
    env["PYTHONPATH"] = package_root()
    return env
