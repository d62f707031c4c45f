"""Every attack of `tests/hardening.py` against ONE long-lived language server.

One server (and so one sandbox worker) takes all the attacks in turn, as an editor
session would: after each, the victim `sleep`, the server and the worker are as they
were, no IPC object or file is left, and the next ordinary plot is right and lists every
layer, so no attack poisons the requests after it. The server runs with a temporary
folder and a home of the test's own (TMPDIR, HOME), which also holds a stale sandbox
folder of a dead server (removed at start) and one of a live process (kept).
"""

from __future__ import annotations

import asyncio
import math
import os
import re
import resource
import shutil
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
import pytest_lsp
from pygls.exceptions import JsonRpcException
from pytest_lsp import ClientServerConfig, LanguageClient

from derivlens.sandbox import doctor
from derivlens.sandbox.env import HOME_PREFIX, _start_time
from tests import hardening
from tests.hardening import ATTACKS, ORDINARY, Victim, assert_nothing_left, process_state
from tests.lsp.test_lsp import at, expect_error, hover, open_document, plot, worker_pid
from tests.lsp_session import start

pytestmark = pytest.mark.asyncio(loop_scope="module")

#: Named now (the server's environment needs them), made only when the tests run.
WORK = Path(tempfile.gettempdir()) / f"derivlens-hardening-lsp-{os.getpid()}"
TMP, HOME, WORKSPACE = WORK / "tmp", WORK / "home", WORK / "workspace"
#: A killed server's folder (its owner is gone) and a live process's (this one's).
STALE = TMP / f"{HOME_PREFIX}99999999-12345-abcdef"
LIVE = TMP / f"{HOME_PREFIX}{os.getpid()}-{_start_time(os.getpid())}-ghijkl"


@pytest.fixture(scope="module", autouse=True)
def places() -> Iterator[None]:
    """The folders, before the server starts (autouse fixtures come first)."""
    for folder in (TMP, HOME / ".ssh", WORKSPACE, STALE, LIVE):
        folder.mkdir(parents=True)
    TMP.chmod(0o700)
    (STALE / "left-behind").write_text("x")
    yield
    shutil.rmtree(WORK, ignore_errors=True)


SERVER = ClientServerConfig(
    server_command=[sys.executable, "-m", "derivlens", "serve"],
    server_env={
        **os.environ,
        "TMPDIR": str(TMP),
        "HOME": str(HOME),
        # the font cache stays where it is (a fresh one would take seconds to build)
        "XDG_CACHE_HOME": os.environ.get("XDG_CACHE_HOME")
        or os.path.join(os.path.expanduser("~"), ".cache"),
    },
)


@pytest.fixture(scope="module")
def victim() -> Iterator[Victim]:
    v = Victim()
    yield v
    v.close()


@pytest.fixture(scope="module")
def layers() -> set[str]:
    """Every layer this machine offers (doctor), which every result must list."""
    active = {status.name for status in doctor("derivlens.runner") if status.active}
    if sys.platform.startswith("linux"):
        assert active == hardening.ALL_LAYERS, "a layer is missing on this machine"
    return active


@pytest_lsp.fixture(config=SERVER, scope="module")
async def client(lsp_client: LanguageClient) -> AsyncIterator[LanguageClient]:
    settings = {"derivlens": {"timeoutSeconds": 8, "hover": {"timeoutSeconds": 8}}}
    await start(lsp_client, WORKSPACE, "ws", settings)
    yield lsp_client
    await lsp_client.shutdown_session()


class Session:
    """The server's processes and what must stay as it is across attacks."""

    def __init__(self, worker: int) -> None:
        self.worker = worker
        self.server = int(Path(f"/proc/{worker}/stat").read_text().split(")")[1].split()[1])
        self.worker_state = process_state(worker)
        self.server_state = process_state(self.server)
        homes = [p for p in os.listdir(TMP) if p.startswith(f"{HOME_PREFIX}{self.server}-")]
        assert len(homes) == 1, os.listdir(TMP)
        self.home = homes[0]
        self.home_files = sorted(os.listdir(TMP / self.home))


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def session(client: LanguageClient) -> Session:
    ordinary_uri = open_document(client, WORKSPACE / "ordinary.py", ORDINARY)
    await plot(client, at(ordinary_uri, 2))  # the worker is up
    return Session(await worker_pid(client))


async def ordinary(client: LanguageClient, layers: set[str]) -> dict[str, Any]:
    """A new ordinary function, evaluated in the sandbox: right, with every layer."""
    uri = open_document(client, WORKSPACE / "ordinary.py", hardening.ordinary_source())
    result = await plot(client, at(uri, 2))
    x = result["x"]
    assert len(x) == hardening.SAMPLES and result["domain"] == list(hardening.DOMAIN)
    assert max(abs(f - math.sin(v) * v) for f, v in zip(result["f"], x, strict=True)) < 1e-12
    d = result["derivatives"]["1"]
    assert max(abs(g - (math.cos(v) * v + math.sin(v))) for g, v in zip(d, x, strict=True)) < 1e-9
    assert set(result["sandbox"]) == layers, result["sandbox"]
    return result


def assert_untouched(s: Session, victim: Victim) -> None:
    victim.assert_unchanged()
    assert process_state(s.worker) == s.worker_state, "the worker was changed"
    assert process_state(s.server) == s.server_state, "the server was changed"
    assert_nothing_left(TMP, {s.home, LIVE.name})
    assert sorted(os.listdir(TMP / s.home)) == s.home_files, "a file in the private folder"


# --- the attacks ---------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(ATTACKS))
async def test_attack(
    name: str, client: LanguageClient, session: Session, victim: Victim, layers: set[str]
) -> None:
    attack = ATTACKS[name]
    code = hardening.source_of(attack, victim.pid, session.server)
    uri = open_document(client, WORKSPACE / f"attack_{name.replace('-', '_')}.py", code)
    line = code.splitlines().index("def f(x):")
    started = time.monotonic()
    error = await expect_error(plot(client, at(uri, line, format=attack.out or "png")))
    assert time.monotonic() - started < 6, "the sandbox could tell sooner"
    assert error.code == -32803
    assert error.data["kind"] == attack.kind, error.message
    assert attack.words in error.message, error.message
    await asyncio.sleep(0.05)
    assert_untouched(session, victim)
    await ordinary(client, layers)
    assert await worker_pid(client) == session.worker, "the worker was replaced"


async def test_stale_sandbox_folders_are_removed_at_start(session: Session) -> None:
    assert not STALE.exists(), "a dead server's folder was left"
    assert LIVE.exists(), "a live process's folder was removed"


async def test_hover_shows_text_from_a_forged_reply_only_escaped(
    client: LanguageClient, session: Session, victim: Victim, layers: set[str]
) -> None:
    """A forged (but well-formed) reply: its text reaches the hover, never as markdown."""
    link = "![x](https://example.com/p.png) [click](https://example.com/c) <img src=x>"
    attack = hardening.Attack(
        hardening.HEADER
        + "def f(x):\n    forge(result(warnings=[{'kind': 'non-finite', 'message': "
        + repr(link)
        + "}], fixed={'a': "
        + repr(link)
        + "}))\n",
        "",
        "",
        forge=True,
    )
    code = hardening.source_of(attack, victim.pid, session.server)
    uri = open_document(client, WORKSPACE / "forged_hover.py", code)
    shown = await hover(client, uri, code.splitlines().index("def f(x):"))
    markdown = shown.contents.value
    assert r"example\.com" in markdown  # the text is there (escaped)...
    for live in (r"!\[", r"\[click", r"\]\(", r"<img", r"https:"):
        unescaped = re.search(r"(?<!\\)" + live, markdown)
        assert unescaped is None, (live, markdown)  # ...but nothing of it is live
    assert_untouched(session, victim)
    await ordinary(client, layers)


async def test_output_reaches_the_log_capped(client: LanguageClient, session: Session) -> None:
    code = hardening.HEADER + "def f(x):\n    print('\\x1b[31m' + 'y' * 12_000_000)\n    return x\n"
    uri = open_document(client, WORKSPACE / "chatty.py", code)
    before = len(client.log_messages)
    await plot(client, at(uri, 1))
    await asyncio.sleep(0.1)
    logged = [m.message for m in client.log_messages[before:]]
    assert any("printed" in m for m in logged)
    assert max(len(m) for m in logged) < 5000
    assert not any("\x1b" in m for m in logged)


# --- the readable project ----------------------------------------------------------------


READ = hardening.HEADER + "def f(x):\n    return x * float(open(PATH).read())\n"


async def test_a_workspace_file_reads_its_workspace(
    client: LanguageClient, layers: set[str]
) -> None:
    (WORKSPACE / "data").mkdir(exist_ok=True)
    (WORKSPACE / "data" / "k.txt").write_text("3")
    (WORKSPACE / "pkg").mkdir(exist_ok=True)
    code = READ.replace("PATH", repr(str(WORKSPACE / "data" / "k.txt")))
    uri = open_document(client, WORKSPACE / "pkg" / "reads.py", code)
    result = await plot(client, at(uri, 1))
    assert result["f"][-1] == 6.0 and set(result["sandbox"]) == layers


async def test_a_scratch_file_in_home_cannot_read_home(
    client: LanguageClient, session: Session, victim: Victim, layers: set[str]
) -> None:
    (HOME / ".ssh" / "id_rsa").write_text("1")
    code = READ.replace("PATH", repr(str(HOME / ".ssh" / "id_rsa")))
    uri = open_document(client, HOME / "scratch.py", code)
    error = await expect_error(plot(client, at(uri, 1)))
    assert error.data["kind"] == "blocked", error.message
    assert "read a file outside Python and your project" in error.message
    assert_untouched(session, victim)
    await ordinary(client, layers)


async def test_a_file_in_the_temp_root_cannot_read_the_temp_root(
    client: LanguageClient, session: Session, victim: Victim, layers: set[str]
) -> None:
    """A file right in the server's temporary folder reads itself, not its neighbours."""
    (TMP / "secret").write_text("1")
    path = TMP / "t.py"
    try:
        uri = open_document(client, path, READ.replace("PATH", repr(str(TMP / "secret"))))
        error = await expect_error(plot(client, at(uri, 1)))
        assert error.data["kind"] == "blocked", error.message
        assert "read a file outside Python and your project" in error.message
    finally:
        path.unlink()
        (TMP / "secret").unlink()
    assert_untouched(session, victim)
    await ordinary(client, layers)


# --- a worker that lost a layer ----------------------------------------------------------


async def test_a_worker_that_lost_a_layer_refuses_and_is_replaced(
    client: LanguageClient, session: Session, layers: set[str]
) -> None:
    """Last: something outside the sandbox lowers the worker's RLIMIT_NOFILE below what
    children set. No child runs without its limits: the next one forked refuses (crashed,
    naming rlimits), the worker is replaced, and the evaluation after that is whole."""
    resource.prlimit(session.worker, resource.RLIMIT_NOFILE, (40, 40))
    refused = None
    for _ in range(3):  # the spare forked before the change still has its limits
        try:
            await ordinary(client, layers)
        except JsonRpcException as error:
            refused = error
            break
    assert refused is not None, "every evaluation ran: the lost layer went unnoticed"
    assert refused.data["kind"] == "crashed", refused.message
    assert "could not apply its rlimits layer" in refused.message
    assert "was not run" in refused.message
    await ordinary(client, layers)
    assert await worker_pid(client) != session.worker
