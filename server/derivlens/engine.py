"""From "this file, this function, these options" to a sandbox request, and back.

Runs in the CLI and the language server: pure Python, no torch, no user code. It
locates the function, slices the module, settles the options (docs/protocol.md,
"Options") into a `model.EvaluationRequest`; once the sandbox has answered, it checks
the child's reply against the contract and against the request (`finish`), since the
child ran user code and its reply is hostile input.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any

import attrs

from derivlens import images, model, project, wire
from derivlens.errors import DerivlensError, ErrorKind, InvalidOptions
from derivlens.locate import FunctionInfo, Module, parse_module
from derivlens.model import EvaluationRequest, PlotWarning, Render, Result, WarningKind
from derivlens.options import Layer, PlotOptions, Source, resolve
from derivlens.sandbox import Outcome
from derivlens.slicing import sliced_source


@attrs.frozen
class Prepared:
    """Everything decided before user code runs: the function, its slice, its options."""

    path: str
    function: FunctionInfo
    code: str
    options: PlotOptions
    notes: tuple[str, ...]
    render: Render | None
    project_root: str | None  # the folder it may read (`project.py`); None: the file only
    params: Mapping[str, float] = attrs.field(factory=dict)

    @property
    def request(self) -> EvaluationRequest:
        """What the sandboxed child evaluates."""
        return EvaluationRequest(
            code=self.code,
            filename=os.path.abspath(self.path),
            function=self.function.name,
            variables=self.function.signature.variables,
            options=self.options,
            params=dict(self.params),
            render=self.render,
            project_root=self.project_root,
            warnings=tuple(PlotWarning(WarningKind.OPTIONS, note) for note in self.notes),
        )

    @property
    def sandbox_job(self) -> dict[str, Any]:
        """The sandbox's terms for this request: what it may read, how to name it."""
        return {
            "readable": [*filter(None, [self.project_root]), os.path.abspath(self.path)],
            "user_file": os.path.abspath(self.path),
            "name": self.function.name,
        }

    @property
    def cache_key(self) -> tuple[Any, ...]:
        """Equal for two requests that must give the same result (same code, same options)."""
        return (
            self.path,
            self.function.name,
            self.code,
            self.options,
            self.notes,
            self.render,
            tuple(sorted(self.params.items())),
        )


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
    module: Module,
    function: FunctionInfo,
    path: str,
    *,
    requested: Mapping[str, Any] | None = None,
    source: Source = Source.REQUEST,
    settings: Layer | None = None,
    params: Mapping[str, float] | None = None,
    render: Render | None = None,
    project_root: str | None = None,
) -> Prepared:
    """Check and slice `function` and settle its options; raise `DerivlensError` if it
    cannot be plotted as asked. `requested` are the caller's options (already read)."""
    if function.signature.problem:
        raise DerivlensError("unsupported-signature", function.signature.problem)
    if function.directive_problems:
        raise function.directive_problems[0]
    layers = [
        Layer(source, dict(requested or {})),
        Layer(Source.DIRECTIVE, dict(function.directive)),
        settings or Layer(Source.SETTINGS, {}),
    ]
    options, notes = resolve(layers, len(function.signature.variables))
    return Prepared(
        path=path,
        function=function,
        code=sliced_source(module, function),
        options=options,
        notes=tuple(notes),
        render=render,
        project_root=project_root or project.project_root(path),
        params=check_params(function, params or {}),
    )


def prepare_source(text: str, path: str, *, name: str | None = None, line: int | None = None,
                   column: int = 0, **how: Any) -> Prepared:  # fmt: skip
    """`prepare` for the function named `name` (or at `line`) of the source `text`."""
    module = parse_module(text, path)
    return prepare(module, select(module, name=name, line=line, column=column), path, **how)


def check_params(function: FunctionInfo, params: Mapping[str, float]) -> dict[str, float]:
    """Values for held parameters (`def f(x, a=1.5)`): only those can be set."""
    held = function.signature.fixed
    for name in params:
        if name not in held:
            allowed = ", ".join(held) if held else "none: it has no parameter with a default"
            raise InvalidOptions(
                f"params: {function.name} has no held parameter {name!r} (held: {allowed})",
                option="params",
            )
    return dict(params)


def finish(prepared: Prepared, outcome: Outcome, elapsed_ms: float) -> Result:
    """The child's reply as a checked result, with what the server knows filled in."""
    reply = outcome.reply
    if isinstance(reply, dict) and "error" in reply:
        raise _reported_error(prepared, reply["error"])
    if not isinstance(reply, dict) or set(reply) != {"result"}:
        raise _malformed(prepared, "neither a result nor an error")
    try:
        result: Result = wire.structure(reply["result"], Result)
    except wire.Malformed as error:
        raise _malformed(prepared, str(error)) from None
    problem = _mismatch(prepared, result) or _untrusted_parts(prepared, result)
    if problem:
        raise _malformed(prepared, problem)
    return attrs.evolve(
        result,
        function=prepared.function.name,
        file=prepared.path,
        line=prepared.function.def_line,
        variables=prepared.function.signature.variables,
        sandbox=outcome.layers,
        elapsed_ms=round(elapsed_ms, 1),
    )


def _reported_error(prepared: Prepared, raw: Any) -> DerivlensError:
    try:
        info: model.ErrorInfo = wire.structure(raw, model.ErrorInfo)
    except wire.Malformed as error:
        return _malformed(prepared, str(error))
    return info.to_exception()


def _malformed(prepared: Prepared, detail: str) -> DerivlensError:
    return DerivlensError(
        ErrorKind.CRASHED,
        f"the evaluation of {prepared.function.name} sent back a malformed result ({detail})",
    )


#: Most warnings, held parameters and critical points a reply may carry (per component).
MAX_WARNINGS = 64
MAX_FIXED = 256


def _untrusted_parts(prepared: Prepared, result: Result) -> str | None:
    """What in `result` could not have come from the runner: counts past any real plot,
    names that are not names, an image that was not asked for or is not what it says."""
    if len(result.warnings) > MAX_WARNINGS:
        return f"{len(result.warnings)} warnings"
    if len(result.fixed) > MAX_FIXED or not all(
        k.isidentifier() and len(k) <= model.MAX_NAME for k in result.fixed
    ):
        return "held parameters that are not parameter names"
    samples = prepared.options.samples
    points, most = len(result.critical_points), samples
    if isinstance(result, model.VectorCurvesResult):
        points, most = sum(len(c) for c in result.critical_points), samples * result.outputs
    elif isinstance(result, model.SurfaceResult):
        most = samples * samples
    if points > most:
        return f"{points} critical points"
    render, image = prepared.render, result.image
    if render is None or image is None:
        return "an image that was not asked for" if image is not None else None
    if not isinstance(image, model.Image) or image.format != render.format:
        return f"not the {render.format.upper()} image asked for"
    return images.problem(image)


def _mismatch(prepared: Prepared, result: Result) -> str | None:
    """What in `result` does not match what was asked (sizes, domain, orders)."""
    options, nvars = prepared.options, len(prepared.function.signature.variables)
    want = options.samples
    if isinstance(result, model.SurfaceResult) != (nvars == 2):
        return "a result for the wrong number of variables"
    if result.domain != options.domain or len(result.x) != want:
        return f"x does not span the requested {want} samples of the domain"
    if isinstance(result, model.SurfaceResult):
        rows: Sequence[Any] = [*result.f, *result.gradient.x, *result.gradient.y]
        if len(result.y) != want or len(result.f) != want or any(len(r) != want for r in rows):
            return f"the grid is not {want}×{want}"
        return None
    if result.order != options.order or sorted(result.derivatives) != [
        str(k) for k in range(1, options.order + 1)
    ]:
        return f"not the derivatives of orders 1 to {options.order}"
    if isinstance(result, model.VectorCurvesResult):
        columns: list[Any] = [*result.f, *(c for d in result.derivatives.values() for c in d)]
        if not 2 <= result.outputs <= 8 or len(result.f) != result.outputs:
            return "a vector result with a wrong number of components"
        if any(len(c) != want for c in columns):
            return "a component of the wrong length"
        return None
    if len(result.f) != want or any(len(d) != want for d in result.derivatives.values()):
        return "a series of the wrong length"
    return None
