"""The client's `derivlens` settings (docs/protocol.md, "Settings"), typed.

Settings arrive as JSON from three places (initializationOptions, workspace/configuration,
didChangeConfiguration), nested (`{"hover": {"enabled": false}}`) or dotted
(`{"hover.enabled": false}`). The plot options among them (domain, order, samples, ...)
are read by `options.read_settings`: a bad one fails the evaluations that use it with
`invalid-options`. A server setting of the wrong type is ignored with a logged note.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

import attrs

from derivlens import defaults
from derivlens.options import NAMES, Layer, Origin, read_settings

ThemeSetting = Literal["auto", "light", "dark"]
#: How a hover carries its plot (docs/protocol.md, "Hover markup per client"); `auto`
#: decides from the client (`hover.markup_for`).
HoverFormatSetting = Literal["auto", "markdown", "html", "text"]
HOVER_FORMATS: tuple[HoverFormatSetting, ...] = ("auto", "markdown", "html", "text")


@attrs.frozen
class Settings:
    plot: Layer = attrs.field(factory=lambda: Layer(Origin.SETTINGS, {}))
    hover_enabled: bool = True
    hover_timeout_s: float = defaults.HOVER_TIMEOUT_S
    hover_sparkline: bool = True
    hover_format: HoverFormatSetting = "auto"
    code_lens_enabled: bool = True
    timeout_s: float = defaults.COMMAND_TIMEOUT_S
    memory_mb: int = defaults.MEMORY_MB
    theme: ThemeSetting = "auto"
    problems: tuple[str, ...] = attrs.field(default=(), eq=False)

    @property
    def render_theme(self) -> Literal["light", "dark"]:
        return "dark" if self.theme == "dark" else "light"


def _flatten(raw: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in raw.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and key in ("hover", "codeLens"):
            flat.update(_flatten(value, f"{name}."))
        else:
            flat[name] = value
    return flat


def _number_between(low: float, high: float, kind: type) -> Callable[[Any], Any]:
    """A reader of a number setting: a JSON number from `low` to `high`, as `kind`."""

    def check(value: Any) -> Any:
        if type(value) in (int, float) and low <= value <= high:
            return kind(value)
        raise ValueError(f"{value!r} is not {low:g} to {high:g}")

    return check


def _flag(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    raise ValueError(f"{value!r} is not true or false")


def _theme(value: Any) -> ThemeSetting:
    if value in ("auto", "light", "dark"):
        return value
    raise ValueError(f"{value!r} is not auto, light or dark")


def _hover_format(value: Any) -> HoverFormatSetting:
    if value in HOVER_FORMATS:
        return value
    raise ValueError(f"{value!r} is not {', '.join(HOVER_FORMATS[:-1])} or {HOVER_FORMATS[-1]}")


#: Server settings: (setting key, attribute, reader).
SERVER_SETTINGS: tuple[tuple[str, str, Callable[[Any], Any]], ...] = (
    ("hover.enabled", "hover_enabled", _flag),
    ("hover.timeoutSeconds", "hover_timeout_s", _number_between(0.1, 600, float)),
    ("hover.sparkline", "hover_sparkline", _flag),
    ("hover.format", "hover_format", _hover_format),
    ("codeLens.enabled", "code_lens_enabled", _flag),
    ("timeoutSeconds", "timeout_s", _number_between(0.1, 3600, float)),
    ("memoryLimitMB", "memory_mb", _number_between(64, 1 << 20, int)),
    ("theme", "theme", _theme),
)


def parse_settings(raw: Any, base: Settings | None = None) -> Settings:
    """`raw` (the `derivlens` section) over `base`; unknown keys are ignored."""
    settings = base or Settings()
    if not isinstance(raw, dict):
        return settings
    flat = _flatten(raw)
    plot = read_settings(flat)
    said = {name for name in NAMES if name in flat}  # replaces the base's (null: unset)
    kept = settings.plot
    changes: dict[str, Any] = {
        "plot": Layer(
            Origin.SETTINGS,
            {**{k: v for k, v in kept.values.items() if k not in said}, **plot.values},
            {**{k: v for k, v in kept.problems.items() if k not in said}, **plot.problems},
        )
    }
    problems = [problem.message for problem in plot.problems.values()]
    for key, attribute, reader in SERVER_SETTINGS:
        if flat.get(key) is None:
            continue
        try:
            changes[attribute] = reader(flat[key])
        except ValueError as problem:
            problems.append(f"setting derivlens.{key} ignored: {problem}")
    changes["problems"] = tuple(problems)
    return attrs.evolve(settings, **changes)
