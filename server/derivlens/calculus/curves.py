"""f of one variable and its derivatives of orders 1 to 4; f may return 2 to 8 values.

Every call of f gets an input of its own, never a view of the samples, so a function
that changes its argument in place (`n -= 1`, `x.mul_(2)`) is still evaluated at the
requested x; under autograd the leaf that requires grad is not what f receives (it gets
a differentiable copy), so in-place operations on the variable are fine.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torch.func import vmap

from derivlens.calculus import differences, discontinuities, inflection, stencils
from derivlens.calculus.autograd import (
    check_free_levels,
    choose_autograd,
    cut_off,
    disconnection,
    nested_grads,
)
from derivlens.calculus.common import (
    DTYPE,
    EPS,
    POINTWISE_ERRORS,
    PRIMES,
    FailsEverywhere,
    FunctionFailed,
    NotAScalar,
    null_out,
    numeric,
    pointwise,
    probe_values,
    reraise_if_fatal,
    sample_points,
    tensors_else_numbers,
)
from derivlens.calculus.critical import critical_points
from derivlens.calculus.curve_warnings import disagreement_warning
from derivlens.calculus.differences import Central, Evaluate
from derivlens.calculus.discontinuities import Discontinuity, name_points, precision
from derivlens.calculus.fd_discontinuities import discontinuity_warning, find_by_differences
from derivlens.model import Method, PlotWarning, WarningKind

Exact = tuple[np.ndarray, dict[int, np.ndarray], np.ndarray]


@dataclass
class Curves:
    """f and its derivatives at evenly spaced samples (NaN = null). For a vector-valued f
    (`outputs` components) each array has one column per component."""

    x: np.ndarray
    f: np.ndarray
    derivatives: dict[int, np.ndarray]
    method: Method
    warnings: list[PlotWarning] = field(default_factory=list)
    critical_points: list[Any] = field(default_factory=list)  # per component if a vector
    inflection_points: list[float] = field(default_factory=list)  # a scalar f's only
    discontinuities: list[Discontinuity] = field(default_factory=list)
    outputs: int | None = None


def differentiate_1d(
    fn: Callable[..., Any], domain: tuple[float, float], samples: int, order: int
) -> Curves:
    """f and its derivatives of orders 1..`order` at `samples` points spanning `domain`."""
    x = sample_points(domain, samples)
    f = numeric(fn)
    depth = _depth(order)
    mids = (x[:-1] + x[1:]) / 2
    outcome, vectorized, reason = choose_autograd(
        f,
        [(torch.tensor(v, dtype=DTYPE),) for v in probe_values(x)],
        # All points at once: the midpoints too (`_discontinuities` needs them), and f‴
        # for the turning points (`_turning_points`), cost less in the same call than
        # in calls of their own; point by point, they would not.
        lambda: _and_mids(_deepest(exact_vmap, f, np.concatenate([x, mids]), max(depth, 3), order)),
        lambda: (_deepest(exact_loop, f, x, depth, order), None),
    )
    if outcome is not None:
        (values, derivatives, connected), at_mids = outcome
        evaluate = evaluator(f, vectorized, probe_values(x))
        central = Central.of(evaluate, x)
        central.eps = precision(values)
        cut = cut_off(connected, values, central)
        reason = disconnection(cut)
    if outcome is None or reason is not None:
        return by_differences(fn, x, order, reason or "autograd cannot follow this function")
    exact = exact_vmap if vectorized else exact_loop
    checked = {k: v for k, v in derivatives.items() if k <= depth}  # the levels `_depth` names
    found = _discontinuities(f, exact, x, values, checked, mids, at_mids)  # autograd's own
    if 2 not in checked:  # no f″ to find f′'s jumps with: located on f's values instead
        found = _kinks_by_differences(found, evaluate, x, values, derivatives[1])
    patched = _by_differences_where(cut, evaluate, x, derivatives)
    warnings = [
        w for w in [patched, disagreement_warning(x, values, derivatives[1], central, found)] if w
    ]
    full = derivatives  # up to one order more than asked for (`_depth`)
    derivatives = {k: v for k, v in derivatives.items() if k <= order}
    null_out(values, list(derivatives.values()), x, warnings, "x")
    curves = Curves(x, values, derivatives, "autograd", warnings, outputs=_outputs(values))
    curves.discontinuities = found
    unlisted = _turning_points(curves, f, exact, full, cut)
    if unlisted is not None:
        warnings.append(unlisted)
    return curves


def _turning_points(
    curves: Curves,
    f: Callable[..., torch.Tensor],
    exact: Callable[[Callable[..., torch.Tensor], np.ndarray, int], Exact],
    full: dict[int, np.ndarray],
    cut: np.ndarray,
) -> PlotWarning | None:
    """The critical and inflection points of an autograd curve (`full`: its derivatives
    at the samples, as deep as computed): refined together where they can be; the
    warning, if inflection points had to be left out."""
    x, found = curves.x, curves.discontinuities
    if curves.outputs is None and not cut.any() and 2 in full:
        both = inflection.with_critical(f, exact, x, curves.f, full, found)
        if both is not None:
            curves.critical_points, curves.inflection_points = both
            return None

    def slope_and_bend(points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        exact_2 = exact(f, points, 2)[1]
        return exact_2[1], exact_2[2]

    def slope_at(points: np.ndarray) -> np.ndarray:
        return np.asarray(exact(f, points, 1)[1][1])

    # Without f″ from autograd (a backward with no derivative), f′ alone: regula falsi.
    newton = slope_and_bend if 2 in full else None
    curves.inflection_points, unlisted = inflection.of_autograd(f, exact, x, full, found, cut)
    curves.critical_points = _critical(curves, slope_at, 0.0, newton, full.get(2))
    return unlisted


def _by_differences_where(
    cut: np.ndarray, evaluate: Evaluate, x: np.ndarray, derivatives: dict[int, np.ndarray]
) -> PlotWarning | None:
    """At the few points autograd cannot serve (a branch returning a constant at
    `t == 0`), the derivatives by differences, in place; the warning names the points."""
    if not cut.any():
        return None
    errors = {}
    for k in derivatives:
        domain = (float(x[0]), float(x[-1]))
        found = stencils.derivative_with_error(evaluate, x[cut], k, domain)
        derivatives[k][cut], errors[k] = stencils.unsettled(*found, _scale(derivatives[k], x, 0))
    where = name_points([float(v) for v in x[cut]])
    reason = (
        f"autograd cannot follow this function at {where} (there its result does not depend "
        "on the variable through torch operations, e.g. a branch that returns a constant)"
    )
    shown = {k: derivatives[k][cut] for k in errors}
    return _finite_difference_warning(reason, shown, errors, there=True)


def _deepest(
    exact: Callable[[Callable[..., torch.Tensor], np.ndarray, int], Exact],
    f: Callable[..., torch.Tensor],
    x: np.ndarray,
    depth: int,
    order: int,
) -> Exact:
    """`exact` at `depth` (deeper than asked for: for the jumps of the highest level, and
    the turning points), or as deep as autograd goes, down to the order asked for
    (hardsigmoid's backward has no derivative); then fewer levels are checked for jumps."""
    for deep in range(depth, order, -1):
        try:
            return exact(f, x, deep)
        except Exception as error:
            reraise_if_fatal(error)
    return exact(f, x, order)


def _kinks_by_differences(
    found: list[Discontinuity],
    evaluate: Evaluate,
    x: np.ndarray,
    values: np.ndarray,
    slope: np.ndarray,
) -> list[Discontinuity]:
    """`found` with the jumps of f′ located from f's values (`fd_discontinuities`), for
    an f whose backward autograd cannot differentiate again (hardsigmoid's): autograd's
    f′ is exact to the precision it was computed in, which is its stated error."""
    if values.ndim != 1:
        return found
    error = 8 * differences.slope_precision(slope) * (1 + np.abs(slope))
    kinks = find_by_differences(evaluate, x, values, slope, error)
    return sorted([*found, *(d for d in kinks if d.order == 1)], key=lambda d: d.x)


def _and_mids(both: Exact) -> tuple[Exact, dict[int, np.ndarray]]:
    """`exact` at the samples and at the midpoints after them, split: the samples'
    outcome, and f and its derivatives at the midpoints by order."""
    values, derivatives, connected = both
    n = (len(values) + 1) // 2
    at_mids = {0: values[n:], **{k: d[n:] for k, d in derivatives.items()}}
    return (values[:n], {k: d[:n] for k, d in derivatives.items()}, connected[:n]), at_mids


def _depth(order: int) -> int:
    """The autograd order computed at the samples: one more than the highest level whose
    jumps are looked for (f and f′ always, f″ when asked for order 2 or more)."""
    return max(order, 3 if order >= 2 else 2)


def _discontinuities(
    f: Callable[..., torch.Tensor],
    exact: Callable[[Callable[..., torch.Tensor], np.ndarray, int], Exact],
    x: np.ndarray,
    values: np.ndarray,
    derivatives: dict[int, np.ndarray],
    mids: np.ndarray,
    known: dict[int, np.ndarray] | None,
) -> list[Discontinuity]:
    """Where f, f′ (and f″ for order ≥ 2) jump, between the samples or on them (`known`:
    f and its derivatives at the midpoints `mids`, if computed with the samples)."""
    series = {0: values, **derivatives}
    top = max(derivatives) - 1  # autograd may have stopped at the order asked for
    at_mids: dict[int, np.ndarray] = dict(known or {})

    def at(points: np.ndarray, level: int) -> tuple[np.ndarray, np.ndarray]:
        depth = top + 1 if points is mids else level + 1  # the midpoints once, for all levels
        if points is mids and level + 1 in at_mids:
            return at_mids[level], at_mids[level + 1]
        try:
            v, d, _ = _deepest(exact, f, points, depth, level + 1)
        except Exception as error:  # f fails where vmap meets a new branch: no verdict
            reraise_if_fatal(error)
            blank = np.full((len(points), *values.shape[1:]), np.nan)
            return blank, blank
        both = {0: v, **d}
        if points is mids:
            at_mids.update(both)
        return both[level], both[level + 1]

    levels = {k: (series[k], series[k + 1]) for k in range(top + 1)}
    return discontinuities.find(x, levels, at, mids)


def exact_vmap(f: Callable[..., torch.Tensor], x: np.ndarray, order: int) -> Exact:
    """All points at once: `vmap` evaluates f at each point alone, so the derivative of
    the sum of the outputs with respect to xᵢ is f′(xᵢ), exactly (the Jacobian is
    diagonal), and so on for higher orders. Plain torch.autograd on a vmapped forward;
    torch.func.grad would do the same but imports torch._dynamo (a second of cold start)."""
    traced = torch.tensor(x, dtype=DTYPE).requires_grad_(True)
    out = vmap(lambda t: f(t.clone()))(traced)
    connected = np.full(x.shape, out.requires_grad)
    free: set[int] = set()
    nested = nested_grads(out, (traced,), order, free)
    derivatives = {
        k: grads[0].detach().numpy(force=True).copy() for k, grads in enumerate(nested, 1)
    }
    check_free_levels(x, derivatives, {k: np.ones(len(x), dtype=bool) for k in free})
    return out.detach().numpy(force=True).copy(), derivatives, connected


def exact_loop(f: Callable[..., torch.Tensor], x: np.ndarray, order: int) -> Exact:
    """One point at a time with torch.autograd: Python control flow on x is fine here,
    and so are custom autograd.Functions written without torch.func support."""
    rows: list[tuple[np.ndarray, list[np.ndarray]] | None] = []
    first_error: BaseException | None = None
    connected = np.ones(len(x), dtype=bool)
    free = {k: np.zeros(len(x), dtype=bool) for k in range(2, order + 1)}
    for i, value in enumerate(x.tolist()):
        point = torch.tensor(value, dtype=DTYPE).requires_grad_(True)
        try:
            out = f(point.clone())
        except POINTWISE_ERRORS as error:
            rows.append(None)
            first_error = error
            continue
        connected[i] = out.requires_grad
        stopped: set[int] = set()
        nested = nested_grads(out, (point,), order, stopped)
        for k in stopped:
            free[k][i] = True
        grads = [g[0].detach().numpy(force=True).copy() for g in nested]
        rows.append((out.detach().numpy(force=True).copy(), grads))
    if first_error is not None and all(r is None for r in rows):
        raise FailsEverywhere(first_error)
    shape = next((r[0].shape for r in rows if r is not None), ())
    blank = np.full(shape, np.nan)
    values = np.stack([blank if r is None else r[0] for r in rows])
    derivatives = {
        k: np.stack([blank if r is None else r[1][k - 1] for r in rows])
        for k in range(1, order + 1)
    }
    check_free_levels(x, derivatives, {k: at for k, at in free.items() if at.any()})
    return values, derivatives, connected


def evaluator(
    f: Callable[..., torch.Tensor], vectorized: bool, probes: np.ndarray | None = None
) -> Evaluate:
    """f at an array of points, without gradients; each call gets a fresh input.

    Point by point (f has Python control flow on x), plain Python numbers are tried
    first on `probes`: when f gives the same values on them as on tensors, the many calls
    of the differences run on numbers, which is much faster than on 0-d tensors.
    """

    def on_tensors(points: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            if vectorized:
                return vmap(f)(torch.tensor(points, dtype=DTYPE)).numpy().copy()
            return pointwise(lambda v: f(torch.tensor(v, dtype=DTYPE)).numpy(), points)

    def on_numbers(points: np.ndarray) -> np.ndarray:
        return pointwise(lambda v: f(v).numpy(), points)

    if vectorized or probes is None:
        return on_tensors
    try:
        same = np.allclose(
            on_numbers(probes), on_tensors(probes), rtol=1e-13, atol=0.0, equal_nan=True
        )
    except (FunctionFailed, NotAScalar, ValueError):
        same = False
    return on_numbers if same else on_tensors


def by_differences(fn: Callable[..., Any], x: np.ndarray, order: int, reason: str) -> Curves:
    """f where autograd cannot follow it: central differences, with their error estimated."""
    evaluate, reason = finite_evaluator(fn, x, reason)
    values = evaluate(x)
    domain = (float(x[0]), float(x[-1]))
    derivatives, errors = {}, {}
    for k in range(1, order + 1):
        found = stencils.derivative_with_error(evaluate, x, k, domain)
        derivatives[k], errors[k] = stencils.unsettled(*found, _scale(values, x, k))
    warnings = [_finite_difference_warning(reason, derivatives, errors)]
    warnings += _unestimated(x, values, derivatives, errors)
    jumps = find_by_differences(evaluate, x, values, derivatives[1], errors[1])
    warnings += [w for w in [discontinuity_warning(jumps)] if w]
    null_out(values, list(derivatives.values()), x, warnings, "x")

    def slope_at(points: np.ndarray) -> np.ndarray:
        return stencils.derivative_with_error(evaluate, points, 1, domain)[0]

    curves = Curves(x, values, derivatives, "finite-difference", warnings, outputs=_outputs(values))
    curves.discontinuities = jumps
    curves.critical_points = _critical(curves, slope_at, _noise_floor(x, values, errors[1]))
    if curves.outputs is None:
        bend = (derivatives[2], errors[2]) if order >= 2 else None
        curves.inflection_points = inflection.by_differences(evaluate, x, derivatives[1], bend)
    return curves


def _unestimated(
    x: np.ndarray,
    values: np.ndarray,
    derivatives: dict[int, np.ndarray],
    errors: dict[int, np.ndarray],
) -> list[PlotWarning]:
    """The points whose derivative by differences could not be computed, or whose error
    could not be estimated: named, never left out of the bound silently."""
    defined = np.isfinite(values).reshape(len(x), -1).all(axis=1)
    missing = np.zeros(len(x), dtype=bool)
    unbounded = np.zeros(len(x), dtype=bool)
    for k, d in derivatives.items():
        finite = np.isfinite(d).reshape(len(x), -1).all(axis=1)
        missing |= defined & ~finite
        unbounded |= finite & ~np.isfinite(errors[k]).reshape(len(x), -1).all(axis=1)
    said = []
    if missing.any():
        said.append(
            f"at {name_points([float(v) for v in x[missing]])} no derivative could be computed "
            "(the differences do not settle there, as where f′ is infinite; or no step fits "
            "inside the domain, as where the spacing of floats at x is too coarse for it)"
        )
    if unbounded.any():
        said.append(
            f"at {name_points([float(v) for v in x[unbounded]])} the error of the "
            "differences could not be estimated (f is not finite near there)"
        )
    return [PlotWarning(WarningKind.FINITE_DIFFERENCE, "; ".join(said))] if said else []


def _scale(values: np.ndarray, x: np.ndarray, order: int) -> float:
    """The size of a derivative of `order` of a curve of these values over the domain."""
    finite = np.abs(values[np.isfinite(values)])
    width = float(x[-1] - x[0]) or 1.0
    return float(finite.max()) / width**order if finite.size else 0.0


def _noise_floor(x: np.ndarray, values: np.ndarray, error: np.ndarray) -> float:
    """How large f′ by differences must be to count as nonzero: above its estimated error
    (with a margin) and above what rounding of f can make of it at that step."""
    estimated = float(np.nanmax(error)) if np.isfinite(error).any() else 0.0
    finite = np.abs(values[np.isfinite(values)])
    step = EPS ** (1 / 5) * max(1.0, float(np.abs(x).max()))
    rounding = 64 * EPS * float(finite.max()) / step if finite.size else 0.0
    return max(4 * estimated, rounding)


def finite_evaluator(fn: Callable[..., Any], x: np.ndarray, reason: str) -> tuple[Evaluate, str]:
    """Evaluate f on tensors (without gradients) or, when it fails on tensors but works on
    Python numbers (`np.any(r < 0)`, `math.isnan(x)`), on numbers: with why."""
    f = numeric(fn)

    def on_numbers(points: np.ndarray) -> np.ndarray:
        return pointwise(lambda v: f(v).numpy(), points)

    probes = probe_values(x)
    on_tensors = evaluator(f, vectorized=False)
    return tensors_else_numbers(on_tensors, lambda: on_numbers, lambda e: e(probes), reason)


def _finite_difference_warning(
    reason: str,
    derivatives: dict[int, np.ndarray],
    errors: dict[int, np.ndarray],
    there: bool = False,
) -> PlotWarning:
    parts = []
    for k, error in errors.items():
        finite = np.isfinite(error) & np.isfinite(derivatives[k])
        if finite.any():
            worst = float(error[finite].max())
            size = float(np.abs(derivatives[k][finite]).max())
            parts.append(f"{PRIMES[k]} to within about {worst:.1g} (its values reach {size:.3g})")
    estimate = "; ".join(parts) or "their error could not be estimated"
    return PlotWarning(
        WarningKind.FINITE_DIFFERENCE,
        f"{reason}, so the derivatives {'there ' if there else ''}are central finite "
        "differences, not exact: "
        f"estimated per point from successive step sizes, {estimate}; use torch functions "
        "on x for exact ones",
    )


def _outputs(values: np.ndarray) -> int | None:
    return int(values.shape[1]) if values.ndim == 2 else None


def _critical(
    curves: Curves,
    slope_at: Evaluate,
    floor: float,
    slope_and_bend: Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]] | None = None,
    bend: np.ndarray | None = None,
) -> list[Any]:
    """The critical points of f (of each component of a vector f); `bend`: autograd's f″
    at the samples, for closer first guesses."""
    slope = curves.derivatives[1]
    if curves.outputs is None:
        return critical_points(
            curves.x, curves.f, slope, slope_at, floor, slope_and_bend, bend=bend
        )

    def component(j: int) -> Evaluate:
        return lambda points: slope_at(points)[:, j]

    def both(j: int) -> Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]] | None:
        if slope_and_bend is None:
            return None
        return lambda points: tuple(a[:, j] for a in slope_and_bend(points))  # type: ignore[return-value]

    return [
        critical_points(
            curves.x,
            curves.f[:, j],
            slope[:, j],
            component(j),
            floor,
            both(j),
            bend=None if bend is None else bend[:, j],
        )
        for j in range(curves.outputs)
    ]
