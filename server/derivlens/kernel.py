"""`derivlens.plot(f, ...)`: the engine on a live function object, in the user's kernel.

In a notebook kernel (Jupyter, IPython, plain Python) the function to plot often depends
on state only the kernel has: a closure over data, a trained `nn.Module`. This module
evaluates that object itself, with the same calculus and plotting as the sandboxed child
(docs/protocol.md, "In a notebook kernel"). There is no slicing and no sandbox: the kernel
is the user's own process running the user's own code. It imports torch, so the package
`derivlens` resolves `derivlens.plot` lazily and the language server never loads it.
"""

from __future__ import annotations

import contextlib
import copy
import inspect
import time
import types
import warnings
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import attrs

from derivlens import model, taylor_options
from derivlens.errors import DerivlensError, ErrorKind, InvalidOptions
from derivlens.kernel_result import KernelResult
from derivlens.kernel_vector import VectorInput, vector_input
from derivlens.options import Layer, Origin, read_all, resolve

__all__ = ["KernelResult", "evaluate", "plot"]


def plot(
    function: Callable[..., Any],
    *,
    domain: Any = None,
    ydomain: Any = None,
    order: Any = None,
    samples: Any = None,
    params: Mapping[str, float] | None = None,
    taylor: Any = None,
    compare: Callable[..., Any] | None = None,
) -> KernelResult:
    """Plot `function` and its derivatives over `domain` (see docs/protocol.md, "Options").

    `function` is any callable of one or two numbers: a def, a lambda, a closure, an
    `nn.Module` instance; parameters with defaults are held, `params` overrides them.
    Returns a `KernelResult` (the contract's fields as attributes, a rich display); a bad
    option raises `DerivlensError` of kind `invalid-options`. `taylor=(x0, k)` draws the
    Taylor polynomial of order k (1 to 4; 1 is the tangent line) at x0 and fills
    `.taylor` (docs/protocol.md, "Taylor and tangent"); `compare` is another such callable
    to draw beside it, with f − g (docs/protocol.md, "Compare").
    """
    values = {"domain": domain, "ydomain": ydomain, "order": order, "samples": samples}
    asked = taylor_options.from_kernel(taylor)
    requested = read_all(values, Origin.REQUEST)
    return evaluate(function, requested, params, Origin.REQUEST, taylor=asked, compare=compare)


def evaluate(
    function: Callable[..., Any],
    requested: Mapping[str, Any],
    params: Mapping[str, float] | None,
    origin: Origin,
    name: str | None = None,
    taylor: model.TaylorRequest | None = None,
    *,
    compare: Callable[..., Any] | None = None,
    compare_name: str | None = None,
) -> KernelResult:
    """`function` evaluated with options already read from `origin` (a call or the magic);
    `name` is what the user called it (default: its own name); with its closed form
    (bounded in time, as in the sandbox), the Taylor polynomial if asked for, and
    `compare`, a callable to evaluate beside it (called `compare_name`, default its own)."""
    from derivlens import calculus, results, targets

    started = time.perf_counter()
    name = name or name_of(function)
    checked = check_params(params)
    check_compare(function, compare)
    with own_copy(function) as live:
        holder = types.SimpleNamespace(**{name: live})
        target = targets.find(holder, _request(name, checked, vector_input(function)))
        options, notes = resolve([Layer(origin, dict(requested))], len(target.variables))
        taylor_options.check(taylor, name, target.variables, options.domain)
        plan = results.Plan(
            name,
            target.variables,
            target.fixed,
            options,
            tuple(model.PlotWarning(model.WarningKind.OPTIONS, note) for note in notes),
        )
        try:
            with float64_by_default(), warnings.catch_warnings():
                warnings.simplefilter("ignore")
                result = _differentiate(calculus, results, plan, target.function)
                result = with_taylor_and_formula(result, target.function, taylor)
        except calculus.FunctionFailed as failed:
            error = failed.error
            why = float32_problem(target.function, options.domain, len(target.variables))
            raised = why or f"{type(error).__name__}: {error}"
            raise DerivlensError(ErrorKind.USER_ERROR, f"{name} raised {raised}") from error
        except calculus.NotAScalar as error:
            raise DerivlensError(ErrorKind.USER_ERROR, f"{name}: {error}") from None
    if compare is not None:
        result = _compared(result, compare, compare_name)
    file, line = where(function)
    elapsed = (time.perf_counter() - started) * 1000
    shown = attrs.evolve(result, file=file, line=line, elapsed_ms=elapsed)

    def replot(new_params: dict[str, float]) -> KernelResult:
        new = {**checked, **new_params}
        return evaluate(
            function,
            requested,
            new,
            origin,
            name,
            taylor,
            compare=compare,
            compare_name=compare_name,
        )

    return KernelResult(shown, replot)


def check_compare(function: Any, compare: Any) -> None:
    """A `compare` that can be evaluated beside `function`, or `invalid-options`."""
    if compare is None:
        return
    if not callable(compare):
        raise InvalidOptions(
            f"compare must be a function of the same variables as f, got {compare!r} "
            f"({type(compare).__name__})",
            option="compare",
        )
    if compare is function:
        raise InvalidOptions(
            "compare: that is the function being plotted; pass another function",
            option="compare",
        )


def _compared(
    result: model.Result, compare: Callable[..., Any], name: str | None = None
) -> model.Result:
    """`result` with `compare` (its held parameters at their defaults) beside it."""
    from derivlens import calculus, compare_eval, targets

    name = name or name_of(compare)
    if name == result.function:  # two lambdas are both `f`
        name = "g"
    with own_copy(compare) as live:
        holder = types.SimpleNamespace(**{name: live})
        request = _request(name, {}, vector_input(compare))
        target = compare_eval.found(lambda: targets.find(holder, request))
        try:
            with float64_by_default():
                return compare_eval.with_comparison(result, target.function, name, target.variables)
        except calculus.FunctionFailed as failed:
            error = failed.error
            raise DerivlensError(
                ErrorKind.USER_ERROR, f"compare: {name} raised {type(error).__name__}: {error}"
            ) from error


def _differentiate(calculus: Any, results: Any, plan: Any, function: Any) -> model.Result:
    options = plan.options
    if len(plan.variables) == 1:
        curves = calculus.differentiate_1d(function, options.domain, options.samples, options.order)
        result: model.Result = results.curves(plan, curves)
        return result
    surface = calculus.differentiate_2d(function, options.domain, options.ydomain, options.samples)
    result = results.surface(plan, surface)
    return result


def with_taylor_and_formula(
    result: model.Result, function: Callable[..., Any], taylor: model.TaylorRequest | None
) -> model.Result:
    """`result` with its Taylor polynomial (if asked for) and its closed form, which is
    never a failure of the plot: None where it cannot be had (docs/protocol.md, "Formula")."""
    from derivlens.calculus import taylor as polynomial
    from derivlens.calculus.formula import formula_of

    result = polynomial.attach(result, function, taylor)
    try:
        formula = formula_of(function, result)
    except Exception:
        formula = None
    return attrs.evolve(result, formula=formula)


def _request(
    name: str, params: Mapping[str, float], vector: VectorInput | None = None
) -> model.EvaluationRequest:
    """What `targets.find` reads to take an assigned callable: its name, the params (the
    options are settled here, not in the request) and its vector input, if any."""
    return model.EvaluationRequest(
        code="",
        filename="<kernel>",
        function=name,
        kind="assigned",
        variables=vector[0] if vector else None,
        components=vector[1] if vector else 0,
        settled={},
        params=dict(params),
    )


def name_of(function: Any) -> str:
    """The name a result reports: the function's own, `f` for a lambda, else its type's
    (an `nn.Module` instance)."""
    name = getattr(function, "__name__", None)
    if name == "<lambda>":
        return "f"
    if not isinstance(name, str) or not name.isidentifier():
        name = type(function).__name__
    return name


def check_params(params: Mapping[str, float] | None) -> dict[str, float]:
    """`params` as the contract has them: names to numbers (docs/protocol.md, "Options")."""
    if params is None:
        return {}
    if not isinstance(params, Mapping):
        raise InvalidOptions(f"params must be a dict of names to numbers, got {params!r}")
    checked: dict[str, float] = {}
    for key, value in params.items():
        if not isinstance(key, str) or type(value) not in (int, float):
            raise InvalidOptions(
                f"params: {key!r} must be a name given a number, got {value!r}", option="params"
            )
        checked[key] = value
    return checked


@contextlib.contextmanager
def own_copy(function: Any) -> Iterator[Any]:
    """The callable to evaluate, without changing the user's object: an `nn.Module` is
    copied, put in eval mode and made float64 (the precision every sample is taken at,
    docs/protocol.md "Semantics"); its trained float32 weights are exact in float64."""
    import torch

    if isinstance(function, torch.nn.Module):
        try:
            copied = copy.deepcopy(function)
        except Exception as error:
            raise DerivlensError(
                ErrorKind.USER_ERROR,
                f"copying {type(function).__name__} raised {type(error).__name__}: {error}; "
                "plot a function that calls it instead",
            ) from error
        yield copied.to(torch.float64).eval()
    else:
        yield function


@contextlib.contextmanager
def float64_by_default() -> Iterator[None]:
    """Tensors the function makes are float64, as in the sandbox; restored after."""
    import torch

    before = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        yield
    finally:
        torch.set_default_dtype(before)


def float32_problem(function: Any, domain: tuple[float, float], nvars: int) -> str | None:
    """Why f failed, if it is that it mixes float64 samples with float32 tensors made
    before (a trained model it calls): what calculus tries after autograd hides it."""
    import torch

    middle = torch.tensor((domain[0] + domain[1]) / 2, dtype=torch.float64)
    try:
        with float64_by_default(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            function(*[middle.clone() for _ in range(nvars)])
    except RuntimeError as error:
        text = str(error).split("\n", 1)[0]
        if "Float" in text and "Double" in text:
            return (
                f"RuntimeError: {text}; derivlens samples in float64, and f uses float32 "
                "tensors made "
                "before (a model's weights?); convert them with .double(), or plot the "
                "nn.Module itself (derivlens.plot(model) evaluates a float64 copy)"
            )
    except Exception:
        return None
    return None


def where(function: Any) -> tuple[str, int]:
    """The file and 1-based line of the function's `def` (a module's `forward`)."""
    target = getattr(function, "forward", function)
    try:
        code = inspect.unwrap(target).__code__
    except (AttributeError, ValueError):
        return "", 0
    return code.co_filename, code.co_firstlineno
