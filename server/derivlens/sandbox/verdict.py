"""What came back from a child, checked: a `Replied`, or the `SandboxFailure` a person
can act on.

A child sends two frames. Its status (`channel.ChildStatus`: the layers that hold, notes
on those that do not) is written before any user code is in the process; its reply
(`channel.ChildReply`: the application's JSON, the captured output) after, so it is
untrusted: user code may have written it. Both are decoded by
`protocol.decode_untrusted`, structured strictly (no unknown keys) and checked here; the
application's reply is passed on as JSON for the application to check against its own
schema. Messages name the evaluated thing but no editor setting or CLI flag: the caller
adds those.
"""

from __future__ import annotations

import re
import signal
from typing import TypeVar

from derivlens.sandbox import channel, protocol, strict
from derivlens.sandbox.channel import ChildReply, ChildStatus
from derivlens.sandbox.layers import tasks
from derivlens.sandbox.outcome import (
    Ending,
    Failure,
    Finished,
    LayerLost,
    Oversized,
    Replied,
    SandboxFailure,
    TimedOut,
    WorkerLost,
)

RULES = "no processes, network, signals or file writes outside a private temporary folder"
#: Everything a child may claim to have had active (see doctor.LAYERS).
KNOWN_LAYERS = frozenset(
    {
        "rlimits",
        "seccomp",
        "landlock",
        "namespaces",
        "audit-hook",
        "env-allowlist",
        "private-tmp",
        "output-cap",
    }
)
MAX_OUTPUT = 64 * 1024
MAX_NOTE = 300
MAX_NOTES = 16
_UNPRINTABLE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]")
T = TypeVar("T")


def printable(text: str, cap: int) -> str:
    """`text` safe for a log line: no control characters (terminal escapes), capped."""
    clean = _UNPRINTABLE.sub("�", text)
    return clean if len(clean) <= cap else clean[: cap - 1] + "…"


def outcome(ending: Ending, required: tuple[str, ...], name: str, timeout: float) -> Replied:
    """The checked reply a job ended with, or the `SandboxFailure` that says why there is
    none. `required` are the layers every child must have had (its worker's, at start)."""
    if isinstance(ending, TimedOut):
        raise timed_out(name, timeout)
    if isinstance(ending, Oversized):
        raise oversized(name, ending.what)
    if isinstance(ending, WorkerLost):
        raise SandboxFailure(
            Failure.CRASHED,
            f"{ending.why} while evaluating {name}; it has been restarted, try again",
        )
    return _finished(ending, required, name, timeout)


def _finished(ending: Finished, required: tuple[str, ...], name: str, timeout: float) -> Replied:
    frames = ending.frames
    if not frames:
        raise from_exit(ending.code, ending.signal, name, timeout)
    checked = status(frames[0], name)
    lost = dict(checked.refused)
    lost.update({k: "not applied" for k in required if k not in checked.layers})
    if lost:
        raise refused(name, lost)
    if ending.extra:
        raise more_than_one_reply(name)
    if len(frames) < 2:
        raise from_exit(ending.code, ending.signal, name, timeout)
    return from_reply(frames[1], name, checked)


def timed_out(name: str, timeout: float) -> SandboxFailure:
    return SandboxFailure(
        Failure.TIMED_OUT,
        f"{name} did not finish within {timeout:g} s; look for an endless loop or a slow "
        "computation, or use fewer samples",
    )


def crashed(name: str, what: str) -> SandboxFailure:
    """The `crashed` failure whose message is "the evaluation of `name` `what`"."""
    return SandboxFailure(Failure.CRASHED, f"the evaluation of {name} {what}")


def malformed(name: str, detail: str) -> SandboxFailure:
    return crashed(name, f"sent back a malformed reply ({printable(detail, 300)})")


def _decode(body: bytes, name: str, cls: type[T]) -> T:
    try:
        raw = protocol.decode_untrusted(body)
        if not isinstance(raw, dict):
            raise strict.Malformed("not an object")
        return channel.structure(raw, cls)
    except (protocol.FrameError, strict.Malformed) as error:
        raise malformed(name, str(error)) from None


def _texts(value: dict[str, str]) -> dict[str, str]:
    items = list(value.items())[:MAX_NOTES]
    return {printable(k, 40): printable(v, MAX_NOTE) for k, v in items}


def status(body: bytes, name: str) -> ChildStatus:
    """The checked status frame of a child: the layers it has, before user code ran."""
    checked = _decode(body, name, ChildStatus)
    if not all(layer in KNOWN_LAYERS for layer in checked.layers):
        raise malformed(name, "an unknown list of sandbox layers")
    return ChildStatus(
        layers=tuple(dict.fromkeys(checked.layers)),
        notes=_texts(checked.notes),
        refused=_texts(checked.refused),
    )


def from_reply(body: bytes, name: str, status: ChildStatus | None = None) -> Replied:
    """The checked `Replied` of a child's reply frame; anything else is `crashed`.

    The layers and notes are the status frame's (`status`), never the reply's.
    """
    reply = _decode(body, name, ChildReply)
    status = status or ChildStatus(())
    refusal = reply.refusal
    if refusal is not None:
        refusal = channel.Refusal(printable(refusal.what, 120), printable(refusal.where, 120))
    return Replied(
        reply=reply.reply,
        layers=status.layers,
        notes=status.notes,
        output=printable(reply.output, MAX_OUTPUT),
        refusal=refusal,
        unanswered=_unanswered(reply.unanswered),
    )


def _unanswered(given: channel.Unanswered | None) -> channel.Unanswered | None:
    return None if given is None else channel.Unanswered(given.why, printable(given.detail, 500))


def refused(name: str, lost: dict[str, str]) -> LayerLost:
    """A child that lacked layers the worker had: nothing of `name` ran."""
    what = "; ".join(f"{layer}: {printable(why, 120)}" for layer, why in list(lost.items())[:4])
    layers = ", ".join(list(lost)[:4])
    return LayerLost(
        Failure.CRASHED,
        f"the sandbox could not apply its {layers} layer to the evaluation of {name} "
        f"({what}), so {name} was not run; the sandbox has been restarted, try again",
    )


def more_than_one_reply(name: str) -> SandboxFailure:
    return crashed(
        name,
        "sent back more than one reply (code in it wrote to the sandbox's reply channel), "
        "so none is used",
    )


def from_exit(code: int | None, sig: int | None, name: str, timeout: float) -> SandboxFailure:
    """A child that died without replying."""
    if sig == signal.SIGXCPU:
        return SandboxFailure(
            Failure.TIMED_OUT,
            f"{name} used up its CPU time (about {timeout:g} s); look for an endless loop or a "
            "slow computation",
        )
    if sig == signal.SIGSYS:
        return SandboxFailure(
            Failure.FORBIDDEN,
            f"{name} made a system call the sandbox forbids (such as starting a process or "
            f"opening a socket) and was stopped; plotted functions run with {RULES}",
        )
    if sig == signal.SIGKILL:  # by the system, or by the worker's cap on threads
        return SandboxFailure(
            Failure.KILLED,
            f"the evaluation of {name} was killed (SIGKILL): it ran out of memory, or "
            f"started more than {tasks.CAP} threads; use fewer samples, threads or a smaller "
            "computation",
        )
    if sig is not None:
        try:
            signame = signal.Signals(sig).name
        except ValueError:
            signame = f"signal {sig}"
        return crashed(
            name,
            f"crashed ({signame}), usually a bug in a C extension it calls; try the function "
            "in a plain Python session",
        )
    return crashed(
        name,
        f"exited (status {code}) without a result; does the code call exit() or os._exit()?",
    )


def oversized(name: str, detail: str) -> SandboxFailure:
    return crashed(
        name,
        f"sent back {detail}, over the {protocol.MAX_REPLY_BYTES // 2**20} MB limit; "
        "use fewer samples",
    )
