"""A one-line Unicode sparkline (``▁▂▃▄▅▆▇█``) for clients that show no images.

Pure text, no third-party imports: the language server puts ``f  ▁▂▃▅▇…`` and
``f′ …`` under a hover so that terminal editors still see the shape of the curve.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence

BLOCKS = "▁▂▃▄▅▆▇█"
_FLAT = BLOCKS[3]  # ▄: the level of a constant series
_GAP = " "


def _finite(value: object) -> float | None:
    """`value` as a float if it is a finite real number, else None."""
    if value.__class__ is float:  # what a result holds: the quick way
        return value if math.isfinite(value) else None
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def buckets(n: int, width: int) -> Iterator[slice]:
    """The samples (of `n`) each of `width` columns covers: consecutive, at least one."""
    for column in range(width):
        start = column * n // width
        yield slice(start, max(start + 1, (column + 1) * n // width))


def _resample(values: Sequence[float | None], width: int) -> list[float | None]:
    """One value per column; None where a column covers no finite value.

    Each column covers a bucket of consecutive samples (a sample may span several
    columns when there are fewer samples than columns). From each bucket the sample
    farthest from the previous column's value is picked: a monotone run keeps its
    trend (it picks the bucket's max going up, its min going down) and a fast
    oscillation keeps its peaks and troughs instead of averaging them away.
    """
    finite = [_finite(v) for v in values]
    columns: list[float | None] = []
    previous: float | None = None
    for cells in buckets(len(values), width):
        bucket = [v for v in finite[cells] if v is not None]
        if not bucket:
            columns.append(None)
            continue
        if previous is None:
            pick = bucket[0]
        else:  # the farthest from `previous`: the bucket's max or its min (the first of ties)
            far = max(abs(min(bucket) - previous), abs(max(bucket) - previous))
            pick = next(v for v in bucket if abs(v - previous) == far)
        columns.append(pick)
        previous = pick
    return columns


def sparkline(values: Sequence[float | None], width: int = 40) -> str:
    """Draw `values` as `width` block characters scaled between their min and max.

    Columns without a finite value are spaces; a constant series is a flat line of
    ``▄``; an empty or all-None series (or ``width <= 0``) gives ``''``.
    """
    if width <= 0 or not values:
        return ""
    columns = _resample(values, width)
    present = [v for v in columns if v is not None]
    if not present:
        return ""
    # Halved so that hi - lo cannot overflow for values near ±1.8e308.
    lo, hi = min(present) / 2, max(present) / 2
    span = hi - lo
    if span <= 1e-12 * max(abs(lo), abs(hi)) or span == 0.0:
        return "".join(_GAP if v is None else _FLAT for v in columns)
    top = len(BLOCKS) - 1
    out = []
    for v in columns:
        if v is None:
            out.append(_GAP)
            continue
        t = (v / 2 - lo) / span
        out.append(BLOCKS[min(top, max(0, int(t * top + 0.5)))])
    return "".join(out)
