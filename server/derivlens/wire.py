"""JSON to the contract's types and back, strictly (the types are in `model.py`).

A sandboxed child's reply is hostile input, so `CONVERTER` is strict on purpose: a number
is a finite int or float (never a bool or a string), text is text, a list is a list, an
enum value is one of its members, no unknown keys, and text fields are capped by the
types themselves. `structure` turns any misfit into `Malformed`, saying what and where.
"""

from __future__ import annotations

import json
import math
import typing
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


class Malformed(ValueError):
    """JSON that does not fit the contract; the message says where."""


def _strict_float(value: Any, _type: Any = float) -> float:
    if type(value) in (float, int) and math.isfinite(value):
        return float(value)
    raise ValueError(f"expected a finite number, got {_describe(value)}")


def _strict_int(value: Any, _type: Any = int) -> int:
    if type(value) is int:
        return value
    raise ValueError(f"expected a whole number, got {_describe(value)}")


def _strict_str(value: Any, _type: Any = str) -> str:
    if isinstance(value, str):
        return value
    raise ValueError(f"expected text, got {_describe(value)}")


def _strict_bool(value: Any, _type: Any = bool) -> bool:
    if isinstance(value, bool):
        return value
    raise ValueError(f"expected true or false, got {_describe(value)}")


def _strict_enum(value: Any, kind: Any) -> Any:
    try:
        return kind(value)
    except ValueError:
        allowed = ", ".join(member.value for member in kind)
        raise ValueError(f"expected one of {allowed}, got {_describe(value)}") from None


def _optional_float(value: Any, _type: Any = None) -> float | None:
    return None if value is None else _strict_float(value)


def _series(value: Any, _type: Any = None) -> list[float | None]:
    if type(value) is not list:
        raise ValueError(f"expected a list of numbers, got {_describe(value)}")
    # The common case first, at C speed: every item is a finite float or None.
    if all((type(v) is float and math.isfinite(v)) or v is None for v in value):
        return value
    return [_optional_float(v) for v in value]


def _fixed_value(value: Any, _type: Any = None) -> FixedValue:
    if value is None or isinstance(value, bool) or type(value) is int:
        return value
    if type(value) is float:
        return _strict_float(value)
    if isinstance(value, str):
        return capped(value, MAX_NAME)
    raise ValueError(f"expected a number or text, got {_describe(value)}")


def _describe(value: Any) -> str:
    text = json.dumps(value, allow_nan=True, default=repr)
    return text if len(text) <= 40 else text[:39] + "…"


def _is_list(t: Any) -> bool:
    return typing.get_origin(t) is list and t != Series


def _is_tuple(t: Any) -> bool:
    return typing.get_origin(t) is tuple


def _is_dict(t: Any) -> bool:
    return typing.get_origin(t) is dict


def _list_hook(converter: cattrs.Converter) -> Callable[[Any], Callable[[Any, Any], Any]]:
    def factory(t: Any) -> Callable[[Any, Any], Any]:
        (item,) = typing.get_args(t)
        hook = converter.get_structure_hook(item)

        def structure(value: Any, _t: Any) -> list[Any]:
            if type(value) is not list:
                raise ValueError(f"expected a list, got {_describe(value)}")
            return [hook(v, item) for v in value]

        return structure

    return factory


def _tuple_hook(converter: cattrs.Converter) -> Callable[[Any], Callable[[Any, Any], Any]]:
    def factory(t: Any) -> Callable[[Any, Any], Any]:
        args = typing.get_args(t)
        if len(args) == 2 and args[1] is Ellipsis:
            hook = converter.get_structure_hook(args[0])

            def many(value: Any, _t: Any) -> tuple[Any, ...]:
                if type(value) is not list:
                    raise ValueError(f"expected a list, got {_describe(value)}")
                return tuple(hook(v, args[0]) for v in value)

            return many
        hooks = [converter.get_structure_hook(a) for a in args]

        def fixed(value: Any, _t: Any) -> tuple[Any, ...]:
            if type(value) not in (list, tuple) or len(value) != len(args):
                raise ValueError(f"expected a list of {len(args)}, got {_describe(value)}")
            return tuple(h(v, a) for h, v, a in zip(hooks, value, args, strict=True))

        return fixed

    return factory


def _dict_hook(converter: cattrs.Converter) -> Callable[[Any], Callable[[Any, Any], Any]]:
    def factory(t: Any) -> Callable[[Any, Any], Any]:
        _key, item = typing.get_args(t)
        hook = converter.get_structure_hook(item)

        def structure(value: Any, _t: Any) -> dict[str, Any]:
            if type(value) is not dict:
                raise ValueError(f"expected an object, got {_describe(value)}")
            return {_strict_str(k): hook(v, item) for k, v in value.items()}

        return structure

    return factory


def _result_hook(converter: cattrs.Converter) -> Callable[[Any, Any], Result]:
    """A result's shape from its keys: `gradient` is a surface, `outputs` a vector."""
    hooks = {cls: converter.get_structure_hook(cls) for cls in RESULT_TYPES}

    def structure(value: Any, _t: Any) -> Result:
        if type(value) is not dict:
            raise ValueError(f"expected a result object, got {_describe(value)}")
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
    converter = cattrs.Converter(
        forbid_extra_keys=True,
        prefer_attrib_converters=True,
        unstruct_collection_overrides={tuple: list},  # plain JSON: lists, never tuples
    )
    # Containers first: hooks registered later (the specific ones below) take precedence.
    converter.register_structure_hook_factory(_is_list, _list_hook(converter))
    converter.register_structure_hook_factory(_is_tuple, _tuple_hook(converter))
    converter.register_structure_hook_factory(_is_dict, _dict_hook(converter))
    for primitive, hook in (
        (float, _strict_float),
        (int, _strict_int),
        (str, _strict_str),
        (bool, _strict_bool),
    ):
        converter.register_structure_hook(primitive, hook)
    for enum in (ErrorKind, WarningKind):  # str subclasses: the str hook would take them
        converter.register_structure_hook(enum, _strict_enum)

    # Unions and generic aliases are matched by equality (singledispatch cannot take them).
    def exactly(target: Any, hook: Callable[[Any, Any], Any]) -> None:
        converter.register_structure_hook_func(lambda t: t == target, hook)

    exactly(float | None, _optional_float)
    exactly(Series, _series)
    exactly(FixedValue, _fixed_value)
    # These two build their members' hooks now, so they come after the hooks above.
    exactly(Image | ImageFile | None, _image_hook(converter))
    exactly(Result, _result_hook(converter))
    return converter


CONVERTER = _make_converter()


def structure(value: Any, cls: Any) -> Any:
    """`value` (parsed JSON) as `cls`, or `Malformed` saying what does not fit, and where."""
    try:
        return CONVERTER.structure(value, cls)
    except (cattrs.BaseValidationError, ValueError, TypeError, KeyError) as error:
        details = (
            cattrs.transform_error(error, format_exception=lambda e, _t: str(e))
            if isinstance(error, cattrs.BaseValidationError)
            else [str(error)]
        )
        shown = "; ".join(details[:3]) + ("; …" if len(details) > 3 else "")
        raise Malformed(shown[:400]) from None


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
