"""The JupyterLab language-server spec (jupyter-lsp's `jupyter_lsp_spec_v1` entry point).

Opt-in: jupyterlab-lsp uses only the top-ranked server per language, so a derivlens spec
found by default would take notebooks away from the user's pylsp or pyright. `spec` gives
jupyter-lsp nothing unless the Jupyter server's environment sets `DERIVLENS_JUPYTERLAB=1`;
`server_spec()` is the spec itself, for a `jupyter_server_config.py` (README, "In
JupyterLab"). Its `config_schema` is generated from the options table (`options.py`) and
the server settings (`settings.py`), so JupyterLab's settings UI lists what the server
reads; the hover format is `html` there (docs/protocol.md, "Hover markup per client").
"""

from __future__ import annotations

import os
import sys
import typing
from collections.abc import Mapping
from typing import Any

from derivlens.lsp import settings as server_settings
from derivlens.options import Kind, specs

#: The environment variable that turns the entry point on.
OPT_IN = "DERIVLENS_JUPYTERLAB"
KEY = "derivlens"
SPEC_VERSION = 2
#: What JupyterLab's settings UI says of the server settings (the options say their own).
SERVER_SETTING_HELP = {
    "hover.enabled": "show a plot when hovering a function's name or def line",
    "hover.timeoutSeconds": "time limit of a hover's evaluation",
    "hover.sparkline": "block-character sparklines in the hover (for clients without images)",
    "hover.format": "how the hover carries the plot: html for JupyterLab (docs/protocol.md)",
    "codeLens.enabled": "code lenses above functions (JupyterLab shows none)",
    "timeoutSeconds": "time limit of a command's evaluation",
    "memoryLimitMB": "memory limit of an evaluation",
    "theme": "the plot's colours: auto (light), light or dark",
}
_ENUMS = {
    "hover.format": server_settings.HOVER_FORMATS,
    "theme": typing.get_args(server_settings.ThemeSetting),
}


def opted_in(environ: Mapping[str, str]) -> bool:
    return environ.get(OPT_IN, "").strip().lower() in ("1", "true", "yes", "on")


def _option_property(kind: Kind, help_text: str, bounds: Mapping[int, tuple[int, int]]) -> dict:
    if kind is Kind.INTERVAL:
        interval = {"type": "number"}
        return {
            "type": ["array", "null"],
            "items": interval,
            "minItems": 2,
            "maxItems": 2,
            "default": None,
            "description": help_text,
        }
    low = min(b[0] for b in bounds.values())
    high = max(b[1] for b in bounds.values())
    return {
        "type": ["integer", "null"],
        "minimum": low,
        "maximum": high,
        "default": None,
        "description": help_text,
    }


def _server_property(key: str, default: Any) -> dict:
    prop: dict[str, Any] = {"default": default, "description": SERVER_SETTING_HELP[key]}
    if key in _ENUMS:
        prop.update(type="string", enum=list(_ENUMS[key]))
    elif isinstance(default, bool):
        prop["type"] = "boolean"
    elif isinstance(default, int):
        prop["type"] = "integer"
    else:
        prop["type"] = "number"
    return prop


def config_schema() -> dict[str, Any]:
    """The settings JupyterLab shows, as dotted `derivlens.…` keys (jupyterlab-lsp sends
    them nested, `{"derivlens": {...}}`, through didChangeConfiguration)."""
    properties: dict[str, Any] = {}
    for name, spec in specs():
        properties[f"{KEY}.{name}"] = _option_property(spec.kind, spec.help, spec.bounds)
    defaults = server_settings.Settings()
    for key, attribute, _reader in server_settings.SERVER_SETTINGS:
        properties[f"{KEY}.{key}"] = _server_property(key, getattr(defaults, attribute))
    return {"title": "derivlens", "type": "object", "properties": properties}


def server_spec(python: str | None = None) -> dict[str, Any]:
    """The spec: the server in this Python (the Jupyter server's, torch there)."""
    return {
        "version": SPEC_VERSION,
        "display_name": "derivlens (plots of functions and their derivatives)",
        "argv": [python or sys.executable, "-m", "derivlens", "serve"],
        "languages": ["python"],
        "mime_types": ["text/python", "text/x-ipython"],
        "requires_documents_on_disk": False,
        "config_schema": config_schema(),
        "workspace_configuration": {f"{KEY}.hover.format": "html"},
    }


def spec(_manager: Any = None, environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """jupyter-lsp's entry point: the spec when opted in, else nothing."""
    if not opted_in(os.environ if environ is None else environ):
        return {}
    return {KEY: server_spec()}
