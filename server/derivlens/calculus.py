"""Sample a function and its exact derivatives with torch autograd, vmapped.

Pure: takes a callable, returns arrays and warnings; knows nothing of files, processes
or plots. Every value is that of f at one point alone (SPEC §4), so `x - x.mean()` has
derivative 0. Three ways, tried in order:

1. a `vmap`ped forward, differentiated by torch.autograd — exact and fast, for the
   usual tensor code (vmap keeps points independent, so derivatives stay pointwise);
2. a per-point loop with torch.autograd — exact, for Python control flow on the
   variable (`if x > 0:`), which vmap cannot trace;
3. central finite differences (4th-order stencils) — for code autograd cannot follow
   (`math`, numpy, `float(x)`), with a `finite-difference` warning that says why.

Autograd results are checked against a central difference: a disconnected graph (a
silent `float(x)` or `.detach()`) switches to method 3, and a mismatch (kink, jump,
wrong custom backward) becomes a `disagreement` warning naming the x.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import torch
from torch.func import vmap
from torch.overrides import TorchFunctionMode, resolve_name

Method = Literal["autograd", "finite-difference"]
DTYPE = torch.float64
EPS = float(np.finfo(np.float64).eps)
#: Central-difference stencils accurate to O(h⁴): order -> (offsets, weights, divisor).
STENCILS: dict[int, tuple[tuple[int, ...], tuple[float, ...], float]] = {
    1: ((-2, -1, 1, 2), (1, -8, 8, -1), 12.0),
    2: ((-2, -1, 0, 1, 2), (-1, 16, -30, 16, -1), 12.0),
    3: ((-3, -2, -1, 1, 2, 3), (1, -8, 13, -13, 8, -1), 8.0),
    4: ((-3, -2, -1, 0, 1, 2, 3), (-1, 12, -39, 56, -39, 12, -1), 6.0),
}
SUPERSCRIPTS = {1: "′", 2: "″", 3: "‴", 4: "⁽⁴⁾"}


@dataclass(frozen=True)
class Warning:
    kind: str
    message: str


@dataclass
class Curves:
    """f of one variable and its derivatives at evenly spaced samples (NaN = null)."""

    x: np.ndarray
    f: np.ndarray
    derivatives: dict[int, np.ndarray]
    method: Method
    warnings: list[Warning] = field(default_factory=list)
    critical_points: list[float] = field(default_factory=list)


@dataclass
class Surface:
    """f of two variables on a grid (rows follow y) with its gradient (NaN = null)."""

    x: np.ndarray
    y: np.ndarray
    f: np.ndarray
    gradient_x: np.ndarray
    gradient_y: np.ndarray
    method: Method
    warnings: list[Warning] = field(default_factory=list)
    critical_points: list[tuple[float, float]] = field(default_factory=list)


class FunctionFailed(Exception):
    """The user's function raised; `error` is its exception, traceback included."""

    def __init__(self, error: BaseException) -> None:
        super().__init__(str(error))
        self.error = error


class NotAScalar(TypeError):
    """The user's function returned something that is not one number."""


#: Exceptions that mean "f is undefined at this point" (math domain errors, 1/0), which
#: become null values there instead of failing the whole plot.
POINTWISE_ERRORS = (ArithmeticError, ValueError)


def sample_points(domain: tuple[float, float], samples: int) -> np.ndarray:
    """`samples` evenly spaced points from one end of `domain` to the other, both included.

    Computed as lo + (hi - lo)·i/(n-1), so a symmetric domain has an exact 0 in the
    middle (linspace's -4e-17 would put a kink like |x| on the wrong side).
    """
    lo, hi = domain
    points = lo + (hi - lo) * (np.arange(samples, dtype=np.float64) / (samples - 1))
    points[-1] = hi
    return points


def derivative_label(order: int, name: str = "f") -> str:
    return f"{name}{SUPERSCRIPTS[order]}"


# --- one variable ---------------------------------------------------------------------


def differentiate_1d(
    fn: Callable[..., Any], domain: tuple[float, float], samples: int, order: int
) -> Curves:
    """f and its derivatives of orders 1..`order` at `samples` points spanning `domain`."""
    xs = torch.from_numpy(sample_points(domain, samples))
    scalar_fn = _scalar(fn)
    outcome, vectorized, reason = _autograd(
        scalar_fn,
        [(p,) for p in _probe_points(xs)],
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
        reason = _disconnection(connected, values, estimate)
    warnings: list[Warning] = []
    if reason is not None:
        values = _evaluate(scalar_fn, xs, vectorized=False)
        derivatives = {k: _finite_difference(scalar_fn, x, k) for k in range(1, order + 1)}
        warnings.append(
            Warning(
                "finite-difference",
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
    _null_out(values, list(derivatives.values()), x, warnings, "x")
    curves = Curves(x=x, f=values, derivatives=derivatives, method=method, warnings=warnings)
    curves.critical_points = critical_points_1d(x, derivatives[1])
    return curves


def _autograd(
    fn: Callable[..., torch.Tensor],
    probes: Sequence[tuple[torch.Tensor, ...]],
    vectorized: Callable[[], Any],
    pointwise: Callable[[], Any],
) -> tuple[Any, bool, str | None]:
    """(outcome, whether it was vectorized, why autograd cannot be used — or None).

    The vectorized way first, the per-point loop when vmap cannot trace the function,
    and no autograd at all when the function leaves the graph (then `outcome` is None).
    """
    reason = find_conversion(fn, probes)
    if reason is not None:
        return None, False, reason
    try:
        return vectorized(), True, None
    except Exception as error:
        _reraise_if_fatal(error)
    try:
        return pointwise(), False, None
    except Exception as error:
        _reraise_if_fatal(error)
        return None, False, _why_autograd_failed(error)


#: Tensor methods through which a value leaves autograd's graph, and how to say so.
CONVERSIONS = {
    "torch.Tensor.__float__": "it converts the tensor to a Python float (math functions do this)",
    "torch.Tensor.__int__": "it converts the tensor to an int",
    "torch.Tensor.__index__": "it converts the tensor to an int",
    "torch.Tensor.__complex__": "it converts the tensor to a complex",
    "torch.Tensor.item": "it calls .item()",
    "torch.Tensor.tolist": "it calls .tolist()",
    "torch.Tensor.__array__": "it passes the tensor to numpy",
    "torch.Tensor.numpy": "it passes the tensor to numpy",
    "torch.Tensor.detach": "it calls .detach()",
    "torch.Tensor.detach_": "it calls .detach_()",
    "torch.Tensor.data.__get__": "it uses .data",
}


class _ConversionSpy(TorchFunctionMode):
    """Notes every call that takes a value out of the graph (float(x), .item(), numpy...)."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def __torch_function__(self, func, types, args=(), kwargs=None):
        if args and isinstance(args[0], torch.Tensor) and args[0].requires_grad:
            name = resolve_name(func) or ""
            if name in CONVERSIONS and CONVERSIONS[name] not in self.found:
                self.found.append(CONVERSIONS[name])
        return func(*args, **(kwargs or {}))


def find_conversion(
    fn: Callable[..., torch.Tensor], probes: Sequence[tuple[torch.Tensor, ...]]
) -> str | None:
    """Why autograd cannot follow `fn`, from running it at a few points under a spy.

    Some conversions raise (numpy on a tensor that requires grad), others silently cut
    the graph (`math.sin(x) * x` has a wrong autograd derivative and no error): torch's
    function-override mode sees both.
    """
    spy = _ConversionSpy()
    for point in probes:
        args = [p.clone().requires_grad_(True) for p in point]
        try:
            with spy:
                fn(*args)
        except Exception as error:
            _reraise_if_fatal(error)
    if not spy.found:
        return None
    return "autograd cannot follow this function: " + " and ".join(spy.found)


def _probe_points(points: torch.Tensor, count: int = 5) -> list[torch.Tensor]:
    index = np.unique(np.linspace(0, len(points) - 1, count).round().astype(int))
    return [points[int(i)] for i in index]


def _scalar(fn: Callable[..., Any]) -> Callable[..., torch.Tensor]:
    """`fn` returning a 0-d float64 tensor whatever number-like thing it returns."""

    def scalar_fn(*args: torch.Tensor) -> torch.Tensor:
        return to_scalar(fn(*args))

    return scalar_fn


def to_scalar(value: Any) -> torch.Tensor:
    if isinstance(value, torch.Tensor):
        if value.numel() != 1:
            raise NotAScalar(
                f"the function must return one number, but it returned a tensor of shape "
                f"{tuple(value.shape)}; return a scalar (e.g. .sum() or [0])"
            )
        value = value.reshape(())
        return value if value.dtype == DTYPE else value.to(DTYPE)
    if isinstance(value, bool | int | float | np.number) or (
        isinstance(value, np.ndarray) and value.size == 1
    ):
        return torch.tensor(float(np.asarray(value).reshape(())), dtype=DTYPE)
    raise NotAScalar(f"the function must return a number, but it returned {type(value).__name__}")


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
    nested = _nested_grads(out, (traced,), order)
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
        for k, derivative in enumerate(_nested_grads(out, (point,), order), start=1):
            derivatives[k][i] = derivative[0].item()
    return values, derivatives, connected


def _nested_grads(
    out: torch.Tensor, inputs: tuple[torch.Tensor, ...], order: int
) -> list[list[torch.Tensor]]:
    """[d¹out, ..., dᵏout] with respect to each input, pointwise (a graph-free result is 0).

    `out` is f at one point, or at many points evaluated independently (under vmap), where
    differentiating the sum gives every point's own derivative.
    """
    found = []
    current = [out]
    for k in range(1, order + 1):
        target = current[0]
        if target.requires_grad:
            grads = torch.autograd.grad(
                target.sum(), inputs, create_graph=k < order, allow_unused=True
            )
            current = [
                torch.zeros_like(x) if g is None else g for g, x in zip(grads, inputs, strict=True)
            ]
        else:
            current = [torch.zeros_like(x) for x in inputs]
        found.append(current)
    return found


def _evaluate(
    fn: Callable[..., torch.Tensor], points: torch.Tensor, vectorized: bool
) -> np.ndarray:
    """f at `points` without gradients (NaN where f is undefined)."""
    with torch.no_grad():
        if vectorized:
            return vmap(fn)(points).numpy().copy()
        return _pointwise(lambda p: fn(p).item(), list(points))


def _pointwise(call: Callable[[Any], float], points: Sequence[Any]) -> np.ndarray:
    """`call` at every point; a point where f is undefined gives NaN unless all are."""
    out = np.full(len(points), np.nan)
    first_error: BaseException | None = None
    for i, point in enumerate(points):
        try:
            out[i] = call(point)
        except POINTWISE_ERRORS as error:
            first_error = first_error or error
        except Exception as error:
            _reraise_if_fatal(error)
            raise FunctionFailed(error) from error
    if first_error is not None and np.isnan(out).all():
        raise FunctionFailed(first_error) from first_error
    return out


def _finite_difference(fn: Callable[..., torch.Tensor], x: np.ndarray, order: int) -> np.ndarray:
    offsets, weights, divisor = STENCILS[order]
    step = EPS ** (1.0 / (order + 4)) * np.maximum(1.0, np.abs(x))
    total = np.zeros_like(x)
    for offset, weight in zip(offsets, weights, strict=True):
        at = torch.from_numpy(x + offset * step)
        total += weight * _pointwise(lambda p: fn(p).item(), list(at))
    return total / (divisor * step**order)


def _disconnection(connected: np.ndarray, values: np.ndarray, estimate: np.ndarray) -> str | None:
    """Why autograd's answer cannot be trusted: f changes where its graph is cut off."""
    cut = ~connected & np.isfinite(estimate) & (np.abs(estimate) > 1e-7 * (1 + np.abs(values)))
    if cut.any():
        return (
            "autograd cannot follow this function: its result does not depend on the "
            "variable through torch operations (it converts the tensor to a Python number, "
            "e.g. with float(), .item(), math or numpy, or detaches it)"
        )
    return None


def _why_autograd_failed(error: BaseException) -> str:
    if isinstance(error, NotAScalar):
        raise FunctionFailed(error) from error
    text = str(error).split("\n", 1)[0]
    if "numpy" in text.lower():
        return "autograd cannot follow this function: it passes the tensor to numpy"
    if "Expected f(*args) to return a Tensor" in text:
        return (
            "autograd cannot follow this function: it returns a plain Python number "
            "(it uses math, or converts the tensor with float())"
        )
    return f"autograd cannot follow this function ({type(error).__name__}: {text[:160]})"


def _disagreement_1d(
    x: np.ndarray,
    values: np.ndarray,
    autograd: np.ndarray,
    estimate: np.ndarray,
    plus: np.ndarray,
    minus: np.ndarray,
) -> Warning | None:
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
    return Warning(
        "disagreement",
        f"autograd and a central difference disagree {at}: {detail}. f may have a kink or "
        "a jump there, or a custom backward may be wrong; the values shown are autograd's",
    )


def _null_out(
    values: np.ndarray,
    derivatives: list[np.ndarray],
    coordinates: np.ndarray,
    warnings: list[Warning],
    axis_names: str,
) -> None:
    """NaN for every non-finite value, all derivatives NaN where f is, and one warning."""
    bad_f = ~np.isfinite(values)
    values[bad_f] = np.nan
    affected = bad_f.copy()
    for series in derivatives:
        series[bad_f | ~np.isfinite(series)] = np.nan
        affected |= np.isnan(series)
    count = int(affected.sum())
    if count:
        total = affected.size
        first = np.unravel_index(int(np.flatnonzero(affected.ravel())[0]), affected.shape)
        where = _point_name(coordinates, first, axis_names)
        what = "f is not finite" if bad_f.any() else "a derivative is not finite"
        warnings.append(
            Warning(
                "non-finite",
                f"{what} at {count} of {total} points (first at {where}); those values are "
                "left out of the plot (null)",
            )
        )


def _point_name(coordinates: np.ndarray, index: tuple[Any, ...], axis_names: str) -> str:
    if axis_names == "x":
        return f"x = {coordinates[index[0]]:.6g}"
    xs, ys = coordinates
    return f"x = {xs[index[1]]:.6g}, y = {ys[index[0]]:.6g}"


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


# --- two variables ----------------------------------------------------------------------


def differentiate_2d(
    fn: Callable[..., Any],
    domain: tuple[float, float],
    ydomain: tuple[float, float],
    samples: int,
) -> Surface:
    """f and its gradient on a `samples`×`samples` grid over `domain` × `ydomain`."""
    xs = torch.from_numpy(sample_points(domain, samples))
    ys = torch.from_numpy(sample_points(ydomain, samples))
    grid_y, grid_x = torch.meshgrid(ys, xs, indexing="ij")
    px, py = grid_x.reshape(-1), grid_y.reshape(-1)
    scalar_fn = _scalar(fn)
    outcome, vectorized, reason = _autograd(
        scalar_fn,
        list(zip(_probe_points(px), _probe_points(py), strict=True)),
        lambda: _gradient_vmap(scalar_fn, px, py),
        lambda: _gradient_loop(scalar_fn, px, py),
    )
    if outcome is not None:
        values, gx, gy, connected = outcome

    hx = np.cbrt(EPS) * np.maximum(1.0, np.abs(px.numpy()))
    hy = np.cbrt(EPS) * np.maximum(1.0, np.abs(py.numpy()))
    if reason is None:
        estimate_x = _central_2d(scalar_fn, px, py, hx, 0, vectorized)
        estimate_y = _central_2d(scalar_fn, px, py, hy, 1, vectorized)
        reason = _disconnection(connected, values, np.hypot(estimate_x, estimate_y))
    warnings: list[Warning] = []
    if reason is not None:
        values = _pointwise(lambda p: scalar_fn(*p).item(), list(zip(px, py, strict=True)))
        gx = _finite_difference_2d(scalar_fn, px.numpy(), py.numpy(), 0)
        gy = _finite_difference_2d(scalar_fn, px.numpy(), py.numpy(), 1)
        warnings.append(
            Warning(
                "finite-difference",
                f"{reason}, so the gradient is central finite differences (about 10 correct "
                "digits, not exact); use torch functions on x and y for exact ones",
            )
        )
        method: Method = "finite-difference"
    else:
        method = "autograd"
        mismatch = _disagreement_2d(px.numpy(), py.numpy(), gx, gy, estimate_x, estimate_y)
        if mismatch:
            warnings.append(mismatch)
    shape = grid_x.shape
    f, gx, gy = values.reshape(shape), gx.reshape(shape), gy.reshape(shape)
    _null_out(f, [gx, gy], np.array([xs.numpy(), ys.numpy()]), warnings, "xy")
    surface = Surface(
        x=xs.numpy(),
        y=ys.numpy(),
        f=f,
        gradient_x=gx,
        gradient_y=gy,
        method=method,
        warnings=warnings,
    )
    surface.critical_points = critical_points_2d(surface)
    return surface


def _gradient_vmap(
    fn: Callable[..., torch.Tensor], px: torch.Tensor, py: torch.Tensor
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Every grid point at once, as `_autograd_vmap` does for curves."""
    tx, ty = px.clone().requires_grad_(True), py.clone().requires_grad_(True)
    out = vmap(fn)(tx, ty)
    connected = np.full(px.shape, out.requires_grad)
    gx, gy = _nested_grads(out, (tx, ty), 1)[0]
    return (
        out.detach().numpy().copy(),
        gx.detach().numpy().copy(),
        gy.detach().numpy().copy(),
        connected,
    )


def _gradient_loop(
    fn: Callable[..., torch.Tensor], px: torch.Tensor, py: torch.Tensor
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    n = len(px)
    values, gx, gy = np.full(n, np.nan), np.full(n, np.nan), np.full(n, np.nan)
    connected = np.ones(n, dtype=bool)
    for i in range(n):
        a, b = px[i].clone().requires_grad_(True), py[i].clone().requires_grad_(True)
        try:
            out = fn(a, b)
        except POINTWISE_ERRORS:
            continue
        values[i] = out.item()
        connected[i] = out.requires_grad
        da, db = _nested_grads(out, (a, b), 1)[0]
        gx[i], gy[i] = da.item(), db.item()
    return values, gx, gy, connected


def _central_2d(
    fn: Callable[..., torch.Tensor],
    px: torch.Tensor,
    py: torch.Tensor,
    step: np.ndarray,
    axis: int,
    vectorized: bool,
) -> np.ndarray:
    shift = torch.from_numpy(step)
    sides = []
    for sign in (1, -1):
        a = px + sign * shift if axis == 0 else px
        b = py + sign * shift if axis == 1 else py
        with torch.no_grad():
            if vectorized:
                sides.append(vmap(fn)(a, b).numpy().copy())
            else:
                pairs = list(zip(a, b, strict=True))
                sides.append(_pointwise(lambda p: fn(*p).item(), pairs))
    return (sides[0] - sides[1]) / (2 * step)


def _finite_difference_2d(
    fn: Callable[..., torch.Tensor], px: np.ndarray, py: np.ndarray, axis: int
) -> np.ndarray:
    offsets, weights, divisor = STENCILS[1]
    along = px if axis == 0 else py
    step = EPS ** (1.0 / 5) * np.maximum(1.0, np.abs(along))
    total = np.zeros_like(px)
    for offset, weight in zip(offsets, weights, strict=True):
        a = px + offset * step if axis == 0 else px
        b = py + offset * step if axis == 1 else py
        pairs = list(zip(torch.from_numpy(a), torch.from_numpy(b), strict=True))
        total += weight * _pointwise(lambda p: fn(*p).item(), pairs)
    return total / (divisor * step)


def _disagreement_2d(
    px: np.ndarray,
    py: np.ndarray,
    gx: np.ndarray,
    gy: np.ndarray,
    estimate_x: np.ndarray,
    estimate_y: np.ndarray,
) -> Warning | None:
    differs = np.zeros(px.shape, dtype=bool)
    for exact, estimate in ((gx, estimate_x), (gy, estimate_y)):
        usable = np.isfinite(exact) & np.isfinite(estimate)
        scale = 1 + np.maximum(np.abs(exact), np.abs(estimate))
        differs |= usable & (np.abs(exact - estimate) > 1e-5 * scale)
    if not differs.any():
        return None
    where = np.flatnonzero(differs)
    first = where[0]
    return Warning(
        "disagreement",
        f"autograd and a central difference disagree at {len(where)} grid point"
        f"{'s' if len(where) > 1 else ''} (first at x = {px[first]:.6g}, y = {py[first]:.6g}: "
        f"∂f/∂x = {gx[first]:.6g} by autograd, {estimate_x[first]:.6g} by differences). "
        "f may have a kink or a jump there, or a custom backward may be wrong; the values "
        "shown are autograd's",
    )


def critical_points_2d(surface: Surface, max_cells: int = 16) -> list[tuple[float, float]]:
    """Centres of the grid regions where both partials change sign (minima, maxima, saddles)."""
    gx, gy = surface.gradient_x, surface.gradient_y

    def corners(a: np.ndarray) -> np.ndarray:
        return np.stack([a[:-1, :-1], a[1:, :-1], a[:-1, 1:], a[1:, 1:]])

    cx, cy = corners(gx), corners(gy)
    finite = np.isfinite(cx).all(0) & np.isfinite(cy).all(0)
    with np.errstate(invalid="ignore"):
        crosses = (
            finite
            & (cx.min(0) <= 0)
            & (cx.max(0) >= 0)
            & (cx.max(0) > cx.min(0))
            & (cy.min(0) <= 0)
            & (cy.max(0) >= 0)
            & (cy.max(0) > cy.min(0))
        )
    found: list[tuple[float, float]] = []
    unvisited = {(int(i), int(j)) for i, j in zip(*np.nonzero(crosses), strict=True)}
    while unvisited:
        group, stack = [], [unvisited.pop()]
        while stack:
            i, j = stack.pop()
            group.append((i, j))
            for near in ((i + 1, j), (i - 1, j), (i, j + 1), (i, j - 1)):
                if near in unvisited:
                    unvisited.remove(near)
                    stack.append(near)
        if len(group) > max_cells:  # a flat region, not a point
            continue
        x = np.mean([(surface.x[j] + surface.x[j + 1]) / 2 for _, j in group])
        y = np.mean([(surface.y[i] + surface.y[i + 1]) / 2 for i, _ in group])
        found.append((float(x), float(y)))
    return sorted(found)


def _reraise_if_fatal(error: BaseException) -> None:
    """Out-of-memory and the user's own exceptions must not be mistaken for autograd limits."""
    if isinstance(error, MemoryError) or is_allocation_failure(error):
        raise error
    if isinstance(error, FunctionFailed | NotAScalar):
        raise error


def is_allocation_failure(error: BaseException) -> bool:
    text = str(error)
    return isinstance(error, MemoryError) or (
        isinstance(error, RuntimeError)
        and ("can't allocate memory" in text or "not enough memory" in text)
    )
