"""Sample a function and its exact derivatives with torch autograd, vmapped.

Pure: takes a callable, returns arrays and warnings; knows nothing of files, processes
or plots. Every value is that of f at one point alone (docs/protocol.md, "Semantics"),
so `x - x.mean()` has derivative 0. Three ways, tried in order:

1. a `vmap`ped forward, differentiated by torch.autograd — exact and fast, for the
   usual tensor code (vmap keeps points independent, so derivatives stay pointwise);
2. a per-point loop with torch.autograd — exact, for Python control flow on the
   variable (`if x > 0:`), which vmap cannot trace;
3. finite differences (`stencils`: inside the domain, an adaptive step, an error bound
   per point) — for code autograd cannot follow (`math`, numpy, `float(x)`), with a
   `finite-difference` warning that says why; only at the points autograd cannot serve
   when those are few (a constant branch at `t == 0`).

Jumps of f, f′ and f″ between the samples are found by `discontinuities`; autograd's f′
is also checked against central differences at the samples (`differences`): a mismatch
(a wrong custom backward) becomes a `disagreement` warning naming the x.
"""

from __future__ import annotations

from derivlens.calculus.autograd import find_conversion
from derivlens.calculus.common import (
    FunctionFailed,
    NotAScalar,
    is_allocation_failure,
    sample_points,
)
from derivlens.calculus.curves import Curves, differentiate_1d
from derivlens.calculus.surface import Surface, critical_points_2d, differentiate_2d

__all__ = [
    "Curves",
    "FunctionFailed",
    "NotAScalar",
    "Surface",
    "critical_points_2d",
    "differentiate_1d",
    "differentiate_2d",
    "find_conversion",
    "is_allocation_failure",
    "sample_points",
]
