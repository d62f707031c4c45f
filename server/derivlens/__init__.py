"""derivlens: plot a Python function and its exact derivatives right in the editor.

This module imports nothing: `python -m derivlens` runs it before `derivlens.safepath` can
take the working folder off `sys.path`, and a module imported here could come from the
user's project (docs/protocol.md, "Sandbox").
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing itself is not imported here (see above)
if TYPE_CHECKING:
    from typing import Any

__version__ = "0.1.0"

#: The sandbox application: the module the sandbox's warm worker loads (derivlens.runner
#: runs the user's code, differentiates and draws; see derivlens.sandbox).
SANDBOX_APP = "derivlens.runner"

#: Names resolved on first use, so that `import derivlens` (which the language server
#: does) imports neither torch nor matplotlib (docs/protocol.md, "In a notebook kernel").
_LAZY = {
    "plot": "derivlens.kernel",
    "DerivlensError": "derivlens.errors",
    "load_ipython_extension": "derivlens.magic",
}


def __getattr__(name: str) -> Any:
    import importlib  # loaded at interpreter start-up already (importlib._bootstrap)

    return importlib.import_module("derivlens.lazy").resolve(globals(), _LAZY, name)


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})
