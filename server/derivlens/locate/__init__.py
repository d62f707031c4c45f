"""Find what derivlens can plot in a source file, and the one at a position.

Pure: parses with `ast`, imports nothing heavy, runs no user code. Plottable
(docs/protocol.md, "Which function"): module-level `def`s, names bound to a `lambda` or
to a callable (`locate.callables`), `@staticmethod`s of module-level classes and the
`forward` of `nn.Module` and `autograd.Function` subclasses (`locate.classes`). Other
functions (nested ones, methods that take `self`, `async def`s) are remembered too, so
that a request for one gets a clear "why not" instead of a bare "not found".
"""

from __future__ import annotations

import ast
import symtable
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field

from derivlens.errors import DerivlensError
from derivlens.locate.callables import assigned, likely_callable, torch_names
from derivlens.locate.classes import Role, class_members, class_roles
from derivlens.locate.functions import (
    FunctionInfo,
    FunctionKind,
    Ineligible,
    Signature,
    describe,
    ineligible,
    nested,
    read_signature,
)

__all__ = [
    "FunctionInfo",
    "FunctionKind",
    "Ineligible",
    "Module",
    "Signature",
    "parse_module",
    "read_signature",
]


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
        candidates = [f for f in self.functions if f.hoverable and f.encloses(line)]
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
            "module-level def, a lambda or callable assigned to a name, a @staticmethod, or "
            "the forward of an nn.Module",
        )

    def hover_target(self, line: int) -> FunctionInfo | None:
        """The function shown by a hover on `line` (1-based): its def line, a lambda's or a
        callable's assignment line, a module's class line."""
        for info in self.functions:
            if info.hoverable and line in info.hover_lines:
                return info
        return None


def parse_module(
    source: str, filename: str = "<editor>", where: Callable[[int], str] | None = None
) -> Module:
    """Parse `source`; a syntax error becomes kind `syntax` with its line (as `where`
    words it: a notebook says which cell)."""
    tree, scopes = _parse(source, filename, where or (lambda line: f"line {line}"))
    lines = tuple(source.splitlines())
    functions: list[FunctionInfo] = []
    refused: list[Ineligible] = []
    roles = class_roles(tree)
    classes = {s.name: s for s in tree.body if isinstance(s, ast.ClassDef)}
    torch = torch_names(tree)
    defs = {s.name for s in tree.body if isinstance(s, ast.FunctionDef)}
    for statement in tree.body:
        if isinstance(statement, ast.FunctionDef):
            name = statement.name
            signature = read_signature(statement, name)
            functions.append(
                describe(statement, statement, name, "def", lines, signature=signature)
            )
            refused.extend(nested(statement, name))
        elif isinstance(statement, ast.AsyncFunctionDef):
            reason = f"{statement.name} is an async function; derivlens plots ordinary functions"
            refused.append(ineligible(statement, statement.name, reason))
        elif isinstance(statement, ast.Assign | ast.AnnAssign):
            found = _assignment(statement, lines, torch, roles, defs)
            if isinstance(found, FunctionInfo):
                functions.append(found)
            elif found is not None:
                refused.append(found)
        elif isinstance(statement, ast.ClassDef):
            members, others = class_members(statement, roles[statement.name], lines, classes)
            functions.extend(members)
            refused.extend(others)
        elif isinstance(statement, ast.If | ast.Try | ast.With | ast.For | ast.While):
            refused.extend(_in_block(statement))
    return Module(source, tree, scopes, lines, tuple(functions), tuple(refused))


def _parse(
    source: str, filename: str, where: Callable[[int], str]
) -> tuple[ast.Module, symtable.SymbolTable]:
    try:
        with warnings.catch_warnings():  # invalid escapes etc. are the user's linter's job
            warnings.simplefilter("ignore")
            tree = ast.parse(source, filename=filename)
            # The compiler's scope pass finds errors ast.parse lets through
            # (`return` outside a function, `nonlocal` at module level).
            scopes = symtable.symtable(source, filename, "exec")
    except SyntaxError as error:
        at = where(error.lineno) if error.lineno else "the file"
        raise DerivlensError(
            "syntax",
            f"{filename.rsplit('/', 1)[-1]} does not parse ({error.msg} at {at}); "
            "fix the syntax error and try again",
        ) from None
    except (ValueError, RecursionError, MemoryError) as error:  # null bytes, absurd nesting
        raise DerivlensError("syntax", f"the file cannot be parsed: {error}") from None
    return tree, scopes


def _assignment(
    statement: ast.Assign | ast.AnnAssign,
    lines: tuple[str, ...],
    torch: set[str],
    roles: dict[str, Role],
    defs: set[str],
) -> FunctionInfo | Ineligible | None:
    """A lambda or a callable bound to a name (or why the name is not a function)."""
    value = statement.value
    targets = statement.targets if isinstance(statement, ast.Assign) else [statement.target]
    names = [t for t in targets if isinstance(t, ast.Name)]
    if isinstance(value, ast.Lambda) and names:
        signature = read_signature(value, names[0].id)
        return describe(
            value, statement, names[0].id, "lambda", lines, signature=signature, name_node=names[0]
        )
    if value is None:
        return None
    return assigned(statement, lines, likely_callable(value, torch, roles, defs))


def _in_block(statement: ast.stmt) -> list[Ineligible]:
    return [
        ineligible(
            node,
            node.name,
            f"{node.name} is defined inside a block, not at module level; "
            "derivlens only runs module-level definitions",
        )
        for node in ast.walk(statement)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
    ]
