"""A package's names imported on first use (PEP 562), so that importing the package
imports none of the modules they live in.

`derivlens` uses it so that the language server's `import derivlens` imports neither torch
nor matplotlib (docs/protocol.md, "In a notebook kernel"), and `derivlens.sandbox` so that
its worker starts without the supervisor's asyncio. It imports only what the interpreter
has loaded at start-up (`importlib`, `sys`), so no module of the user's project can stand
in for one (docs/protocol.md, "Sandbox").
"""

from __future__ import annotations

import importlib
import sys

TYPE_CHECKING = False  # typing itself is not imported here (see above)
if TYPE_CHECKING:
    from typing import Any


def resolve(namespace: dict[str, Any], homes: dict[str, str], name: str) -> Any:
    """The package attribute `name`, from its module `homes[name]`, then kept in the
    package's `namespace` (its `globals()`) so that it is looked up once.

    A home whose own name is one of the package's names (`derivlens.sandbox.doctor`, whose
    function `doctor` the package offers) is imported first, whatever is asked for:
    importing a submodule sets the package attribute of its name to the module, and the
    function must win, as an eager `from .doctor import doctor` would.
    """
    package = namespace["__name__"]
    if name not in homes:
        raise AttributeError(f"module {package!r} has no attribute {name!r}")
    shadowing = [home for home in homes.values() if home.rpartition(".")[2] in homes]
    wanted = dict.fromkeys([*shadowing, homes[name]])
    for home in wanted:
        importlib.import_module(home)
    found = {
        other: getattr(sys.modules[home], other) for other, home in homes.items() if home in wanted
    }
    namespace.update(found)
    return found[name]
