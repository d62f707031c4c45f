"""Turn what came back from a child into a result, or a DerivlensError a person can act on.

The reply is untrusted (user code ran in that process): it is parsed as JSON only,
checked for shape, and an image must carry the right signature.
"""

from __future__ import annotations

import base64
import binascii
import signal
from typing import Any

from derivlens.errors import DerivlensError
from derivlens.sandbox import protocol

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
RULES = "no processes, network, signals or file writes"


def _name(request: dict[str, Any]) -> str:
    return str(request.get("function") or "the function")


def timeout_error(request: dict[str, Any], timeout: float) -> DerivlensError:
    return DerivlensError(
        "timeout",
        f"{_name(request)} did not finish within {timeout:g} s; look for an endless loop or "
        "a slow computation, use fewer samples, or allow more time (the setting "
        "derivlens.timeoutSeconds in an editor, --timeout on the command line)",
    )


def from_reply(body: bytes, request: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(result, envelope) from a child's reply frame, or the error it reports."""
    try:
        envelope = protocol.decode(body)
    except protocol.FrameError:
        raise DerivlensError(
            "crashed", f"the evaluation of {_name(request)} sent back a malformed reply"
        ) from None
    reply = envelope.get("reply") if isinstance(envelope, dict) else None
    if not isinstance(reply, dict):
        raise DerivlensError("crashed", f"the evaluation of {_name(request)} sent back no result")
    error = reply.get("error")
    if isinstance(error, dict):
        raise DerivlensError.from_json(error)
    result = reply.get("result")
    if not isinstance(result, dict):
        raise DerivlensError("crashed", f"the evaluation of {_name(request)} sent back no result")
    check_image(result.get("image"), request)
    layers = envelope.get("layers")
    result["sandbox"] = [str(x) for x in layers] if isinstance(layers, list) else []
    return result, envelope


def check_image(image: Any, request: dict[str, Any]) -> None:
    if image is None:
        return
    bad = DerivlensError("crashed", f"the plot of {_name(request)} came back damaged")
    if not isinstance(image, dict) or not isinstance(image.get("data"), str):
        raise bad
    try:
        head = base64.b64decode(image["data"][:64], validate=True)
    except (binascii.Error, ValueError):
        raise bad from None
    fmt = image.get("format")
    if fmt == "png" and not head.startswith(PNG_SIGNATURE):
        raise bad
    if fmt == "svg" and b"<svg" not in head and not head.lstrip().startswith(b"<?xml"):
        raise bad
    if fmt not in ("png", "svg"):
        raise bad


def from_exit(
    code: int | None, sig: int | None, request: dict[str, Any], timeout: float
) -> DerivlensError:
    """A child that died without replying."""
    name = _name(request)
    if sig == signal.SIGXCPU:
        return DerivlensError(
            "timeout",
            f"{name} used up its CPU time (about {timeout:g} s); look for an endless loop or a "
            "slow computation, or allow more time",
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


def oversized(request: dict[str, Any], detail: str) -> DerivlensError:
    return DerivlensError(
        "crashed",
        f"the evaluation of {_name(request)} sent back {detail}, over the "
        f"{protocol.MAX_REPLY_BYTES // 2**20} MB limit; use fewer samples",
    )
