"""derivlens: plot a Python function and its exact derivatives right in the editor."""

__version__ = "0.1.0"
