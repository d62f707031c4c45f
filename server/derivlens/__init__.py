"""derivlens: plot a Python function and its exact derivatives right in the editor."""

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
    if name not in _LAZY:
        raise AttributeError(f"module 'derivlens' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(_LAZY[name]), name)


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})
