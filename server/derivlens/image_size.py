"""How large an image a `Render` asks for: the rule the renderer draws by and the reply
check holds a child's image to (docs/protocol.md, "Images"). No matplotlib here, so the
language server can apply it.
"""

from __future__ import annotations

import math

from derivlens import model

#: The box each layout fills when the request gives no size (CSS px). The hover must fit
#: a VS Code hover (at most 360×180) together with a one-line summary.
DEFAULT_SIZE: dict[str, tuple[float, float]] = {"hover": (360, 150), "panel": (1000, 600)}
DEFAULT_PNG_SCALE = 2.0
#: Sizes outside these bounds are clamped, not refused: a client may measure oddly.
MIN_SIZE = (240, 150)
MAX_SIZE = (4000, 3000)
SCALE_RANGE = (1.0, 4.0)
#: A PNG of more pixels gets a lower scale (about 150 MB of buffers while encoding).
MAX_PIXELS = 16_000_000


def pixels(spec: model.Render) -> tuple[int, int, float]:
    """The image's width and height in pixels, and pixels per CSS px.

    From the box to fill in CSS px (the request's, else the layout's own, clamped); a
    PNG multiplies it by the scale, an SVG is sized in px.
    """
    default_w, default_h = DEFAULT_SIZE[spec.size]
    width = _clamp(spec.width, default_w, MIN_SIZE[0], MAX_SIZE[0])
    height = _clamp(spec.height, default_h, MIN_SIZE[1], MAX_SIZE[1])
    scale = _clamp(spec.scale, DEFAULT_PNG_SCALE, *SCALE_RANGE) if spec.format == "png" else 1.0
    if width * height * scale**2 > MAX_PIXELS:
        # Down to a quarter step, never below 1 (the largest box at scale 1 fits).
        scale = max(1.0, math.floor(4 * math.sqrt(MAX_PIXELS / (width * height))) / 4)
    return round(width * scale), round(height * scale), scale


def _clamp(value: float | None, default: float, lo: float, hi: float) -> float:
    if value is None or not math.isfinite(value):
        return default
    return min(max(float(value), lo), hi)
