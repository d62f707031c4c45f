"""Numbers for the axes: data as arrays, limits (with spike clipping), ticks and labels.

No drawing here; every function is a pure function of its arguments.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from matplotlib.ticker import MaxNLocator
from numpy.typing import NDArray

from derivlens.model import FixedValue

FloatArray = NDArray[np.float64]
Limits = tuple[float, float]

#: Values beyond this are clipped before plotting, so that axis arithmetic
#: (spans, margins, tick steps) cannot overflow to inf.
HUGE = 1e300
_STEPS = [1, 2, 2.5, 5, 10]


def array(values: Sequence[float | None] | Sequence[Sequence[float | None]]) -> FloatArray:
    """`values` (a series, or a grid of rows) as floats: NaN where None, clipped to ±HUGE."""
    arr = np.array(values, dtype=np.float64)
    np.clip(arr, -HUGE, HUGE, out=arr)
    return arr


def limits(values: FloatArray, *, curve: bool = True, margin: float = 0.06) -> Limits | None:
    """Axis limits for the finite `values`, or None if there are none.

    A constant series (up to rounding noise) gets a band around its value. When a few
    outliers stretch the range far beyond the bulk of the data, the limits follow the
    bulk instead. For a curve (`values` in x order) the bulk is the 5th to 95th
    percentile, and only spikes inside the domain (poles, as in tan x or 1/x) are
    clipped, never a run at either end (steep growth, as in exp x, stays whole). For a
    surface the bulk is the 1st to 99th percentile.
    """
    finite_mask = np.isfinite(values)
    finite = values[finite_mask]
    if finite.size == 0:
        return None
    lo, hi = float(finite.min()), float(finite.max())
    if finite.size >= 20:
        q_lo, q_hi = (float(q) for q in np.percentile(finite, [5, 95] if curve else [1, 99]))
        bulk = q_hi - q_lo
        if bulk > 0 and (hi - lo) > 8.0 * bulk:
            c_lo, c_hi = max(lo, q_lo - 0.3 * bulk), min(hi, q_hi + 0.3 * bulk)
            if not curve or _interior_outliers(values, finite_mask, c_lo, c_hi):
                lo, hi = c_lo, c_hi
    span = hi - lo
    if span <= 1e-9 * max(abs(lo), abs(hi)) or span == 0.0:
        centre = (lo + hi) / 2
        pad = 0.5 * abs(centre) if centre != 0.0 else 1.0
        return centre - pad, centre + pad
    return lo - margin * span, hi + margin * span


def _interior_outliers(values: FloatArray, finite: NDArray[np.bool_], lo: float, hi: float) -> bool:
    """Whether some finite value outside [lo, hi] is not in a run touching either end."""
    outside = finite & ((values < lo) | (values > hi))
    idx = np.flatnonzero(outside)
    inside = np.flatnonzero(finite & ~outside)
    if idx.size == 0 or inside.size == 0:
        return False
    # Outliers strictly between the first and last in-range points are interior.
    return bool(((idx > inside[0]) & (idx < inside[-1])).any())


def union(ranges: Sequence[Limits | None]) -> Limits | None:
    """The smallest limits holding all of `ranges` (None: none had finite values)."""
    known = [r for r in ranges if r is not None]
    if not known:
        return None
    return min(r[0] for r in known), max(r[1] for r in known)


def clipped(values: FloatArray, lims: Limits) -> bool:
    """Whether some finite value lies outside `lims` (so the plot cuts it off)."""
    with np.errstate(invalid="ignore"):
        return bool(((values < lims[0]) | (values > lims[1])).any())


def x_range(x: FloatArray, domain: Limits) -> Limits:
    """The x limits: the sampled range (the domain if no sample is finite), never empty."""
    finite = x[np.isfinite(x)]
    lo, hi = (float(finite.min()), float(finite.max())) if finite.size else domain
    if hi - lo <= 1e-12 * max(abs(lo), abs(hi)):
        pad = 0.5 * abs(lo) if lo != 0 else 1.0
        lo, hi = lo - pad, hi + pad
    return lo, hi


def tick_values(lo: float, hi: float, nbins: int) -> FloatArray:
    """Round tick positions inside [lo, hi], about `nbins` intervals apart."""
    locator = MaxNLocator(nbins=nbins, steps=_STEPS, min_n_ticks=2)
    values = np.asarray(locator.tick_values(lo, hi), dtype=np.float64)
    tol = 1e-9 * (hi - lo)
    values = values[(values >= lo - tol) & (values <= hi + tol)]
    # Snap rounding noise (1e-17 for 0) so that labels read "0".
    values[np.abs(values) < 1e-12 * max(abs(lo), abs(hi))] = 0.0
    return values


def tick_labels(values: FloatArray) -> tuple[list[str], str]:
    """Labels for evenly spaced ticks, and the offset they are relative to ("" if none).

    Plain decimals between 1e-4 and 1e6 (0.25, 1200), else the shortest exponent form
    (1.5e6, 2e−7), with just the digits that tell neighbours apart; minus signs are real
    minus signs. Ticks that share five leading digits or more (1000.001, 1000.002)
    are labelled by their difference from a round offset (0.001, 0.002 and "+1000").
    """
    if values.size < 2:
        return _labels(values), ""
    top, span = float(np.abs(values).max()), float(values[-1] - values[0])
    if span <= 0 or top / span < 1e4:
        return _labels(values), ""
    unit = 10.0 ** (math.ceil(math.log10(span)) + 1)
    offset = round(float(values.mean()) / unit) * unit
    sign = "+" if offset > 0 else ""
    return _labels(values - offset), sign + fmt_number(offset)


def _labels(values: FloatArray) -> list[str]:
    if values.size == 0:
        return []
    top = float(np.abs(values).max())
    step = float(np.diff(values).min()) if values.size > 1 else top
    if top == 0.0 or step <= 0.0:
        return [fmt_number(float(v)) for v in values]
    if 1e-4 <= top < 1e6:
        decimals = next(
            (d for d in range(16) if np.all(np.abs(np.round(values, d) - values) <= 1e-6 * step)),
            15,
        )
        texts = [_strip(f"{v:.{decimals}f}") for v in values]
    else:
        digits = min(15, max(1, math.floor(math.log10(top)) - math.floor(math.log10(step)) + 1))
        texts = [_exponent(f"{v:.{digits}g}") for v in values]
    return [_minus(t) for t in texts]


def fmt_number(value: float) -> str:
    """A lone number, compactly: 0.25, 1200, 1.5e6, −3e−7."""
    if value == 0.0:
        return "0"
    if 1e-4 <= abs(value) < 1e6:
        return _minus(f"{value:.6g}")
    return _minus(_exponent(f"{value:.3g}"))


def fmt_value(value: FixedValue) -> str:
    """A held parameter's value as the subtitle shows it (`a = 1.5`, `mode = fast`)."""
    if isinstance(value, float):
        return fmt_number(value)
    return str(value)


def _strip(text: str) -> str:
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _exponent(text: str) -> str:
    mantissa, e, power = text.partition("e")
    if not e:
        return _strip(mantissa)
    return f"{_strip(mantissa)}e{int(power)}"


def _minus(text: str) -> str:
    return text.replace("-", "−")
