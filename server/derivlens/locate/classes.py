"""What in a module-level class can be plotted.

- `@staticmethod`s, as `Class.method`;
- the `forward` of a `torch.nn.Module` subclass (`Class.forward`, kind `module-forward`):
  the class is built from its constructor's defaults, which become held parameters
  written `Class(name)`; a constructor that needs arguments is `unsupported-signature`;
- the `forward` of a `torch.autograd.Function` subclass (kind `function-apply`), plotted
  through `Class.apply` so that its own `backward` is what autograd uses.

Whether a class is one of those is read from its bases, following classes of the same
file (`class GELUTanh(GELUBase)`): a base named `...Module` or in `nn.`/`torch.nn.` is
a module; `Function`, `autograd.Function`, `torch.autograd.Function` a Function.
"""

from __future__ import annotations

import ast
from dataclasses import replace
from typing import Literal

from derivlens.locate.functions import (
    FunctionInfo,
    Ineligible,
    constructor_problem,
    decorator_name,
    describe,
    ineligible,
    read_signature,
    signature_problem,
)

Role = Literal["module", "function", "plain"]
#: Methods of an autograd.Function that are its machinery, not functions to plot.
FUNCTION_MACHINERY = ("backward", "setup_context", "jvp", "vjp", "vmap")


def dotted(node: ast.expr) -> str:
    """`torch.nn.Module` for that attribute chain (`.attr` on a call's result); a loop, as a
    valid chain may be longer than Python's recursion limit."""
    attributes: list[str] = []
    while isinstance(node, ast.Attribute):
        attributes.append(node.attr)
        node = node.value
    root = node.id if isinstance(node, ast.Name) else ""
    return ".".join([root, *reversed(attributes)])


def class_roles(tree: ast.Module) -> dict[str, Role]:
    """The role of every module-level class, in source order (bases come first)."""
    roles: dict[str, Role] = {}
    for statement in tree.body:
        if isinstance(statement, ast.ClassDef):
            roles[statement.name] = _role(statement, roles)
    return roles


def _role(cls: ast.ClassDef, known: dict[str, Role]) -> Role:
    for base in cls.bases:
        name = dotted(base)
        if known.get(name) in ("module", "function"):
            return known[name]
        if name in ("Function", "autograd.Function", "torch.autograd.Function"):
            return "function"
        if name.endswith("Module") or name.startswith(("nn.", "torch.nn.")):
            return "module"
    return "plain"


def class_members(
    cls: ast.ClassDef,
    role: Role,
    lines: tuple[str, ...],
    classes: dict[str, ast.ClassDef],
    offset: int = 0,
) -> tuple[list[FunctionInfo], list[Ineligible]]:
    """What of `cls` is plottable and what is not (why); `offset` lines precede its chunk."""
    found: list[FunctionInfo] = []
    refused: list[Ineligible] = []
    for member in cls.body:
        if not isinstance(member, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        statics = "staticmethod" in {decorator_name(d) for d in member.decorator_list}
        if isinstance(member, ast.FunctionDef) and role == "module" and member.name == "forward":
            found.append(_module_forward(cls, member, lines, classes, offset))
        elif isinstance(member, ast.FunctionDef) and role == "function":
            if member.name == "forward":
                found.append(_function_forward(cls, member, lines, offset))
            elif member.name in FUNCTION_MACHINERY:
                refused.append(_machinery(cls, member, offset))
            elif statics:
                found.append(_static(cls, member, lines, offset))
            else:
                refused.append(_method(cls, member, role, offset))
        elif isinstance(member, ast.FunctionDef) and statics:
            found.append(_static(cls, member, lines, offset))
        else:
            refused.append(_method(cls, member, role, offset))
    return found, refused


def _static(
    cls: ast.ClassDef, member: ast.FunctionDef, lines: tuple[str, ...], offset: int
) -> FunctionInfo:
    name = f"{cls.name}.{member.name}"
    return describe(
        member, member, name, "staticmethod", lines,
        signature=read_signature(member, name), owner=cls.name, offset=offset,
    )  # fmt: skip


def _module_forward(
    cls: ast.ClassDef,
    forward: ast.FunctionDef,
    lines: tuple[str, ...],
    classes: dict[str, ast.ClassDef],
    offset: int,
) -> FunctionInfo:
    name = f"{cls.name}.forward"
    own = read_signature(forward, name, skip=1)
    held, needed = _constructor(cls, classes)
    problem = own.problem
    if needed:
        problem = constructor_problem(cls.name, needed, name)
    signature = replace(own, fixed=(*own.fixed, *held), problem=problem)
    return describe(
        forward, forward, name, "module-forward", lines,
        signature=signature, owner=cls.name, hover_lines=(cls.lineno + offset,), offset=offset,
    )  # fmt: skip


def _constructor(
    cls: ast.ClassDef, classes: dict[str, ast.ClassDef]
) -> tuple[list[str], list[str]]:
    """(held `Class(name)` entries, names of parameters without a default) of the first
    `__init__` found on `cls` or its bases in this file."""
    seen: set[str] = set()
    current: ast.ClassDef | None = cls
    while current is not None and current.name not in seen:
        seen.add(current.name)
        init = next(
            (m for m in current.body if isinstance(m, ast.FunctionDef) and m.name == "__init__"),
            None,
        )
        if init is not None:
            signature = read_signature(init, f"{cls.name}.__init__", skip=1, vector=False)
            args = init.args
            kw_missing = [
                a.arg for a, d in zip(args.kwonlyargs, args.kw_defaults, strict=True) if d is None
            ]
            held = [f"{cls.name}({p})" for p in signature.fixed]
            return held, [*signature.variables, *kw_missing]
        bases = [classes.get(dotted(b)) for b in current.bases]
        current = next((b for b in bases if b is not None), None)
    return [], []


def _function_forward(
    cls: ast.ClassDef, forward: ast.FunctionDef, lines: tuple[str, ...], offset: int
) -> FunctionInfo:
    name = f"{cls.name}.forward"
    own = read_signature(forward, name, skip=1)  # ctx
    args = forward.args
    kw_only = [a.arg for a in args.kwonlyargs]
    problem = own.problem or (
        f"{name} has keyword-only parameters ({', '.join(kw_only)}), which "
        f"{cls.name}.apply cannot pass; make them positional with defaults"
        if kw_only
        else None
    )
    signature = replace(own, problem=problem)
    return describe(
        forward, forward, name, "function-apply", lines,
        signature=signature, owner=cls.name, hover_lines=(cls.lineno + offset,), offset=offset,
    )  # fmt: skip


def _machinery(cls: ast.ClassDef, member: ast.FunctionDef, offset: int) -> Ineligible:
    return ineligible(
        member,
        f"{cls.name}.{member.name}",
        f"{cls.name}.{member.name} is part of the autograd.Function {cls.name}; plot "
        f"{cls.name}.forward instead (through {cls.name}.apply, so {member.name} is what "
        "autograd uses and it is checked against a central difference)",
        offset,
    )


def _method(
    cls: ast.ClassDef, member: ast.FunctionDef | ast.AsyncFunctionDef, role: Role, offset: int
) -> Ineligible:
    name = f"{cls.name}.{member.name}"
    decorators = {decorator_name(d) for d in member.decorator_list}
    what = "a classmethod" if "classmethod" in decorators else "a method that takes self"
    if role == "module":
        hint = f"derivlens plots the forward of an nn.Module ({cls.name}.forward)"
    else:
        hint = (
            "derivlens plots module-level functions, lambdas, @staticmethods and the forward "
            "of an nn.Module — make it a @staticmethod or a module-level function"
        )
    return ineligible(member, name, f"{name} is {what}; {hint}", offset)


__all__ = ["class_members", "class_roles", "dotted", "signature_problem"]
