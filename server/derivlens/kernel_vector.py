"""Vector input for a live function in a kernel (docs/protocol.md, "Vector input").

In a file the parse says that `def f(v): … v[0] … v[1]` reads its one parameter only as
a vector; a kernel has the function object, not a file, so its own source is parsed the
same way (`inspect.getsource`). No source (a builtin, a lambda typed at the prompt that
`inspect` cannot find, a module instance): plain variables, as before.
"""

from __future__ import annotations

import inspect
import textwrap
from typing import Any

from derivlens.errors import DerivlensError
from derivlens.locate import parse_module

#: (the variables the plot names, e.g. ("v[0]", "v[1]"), and the number of components)
VectorInput = tuple[tuple[str, ...], int]


def vector_input(function: Any) -> VectorInput | None:
    """How `function` takes a vector, as its source reads it; None when it does not (or
    its source cannot be read)."""
    if not inspect.isfunction(function) or function.__name__ == "<lambda>":
        return None
    try:
        source = textwrap.dedent(inspect.getsource(function))
    except (OSError, TypeError):
        return None
    try:
        module = parse_module(source)
    except DerivlensError:
        return None
    for info in module.functions:
        if info.name == function.__name__ and info.signature.components:
            return tuple(info.signature.variables), info.signature.components
    return None
