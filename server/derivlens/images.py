"""Is an image a sandboxed child sent back what it claims to be? Checked before any use.

The image is untrusted (user code ran where it was drawn), and editors show it: a PNG
in a hover, a PNG or SVG in the panel's webview. Both are held to what derivlens itself
draws, by allow-list (docs/protocol.md, "What comes back is untrusted"): a PNG must be
a real PNG of the stated size whose pixel data inflates to exactly that size
(`png_check`); an SVG must be of the stated size and made only of the elements,
attributes and CSS that our plots are drawn with, its embedded images real PNGs
(`svg_check`). Anything else is refused with a short reason; nothing here raises.
"""

from __future__ import annotations

import base64
import binascii

from derivlens import png_check, svg_check
from derivlens.model import Image
from derivlens.png_check import MAX_PIXELS, MAX_SIDE
from derivlens.png_check import SIGNATURE as PNG_SIGNATURE

__all__ = ["MAX_PIXELS", "MAX_SIDE", "PNG_SIGNATURE", "png_problem", "problem", "svg_problem"]

MAX_SCALE = 8.0
MAX_AXES = 16


def problem(image: Image) -> str | None:
    """What is wrong with `image` (one short phrase), or None if it is sound."""
    if not (1 <= image.width <= MAX_SIDE and 1 <= image.height <= MAX_SIDE):
        return f"an image of {image.width}×{image.height} pixels"
    if image.width * image.height > MAX_PIXELS:
        return f"an image of {image.width}×{image.height} pixels"
    if not 0 < image.scale <= MAX_SCALE:
        return f"an image at scale {image.scale:g}"
    if len(image.axes) > MAX_AXES:
        return f"an image with {len(image.axes)} plot areas"
    try:
        data = base64.b64decode(image.data, validate=True)
    except (binascii.Error, ValueError):
        return "image data that is not base64"
    if image.format == "png":
        return png_problem(data, image.width, image.height)
    return svg_problem(data, image.width, image.height)


def png_problem(data: bytes, width: int, height: int) -> str | None:
    """A PNG: sound, `width`×`height` pixels (checked before anything is inflated), and
    its pixel data exactly that size."""
    png = png_check.read(data)
    if isinstance(png, str):
        return png
    if (png.width, png.height) != (width, height):
        return f"a PNG of {png.width}×{png.height} pixels said to be {width}×{height}"
    return png_check.inflate_problem(png)


def svg_problem(data: bytes, width: int, height: int) -> str | None:
    """An SVG of `width`×`height` px made only of what derivlens draws (`svg_check`)."""
    return svg_check.problem(data, width, height)
