"""Is a PNG from a sandboxed child a real PNG of the size it says? Read, then inflated.

Held to what our encoders write (Pillow for replies, matplotlib's SVG backend for the
images inside an SVG), by allow-list: the signature, chunks of those kinds only, in
their order, with sound lengths and CRCs; a header with a valid pixel format, never
interlaced; and pixel data that inflates to exactly the size the header implies. It is
inflated in bounded steps and abandoned one step past that size, so a "zip bomb" costs
no more than a real image of its size, and a header's size is checked by the caller
before anything is inflated. Nothing here raises.
"""

from __future__ import annotations

import re
import struct
import zlib
from dataclasses import dataclass

SIGNATURE = b"\x89PNG\r\n\x1a\n"
#: Largest side and area of an image we would ever draw (a 4× panel is 4000×2400; the
#: raster parts of the largest SVG, all together, about 6250×4700).
MAX_SIDE = 10_000
MAX_PIXELS = 40_000_000
#: The chunks our encoders write, as letters, and their order: header, palette
#: (required for colour type 3, allowed for 2 and 6, never for grey), pixel data, end.
_CHUNK_LETTERS = {b"IHDR": "H", b"PLTE": "P", b"IDAT": "D", b"IEND": "E"}
_CHUNK_ORDER = {0: "HD+E", 2: "HP?D+E", 3: "HPD+E", 4: "HD+E", 6: "HP?D+E"}
#: Colour type -> (channels, bit depths allowed): the PNG specification's table 11.1.
_PIXEL_FORMATS = {
    0: (1, (1, 2, 4, 8, 16)),
    2: (3, (8, 16)),
    3: (1, (1, 2, 4, 8)),
    4: (2, (8, 16)),
    6: (4, (8, 16)),
}
#: Most bytes inflated at a time while checking pixel data.
_INFLATE_STEP = 1 << 20


@dataclass(frozen=True)
class Png:
    """A PNG's header and pixel data, as read (not yet inflated)."""

    width: int
    height: int
    row_bytes: int  # one row of pixels, without its filter byte
    idat: tuple[memoryview, ...]

    @property
    def pixel_bytes(self) -> int:
        """What the pixel data must inflate to: each row and its filter byte."""
        return self.height * (1 + self.row_bytes)


def read(data: bytes) -> Png | str:
    """The header and pixel data of a PNG whose chunks are sound, or what is wrong."""
    if not data.startswith(SIGNATURE):
        return "a PNG without the PNG signature"
    view, at = memoryview(data), len(SIGNATURE)
    letters: list[str] = []
    idat: list[memoryview] = []
    while at < len(data):
        if at + 12 > len(data):
            return "a PNG cut short"
        length, kind = struct.unpack_from(">I4s", data, at)
        end = at + 12 + length
        if end > len(data):
            return "a PNG cut short"
        (crc,) = struct.unpack_from(">I", data, end - 4)
        if zlib.crc32(view[at + 4 : end - 4]) != crc:
            return "a PNG with a damaged chunk"
        if not letters and (kind != b"IHDR" or length != 13):
            return "a PNG that does not start with its header"
        if kind not in _CHUNK_LETTERS:
            return f"a PNG with a {kind.decode('latin-1')!r} chunk"
        letters.append(_CHUNK_LETTERS[kind])
        if kind == b"IDAT":
            idat.append(view[at + 8 : end - 4])
        at = end
        if kind == b"IEND":
            break
    if not letters:
        return "a PNG that does not start with its header"
    if letters[-1] != "E" or at != len(data):
        return "a PNG with data after its end" if letters[-1] == "E" else "a PNG cut short"
    return _with_header(data[16:29], "".join(letters), tuple(idat))


def _with_header(header: bytes, letters: str, idat: tuple[memoryview, ...]) -> Png | str:
    width, height, depth, colour, compression, filtering, interlace = struct.unpack(
        ">IIBBBBB", header
    )
    channels, depths = _PIXEL_FORMATS.get(colour, (0, ()))
    if not (width and height) or depth not in depths or compression or filtering:
        return f"a PNG with an impossible header (colour type {colour}, depth {depth})"
    if interlace:
        return "an interlaced PNG"  # our encoders never interlace
    if not re.fullmatch(_CHUNK_ORDER[colour], letters):
        return "a PNG whose chunks are out of order"
    return Png(width, height, (width * channels * depth + 7) // 8, idat)


def inflate_problem(png: Png) -> str | None:
    """Does the pixel data inflate to exactly what the header implies, and end there?"""
    want, got, extra = png.pixel_bytes, 0, False
    inflater = zlib.decompressobj()
    try:
        for body in png.idat:
            pending: bytes | memoryview = body
            if inflater.eof:
                extra = extra or bool(body)
            while pending and not inflater.eof:
                got += len(inflater.decompress(pending, _INFLATE_STEP))
                if got > want:
                    return "a PNG whose pixel data is larger than its size"
                pending = inflater.unconsumed_tail
        got += len(inflater.flush())  # all input is in: zlib holds a few bytes at most
    except zlib.error:
        return "a PNG whose pixel data does not inflate"
    if got > want:
        return "a PNG whose pixel data is larger than its size"
    if got < want or not inflater.eof:
        return "a PNG whose pixel data is cut short"
    if extra or inflater.unused_data:
        return "a PNG with data after its pixel data"
    return None
