"""The client's `derivlens` settings (SPEC §6), typed, with lenient parsing.

Settings arrive as JSON from three places (initializationOptions, workspace/configuration,
didChangeConfiguration), nested (`{"hover": {"enabled": false}}`) or dotted
(`{"hover.enabled": false}`). A value of the wrong type is ignored with a note rather
than breaking the server.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Literal

from derivlens.options import PlotOptions, settings_options

ThemeSetting = Literal["auto", "light", "dark"]


@dataclass(frozen=True)
class Settings:
    plot: PlotOptions = field(default_factory=PlotOptions)
    hover_enabled: bool = True
    hover_timeout_s: float = 3.0
    code_lens_enabled: bool = True
    timeout_s: float = 10.0
    memory_mb: int = 2048
    theme: ThemeSetting = "auto"
    problems: tuple[str, ...] = field(default=(), compare=False)

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


def parse_settings(raw: Any, base: Settings | None = None) -> Settings:
    """`raw` (the `derivlens` section) over `base`; unknown keys are ignored."""
    settings = base or Settings()
    if not isinstance(raw, dict):
        return settings
    flat = _flatten(raw)
    problems: list[str] = []
    plot, plot_problems = settings_options(flat)
    problems += plot_problems
    changes: dict[str, Any] = {"plot": plot.over(settings.plot)}

    def number(key: str, attribute: str, low: float, high: float, kind: type = float) -> None:
        value = flat.get(key)
        if value is None:
            return
        if isinstance(value, int | float) and not isinstance(value, bool) and low <= value <= high:
            changes[attribute] = kind(value)
        else:
            problems.append(f"setting derivlens.{key} ignored: {value!r} is not {low}..{high}")

    def flag(key: str, attribute: str) -> None:
        value = flat.get(key)
        if isinstance(value, bool):
            changes[attribute] = value
        elif value is not None:
            problems.append(f"setting derivlens.{key} ignored: {value!r} is not true/false")

    flag("hover.enabled", "hover_enabled")
    flag("codeLens.enabled", "code_lens_enabled")
    number("hover.timeoutSeconds", "hover_timeout_s", 0.1, 600)
    number("timeoutSeconds", "timeout_s", 0.1, 3600)
    number("memoryLimitMB", "memory_mb", 64, 1 << 20, int)
    theme = flat.get("theme")
    if theme in ("auto", "light", "dark"):
        changes["theme"] = theme
    elif theme is not None:
        problems.append(f"setting derivlens.theme ignored: {theme!r} is not auto, light or dark")
    changes["problems"] = tuple(problems)
    return replace(settings, **changes)
