"""The sandbox's control channel: every message between parent, worker and child, typed.

The only module the three processes share about what they say to each other
(docs/protocol.md, "Sandbox"). Each message is an attrs class, sent as one
length-prefixed JSON frame (`protocol`) and read back by the strict converter
(`strict`): an unknown field, a missing one or a wrong type is `strict.Malformed`.

    parent -> worker   Run (a job), Cancel
    worker -> parent   Ready (once warm), Started (the child's pid), Done (how it
                       ended, then the child's raw frames), TooLarge (a frame over its cap)
    worker -> child    the Job
    child  -> parent   ChildStatus (before user code ran), then ChildReply (after: untrusted)

Messages to and from the worker carry their kind in an `op` field; the child's two
frames need none (their order says which is which).
"""

from __future__ import annotations

import enum
from typing import Any, TypeVar

import attrs

from derivlens.sandbox import protocol, strict

#: The name a job's evaluated thing has in messages unless the caller gives one.
UNNAMED = "the function"


@attrs.frozen
class Job:
    """One request and the sandbox's terms for it: built by the caller, relayed by the
    worker, run by a child."""

    request: Any  # the application's JSON; the sandbox never looks into it
    timeout: float
    memory_mb: int
    readable: tuple[str, ...] = ()  # paths the child may read besides Python and packages
    user_file: str = ""  # frames in this file are the user's (for messages)
    name: str = UNNAMED  # what to call the evaluated thing in messages
    #: Exit at idle priority: the worker says so while few children are still exiting.
    idle_exit: bool = False


@attrs.frozen
class Run:
    id: int
    job: Job


@attrs.frozen
class Cancel:
    id: int


@attrs.frozen
class Ready:
    """The worker is warm; `layers` held in its probe child (every child must have them),
    `notes` say why the others did not."""

    prefork: bool
    layers: tuple[str, ...]
    notes: dict[str, str]


@attrs.frozen
class Started:
    id: int
    pid: int  # the child's pid, which is its process group


@attrs.frozen
class Done:
    """The child is done; `frames` of its raw frames follow this message."""

    id: int
    pid: int
    frames: int
    extra: bool  # it wrote after its reply frame, or held its pipe open
    code: int | None  # its exit status, if it exited before the worker reported it
    signal: int | None  # the signal that ended it, likewise


@attrs.frozen
class TooLarge:
    """The child's status or reply frame was over its cap; the child was killed."""

    id: int
    what: str  # "a reply of 40 MB"


@attrs.frozen
class ChildStatus:
    """What a child says of its layers, written before any user code is in it."""

    layers: tuple[str, ...]
    notes: dict[str, str] = attrs.field(factory=dict)
    refused: dict[str, str] = attrs.field(factory=dict)  # required here, missing in it
    details: dict[str, str] = attrs.field(factory=dict)  # the probe's, for `doctor`


@attrs.frozen
class Refusal:
    """An operation the sandbox refused during the job: what, and where in user code."""

    what: str
    where: str


class NoReply(enum.Enum):
    """Why a child sends no reply of the application's."""

    EXITED = "exited"  # SystemExit or KeyboardInterrupt escaped `run` (exit() in user code)
    RAISED = "raised"  # another exception escaped `run`
    NOT_JSON = "not-json"  # the reply cannot be written as JSON
    TOO_LARGE = "too-large"  # the reply is over `protocol.MAX_REPLY_BYTES`
    OUT_OF_MEMORY = "out-of-memory"  # C code exited near the memory limit (layers/rlimits)


@attrs.frozen
class Unanswered:
    why: NoReply
    detail: str  # the exception, or the size


@attrs.frozen
class ChildReply:
    """What a child sends after the job: untrusted, user code may have written it."""

    reply: Any  # the application's `run(request)`; None if `unanswered`
    output: str = ""  # what the job printed (capped)
    timings: dict[str, float] = attrs.field(factory=dict)
    refusal: Refusal | None = None  # the first operation the sandbox refused
    unanswered: Unanswered | None = None


ToWorker = Run | Cancel
FromWorker = Ready | Started | Done | TooLarge
_OPS: dict[str, type] = {
    "run": Run,
    "cancel": Cancel,
    "ready": Ready,
    "started": Started,
    "done": Done,
    "too-large": TooLarge,
}
_OP_OF = {cls: op for op, cls in _OPS.items()}

CONVERTER = strict.make_converter()
CONVERTER.register_structure_hook(NoReply, strict.strict_enum)
T = TypeVar("T")


def encode(message: Any) -> bytes:
    """One frame holding `message` (its `op` first, for a worker message)."""
    body = CONVERTER.unstructure(message)
    op = _OP_OF.get(type(message))
    return protocol.encode({"op": op, **body} if op else body)


def to_worker(body: bytes) -> ToWorker:
    """A message the worker reads from its parent."""
    message: ToWorker = _tagged(body, (Run, Cancel))
    return message


def from_worker(body: bytes) -> FromWorker:
    """A message the parent reads from its worker."""
    message: FromWorker = _tagged(body, (Ready, Started, Done, TooLarge))
    return message


def decode(body: bytes, cls: type[T]) -> T:
    """A message without `op` (a job, a probe's status) from a frame of a trusted peer."""
    return structure(protocol.decode(body), cls)


def _tagged(body: bytes, kinds: tuple[type, ...]) -> Any:
    raw = protocol.decode(body)
    if not isinstance(raw, dict):
        raise strict.Malformed("a message that is not an object")
    op = raw.pop("op", None)
    cls = _OPS.get(op) if isinstance(op, str) else None
    if cls not in kinds:
        raise strict.Malformed(f"a message of an unexpected kind ({strict.describe(raw)})")
    return strict.structure(CONVERTER, raw, cls)


def structure(raw: Any, cls: type[T]) -> T:
    """Parsed JSON as `cls`, or `strict.Malformed` (for the child's untrusted frames)."""
    message: T = strict.structure(CONVERTER, raw, cls)
    return message


def warm_up() -> None:
    """Build the converter's hooks now, in the worker, not in every forked child."""
    job = Job(request={}, timeout=1.0, memory_mb=1)
    unsent = Unanswered(NoReply.RAISED, "")
    to_worker(_body(encode(Run(1, job))))
    decode(_body(encode(job)), Job)
    decode(_body(encode(ChildStatus(("rlimits",)))), ChildStatus)
    decode(_body(encode(ChildReply(None, refusal=Refusal("", ""), unanswered=unsent))), ChildReply)


def _body(frame: bytes) -> bytes:
    return frame[protocol.HEADER.size :]
