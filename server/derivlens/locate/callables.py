"""Module-level names bound by an assignment to something callable.

`act = nn.GELU()`, `gelu_new = get_activation("gelu_new")`, `f = functools.partial(g, a=2)`:
what the value is only shows when the module runs, so these are kind `assigned` with a
runtime signature. Asked for by name they are always tried (a value that turns out not
to be callable is reported as what it is); a hover, a code lens or a position finds one
only when its value looks like a callable (`likely_callable`), so that `logger =
logging.getLogger()` or `ROOT = Path(...)` get no lens. A literal (`EPS = 1e-6`) is
known not to be a function without running anything.
"""

from __future__ import annotations

import ast
import re

from derivlens.locate.classes import Role, dotted
from derivlens.locate.functions import FunctionInfo, Ineligible, Signature, describe, ineligible

_LITERALS = (
    ast.Constant,
    ast.List,
    ast.Tuple,
    ast.Dict,
    ast.Set,
    ast.JoinedStr,
    ast.ListComp,
    ast.SetComp,
    ast.DictComp,
    ast.GeneratorExp,
    ast.BinOp,
    ast.UnaryOp,
    ast.Compare,
    ast.BoolOp,
)
#: Factory and table names of activation functions (get_activation, ACT2FN, create_act).
_ACTIVATION = re.compile(r"(^|_)act(ivation)?s?(_|$|\d|fn|2)|activation", re.IGNORECASE)


def torch_names(tree: ast.Module) -> set[str]:
    """Names bound at module level by importing from torch (`torch`, `nn`, `F`, `GELU`)."""
    names: set[str] = set()
    for statement in tree.body:
        if isinstance(statement, ast.Import):
            for alias in statement.names:
                if alias.name.split(".")[0] == "torch":
                    names.add(alias.asname or alias.name.split(".")[0])
        elif isinstance(statement, ast.ImportFrom) and (statement.module or "").startswith("torch"):
            names.update(alias.asname or alias.name for alias in statement.names)
    return names


def likely_callable(
    value: ast.expr, torch: set[str], roles: dict[str, Role], defs: set[str]
) -> bool:
    """Whether `value` looks like a callable a user would plot: an instance of a torch (or
    this file's) module, a torch function, a partial, or an activation from a factory."""
    if isinstance(value, ast.Call):
        callee = dotted(value.func)
        last, root = callee.rsplit(".", 1)[-1], callee.split(".", 1)[0]
        return (
            last == "partial"
            or root in torch
            or roles.get(callee) in ("module", "function")
            or bool(_ACTIVATION.search(last))
        )
    if isinstance(value, ast.Attribute | ast.Name):
        name = dotted(value)
        return name.split(".", 1)[0] in torch or name in defs
    if isinstance(value, ast.Subscript):
        return bool(_ACTIVATION.search(dotted(value.value)))
    return False


def assigned(
    statement: ast.Assign | ast.AnnAssign,
    lines: tuple[str, ...],
    hoverable: bool,
    offset: int = 0,
) -> FunctionInfo | Ineligible | None:
    """The name `statement` binds as an assigned callable, or why it is not a function."""
    targets = statement.targets if isinstance(statement, ast.Assign) else [statement.target]
    value = statement.value
    if value is None or isinstance(value, ast.Lambda) or len(targets) != 1:
        return None
    target = targets[0]
    if not isinstance(target, ast.Name):
        return None
    if isinstance(value, _LITERALS):
        shown = _shown(value, lines, offset)
        shown = shown if len(shown) <= 40 else shown[:39] + "…"
        return ineligible(
            statement,
            target.id,
            f"{target.id} is bound to {shown}, not to a function; derivlens plots functions "
            "and callables (a def, a lambda, an nn.Module, a partial)",
            offset,
        )
    return describe(
        value, statement, target.id, "assigned", lines,
        signature=Signature((), (), None, runtime=True), name_node=target, hoverable=hoverable,
        offset=offset,
    )  # fmt: skip


#: Deeper than this, a value is shown as written: `ast.unparse` recurses once per level
#: and a valid value (a 600-term sum) can nest past Python's recursion limit.
_UNPARSE_DEPTH = 50


def _shown(value: ast.expr, lines: tuple[str, ...], offset: int) -> str:
    """`value` as Python writes it (`1e-06`), or its first source line when it is deep."""
    if _depth_exceeds(value, _UNPARSE_DEPTH):
        line = lines[value.lineno + offset - 1] if value.lineno + offset <= len(lines) else ""
        # col_offset counts UTF-8 bytes
        return line.encode()[value.col_offset :].decode(errors="replace").strip()
    return ast.unparse(value)


def _depth_exceeds(node: ast.AST, limit: int) -> bool:
    pending = [(node, 1)]
    while pending:
        current, depth = pending.pop()
        if depth > limit:
            return True
        pending.extend((child, depth + 1) for child in ast.iter_child_nodes(current))
    return False
