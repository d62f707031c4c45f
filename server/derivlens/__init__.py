"""derivlens: plot a Python function and its exact derivatives right in the editor."""

__version__ = "0.1.0"

#: The sandbox application: the module the sandbox's warm worker loads (derivlens.runner
#: runs the user's code, differentiates and draws; see derivlens.sandbox).
SANDBOX_APP = "derivlens.runner"
