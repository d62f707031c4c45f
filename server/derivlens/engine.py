"""From "this file, this function, these options" to a sandbox request, and back.

Runs in the CLI and the language server: pure Python, no torch, no user code. It
locates the function, slices the module, settles the options (docs/protocol.md,
"Options") into a `model.EvaluationRequest`; once the sandbox has answered, it checks
the child's reply against the contract and against the request (`finish`), since the
child ran user code and its reply is hostile input.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Mapping, Sequence
from typing import Any

import attrs

from derivlens import formula_check, images, model, project, wire
from derivlens.errors import DerivlensError, ErrorKind, InvalidOptions
from derivlens.locate import FunctionInfo, Module, parse_module
from derivlens.model import EvaluationRequest, PlotWarning, Render, Result, Settled, WarningKind
from derivlens.notebook import Cells
from derivlens.options import Layer, PlotOptions, Source, resolve
from derivlens.sandbox import Outcome
from derivlens.slicing import sliced_source


@attrs.frozen
class Prepared:
    """Everything decided before user code runs: the function, its slice, its options.

    `settled` holds the options by number of variables: one entry when the signature is
    known from the source, entries for one and two variables when only the callable's
    runtime signature will tell.
    """

    path: str
    function: FunctionInfo
    code: str
    needed: tuple[str, ...]  # the kept statements' own text: the cache's view of the code
    settled: Mapping[int, Settled]
    render: Render | None
    project_root: str | None  # the folder it may read (`project.py`); None: the file only
    params: Mapping[str, float] = attrs.field(factory=dict)
    #: For a function in a notebook cell: the cells its module is made of.
    cells: Cells | None = None

    @property
    def options(self) -> PlotOptions:
        """The options, for a function whose number of variables is known."""
        (settled,) = self.settled.values()
        assert settled.options is not None
        return settled.options

    @property
    def request(self) -> EvaluationRequest:
        """What the sandboxed child evaluates."""
        signature = self.function.signature
        return EvaluationRequest(
            code=self.code,
            filename=os.path.abspath(self.path),
            function=self.function.name,
            kind=self.function.kind,
            variables=None if signature.runtime else signature.variables,
            settled={str(n): s for n, s in self.settled.items()},
            params=dict(self.params),
            render=self.render,
            project_root=self.project_root,
            cell_starts=self.cells.starts if self.cells else (),
            cell_indices=self.cells.indices if self.cells else (),
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
    def line(self) -> tuple[int | None, int]:
        """(cell index, 1-based line) of the function's def, as the user sees it."""
        if self.cells is None:
            return None, self.function.def_line
        return self.cells.to_cell_line(self.function.def_line)

    @property
    def cache_key(self) -> tuple[Any, ...]:
        """Equal for two requests that must give the same result: same function where the
        user sees it, same code it needs (whatever moved around it), same options."""
        return (
            self.path,
            self.function.name,
            self.line,
            self.needed,
            tuple(sorted(self.settled.items())),
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
    cells: Cells | None = None,
) -> Prepared:
    """Check and slice `function` and settle its options; raise `DerivlensError` if it
    cannot be plotted as asked. `requested` are the caller's options (already read);
    `cells` says how `module` is made of notebook cells, if it is."""
    signature = function.signature
    if signature.problem:
        raise DerivlensError("unsupported-signature", signature.problem)
    if function.directive_problems:
        raise function.directive_problems[0]
    layers = [
        Layer(source, dict(requested or {})),
        Layer(Source.DIRECTIVE, dict(function.directive)),
        settings or Layer(Source.SETTINGS, {}),
    ]
    if signature.runtime:
        settled = {n: settle(layers, n, raise_error=False) for n in (1, 2)}
    else:
        settled = {len(signature.variables): settle(layers, len(signature.variables))}
    code, needed = sliced_source(module, function)
    return Prepared(
        path=path,
        function=function,
        code=code,
        needed=needed,
        settled=settled,
        render=render,
        project_root=project_root or project.project_root(path),
        params=check_params(function, params or {}),
        cells=cells,
    )


def settle(layers: list[Layer], nvars: int, *, raise_error: bool = True) -> Settled:
    """The options for a function of `nvars` variables; a bad one raises, or (for a callable
    whose arity only the child learns) is kept as that arity's error."""
    try:
        options, notes = resolve(layers, nvars)
    except InvalidOptions as error:
        if raise_error:
            raise
        return Settled(error=model.ErrorInfo.of(error))
    warnings = tuple(PlotWarning(WarningKind.OPTIONS, note) for note in notes)
    return Settled(options=options, warnings=warnings)


def prepare_source(text: str, path: str, *, name: str | None = None, line: int | None = None,
                   column: int = 0, **how: Any) -> Prepared:  # fmt: skip
    """`prepare` for the function named `name` (or at `line`) of the source `text`."""
    module = parse_module(text, path)
    return prepare(module, select(module, name=name, line=line, column=column), path, **how)


def check_params(function: FunctionInfo, params: Mapping[str, float]) -> dict[str, float]:
    """Values for held parameters (`def f(x, a=1.5)`): only those can be set. (A runtime
    signature's held parameters are checked by the child.)"""
    held = function.signature.fixed
    for name, value in params.items():
        if not math.isfinite(value):  # 1e999 reads as inf; JSON cannot carry it to the child
            raise InvalidOptions(
                f"params: {name} must be a finite number, got {value}", option="params"
            )
    for name in params:
        if function.signature.runtime:
            break
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
    variables, problem = _variables(prepared, result)
    settled = prepared.settled[len(variables)]
    problem = (
        problem
        or _mismatch(settled, result, len(variables))
        or _untrusted_parts(prepared, settled, result)
        or formula_check.problem(result)
    )
    if problem:
        raise _malformed(prepared, problem)
    cell, line = prepared.line
    return attrs.evolve(
        result,
        function=prepared.function.name,
        file=prepared.path,
        cell=cell,
        line=line,
        variables=variables,
        sandbox=outcome.layers,
        elapsed_ms=round(elapsed_ms, 1),
    )


def _variables(prepared: Prepared, result: Result) -> tuple[tuple[str, ...], str | None]:
    """The result's variables: the source's, or (runtime signature) the child's, checked."""
    signature = prepared.function.signature
    if not signature.runtime:
        return signature.variables, None
    names = result.variables
    if not (names and len(names) in prepared.settled):
        return ("x",), "a result for the wrong number of variables"
    if not all(name.isidentifier() and len(name) <= 60 for name in names):
        return ("x",), "variables that are not parameter names"
    return names, None


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


#: A held parameter's name: `a`, or a constructor's `Swish(beta)`.
_HELD_NAME = re.compile(r"[A-Za-z_]\w*(\([A-Za-z_]\w*\))?")


def _untrusted_parts(prepared: Prepared, settled: Settled, result: Result) -> str | None:
    """What in `result` could not have come from the runner: counts past any real plot,
    names that are not names, an image that was not asked for or is not what it says."""
    if len(result.warnings) > MAX_WARNINGS:
        return f"{len(result.warnings)} warnings"
    if len(result.fixed) > MAX_FIXED or not all(
        _HELD_NAME.fullmatch(k) and len(k) <= model.MAX_NAME for k in result.fixed
    ):
        return "held parameters that are not parameter names"
    assert settled.options is not None  # checked by _mismatch
    samples = settled.options.samples
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


def _mismatch(settled: Settled, result: Result, nvars: int) -> str | None:
    """What in `result` does not match what was asked (sizes, domain, orders)."""
    options = settled.options
    if options is None:
        return "a result where the options were invalid"
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
