"""Length-prefixed JSON frames: the only format parent, worker and child exchange.

A 4-byte big-endian length, then that many bytes of JSON (never pickle, so a hostile
child can at worst send a wrong answer, not run code in the parent). What a child sends
is decoded by `decode_untrusted`: bounded in size and nesting before the parser sees it,
and without the `NaN`/`Infinity` tokens Python's json would otherwise accept.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import struct
from typing import Any

HEADER = struct.Struct(">I")
#: Largest reply accepted from a child (a panel-sized PNG plus 4 derivatives is < 2 MB).
MAX_REPLY_BYTES = 16 * 1024 * 1024
#: Largest control message (requests hold the sliced source of one module).
MAX_REQUEST_BYTES = 8 * 1024 * 1024
#: Deepest nesting of arrays and objects a reply may have (a surface result needs 5).
MAX_DEPTH = 12
#: Most brackets a reply may hold outside its strings (a 401×401 surface needs ~2,500).
MAX_BRACKETS = 20_000


class FrameError(Exception):
    """The peer closed the channel early or sent a frame that breaks the protocol."""


def encode(obj: Any) -> bytes:
    """One frame holding `obj` as compact JSON."""
    body = json.dumps(obj, separators=(",", ":"), allow_nan=False).encode()
    return HEADER.pack(len(body)) + body


def frame(body: bytes) -> bytes:
    return HEADER.pack(len(body)) + body


def decode(body: bytes) -> Any:
    """A frame from a trusted peer (the parent, the worker)."""
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise FrameError(f"malformed JSON frame: {exc}") from exc


_ESCAPE = re.compile(rb"\\.", re.DOTALL)
_STRING = re.compile(rb'"[^"]*"')
_KEEP_BRACKETS = bytes(range(256)).translate(None, b"[]{}")


def _reject_constant(token: str) -> Any:
    raise ValueError(f"{token} is not a JSON number")


def nesting_depth(body: bytes) -> int:
    """How deeply `body`'s arrays and objects nest, without parsing it (so no recursion).

    Escapes are dropped first, then whole strings, so brackets inside text do not count;
    what is left is only brackets, at C speed, and their count is bounded before the loop.
    """
    bare = _STRING.sub(b"", _ESCAPE.sub(b"", body)).translate(None, _KEEP_BRACKETS)
    if len(bare) > MAX_BRACKETS:
        raise FrameError(f"a reply with {len(bare)} brackets (the limit is {MAX_BRACKETS})")
    depth = deepest = 0
    for byte in bare:
        depth += 1 if byte in b"[{" else -1
        deepest = max(deepest, depth)
    return deepest


def decode_untrusted(body: bytes, max_depth: int = MAX_DEPTH) -> Any:
    """A frame from a sandboxed child: checked for size and depth, then strict JSON."""
    if len(body) > MAX_REPLY_BYTES:
        raise FrameError(f"a reply of {len(body)} bytes (the limit is {MAX_REPLY_BYTES})")
    depth = nesting_depth(body)
    if depth > max_depth:
        raise FrameError(f"a reply nested {depth} deep (the limit is {max_depth})")
    try:
        return json.loads(body, parse_constant=_reject_constant)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise FrameError(f"malformed JSON: {str(exc)[:200]}") from None


def write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        n = os.write(fd, view)
        view = view[n:]


def read_exact(fd: int, n: int) -> bytes:
    chunks: list[bytes] = []
    while n:
        chunk = os.read(fd, min(n, 1 << 20))
        if not chunk:
            raise FrameError("channel closed mid-frame" if chunks else "channel closed")
        chunks.append(chunk)
        n -= len(chunk)
    return b"".join(chunks)


def read_frame(fd: int, limit: int = MAX_REPLY_BYTES) -> bytes:
    """Blocking read of one frame's body from a file descriptor."""
    (size,) = HEADER.unpack(read_exact(fd, HEADER.size))
    if size > limit:
        raise FrameError(f"frame of {size} bytes exceeds the {limit}-byte limit")
    return read_exact(fd, size)


async def read_frame_async(reader: asyncio.StreamReader, limit: int = MAX_REPLY_BYTES) -> bytes:
    """Asyncio read of one frame's body."""
    try:
        (size,) = HEADER.unpack(await reader.readexactly(HEADER.size))
        if size > limit:
            raise FrameError(f"frame of {size} bytes exceeds the {limit}-byte limit")
        return await reader.readexactly(size)
    except asyncio.IncompleteReadError as exc:
        raise FrameError(
            "channel closed" if not exc.partial else "channel closed mid-frame"
        ) from exc
