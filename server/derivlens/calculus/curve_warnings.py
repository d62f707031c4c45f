"""The `disagreement` warning of a curve of one variable: the jumps found between and on
samples, each x named, then the samples where autograd's f′ and central differences
disagree for another reason (docs/protocol.md, "Semantics")."""

from __future__ import annotations

import numpy as np

from derivlens.calculus import differences
from derivlens.calculus.differences import Central
from derivlens.calculus.discontinuities import Discontinuity, name_points
from derivlens.model import PlotWarning, WarningKind


def disagreement_warning(
    x: np.ndarray,
    values: np.ndarray,
    slope: np.ndarray,
    central: Central,
    found: list[Discontinuity],
) -> PlotWarning | None:
    """One `disagreement` warning: the jumps found, each x named, then the samples where
    autograd's f′ and the central differences disagree for another reason."""
    parts = [_jumps_text(found)] if found else []
    mismatch = _mismatch_text(x, values, slope, central, found)
    if mismatch:
        parts.append(mismatch)
    if not parts:
        return None
    return PlotWarning(
        WarningKind.DISAGREEMENT,
        "; and ".join(parts) + ". f may have a kink or a jump there, or a custom backward may be "
        "wrong; the values shown are autograd's",
    )


def _jumps_text(found: list[Discontinuity]) -> str:
    """ "… disagree at x = 1 and 2: f jumps there, by about 1 (at x = 1)", each order
    said once, with what autograd gives on either side of its first jump."""
    said = []
    for order in (0, 1, 2):
        group = [d for d in found if d.order == order]
        if not group:
            continue
        first = group[0]
        left, right, component = _sides(first)
        name = (
            ("f", "f′", "f″")[order]
            if component is None
            else f"{('f', 'f′', 'f″')[order]}[{component}]"
        )
        if order == 0:
            detail = f"{name} jumps by about {right - left:.3g}"
        else:
            detail = f"{name} jumps from {left:.6g} (left) to {right:.6g} (right)"
        if len(found) == 1:
            where = " there"
        elif len(group) == 1:
            where = f" at x = {first.x:.6g}"
        else:
            where = f" at x = {first.x:.6g} (and at {len(group) - 1} more of these points)"
        said.append(detail + where)
    every = name_points([d.x for d in found])
    return f"autograd and finite differences disagree at {every}: " + "; ".join(said)


def _sides(jump: Discontinuity) -> tuple[float, float, int | None]:
    """The level's values left and right of a jump; for a vector-valued f, those of the
    component that jumps most."""
    left, right = np.atleast_1d(jump.left), np.atleast_1d(jump.right)
    if left.size == 1:
        return float(left[0]), float(right[0]), None
    j = int(np.nanargmax(np.abs(right - left)))
    return float(left[j]), float(right[j]), j


def _mismatch_text(
    x: np.ndarray,
    values: np.ndarray,
    slope: np.ndarray,
    central: Central,
    found: list[Discontinuity],
) -> str | None:
    """What the central differences see at the samples that no jump found explains."""
    wrong, kinks = differences.disagreement(central, slope, values)
    differs = (wrong | kinks).reshape(len(x), -1)
    spacing = float(x[1] - x[0]) if len(x) > 1 else 0.0
    for d in found:  # the samples beside a jump see that jump
        differs[np.abs(x - d.x) <= 2.5 * spacing] = False
    if not differs.any():
        return None
    rows, columns = np.nonzero(differs)
    first, component = int(rows[0]), int(columns[0])
    which = f"f[{component}]′" if differs.shape[1] > 1 else "f′"
    exact = slope.reshape(len(x), -1)[first, component]
    left, right = _one_sided(central, values, first, component)
    coarse, estimate = (central.at(k)[0].reshape(len(x), -1)[first, component] for k in (0, 1))
    h = float(central.h[first]) / 2
    if abs(estimate) > 1.6 * abs(coarse) > 0:  # grows like 1/h: f itself jumps
        size = 2 * h * estimate
        detail = f"f jumps there, by about {size:.3g}, and autograd gives {which} = {exact:.6g}"
    elif kinks.reshape(len(x), -1)[first, component]:
        detail = (
            f"{which} jumps from {left:.6g} (left) to {right:.6g} (right) by one-sided "
            f"differences, and autograd gives {exact:.6g}"
        )
    else:
        detail = f"{which} = {exact:.6g} by autograd, {estimate:.6g} by central differences"
    at = name_points([float(x[i]) for i in np.unique(rows)])
    return f"autograd and finite differences disagree at {at} (at the first: {detail})"


def _one_sided(central: Central, values: np.ndarray, row: int, column: int) -> tuple[float, float]:
    """The backward and forward differences at one sample (the slopes on either side)."""
    plus, minus, step = central.sides(1)
    flat = (a.reshape(len(central.x), -1)[row, column] for a in (plus, minus, values))
    up, down, centre = flat
    h = float(step.reshape(len(central.x), -1)[row, 0])
    return (centre - down) / h, (up - centre) / h
