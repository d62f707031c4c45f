"""The JupyterLab spec (jupyter-lsp's `jupyter_lsp_spec_v1` entry point), without
JupyterLab: opt-in, the fields jupyter-lsp needs, and a settings schema whose defaults the
server reads without a problem."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from typing import Any

import pytest

try:
    import tomllib
except ImportError:  # Python 3.10: pytest's own dependency
    import tomli as tomllib

from derivlens import jupyter_spec
from derivlens.lsp.settings import SERVER_SETTINGS, Settings, parse_settings
from derivlens.options import NAMES

ROOT = Path(__file__).resolve().parents[2]


def entry_point() -> Any:
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["entry-points"]
    module, _, name = declared["jupyter_lsp_spec_v1"]["derivlens"].partition(":")
    return getattr(importlib.import_module(module), name)


def test_without_opting_in_jupyter_lsp_gets_no_server(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(jupyter_spec.OPT_IN, raising=False)
    assert entry_point()(object()) == {}  # so pylsp/pyright keep the notebooks
    assert jupyter_spec.spec(None, {jupyter_spec.OPT_IN: "0"}) == {}


@pytest.mark.parametrize("value", ["1", "true", "yes"])
def test_opted_in_the_spec_starts_derivlens_in_this_python(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv(jupyter_spec.OPT_IN, value)
    specs = entry_point()(object())
    assert list(specs) == ["derivlens"]
    spec = specs["derivlens"]
    assert spec["version"] == 2
    assert spec["argv"] == [sys.executable, "-m", "derivlens", "serve"]
    assert spec["languages"] == ["python"]
    assert spec["mime_types"] == ["text/python", "text/x-ipython"]
    assert spec["requires_documents_on_disk"] is False
    assert spec["display_name"].startswith("derivlens")
    assert spec["workspace_configuration"] == {"derivlens.hover.format": "html"}


def _expand(dotted: dict[str, Any]) -> dict[str, Any]:
    """Dotted keys nested, as jupyterlab-lsp sends them in didChangeConfiguration."""
    nested: dict[str, Any] = {}
    for key, value in dotted.items():
        *parents, last = key.split(".")
        place = nested
        for part in parents:
            place = place.setdefault(part, {})
        place[last] = value
    return nested


def test_the_schema_lists_every_setting_and_its_defaults_parse_cleanly() -> None:
    spec = jupyter_spec.server_spec()
    properties = spec["config_schema"]["properties"]
    expected = {f"derivlens.{name}" for name in NAMES} | {
        f"derivlens.{key}" for key, _attribute, _reader in SERVER_SETTINGS
    }
    assert set(properties) == expected
    assert properties["derivlens.order"]["minimum"] == 1
    assert properties["derivlens.order"]["maximum"] == 4
    assert properties["derivlens.samples"]["maximum"] == 100_000
    assert properties["derivlens.theme"]["enum"] == ["auto", "light", "dark"]
    assert properties["derivlens.hover.format"]["enum"] == ["auto", "markdown", "html", "text"]
    # What JupyterLab sends by default: the schema's defaults, the spec's overrides on top.
    defaults = {key: prop["default"] for key, prop in properties.items()}
    defaults.update(spec["workspace_configuration"])
    settings = parse_settings(_expand(defaults)["derivlens"])
    assert settings.problems == ()
    assert settings == Settings(hover_format="html")


def test_a_user_setting_from_the_schema_reaches_the_server() -> None:
    sent = _expand({"derivlens.domain": [-2, 2], "derivlens.memoryLimitMB": 1024})
    settings = parse_settings(sent["derivlens"])
    assert settings.memory_mb == 1024 and settings.plot.values["domain"] == (-2.0, 2.0)
