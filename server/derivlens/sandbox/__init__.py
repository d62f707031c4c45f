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

from typing import TYPE_CHECKING, Any

from derivlens import lazy

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

#: Where each name lives. Imported on first use (derivlens.lazy): the worker, started as
#: `python -m derivlens.sandbox.worker`, imports this package first and needs none of them.
_HOMES = {
    "LayerStatus": f"{__name__}.doctor",
    "doctor": f"{__name__}.doctor",
    "EarlyWorker": f"{__name__}.supervisor",
    "Sandbox": f"{__name__}.supervisor",
    "prespawn": f"{__name__}.supervisor",
    "run_once": f"{__name__}.supervisor",
    "Job": f"{__name__}.channel",
    "Failure": f"{__name__}.outcome",
    "Outcome": f"{__name__}.outcome",
    "Replied": f"{__name__}.outcome",
    "SandboxFailure": f"{__name__}.outcome",
}


def __getattr__(name: str) -> Any:
    return lazy.resolve(globals(), _HOMES, name)
