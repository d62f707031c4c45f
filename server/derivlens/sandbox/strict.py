"""A strict cattrs converter: JSON to attrs classes and back, refusing every misfit.

What crosses a process boundary is read with it: the sandbox's control channel
(`channel`) and the application's payload (`derivlens.wire` adds its own types to one
made here). Strict on purpose, since a sandboxed child's words are hostile input: a
number is a finite int or float (never a bool or a string), text is text, a list is a
list, an enum value is one of its members, no unknown keys. A field typed `Any` is
passed through untouched both ways (the application checks its own JSON). `structure`
turns any misfit into `Malformed`, saying what and where.
"""

from __future__ import annotations

import json
import math
import typing
from collections.abc import Callable
from typing import Any

import cattrs


class Malformed(ValueError):
    """JSON that does not fit the expected type; the message says where."""


def strict_float(value: Any, _type: Any = float) -> float:
    if type(value) in (float, int) and math.isfinite(value):
        return float(value)
    raise ValueError(f"expected a finite number, got {describe(value)}")


def strict_int(value: Any, _type: Any = int) -> int:
    if type(value) is int:
        return value
    raise ValueError(f"expected a whole number, got {describe(value)}")


def strict_str(value: Any, _type: Any = str) -> str:
    if isinstance(value, str):
        return value
    raise ValueError(f"expected text, got {describe(value)}")


def strict_bool(value: Any, _type: Any = bool) -> bool:
    if isinstance(value, bool):
        return value
    raise ValueError(f"expected true or false, got {describe(value)}")


def strict_enum(value: Any, kind: Any) -> Any:
    try:
        return kind(value)
    except ValueError:
        allowed = ", ".join(member.value for member in kind)
        raise ValueError(f"expected one of {allowed}, got {describe(value)}") from None


def optional(hook: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
    """`hook`, or None for a JSON null."""

    def structure(value: Any, t: Any) -> Any:
        return None if value is None else hook(value, t)

    return structure


def describe(value: Any) -> str:
    """A JSON value, shortened for a message."""
    text = json.dumps(value, allow_nan=True, default=repr)
    return text if len(text) <= 40 else text[:39] + "…"


Factory = Callable[[Any], Callable[[Any, Any], Any]]


def _list_hook(converter: cattrs.Converter) -> Factory:
    def factory(t: Any) -> Callable[[Any, Any], Any]:
        (item,) = typing.get_args(t)
        hook = converter.get_structure_hook(item)

        def structure(value: Any, _t: Any) -> list[Any]:
            if type(value) is not list:
                raise ValueError(f"expected a list, got {describe(value)}")
            return [hook(v, item) for v in value]

        return structure

    return factory


def _tuple_hook(converter: cattrs.Converter) -> Factory:
    def factory(t: Any) -> Callable[[Any, Any], Any]:
        args = typing.get_args(t)
        if len(args) == 2 and args[1] is Ellipsis:
            hook = converter.get_structure_hook(args[0])

            def many(value: Any, _t: Any) -> tuple[Any, ...]:
                if type(value) is not list:
                    raise ValueError(f"expected a list, got {describe(value)}")
                return tuple(hook(v, args[0]) for v in value)

            return many
        hooks = [converter.get_structure_hook(a) for a in args]

        def fixed(value: Any, _t: Any) -> tuple[Any, ...]:
            if type(value) not in (list, tuple) or len(value) != len(args):
                raise ValueError(f"expected a list of {len(args)}, got {describe(value)}")
            return tuple(h(v, a) for h, v, a in zip(hooks, value, args, strict=True))

        return fixed

    return factory


def _dict_hook(converter: cattrs.Converter) -> Factory:
    def factory(t: Any) -> Callable[[Any, Any], Any]:
        _key, item = typing.get_args(t)
        hook = converter.get_structure_hook(item)

        def structure(value: Any, _t: Any) -> dict[str, Any]:
            if type(value) is not dict:
                raise ValueError(f"expected an object, got {describe(value)}")
            return {strict_str(k): hook(v, item) for k, v in value.items()}

        return structure

    return factory


def _passed_through(value: Any, _type: Any = Any) -> Any:
    return value


def make_converter(generic_list: Callable[[Any], bool] | None = None) -> cattrs.Converter:
    """A strict converter for plain JSON (lists, never tuples). `generic_list` says which
    `list[...]` types the strict list hook takes (the caller may have its own for some)."""
    converter = cattrs.Converter(
        forbid_extra_keys=True,
        prefer_attrib_converters=True,
        unstruct_collection_overrides={tuple: list},
    )

    def is_list(t: Any) -> bool:
        listed = typing.get_origin(t) is list
        return listed and (generic_list is None or generic_list(t))

    # Containers first: hooks registered later (the specific ones) take precedence.
    converter.register_structure_hook_factory(is_list, _list_hook(converter))
    converter.register_structure_hook_factory(
        lambda t: typing.get_origin(t) is tuple, _tuple_hook(converter)
    )
    converter.register_structure_hook_factory(
        lambda t: typing.get_origin(t) is dict, _dict_hook(converter)
    )
    for primitive, hook in (
        (float, strict_float),
        (int, strict_int),
        (str, strict_str),
        (bool, strict_bool),
    ):
        converter.register_structure_hook(primitive, hook)
    # `Any` both ways as it is: not walked at run time (a result holds ~100k numbers).
    converter.register_structure_hook_func(lambda t: t is Any, _passed_through)
    converter.register_unstructure_hook_func(lambda t: t is Any, _passed_through)
    return converter


def structure(converter: cattrs.Converter, value: Any, cls: Any) -> Any:
    """`value` (parsed JSON) as `cls`, or `Malformed` saying what does not fit, and where."""
    try:
        return converter.structure(value, cls)
    except (cattrs.BaseValidationError, ValueError, TypeError, KeyError) as error:
        details = (
            cattrs.transform_error(error, format_exception=_phrase)
            if isinstance(error, cattrs.BaseValidationError)
            else [str(error)]
        )
        shown = "; ".join(details[:3]) + ("; …" if len(details) > 3 else "")
        raise Malformed(shown[:400]) from None


def _phrase(error: BaseException, _type: Any) -> str:
    """One misfit in words (cattrs says "Extra fields in constructor for …", or a key)."""
    if isinstance(error, cattrs.ForbiddenExtraKeysError):
        return f"unknown fields {', '.join(sorted(error.extra_fields))[:80]}"
    if isinstance(error, KeyError):
        return "a field is missing"
    return str(error)
