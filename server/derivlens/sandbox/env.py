"""The allow-listed environment the worker (and so every child) starts with.

Secrets in the server's environment (tokens, keys) must never reach user code, not even
through `/proc/self/environ`, which keeps the environment a process was *started* with:
so the worker is spawned with this environment rather than scrubbing its own.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path

#: Variables copied from the server's environment when set.
PASSTHROUGH = ("PATH", "LANG", "LANGUAGE", "TZ", "TERM")
#: Prefixes copied too (locale settings).
PASSTHROUGH_PREFIXES = ("LC_",)

FIXED = {
    "MPLBACKEND": "Agg",
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "NUMEXPR_NUM_THREADS": "1",
    "PYTHONDONTWRITEBYTECODE": "1",
    "PYTHONUNBUFFERED": "1",
    "PYTHONNOUSERSITE": "1",
    "PYTHONHASHSEED": "0",
}


def package_root() -> str:
    """The folder holding the `derivlens` package (needed on PYTHONPATH if not installed)."""
    return str(Path(__file__).resolve().parents[2])


def clean_environment(home: str, source: Mapping[str, str] | None = None) -> dict[str, str]:
    """The worker's whole environment: allow-listed names, private HOME and config dirs."""
    source = os.environ if source is None else source
    env = {k: v for k, v in source.items() if k in PASSTHROUGH or k.startswith(PASSTHROUGH_PREFIXES)}
    env.setdefault("PATH", "/usr/bin:/bin")
    env.update(FIXED)
    env["HOME"] = home
    env["TMPDIR"] = home
    env["MPLCONFIGDIR"] = os.path.join(home, "matplotlib")
    env["XDG_CACHE_HOME"] = os.path.join(home, "cache")
    env["PYTHONPATH"] = package_root()
    return env


def python_executable() -> str:
    return sys.executable
