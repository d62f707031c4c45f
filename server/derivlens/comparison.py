"""Which function g a request compares f with (docs/protocol.md, "Compare").

Pure, like `engine`: it finds g in the module f is found in (for a notebook cell, the
cells up to f's own, so g is in f's cell or a cell above) and checks what the source
already tells: g is eligible, is not f, and takes as many variables as f (one: curves;
two, or a vector input read as two: surfaces). What only the child learns (a callable's
runtime signature, a vector-valued return) the child checks (`compare_eval`). Every
refusal is `invalid-options`, naming the option.
"""

from __future__ import annotations

from derivlens.errors import DerivlensError, InvalidOptions
from derivlens.locate import FunctionInfo, Module, Signature
from derivlens.model import MAX_NAME, CompareRequest

OPTION = "compare"


def refused(message: str) -> InvalidOptions:
    return InvalidOptions(f"compare: {message}", option=OPTION)


def compared_function(
    module: Module, function: FunctionInfo, name: str, *, notebook: bool = False
) -> FunctionInfo:
    """The eligible function `name` of `module` to compare `function` with, or an
    `invalid-options` error that says why not and what may be named instead."""
    if not isinstance(name, str) or not name.strip():
        raise refused("give the name of another function of this document")
    name = name.strip()
    if len(name) > MAX_NAME:  # echoed in the messages below: bounded first
        raise refused(f"a function name has at most {MAX_NAME} characters, got {len(name)}")
    if name == function.name:
        raise refused(f"{name} is the function being plotted; name another function")
    where = "this cell or the cells above it" if notebook else "this document"
    try:
        other = module.by_name(name)
    except DerivlensError as error:
        if any(info.name == name for info in module.ineligible):
            raise refused(error.message) from None
        raise refused(
            f"no function named {name!r} in {where}; eligible: {_eligible(module, function)}"
        ) from None
    if other.signature.problem:
        raise refused(other.signature.problem)
    check_variables(function, other)
    return other


def check_variables(function: FunctionInfo, other: FunctionInfo) -> None:
    """Same number of variables (where the source tells; else the child checks)."""
    mine, theirs = function.signature, other.signature
    if mine.runtime or theirs.runtime:
        return
    count, other_count = len(mine.variables), len(theirs.variables)
    if count != other_count:
        raise refused(different_counts(function.name, count, other.name, other_count))


def different_counts(name: str, count: int, other: str, other_count: int) -> str:
    return (
        f"{name} takes {_variables(count)} and {other} takes {_variables(other_count)}; "
        "compare needs functions of the same number of variables"
    )


def _variables(count: int) -> str:
    return f"{count} variable{'s' if count != 1 else ''}"


def _eligible(module: Module, function: FunctionInfo) -> str:
    """The functions `function` could be compared with (as far as the source tells: no
    signature problem, as many variables), as a list for a message."""
    mine = function.signature
    names = [
        info.name
        for info in module.functions
        if info.name != function.name
        and not info.signature.problem
        and (mine.runtime or info.signature.runtime or _same_count(info.signature, mine))
    ]
    return ", ".join(names) if names else "none (define another function to compare with)"


def _same_count(one: Signature, other: Signature) -> bool:
    return len(one.variables) == len(other.variables)


def request_of(other: FunctionInfo) -> CompareRequest:
    """What the child needs to find g as it finds f."""
    signature = other.signature
    return CompareRequest(
        function=other.name,
        kind=other.kind,
        variables=None if signature.runtime else signature.variables,
        components=signature.components,
    )
