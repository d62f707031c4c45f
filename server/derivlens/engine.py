"""From "this file, this function, these options" to a request for the sandbox, and back.

Runs in the CLI and the language server: pure Python, no torch, no user code. It
locates the function, slices the module, settles the options (request > directive >
settings > defaults) and, once the sandbox has replied, puts the result in the order
and shape of SPEC §5.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, Literal

from derivlens.errors import DerivlensError
from derivlens.locate import FunctionInfo, Module, parse_module
from derivlens.options import PlotOptions, ResolvedOptions, resolve
from derivlens.slicing import sliced_source

ImageFormat = Literal["png", "svg"]
Theme = Literal["light", "dark"]
Size = Literal["hover", "panel"]

#: The key order of a SPEC §5 result.
RESULT_KEYS = (
    "function",
    "file",
    "line",
    "variables",
    "fixed",
    "domain",
    "ydomain",
    "order",
    "method",
    "x",
    "y",
    "f",
    "derivatives",
    "gradient",
    "critical_points",
    "warnings",
    "image",
    "sandbox",
    "elapsed_ms",
)


@dataclass(frozen=True)
class Render:
    """How the child should draw the result, or no drawing at all (`Prepared.render=None`)."""

    format: ImageFormat = "png"
    theme: Theme = "light"
    size: Size = "panel"


@dataclass(frozen=True)
class Prepared:
    """Everything decided before user code runs: the function, its slice, its options."""

    path: str
    function: FunctionInfo
    code: str
    options: ResolvedOptions
    notes: tuple[str, ...]
    render: Render | None
    project_root: str | None = None

    @property
    def request(self) -> dict[str, Any]:
        """The JSON request the sandbox child's `runner.run_request` takes."""
        options, render = self.options, self.render
        return {
            "code": self.code,
            "filename": os.path.abspath(self.path),
            "function": self.function.name,
            "variables": list(self.function.signature.variables),
            "domain": list(options.domain),
            "ydomain": list(options.ydomain) if options.ydomain else None,
            "order": options.order,
            "samples": options.samples,
            "render": (
                {"format": render.format, "theme": render.theme, "size": render.size}
                if render
                else None
            ),
            "project_root": self.project_root,
            "warnings": [{"kind": "options", "message": note} for note in self.notes],
        }

    @property
    def cache_key(self) -> tuple[Any, ...]:
        """Equal for two requests that must give the same result (same code, same options)."""
        return (self.path, self.function.name, self.code, self.options, self.notes, self.render)


def select(
    module: Module, *, name: str | None = None, line: int | None = None, column: int = 0
) -> FunctionInfo:
    """The function named `name`, or the one enclosing 1-based `line`."""
    if name is not None:
        return module.by_name(name)
    if line is None:
        raise ValueError("select() needs a name or a line")
    return module.require_at(line, column)


def prepare(
    source: str,
    path: str,
    *,
    name: str | None = None,
    line: int | None = None,
    column: int = 0,
    requested: PlotOptions | None = None,
    settings: PlotOptions | None = None,
    settings_notes: list[str] | None = None,
    render: Render | None = None,
    project_root: str | None = None,
) -> Prepared:
    """Locate, check and slice the function; raise `DerivlensError` for a usage problem.

    An invalid *requested* option raises `options.OptionError` (a usage problem of the
    caller's own arguments); a bad directive or setting only becomes a warning.
    """
    module = parse_module(source, path)
    function = select(module, name=name, line=line, column=column)
    return prepare_function(
        module,
        function,
        path,
        requested=requested,
        settings=settings,
        settings_notes=settings_notes,
        render=render,
        project_root=project_root,
    )


def prepare_function(
    module: Module,
    function: FunctionInfo,
    path: str,
    *,
    requested: PlotOptions | None = None,
    settings: PlotOptions | None = None,
    settings_notes: list[str] | None = None,
    render: Render | None = None,
    project_root: str | None = None,
) -> Prepared:
    if function.signature.problem:
        raise DerivlensError("unsupported-signature", function.signature.problem)
    nvars = len(function.signature.variables)
    notes = [*function.directive_problems, *(settings_notes or [])]
    options = resolve(
        [requested or PlotOptions(), function.directive, settings or PlotOptions()], nvars, notes
    )
    code = sliced_source(module, function)
    root = project_root or os.path.dirname(os.path.abspath(path))
    return Prepared(
        path=path,
        function=function,
        code=code,
        options=options,
        notes=tuple(notes),
        render=render,
        project_root=root,
    )


def finish(prepared: Prepared, result: dict[str, Any], elapsed_ms: float) -> dict[str, Any]:
    """The sandbox's result with file, line and timing, in SPEC §5 order."""
    if not isinstance(result, dict) or "x" not in result:
        raise DerivlensError("internal", "the evaluation returned a malformed result")
    merged = dict(result)
    merged["function"] = prepared.function.name
    merged["file"] = prepared.path
    merged["line"] = prepared.function.def_line
    merged["elapsed_ms"] = round(elapsed_ms, 1)
    merged.setdefault("sandbox", [])
    ordered = {key: merged[key] for key in RESULT_KEYS if key in merged}
    ordered.update({k: v for k, v in merged.items() if k not in ordered})
    return ordered
