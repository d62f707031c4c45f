"""Run an application's jobs contained: a warm, forked worker and isolation layers.

Generic: it knows no LSP and no maths. An application is a module the worker imports
(`Sandbox("derivlens.runner")`), with the functions of `application.Application`: `run`
(the job, in a sandboxed child), `warm_up`, `warm_later`, `warm_child`, `warm_for` and
`read_paths`. A caller sends a `Job` (the application's request as JSON, and the
sandbox's terms: time, memory, what may be read, what to call it) and gets an
`Outcome`: `Replied` or a `SandboxFailure`, whose `Failure` reason the caller maps to
its own errors. Every message between the processes is a type of `channel`.

The promises (docs/protocol.md, "Sandbox"): no new processes, no network, no file
writes, reading limited to Python, the packages and the project, limits on time and
memory, an allow-listed environment; what a child sends back is checked before use.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from derivlens.sandbox.channel import Job
    from derivlens.sandbox.doctor import LayerStatus, doctor
    from derivlens.sandbox.outcome import Failure, Outcome, Replied, SandboxFailure
    from derivlens.sandbox.supervisor import EarlyWorker, Sandbox, prespawn, run_once

__all__ = [
    "EarlyWorker",
    "Failure",
    "Job",
    "LayerStatus",
    "Outcome",
    "Replied",
    "Sandbox",
    "SandboxFailure",
    "doctor",
    "prespawn",
    "run_once",
]

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
    "Job": "channel",
    "Failure": "outcome",
    "Outcome": "outcome",
    "Replied": "outcome",
    "SandboxFailure": "outcome",
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
