"""The `derivlens.sweep` command: one sandbox job for a slider's previews.

Its argument is `derivlens.plot`'s (uri, position, params, domain, order, samples)
with `sweep: {"param": NAME, "values": [...]}`; it answers a `model.SweepResult`,
arrays without an image (docs/protocol.md, "Slider sweeps"). Read, checked (`sweeps`)
and judged (`judge.finish_sweep`) here, so that the server's handler is one line.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from derivlens import judge, sweeps, wire
from derivlens.errors import DerivlensError, ErrorKind, InvalidOptions
from derivlens.lsp.protocol_hooks import PlotArguments, setting_hint, structure_plot_arguments
from derivlens.model import Render, SweepRequest, SweepResult

if TYPE_CHECKING:
    from derivlens.lsp.server import DerivlensServer

SWEEP_COMMAND = "derivlens.sweep"
SWEEP_USAGE = (
    'derivlens.sweep takes one argument, {"uri", "position", "sweep": {"param": NAME, '
    '"values": [numbers]}, ...}, like derivlens.plot\'s'
)


def read_arguments(value: Any) -> tuple[PlotArguments, SweepRequest]:
    """The plot's arguments and the sweep; anything wrong is `invalid-options`."""
    if not isinstance(value, dict) or not isinstance(value.get("sweep"), dict):
        raise InvalidOptions(SWEEP_USAGE, option="sweep")
    raw = value["sweep"]
    values = raw.get("values")
    if isinstance(values, list) and all(
        type(v) in (int, float) for v in values
    ):  # JSON has one kind of number: 2 is 2.0
        raw = {**raw, "values": [float(v) for v in values]}
    try:
        sweep = wire.structure(raw, SweepRequest)
    except wire.Malformed as problem:
        raise InvalidOptions(f"derivlens.sweep: {problem}", option="sweep") from None
    plot = structure_plot_arguments({k: v for k, v in value.items() if k != "sweep"})
    return plot, sweep


async def run(ls: DerivlensServer, value: Any) -> SweepResult:
    """The checked sweep the command's argument `value` asks for."""
    arguments, sweep = read_arguments(value)
    await ls.await_configuration()
    command = arguments.command
    source = ls.documents.source(command.uri)
    line = source.text_line(command.position.line)
    function = source.module.require_at(line, command.position.character)
    prepared = ls.prepare(source, function, Render(), arguments)
    sweeps.check(prepared, sweep)
    await ls.ensure_worker()
    settings = ls.settings
    job = sweeps.job(prepared, sweep, timeout=settings.timeout_s, memory_mb=settings.memory_mb)
    started = time.perf_counter()
    try:
        with ls.formulas.interactive():
            outcome = await ls.sandbox.run(job)
        elapsed = (time.perf_counter() - started) * 1000
        return judge.finish_sweep(prepared, sweep, outcome, elapsed)
    except DerivlensError as error:
        if error.kind is not ErrorKind.MEMORY:  # a sweep's own time budget is no setting
            raise
        raise setting_hint(error, hover=False, memory_mb=settings.memory_mb) from None
