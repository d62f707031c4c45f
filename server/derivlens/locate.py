"""Find the functions derivlens can plot in a source file, and the one at a position.

Pure: parses with `ast`, imports nothing heavy, runs no user code. Eligible
(docs/protocol.md, "Which function"): module-level `def`s, module-level names bound to a
`lambda`, and `@staticmethod`s of module-level classes (named `Class.method`). Other
functions (nested ones, methods that take `self`, `async def`s) are remembered too, so
that a request for one gets a clear "why not" instead of a bare "not found".
"""

from __future__ import annotations

import ast
import re
import symtable
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from derivlens.errors import DerivlensError, InvalidOptions
from derivlens.options import DIRECTIVE_RE, parse_directive

FunctionKind = Literal["def", "lambda", "staticmethod"]
FunctionNode = ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda


@dataclass(frozen=True)
class Signature:
    """The variables (positional parameters without a default) and the fixed parameters."""

    variables: tuple[str, ...]
    fixed: tuple[str, ...]
    problem: str | None  # why it cannot be plotted (error kind `unsupported-signature`)


@dataclass(frozen=True)
class FunctionInfo:
    """One eligible function. Lines are 1-based; `start_line` includes decorators."""

    name: str
    kind: FunctionKind
    node: FunctionNode = field(repr=False, compare=False)
    statement: ast.stmt = field(repr=False, compare=False)  # the def, or the lambda's assignment
    start_line: int
    def_line: int
    end_line: int
    name_col: int  # column (0-based) of the name on `def_line`
    signature: Signature
    directive: Mapping[str, Any] = field(compare=False)  # options its directive sets
    directive_problems: tuple[InvalidOptions, ...] = field(compare=False)

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


@dataclass(frozen=True)
class Module:
    """A parsed source: its tree, lines, eligible functions and the ineligible ones."""

    source: str
    tree: ast.Module = field(repr=False)
    scopes: symtable.SymbolTable = field(repr=False)
    lines: tuple[str, ...] = field(repr=False)
    functions: tuple[FunctionInfo, ...]
    ineligible: tuple[Ineligible, ...]

    def by_name(self, name: str) -> FunctionInfo:
        for info in self.functions:
            if info.name == name:
                return info
        for other in self.ineligible:
            if other.name == name:
                raise DerivlensError("not-found", other.reason)
        known = ", ".join(f.name for f in self.functions) or "none"
        raise DerivlensError(
            "not-found",
            f"no function named {name!r} in this file (plottable functions: {known})",
        )

    def at(self, line: int, column: int = 0) -> FunctionInfo | None:
        """The innermost eligible function whose definition encloses `line` (1-based)."""
        candidates = [f for f in self.functions if f.encloses(line)]
        if len(candidates) > 1:
            # Several lambdas on one line: prefer the one whose statement holds the column.
            on_column = [
                f
                for f in candidates
                if f.statement.lineno != f.statement.end_lineno
                or f.statement.col_offset <= column <= (f.statement.end_col_offset or 0)
            ]
            candidates = on_column or candidates
        return min(candidates, key=lambda f: f.span, default=None)

    def require_at(self, line: int, column: int = 0) -> FunctionInfo:
        """Like `at`, but a miss is a `not-found` error that says what is there instead."""
        found = self.at(line, column)
        if found is not None:
            return found
        for other in sorted(self.ineligible, key=lambda o: o.end_line - o.start_line):
            if other.start_line <= line <= other.end_line:
                raise DerivlensError("not-found", other.reason)
        raise DerivlensError(
            "not-found",
            f"line {line} is not inside a function derivlens can plot; put the cursor in a "
            "module-level def, a lambda assigned to a name, or a @staticmethod",
        )

    def hover_target(self, line: int) -> FunctionInfo | None:
        """The function whose `def` line (or lambda assignment line) is `line` (1-based)."""
        for info in self.functions:
            if info.def_line == line:
                return info
        return None


def parse_module(source: str, filename: str = "<editor>") -> Module:
    """Parse `source`; a syntax error becomes kind `syntax` with its line."""
    try:
        with warnings.catch_warnings():  # invalid escapes etc. are the user's linter's job
            warnings.simplefilter("ignore")
            tree = ast.parse(source, filename=filename)
            # The compiler's scope pass finds errors ast.parse lets through
            # (`return` outside a function, `nonlocal` at module level).
            scopes = symtable.symtable(source, filename, "exec")
    except SyntaxError as error:
        where = f"line {error.lineno}" if error.lineno else "the file"
        raise DerivlensError(
            "syntax",
            f"{filename.rsplit('/', 1)[-1]} does not parse ({error.msg} at {where}); "
            "fix the syntax error and try again",
        ) from None
    except (ValueError, RecursionError, MemoryError) as error:  # null bytes, absurd nesting
        raise DerivlensError("syntax", f"the file cannot be parsed: {error}") from None
    lines = tuple(source.splitlines())
    functions: list[FunctionInfo] = []
    ineligible: list[Ineligible] = []
    for statement in tree.body:
        if isinstance(statement, ast.FunctionDef):
            functions.append(_describe(statement, statement, statement.name, "def", lines))
            ineligible.extend(_nested(statement, statement.name))
        elif isinstance(statement, ast.AsyncFunctionDef):
            ineligible.append(
                _ineligible(
                    statement,
                    statement.name,
                    f"{statement.name} is an async function; derivlens plots ordinary functions",
                )
            )
        elif isinstance(statement, ast.Assign | ast.AnnAssign):
            lambda_info = _assigned_lambda(statement, lines)
            if lambda_info is not None:
                functions.append(lambda_info)
        elif isinstance(statement, ast.ClassDef):
            found, refused = _class_members(statement, lines)
            functions.extend(found)
            ineligible.extend(refused)
        elif isinstance(statement, ast.If | ast.Try | ast.With | ast.For | ast.While):
            for node in ast.walk(statement):
                if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                    ineligible.append(
                        _ineligible(
                            node,
                            node.name,
                            f"{node.name} is defined inside a block, not at module level; "
                            "derivlens only runs module-level definitions",
                        )
                    )
    return Module(source, tree, scopes, lines, tuple(functions), tuple(ineligible))


def _ineligible(node: ast.stmt, name: str, reason: str) -> Ineligible:
    start = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
    return Ineligible(name, start, node.end_lineno or node.lineno, reason)


def _nested(outer: ast.FunctionDef | ast.ClassDef, outer_name: str) -> list[Ineligible]:
    found = []
    for node in ast.walk(outer):
        if node is not outer and isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            found.append(
                _ineligible(
                    node,
                    node.name,
                    f"{node.name} is nested inside {outer_name}; derivlens plots module-level "
                    f"functions — move {node.name} to module level to plot it",
                )
            )
    return found


def _class_members(
    cls: ast.ClassDef, lines: tuple[str, ...]
) -> tuple[list[FunctionInfo], list[Ineligible]]:
    found: list[FunctionInfo] = []
    refused: list[Ineligible] = []
    for member in cls.body:
        if not isinstance(member, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        name = f"{cls.name}.{member.name}"
        decorators = {_decorator_name(d) for d in member.decorator_list}
        if "staticmethod" in decorators and isinstance(member, ast.FunctionDef):
            found.append(_describe(member, member, name, "staticmethod", lines))
            refused.extend(_nested(member, name))
        else:
            what = "a classmethod" if "classmethod" in decorators else "a method that takes self"
            refused.append(
                _ineligible(
                    member,
                    name,
                    f"{name} is {what}; derivlens plots module-level functions, lambdas and "
                    "@staticmethods — make it a @staticmethod or a module-level function",
                )
            )
    return found, refused


def _decorator_name(decorator: ast.expr) -> str:
    target = decorator.func if isinstance(decorator, ast.Call) else decorator
    if isinstance(target, ast.Name):
        return target.id
    if isinstance(target, ast.Attribute):
        return target.attr
    return ""


def _assigned_lambda(
    statement: ast.Assign | ast.AnnAssign, lines: tuple[str, ...]
) -> FunctionInfo | None:
    value = statement.value
    if not isinstance(value, ast.Lambda):
        return None
    targets = statement.targets if isinstance(statement, ast.Assign) else [statement.target]
    names = [t for t in targets if isinstance(t, ast.Name)]
    if not names:
        return None
    return _describe(value, statement, names[0].id, "lambda", lines, name_node=names[0])


def _describe(
    node: FunctionNode,
    statement: ast.stmt,
    name: str,
    kind: FunctionKind,
    lines: tuple[str, ...],
    name_node: ast.Name | None = None,
) -> FunctionInfo:
    decorators = getattr(statement, "decorator_list", [])
    start_line = min([statement.lineno] + [d.lineno for d in decorators])
    def_line = statement.lineno
    if name_node is not None:
        name_col = name_node.col_offset
    else:
        text = lines[def_line - 1] if def_line <= len(lines) else ""
        short = re.escape(name.rsplit(".", 1)[-1])
        found = re.compile(rf"\bdef\s+({short})\b").search(text, statement.col_offset)
        name_col = found.start(1) if found else statement.col_offset
    directive, problems = _directive(lines, start_line, def_line)
    return FunctionInfo(
        name=name,
        kind=kind,
        node=node,
        statement=statement,
        start_line=start_line,
        def_line=def_line,
        end_line=statement.end_lineno or def_line,
        name_col=name_col,
        signature=read_signature(node, name),
        directive=directive,
        directive_problems=tuple(problems),
    )


def _directive(
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


def read_signature(node: FunctionNode, name: str) -> Signature:
    """Variables and fixed parameters of `node`, or why the signature is not supported."""
    args = node.args
    positional = [*args.posonlyargs, *args.args]
    first_default = len(positional) - len(args.defaults)
    variables = tuple(a.arg for a in positional[:first_default])
    fixed = tuple(a.arg for a in positional[first_default:])
    fixed += tuple(
        a.arg
        for a, default in zip(args.kwonlyargs, args.kw_defaults, strict=True)
        if default is not None
    )
    missing = [a.arg for a, d in zip(args.kwonlyargs, args.kw_defaults, strict=True) if d is None]
    problem = None
    if missing:
        problem = (
            f"{name} has a keyword-only parameter without a default ({', '.join(missing)}); "
            f"give it a default value to hold it fixed, e.g. `*, {missing[0]}=1.0`"
        )
    elif not variables:
        problem = (
            f"{name} takes no variable to plot against; derivlens plots functions of one or "
            "two numbers, like `def f(x):` or `def f(x, y):`"
        )
    elif len(variables) > 2:
        shown = ", ".join(variables)
        short = name.rsplit(".", 1)[-1]
        problem = (
            f"{name} has {len(variables)} variables ({shown}); derivlens plots one or two. "
            f"Give the others default values to hold them fixed, e.g. "
            f"`def {short}({variables[0]}, {variables[1]}, {variables[2]}=1.0)`"
        )
    return Signature(variables=variables, fixed=fixed, problem=problem)
