"""A drawn figure as PNG or SVG bytes, reproducibly: the same figure gives the same bytes.

The PNG is palette-quantized: these flat-coloured plots look the same in 256 colours
(no dithering) at a third of the bytes, and quantizing costs less than it saves in zlib;
the background keeps its exact colour and only the rest is quantized (`encode_rgba`).
The SVG carries no script, no metadata and no external reference (not even a DTD).
"""

from __future__ import annotations

import io
import re

import numpy as np
from matplotlib import rc_context
from matplotlib.backends.backend_svg import FigureCanvasSVG
from matplotlib.colors import to_rgb
from matplotlib.figure import Figure
from PIL import Image

from derivlens.plotting.canvas import canvas_for

#: zlib level of the palette PNG, chosen from bench_render.py's table of encoder settings
#: (bench/README.md): lower levels save little time for much bigger files, higher ones
#: cost much more time for a few bytes.
PNG_COMPRESS_LEVEL = 3
_SVG_ROOT_SIZE = re.compile(rb'(<svg\b[^>]*?)\swidth="[^"]*"\s+height="[^"]*"', re.S)
_DOCTYPE = re.compile(rb"<!DOCTYPE[^>]*>\s*")
#: Without these the SVG would say who made it and when (and so change every run).
_NO_METADATA = {"Creator": None, "Date": None, "Format": None, "Type": None}


def png(fig: Figure) -> bytes:
    """The PNG of `fig` at its own dpi."""
    canvas = canvas_for(fig)
    canvas.draw()
    width, height = (int(v) for v in canvas.get_width_height(physical=True))
    return encode_rgba(canvas.buffer_rgba(), width, height, _rgb8(fig.get_facecolor()))


def encode_rgba(
    buffer: memoryview,
    width: int,
    height: int,
    background: tuple[int, int, int],
    *,
    level: int = -1,
    strategy: int = -1,
) -> bytes:
    """A palette PNG of an opaque RGBA buffer whose background is `background`.

    The background (most of a plot's pixels) gets palette entry 0, exactly; only the
    other pixels are quantized, to the other 255 entries, so the octree spends nothing
    on the background and its buckets are averaged over ink alone (half the colour error
    of quantizing the whole image, in about half the time; see bench_render.py).
    `level` and `strategy` are zlib's (-1: `PNG_COMPRESS_LEVEL`, the default strategy).
    """
    codes = np.frombuffer(buffer, dtype="<u4")  # RGBA bytes: R lowest, A highest
    red, green, blue = background
    ink = codes != np.uint32(red | green << 8 | blue << 16 | 0xFF << 24)
    indices = np.zeros(width * height, dtype=np.uint8)
    palette = [red, green, blue]
    picked = codes[ink]
    if picked.size:
        inks = Image.frombuffer("RGBA", (picked.size, 1), picked, "raw", "RGBA", 0, 1)
        quantized = inks.convert("RGB").quantize(
            255, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE
        )
        palette += (quantized.getpalette() or [])[: 3 * 255]
        indices[ink] = np.frombuffer(quantized.tobytes(), dtype=np.uint8) + 1
    image = Image.frombuffer("P", (width, height), indices, "raw", "P", 0, 1)
    image.putpalette(palette)
    out = io.BytesIO()
    # No text chunks at all (no "Software", no date): the bytes are reproducible.
    image.save(
        out,
        format="PNG",
        compress_level=PNG_COMPRESS_LEVEL if level < 0 else level,
        compress_type=strategy,
    )
    return out.getvalue()


def _rgb8(colour: object) -> tuple[int, int, int]:
    r, g, b = (round(255 * c) for c in to_rgb(colour))  # type: ignore[arg-type]
    return r, g, b


def svg(fig: Figure, width: int, height: int) -> bytes:
    """The SVG of `fig`, sized `width`×`height` px (its view box stays in points)."""
    canvas = FigureCanvasSVG(fig)
    out = io.BytesIO()
    # A fixed hash salt makes the element ids (and so the bytes) reproducible; it is in
    # effect only for the duration of this call.
    with rc_context({"svg.hashsalt": "derivlens", "svg.fonttype": "path"}):
        canvas.print_svg(out, metadata=_NO_METADATA)
    data = _DOCTYPE.sub(b"", out.getvalue(), count=1)
    return _SVG_ROOT_SIZE.sub(
        lambda m: m.group(1) + f' width="{width}px" height="{height}px"'.encode(),
        data,
        count=1,
    )
