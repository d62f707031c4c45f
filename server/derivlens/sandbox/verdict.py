"""What came back from a child, checked, or the `DerivlensError` a person can act on.

A reply is untrusted (user code ran in that process): it is decoded by
`protocol.decode_untrusted` and the sandbox's own envelope (layers, notes, captured
output) is checked here; the application's reply inside it is passed on as JSON for
the application to check against its own schema. Messages name the evaluated thing
but no editor setting or CLI flag: the caller adds those.
"""

from __future__ import annotations

import re
import signal
from typing import Any

import attrs

from derivlens.errors import DerivlensError
from derivlens.sandbox import protocol

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
_UNPRINTABLE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]")


@attrs.frozen
class Outcome:
    """A child's reply: the application's JSON, and what the sandbox reports about it."""

    reply: Any
    layers: tuple[str, ...]
    notes: dict[str, str]
    output: str


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


def from_reply(body: bytes, name: str) -> Outcome:
    """The checked `Outcome` of a child's reply frame; anything else is `crashed`."""
    try:
        envelope = protocol.decode_untrusted(body)
    except protocol.FrameError as error:
        raise malformed(name, str(error)) from None
    if not isinstance(envelope, dict) or "reply" not in envelope:
        raise malformed(name, "no reply in it")
    layers = envelope.get("layers", [])
    notes = envelope.get("notes", {})
    output = envelope.get("output", "")
    if not (isinstance(layers, list) and all(x in KNOWN_LAYERS for x in layers)):
        raise malformed(name, "an unknown list of sandbox layers")
    if not (isinstance(notes, dict) and all(isinstance(v, str) for v in notes.values())):
        raise malformed(name, "notes that are not text")
    if not isinstance(output, str):
        raise malformed(name, "output that is not text")
    return Outcome(
        reply=envelope["reply"],
        layers=tuple(dict.fromkeys(layers)),
        notes={printable(str(k), 40): printable(v, MAX_NOTE) for k, v in list(notes.items())[:16]},
        output=printable(output, MAX_OUTPUT),
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
    if sig == signal.SIGKILL:
        return DerivlensError(
            "crashed",
            f"the evaluation of {name} was killed (SIGKILL), perhaps because the machine ran "
            "low on memory; try fewer samples",
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
