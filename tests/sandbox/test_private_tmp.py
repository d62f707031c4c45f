"""The child's private temporary folder: writable inside, nowhere else, gone with the
child; only the user's own forbidden operations are `blocked`; the filters cover every
thread (issue 17).

As root, this file runs again as nobody (`test_hardening_cli.test_hardening_unprivileged`).
"""

from __future__ import annotations

import asyncio
import errno
import os
import shutil
import tempfile
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from derivlens import SANDBOX_APP, defaults, engine, judge, wire
from derivlens.errors import DerivlensError
from derivlens.model import Render
from derivlens.options import Source, read_all
from derivlens.sandbox import Sandbox
from derivlens.sandbox.env import children_folder
from derivlens.sandbox.layers import LayerUnavailable, audit, seccomp_filter
from derivlens.sandbox.layers.origin import Origin
from tests import hardening


@pytest.fixture(scope="module")
def project() -> Iterator[Path]:
    folder = Path(tempfile.mkdtemp(prefix="derivlens-private-tmp-"))
    folder.chmod(0o755)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


async def evaluate(
    sandbox: Sandbox, code: str, project: Path, *, domain: tuple[float, float] = (-2.0, 2.0)
) -> dict[str, Any]:
    ready = engine.prepare_source(
        code,
        str(project / "user.py"),
        name="f",
        requested=read_all({"domain": list(domain), "samples": 41}, Source.REQUEST),
        render=Render(size="hover"),
        project_root=str(project),
    )
    outcome = await sandbox.run(ready.job(timeout=30, memory_mb=defaults.MEMORY_MB))
    return wire.result_json(judge.finish(ready, outcome, 0.0))


async def refusal(sandbox: Sandbox, code: str, project: Path) -> DerivlensError:
    with pytest.raises(DerivlensError) as info:
        await evaluate(sandbox, code, project)
    return info.value


def xs(result: dict[str, Any]) -> list[float]:
    return [float(x) for x in result["x"]]


# --- the example: a library's write in passing -----------------------------------


@pytest.mark.asyncio(loop_scope="module")
async def test_a_lazy_torch_import_that_makes_its_cache_folder_is_plotted(
    sandbox: Sandbox, project: Path
) -> None:
    """Refining the critical point imports torch._dynamo, which makes its cache folder in
    TMPDIR: that is the child's own folder, so the plot is right."""
    code = "import torch\ndef f(x):\n    return (x - 1.5)**2 + 0*torch.abs(x)\n"
    result = await evaluate(sandbox, code, project, domain=(0.5, 1.7))
    for x, y, dy in zip(xs(result), result["f"], result["derivatives"]["1"], strict=True):
        assert y == pytest.approx((x - 1.5) ** 2, abs=1e-12)
        assert dy == pytest.approx(2 * (x - 1.5), abs=1e-9)
    [critical] = result["critical_points"]
    assert abs(critical - 1.5) < 1e-9
    assert {"landlock", "seccomp", "audit-hook"} <= set(result["sandbox"])


# --- writing inside works, and nothing is left ----------------------------------------------

WRITES = """import os, shutil, tempfile
def f(x):
    folder = os.path.join(tempfile.gettempdir(), "sub", "deeper")
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "a.txt"), "w") as out:
        out.write("2.5")
    os.replace(os.path.join(folder, "a.txt"), os.path.join(folder, "b.txt"))
    with open(os.path.join(folder, "b.txt")) as back:
        k = float(back.read())
    with tempfile.NamedTemporaryFile("w") as scratch:
        scratch.write("x")
    with open(os.path.expanduser("~/notes.txt"), "a") as home:
        home.write("y")
    with open("relative.txt", "w") as here:
        here.write("z")
    os.remove("relative.txt")
    shutil.rmtree(os.path.join(tempfile.gettempdir(), "sub"))
    return k * x
"""


@pytest.mark.asyncio(loop_scope="module")
async def test_writing_in_the_private_folder_works(sandbox: Sandbox, project: Path) -> None:
    """Making folders, writing, renaming, temporary files, HOME and the cwd, removing."""
    result = await evaluate(sandbox, WRITES, project)
    assert result["f"] == pytest.approx([2.5 * x for x in xs(result)], abs=1e-12)
    assert result["derivatives"]["1"] == pytest.approx([2.5] * 41, abs=1e-9)


@pytest.mark.asyncio(loop_scope="module")
async def test_what_a_child_wrote_is_gone_and_the_next_child_sees_nothing(
    sandbox: Sandbox, project: Path
) -> None:
    """A child leaves a file in its folder (and says where): once it has exited the file
    exists nowhere (its folder was a tmpfs of its own), the worker's folder on disk holds
    nothing, and the next child finds its folder empty."""
    name = f"left-{uuid.uuid4().hex}.txt"
    leave = (
        "import os, tempfile\ndef f(x):\n"
        f"    path = os.path.join(tempfile.gettempdir(), {name!r})\n"
        "    with open(path, 'w') as out:\n        out.write('1')\n"
        "    raise ValueError('LEFT ' + path + ' IN ' + os.getcwd())\n"
    )
    error = await refusal(sandbox, leave, project)
    assert error.kind == "user-error", error.message
    path = error.message.split("LEFT ")[1].split(" IN ")[0]
    assert os.path.basename(path) == name
    assert not os.path.exists(path), "a file a child wrote outlived it"
    home = sandbox._home
    assert home is not None and path.startswith(children_folder(home) + "/")
    assert os.listdir(children_folder(home)) == []
    look = "import os, tempfile\ndef f(x):\n    return x * len(os.listdir(tempfile.gettempdir()))\n"
    seen = await evaluate(sandbox, look, project)
    assert seen["f"] == [0.0] * 41, "the next child saw what an earlier one wrote"


# --- writing outside stays the user's forbidden operation -----------------------------------


def _real_home() -> str:
    import pwd

    return pwd.getpwuid(os.getuid()).pw_dir


OUTSIDE = {
    "mkdir-in-tmp": (
        "import os\ndef f(x):\n    os.mkdir(MARKER)\n    return x\n",
        "change the file system (os.mkdir)",
    ),
    "append-to-bashrc": (
        "def f(x):\n    open(BASHRC, 'a').close()\n    return x\n",
        "write to a file (open",
    ),
    "rmtree-through-the-standard-library": (
        "import shutil\ndef f(x):\n    shutil.rmtree(MARKER)\n    return x\n",
        "change the file system (shutil.rmtree)",
    ),
    "raw-open-for-writing-hook-off": (
        hardening.HOOK_OFF.replace("import ctypes, gc, types", "import ctypes, gc, os, types")
        + "def f(x):\n    if libc().open(MARKER.encode(), 0o101, 0o600) >= 0:\n"
        "        raise ValueError('a file was made')\n"
        "    raise OSError(ctypes.get_errno(), os.strerror(ctypes.get_errno()))\n",
        "write a file outside its private temporary folder",
    ),
}


@pytest.mark.asyncio(loop_scope="module")
@pytest.mark.parametrize("case", sorted(OUTSIDE))
async def test_writing_outside_is_blocked(case: str, sandbox: Sandbox, project: Path) -> None:
    marker = Path(tempfile.gettempdir()) / f"derivlens-outside-{uuid.uuid4().hex}"
    bashrc = Path(_real_home()) / ".bashrc"
    before = bashrc.stat().st_mtime_ns if bashrc.exists() else None
    code, words = OUTSIDE[case]
    code = code.replace("MARKER", repr(str(marker))).replace("BASHRC", repr(str(bashrc)))
    error = await refusal(sandbox, code, project)
    assert error.kind == "blocked", error.message
    assert words in error.message
    assert not marker.exists(), "a file was made outside the private folder"
    assert (bashrc.stat().st_mtime_ns if bashrc.exists() else None) == before


def test_without_landlock_nothing_is_writable(project: Path) -> None:
    """No path scoping without Landlock: even the private folder is refused, as before."""

    async def go() -> DerivlensError:
        s = Sandbox(SANDBOX_APP, without=("landlock",))
        try:
            return await refusal(s, WRITES, project)
        finally:
            await s.close()

    error = asyncio.run(go())
    assert error.kind == "blocked", error.message
    assert "change the file system (os.mkdir)" in error.message


# --- sockets: the words say so ---------------------------------------------------------------

SOCKETS = {
    "socket-socket": "import socket\ndef f(x):\n    socket.socket()\n    return x\n",
    "unix-socket-hook-off": hardening.HOOK_OFF
    + "import socket\ndef f(x):\n    libc()\n    socket.socket(socket.AF_UNIX)\n    return x\n",
}


@pytest.mark.asyncio(loop_scope="module")
@pytest.mark.parametrize("case", sorted(SOCKETS))
async def test_a_socket_is_blocked_in_words_about_sockets(
    case: str, sandbox: Sandbox, project: Path
) -> None:
    error = await refusal(sandbox, SOCKETS[case], project)
    assert error.kind == "blocked", error.message
    assert "open a socket" in error.message and "write a file" not in error.message


# --- whose operation: the rule, frame by frame -------------------------------------------------


def _call_from(filename: str, hook: Any, event: str, args: tuple[Any, ...]) -> None:
    """Call `hook` from code whose frames say they are in `filename`."""
    code = compile("hook(event, args)\n", filename, "exec")
    exec(code, {"hook": hook, "event": event, "args": args})


def test_a_library_s_refusal_is_a_quiet_errno_and_the_user_s_is_blocked(tmp_path: Path) -> None:
    library, user = tmp_path / "site-packages", tmp_path / "project" / "user.py"
    stdlib = os.path.dirname(shutil.__file__)
    origin = Origin([str(library)], [stdlib])
    refusals: list[tuple[str, str]] = []
    hook = audit.make_hook(refusals, None, os.getpid(), None, origin)
    with pytest.raises(PermissionError) as quiet:
        _call_from(str(library / "torch" / "cache.py"), hook, "os.mkdir", ("/tmp/x", 0o777, -1))
    assert quiet.value.errno == errno.EACCES and not isinstance(quiet.value, audit.SandboxRefusal)
    assert refusals == [], "a library's refusal was taken for the user's"
    with pytest.raises(audit.SandboxRefusal):
        _call_from(str(user), hook, "os.mkdir", ("/tmp/x", 0o777, -1))
    assert refusals == [("change the file system", "os.mkdir")]
    # the standard library acts for its caller (here this test's code, not a library's)
    with pytest.raises(audit.SandboxRefusal):
        _call_from(os.path.join(stdlib, "shutil.py"), hook, "shutil.rmtree", ("/tmp/x", None))


# --- every thread is filtered ------------------------------------------------------------------


def _in_a_fork(body: Any) -> int:
    """Run `body()` in a forked process; its return value (a small int) is the exit code."""
    pid = os.fork()
    if pid == 0:
        code = 99
        try:
            code = int(body())
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)


def test_seccomp_covers_a_thread_that_already_runs(tmp_path: Path) -> None:
    """A thread started before the filter is loaded is filtered too (TSYNC): its mkdir
    fails with the filter's EACCES, not the file system's ENOENT."""
    missing = str(tmp_path / "no" / "such" / "folder")

    def body() -> int:
        go, done, seen = threading.Event(), threading.Event(), []

        def other() -> None:
            go.wait()
            try:
                os.mkdir(missing)
            except OSError as exc:
                seen.append(exc.errno)
            done.set()

        threading.Thread(target=other, daemon=True).start()
        seccomp_filter.load(seccomp_filter.build(os.getpid()))
        go.set()
        done.wait(10)
        return 1 if seen == [errno.EACCES] else 2

    assert _in_a_fork(body) == 1


def test_landlock_refuses_a_process_with_threads() -> None:
    """Landlock restricts only the calling thread: with another thread it is not applied."""
    from derivlens.sandbox.layers.landlock_fs import Ruleset

    def body() -> int:
        try:
            ruleset = Ruleset()
        except LayerUnavailable:
            return 3
        stop = threading.Event()
        threading.Thread(target=stop.wait, daemon=True).start()
        try:
            ruleset.apply()
        except LayerUnavailable as exc:
            return 1 if "single-threaded" in str(exc) else 2
        return 2

    code = _in_a_fork(body)
    if code == 3:
        pytest.skip("no Landlock on this kernel")
    assert code == 1


def test_the_private_folder_is_a_fresh_tmpfs_of_bounded_size(tmp_path: Path) -> None:
    """Written past its size, the folder says it is full (ENOSPC), not the disk."""
    from derivlens.sandbox.layers import namespaces, private_tmp

    def body() -> int:
        try:
            namespaces.apply()
        except LayerUnavailable:
            if os.geteuid() != 0:
                return 3
        private_tmp.mount_fresh(str(tmp_path))
        if os.listdir("."):
            return 2
        chunk = b"\0" * (1 << 20)
        try:
            with open("big", "wb") as out:
                for _ in range(private_tmp.SIZE_BYTES // len(chunk) + 2):
                    out.write(chunk)
        except OSError as exc:
            return 1 if exc.errno == errno.ENOSPC else 4
        return 5

    (tmp_path / "on-disk").write_text("the worker's")
    code = _in_a_fork(body)
    if code == 3:
        pytest.skip("no mount namespace for this user here")
    assert code == 1
    assert os.listdir(tmp_path) == ["on-disk"], "the tmpfs reached the worker's view"
