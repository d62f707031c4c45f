"""From "this file, this function, these options" to a sandbox request, and back.

Runs in the CLI and the language server: pure Python, no torch, no user code. It
locates the function, slices the module, settles the options (docs/protocol.md,
"Options") into a `model.EvaluationRequest`, and makes of it the sandbox's `Job`. What
the sandbox answers is checked by `judge`.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from typing import Any

import attrs

from derivlens import comparison, model, project, wire
from derivlens.errors import DerivlensError, InvalidOptions
from derivlens.locate import FunctionInfo, Module, parse_module
from derivlens.model import EvaluationRequest, PlotWarning, Render, Settled, WarningKind
from derivlens.notebook import Cells
from derivlens.options import Layer, PlotOptions, Source, resolve
from derivlens.sandbox.channel import Job
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
    #: The Taylor polynomial asked for (docs/protocol.md, "Taylor and tangent").
    taylor: model.TaylorRequest | None = None
    #: The function to compare with (docs/protocol.md, "Compare"), sliced in with f;
    #: then f's own slice (code, needed) too, for what depends on f alone (`alone`).
    compare: FunctionInfo | None = None
    own_slice: tuple[str, tuple[str, ...]] | None = None

    @property
    def alone(self) -> Prepared:
        """f's request without the comparison: what f's closed form depends on, so that
        a comparison neither evaluates g again for it nor waits for it anew."""
        if self.own_slice is None:
            return self
        code, needed = self.own_slice
        return attrs.evolve(self, code=code, needed=needed, compare=None, own_slice=None)

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
            components=signature.components,
            settled={str(n): s for n, s in self.settled.items()},
            params=dict(self.params),
            render=self.render,
            project_root=self.project_root,
            cell_starts=self.cells.starts if self.cells else (),
            cell_indices=self.cells.indices if self.cells else (),
            taylor=self.taylor,
            compare=comparison.request_of(self.compare) if self.compare else None,
        )

    def job(self, *, timeout: float, memory_mb: int, formula: bool = False) -> Job:
        """The request as the sandbox runs it: within `timeout` s and `memory_mb` MB, able
        to read the project (or the file alone), its messages naming the function; with
        the closed form too if `formula` (docs/protocol.md, "Formula")."""
        path = os.path.abspath(self.path)
        request = attrs.evolve(self.request, formula=True) if formula else self.request
        return Job(
            request=wire.unstructure(request),
            timeout=timeout,
            memory_mb=memory_mb,
            readable=(*filter(None, [self.project_root]), path),
            user_file=path,
            name=self.function.name,
        )

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
            self.taylor,
            self.compare.name if self.compare else None,  # its code is in `needed`
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
    compare: str | None = None,
) -> Prepared:
    """Check and slice `function` and settle its options; raise `DerivlensError` if it
    cannot be plotted as asked. `requested` are the caller's options (already read);
    `cells` says how `module` is made of notebook cells, if it is; `compare` names
    another function of `module` to evaluate beside it."""
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
    other = compared(module, function, compare, notebook=cells is not None)
    code, needed = sliced_source(module, function, (other,) if other else ())
    own_slice = sliced_source(module, function) if other else None
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
        compare=other,
        own_slice=own_slice,
    )


def compared(
    module: Module, function: FunctionInfo, name: str | None, *, notebook: bool
) -> FunctionInfo | None:
    """The function named by a request's `compare`, checked (`comparison`), if any."""
    if name is None:
        return None
    return comparison.compared_function(module, function, name, notebook=notebook)


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
                f"params: {function.name} has no held parameter {name!r}"
                f"{_constructor_spelling(function, name)} (held: {allowed})",
                option="params",
            )
    return dict(params)


def _constructor_spelling(function: FunctionInfo, name: str) -> str:
    """`; its constructor's is written 'Act(beta)'` for a module's constructor parameter
    given by its bare name (`beta`), which is not held under that name."""
    spelled = f"{function.owner}({name})"
    if function.kind == "module-forward" and spelled in function.signature.fixed:
        return f"; the constructor's {name} is written {spelled!r}"
    return ""
