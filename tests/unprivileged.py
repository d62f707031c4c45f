"""Re-running test files as the unprivileged user nobody (65534), for the sandbox's
"the same tests pass as an unprivileged user" (used by test_sandbox and test_hardening_cli)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

AS_NOBODY = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]


def nobody_can_run_python() -> bool:
    """Does nobody get *this* interpreter (not a fallback) and our packages?"""
    code = "import sys, torch, pyseccomp; print(sys.version)"
    out = subprocess.run(
        [*AS_NOBODY, sys.executable, "-c", code], capture_output=True, text=True, check=False
    )
    return out.returncode == 0 and out.stdout.strip() == sys.version


def let_nobody_run_python() -> bool:
    """Whether nobody can run this interpreter, after letting others traverse the folders
    above it if needed (it lives under a root-only home with pyenv)."""
    if not nobody_can_run_python():
        for parent in Path(os.path.realpath(sys.executable)).parents:
            if parent.exists() and not os.stat(parent).st_mode & 0o001:
                parent.chmod(parent.stat().st_mode | 0o001)
    return nobody_can_run_python()


def run_pytest_as_nobody(
    args: list[str], *, pythonpath: str, timeout: float, extra_env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """`python -m pytest -q -x ARGS` as nobody, with a home of its own (removed after)."""
    home = tempfile.mkdtemp(prefix="derivlens-nobody-")
    os.chmod(home, 0o777)
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": home,
        "XDG_CACHE_HOME": home,
        "PYTHONPATH": pythonpath,
        **(extra_env or {}),
    }
    cmd = [*AS_NOBODY, sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-x"]
    try:
        return subprocess.run(
            [*cmd, *args], cwd=home, env=env, capture_output=True, text=True, timeout=timeout
        )
    finally:
        shutil.rmtree(home, ignore_errors=True)
