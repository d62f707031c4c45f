"""Whether and how autograd can follow a function: vmapped, per point, or not at all."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch
from torch.overrides import TorchFunctionMode, resolve_name

from derivlens.calculus.common import (
    PRIMES,
    FailsEverywhere,
    FunctionFailed,
    NotAScalar,
    reraise_if_fatal,
)
from derivlens.calculus.differences import RATIO, Central
from derivlens.text import shorten


def choose_autograd(
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
        reraise_if_fatal(error)
    try:
        return pointwise(), False, None
    except FailsEverywhere as failure:  # on tensors; Python numbers may serve (differences)
        return None, False, _why_autograd_failed(failure.error)
    except Exception as error:
        reraise_if_fatal(error)
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
        leaves = [p.clone().requires_grad_(True) for p in point]
        try:
            with spy:
                fn(*[leaf.clone() for leaf in leaves])  # a copy: in-place ops are fine
        except Exception as error:
            reraise_if_fatal(error)
    if not spy.found:
        return None
    return "autograd cannot follow this function: " + " and ".join(spy.found)


def nested_grads(
    out: torch.Tensor,
    inputs: tuple[torch.Tensor, ...],
    order: int,
    free: set[int] | None = None,
) -> list[list[torch.Tensor]]:
    """[d¹out, ..., dᵏout] with respect to each input, pointwise (a graph-free result is 0).

    `out` is f at one point, or at many points evaluated independently (under vmap), where
    differentiating the sum gives every point's own derivative. A vector-valued f (one
    more dimension than its input) is differentiated component by component.

    `free` collects the levels k ≥ 2 given as 0 because level k − 1 had no graph. That
    0 is right where level k − 1 is constant (ReLU′), wrong where autograd merely stops
    (a custom backward that detaches or is once_differentiable): `check_free_levels`
    tells them apart.
    """
    if out.dim() == inputs[0].dim() + 1:
        parts = [nested_grads(out[..., j], inputs, order, free) for j in range(out.shape[-1])]
        return [
            [torch.stack([part[k][i] for part in parts], dim=-1) for i in range(len(inputs))]
            for k in range(order)
        ]
    found = []
    current = [out]
    for k in range(1, order + 1):
        target = current[0]
        if target.requires_grad:
            grads = torch.autograd.grad(
                target.sum(), inputs, create_graph=k < order, retain_graph=True, allow_unused=True
            )
            current = [
                torch.zeros_like(x) if g is None else g for g, x in zip(grads, inputs, strict=True)
            ]
        else:
            current = [torch.zeros_like(x) for x in inputs]
            if free is not None and k >= 2:
                free.add(k)
        found.append(current)
    return found


class DerivativeCutOff(Exception):
    """Autograd gives 0 for a level whose level below still changes: it stopped there."""

    def __init__(self, level: int) -> None:
        super().__init__(
            f"it cannot differentiate {PRIMES[level - 1]} (the function's backward leaves "
            "the graph, as a custom autograd.Function whose backward detaches its tensors or is "
            "once_differentiable does)"
        )
        self.level = level


FLOAT32_EPS = float(np.finfo(np.float32).eps)

#: Fewest neighbouring pairs that changing levels must show before a verdict: the few
#: points of a refinement may straddle one step of a piecewise constant derivative.
FEWEST_PAIRS = 4


def check_free_levels(
    x: np.ndarray, derivatives: dict[int, np.ndarray], free: dict[int, np.ndarray]
) -> None:
    """Raise `DerivativeCutOff` at the lowest level given as 0 (`free[k]`: at which
    points) where the level below changes between most neighbouring free points.

    A piecewise constant level below (ReLU′, a step) changes at its steps only; one that
    autograd merely stopped following changes almost everywhere.
    """
    order = np.argsort(x, kind="stable")
    for k in sorted(free):
        if changes_almost_everywhere(derivatives[k - 1][order], free[k][order]):
            raise DerivativeCutOff(k)


def changes_almost_everywhere(level: np.ndarray, at: np.ndarray | None = None) -> bool:
    """Whether `level` (at sorted points) changes between most neighbouring pairs of the
    points `at` (all if None), beyond float32's rounding (f may compute in float32
    inside): no piecewise constant level, which changes at its steps only."""
    below = level.reshape(len(level), -1)
    both = np.ones(len(level) - 1, dtype=bool) if at is None else at[:-1] & at[1:]
    if int(both.sum()) < FEWEST_PAIRS:
        return False
    with np.errstate(invalid="ignore"):
        size = np.maximum(np.abs(below[:-1]), np.abs(below[1:]))
        changed = (np.abs(np.diff(below, axis=0)) > 16 * FLOAT32_EPS * size).any(axis=1)
    return 2 * int((changed & both).sum()) > int(both.sum())


#: Why autograd cannot be trusted where f's graph is cut off and f still changes.
CUT_OFF = (
    "autograd cannot follow this function: its result does not depend on the variable "
    "through torch operations (it converts the tensor to a Python number, e.g. with "
    "float(), .item(), math or numpy, copies it with torch.tensor(x), or detaches it)"
)


def cut_off(connected: np.ndarray, values: np.ndarray, central: Central) -> np.ndarray:
    """The points where autograd's answer cannot be trusted: f's graph is cut off there
    (autograd says f′ = 0), yet f changes, at a slope the central differences agree on at
    two steps.

    A branch returning a constant (`if x <= 0: return 0`) is no such cut where its slope
    is 0; at the point where it meets the other branch the differences see a slope, and
    only that point is cut off (docs/protocol.md, "Semantics": the method is per point).
    """
    n = len(connected)
    if connected.all():
        return np.zeros(n, dtype=bool)
    d1, _ = central.at(0)
    d2, noise = central.at(1)
    d1, d2, noise = d1.reshape(n, -1), d2.reshape(n, -1), noise.reshape(n, -1)
    scale = 1e-12 * (1 + np.abs(values.reshape(n, -1)))
    with np.errstate(invalid="ignore"):
        settled = np.abs(d2) > RATIO * np.abs(d1 - d2) + noise + scale
    return ~connected & (
        (np.isfinite(d2) & settled).any(axis=1) | _moves(values, connected, central)
    )


def _moves(values: np.ndarray, connected: np.ndarray, central: Central) -> np.ndarray:
    """The cut-off samples next to another cut-off one with another value of f, beyond
    rounding: autograd says f′ = 0 over a stretch where f changes. The differences may
    not settle there (a slow change in float32), but that f′ cannot be right."""
    flat = values.reshape(len(values), -1)
    with np.errstate(invalid="ignore"):
        size = np.maximum(np.abs(flat[:-1]), np.abs(flat[1:]))
        changed = (np.abs(np.diff(flat, axis=0)) > 16 * central.eps * size).any(axis=1)
    moves = changed & ~connected[:-1] & ~connected[1:]
    near = np.zeros(len(values), dtype=bool)
    near[:-1] |= moves
    near[1:] |= moves
    return near


def disconnection(cut: np.ndarray) -> str | None:
    """Why autograd cannot serve the curve at all: it is cut off at most points (a
    conversion, not a few constant branches)."""
    return CUT_OFF if 2 * int(cut.sum()) > len(cut) else None


def _why_autograd_failed(error: BaseException) -> str:
    if isinstance(error, NotAScalar):
        raise FunctionFailed(error) from error
    text = str(error).split("\n", 1)[0]
    if isinstance(error, DerivativeCutOff):
        return f"autograd cannot follow this function: {text}"
    if "numpy" in text.lower():
        return "autograd cannot follow this function: it passes the tensor to numpy"
    if "Expected f(*args) to return a Tensor" in text:
        return (
            "autograd cannot follow this function: it returns a plain Python number "
            "(it uses math, or converts the tensor with float())"
        )
    return f"autograd cannot follow this function ({type(error).__name__}: {shorten(text, 160)})"
