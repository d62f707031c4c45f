"""Which isolation layers this machine offers, and why a missing one is missing."""

from __future__ import annotations

import json
import platform
import shutil
import subprocess
import sys
from dataclasses import dataclass

from derivlens.sandbox.env import cache_dir, clean_environment, private_home

#: Every layer, in the order they are applied, with what it does when active.
LAYERS = {
    "rlimits": "CPU time, address space (+ the memory limit), no core files, no file growth, "
    "64 open files, no capabilities",
    "seccomp": "an allow-list of measured calls: no exec, fork, sockets, file writes, "
    "ptrace, namespaces, System V IPC; threads only as pthread_create makes them; signals, "
    "limits, scheduling and priorities of itself only",
    "landlock": "read-only view of Python, the installed packages and the project",
    "namespaces": "own user, network and IPC namespace: no network interface, no shared IPC",
    "audit-hook": "PEP 578 hook naming common refusals in errors (messages, not a boundary)",
    "env-allowlist": "the worker starts with an allow-listed environment: no tokens or keys",
    "private-tmp": "an empty private folder as cwd, HOME and TMPDIR",
    "output-cap": "stdout/stderr captured, first 64 KiB kept, C-level output discarded",
}


@dataclass(frozen=True)
class LayerStatus:
    name: str
    active: bool
    detail: str


def doctor(app: str) -> list[LayerStatus]:
    """Probe the layers in a throwaway child, as an evaluation of `app` would get them."""
    if not sys.platform.startswith("linux"):
        why = f"not available on {platform.system()}: only Linux offers it"
        return [
            LayerStatus(name, name in ("env-allowlist", "private-tmp", "output-cap", "rlimits",
                                       "audit-hook"), LAYERS[name] if name not in
                        ("seccomp", "landlock", "namespaces") else why)
            for name in LAYERS
        ]  # fmt: skip
    home = private_home()
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "derivlens.sandbox.probe", app],
            capture_output=True,
            env=clean_environment(home, cache_dir(home)),
            cwd=home,
            timeout=60,
            check=False,
        )
        report = json.loads(proc.stdout or b"{}")
    except (OSError, ValueError, subprocess.TimeoutExpired) as exc:
        report = {"layers": [], "notes": {"probe": f"the probe failed: {exc}"}}
    finally:
        shutil.rmtree(home, ignore_errors=True)
    active = set(report.get("layers") or [])
    notes = report.get("notes") or {}
    details = report.get("details") or {}
    out = []
    for name, what in LAYERS.items():
        if name in active:
            out.append(LayerStatus(name, True, details.get(name, what)))
        else:
            why = notes.get(name) or notes.get("probe") or "not applied"
            out.append(LayerStatus(name, False, str(why)))
    return out


#: Printed by a fresh interpreter: how PNGs are drawn there (derivlens.plotting.fastpath).
_DRAWING = "from derivlens.plotting import fastpath; print(fastpath.status().describe())"


def drawing() -> str:
    """Whether PNGs get the fast text path, or why not, decided as the worker decides it:
    in a fresh interpreter with the worker's environment (docs/protocol.md, "Drawing")."""
    home = private_home()
    try:
        proc = subprocess.run(
            [sys.executable, "-c", _DRAWING],
            capture_output=True,
            text=True,
            env=clean_environment(home, cache_dir(home)),
            cwd=home,
            timeout=120,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"unknown: the check failed ({exc})"
    finally:
        shutil.rmtree(home, ignore_errors=True)
    lines = proc.stdout.strip().splitlines()
    if proc.returncode != 0 or not lines:
        return f"unknown: the check failed ({proc.stderr.strip()[-300:]})"
    return lines[-1]
