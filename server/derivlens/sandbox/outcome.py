"""How a job ended, as the sandbox tells its caller: `Replied` or `SandboxFailure`.

The sandbox is generic, so its failures have its own reasons (`Failure`); the
application maps them to its own error kinds, once (derivlens: `judge.as_error`).
Inside the supervisor a job first ends as an `Ending` (the worker's account, or a
deadline), which `verdict` turns into an `Outcome`.
"""

from __future__ import annotations

import enum
from typing import Any

import attrs

from derivlens.sandbox.channel import Refusal, Unanswered


class Failure(enum.Enum):
    """Why the sandbox has no reply to give."""

    TIMED_OUT = "timed-out"  # past its wall-clock deadline or its CPU time
    FORBIDDEN = "forbidden"  # stopped by the kernel for a forbidden system call
    KILLED = "killed"  # SIGKILL, not by the sandbox: most likely out of memory
    CRASHED = "crashed"  # died, exited, or sent back something that is not a reply
    NOT_STARTED = "not-started"  # the worker died or stopped before it was ready


class SandboxFailure(Exception):
    """A job (or the worker) failed in the sandbox: a reason, and a message for a person
    that names the evaluated thing."""

    def __init__(self, reason: Failure, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message

    def __repr__(self) -> str:
        return f"SandboxFailure({self.reason}, {self.message!r})"


class LayerLost(SandboxFailure):
    """A child lacked a layer its worker had at its start, so it ran nothing; the worker
    is replaced."""


@attrs.frozen
class Replied:
    """A child's reply, its envelope checked: the application's JSON (still to be
    checked by the application), and what the sandbox reports about the run."""

    reply: Any
    layers: tuple[str, ...]
    notes: dict[str, str]
    output: str
    refusal: Refusal | None = None  # an operation the sandbox refused during the job
    unanswered: Unanswered | None = None  # why `reply` is None: `run` raised, or …


Outcome = Replied | SandboxFailure


# -- inside the supervisor: how the worker said a job ended ----------------------------
@attrs.frozen
class Finished:
    """The worker relayed the child's frames and how it ended (see `channel.Done`)."""

    frames: tuple[bytes, ...]
    extra: bool
    code: int | None
    signal: int | None


@attrs.frozen
class Oversized:
    what: str  # "a reply of 40 MB"


@attrs.frozen
class WorkerLost:
    why: str  # "the evaluation worker is gone"


@attrs.frozen
class TimedOut:
    """The wall-clock deadline passed (the child's process group is killed)."""


Ending = Finished | Oversized | WorkerLost | TimedOut
