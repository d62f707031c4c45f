"""The seccomp allow-list: ordinary code works, library calls in passing fail quietly,
the user's own forbidden calls are `blocked`, and children stay bound to their worker.

Ordinary code here is what the measured corpora do not all reach but real functions
do: threads (torch's intra-op pool on a large tensor, a thread pool in user code),
sleeping, reading project data, listing a folder, random numbers, the local time, a
locale and the user name (glibc's NSS tries the nscd socket first), and lazy imports
of the standard library. Each is checked against its analytic values. As root, this
file runs again as nobody (`test_hardening_cli.test_hardening_unprivileged`).
"""

from __future__ import annotations

import asyncio
import os
import signal
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from derivlens import SANDBOX_APP, defaults, engine, judge, wire
from derivlens.errors import DerivlensError
from derivlens.model import Render
from derivlens.options import Source, read_all
from derivlens.sandbox import Sandbox
from tests import hardening

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def project() -> Iterator[Path]:
    folder = Path(tempfile.mkdtemp(prefix="derivlens-allowlist-"))
    folder.chmod(0o755)
    (folder / "data").mkdir()
    (folder / "data" / "k.txt").write_text("3.0\n")
    for path in (folder / "data", folder / "data" / "k.txt"):
        path.chmod(0o755 if path.is_dir() else 0o644)
    yield folder
    for path in sorted(folder.rglob("*"), reverse=True):
        path.rmdir() if path.is_dir() else path.unlink()
    folder.rmdir()


async def evaluate(
    sandbox: Sandbox, code: str, project: Path, *, timeout: float = 20, **options: Any
) -> dict[str, Any]:
    ready = engine.prepare_source(
        code,
        str(project / "user.py"),
        name="f",
        requested=read_all({"domain": [-2.0, 2.0], "samples": 41, **options}, Source.REQUEST),
        render=Render(size="hover"),
        project_root=str(project),
    )
    outcome = await sandbox.run(ready.job(timeout=timeout, memory_mb=defaults.MEMORY_MB))
    return wire.result_json(judge.finish(ready, outcome, 0.0))


def xs(result: dict[str, Any]) -> list[float]:
    return [float(x) for x in result["x"]]


# code, f(x) expected, f'(x) expected
ORDINARY: dict[str, tuple[str, Any, Any]] = {
    "torch-threads-on-a-large-tensor": (
        "import torch\ndef f(x):\n    big = torch.ones(4_000_000, dtype=torch.float64)\n"
        "    return x * (big * 2).sum() / 4_000_000\n",
        lambda x: 2 * x,
        lambda x: 2.0,
    ),
    "a-thread-pool-in-user-code": (
        "import concurrent.futures as cf\ndef f(x):\n"
        "    with cf.ThreadPoolExecutor(4) as pool:\n"
        "        parts = list(pool.map(lambda k: k, range(4)))\n"
        "    return x * sum(parts)\n",
        lambda x: 6 * x,
        lambda x: 6.0,
    ),
    "sleep-and-time": (
        "import time, datetime\ndef f(x):\n    time.sleep(0.001)\n"
        "    datetime.datetime.now().astimezone()\n    time.localtime()\n    return x * x\n",
        lambda x: x * x,
        lambda x: 2 * x,
    ),
    "project-data-and-a-folder-listing": (
        "import os\ndef f(x):\n    here = os.path.dirname(__file__)\n"
        "    names = os.listdir(os.path.join(here, 'data'))\n"
        "    with open(os.path.join(here, 'data', names[0])) as fh:\n"
        "        k = float(fh.read())\n    return k * x\n",
        lambda x: 3 * x,
        lambda x: 3.0,
    ),
    "random-user-name-locale-lazy-imports": (
        "def f(x):\n    import getpass, locale, random, secrets, uuid, json, csv, decimal\n"
        "    getpass.getuser()\n    locale.setlocale(locale.LC_ALL, '')\n"
        "    random.random() + secrets.randbits(8)\n    uuid.uuid4()\n    return x + 1\n",
        lambda x: x + 1,
        lambda x: 1.0,
    ),
    "user-name-through-nss": (
        "import os, pwd, grp\ndef f(x):\n    pwd.getpwuid(os.getuid())\n"
        "    grp.getgrgid(os.getgid())\n    return -x\n",
        lambda x: -x,
        lambda x: -1.0,
    ),
}


@pytest.mark.asyncio(loop_scope="module")
@pytest.mark.parametrize("case", sorted(ORDINARY))
async def test_ordinary_code_is_plotted(case: str, sandbox: Sandbox, project: Path) -> None:
    code, f, df = ORDINARY[case]
    result = await evaluate(sandbox, code, project)
    for x, y, dy in zip(xs(result), result["f"], result["derivatives"]["1"], strict=True):
        assert y == pytest.approx(f(x), abs=1e-12), case
        assert dy == pytest.approx(df(x), abs=1e-9), case
    assert "seccomp" in result["sandbox"]


@pytest.mark.asyncio(loop_scope="module")
async def test_user_look_ups_that_try_nscd_first_are_not_an_attack(
    sandbox: Sandbox, project: Path
) -> None:
    """glibc asks nscd over a UNIX socket before it reads /etc/passwd, and after a failure
    tries again every 100 look-ups: 300 of them reach the socket whatever the worker did
    before. (torch._dynamo, imported lazily by some backward passes, asks for the user
    name this way.) The socket fails quietly; the names come from the files."""
    code = (
        "import getpass, os, pwd\ndef f(x):\n"
        "    names = {pwd.getpwuid(os.getuid()).pw_name for _ in range(300)}\n"
        "    names.add(getpass.getuser())\n"
        "    return x * len(names)\n"
    )
    result = await evaluate(sandbox, code, project)
    assert result["f"] == xs(result)  # one name, found each time
    assert result["derivatives"]["1"] == [1.0] * len(result["x"])


# the user's own sockets, with the audit hook and without it: still `blocked`
SOCKETS = {
    "unix-connect": (
        "import socket\ndef f(x):\n    s = socket.socket(socket.AF_UNIX)\n"
        "    s.connect('/var/run/nscd/socket')\n    return x\n",
        "open a socket",
    ),
    "inet": (
        "import socket\ndef f(x):\n    socket.socket(socket.AF_INET, socket.SOCK_STREAM)\n"
        "    return x\n",
        "open a socket",
    ),
    "unix-raw": (
        hardening.HOOK_OFF + "def f(x):\n    libc()\n"
        "    if libc().socket(1, 1, 0) >= 0:\n        raise ValueError('a socket')\n"
        "    raise OSError(ctypes.get_errno(), os.strerror(ctypes.get_errno()))\n",
        "open a socket",
    ),
    "inet-raw": (
        hardening.HOOK_OFF + "def f(x):\n    libc()\n    libc().socket(2, 1, 0)\n    return x\n",
        "system call the sandbox forbids",
    ),
}


@pytest.mark.asyncio(loop_scope="module")
@pytest.mark.parametrize("case", sorted(SOCKETS))
async def test_the_user_s_own_sockets_are_blocked(
    case: str, sandbox: Sandbox, project: Path
) -> None:
    code, words = SOCKETS[case]
    code = code.replace("import ctypes, gc, types", "import ctypes, gc, os, types")
    with pytest.raises(DerivlensError) as info:
        await evaluate(sandbox, code, project)
    assert info.value.kind == "blocked", info.value.message
    assert words in info.value.message


# --- clone and prctl ---------------------------------------------------------------------

PRCTL = hardening.HOOK_OFF + "def f(x):\n    libc().prctl(OPTION, ARG, 0, 0, 0)\n    return x\n"


@pytest.mark.asyncio(loop_scope="module")
@pytest.mark.parametrize(
    ("option", "arg"),
    [(1, 0), (4, 1), (36, 1), (0x59616D61, -1)],
    ids=["clear-pdeathsig", "set-dumpable", "child-subreaper", "set-ptracer-any"],
)
async def test_prctl_that_loosens_the_sandbox_is_blocked(
    option: int, arg: int, sandbox: Sandbox, project: Path
) -> None:
    code = PRCTL.replace("OPTION", str(option)).replace("ARG", str(arg))
    with pytest.raises(DerivlensError) as info:
        await evaluate(sandbox, code, project)
    assert info.value.kind == "blocked", info.value.message
    assert "system call the sandbox forbids" in info.value.message


@pytest.mark.asyncio(loop_scope="module")
async def test_prctl_that_only_tightens_or_names_is_allowed(
    sandbox: Sandbox, project: Path
) -> None:
    code = hardening.HOOK_OFF + (
        "def f(x):\n    lib = libc()\n"
        "    ok = [lib.prctl(15, b'mine', 0, 0, 0), lib.prctl(38, 1, 0, 0, 0),"
        " lib.prctl(4 - 1, 0, 0, 0, 0)]\n"  # PR_SET_NAME, NO_NEW_PRIVS, PR_GET_DUMPABLE
        "    return x * (1.0 if ok == [0, 0, 0] else -1.0)\n"
    )
    result = await evaluate(sandbox, code, project)
    assert result["f"] == xs(result)


@pytest.mark.asyncio(loop_scope="module")
@pytest.mark.parametrize(
    "flags",
    [0x00010000 | 0x100 | 0x800, 0x10000000 | 0x00010000 | 0x100 | 0x800 | 0x200],
    ids=["thread-without-its-usual-flags", "thread-in-a-new-user-namespace"],
)
async def test_clone_with_other_than_pthread_flags_is_blocked(
    flags: int, sandbox: Sandbox, project: Path
) -> None:
    code = hardening.source_of(
        hardening.Attack(
            hardening._fn(f"sc(NR_clone, {flags}, 0, 0, 0, 0)\nreturn x"), "", "", hook_off=True
        ),
        os.getpid(),
        os.getpid(),
    )
    with pytest.raises(DerivlensError) as info:
        await evaluate(sandbox, code, project)
    assert info.value.kind == "blocked", info.value.message


@pytest.mark.asyncio(loop_scope="module")
async def test_an_unknown_system_call_is_blocked(sandbox: Sandbox, project: Path) -> None:
    """A call no measured workload made and no rule names (`syslog`, reading the kernel's
    log): refused like any forbidden call, at the user's line."""
    import pyseccomp

    nr = pyseccomp.resolve_syscall(pyseccomp.system_arch(), "syslog")
    code = hardening.HOOK_OFF + f"def f(x):\n    sc({nr}, 3, 0, 0)\n    return x\n"
    with pytest.raises(DerivlensError) as info:
        await evaluate(sandbox, code, project)
    assert info.value.kind == "blocked", info.value.message
    assert "user.py:" in info.value.message


# --- children never outlive their worker --------------------------------------------------


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[1].split()[0]
    except OSError:
        return False
    return state not in "ZX"


@pytest.mark.asyncio(loop_scope="module")
@pytest.mark.parametrize("clears", [False, True], ids=["sleeping", "after-clearing-pdeathsig"])
async def test_a_child_dies_with_its_worker(clears: bool, project: Path) -> None:
    """SIGKILL the worker while its child sleeps in user code (which first tried to clear
    its parent-death signal): the child is gone within two seconds."""
    sandbox = Sandbox(SANDBOX_APP)
    await sandbox.start()
    try:
        code = hardening.HOOK_OFF + (
            "import time\ndef f(x):\n"
            + (
                "    try:\n        libc().prctl(1, 0, 0, 0, 0)\n    except BaseException:\n"
                "        pass\n"
                if clears
                else ""
            )
            + "    time.sleep(60)\n    return x\n"
        )
        task = asyncio.create_task(evaluate(sandbox, code, project, timeout=60))
        await asyncio.sleep(1.5)
        worker = sandbox._worker
        assert worker is not None
        children = [p.pid for p in worker.pending.values() if p.pid is not None]
        assert children and all(_alive(pid) for pid in children)
        os.kill(worker.proc.pid, signal.SIGKILL)
        deadline = time.monotonic() + 2.0
        while time.monotonic() < deadline and any(_alive(pid) for pid in children):
            await asyncio.sleep(0.05)
        assert not any(_alive(pid) for pid in children), "a child outlived its worker"
        task.cancel()
        with pytest.raises((asyncio.CancelledError, DerivlensError)):
            await task
    finally:
        await sandbox.close()
