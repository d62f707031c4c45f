"""Slider sweeps, server side: what a sweep may ask for, and its sandbox job.

A sweep evaluates one function of one variable over many values of one held parameter
in a single sandboxed job, so that the panel can draw previews while a slider is dragged
(docs/protocol.md, "Slider sweeps"). Pure Python, no torch: the child's side is
`sweep_eval`, the check of its reply `judge.finish_sweep`.
"""

from __future__ import annotations

import math

import attrs

from derivlens import engine, wire
from derivlens.errors import InvalidOptions
from derivlens.model import SweepRequest
from derivlens.sandbox.channel import Job

#: Most values one sweep evaluates.
MAX_VALUES = 128
#: Fewest values: previews interpolate between two neighbours.
MIN_VALUES = 2
#: Most samples × values (so at most MAX_NUMBERS × (order + 1) numbers come back).
MAX_NUMBERS = MAX_VALUES * 1001


def check(prepared: engine.Prepared, sweep: SweepRequest) -> None:
    """Raise `InvalidOptions` unless `sweep` can run for `prepared`: a function of one
    variable, a held parameter, finite values, within the bounds above."""
    if 2 in prepared.settled and 1 not in prepared.settled:
        raise InvalidOptions(
            "sweep: only a function of one variable can be swept; re-plot a surface instead",
            option="sweep",
        )
    count = len(sweep.values)
    if not MIN_VALUES <= count <= MAX_VALUES:
        raise InvalidOptions(
            f"sweep: give {MIN_VALUES} to {MAX_VALUES} values of {sweep.param}, got {count}",
            option="sweep",
        )
    if not all(math.isfinite(v) for v in sweep.values):
        raise InvalidOptions(
            f"sweep: the values of {sweep.param} must be finite numbers", option="sweep"
        )
    engine.check_params(prepared.function, {sweep.param: sweep.values[0]})
    settled = prepared.settled.get(1)
    samples = settled.options.samples if settled and settled.options else 0
    if samples * count > MAX_NUMBERS:
        raise InvalidOptions(
            f"sweep: {count} values × {samples} samples is more than {MAX_NUMBERS} points; "
            "use fewer values or samples",
            option="sweep",
        )


def job(prepared: engine.Prepared, sweep: SweepRequest, *, timeout: float, memory_mb: int) -> Job:
    """The sandbox job of `sweep`: the plot's job, without an image, with the sweep."""
    bare = attrs.evolve(prepared, render=None)
    plain = bare.job(timeout=timeout, memory_mb=memory_mb)
    request = attrs.evolve(bare.request, sweep=sweep)
    return attrs.evolve(plain, request=wire.unstructure(request))
