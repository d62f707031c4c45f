"""The child side of an evaluation: run the sliced user code, differentiate, render.

This is the only module that executes user code. It runs inside the sandbox's child
process (never in the CLI or the language server), takes a JSON-able request and
returns a JSON-able reply — `{"result": {...}}` or `{"error": {"kind", "message"}}` —
and never raises, so a broken function can only ever produce an error reply.
"""

from __future__ import annotations

import base64
import builtins
import inspect
import math
import os
import sys
import traceback
import types
import warnings
from typing import Any

from derivlens.errors import DerivlensError

MODULE_NAME = "__derivlens_user__"


def warm_up() -> None:
    """Import and exercise torch, torch.func and matplotlib once, before any fork.

    `torch.set_num_threads(1)` must come before the first torch op: a forked child of a
    process that ran a multi-threaded op deadlocks on its first parallel op.
    """
    import torch

    torch.set_num_threads(1)
    torch.set_default_dtype(torch.float64)
    from derivlens import calculus, plotting

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        curves = calculus.differentiate_1d(lambda x: torch.sin(x) * x**2, (-1.0, 1.0), 64, 2)
        calculus.differentiate_1d(lambda x: x if x > 0 else -x, (-1.0, 1.0), 8, 1)
        calculus.differentiate_1d(math.sin, (-1.0, 1.0), 8, 1)
        surface = calculus.differentiate_2d(lambda x, y: x * x + y, (-1.0, 1.0), (-1.0, 1.0), 9)
    for result in (
        curves_result("warm", ["x"], {}, (-1.0, 1.0), 2, curves),
        surface_result("warm", {}, (-1.0, 1.0), (-1.0, 1.0), surface),
    ):
        for size in ("hover", "panel"):
            plotting.render(result, fmt="png", theme="light", size=size)


def run_request(request: dict[str, Any]) -> dict[str, Any]:
    """Evaluate one request; every failure becomes an error reply with a SPEC §5 kind."""
    try:
        return {"result": evaluate(request)}
    except DerivlensError as error:
        return error.to_json()
    except MemoryError:
        return _memory_error(request)
    except Exception as error:
        from derivlens.calculus import is_allocation_failure

        if is_allocation_failure(error):
            return _memory_error(request)
        return DerivlensError(
            "internal", f"derivlens failed unexpectedly ({type(error).__name__}: {error})"
        ).to_json()


def evaluate(request: dict[str, Any]) -> dict[str, Any]:
    import torch

    from derivlens import calculus

    torch.set_default_dtype(torch.float64)
    filename = request["filename"]
    function = load_function(request["code"], filename, request["function"], request)
    variables = list(request["variables"])
    fixed = fixed_values(function, len(variables))
    domain = (float(request["domain"][0]), float(request["domain"][1]))
    name = request["function"]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if len(variables) == 1:
                curves = calculus.differentiate_1d(
                    function, domain, int(request["samples"]), int(request["order"])
                )
                result = curves_result(name, variables, fixed, domain, request["order"], curves)
            else:
                ydomain = (float(request["ydomain"][0]), float(request["ydomain"][1]))
                surface = calculus.differentiate_2d(
                    function, domain, ydomain, int(request["samples"])
                )
                result = surface_result(name, fixed, domain, ydomain, surface, variables)
    except calculus.FunctionFailed as failed:
        raise user_error(failed.error, filename, name) from None
    except calculus.NotAScalar as error:
        raise DerivlensError("user-error", f"{name}: {error}") from None
    result["warnings"] = list(request.get("warnings") or []) + result["warnings"]
    render = request.get("render")
    result["image"] = rendered_image(result, render) if render else None
    return result


def load_function(code: str, filename: str, qualname: str, request: dict[str, Any]) -> Any:
    """Execute the sliced module as a real module and return the function `qualname`."""
    module = types.ModuleType(MODULE_NAME)
    module.__file__ = filename
    module.__dict__["__builtins__"] = builtins
    sys.modules[MODULE_NAME] = module  # dataclasses and typing look modules up by name
    for folder in (request.get("project_root"), os.path.dirname(filename)):
        if folder and folder not in sys.path:
            sys.path.insert(0, folder)
    try:
        compiled = compile(code, filename, "exec", dont_inherit=True)
    except SyntaxError as error:
        raise DerivlensError(
            "syntax", f"the code does not compile: {error.msg} (line {error.lineno})"
        ) from None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            exec(compiled, module.__dict__)
    except MemoryError:
        raise
    except Exception as error:
        raise user_error(error, filename, "the module code it needs") from None
    target: Any = module
    for part in qualname.split("."):
        target = getattr(target, part, None)
    if not callable(target):
        raise DerivlensError("not-found", f"{qualname} is not a function after running the file")
    return target


def fixed_values(function: Any, nvars: int) -> dict[str, Any]:
    """The parameters held at their defaults, as JSON numbers where they are numbers."""
    try:
        parameters = list(inspect.signature(function).parameters.values())
    except (TypeError, ValueError):
        return {}
    fixed = {}
    for parameter in parameters:
        if parameter.default is inspect.Parameter.empty:
            continue
        if parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
            continue
        fixed[parameter.name] = json_value(parameter.default)
    return fixed


def json_value(value: Any) -> Any:
    try:
        import torch

        if isinstance(value, torch.Tensor) and value.numel() == 1:
            value = value.item()
    except ImportError:  # pragma: no cover - torch is always there in the child
        pass
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int | float):
        number = float(value)
        return number if math.isfinite(number) else None
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def series(values: Any) -> list[float | None]:
    """A NaN-holed array as a JSON list with nulls."""
    return [float(v) if math.isfinite(v) else None for v in values.tolist()]


def grid(values: Any) -> list[list[float | None]]:
    return [series(row) for row in values]


def curves_result(
    name: str,
    variables: list[str],
    fixed: dict[str, Any],
    domain: tuple[float, float],
    order: int,
    curves: Any,
) -> dict[str, Any]:
    return {
        "function": name,
        "variables": variables,
        "fixed": fixed,
        "domain": [domain[0], domain[1]],
        "order": int(order),
        "method": curves.method,
        "x": series(curves.x),
        "f": series(curves.f),
        "derivatives": {str(k): series(v) for k, v in sorted(curves.derivatives.items())},
        "critical_points": curves.critical_points,
        "warnings": [{"kind": w.kind, "message": w.message} for w in curves.warnings],
    }


def surface_result(
    name: str,
    fixed: dict[str, Any],
    domain: tuple[float, float],
    ydomain: tuple[float, float],
    surface: Any,
    variables: list[str] | None = None,
) -> dict[str, Any]:
    return {
        "function": name,
        "variables": variables or ["x", "y"],
        "fixed": fixed,
        "domain": [domain[0], domain[1]],
        "ydomain": [ydomain[0], ydomain[1]],
        "order": 1,
        "method": surface.method,
        "x": series(surface.x),
        "y": series(surface.y),
        "f": grid(surface.f),
        "gradient": {"x": grid(surface.gradient_x), "y": grid(surface.gradient_y)},
        "critical_points": [[x, y] for x, y in surface.critical_points],
        "warnings": [{"kind": w.kind, "message": w.message} for w in surface.warnings],
    }


def rendered_image(result: dict[str, Any], render: dict[str, Any]) -> dict[str, Any]:
    from derivlens import plotting

    image = plotting.render(
        result,
        fmt=render.get("format", "png"),
        theme=render.get("theme", "light"),
        size=render.get("size", "panel"),
    )
    return {
        "format": image.format,
        "data": base64.b64encode(image.data).decode("ascii"),
        "width": image.width,
        "height": image.height,
        "scale": image.scale,
    }


def user_error(error: BaseException, filename: str, what: str) -> DerivlensError:
    """`user-error`: the exception's type and message, and where in the user's file."""
    if isinstance(error, MemoryError):
        raise error
    frames = traceback.extract_tb(error.__traceback__)
    mine = [f for f in frames if f.filename == filename]
    where = ""
    if mine:
        frame = mine[-1]
        where = f" ({os.path.basename(filename)}:{frame.lineno}, in {frame.name})"
    elif isinstance(error, SyntaxError) and error.lineno:
        where = f" ({os.path.basename(filename)}:{error.lineno})"
    text = str(error).strip().split("\n", 1)[0]
    message = f"{type(error).__name__}: {text}{where}" if text else f"{type(error).__name__}{where}"
    if isinstance(error, ModuleNotFoundError):
        message += "; install it in the Python environment derivlens runs in"
    elif what != "the module code it needs":
        message = f"{what} raised {message}"
    else:
        message = f"running {what} raised {message}"
    return DerivlensError("user-error", message)


def _memory_error(request: dict[str, Any]) -> dict[str, Any]:
    limit = request.get("memory_mb")
    budget = f"the {limit} MB memory limit" if limit else "the memory limit"
    return DerivlensError(
        "memory",
        f"{request.get('function', 'the function')} ran out of memory (over {budget}); "
        "use fewer samples or a smaller computation, or raise derivlens.memoryLimitMB",
    ).to_json()
