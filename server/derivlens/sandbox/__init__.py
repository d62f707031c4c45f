"""Run an application's jobs contained: a warm, forked worker and isolation layers.

Generic: it knows no LSP and no maths. An application is a module the worker imports
(`Sandbox("derivlens.runner")`) with:

- `run(request) -> reply`: the job, in a sandboxed child; the request and the reply are
  JSON, the reply `{"result": ...}` or `{"error": {"kind", "message"}}`; it never raises;
- `warm_up()` (optional): once in the worker before any fork (imports, caches);
- `warm_later()` (optional): more warm-up as an iterator of steps, which the worker runs
  a step at a time while no job is running and nothing arrived for a moment; then it
  forks its spares again, so that later children start with it done;
- `warm_child()` (optional): in each spare child that waited a moment for a job; it may
  return an iterator of steps, stopped when the job arrives. Once warm, the worker also
  runs it in one measuring child to learn which pages a job writes (`prefault`);
- `warm_for(request) -> bool` (optional): in the worker, idle after a job, with that
  job's request (never to run its user code): whatever makes a like request faster;
  True if it made something new (the spares are then forked again);
- `read_paths()` (optional): extra folders children may read (the app's data files).

The promises (docs/protocol.md, "Sandbox"): no new processes, no network, no file
writes, reading limited to Python, the packages and the project, limits on time and
memory, an allow-listed environment; what a child sends back is checked before use.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from derivlens.sandbox.doctor import LayerStatus, doctor
    from derivlens.sandbox.supervisor import EarlyWorker, Sandbox, prespawn, run_once
    from derivlens.sandbox.verdict import Outcome

__all__ = ["EarlyWorker", "LayerStatus", "Outcome", "Sandbox", "doctor", "prespawn", "run_once"]

#: Where each name lives. Imported on first use (PEP 562): the worker, started as
#: `python -m derivlens.sandbox.worker`, imports this package first and needs none of
#: them (the supervisor's asyncio alone is ~60 ms of its start).
_HOMES = {
    "LayerStatus": "doctor",
    "doctor": "doctor",
    "EarlyWorker": "supervisor",
    "Sandbox": "supervisor",
    "prespawn": "supervisor",
    "run_once": "supervisor",
    "Outcome": "verdict",
}


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    # All at once: importing the submodule `doctor` binds that name to the module, and
    # the function of that name must win, as an eager `from .doctor import doctor` would.
    for home in dict.fromkeys(_HOMES.values()):
        importlib.import_module(f"{__name__}.{home}")
    names = {n: getattr(importlib.import_module(f"{__name__}.{h}"), n) for n, h in _HOMES.items()}
    globals().update(names)
    return names[name]
