"""Vector input: one parameter read only as `v[0]` … `v[n-1]`, or unpacked (`a, b = v`).

docs/protocol.md, "Vector input": such a function of one parameter is a function of n
variables named `v[0]`, `v[1]`, … (the parameter's own name), 2 ≤ n ≤ 8. Decided from
the source alone, conservatively: any other use of the parameter (`v * 2`, `len(v)`,
`v.sum()`, `v[i]`, `v[0:2]`, `v[-1]`, passing `v` on, assigning to it) leaves it one
variable, exactly as before — such a function never ran on a vector before either.
"""

from __future__ import annotations

import ast

MIN_COMPONENTS = 2
MAX_COMPONENTS = 8


def components(node: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda, parameter: str) -> int:
    """How many components the body reads of `parameter`: one more than its largest
    constant index, or the number of names it is unpacked into; 0 when some use of it is
    not one of those two (or the unpackings disagree with each other or with an index)."""
    body: list[ast.AST] = list(node.body) if isinstance(node.body, list) else [node.body]
    indices: set[int] = set()
    unpacked: set[int] = set()
    accounted: set[int] = set()  # the ids of the Name nodes read in an allowed way
    uses: list[ast.Name] = []
    for tree in body:
        for sub in ast.walk(tree):
            if isinstance(sub, ast.Name) and sub.id == parameter:
                uses.append(sub)
            elif isinstance(sub, ast.Subscript) and _names(sub.value, parameter):
                index = _constant_index(sub.slice)
                if index is None or not isinstance(sub.ctx, ast.Load):
                    return 0
                indices.add(index)
                accounted.add(id(sub.value))
            elif isinstance(sub, ast.Assign) and _names(sub.value, parameter):
                count = _unpacking(sub)
                if count is None:
                    return 0
                unpacked.add(count)
                accounted.add(id(sub.value))
    if not uses or any(id(use) not in accounted for use in uses):
        return 0
    if len(unpacked) > 1:
        return 0
    if unpacked:
        (count,) = unpacked
        return count if all(i < count for i in indices) else 0
    return max(indices) + 1


def names(parameter: str, count: int) -> tuple[str, ...]:
    """The variables' names: `v[0]`, `v[1]`, …"""
    return tuple(f"{parameter}[{i}]" for i in range(count))


def too_many(name: str, parameter: str, count: int) -> str:
    """Why a function that reads more components than derivlens plots cannot be plotted."""
    return (
        f"{name} reads {parameter} as a vector of {count} components "
        f"({parameter}[0] … {parameter}[{count - 1}]); derivlens plots vector input of "
        f"{MIN_COMPONENTS} to {MAX_COMPONENTS} components: pass the others as parameters "
        f"with defaults to hold them fixed"
    )


def _names(node: ast.AST, parameter: str) -> bool:
    return isinstance(node, ast.Name) and node.id == parameter


def _constant_index(index: ast.AST) -> int | None:
    """A non-negative integer literal (`v[-1]` needs n, which only the caller knows)."""
    if isinstance(index, ast.Constant) and type(index.value) is int and index.value >= 0:
        return index.value
    return None


def _unpacking(statement: ast.Assign) -> int | None:
    """The number of plain names in `a, b = v` (one target, no starred name), else None."""
    if len(statement.targets) != 1:
        return None
    (target,) = statement.targets
    if not isinstance(target, ast.Tuple | ast.List):
        return None
    if not all(isinstance(element, ast.Name) for element in target.elts):
        return None
    return len(target.elts)
