"""The attacks of `tests/hardening.py` marked `cli`, through `derivlens plot` as a user runs it.

Each CLI run is a fresh worker, so what could poison the next one is what outlives the
process: another process changed, an IPC object, a file. After each attack: the kind and
words (in one JSON object, never a traceback), the victim `sleep` unchanged, nothing left
(IPC, /dev/shm, the temporary folder the CLI was given), and the next ordinary plot right
with every layer. Also the readable project as the CLI decides it (no workspace: the
marker rule), stale sandbox folders, and a user whose home is not writable.
As root, all of it (and the language-server file) runs again as nobody.
"""

from __future__ import annotations

import json
import math
import os
import resource
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from derivlens.sandbox.env import HOME_PREFIX, _start_time
from tests import hardening
from tests.hardening import ATTACKS, Victim, assert_nothing_left
from tests.unprivileged import let_nobody_run_python, run_pytest_as_nobody

ROOT = Path(__file__).resolve().parents[2]
CLI = sorted(name for name, attack in ATTACKS.items() if attack.cli)
LOW_MEMORY = 2_500_000_000


@pytest.fixture(scope="module")
def victim() -> Iterator[Victim]:
    v = Victim()
    yield v
    v.close()


@pytest.fixture
def place(tmp_path: Path) -> Iterator[dict[str, Path]]:
    """A temporary folder (TMPDIR), a home and a project folder, all the test's own."""
    tmp, home, project = tmp_path / "tmp", tmp_path / "home", tmp_path / "project"
    for folder in (tmp, home / ".ssh", project):
        folder.mkdir(parents=True)
    tmp.chmod(0o700)
    (project / "pyproject.toml").write_text("[project]\nname = 'p'\n")
    yield {"tmp": tmp, "home": home, "project": project}


def run(
    file: Path, place: dict[str, Path], *extra: str, memory: int | None = None, **env: str
) -> dict[str, Any]:
    """`derivlens plot FILE --function f --json ...`: its one JSON object (`memory`: a hard
    address-space limit the CLI is started under)."""
    environment = {
        **os.environ,
        "TMPDIR": str(place["tmp"]),
        "HOME": str(place["home"]),
        "XDG_CACHE_HOME": os.environ.get("XDG_CACHE_HOME")
        or os.path.join(os.path.expanduser("~"), ".cache"),
        **env,
    }
    environment = {k: v for k, v in environment.items() if v}
    command = [sys.executable, "-m", "derivlens", "plot", str(file), "--function", "f"]
    done = subprocess.run(
        [*command, "--json", "--timeout", "8", *extra],
        capture_output=True,
        text=True,
        env=environment,
        timeout=120,
        preexec_fn=(lambda: resource.setrlimit(resource.RLIMIT_AS, (memory, memory)))
        if memory
        else None,
    )
    assert "Traceback" not in done.stdout + done.stderr, done.stderr
    lines = done.stdout.strip().splitlines()
    assert len(lines) == 1, (done.stdout, done.stderr)
    reply: dict[str, Any] = json.loads(lines[0])
    assert done.returncode == (1 if "error" in reply else 0), done.stderr
    return reply


def ordinary(place: dict[str, Path]) -> None:
    """The next ordinary plot: right, with every layer, and nothing left behind."""
    file = place["project"] / "ordinary.py"
    file.write_text(hardening.ordinary_source())
    result = run(file, place)
    assert "error" not in result, result
    x = result["x"]
    assert len(x) == hardening.SAMPLES and result["domain"] == list(hardening.DOMAIN)
    assert max(abs(f - math.sin(v) * v) for f, v in zip(result["f"], x, strict=True)) < 1e-12
    assert set(result["sandbox"]) == hardening.ALL_LAYERS or not sys.platform.startswith("linux")
    assert_nothing_left(place["tmp"])


@pytest.mark.parametrize("name", CLI)
def test_attack(name: str, place: dict[str, Path], victim: Victim) -> None:
    attack = ATTACKS[name]
    file = place["project"] / "attack.py"
    file.write_text(hardening.source_of(attack, victim.pid, os.getpid()))
    out = place["project"] / f"plot.{attack.out}" if attack.out else None
    reply = run(file, place, *(["--out", str(out)] if out else []))
    error = reply.get("error") or {}
    assert error.get("kind") == attack.kind, reply
    assert attack.words in error["message"], error["message"]
    assert out is None or not out.exists(), "an image that was refused was written"
    victim.assert_unchanged()
    assert_nothing_left(place["tmp"])
    ordinary(place)


# --- the readable project without a workspace ----------------------------------------------

READ = hardening.HEADER + "def f(x):\n    return x * float(open(PATH).read())\n"


def test_a_scratch_file_in_home_cannot_read_home(place: dict[str, Path]) -> None:
    (place["home"] / ".ssh" / "id_rsa").write_text("1")
    file = place["home"] / "scratch.py"
    file.write_text(READ.replace("PATH", repr(str(place["home"] / ".ssh" / "id_rsa"))))
    reply = run(file, place)
    assert reply["error"]["kind"] == "blocked", reply
    assert "read a file outside Python and your project" in reply["error"]["message"]
    assert_nothing_left(place["tmp"])
    ordinary(place)


def test_a_file_in_the_temp_root_cannot_read_the_temp_root(place: dict[str, Path]) -> None:
    (place["tmp"] / "secret").write_text("1")
    file = place["tmp"] / "t.py"
    file.write_text(READ.replace("PATH", repr(str(place["tmp"] / "secret"))))
    reply = run(file, place)
    assert reply["error"]["kind"] == "blocked", reply
    assert "read a file outside Python and your project" in reply["error"]["message"]
    file.unlink()
    (place["tmp"] / "secret").unlink()
    assert_nothing_left(place["tmp"])


def test_a_file_of_a_marked_project_reads_its_project(place: dict[str, Path]) -> None:
    (place["project"] / "data").mkdir()
    (place["project"] / "data" / "k.txt").write_text("3")
    (place["project"] / "src").mkdir()
    file = place["project"] / "src" / "reads.py"
    file.write_text(READ.replace("PATH", repr(str(place["project"] / "data" / "k.txt"))))
    result = run(file, place)
    assert result.get("f", [None])[-1] == 6.0, result
    assert set(result["sandbox"]) == hardening.ALL_LAYERS or not sys.platform.startswith("linux")
    assert_nothing_left(place["tmp"])


def test_a_server_under_a_hard_memory_limit_keeps_its_limits(place: dict[str, Path]) -> None:
    """Started under `ulimit -v` (2.5 GB: a child maps 0.7 GB and asks for 2 GiB more), it
    takes the lower limit, keeps every layer, and runs out of memory as kind `memory`."""
    attack = ATTACKS["mmap-50GB"]
    file = place["project"] / "attack.py"
    file.write_text(hardening.source_of(attack, os.getpid(), os.getpid()))
    reply = run(file, place, memory=LOW_MEMORY)
    assert reply.get("error", {}).get("kind") == "memory", reply
    file.write_text(hardening.ordinary_source())
    result = run(file, place, memory=LOW_MEMORY)
    assert "error" not in result, result
    assert set(result["sandbox"]) == hardening.ALL_LAYERS or not sys.platform.startswith("linux")


# --- temporary folders ---------------------------------------------------------------------


def test_stale_folders_go_and_an_unwritable_home_leaves_nothing(place: dict[str, Path]) -> None:
    gone = subprocess.Popen(["true"])
    gone.wait()
    stale = place["tmp"] / f"{HOME_PREFIX}{gone.pid}-99-abcdef"
    live = place["tmp"] / f"{HOME_PREFIX}{os.getpid()}-{_start_time(os.getpid())}-ghijkl"
    other = place["tmp"] / f"{HOME_PREFIX}old-style"  # no owner in its name: not ours
    for folder in (stale, live, other):
        folder.mkdir()
    file = place["project"] / "ordinary.py"
    file.write_text(hardening.ordinary_source())
    # a home that cannot be written, and no cache folder of its own
    result = run(file, place, HOME="/nonexistent", XDG_CACHE_HOME="")
    assert "error" not in result, result
    assert not stale.exists(), "a dead server's folder was left"
    assert live.exists() and other.exists(), "a folder that is not stale was removed"
    live.rmdir()
    other.rmdir()
    assert_nothing_left(place["tmp"])  # no derivlens-mpl-* either


# --- the same as an unprivileged user --------------------------------------------------------


@pytest.mark.skipif(os.geteuid() != 0 or shutil.which("setpriv") is None, reason="root only")
def test_hardening_unprivileged() -> None:
    """Every test of this file, of the language-server file, of the project rule, of the
    workspace-imports guard, of the seccomp allow-list, of the task cap and of the private
    temporary folder, again as nobody (65534)."""
    assert let_nobody_run_python(), "the venv's interpreter is not usable by nobody"
    files = [
        "sandbox/test_hardening_cli.py",
        "lsp/test_hardening_lsp.py",
        "unit/test_project.py",
        "lsp/test_workspace_imports.py",
        "sandbox/test_seccomp_allowlist.py",
        "sandbox/test_tasks.py",
        "sandbox/test_private_tmp.py",
    ]
    proc = run_pytest_as_nobody(
        ["-k", "not unprivileged", *[str(ROOT / "tests" / f) for f in files]],
        pythonpath=f"{ROOT / 'server'}:{ROOT}",
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    assert " passed" in proc.stdout and "skipped" not in proc.stdout, proc.stdout[-2000:]
