"""A function of vector input called with its two variables (in the sandboxed child).

docs/protocol.md, "Vector input": `def rosenbrock(v)` that reads `v[0]` … `v[n-1]` is
plotted over `v[0]` and `v[1]`; `v[2]` … are held (at 0, or the request's `params`).
Each call builds the vector from the variables with `torch.stack`, so autograd follows
it to the variables and the gradient stays exact; on Python numbers (the
finite-difference path for code that fails on tensors) the vector is a list, and for the
formula's trace (`calculus.tracing`) a list of the variables' proxies and the held
values as tensors (a trace records no `torch.stack`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import attrs

from derivlens.model import FixedValue


@attrs.frozen
class Components:
    """The request's vector input: its parameter's name and how many components."""

    parameter: str
    count: int

    @classmethod
    def of(cls, variables: tuple[str, ...], count: int) -> Components:
        return cls(variables[0].partition("[")[0], count)

    def name(self, index: int) -> str:
        return f"{self.parameter}[{index}]"

    @property
    def variables(self) -> tuple[str, ...]:
        return (self.name(0), self.name(1))

    def held(self, params: Mapping[str, float]) -> dict[str, FixedValue]:
        """The held components, `v[2]` …, at 0.0 or the value `params` gives."""
        return {self.name(i): float(params.get(self.name(i), 0.0)) for i in range(2, self.count)}

    def others(self, params: Mapping[str, float]) -> dict[str, float]:
        """`params` without the held components: those of the function's own parameters."""
        mine = {self.name(i) for i in range(self.count)}
        return {k: v for k, v in params.items() if k not in mine}

    def call(self, function: Callable[..., Any], params: Mapping[str, float]) -> Callable[..., Any]:
        """`function` as a function of its two variables."""
        held = [float(v) for v in self.held(params).values() if isinstance(v, float)]

        def of_variables(first: Any, second: Any) -> Any:
            import torch

            if isinstance(first, torch.Tensor) and isinstance(second, torch.Tensor):
                pair = torch.broadcast_tensors(first, second)
                rest = [torch.full_like(pair[0], value) for value in held]
                return function(torch.stack([*pair, *rest]))
            if isinstance(first, torch.fx.Proxy):  # the formula's trace: held ones are tensors
                return function([first, second, *(torch.tensor(value) for value in held)])
            return function([first, second, *held])

        return of_variables
