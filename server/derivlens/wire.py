"""JSON to the contract's types and back, strictly (the types are in `model.py`).

A sandboxed child's reply is hostile input, so `CONVERTER` is the sandbox's strict one
(`sandbox.strict`: a number is a finite int or float, text is text, no unknown keys, …)
with the contract's own types added; text fields are capped by the types themselves.
`structure` turns any misfit into `Malformed`, saying what and where.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import attrs
import cattrs

from derivlens.errors import DerivlensError, ErrorKind
from derivlens.model import (
    MAX_NAME,
    RESULT_KEYS,
    RESULT_TYPES,
    CurvesResult,
    Discontinuity,
    FixedValue,
    Image,
    ImageFile,
    Result,
    Series,
    SurfaceResult,
    VectorCurvesResult,
    WarningKind,
    capped,
)
from derivlens.sandbox import strict
from derivlens.sandbox.strict import Malformed, describe, strict_float

__all__ = ["CONVERTER", "Malformed", "error_json", "result_json", "structure", "unstructure"]


def _optional_float(value: Any, _type: Any = None) -> float | None:
    return None if value is None else strict_float(value)


def _series(value: Any, _type: Any = None) -> list[float | None]:
    if type(value) is not list:
        raise ValueError(f"expected a list of numbers, got {describe(value)}")
    # The common case first, at C speed: every item is a finite float or None.
    if all((type(v) is float and math.isfinite(v)) or v is None for v in value):
        return value
    return [_optional_float(v) for v in value]


def _fixed_value(value: Any, _type: Any = None) -> FixedValue:
    if value is None or isinstance(value, bool) or type(value) is int:
        return value
    if type(value) is float:
        return strict_float(value)
    if isinstance(value, str):
        return capped(value, MAX_NAME)
    raise ValueError(f"expected a number or text, got {describe(value)}")


def _result_hook(converter: cattrs.Converter) -> Callable[[Any, Any], Result]:
    """A result's shape from its keys: `gradient` is a surface, `outputs` a vector."""
    hooks = {cls: converter.get_structure_hook(cls) for cls in RESULT_TYPES}

    def structure(value: Any, _t: Any) -> Result:
        if type(value) is not dict:
            raise ValueError(f"expected a result object, got {describe(value)}")
        cls: type[Result]
        if "gradient" in value:
            cls = SurfaceResult
        elif "outputs" in value:
            cls = VectorCurvesResult
        else:
            cls = CurvesResult
        result: Result = hooks[cls](value, cls)
        return result

    return structure


def _image_hook(converter: cattrs.Converter) -> Callable[[Any, Any], Image | ImageFile | None]:
    image, file = converter.get_structure_hook(Image), converter.get_structure_hook(ImageFile)

    def structure(value: Any, _t: Any) -> Image | ImageFile | None:
        if value is None:
            return None
        if type(value) is dict and "path" in value:
            return file(value, ImageFile)
        return image(value, Image)

    return structure


def _make_converter() -> cattrs.Converter:
    converter = strict.make_converter(generic_list=lambda t: t != Series)
    for enum in (ErrorKind, WarningKind):  # str subclasses: the str hook would take them
        converter.register_structure_hook(enum, strict.strict_enum)

    # Unions and generic aliases are matched by equality (singledispatch cannot take them).
    def exactly(target: Any, hook: Callable[[Any, Any], Any]) -> None:
        converter.register_structure_hook_func(lambda t: t == target, hook)

    exactly(float | None, _optional_float)
    exactly(Series, _series)
    exactly(FixedValue, _fixed_value)
    # These two build their members' hooks now, so they come after the hooks above.
    exactly(Image | ImageFile | None, _image_hook(converter))
    exactly(Result, _result_hook(converter))
    # A curve's discontinuity has no `y` key (model.ONLY_WHEN_SET, one level down).
    converter.register_unstructure_hook(
        Discontinuity, lambda d: {"x": d.x, "order": d.order, **({} if d.y is None else {"y": d.y})}
    )
    return converter


CONVERTER = _make_converter()


def structure(value: Any, cls: Any) -> Any:
    """`value` (parsed JSON) as `cls`, or `Malformed` saying what does not fit, and where."""
    return strict.structure(CONVERTER, value, cls)


def unstructure(value: Any) -> Any:
    return CONVERTER.unstructure(value)


#: Result keys present only when they have a value (see model.ONLY_WHEN_SET).
_ONLY_WHEN_SET = frozenset(
    f.name for cls in RESULT_TYPES for f in attrs.fields(cls) if f.metadata.get("only_when_set")
)


def result_json(result: Result) -> dict[str, Any]:
    """A result as the JSON object of docs/protocol.md, its keys in the documented order."""
    raw = CONVERTER.unstructure(result)
    return {
        key: raw[key]
        for key in RESULT_KEYS
        if key in raw and not (key in _ONLY_WHEN_SET and raw[key] is None)
    }


def error_json(error: DerivlensError) -> dict[str, Any]:
    """`{"error": {"kind", "message"}}`: how every failure is printed or sent."""
    info: dict[str, Any] = {"kind": error.kind.value, "message": error.message}
    return {"error": info}
