"""f of one variable and its derivatives of orders 1 to 4."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torch.func import vmap

from derivlens.calculus.autograd import choose_autograd, disconnection, nested_grads, probe_points
from derivlens.calculus.common import (
    EPS,
    POINTWISE_ERRORS,
    STENCILS,
    Method,
    null_out,
    pointwise,
    sample_points,
    scalar,
)
from derivlens.model import PlotWarning, WarningKind


@dataclass
class Curves:
    """f of one variable and its derivatives at evenly spaced samples (NaN = null)."""

    x: np.ndarray
    f: np.ndarray
    derivatives: dict[int, np.ndarray]
    method: Method
    warnings: list[PlotWarning] = field(default_factory=list)
    critical_points: list[float] = field(default_factory=list)


def differentiate_1d(
    fn: Callable[..., Any], domain: tuple[float, float], samples: int, order: int
) -> Curves:
    """f and its derivatives of orders 1..`order` at `samples` points spanning `domain`."""
    xs = torch.from_numpy(sample_points(domain, samples))
    scalar_fn = scalar(fn)
    outcome, vectorized, reason = choose_autograd(
        scalar_fn,
        [(p,) for p in probe_points(xs)],
        lambda: _autograd_vmap(scalar_fn, xs, order),
        lambda: _autograd_loop(scalar_fn, xs, order),
    )
    if outcome is not None:
        values, derivatives, connected = outcome

    x = xs.numpy()
    step = np.cbrt(EPS) * np.maximum(1.0, np.abs(x))
    if reason is None:
        plus = _evaluate(scalar_fn, xs + torch.from_numpy(step), vectorized)
        minus = _evaluate(scalar_fn, xs - torch.from_numpy(step), vectorized)
        estimate = (plus - minus) / (2 * step)
        reason = disconnection(connected, values, estimate)
    warnings: list[PlotWarning] = []
    if reason is not None:
        values = _evaluate(scalar_fn, xs, vectorized=False)
        derivatives = {k: _finite_difference(scalar_fn, x, k) for k in range(1, order + 1)}
        warnings.append(
            PlotWarning(
                WarningKind.FINITE_DIFFERENCE,
                f"{reason}, so the derivatives are central finite differences "
                "(about 10 correct digits, not exact); use torch functions on x for exact ones",
            )
        )
        method: Method = "finite-difference"
    else:
        method = "autograd"
        mismatch = _disagreement_1d(x, values, derivatives[1], estimate, plus, minus)
        if mismatch:
            warnings.append(mismatch)
    null_out(values, list(derivatives.values()), x, warnings, "x")
    curves = Curves(x=x, f=values, derivatives=derivatives, method=method, warnings=warnings)
    curves.critical_points = critical_points_1d(x, derivatives[1])
    return curves


def _autograd_vmap(
    fn: Callable[..., torch.Tensor], xs: torch.Tensor, order: int
) -> tuple[np.ndarray, dict[int, np.ndarray], np.ndarray]:
    """All points at once: `vmap` evaluates f at each point alone, so the derivative of
    the sum of the outputs with respect to xᵢ is f′(xᵢ), exactly (the Jacobian is
    diagonal), and so on for higher orders. Plain torch.autograd on a vmapped forward;
    torch.func.grad would do the same but imports torch._dynamo (a second of cold start)."""
    traced = xs.clone().requires_grad_(True)
    out = vmap(fn)(traced)
    connected = np.full(xs.shape, out.requires_grad)
    nested = nested_grads(out, (traced,), order)
    derivatives = {k: grads[0].detach().numpy().copy() for k, grads in enumerate(nested, 1)}
    return out.detach().numpy().copy(), derivatives, connected


def _autograd_loop(
    fn: Callable[..., torch.Tensor], xs: torch.Tensor, order: int
) -> tuple[np.ndarray, dict[int, np.ndarray], np.ndarray]:
    """One point at a time with torch.autograd: Python control flow on x is fine here,
    and so are custom autograd.Functions written without torch.func support."""
    values = np.full(len(xs), np.nan)
    connected = np.ones(len(xs), dtype=bool)
    derivatives = {k: np.full(len(xs), np.nan) for k in range(1, order + 1)}
    for i, xi in enumerate(xs):
        point = xi.clone().requires_grad_(True)
        try:
            out = fn(point)
        except POINTWISE_ERRORS:
            continue
        values[i] = out.item()
        connected[i] = out.requires_grad
        for k, derivative in enumerate(nested_grads(out, (point,), order), start=1):
            derivatives[k][i] = derivative[0].item()
    return values, derivatives, connected


def _evaluate(
    fn: Callable[..., torch.Tensor], points: torch.Tensor, vectorized: bool
) -> np.ndarray:
    """f at `points` without gradients (NaN where f is undefined)."""
    with torch.no_grad():
        if vectorized:
            return vmap(fn)(points).numpy().copy()
        return pointwise(lambda p: fn(p).item(), list(points))


def _finite_difference(fn: Callable[..., torch.Tensor], x: np.ndarray, order: int) -> np.ndarray:
    offsets, weights, divisor = STENCILS[order]
    step = EPS ** (1.0 / (order + 4)) * np.maximum(1.0, np.abs(x))
    total = np.zeros_like(x)
    for offset, weight in zip(offsets, weights, strict=True):
        at = torch.from_numpy(x + offset * step)
        total += weight * pointwise(lambda p: fn(p).item(), list(at))
    return total / (divisor * step**order)


def _disagreement_1d(
    x: np.ndarray,
    values: np.ndarray,
    autograd: np.ndarray,
    estimate: np.ndarray,
    plus: np.ndarray,
    minus: np.ndarray,
) -> PlotWarning | None:
    step = np.cbrt(EPS) * np.maximum(1.0, np.abs(x))
    usable = np.isfinite(values) & np.isfinite(autograd) & np.isfinite(plus) & np.isfinite(minus)
    scale = 1 + np.maximum(np.abs(autograd), np.abs(estimate))
    noise = 1e3 * EPS * np.maximum(np.abs(plus), np.abs(minus)) / step
    differs = usable & (np.abs(autograd - estimate) > 1e-5 * scale + noise)
    if not differs.any():
        return None
    where = np.flatnonzero(differs)
    first = where[0]
    detail = f"f′ = {autograd[first]:.6g} by autograd, {estimate[first]:.6g} by central differences"
    if len(where) == 1:
        at = f"at x = {x[first]:.6g}"
    else:
        at = f"at {len(where)} points from x = {x[where[0]]:.6g} to {x[where[-1]]:.6g}"
    return PlotWarning(
        WarningKind.DISAGREEMENT,
        f"autograd and a central difference disagree {at}: {detail}. f may have a kink or "
        "a jump there, or a custom backward may be wrong; the values shown are autograd's",
    )


def critical_points_1d(x: np.ndarray, slope: np.ndarray) -> list[float]:
    """The x where the slope changes sign (interpolated), never across a gap of nulls."""
    found: list[float] = []
    last_sign, last_index = 0.0, -1
    for i, value in enumerate(slope):
        if not np.isfinite(value):
            last_sign, last_index = 0.0, -1
            continue
        sign = float(np.sign(value))
        if sign == 0:
            continue
        if last_sign and sign != last_sign:
            if last_index == i - 1:
                a, b = slope[last_index], value
                found.append(float(x[last_index] - a * (x[i] - x[last_index]) / (b - a)))
            else:  # a run of exact zeros between: its middle
                found.append(float(x[(last_index + i) // 2]))
        last_sign, last_index = sign, i
    return found
