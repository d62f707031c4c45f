"""Plot corpus entries from their installed files, as the CLI does, through one sandbox.

`derivlens plot FILE --function NAME --json` starts a worker for every call; the corpus
keeps one long-lived `Sandbox` instead and runs a few evaluations at once, each in its own
sandboxed child, with the same request, the same checks of the child's reply
(`engine.finish`) and the same JSON (`wire.result_json`) as the CLI.
"""

from __future__ import annotations

import asyncio
import importlib.util
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from derivlens import SANDBOX_APP, defaults, engine, judge, wire
from derivlens.errors import DerivlensError
from derivlens.options import Source, read_all
from derivlens.sandbox import Sandbox
from tests.corpus.entries import Entry

#: Generous: the corpus checks numbers, not speed, on a machine shared with other runs.
TIMEOUT_S = 60.0
#: Evaluations in flight at once (the machine has two cores).
PARALLEL = 2


def installed_file(entry: Entry) -> Path:
    """The entry's file inside its installed package (found without importing it)."""
    spec = importlib.util.find_spec(entry.package)
    if spec is None or not spec.submodule_search_locations:
        raise LookupError(f"{entry.package} is not installed (pip install -e '.[dev]')")
    return Path(next(iter(spec.submodule_search_locations))) / entry.file


async def _plot(sandbox: Sandbox, entry: Entry, gate: asyncio.Semaphore) -> dict[str, Any]:
    path = installed_file(entry)
    try:
        prepared = engine.prepare_source(
            path.read_text(encoding="utf-8"),
            str(path),
            name=entry.function,
            requested=read_all(entry.options, Source.CLI),
            source=Source.CLI,
            params=dict(entry.params),
        )
        async with gate:
            started = time.perf_counter()
            outcome = await sandbox.run(
                prepared.job(timeout=TIMEOUT_S, memory_mb=defaults.MEMORY_MB)
            )
            elapsed = (time.perf_counter() - started) * 1000
        return wire.result_json(judge.finish(prepared, outcome, elapsed))
    except DerivlensError as error:
        return wire.error_json(error)


def plot_all(entries: Iterable[Entry]) -> dict[str, dict[str, Any]]:
    """Every entry's `--json` output, by entry id, from one warm sandbox."""
    chosen = list(entries)

    async def go() -> dict[str, dict[str, Any]]:
        sandbox = Sandbox(SANDBOX_APP)
        gate = asyncio.Semaphore(PARALLEL)
        try:
            await sandbox.start()
            outputs = await asyncio.gather(*(_plot(sandbox, e, gate) for e in chosen))
        finally:
            await sandbox.close()
        return {e.id: out for e, out in zip(chosen, outputs, strict=True)}

    return asyncio.run(go())
