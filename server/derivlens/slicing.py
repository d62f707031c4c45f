"""Cut a module down to the code one function needs, so nothing else at module level runs.

Pure. Kept: the module-level imports, definitions and assignments that bind a name the
function uses, transitively (a helper's own globals, a constant's inputs). Dropped:
everything else — calls, prints, loops, file writes, `if __name__ == "__main__":`.
Kept statements stay on their original lines (dropped ones become blank lines), so a
traceback from user code points at the user's own file and line.

Which module names a function reads is decided by `symtable`, CPython's own scope
analysis, so a local that shadows a module-level name does not drag that name in.
"""

from __future__ import annotations

import ast
import symtable
from collections.abc import Iterator

from derivlens.locate import FunctionInfo, Module
from derivlens.locate.chunks import Chunk
from derivlens.locate.functions import first_line

#: Statements that only define things; any other module-level statement never runs.
_DEFINITIONS = (
    ast.Import,
    ast.ImportFrom,
    ast.FunctionDef,
    ast.AsyncFunctionDef,
    ast.ClassDef,
    ast.Assign,
    ast.AnnAssign,
    ast.AugAssign,
)
_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)
ScopeIndex = dict[tuple[int, str], symtable.SymbolTable]  # (line in its chunk, name)


Top = tuple[Chunk, ast.stmt]  # a top-level statement, and the chunk it is in


def kept_statements(
    module: Module, target: FunctionInfo, also: tuple[FunctionInfo, ...] = ()
) -> list[Top]:
    """The module-level statements `target` (and the functions `also`: one compared with
    it, docs/protocol.md "Compare") needs, in source order."""
    wanted = (target, *also)
    candidates = [(c, s) for c, s in module.statements() if _is_definition(s)]
    binders: dict[str, list[int]] = {}
    for index, (_chunk, statement) in enumerate(candidates):
        for name in _bound_names(statement):
            binders.setdefault(name, []).append(index)

    statements = [w.statement for w in wanted]
    kept = {
        i
        for i, (_c, s) in enumerate(candidates)
        if any(s is t for t in statements) or _is_future(s)
    }
    for each in wanted:
        if each.owner is not None:  # a method: its class, and what the class needs
            kept |= set(binders.get(each.owner, ()))

    def used(index: int) -> set[str]:
        chunk, statement = candidates[index]
        return _names_used(statement, chunk.piece.scope_index)

    stars = [i for i, (_c, s) in enumerate(candidates) if _has_star_import(s)]
    pending = [name for i in kept for name in used(i)]
    seen: set[str] = set()
    while pending:
        name = pending.pop()
        if name in seen:
            continue
        seen.add(name)
        for index in [*binders.get(name, ()), *_stars_that_may_bind(name, binders, stars)]:
            if index not in kept:
                kept.add(index)
                pending.extend(used(index))
    return [candidates[i] for i in sorted(kept)]


def _stars_that_may_bind(name: str, binders: dict[str, list[int]], stars: list[int]) -> list[int]:
    """The star imports (`from .consts import *`) that may give `name` its value.

    Which names a star import binds is known only by running it (its module's `__all__`
    or public names), so it is kept, as a needed definition, whenever a needed name may
    come from it: no statement after it binds the name (no statement at all: a constant
    of `consts`; or only earlier ones, which it may rebind — builtins included, since
    `from math import *` replaces `pow`). Resolving star imports statically would need
    the imported module's source, and its own star imports, on the server: running the
    import is what Python does and what the slice already does for every other import."""
    last = max(binders.get(name, [-1]))
    return [index for index in stars if index > last]


def sliced_source(
    module: Module, target: FunctionInfo, also: tuple[FunctionInfo, ...] = ()
) -> tuple[str, tuple[str, ...]]:
    """The slice as source text, every kept line on its original line number; and the
    kept statements' own text (what the function needs, wherever it sits in the file)."""
    out: list[str] = []
    needed: list[str] = []
    for chunk, statement in kept_statements(module, target, also):
        start = first_line(statement)
        end = statement.end_lineno or statement.lineno
        out.extend([""] * (start + chunk.offset - 1 - len(out)))
        lines = list(module.lines[start + chunk.offset - 1 : end + chunk.offset])
        if isinstance(statement, ast.ClassDef):
            lines = _class_definitions_only(statement, lines, start)
        out.extend(lines)
        needed.append("\n".join(lines))
    return "\n".join(out) + "\n", tuple(needed)


def _is_definition(statement: ast.stmt) -> bool:
    if isinstance(statement, _DEFINITIONS):
        return True
    # `try: import numpy as np / except ImportError: np = None`, or an `if` that only defines.
    if isinstance(statement, ast.Try | ast.If) and not _is_main_guard(statement):
        inner = list(_child_statements(statement))
        return bool(inner) and all(
            _is_definition(s) or isinstance(s, ast.Pass) or _is_docstring(s) for s in inner
        )
    return False


def _child_statements(statement: ast.stmt) -> Iterator[ast.stmt]:
    for child in ast.iter_child_nodes(statement):
        if isinstance(child, ast.stmt):
            yield child
        elif isinstance(child, ast.ExceptHandler):
            yield from child.body


def _is_main_guard(statement: ast.stmt) -> bool:
    """An `if` whose test mentions `__main__` (a string, a name or an attribute). Walked
    with `ast.walk`, which keeps no call stack: a test nested a thousand levels deep is
    still valid Python (docs/protocol.md, "Semantics": what runs)."""
    return isinstance(statement, ast.If) and any(
        "__main__" in text for text in map(_text_of, ast.walk(statement.test))
    )


def _text_of(node: ast.AST) -> str:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.Name):
        return node.id
    return node.attr if isinstance(node, ast.Attribute) else ""


def _is_docstring(statement: ast.stmt) -> bool:
    return (
        isinstance(statement, ast.Expr)
        and isinstance(statement.value, ast.Constant)
        and isinstance(statement.value.value, str)
    )


def _has_star_import(statement: ast.stmt) -> bool:
    """`from m import *`, at module level or in a `try`/`if` that only defines."""
    if isinstance(statement, ast.ImportFrom):
        return any(alias.name == "*" for alias in statement.names)
    if isinstance(statement, ast.Try | ast.If):
        return any(_has_star_import(child) for child in _child_statements(statement))
    return False


def _is_future(statement: ast.stmt) -> bool:
    return isinstance(statement, ast.ImportFrom) and statement.module == "__future__"


def _bound_names(statement: ast.stmt) -> set[str]:
    """The module-level names a definition statement binds."""
    if isinstance(statement, ast.Import | ast.ImportFrom):
        return {
            (alias.asname or alias.name).split(".", 1)[0]
            for alias in statement.names
            if alias.name != "*"
        }
    if isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        return {statement.name}
    if isinstance(statement, ast.Try | ast.If):
        return {name for child in _child_statements(statement) for name in _bound_names(child)}
    if isinstance(statement, ast.Assign):
        targets = statement.targets
    elif isinstance(statement, ast.AnnAssign | ast.AugAssign):
        targets = [statement.target]
    else:
        return set()
    # `x.attr = 1` and `d[k] = 1` change `x` and `d`: they run whenever `x`/`d` is needed.
    return {node.id for t in targets for node in ast.walk(t) if isinstance(node, ast.Name)}


def _names_used(node: ast.AST, scopes: ScopeIndex) -> set[str]:
    """Module-level names `node` reads when it runs, or when the functions it defines run.

    A loop over a stack, not recursion: an expression may nest deeper than Python's
    recursion limit (a 600-term sum) and still be valid code."""
    used: set[str] = set()
    pending = [node]
    while pending:
        current = pending.pop()
        if isinstance(current, _SCOPES):
            used |= _names_used_in_scope(current, scopes)
            pending.extend(_evaluated_at_definition(current))
        elif isinstance(current, ast.Name):
            used.add(current.id)
        else:
            pending.extend(ast.iter_child_nodes(current))
    return used


def _names_used_in_scope(node: ast.AST, scopes: ScopeIndex) -> set[str]:
    """Globals read in a function's or class's body and every scope nested in it."""
    name = "lambda" if isinstance(node, ast.Lambda) else getattr(node, "name", "")
    scope = scopes.get((getattr(node, "lineno", 0), name))
    if scope is None:  # not found (should not happen): fall back to every name read
        return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}
    used: set[str] = set()
    stack = [scope]
    while stack:
        current = stack.pop()
        for symbol in current.get_symbols():
            if symbol.is_global() or (
                current.get_type() == "class"
                and symbol.is_referenced()
                and not symbol.is_assigned()
            ):
                used.add(symbol.get_name())
        stack.extend(current.get_children())
    return used


def _evaluated_at_definition(node: ast.AST) -> Iterator[ast.AST]:
    """Parts of a def, lambda or class that run when it is defined, in the enclosing scope."""
    yield from getattr(node, "decorator_list", [])
    if isinstance(node, ast.ClassDef):
        yield from node.bases
        yield from (k.value for k in node.keywords)
        return
    returns = getattr(node, "returns", None)
    if returns is not None:
        yield returns
    args = getattr(node, "args", None)
    if isinstance(args, ast.arguments):
        yield from args.defaults
        yield from (d for d in args.kw_defaults if d is not None)
        for arg in [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg]:
            if arg is not None and arg.annotation is not None:
                yield arg.annotation


def _class_definitions_only(cls: ast.ClassDef, lines: list[str], start: int) -> list[str]:
    """A class's lines with every body statement that is not a definition turned to `pass`."""
    for child in cls.body:
        if _is_definition(child) or _is_docstring(child):
            continue
        first = first_line(child) - start
        last = (child.end_lineno or child.lineno) - start
        lines[first] = " " * child.col_offset + "pass"
        for i in range(first + 1, last + 1):
            lines[i] = ""
    return lines
