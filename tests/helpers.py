"""Shared test helpers: run the whole pipeline in-process (locate, slice, runner), or a
function in a forked child."""

from __future__ import annotations

import os
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from derivlens import engine, judge, runner, wire
from derivlens.model import Render
from derivlens.options import Source, read_all
from derivlens.sandbox import Replied


def evaluate_source(
    tmp_path: Path,
    source: str,
    name: str | None = None,
    *,
    line: int | None = None,
    render: Render | None = None,
    params: dict[str, float] | None = None,
    **options: Any,
) -> dict[str, Any]:
    """Plot `name` from `source` as the CLI does, but in this process (no sandbox): the
    result as JSON, after the same checks the server makes of a child's reply."""
    path = tmp_path / "user_module.py"
    text = textwrap.dedent(source)
    path.write_text(text)
    prepared = engine.prepare_source(
        text,
        str(path),
        name=name,
        line=line,
        requested=read_all(options, Source.REQUEST),
        params=params,
        render=render,
    )
    reply = runner.run(wire.unstructure(prepared.request))
    result = judge.finish(prepared, Replied(reply, (), {}, ""), 0.0)
    return wire.result_json(result)


def array(values: list[Any]) -> np.ndarray:
    """A JSON series (nulls included) as a float array with NaN for null."""
    return np.array([np.nan if v is None else v for v in values], dtype=float)


def warning_kinds(result: dict[str, Any]) -> list[str]:
    return [w["kind"] for w in result["warnings"]]


def in_child(body: Callable[[], object]) -> str:
    """`str(body())` computed in a forked child (as the sandbox's children are made),
    sent back through a pipe: what the child saw of its own memory."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.write(write, str(body()).encode())
        finally:
            os._exit(0)
    os.close(write)
    answer = os.read(read, 1 << 16).decode()
    os.close(read)
    os.waitpid(pid, 0)
    return answer
