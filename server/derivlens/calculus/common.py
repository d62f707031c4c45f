"""What the ways of differentiating share: sample points, scalar outputs, pointwise calls,
the failures that are the user's, and nulls for non-finite values.
"""

from __future__ import annotations

import errno
from collections.abc import Callable
from typing import Any, TypeVar

import numpy as np
import torch

from derivlens.model import PlotWarning, WarningKind
from derivlens.text import shorten

DTYPE = torch.float64
#: An evaluator of f (of one or of two variables).
E = TypeVar("E")


EPS = float(np.finfo(np.float64).eps)
#: The levels by name, as warnings write them.
PRIMES = {0: "f", 1: "f′", 2: "f″", 3: "f‴", 4: "f⁽⁴⁾"}


#: Central-difference stencils accurate to O(h⁴): order -> (offsets, weights, divisor).
STENCILS: dict[int, tuple[tuple[int, ...], tuple[float, ...], float]] = {
    1: ((-2, -1, 1, 2), (1, -8, 8, -1), 12.0),
    2: ((-2, -1, 0, 1, 2), (-1, 16, -30, 16, -1), 12.0),
    3: ((-3, -2, -1, 1, 2, 3), (1, -8, 13, -13, 8, -1), 8.0),
    4: ((-3, -2, -1, 0, 1, 2, 3), (-1, 12, -39, 56, -39, 12, -1), 6.0),
}


class FunctionFailed(Exception):
    """The user's function raised; `error` is its exception, traceback included."""

    def __init__(self, error: BaseException) -> None:
        super().__init__(str(error))
        self.error = error


class FailsEverywhere(FunctionFailed):
    """f raised at every point it was given as a tensor (numpy's `where` on a 0-d array:
    ValueError): not a function undefined at a few points, but tensor code it cannot run.
    Raised by the per-point loops; the differences then try Python numbers."""


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


#: How many values a vector-valued f may return (one variable only).
MIN_OUTPUTS, MAX_OUTPUTS = 2, 8


def probe_values(x: np.ndarray, count: int = 5) -> np.ndarray:
    """A few of the samples, spread over the domain, to try f on before the real work."""
    index = np.unique(np.linspace(0, len(x) - 1, count).round().astype(int))
    return x[index].copy()


def numeric(fn: Callable[..., Any]) -> Callable[..., torch.Tensor]:
    """`fn` returning a float64 tensor: 0-d for one number, 1-d for a vector of 2 to 8."""

    def numeric_fn(*args: Any) -> torch.Tensor:
        return to_output(fn(*args))

    return numeric_fn


def to_output(value: Any) -> torch.Tensor:
    """One number, or 2 to 8 of them (a tuple, a list or a 1-D tensor), as a tensor; one
    number in a 1-tuple, a 1-element list or a 1-element tensor is a scalar."""
    if isinstance(value, list | tuple):
        if len(value) == 1:  # a 1-tuple or 1-element list is one number
            return to_scalar(value[0])
        if not MIN_OUTPUTS <= len(value) <= MAX_OUTPUTS:
            raise NotAScalar(
                f"the function returned {len(value)} values; derivlens plots one number, or "
                f"{MIN_OUTPUTS} to {MAX_OUTPUTS} of them (a vector-valued f)"
            )
        return torch.stack([to_scalar(v) for v in value])
    if isinstance(value, torch.Tensor | np.ndarray) and value.ndim == 1 and value.shape[0] != 1:
        count = int(value.shape[0])
        if not MIN_OUTPUTS <= count <= MAX_OUTPUTS:
            raise NotAScalar(
                f"the function returned a tensor of {count} values; derivlens plots one "
                f"number, or {MIN_OUTPUTS} to {MAX_OUTPUTS} of them (a vector-valued f)"
            )
        tensor = torch.as_tensor(value)
        return tensor if tensor.dtype == DTYPE else tensor.to(DTYPE)
    return to_scalar(value)


def to_scalar(value: Any) -> torch.Tensor:
    if isinstance(value, torch.Tensor):
        if value.numel() != 1:
            raise NotAScalar(
                f"the function must return one number (or 2 to 8), but it returned a tensor "
                f"of shape {tuple(value.shape)}; return a scalar (e.g. .sum() or [0])"
            )
        value = value.reshape(())
        return value if value.dtype == DTYPE else value.to(DTYPE)
    if isinstance(value, bool | int | float | np.number) or (
        isinstance(value, np.ndarray) and value.size == 1
    ):
        return torch.tensor(float(np.asarray(value).reshape(())), dtype=DTYPE)
    raise NotAScalar(f"the function must return a number, but it returned {type(value).__name__}")


def pointwise(call: Callable[[float], Any], points: np.ndarray) -> np.ndarray:
    """`call` at every point, each given a fresh float (never a view of the samples), as
    an array of shape (points,) or (points, outputs); a point where f is undefined gives
    NaN, unless it is undefined everywhere."""
    rows: list[Any] = []
    first_error: BaseException | None = None
    for point in points.tolist():
        try:
            rows.append(np.asarray(call(point), dtype=np.float64))
        except POINTWISE_ERRORS as error:
            first_error = first_error or error
            rows.append(None)
        except Exception as error:
            reraise_if_fatal(error)
            raise FunctionFailed(error) from error
    shape = next((r.shape for r in rows if r is not None), None)
    if shape is None:
        assert first_error is not None
        raise FunctionFailed(first_error) from first_error
    return np.stack([np.full(shape, np.nan) if r is None else r for r in rows])


def tensors_else_numbers(
    on_tensors: E, on_numbers: Callable[[], E], probe: Callable[[E], object], reason: str
) -> tuple[E, str]:
    """The evaluator to use, and why finite differences are: `on_tensors` if `probe` runs
    on it; else, when f fails on tensors but works on Python numbers (`np.any(r < 0)`,
    `math.isnan(x)`), the one `on_numbers` makes. When both fail the error is the user's
    (`FunctionFailed` propagates)."""
    try:
        probe(on_tensors)
        return on_tensors, reason
    except FunctionFailed as tensor_failure:
        numbers = on_numbers()
        probe(numbers)
        return numbers, numbers_not_tensors(tensor_failure.error)


def numbers_not_tensors(error: BaseException) -> str:
    """The finite-difference reason for code that works on Python numbers, not tensors."""
    lines = str(error).splitlines()
    detail = f" ({type(error).__name__}: {shorten(lines[0], 120)})" if lines else ""
    return (
        "autograd cannot follow this function: it works on Python numbers but not on "
        f"tensors{detail}"
    )


def null_out(
    values: np.ndarray,
    derivatives: list[np.ndarray],
    coordinates: np.ndarray,
    warnings: list[PlotWarning],
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
            PlotWarning(
                WarningKind.NON_FINITE,
                f"{what} at {count} of {total} points (first at {where}); those values are "
                "left out of the plot (null)",
            )
        )


def _point_name(coordinates: np.ndarray, index: tuple[Any, ...], axis_names: str) -> str:
    if axis_names == "x":
        return f"x = {coordinates[index[0]]:.6g}"
    xs, ys = coordinates
    return f"x = {xs[index[1]]:.6g}, y = {ys[index[0]]:.6g}"


def reraise_if_fatal(error: BaseException) -> None:
    """Out-of-memory and the user's own exceptions must not be mistaken for autograd limits."""
    if isinstance(error, MemoryError) or is_allocation_failure(error):
        raise error
    if isinstance(error, FunctionFailed | NotAScalar):
        raise error


#: What allocation failures say where they are not a MemoryError: torch's allocator
#: ("DefaultCPUAllocator: can't allocate memory"), C++ (std::bad_alloc), a failed mmap
#: ("Cannot allocate memory", ENOMEM) and a thread whose stack cannot be mapped.
_ALLOCATION_WORDS = (
    "can't allocate memory",
    "cannot allocate memory",
    "not enough memory",
    "out of memory",
    "std::bad_alloc",
    "can't start new thread",
)


def is_allocation_failure(error: BaseException) -> bool:
    """Is `error` (or what it was raised from) running out of memory, in any form?"""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, MemoryError):  # numpy's _ArrayMemoryError too
            return True
        if isinstance(current, OSError) and current.errno == errno.ENOMEM:
            return True
        if isinstance(current, RuntimeError | OSError):
            text = str(current)[:500].lower()
            if any(words in text for words in _ALLOCATION_WORDS):
                return True
        current = current.__cause__
    return False
