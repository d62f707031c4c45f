"""Slider sweeps, in the sandboxed child: f and its derivatives for each swept value.

The module is run once; for each value of the swept parameter the callable is found
again with that value (`targets.find`, as a plot with that `params` would) and
differentiated as a plot is (`calculus.differentiate_1d`), so each preview shows what
the plot at that value would: in full for the first value and wherever that is needed,
by vectorized autograd alone for the others when the first showed it gives the same
(`_exact`). A sweep must come back while the slider is still being
dragged: once the values done so far say the whole sweep would take longer than
`BUDGET_S` of CPU time, it stops with a `timeout` error, and the panel re-plots per
position instead (docs/protocol.md, "Slider sweeps"). CPU time, not wall-clock time: the
budget is about how much work the function asks for, whatever else runs on the machine
(the sandbox's own timeout still bounds the wall-clock time).
"""

from __future__ import annotations

import time
import warnings
from types import ModuleType
from typing import Any

import attrs
import numpy as np

from derivlens import calculus, results, targets
from derivlens.errors import DerivlensError, ErrorKind, InvalidOptions
from derivlens.model import EvaluationRequest, SweepRequest, SweepResult

#: The most CPU time a sweep may take in the child.
BUDGET_S = 2.0


def compute(request: EvaluationRequest, module: ModuleType) -> SweepResult:
    """The sweep `request.sweep` of the function in `module` (its sliced code, run)."""
    import torch

    from derivlens import runner

    sweep = request.sweep
    assert sweep is not None
    torch.set_default_dtype(torch.float64)
    started = time.process_time()
    rows: list[calculus.Curves] = []
    plan: results.Plan | None = None
    first = 0.0
    lean = False
    for done, value in enumerate(sweep.values):
        at_value = attrs.evolve(request, params={**request.params, sweep.param: value})
        target = targets.find(module, at_value)
        plan = plan or _one_variable(results.Plan.of(at_value, target), sweep)
        options = plan.options
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                curves = (lean and _exact(target.function, rows[0].x, options.order)) or (
                    calculus.differentiate_1d(
                        target.function, options.domain, options.samples, options.order
                    )
                )
        except calculus.FunctionFailed as failed:
            raise runner.user_error(failed.error, at_value, request.function) from None
        except calculus.NotAScalar as error:
            raise DerivlensError("user-error", f"{request.function}: {error}") from None
        if curves.outputs is not None:
            raise InvalidOptions(
                f"sweep: {request.function} returns {curves.outputs} values; a sweep "
                "previews a function with one output",
                option="sweep",
            )
        rows.append(curves)
        if done == 0:  # whether autograd alone gives what the full evaluation does
            lean = curves.method == "autograd" and not (curves.warnings or curves.discontinuities)
        elapsed = time.process_time() - started
        first = first or elapsed
        _within_budget(sweep, first, done + 1, elapsed)
    assert plan is not None
    return SweepResult(
        function=request.function,
        param=sweep.param,
        values=list(sweep.values),
        domain=plan.options.domain,
        order=plan.options.order,
        x=results.series(rows[0].x),
        f=[results.series(c.f) for c in rows],
        derivatives={
            str(k): [results.series(c.derivatives[k]) for c in rows]
            for k in range(1, plan.options.order + 1)
        },
    )


def _exact(function: Any, x: np.ndarray, order: int) -> calculus.Curves | None:
    """f and its derivatives by vectorized autograd alone, when the sweep's first value
    showed that to be what the full evaluation gives (autograd, no warning: no point cut
    off, no disagreement with differences, nothing patched; no jump); None where it is not so here
    (vmap fails, or f leaves the graph somewhere): then the full evaluation."""
    from derivlens.calculus.common import numeric, reraise_if_fatal
    from derivlens.calculus.curves import exact_vmap

    try:
        values, derivatives, connected = exact_vmap(numeric(function), x, order)
    except Exception as error:  # what vmap cannot trace: the full evaluation says what
        reraise_if_fatal(error)
        return None
    if not connected.all() or values.ndim != 1:
        return None
    bad = ~np.isfinite(values)
    values[bad] = np.nan
    for series in derivatives.values():
        series[bad | ~np.isfinite(series)] = np.nan
    return calculus.Curves(x, values, {k: derivatives[k] for k in range(1, order + 1)}, "autograd")


def _one_variable(plan: results.Plan, sweep: SweepRequest) -> results.Plan:
    if len(plan.variables) != 1:
        raise InvalidOptions(
            f"sweep: only a function of one variable can be swept over {sweep.param}; "
            "re-plot a surface instead",
            option="sweep",
        )
    return plan


def _within_budget(sweep: SweepRequest, first: float, done: int, elapsed: float) -> None:
    """Stop once the values so far say the whole sweep would be over `BUDGET_S`. The
    first value pays for what the child does once and for the full evaluation (the
    others may take autograd alone), so the rate is read from the values after it."""
    total = len(sweep.values)
    if done >= total:
        return
    expected = elapsed if done == 1 else first + (elapsed - first) / (done - 1) * (total - 1)
    if expected > BUDGET_S:
        raise DerivlensError(
            ErrorKind.TIMEOUT,
            f"a sweep of {sweep.param} over {total} values would take about {expected:.1f} s "
            f"({elapsed / done * 1000:.0f} ms each); slider previews re-plot per position instead",
        )
