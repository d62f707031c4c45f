"""From the module the child ran to the callable it plots (in the sandboxed child).

Each kind of `locate` gets its callable its own way (docs/protocol.md, "Which
function"): a def, lambda or staticmethod is an attribute; the forward of an
`nn.Module` subclass is called through an instance built from the constructor's
defaults; the forward of an `autograd.Function` through `Class.apply`, so that its own
backward is what autograd uses; an assigned name is whatever it is bound to, and its
variables come from its runtime signature. Held parameters (with their values, integers
staying integers) and the request's `params` are applied here too.
"""

from __future__ import annotations

import functools
import inspect
import math
from collections.abc import Callable, Mapping
from typing import Any

import attrs

from derivlens.errors import DerivlensError, ErrorKind, InvalidOptions
from derivlens.locate.functions import (
    constructor_problem,
    not_a_function,
    signature_problem,
    unknown_param,
)
from derivlens.model import EvaluationRequest, FixedValue
from derivlens.text import shorten
from derivlens.vector_input import Components


@attrs.frozen
class Target:
    """What to differentiate: the callable of the variables, and the held values used."""

    function: Callable[..., Any]
    variables: tuple[str, ...]
    fixed: dict[str, FixedValue]


def find(module: Any, request: EvaluationRequest) -> Target:
    """The callable to plot, its variables and its held values."""
    if not request.components:
        return _find(module, request)
    assert request.variables is not None  # vector input is read from the source
    vector = Components.of(request.variables, request.components)
    plain = attrs.evolve(
        request,
        variables=(vector.parameter,),
        params=vector.others(request.params),
        components=0,
    )
    target = _find(module, plain)
    function = vector.call(target.function, request.params)
    return Target(function, vector.variables, {**vector.held(request.params), **target.fixed})


def _find(module: Any, request: EvaluationRequest) -> Target:
    name, kind = request.function, request.kind
    if kind == "module-forward":
        return _module_forward(module, name, request.params)
    if kind == "function-apply":
        return _function_apply(module, name, request)
    value = _attribute(module, name)
    if kind == "assigned":
        return _assigned(name, value, request.params)
    if not callable(value):
        raise DerivlensError(
            ErrorKind.NOT_FOUND, f"{name} is not a function after running the file"
        )
    variables = request.variables or ()
    return Target(_with(value, request.params), variables, _held(value, request.params))


def _attribute(module: Any, qualname: str) -> Any:
    target: Any = module
    for part in qualname.split("."):
        target = getattr(target, part, None)
    return target


def _with(function: Callable[..., Any], params: Mapping[str, float]) -> Callable[..., Any]:
    return functools.partial(function, **typed(function, params)) if params else function


def typed(function: Any, params: Mapping[str, float]) -> dict[str, Any]:
    """The request's values for held parameters. JSON has one kind of number, so a whole
    number for a parameter whose default is an int is passed as an int (`range(n)` works)."""
    try:
        defaults = {p.name: p.default for p in inspect.signature(function).parameters.values()}
    except (TypeError, ValueError):
        defaults = {}
    return {
        name: int(value) if type(defaults.get(name)) is int and float(value).is_integer() else value
        for name, value in params.items()
    }


def _held(function: Any, params: Mapping[str, float], prefix: str = "") -> dict[str, FixedValue]:
    """The parameters with defaults, as JSON values, the `params` over them."""
    try:
        parameters = list(inspect.signature(function).parameters.values())
    except (TypeError, ValueError):
        return {}
    held: dict[str, FixedValue] = {}
    for p in parameters:
        if p.default is inspect.Parameter.empty:
            continue
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            continue
        key = f"{prefix}({p.name})" if prefix else p.name
        value = params.get(key, p.default)
        if type(p.default) is int and isinstance(value, float) and value.is_integer():
            value = int(value)
        held[key] = json_value(value)
    return held


def json_value(value: Any) -> FixedValue:
    """A held value as JSON: numbers stay ints or floats, the rest its (short) repr."""
    try:
        import torch

        if isinstance(value, torch.Tensor) and value.numel() == 1:
            value = value.item()
    except ImportError:  # pragma: no cover - torch is always there in the child
        pass
    if isinstance(value, bool | int | str) or value is None:
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    return shorten(repr(value), 60)


def _module_forward(module: Any, name: str, params: Mapping[str, float]) -> Target:
    owner = name.rsplit(".", 1)[0]
    cls = _attribute(module, owner)
    own = {k[len(owner) + 1 : -1]: v for k, v in params.items() if k.startswith(f"{owner}(")}
    needed = _required(cls)
    if needed:
        raise DerivlensError(
            ErrorKind.UNSUPPORTED_SIGNATURE, constructor_problem(owner, needed, name)
        )
    try:
        instance = cls(**typed(cls, own))
    except Exception as error:
        raise _raised(f"building {owner}() from its defaults", error) from None
    if hasattr(instance, "eval"):
        instance.eval()  # dropout and batch norm as at inference
    forward_params = {k: v for k, v in params.items() if not k.startswith(f"{owner}(")}
    variables = _variables(instance.forward, name)
    fixed = {**_held(cls, params, prefix=owner), **_held(instance.forward, forward_params)}
    return Target(_with(instance, forward_params), variables, fixed)


def _required(cls: Any) -> list[str]:
    try:
        parameters = inspect.signature(cls).parameters.values()
    except (TypeError, ValueError):
        return []
    return [
        p.name
        for p in parameters
        if p.default is inspect.Parameter.empty and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
    ]


def _function_apply(module: Any, name: str, request: EvaluationRequest) -> Target:
    """`Class.apply`, whose arguments are positional: held values go after the variables."""
    owner = name.rsplit(".", 1)[0]
    cls = _attribute(module, owner)
    variables = request.variables or ()
    parameters = list(inspect.signature(cls.forward).parameters.values())[1 + len(variables) :]
    given = {p.name: request.params[p.name] for p in parameters if p.name in request.params}
    held = [typed(cls.forward, given).get(p.name, p.default) for p in parameters]

    def applied(*xs: Any) -> Any:
        return cls.apply(*xs, *held)

    return Target(applied, variables, _held(cls.forward, request.params))


def _assigned(name: str, value: Any, params: Mapping[str, float]) -> Target:
    if not callable(value):
        raise DerivlensError(ErrorKind.NOT_FOUND, not_a_function(name, _describe(value)))
    if hasattr(value, "forward") and hasattr(value, "eval"):
        value.eval()
        signed = value.forward
    else:
        signed = value
    variables = _variables(signed, name)
    held = _held(signed, {})
    unknown = [p for p in params if p not in held]
    if unknown:
        raise InvalidOptions(unknown_param(name, unknown[0], list(held)), option="params")
    return Target(_with(value, params), variables, _held(signed, params))


def _variables(function: Any, name: str) -> tuple[str, ...]:
    """Positional parameters without a default, from the runtime signature; a callable
    without a Python signature (a C function such as torch.tanh) takes one, `x`."""
    try:
        parameters = list(inspect.signature(function).parameters.values())
    except (TypeError, ValueError):
        return ("x",)
    positional = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    variables = tuple(
        p.name for p in parameters if p.kind in positional and p.default is inspect.Parameter.empty
    )
    missing = [
        p.name
        for p in parameters
        if p.kind is inspect.Parameter.KEYWORD_ONLY and p.default is inspect.Parameter.empty
    ]
    problem = signature_problem(name, variables, missing)
    if problem:
        raise DerivlensError(ErrorKind.UNSUPPORTED_SIGNATURE, problem)
    return variables


def _describe(value: Any) -> str:
    return f"{shorten(repr(value), 40)} (a {type(value).__name__})"


def _raised(what: str, error: BaseException) -> DerivlensError:
    first = str(error).strip().split("\n", 1)[0]
    return DerivlensError(ErrorKind.USER_ERROR, f"{what} raised {type(error).__name__}: {first}")
