"""What came back from a child, checked, or the `DerivlensError` a person can act on.

A child sends two frames. Its status (the layers that hold, notes on those that do
not) is written before any user code is in the process; its reply (the application's
JSON, the captured output) after, so it is untrusted: user code may have written it.
Both are decoded by `protocol.decode_untrusted` and checked here, strictly (no unknown
keys); the application's reply is passed on as JSON for the application to check
against its own schema. Messages name the evaluated thing but no editor setting or CLI
flag: the caller adds those.
"""

from __future__ import annotations

import re
import signal
from typing import Any

import attrs

from derivlens.errors import DerivlensError
from derivlens.sandbox import protocol
from derivlens.sandbox.layers import tasks

RULES = "no processes, network, signals or file writes"
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
_STATUS_KEYS = frozenset({"layers", "notes", "refused", "details"})
_REPLY_KEYS = frozenset({"reply", "output", "timings"})
_UNPRINTABLE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]")


@attrs.frozen
class Outcome:
    """A child's reply: the application's JSON, and what the sandbox reports about it."""

    reply: Any
    layers: tuple[str, ...]
    notes: dict[str, str]
    output: str


@attrs.frozen
class Status:
    """What a child said about its layers before user code ran in it."""

    layers: tuple[str, ...]
    notes: dict[str, str]
    refused: dict[str, str]  # layer -> why: required here, missing in this child


class LayerRefused(DerivlensError):
    """A child lacked a layer its worker had at its start, so it ran nothing."""


def printable(text: str, cap: int) -> str:
    """`text` safe for a log line: no control characters (terminal escapes), capped."""
    clean = _UNPRINTABLE.sub("�", text)
    return clean if len(clean) <= cap else clean[: cap - 1] + "…"


def timeout_error(name: str, timeout: float) -> DerivlensError:
    return DerivlensError(
        "timeout",
        f"{name} did not finish within {timeout:g} s; look for an endless loop or a slow "
        "computation, or use fewer samples",
    )


def malformed(name: str, detail: str) -> DerivlensError:
    return DerivlensError(
        "crashed",
        f"the evaluation of {name} sent back a malformed reply ({printable(detail, 300)})",
    )


def _decode(body: bytes, name: str, keys: frozenset[str]) -> dict[str, Any]:
    try:
        envelope = protocol.decode_untrusted(body)
    except protocol.FrameError as error:
        raise malformed(name, str(error)) from None
    if not isinstance(envelope, dict):
        raise malformed(name, "not an object")
    unknown = sorted(str(k) for k in envelope if k not in keys)
    if unknown:
        raise malformed(name, f"unknown fields {', '.join(unknown)[:80]}")
    return envelope


def _texts(value: Any, name: str, what: str) -> dict[str, str]:
    if not (isinstance(value, dict) and all(isinstance(v, str) for v in value.values())):
        raise malformed(name, f"{what} that are not text")
    items = list(value.items())[:MAX_NOTES]
    return {printable(str(k), 40): printable(v, MAX_NOTE) for k, v in items}


def status(body: bytes, name: str) -> Status:
    """The checked status frame of a child: the layers it has, before user code ran."""
    envelope = _decode(body, name, _STATUS_KEYS)
    layers = envelope.get("layers", [])
    if not (isinstance(layers, list) and all(x in KNOWN_LAYERS for x in layers)):
        raise malformed(name, "an unknown list of sandbox layers")
    return Status(
        layers=tuple(dict.fromkeys(layers)),
        notes=_texts(envelope.get("notes", {}), name, "notes"),
        refused=_texts(envelope.get("refused", {}), name, "refusals"),
    )


def from_reply(body: bytes, name: str, status: Status | None = None) -> Outcome:
    """The checked `Outcome` of a child's reply frame; anything else is `crashed`.

    The layers and notes are the status frame's (`status`), never the reply's.
    """
    envelope = _decode(body, name, _REPLY_KEYS)
    if "reply" not in envelope:
        raise malformed(name, "no reply in it")
    output = envelope.get("output", "")
    if not isinstance(output, str):
        raise malformed(name, "output that is not text")
    status = status or Status((), {}, {})
    return Outcome(
        reply=envelope["reply"],
        layers=status.layers,
        notes=status.notes,
        output=printable(output, MAX_OUTPUT),
    )


def refused(name: str, lost: dict[str, str]) -> LayerRefused:
    """A child that lacked layers the worker had: nothing of `name` ran."""
    what = "; ".join(f"{layer}: {printable(why, 120)}" for layer, why in list(lost.items())[:4])
    layers = ", ".join(list(lost)[:4])
    return LayerRefused(
        "crashed",
        f"the sandbox could not apply its {layers} layer to the evaluation of {name} "
        f"({what}), so {name} was not run; the sandbox has been restarted, try again",
    )


def more_than_one_reply(name: str) -> DerivlensError:
    return DerivlensError(
        "crashed",
        f"the evaluation of {name} sent back more than one reply (code in it wrote to the "
        "sandbox's reply channel), so none is used",
    )


def from_exit(code: int | None, sig: int | None, name: str, timeout: float) -> DerivlensError:
    """A child that died without replying."""
    if sig == signal.SIGXCPU:
        return DerivlensError(
            "timeout",
            f"{name} used up its CPU time (about {timeout:g} s); look for an endless loop or a "
            "slow computation",
        )
    if sig == signal.SIGSYS:
        return DerivlensError(
            "blocked",
            f"{name} made a system call the sandbox forbids (such as starting a process or "
            f"opening a socket) and was stopped; plotted functions run with {RULES}",
        )
    if sig == signal.SIGKILL:  # by the system, or by the worker's cap on threads
        return DerivlensError(
            "memory",
            f"the evaluation of {name} was killed (SIGKILL): it ran out of memory, or "
            f"started more than {tasks.CAP} threads; use fewer samples, threads or a smaller "
            "computation",
        )
    if sig is not None:
        try:
            signame = signal.Signals(sig).name
        except ValueError:
            signame = f"signal {sig}"
        return DerivlensError(
            "crashed",
            f"the evaluation of {name} crashed ({signame}), usually a bug in a C extension it "
            "calls; try the function in a plain Python session",
        )
    return DerivlensError(
        "crashed",
        f"the evaluation of {name} exited (status {code}) without a result; "
        "does the code call exit() or os._exit()?",
    )


def oversized(name: str, detail: str) -> DerivlensError:
    return DerivlensError(
        "crashed",
        f"the evaluation of {name} sent back {detail}, over the "
        f"{protocol.MAX_REPLY_BYTES // 2**20} MB limit; use fewer samples",
    )
