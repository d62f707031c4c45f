"""A child's threads are capped: a flood of small-stack threads is stopped long before
the host's pids run out, as kind `memory`, and the next evaluation is right.

As root, this file runs again as nobody (`test_hardening_cli.test_hardening_unprivileged`).
"""

from __future__ import annotations

import math
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from derivlens import defaults, engine, judge, wire
from derivlens.errors import DerivlensError
from derivlens.model import Render
from derivlens.options import Source, read_all
from derivlens.sandbox import Sandbox
from derivlens.sandbox.layers import tasks
from tests import hardening

FLOOD = (
    "import threading, time\n"
    "def f(x):\n"
    "    threading.stack_size(32768)\n"
    "    while True:\n"
    "        threading.Thread(target=time.sleep, args=(60,), daemon=True).start()\n"
)


@pytest.fixture(scope="module")
def project() -> Iterator[Path]:
    folder = Path(tempfile.mkdtemp(prefix="derivlens-tasks-"))
    folder.chmod(0o755)
    yield folder
    folder.rmdir()


async def evaluate(sandbox: Sandbox, code: str, project: Path, timeout: float) -> dict[str, Any]:
    ready = engine.prepare_source(
        code,
        str(project / "user.py"),
        name="f",
        requested=read_all({"domain": [-2.0, 2.0], "samples": 41}, Source.REQUEST),
        render=Render(size="hover"),
        project_root=str(project),
    )
    outcome = await sandbox.run(ready.job(timeout=timeout, memory_mb=defaults.MEMORY_MB))
    return wire.result_json(judge.finish(ready, outcome, 0.0))


async def assert_ordinary(sandbox: Sandbox, project: Path) -> None:
    code = "import torch\ndef f(x):\n    return torch.sin(x) * x\n"
    result = await evaluate(sandbox, code, project, timeout=20)
    assert result["f"][-1] == pytest.approx(2 * math.sin(2.0), abs=1e-12)


@pytest.mark.asyncio(loop_scope="module")
async def test_a_thread_flood_is_stopped_as_memory(sandbox: Sandbox, project: Path) -> None:
    """Tens of thousands of 32 KiB threads fit in the memory limit: only the cap stops
    them, well before the timeout."""
    started = time.monotonic()
    with pytest.raises(DerivlensError) as info:
        await evaluate(sandbox, FLOOD, project, timeout=20)
    assert info.value.kind == "memory", info.value.message
    assert f"more than {tasks.CAP} threads" in info.value.message
    assert time.monotonic() - started < 10, "the flood ran until the timeout"
    await assert_ordinary(sandbox, project)


@pytest.mark.asyncio(loop_scope="module")
async def test_asking_torch_for_a_thousand_threads_is_memory(
    sandbox: Sandbox, project: Path
) -> None:
    """Their stacks do not fit in the memory limit: libgomp cannot start one and exits
    the process, which is running out of memory, not a crash."""
    code = (
        "import torch\ndef f(x):\n    torch.set_num_threads(1000)\n"
        "    big = torch.linspace(0, 1, 10**7, dtype=torch.float64)\n"
        "    return x * float((big * 0).sum())\n"
    )
    with pytest.raises(DerivlensError) as info:
        await evaluate(sandbox, code, project, timeout=20)
    assert info.value.kind == "memory", info.value.message
    assert "ran out of memory" in info.value.message
    await assert_ordinary(sandbox, project)


@pytest.mark.asyncio(loop_scope="module")
async def test_an_exit_from_c_with_memory_to_spare_keeps_its_status(
    sandbox: Sandbox, project: Path
) -> None:
    code = "import ctypes\ndef f(x):\n    ctypes.CDLL(None).exit(3)\n    return x\n"
    code = hardening.HOOK_OFF + code.replace("    ctypes.CDLL", "    libc()\n    ctypes.CDLL")
    with pytest.raises(DerivlensError) as info:
        await evaluate(sandbox, code, project, timeout=20)
    assert info.value.kind == "crashed", info.value.message
    assert "exited (status 3)" in info.value.message


@pytest.mark.asyncio(loop_scope="module")
async def test_threads_below_the_cap_are_fine(sandbox: Sandbox, project: Path) -> None:
    """A function that starts (and joins) a hundred threads, fewer than the cap, is
    plotted with its values."""
    code = (
        "import threading\ndef f(x):\n    done = []\n"
        "    ts = [threading.Thread(target=done.append, args=(1,)) for _ in range(100)]\n"
        "    for t in ts:\n        t.start()\n    for t in ts:\n        t.join()\n"
        "    return x * len(done)\n"
    )
    result = await evaluate(sandbox, code, project, timeout=20)
    assert result["f"][-1] == 200.0 and result["derivatives"]["1"][0] == 100.0


def test_threads_of_counts_this_process() -> None:
    import os
    import threading

    before = tasks.threads_of(os.getpid())
    stop = threading.Event()
    extra = [threading.Thread(target=stop.wait) for _ in range(3)]
    for t in extra:
        t.start()
    try:
        assert tasks.threads_of(os.getpid()) == before + 3
    finally:
        stop.set()
        for t in extra:
            t.join()
    assert tasks.threads_of(2**22 + 1) == 0  # no such process
