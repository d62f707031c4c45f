"""Shared test helpers: run the whole pipeline in-process (locate, slice, runner)."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import numpy as np

from derivlens import engine, runner
from derivlens.errors import DerivlensError
from derivlens.options import PlotOptions


def evaluate_source(
    tmp_path: Path,
    source: str,
    name: str | None = None,
    *,
    line: int | None = None,
    render: engine.Render | None = None,
    **options: Any,
) -> dict[str, Any]:
    """Plot `name` from `source` the way the CLI does, but in this process (no sandbox)."""
    path = tmp_path / "user_module.py"
    text = textwrap.dedent(source)
    path.write_text(text)
    for key in ("domain", "ydomain"):
        if key in options:
            options[key] = tuple(options[key])
    prepared = engine.prepare(
        text, str(path), name=name, line=line, requested=PlotOptions(**options), render=render
    )
    reply = runner.run_request(prepared.request)
    if "error" in reply:
        raise DerivlensError.from_json(reply["error"])
    return engine.finish(prepared, reply["result"], 0.0)


def array(values: list[Any]) -> np.ndarray:
    """A JSON series (nulls included) as a float array with NaN for null."""
    return np.array([np.nan if v is None else v for v in values], dtype=float)


def warning_kinds(result: dict[str, Any]) -> list[str]:
    return [w["kind"] for w in result["warnings"]]
