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
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from derivlens.errors import DerivlensError
from derivlens.locate import chunks as _chunks
from derivlens.locate.callables import assigned, likely_callable, torch_names
from derivlens.locate.chunks import Chunk, Unparsable, split
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
    resolve_overloads,
)

__all__ = [
    "FunctionInfo",
    "FunctionKind",
    "Ineligible",
    "Module",
    "Signature",
    "forget",
    "parse_module",
    "prefix",
    "read_signature",
]


@dataclass(frozen=True)
class Module:
    """A parsed source: its top-level chunks, its lines, the eligible functions, and why
    the ineligible ones are not (the functions nested in others are found when asked)."""

    source: str
    lines: tuple[str, ...] = field(repr=False)
    chunks: tuple[Chunk, ...] = field(repr=False)
    functions: tuple[FunctionInfo, ...]
    refused: tuple[Ineligible, ...] = field(repr=False)
    _nested: list[Ineligible] = field(default_factory=list, repr=False, compare=False)

    def statements(self) -> Iterator[tuple[Chunk, ast.stmt]]:
        """Every top-level statement, with the chunk it is in (its lines are relative)."""
        for chunk in self.chunks:
            for statement in chunk.tree.body:
                yield chunk, statement

    @property
    def ineligible(self) -> tuple[Ineligible, ...]:
        if not self._nested:
            self._nested.extend(_all_nested(self))
            self._nested.append(Ineligible("", 0, 0, ""))  # marks "computed"
        return (*self.refused, *self._nested[:-1])

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
        """Like `at`, but a miss is a `not-found` error that says what is there instead.

        Asked for explicitly (a command at `line`, not a hover or a lens), a name bound to
        any value but a literal is tried (`update = make_schedule(...)`): what the value
        is shows only when it runs, and one that is no function says what it is."""
        found = self.at(line, column)
        if found is not None:
            return found
        assigned = [f for f in self.functions if f.kind == "assigned" and f.encloses(line)]
        if assigned:
            return min(assigned, key=lambda f: f.span)
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
    words it: a notebook says which cell). Top-level statements parsed before are reused
    (`locate.chunks`), so an edit costs the statement it changed."""
    try:
        chunks = split(source)
    except Unparsable:
        _parse(source, filename, where or (lambda line: f"line {line}"))  # raises with the line
        raise DerivlensError("syntax", f"{filename.rsplit('/', 1)[-1]} does not parse") from None
    return _module(source, tuple(source.splitlines()), chunks)


def _module(source: str, lines: tuple[str, ...], chunks: Iterable[Chunk]) -> Module:
    chunks = tuple(chunks)
    context = Context.of(chunks)
    functions: list[FunctionInfo] = []
    refused: list[Ineligible] = []
    for chunk in chunks:
        found, others = _described(chunk, lines, context)
        functions.extend(found)
        refused.extend(others)
    functions, stubs_only = resolve_overloads(functions)
    return Module(source, lines, chunks, tuple(functions), (*refused, *stubs_only))


def prefix(module: Module, lines: int) -> Module | None:
    """`module` as if it ended after its first `lines` lines (a notebook cell's module:
    the cells up to it), sharing its parse and its descriptions; None when a statement
    runs past that line. Its `source` and `lines` stay the whole module's, so lines keep
    their numbers. The descriptions are the whole module's: which names are torch and
    which classes are modules is read from every cell (docs/protocol.md, "Notebooks");
    what runs is still sliced from the cells up to it."""
    kept = tuple(chunk for chunk in module.chunks if chunk.offset < lines)
    if kept and (kept[-1].tree.body and _last_line(kept[-1]) > lines):
        return None
    functions = tuple(f for f in module.functions if f.def_line <= lines)
    refused = tuple(r for r in module.refused if r.start_line <= lines)
    return Module(module.source, module.lines, kept, functions, refused)


def _last_line(chunk: Chunk) -> int:
    return chunk.offset + max(s.end_lineno or s.lineno for s in chunk.tree.body)


@dataclass(frozen=True)
class Context:
    """What describing a statement needs to know of the others (imports, classes, defs)."""

    roles: dict[str, Role]
    classes: dict[str, ast.ClassDef]
    torch: set[str]
    defs: set[str]
    key: tuple[object, ...]

    @classmethod
    def of(cls, chunks: Sequence[Chunk]) -> Context:
        tree = ast.Module(body=[s for c in chunks for s in c.tree.body], type_ignores=[])
        classes = {s.name: s for s in tree.body if isinstance(s, ast.ClassDef)}
        roles = class_roles(tree)
        torch = torch_names(tree)
        defs = {s.name for s in tree.body if isinstance(s, ast.FunctionDef)}
        # The pieces themselves (compared by identity), not their ids: a key holds them
        # alive, so a freed piece's id reused by another cannot match it.
        pieces = tuple(
            c.piece for c in chunks if any(isinstance(s, ast.ClassDef) for s in c.tree.body)
        )
        key = (tuple(sorted(roles.items())), frozenset(torch), frozenset(defs), pieces)
        return cls(roles, classes, torch, defs, key)


Described = tuple[list[FunctionInfo], list[Ineligible]]


def _described(
    chunk: Chunk, lines: tuple[str, ...], context: Context
) -> tuple[list[FunctionInfo], list[Ineligible]]:
    """A chunk's functions, reused while the chunk, where it sits, the line above it (a
    directive) and the context are the same."""
    above = lines[chunk.offset - 1] if chunk.offset else ""
    key = (chunk.offset, above, context.key)
    known: Described | None = chunk.piece.described.get(key)
    if known is not None:
        return known
    found: list[FunctionInfo] = []
    refused: list[Ineligible] = []
    for statement in chunk.tree.body:
        _describe_statement(statement, chunk.offset, lines, context, found, refused)
    return chunk.piece.described.put(key, (found, refused))


def forget(module: Module, keep: Module | None = None) -> None:
    """Drop what parsing `module` cached (its document closed, or was edited into
    `keep`, whose pieces stay): the memory follows the open documents."""
    kept = {id(chunk.piece) for chunk in keep.chunks} if keep is not None else set()
    _chunks.forget(chunk.piece for chunk in module.chunks if id(chunk.piece) not in kept)


def _describe_statement(
    statement: ast.stmt,
    offset: int,
    lines: tuple[str, ...],
    context: Context,
    found: list[FunctionInfo],
    refused: list[Ineligible],
) -> None:
    if isinstance(statement, ast.FunctionDef):
        name = statement.name
        signature = read_signature(statement, name)
        found.append(
            describe(statement, statement, name, "def", lines, signature=signature, offset=offset)
        )
    elif isinstance(statement, ast.AsyncFunctionDef):
        reason = f"{statement.name} is an async function; derivlens plots ordinary functions"
        refused.append(ineligible(statement, statement.name, reason, offset))
    elif isinstance(statement, ast.Assign | ast.AnnAssign):
        info = _assignment(statement, lines, context, offset)
        if isinstance(info, FunctionInfo):
            found.append(info)
        elif info is not None:
            refused.append(info)
    elif isinstance(statement, ast.ClassDef):
        role = context.roles[statement.name]
        members, others = class_members(statement, role, lines, context.classes, offset)
        found.extend(members)
        refused.extend(others)
    elif isinstance(statement, ast.If | ast.Try | ast.With | ast.For | ast.While):
        refused.extend(_in_block(statement, offset))


def _all_nested(module: Module) -> list[Ineligible]:
    """The functions nested in module-level defs and methods, each with why not."""
    found: list[Ineligible] = []
    for chunk, statement in module.statements():
        if isinstance(statement, ast.FunctionDef):
            found.extend(nested(statement, statement.name, chunk.offset))
        elif isinstance(statement, ast.ClassDef):
            for member in statement.body:
                if isinstance(member, ast.FunctionDef):
                    name = f"{statement.name}.{member.name}"
                    found.extend(nested(member, name, chunk.offset))
    return found


def _parse(source: str, filename: str, where: Callable[[int], str]) -> None:
    """Parse `source` whole, only to raise its syntax error as kind `syntax`, with its line."""
    try:
        with warnings.catch_warnings():  # invalid escapes etc. are the user's linter's job
            warnings.simplefilter("ignore")
            ast.parse(source, filename=filename)
            # The compiler's scope pass finds errors ast.parse lets through
            # (`return` outside a function, `nonlocal` at module level).
            symtable.symtable(source, filename, "exec")
    except SyntaxError as error:
        at = where(error.lineno) if error.lineno else "the file"
        raise DerivlensError(
            "syntax",
            f"{filename.rsplit('/', 1)[-1]} does not parse ({error.msg} at {at}); "
            "fix the syntax error and try again",
        ) from None
    except RecursionError:  # Python's own parser gives up on deep nesting, as it would at run
        raise DerivlensError("syntax", too_deep(filename.rsplit("/", 1)[-1])) from None
    except (ValueError, MemoryError) as error:  # null bytes
        raise DerivlensError("syntax", f"the file cannot be parsed: {error}") from None


def too_deep(name: str) -> str:
    """The message for code nested past what Python's parser and compiler take."""
    return (
        f"{name} nests an expression too deeply for Python to compile (thousands of levels, "
        "such as a sum of thousands of terms); split it into smaller steps"
    )


def _assignment(
    statement: ast.Assign | ast.AnnAssign, lines: tuple[str, ...], context: Context, offset: int
) -> FunctionInfo | Ineligible | None:
    """A lambda or a callable bound to a name (or why the name is not a function)."""
    value = statement.value
    targets = statement.targets if isinstance(statement, ast.Assign) else [statement.target]
    names = [t for t in targets if isinstance(t, ast.Name)]
    if isinstance(value, ast.Lambda) and names:
        name = names[0].id
        signature = read_signature(value, name)
        return describe(
            value, statement, name, "lambda", lines,
            signature=signature, name_node=names[0], offset=offset,
        )  # fmt: skip
    if value is None:
        return None
    looks = likely_callable(value, context.torch, context.roles, context.defs)
    return assigned(statement, lines, looks, offset)


def _in_block(statement: ast.stmt, offset: int) -> list[Ineligible]:
    return [
        ineligible(
            node,
            node.name,
            f"{node.name} is defined inside a block, not at module level; "
            "derivlens only runs module-level definitions",
            offset,
        )
        for node in ast.walk(statement)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
    ]
