"""What is known of one plottable thing before any code runs: its kind, lines, signature
and directive.

Kinds (docs/protocol.md, "Which function"): `def`, `lambda`, `staticmethod`;
`module-forward` (the `forward` of an `nn.Module` subclass, built from its constructor's
defaults); `function-apply` (the `forward` of an `autograd.Function`, plotted through
`apply`); `assigned` (a module-level name bound to a callable: its variables come from
the runtime signature, so `signature.runtime` is set).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from derivlens.errors import InvalidOptions
from derivlens.locate import vectors
from derivlens.model import FunctionKind
from derivlens.options import DIRECTIVE_RE, parse_directive

FunctionNode = ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda


@dataclass(frozen=True)
class Signature:
    """The variables (positional parameters without a default) and the held parameters.

    `runtime`: not known from the source (an assigned callable); the child reads it.
    """

    variables: tuple[str, ...]
    fixed: tuple[str, ...]
    problem: str | None  # why it cannot be plotted (error kind `unsupported-signature`)
    runtime: bool = False
    #: Vector input (`locate.vectors`): how many components its one parameter has, the
    #: first two of them the variables, the others held; 0 for ordinary variables.
    components: int = 0


@dataclass(frozen=True)
class FunctionInfo:
    """One eligible function. Lines are 1-based; `start_line` includes decorators.

    `owner` is the class a method belongs to; `hover_lines` are the lines a hover on
    which shows it (its def line, and a module's class line too); `hoverable` is false
    for a name whose value may not be callable at all (it is plotted only when asked for
    by name).
    """

    name: str
    kind: FunctionKind
    node: ast.AST = field(repr=False, compare=False)
    statement: ast.stmt = field(repr=False, compare=False)  # the def, or the assignment
    start_line: int
    def_line: int
    end_line: int
    name_col: int  # column (0-based) of the name on `def_line`
    signature: Signature
    directive: Mapping[str, Any] = field(compare=False)  # options its directive sets
    directive_problems: tuple[InvalidOptions, ...] = field(compare=False)
    owner: str | None = None
    hover_lines: tuple[int, ...] = ()
    hoverable: bool = True
    #: Lines before the top-level statement's chunk: `statement.lineno + offset` is absolute.
    offset: int = 0

    def encloses(self, line: int) -> bool:
        return self.start_line <= line <= self.end_line

    @property
    def span(self) -> int:
        return self.end_line - self.start_line


@dataclass(frozen=True)
class Ineligible:
    """A function that is not plottable, and the sentence saying why."""

    name: str
    start_line: int
    end_line: int
    reason: str


def first_line(statement: ast.stmt) -> int:
    """The first line of a statement, its decorators included (lines of its chunk)."""
    decorators = getattr(statement, "decorator_list", [])
    return min([statement.lineno] + [d.lineno for d in decorators])


def ineligible(node: ast.stmt, name: str, reason: str, offset: int = 0) -> Ineligible:
    start = first_line(node) + offset
    return Ineligible(name, start, (node.end_lineno or node.lineno) + offset, reason)


def nested(
    outer: ast.FunctionDef | ast.ClassDef, outer_name: str, offset: int = 0
) -> list[Ineligible]:
    """The functions defined inside `outer`, each with the reason it is not plottable."""
    found = []
    for node in ast.walk(outer):
        if node is not outer and isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            found.append(
                ineligible(
                    node,
                    node.name,
                    f"{node.name} is nested inside {outer_name}; derivlens plots module-level "
                    f"functions — move {node.name} to module level to plot it",
                    offset,
                )
            )
    return found


def describe(
    node: ast.AST,
    statement: ast.stmt,
    name: str,
    kind: FunctionKind,
    lines: tuple[str, ...],
    *,
    signature: Signature,
    name_node: ast.Name | None = None,
    owner: str | None = None,
    hover_lines: tuple[int, ...] = (),
    hoverable: bool = True,
    offset: int = 0,
) -> FunctionInfo:
    """A function's description, with its lines absolute (`offset` lines precede its
    chunk; `lines` are the whole source's)."""
    start_line = first_line(statement) + offset
    def_line = statement.lineno + offset
    if name_node is not None:
        name_col = name_node.col_offset
    else:
        name_col = _def_name_column(lines, def_line, name, statement.col_offset)
    directive, problems = read_directive(lines, start_line, def_line)
    return FunctionInfo(
        name,
        kind,
        node,
        statement,
        start_line=start_line,
        def_line=def_line,
        end_line=(statement.end_lineno or statement.lineno) + offset,
        name_col=name_col,
        signature=signature,
        directive=directive,
        directive_problems=tuple(problems),
        owner=owner,
        hover_lines=(*hover_lines, def_line),
        hoverable=hoverable,
        offset=offset,
    )


def _def_name_column(lines: tuple[str, ...], def_line: int, name: str, start: int) -> int:
    """Where the name stands on a `def` line (the statement's column if not found)."""
    text = lines[def_line - 1] if def_line <= len(lines) else ""
    short = re.escape(name.rsplit(".", 1)[-1])
    found = re.compile(rf"\bdef\s+({short})\b").search(text, start)
    return found.start(1) if found else start


def read_directive(
    lines: tuple[str, ...], start_line: int, def_line: int
) -> tuple[dict[str, Any], list[InvalidOptions]]:
    """The `# derivlens:` comment above the definition (above decorators) or ending its line."""
    candidates = []
    if start_line >= 2:
        above = lines[start_line - 2].strip()
        if above.startswith("#"):
            candidates.append(above)
    if def_line <= len(lines):
        candidates.append(lines[def_line - 1])
    for text in candidates:
        match = DIRECTIVE_RE.search(text)
        if match:
            return parse_directive(match.group("body"))
    return {}, []


def read_signature(
    node: FunctionNode, name: str, skip: int = 0, *, vector: bool = True
) -> Signature:
    """Variables and held parameters of `node` (after the first `skip` parameters, such as
    `self` or `ctx`), or why the signature is not supported. One variable that the body
    reads only as a vector (`locate.vectors`) is its components, if `vector`."""
    args = node.args
    positional = [*args.posonlyargs, *args.args][skip:]
    first_default = len(positional) - len(args.defaults)
    variables = tuple(a.arg for a in positional[: max(first_default, 0)])
    fixed = tuple(a.arg for a in positional[max(first_default, 0) :])
    fixed += tuple(
        a.arg
        for a, default in zip(args.kwonlyargs, args.kw_defaults, strict=True)
        if default is not None
    )
    missing = [a.arg for a, d in zip(args.kwonlyargs, args.kw_defaults, strict=True) if d is None]
    count = vectors.components(node, variables[0]) if vector and len(variables) == 1 else 0
    if count > vectors.MAX_COMPONENTS:
        return Signature(variables, fixed, vectors.too_many(name, variables[0], count))
    if count >= vectors.MIN_COMPONENTS:
        every = vectors.names(variables[0], count)
        problem = signature_problem(name, every[:2], missing)
        return Signature(every[:2], (*every[2:], *fixed), problem, components=count)
    return Signature(variables, fixed, signature_problem(name, variables, missing))


def signature_problem(name: str, variables: tuple[str, ...], missing: list[str]) -> str | None:
    """Why a function with these variables (and keyword-only parameters without a default)
    cannot be plotted, in words that say what to do; None if it can."""
    if missing:
        return (
            f"{name} has a keyword-only parameter without a default ({', '.join(missing)}); "
            f"give it a default value to hold it fixed, e.g. `*, {missing[0]}=1.0`"
        )
    if not variables:
        return (
            f"{name} takes no variable to plot against; derivlens plots functions of one or "
            "two numbers, like `def f(x):` or `def f(x, y):`"
        )
    if len(variables) > 2:
        shown = ", ".join(variables)
        short = name.rsplit(".", 1)[-1]
        return (
            f"{name} has {len(variables)} variables ({shown}); derivlens plots one or two. "
            f"Give the others default values to hold them fixed, e.g. "
            f"`def {short}({variables[0]}, {variables[1]}, {variables[2]}=1.0)`"
        )
    return None


def constructor_problem(owner: str, needed: Sequence[str], name: str) -> str:
    """Why `name`, the forward of the nn.Module `owner`, cannot be plotted: its
    constructor needs the arguments `needed`."""
    return (
        f"{owner} needs constructor arguments ({', '.join(needed)}); derivlens builds "
        f"{owner}() from its constructor's defaults: give {needed[0]} a default to plot {name}"
    )


def not_a_function(name: str, shown: str) -> str:
    """What to say of a module-level `name` bound to a value (`shown`) that is not callable."""
    return (
        f"{name} is bound to {shown}, not to a function; derivlens plots functions and "
        "callables (a def, a lambda, an nn.Module, a partial)"
    )


def unknown_param(name: str, param: str, held: Sequence[str]) -> str:
    """What to say of a request's `params` entry that is not a held parameter of `name`."""
    allowed = ", ".join(held) if held else "none: it has no parameter with a default"
    return f"params: {name} has no held parameter {param!r} (held: {allowed})"


def decorator_name(decorator: ast.expr) -> str:
    target = decorator.func if isinstance(decorator, ast.Call) else decorator
    if isinstance(target, ast.Name):
        return target.id
    if isinstance(target, ast.Attribute):
        return target.attr
    return ""


def is_overload_stub(info: FunctionInfo) -> bool:
    """A def decorated `@overload` (`typing.overload` or any module's): a signature for
    type checkers; calling it raises, the implementation is the last def without it."""
    decorators = getattr(info.statement, "decorator_list", [])
    return any(decorator_name(d) == "overload" for d in decorators)


def resolve_overloads(
    functions: Sequence[FunctionInfo],
) -> tuple[list[FunctionInfo], list[Ineligible]]:
    """One function per `@overload`-ed name: its implementation (the last def of that
    name without `@overload`), shown by a hover on any of its defs and found at a
    position in any of them; a name with only stubs is refused, saying so."""
    if not any(is_overload_stub(f) for f in functions):
        return list(functions), []
    stubs: dict[str, list[FunctionInfo]] = {}
    for info in functions:
        if is_overload_stub(info):
            stubs.setdefault(info.name, []).append(info)
    implementations = {
        f.name: f for f in functions if f.name in stubs and not is_overload_stub(f)
    }  # the last one wins, as when the module runs
    kept: list[FunctionInfo] = []
    refused: list[Ineligible] = []
    for info in functions:
        if info.name not in stubs:
            kept.append(info)
            continue
        implementation = implementations.get(info.name)
        if implementation is None:
            if info is stubs[info.name][0]:
                refused.extend(_stub_only(stub) for stub in stubs[info.name])
            continue
        if info is implementation:
            kept.append(_with_stubs(implementation, stubs[info.name]))
    return kept, refused


def _with_stubs(implementation: FunctionInfo, stubs: list[FunctionInfo]) -> FunctionInfo:
    start = min(implementation.start_line, *(s.start_line for s in stubs))
    lines = tuple(line for stub in stubs for line in stub.hover_lines)
    return replace(
        implementation,
        start_line=start,
        hover_lines=tuple(dict.fromkeys((*lines, *implementation.hover_lines))),
    )


def _stub_only(stub: FunctionInfo) -> Ineligible:
    return Ineligible(
        stub.name,
        stub.start_line,
        stub.end_line,
        f"{stub.name} has only @overload signatures here, no implementation to run; "
        "derivlens plots the def without @overload that follows them",
    )
