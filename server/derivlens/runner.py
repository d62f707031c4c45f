"""The sandbox application: run the sliced user code, differentiate, render.

The only module that executes user code. It runs inside the sandbox's child process
(never in the CLI or the language server): the worker loads it
(`Sandbox("derivlens.runner")`: it is a `sandbox.application.Application`), calls
`warm_up` once before forking, and each child calls `run` with one
`model.EvaluationRequest` as JSON. `run` answers
`{"result": <a model result>}` or `{"error": {"kind", "message"}}` and never raises,
so a broken function can only ever produce an error reply.
"""

from __future__ import annotations

import base64
import builtins
import math
import os
import sys
import traceback
import types
import warnings
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import attrs

from derivlens import model, notebook, packages, wire
from derivlens.errors import DerivlensError
from derivlens.locate import too_deep
from derivlens.model import EvaluationRequest, Render, Result, Settled
from derivlens.options import PlotOptions

MODULE_NAME = "__derivlens_user__"

if TYPE_CHECKING:  # mypy checks this module against what the sandbox's worker loads
    from derivlens import runner as _this_module
    from derivlens.sandbox.application import Application

    _AS_APPLICATION: Application = _this_module


# --- the sandbox's entry points -----------------------------------------------------------


def warm_up() -> None:
    """Import and exercise torch and matplotlib once, before any fork.

    `torch.set_num_threads(1)` comes before the first torch op: a forked child of a
    process that ran a multi-threaded op deadlocks on its first parallel op. One request
    of each kind goes the whole way (a hover through the encoder), so the wire's
    converters and matplotlib's fonts are ready in every child. What only makes later
    requests faster waits for `warm_later`, so that the first hover does not wait for it.
    The garbage collector waits meanwhile (the worker freezes what is made, right after).
    """
    import gc

    import torch

    collecting = gc.isenabled()
    gc.disable()
    try:
        torch.set_num_threads(1)
        torch.set_num_interop_threads(1)
        torch.set_default_dtype(torch.float64)
        from derivlens import calculus

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            calculus.differentiate_1d(lambda x: x if x > 0 else -x, (-1.0, 1.0), 8, 1)
            calculus.differentiate_1d(math.sin, (-1.0, 1.0), 8, 1)
        # Through `run`, so the wire's converters for the request and each kind of reply
        # are generated here, once, not in every child (~15 ms each time).
        _warm_run(
            _warm_request("def f(x):\n    return x * x * x\n", ("x",), 2, Render(size="hover"))
        )
        surface = _warm_request("def f(x, y):\n    return x * x + y\n", ("x", "y"), 1, Render())
        _warm_run(attrs.evolve(surface, render=None))
        vector = "import torch\ndef f(x):\n    return torch.stack([x, x * x])\n"
        _warm_run(_warm_request(vector, ("x",), 1, None))
        held = _warm_request("def f(x, a=1.0):\n    return a * x\n", ("x",), 1, None)
        _warm_run(attrs.evolve(held, sweep=model.SweepRequest("a", [1.0, 2.0])))
        _warm_run(_warm_request("def f(x):\n    return x.nope\n", ("x",), 1, None))  # an error
    finally:
        if collecting:
            gc.enable()


def warm_later() -> Iterator[object]:
    """The rest of the warm-up, a step at a time, for the worker to run while idle: the
    figures every child draws on (`plotting.prebuild_steps`: the hover and the panel,
    light and dark, with the usual shapes drawn once), so that a child only updates
    them. Until they exist a render builds a figure of its own (same pixels, slower)."""
    from derivlens import plotting

    yield from plotting.prebuild_steps()


def warm_child() -> Iterator[None]:
    """In a spare child, so that its copy-on-write faults happen before its job: a small
    evaluation, then the same drawn as a hover and in a panel, then the figures' image
    buffers written once (`plotting.warm_child`); a step at a time (~5–20 ms), as the
    job may come. The sandbox also runs it once to learn which pages a job writes."""
    from derivlens import plotting

    square = "def f(x):\n    return x * x\n"
    _warm_run(_warm_request(square, ("x",), 1, None))
    yield
    _warm_run(_warm_request(square, ("x",), 1, Render(size="hover")))
    yield
    _warm_run(_warm_request(square, ("x",), 2, Render(size="panel", width=500, height=300)))
    yield
    plotting.warm_child()


#: The longest name `warm_for` lays out: the worker is not sandboxed, so nothing the
#: user chose is processed there without a bound (a longer name is cut short in the
#: image anyway; its child lays it out itself).
WARM_NAME_CHARS = 200


def warm_for(request: Any) -> bool:
    """After a request, in the worker while it is idle: lay out and measure the texts
    its image shows (`plotting.usual.rehearse`: no user code runs, only the names and
    options are used), so that the next children have them. Whether anything was new.
    Names longer than `WARM_NAME_CHARS` are skipped."""
    typed = wire.structure(request, EvaluationRequest)
    settled = typed.settled.get("1")
    if typed.render is None or typed.render.format != "png" or settled is None:
        return False
    if settled.options is None:
        return False
    if typed.variables is not None and len(typed.variables) != 1:
        return False
    variable = typed.variables[0] if typed.variables else "x"
    if max(len(typed.function), len(variable)) > WARM_NAME_CHARS:
        return False
    from derivlens.plotting import usual

    options = settled.options
    return usual.rehearse(typed.function, variable, options.domain, options.order, typed.render)


def _warm_run(request: EvaluationRequest) -> None:
    """One request the whole way, as a child runs it (its module forgotten after)."""
    run(wire.unstructure(request))
    sys.modules.pop(MODULE_NAME, None)


def read_paths() -> list[str]:
    """matplotlib's data, configuration and cache folders (fonts, matplotlibrc)."""
    import matplotlib

    return [matplotlib.get_configdir(), matplotlib.get_cachedir(), matplotlib.get_data_path()]


def run(request: Any) -> dict[str, Any]:
    """Evaluate one request; every failure becomes an error reply with its kind."""
    name = "the function"
    try:
        typed: EvaluationRequest = wire.structure(request, EvaluationRequest)
        name = typed.function
        if typed.sweep is not None:  # a slider sweep (docs/protocol.md, "Slider sweeps")
            from derivlens import sweep_eval

            return {"result": wire.unstructure(sweep_eval.compute(typed, load_module(typed)))}
        return {"result": wire.unstructure(compute(typed))}
    except wire.Malformed as error:
        return _error(DerivlensError("internal", f"a malformed request ({error})"))
    except DerivlensError as error:
        return _error(error)
    except MemoryError:
        return _error(out_of_memory(name))
    except Exception as error:
        from derivlens.calculus import is_allocation_failure

        if is_allocation_failure(error):
            return _error(out_of_memory(name))
        return _error(
            DerivlensError(
                "internal", f"derivlens failed unexpectedly ({type(error).__name__}: {error})"
            )
        )


def _error(error: DerivlensError) -> dict[str, Any]:
    return {"error": wire.unstructure(model.ErrorInfo.of(error))}


def out_of_memory(name: str) -> DerivlensError:
    return DerivlensError(
        "memory",
        f"{name} ran out of memory; use fewer samples or a smaller computation",
    )


def _warm_request(
    code: str, variables: tuple[str, ...], order: int, render: Render | None
) -> EvaluationRequest:
    nvars = len(variables)
    options = PlotOptions(
        domain=(-1.0, 1.0),
        ydomain=(-1.0, 1.0) if nvars == 2 else None,
        order=order,
        samples=101 if nvars == 1 else 21,
    )
    return EvaluationRequest(
        code=code,
        filename="<derivlens-warm>",
        function="f",
        kind="def",
        variables=variables,
        settled={str(nvars): Settled(options=options)},
        render=render,
    )


# --- one evaluation -----------------------------------------------------------------------


def compute(request: EvaluationRequest) -> Result:
    """The result of one request (image included), or a `DerivlensError`."""
    import torch

    from derivlens import calculus, compare_eval, results, targets, taylor_options
    from derivlens.calculus import taylor

    torch.set_default_dtype(torch.float64)
    module = load_module(request)
    target = targets.find(module, request)
    plan = results.Plan.of(request, target)
    options = plan.options
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result: Result
            taylor_options.check(request.taylor, request.function, target.variables, options.domain)
            if len(target.variables) == 1:
                curves = calculus.differentiate_1d(
                    target.function, options.domain, options.samples, options.order
                )
                result = results.curves(plan, curves)
            else:
                assert options.ydomain is not None
                surface = calculus.differentiate_2d(
                    target.function, options.domain, options.ydomain, options.samples
                )
                result = results.surface(plan, surface)
            result = taylor.attach(result, target.function, request.taylor)
    except calculus.FunctionFailed as failed:
        raise user_error(failed.error, request, request.function) from None
    except calculus.NotAScalar as error:
        raise DerivlensError("user-error", f"{request.function}: {error}") from None
    if request.compare is not None:  # before the image, which draws g too
        result = compare_eval.in_child(module, request, result)
    if request.render is not None:
        result = results.with_image(result, rendered_image(result, request.render))
    if request.formula:  # after the image: it never delays the plot (docs/protocol.md)
        result = attrs.evolve(result, formula=closed_form(target.function, result))
    return result


def closed_form(function: Any, result: Result) -> model.FormulaTexts | None:
    from derivlens.calculus.formula import formula_of

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return formula_of(function, result)


def load_module(request: EvaluationRequest) -> types.ModuleType:
    """Execute the sliced module as a real module (sys.modules knows it by name); a file
    in a package as that package's module (`packages`: its relative imports work)."""
    context = packages.context_of(request.filename, request.project_root)
    folder = os.path.dirname(request.filename)
    for first in (request.project_root, context.root if context else folder):
        if first and first not in sys.path:
            sys.path.insert(0, first)
    if context is not None:
        if folder not in sys.path:  # last: a sibling must not shadow an installed module
            sys.path.append(folder)
        imported = packages.imported_already(context, request.code, request.filename)
        if imported is not None:
            return imported
        module = packages.new_module(context, request.filename, MODULE_NAME)
    else:
        module = types.ModuleType(MODULE_NAME)
        module.__file__ = request.filename
        sys.modules[MODULE_NAME] = module  # dataclasses and typing look modules up by name
    module.__dict__["__builtins__"] = builtins
    try:
        compiled = compile(request.code, request.filename, "exec", dont_inherit=True)
    except SyntaxError as error:
        raise DerivlensError(
            "syntax", f"the code does not compile: {error.msg} (line {error.lineno})"
        ) from None
    except RecursionError:  # the parser's limit depends on the stack it starts from
        raise DerivlensError("syntax", too_deep(os.path.basename(request.filename))) from None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            exec(compiled, module.__dict__)
    except MemoryError:
        raise
    except Exception as error:
        raise user_error(error, request, "the module code it needs") from None
    return module


def rendered_image(result: Result, render: Render) -> model.Image:
    from derivlens import plotting

    image = plotting.render(result, render)
    return model.Image(
        format=image.format,
        data=base64.b64encode(image.data).decode("ascii"),
        width=image.width,
        height=image.height,
        scale=image.scale,
        axes=image.axes,
    )


def user_error(error: BaseException, request: EvaluationRequest, what: str) -> DerivlensError:
    """`user-error`: the exception's type and message, and where in the user's file.

    Running out of memory is not the user's error, in whatever form: it is re-raised for
    `run` to report as `memory`."""
    from derivlens.calculus import is_allocation_failure

    if is_allocation_failure(error):
        raise error
    filename = request.filename
    frames = traceback.extract_tb(error.__traceback__)
    mine = [f for f in frames if f.filename == filename]
    where = ""
    if mine:
        frame = mine[-1]
        where = f" ({place(request, frame.lineno or 0)}, in {frame.name})"
    elif isinstance(error, SyntaxError) and error.lineno:
        where = f" ({place(request, error.lineno)})"
    text = str(error).strip().split("\n", 1)[0]
    message = f"{type(error).__name__}: {text}{where}" if text else f"{type(error).__name__}{where}"
    if isinstance(error, ModuleNotFoundError):
        message += "; install it in the Python environment derivlens runs in"
    elif what != "the module code it needs":
        message = f"{what} raised {message}"
    else:
        message = f"running {what} raised {message}"
    return DerivlensError("user-error", message)


def place(request: EvaluationRequest, line: int) -> str:
    """`file.py:12`, or for a notebook `nb.ipynb, cell 3, line 2` (cells counted from 1)."""
    name = os.path.basename(request.filename)
    if not request.cell_starts:
        return f"{name}:{line}"
    index, cell_line = notebook.cell_line(request.cell_starts, request.cell_indices, line)
    return f"{name}, cell {index + 1}, line {cell_line}"
