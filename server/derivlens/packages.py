"""A file that lives in a package runs as that package's module (in the sandboxed child).

`torch/nn/modules/activation.py` starts with `from .module import Module`; run outside
its package, that relative import fails. So the slice of such a file runs with the
context Python gives a module it imports (docs/protocol.md, "Semantics"): `__name__`
`torch.nn.modules.activation`, `__package__` `torch.nn.modules`, a `__spec__` with the
file as its origin, and the folder its top package is in importable, so that parent
packages come from where they are installed or from the project.

A file is in a package when its folder has an `__init__.py`; the package goes up
through folders with an `__init__.py`, never above the project root or a folder on
`sys.path` (those hold top-level modules).

One more thing comes with running a library's own file: the module may already be
imported in this process (the worker imported torch, so `torch.nn.functional` ran
once already; or the package's `__init__` imports it). Running its needed statements
again repeats their effects on objects shared with that import: `_add_docstr` on a
builtin refuses a second docstring, a decorator registers a name twice, `ACTS += [f]`
appends twice and changes every number that counts it. When the module is already
imported from this very file and the slice is the file's text, line for line, its
definitions are taken from the imported module instead: the statements ran exactly once,
as in any program that imports it. Otherwise (not imported, or edited in the editor) the
slice runs, registered under its name when that name is free.
"""

from __future__ import annotations

import ast
import importlib
import importlib.machinery
import os
import sys
import types

import attrs


@attrs.frozen
class PackageContext:
    """Where a file sits in its package: its module name and the folder of its top package."""

    name: str  # torch.nn.modules.activation; a package's __init__.py: the package
    is_package: bool  # the file is an `__init__.py`
    root: str  # the folder that holds the top package

    @property
    def package(self) -> str:
        """`__package__`: what relative imports are resolved against."""
        return self.name if self.is_package else self.name.rpartition(".")[0]

    @property
    def ancestors(self) -> list[str]:
        """The packages above the module, outermost first (`torch`, `torch.nn`, …)."""
        parts = self.name.split(".")
        return [".".join(parts[:n]) for n in range(1, len(parts))]


def context_of(filename: str, project_root: str | None) -> PackageContext | None:
    """The package context of `filename`, or None for a file that is in no package."""
    path = os.path.abspath(filename)
    folder, base = os.path.split(path)
    stem, extension = os.path.splitext(base)
    if extension != ".py" or not stem.isidentifier():
        return None
    parts = [] if stem == "__init__" else [stem]
    stops = {os.path.abspath(p) for p in sys.path if p}
    if project_root:
        stops.add(os.path.abspath(project_root))
    current = folder
    while (
        current not in stops
        and os.path.basename(current).isidentifier()
        and os.path.isfile(os.path.join(current, "__init__.py"))
    ):
        parts.insert(0, os.path.basename(current))
        current = os.path.dirname(current)
    if stem == "__init__" and not parts:
        return None
    if stem != "__init__" and len(parts) == 1:
        return None  # a top-level module: no package
    return PackageContext(".".join(parts), stem == "__init__", current)


def imported_already(context: PackageContext, code: str, filename: str) -> types.ModuleType | None:
    """The module as this process imported it, when re-running the slice would repeat what
    its import did (see the module's docstring); None to run the slice.

    The packages above it that the slice imports anyway are imported first, as Python
    imports a module's parents before it: their `__init__` may import the module itself."""
    _import_parents_the_slice_imports(context, code)
    module = sys.modules.get(context.name)
    origin = getattr(module, "__file__", None)
    if module is None or not isinstance(origin, str) or not _same_file(origin, filename):
        return None
    return module if _slice_is_the_file(code, filename) else None


def new_module(context: PackageContext, filename: str, private_name: str) -> types.ModuleType:
    """An empty module with the package context, registered in `sys.modules` under its
    own name, or (that name already taken by an import) under `private_name`, as
    `python -m` runs a package's module as `__main__` with the package's `__spec__`."""
    name = context.name if context.name not in sys.modules else private_name
    spec = importlib.machinery.ModuleSpec(context.name, None, origin=filename,
                                          is_package=context.is_package)  # fmt: skip
    spec.has_location = True
    if context.is_package:
        spec.submodule_search_locations = [os.path.dirname(os.path.abspath(filename))]
    module = types.ModuleType(name)
    module.__file__ = filename
    module.__spec__ = spec
    module.__package__ = context.package
    if context.is_package:
        module.__path__ = list(spec.submodule_search_locations or [])
    sys.modules[name] = module
    return module


def _import_parents_the_slice_imports(context: PackageContext, code: str) -> None:
    """Import the innermost package above the module that the slice's own imports would
    import anyway (so nothing runs that would not have). A failure is left for the
    slice's own import to report, where the user's file and line are known."""
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return
    imported = _packages_imported(tree, context.package)
    wanted = [a for a in context.ancestors if a in imported]
    if context.is_package:
        wanted = [a for a in wanted if a != context.name]
    if not wanted:
        return
    try:
        importlib.import_module(wanted[-1])
    except MemoryError:
        raise
    except Exception:  # the slice's own import reports it
        pass


def _packages_imported(tree: ast.Module, package: str) -> set[str]:
    """Every module a module-level import of `tree` imports, with the packages above it."""
    names: set[str] = set()
    statements = list(tree.body)
    while statements:
        statement = statements.pop()
        if isinstance(statement, ast.Try | ast.If):
            statements.extend(s for s in ast.iter_child_nodes(statement) if isinstance(s, ast.stmt))
            for handler in getattr(statement, "handlers", []):
                statements.extend(handler.body)
        elif isinstance(statement, ast.Import):
            names.update(_with_parents(alias.name) for alias in statement.names)
        elif isinstance(statement, ast.ImportFrom):
            base = _resolved(statement, package)
            if base:
                names.add(_with_parents(base))
    return {part for dotted in names for part in dotted.split("|")}


def _resolved(statement: ast.ImportFrom, package: str) -> str:
    if not statement.level:
        return statement.module or ""
    parts = package.split(".") if package else []
    if statement.level - 1 > len(parts) - 1:
        return ""
    base = ".".join(parts[: len(parts) - (statement.level - 1)])
    return f"{base}.{statement.module}" if statement.module else base


def _with_parents(dotted: str) -> str:
    """`a.b.c` as `a|a.b|a.b.c`."""
    parts = dotted.split(".")
    return "|".join(".".join(parts[:n]) for n in range(1, len(parts) + 1))


def _same_file(one: str, other: str) -> bool:
    try:
        return os.path.samefile(one, other)
    except OSError:
        return False


def _slice_is_the_file(code: str, filename: str) -> bool:
    """Whether every line the slice keeps is the same line of the file on disk (the
    slice keeps lines where they are: docs/protocol.md, "Semantics")."""
    try:
        with open(filename, encoding="utf-8") as handle:
            disk = handle.read().splitlines()
    except (OSError, UnicodeDecodeError):
        return False
    kept = code.splitlines()
    if len(kept) > len(disk):
        return False
    return all(not line.strip() or line == disk[i] for i, line in enumerate(kept))
