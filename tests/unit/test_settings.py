"""Client settings, parsed in-process (no server): every source and shape, good and bad."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from derivlens import engine
from derivlens.cli import build_parser
from derivlens.errors import DerivlensError
from derivlens.locate import parse_module
from derivlens.lsp.settings import SERVER_SETTINGS, Settings, parse_settings

CURVE = "def f(x):\n    return x\n"
SURFACE = "def g(x, y):\n    return x * y\n"


def options_for(settings: Settings, source: str = CURVE, **requested: Any) -> Any:
    module = parse_module(source)
    function = module.functions[0]
    return engine.prepare(
        module, function, "user.py", settings=settings.plot, requested=requested or None
    )


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ({}, Settings()),
        ({"hover": {"enabled": False}}, Settings(hover_enabled=False)),
        ({"hover.enabled": False}, Settings(hover_enabled=False)),
        ({"hover": {"timeoutSeconds": 0.5}}, Settings(hover_timeout_s=0.5)),
        ({"hover": {"sparkline": False}}, Settings(hover_sparkline=False)),
        ({"codeLens": {"enabled": False}}, Settings(code_lens_enabled=False)),
        ({"timeoutSeconds": 20}, Settings(timeout_s=20.0)),
        ({"memoryLimitMB": 512}, Settings(memory_mb=512)),
        ({"theme": "dark"}, Settings(theme="dark")),
        ({"unknown": 1, "pythonPath": "/usr/bin/python3"}, Settings()),
    ],
)
def test_server_settings(raw: dict[str, Any], expected: Settings) -> None:
    settings = parse_settings(raw)
    assert settings == expected
    assert settings.problems == ()


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        ({"hover": {"enabled": "yes"}}, "setting derivlens.hover.enabled ignored: 'yes'"),
        ({"timeoutSeconds": 0}, "setting derivlens.timeoutSeconds ignored: 0 is not 0.1 to 3600"),
        ({"memoryLimitMB": True}, "setting derivlens.memoryLimitMB ignored: True"),
        ({"theme": "solarized"}, "'solarized' is not auto, light or dark"),
    ],
)
def test_bad_server_setting_is_ignored_with_a_note(raw: dict[str, Any], problem: str) -> None:
    settings = parse_settings(raw)
    assert attrs_except_problems(settings) == attrs_except_problems(Settings())
    assert any(problem in p for p in settings.problems), settings.problems


def attrs_except_problems(settings: Settings) -> tuple[Any, ...]:
    return (
        settings.hover_enabled,
        settings.hover_timeout_s,
        settings.code_lens_enabled,
        settings.timeout_s,
        settings.memory_mb,
        settings.theme,
    )


@pytest.mark.parametrize(
    ("raw", "domain", "samples"),
    [
        ({"domain": [-1, 1]}, (-1.0, 1.0), 401),
        ({"domain": "-pi..pi"}, (-3.141592653589793, 3.141592653589793), 401),
        ({"samples": 11}, (-5.0, 5.0), 11),
        ({"samples": 11.0}, (-5.0, 5.0), 11),
        ({"domain": [0, 2], "samples": None}, (0.0, 2.0), 401),
    ],
)
def test_plot_options_in_settings(raw: dict[str, Any], domain: Any, samples: int) -> None:
    prepared = options_for(parse_settings(raw))
    assert prepared.options.domain == domain
    assert prepared.options.samples == samples


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"samples": 1}, "setting derivlens.samples must be 2 to 100000, got 1"),
        ({"order": 7}, "setting derivlens.order must be 1 to 4, got 7"),
        ({"domain": [2, 1]}, "setting derivlens.domain: it must go from low to high, got 2..1"),
        ({"domain": "wide"}, "setting derivlens.domain: 'wide' is not a range"),
        ({"samples": "many"}, "setting derivlens.samples: it must be a whole number"),
    ],
)
def test_bad_plot_setting_fails_the_evaluations_that_use_it(
    raw: dict[str, Any], message: str
) -> None:
    settings = parse_settings(raw)
    with pytest.raises(DerivlensError) as caught:
        options_for(settings)
    assert caught.value.kind == "invalid-options"
    assert message in caught.value.message
    (key,) = raw
    # a request that sets the option itself does not use the bad setting
    good = {"domain": [0, 1], "samples": 5, "order": 2}[key]
    assert options_for(settings, **{key: good}) is not None


def test_setting_valid_for_curves_gives_way_on_a_surface_with_a_warning() -> None:
    settings = parse_settings({"samples": 1000, "order": 3})
    curve = options_for(settings)
    assert (curve.options.samples, curve.options.order, curve.settled[1].warnings) == (1000, 3, ())
    surface = options_for(settings, SURFACE)
    assert (surface.options.samples, surface.options.order) == (61, 1)
    warnings = surface.request.settled["2"].warnings
    assert [w.message for w in warnings] == [
        "setting derivlens.order must be 1 for a function of two variables, got 3; "
        "using the default",
        "setting derivlens.samples must be 2 to 401 for a function of two variables, got "
        "1000; using the default",
    ]
    assert [w.kind.value for w in warnings] == ["options", "options"]


def test_later_configuration_goes_over_initialization_options() -> None:
    initial = parse_settings({"domain": [-2, 3], "samples": 1, "hover": {"enabled": False}})
    later = parse_settings({"samples": 21}, base=initial)
    prepared = options_for(later)
    assert prepared.options.domain == (-2.0, 3.0)  # from the initial settings
    assert prepared.options.samples == 21  # the bad initial value is replaced
    assert later.hover_enabled is False


def test_a_null_setting_clears_what_the_initialization_options_said() -> None:
    initial = parse_settings({"samples": 11, "domain": [0, 1]})
    cleared = parse_settings({"samples": None}, base=initial)
    prepared = options_for(cleared)
    assert prepared.options.samples == 401
    assert prepared.options.domain == (0.0, 1.0)


def test_the_server_settings_default_as_the_vs_code_client_says() -> None:
    """A user reads the defaults in VS Code's settings UI (package.json) before the server
    starts: they are the server's own, and the command line's."""
    manifest = Path(__file__).resolve().parents[2] / "client-vscode" / "package.json"
    declared = json.loads(manifest.read_text())["contributes"]["configuration"]["properties"]
    settings = Settings()
    compared = set()
    for key, attribute, reader in SERVER_SETTINGS:
        if f"derivlens.{key}" not in declared:  # hover.sparkline: the VS Code client sends false
            continue
        setting = declared[f"derivlens.{key}"]
        assert setting["default"] == getattr(settings, attribute), key
        if "minimum" in setting:  # the least value the server takes is the declared one
            assert reader(setting["minimum"]) == setting["minimum"], key
            with pytest.raises(ValueError):
                reader(setting["minimum"] * 0.99)
        compared.add(key)
    assert {"memoryLimitMB", "timeoutSeconds", "hover.timeoutSeconds"} <= compared
    plot = build_parser().parse_args(["plot", "f.py", "--function", "f"])
    assert (plot.timeout, plot.memory_mb) == (settings.timeout_s, settings.memory_mb)
