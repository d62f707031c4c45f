"""Sliders for the held parameters of a kernel result (`result.sliders()`, ipywidgets).

One slider per held parameter whose value is a number, over the bounds the VS Code panel
gives it (docs/protocol.md, "In a notebook kernel"): moving one evaluates the function
again with that value in `params` and shows the new PNG. Needs ipywidgets, which is
imported only here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

#: Float sliders move in this many steps across their bounds.
STEPS = 100


def bounds(value: float, integer: bool) -> tuple[float, float]:
    """The slider's range for a default `value` (the panel's rule: 0 to twice it)."""
    if integer:
        if value == 0:
            return -10, 10
        return (0, max(2 * value, 10)) if value > 0 else (min(2 * value, -10), 0)
    if value == 0:
        return -1.0, 1.0
    return (0.0, 2 * value) if value > 0 else (2 * value, 0.0)


def numeric_params(fixed: dict[str, Any]) -> dict[str, int | float]:
    """The held values a slider can move: numbers, not bools or text."""
    return {k: v for k, v in fixed.items() if type(v) in (int, float)}


def sliders(result: Any, replot: Callable[[dict[str, float]], Any]) -> Any:
    """A widget: a slider per numeric held parameter above the plot, which follows them.
    Its `result` attribute is the latest result."""
    import ipywidgets

    held = numeric_params(result.fixed)
    controls = {name: _slider(name, value) for name, value in held.items()}
    image = ipywidgets.Image(value=result.image("png"), format="png", width=1000)
    box = ipywidgets.VBox([*controls.values(), image])
    box.result = result

    def changed(_change: Any) -> None:
        box.result = replot({name: control.value for name, control in controls.items()})
        image.value = box.result.image("png")

    for control in controls.values():
        control.observe(changed, names="value")
    return box


def _slider(name: str, value: int | float) -> Any:
    import ipywidgets

    integer = type(value) is int
    lo, hi = bounds(value, integer)
    if integer:
        return ipywidgets.IntSlider(value=value, min=lo, max=hi, step=1, description=name)
    step = (hi - lo) / STEPS
    return ipywidgets.FloatSlider(value=value, min=lo, max=hi, step=step, description=name)
