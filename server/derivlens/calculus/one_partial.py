"""A gradient half by autograd: f whose autograd has no derivative for one argument
(torch's soft_margin_loss for its target: "not differentiable with respect to argument
'target'") keeps the exact partial for the other (docs/protocol.md, "Semantics": the
method is chosen per point and per partial); the caller takes the missing one by
differences and says so."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import torch
from torch.func import vmap

from derivlens.calculus.autograd import choose_autograd, nested_grads
from derivlens.calculus.common import DTYPE, POINTWISE_ERRORS, FailsEverywhere

#: (values, ∂f/∂x, ∂f/∂y, connected), the partial autograd has no derivative for NaN.
Half = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]


def one_partial(
    f: Callable[..., torch.Tensor],
    probes: Sequence[tuple[torch.Tensor, ...]],
    px: np.ndarray,
    py: np.ndarray,
) -> tuple[Half, bool, int] | None:
    """(the outcome, whether vectorized, the axis autograd cannot serve), trying autograd
    for ∂f/∂x alone, then ∂f/∂y alone; None when neither works."""
    for axis in (0, 1):
        outcome, vectorized, _ = choose_autograd(
            f,
            probes,
            lambda axis=axis: _vmapped(f, px, py, axis),  # type: ignore[misc]
            lambda axis=axis: _looped(f, px, py, axis),  # type: ignore[misc]
        )
        if outcome is not None:
            return outcome, vectorized, 1 - axis
    return None


def _inputs(a: np.ndarray, b: np.ndarray, axis: int) -> tuple[torch.Tensor, torch.Tensor]:
    ta = torch.tensor(a, dtype=DTYPE).requires_grad_(axis == 0)
    tb = torch.tensor(b, dtype=DTYPE).requires_grad_(axis == 1)
    return ta, tb


def _split(values: np.ndarray, grad: np.ndarray, axis: int, connected: np.ndarray) -> Half:
    blank = np.full_like(values, np.nan)
    return (values, grad, blank, connected) if axis == 0 else (values, blank, grad, connected)


def _vmapped(f: Callable[..., torch.Tensor], px: np.ndarray, py: np.ndarray, axis: int) -> Half:
    tx, ty = _inputs(px, py, axis)
    out = vmap(lambda a, b: f(a.clone(), b.clone()))(tx, ty)
    (grad,) = nested_grads(out, ((tx, ty)[axis],), 1)[0]
    values = out.detach().numpy(force=True).copy()
    connected = np.full(px.shape, out.requires_grad)
    return _split(values, grad.detach().numpy(force=True).copy(), axis, connected)


def _looped(f: Callable[..., torch.Tensor], px: np.ndarray, py: np.ndarray, axis: int) -> Half:
    n = len(px)
    values, grad = np.full(n, np.nan), np.full(n, np.nan)
    connected = np.ones(n, dtype=bool)
    failures: list[BaseException] = []
    for i, (u, v) in enumerate(zip(px.tolist(), py.tolist(), strict=True)):
        a, b = _inputs(np.array(u), np.array(v), axis)
        try:
            out = f(a.clone(), b.clone())
        except POINTWISE_ERRORS as error:
            failures.append(error)
            continue
        values[i], connected[i] = out.item(), out.requires_grad
        grad[i] = nested_grads(out, ((a, b)[axis],), 1)[0][0].item()
    if len(failures) == n:
        raise FailsEverywhere(failures[0])
    return _split(values, grad, axis, connected)
