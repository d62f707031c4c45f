"""Length-prefixed JSON frames: the only format parent, worker and child exchange.

A 4-byte big-endian length, then that many bytes. JSON (never pickle) so that a hostile
child can at worst send a wrong answer, not run code in the parent.
"""

from __future__ import annotations

import asyncio
import json
import os
import struct
from typing import Any

HEADER = struct.Struct(">I")
#: Largest reply accepted from a child (a panel-sized PNG plus 4 derivatives is < 2 MB).
MAX_REPLY_BYTES = 16 * 1024 * 1024
#: Largest control message (requests hold the sliced source of one module).
MAX_REQUEST_BYTES = 8 * 1024 * 1024


class FrameError(Exception):
    """The peer closed the channel early or sent a frame that breaks the protocol."""


def encode(obj: Any) -> bytes:
    """One frame holding `obj` as compact JSON."""
    body = json.dumps(obj, separators=(",", ":"), allow_nan=False).encode()
    return HEADER.pack(len(body)) + body


def frame(body: bytes) -> bytes:
    return HEADER.pack(len(body)) + body


def decode(body: bytes) -> Any:
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise FrameError(f"malformed JSON frame: {exc}") from exc


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
