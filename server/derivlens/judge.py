"""The one check of what a sandboxed child sent back, against the request it answers.

Runs in the CLI and the language server: the child ran user code, so its reply is
hostile input (docs/protocol.md, "Sandbox"). `finish` takes the sandbox's `Outcome` and
gives a `Result` fit to show, or raises the `DerivlensError` to show instead:

- a `SandboxFailure` becomes an error of derivlens's kinds (`as_error`, the one place);
- what the sandbox saw (an operation it refused, an exit from user code) explains an
  error reply (`blocked`, …);
- the reply is structured by the strict `wire` converter (the schema), then held to
  the request: its variables, samples, domain and orders, counts no real plot reaches,
  and its image: the format asked for, no larger than the request's size
  (`image_size`), and sound (`images`).

Anything off is kind `crashed`, saying what.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import attrs

from derivlens import formula_check, image_size, images, model, wire
from derivlens.errors import DerivlensError, ErrorKind
from derivlens.model import Result, Settled
from derivlens.options import HELD_NAME
from derivlens.sandbox.channel import NoReply, Unanswered
from derivlens.sandbox.outcome import Failure, Outcome, Replied, SandboxFailure
from derivlens.sandbox.verdict import RULES

if TYPE_CHECKING:
    from derivlens.engine import Prepared

#: The error kind of each of the sandbox's reasons for having no reply.
_KINDS = {
    Failure.TIMED_OUT: ErrorKind.TIMEOUT,
    Failure.FORBIDDEN: ErrorKind.BLOCKED,
    Failure.KILLED: ErrorKind.MEMORY,
    Failure.CRASHED: ErrorKind.CRASHED,
    Failure.NOT_STARTED: ErrorKind.INTERNAL,
}
#: Most warnings, held parameters and critical points a reply may carry (per component).
MAX_WARNINGS = 64
MAX_FIXED = 256


def as_error(failure: SandboxFailure) -> DerivlensError:
    """A sandbox failure as the error derivlens reports."""
    return DerivlensError(_KINDS[failure.reason], failure.message)


def finish(prepared: Prepared, outcome: Outcome, elapsed_ms: float) -> Result:
    """The child's reply as a checked result, with what the server knows filled in."""
    if isinstance(outcome, SandboxFailure):
        raise as_error(outcome)
    result: Result = _structured(prepared, outcome, Result)
    variables, problem = _variables(prepared, result)
    settled = prepared.settled[len(variables)]
    problem = (
        problem
        or _mismatch(settled, result, len(variables))
        or _untrusted_parts(settled, result)
        or formula_check.problem(result)
        or taylor_problem(prepared.taylor, result)
        or _comparison_problem(prepared, result)
        or _image_problem(prepared.render, result.image)
    )
    if problem:
        raise _malformed(prepared, problem)
    cell, line = prepared.line
    return attrs.evolve(
        result,
        function=prepared.function.name,
        file=prepared.path,
        cell=cell,
        line=line,
        variables=variables,
        sandbox=outcome.layers,
        elapsed_ms=round(elapsed_ms, 1),
    )


def _structured(prepared: Prepared, outcome: Replied, kind: Any) -> Any:
    """The reply's `result` as a `kind`, strictly; a reported error or anything else than
    `{"result": ...}` raised as the error derivlens reports."""
    reply = outcome.reply
    if outcome.unanswered is not None or (isinstance(reply, dict) and "error" in reply):
        raise _reported_error(prepared, outcome)
    if not isinstance(reply, dict) or set(reply) != {"result"}:
        raise _malformed(prepared, "neither a result nor an error")
    try:
        return wire.structure(reply["result"], kind)
    except wire.Malformed as error:
        raise _malformed(prepared, str(error)) from None


def finish_sweep(
    prepared: Prepared, sweep: model.SweepRequest, outcome: Outcome, elapsed_ms: float
) -> model.SweepResult:
    """A sweep's reply (docs/protocol.md, "Slider sweeps") as a checked `SweepResult`:
    the schema's finite numbers or null, and exactly the values, samples and orders asked."""
    if isinstance(outcome, SandboxFailure):
        raise as_error(outcome)
    result: model.SweepResult = _structured(prepared, outcome, model.SweepResult)
    problem = _sweep_mismatch(prepared.settled.get(1), sweep, result)
    if problem:
        raise _malformed(prepared, problem)
    return attrs.evolve(result, function=prepared.function.name, elapsed_ms=round(elapsed_ms, 1))


def _sweep_mismatch(
    settled: Settled | None, sweep: model.SweepRequest, result: model.SweepResult
) -> str | None:
    """What in a sweep's reply is not what was asked: its parameter and values, the
    domain, the samples of x and of every series, one series per value and order."""
    options = settled.options if settled else None
    if options is None:
        return "a sweep where the options were invalid"
    want, count = options.samples, len(sweep.values)
    if result.param != sweep.param or result.values != sweep.values:
        return f"not the values of {sweep.param} asked for"
    if result.domain != options.domain or len(result.x) != want:
        return f"x does not span the requested {want} samples of the domain"
    if result.order != options.order or sorted(result.derivatives) != [
        str(k) for k in range(1, options.order + 1)
    ]:
        return f"not the derivatives of orders 1 to {options.order}"
    for rows in (result.f, *result.derivatives.values()):
        if len(rows) != count or any(len(row) != want for row in rows):
            return f"not {count} series of {want} samples"
    return None


def _reported_error(prepared: Prepared, replied: Replied) -> DerivlensError:
    """The error a child reported, in the light of what the sandbox saw meanwhile: an
    operation it refused made the evaluation fail, so that is the error (`blocked`)."""
    name = prepared.function.name
    unanswered = replied.unanswered
    if unanswered is not None and unanswered.why in (NoReply.NOT_JSON, NoReply.TOO_LARGE):
        return _unsent(unanswered)
    if replied.refusal is not None:
        what, where = replied.refusal.what, replied.refusal.where
        return _error(
            ErrorKind.BLOCKED,
            f"{name} tried to {what} ({where}). Plotted functions run in a sandbox with "
            f"{RULES}; remove that call from the code it runs",
        )
    if unanswered is not None:
        error = _escaped(name, unanswered)
    else:
        try:
            info: model.ErrorInfo = wire.structure(replied.reply["error"], model.ErrorInfo)
        except wire.Malformed as malformed:
            return _malformed(prepared, str(malformed))
        error = info.to_exception()
    fenced = "landlock" in replied.layers or "seccomp" in replied.layers
    failed = fenced and error.kind in (ErrorKind.USER_ERROR, ErrorKind.INTERNAL)
    message = error.message
    if failed and ("Address family not supported" in message or "[Errno 97]" in message):
        return _error(
            ErrorKind.BLOCKED,
            f"{name} tried to open a socket, which the sandbox forbids (no network or "
            f"sockets: {message})",
        )
    if failed and ("Permission denied" in message or "[Errno 13]" in message):
        return _error(
            ErrorKind.BLOCKED,
            f"{name} tried to write a file outside its private temporary folder, or read one "
            f"outside Python and your project, which the sandbox forbids ({message})",
        )
    return error


def _escaped(name: str, unanswered: Unanswered) -> DerivlensError:
    """An exception that escaped the runner's `run` (which never raises itself)."""
    if unanswered.why is NoReply.EXITED:
        return _error(
            ErrorKind.USER_ERROR,
            f"{name} tried to exit the process ({unanswered.detail}); return a value",
        )
    if unanswered.why is NoReply.OUT_OF_MEMORY:
        return _error(
            ErrorKind.MEMORY,
            f"{name} ran out of memory: a library it calls could not start a thread or "
            "allocate, and stopped the process; use fewer samples or threads",
        )
    return _error(ErrorKind.INTERNAL, unanswered.detail)


def _unsent(unanswered: Unanswered) -> DerivlensError:
    if unanswered.why is NoReply.NOT_JSON:
        return _error(ErrorKind.INTERNAL, f"the result is not JSON: {unanswered.detail}")
    return _error(
        ErrorKind.CRASHED,
        f"the result is too large to send back ({unanswered.detail}); use fewer samples",
    )


def _error(kind: ErrorKind, message: str) -> DerivlensError:
    """An error whose message holds text from the child: capped and cleaned, as the
    model cleans every text of a reply."""
    return model.ErrorInfo(kind, message).to_exception()


def _malformed(prepared: Prepared, detail: str) -> DerivlensError:
    return DerivlensError(
        ErrorKind.CRASHED,
        f"the evaluation of {prepared.function.name} sent back a malformed result ({detail})",
    )


def _variables(prepared: Prepared, result: Result) -> tuple[tuple[str, ...], str | None]:
    """The result's variables: the source's, or (runtime signature) the child's, checked."""
    signature = prepared.function.signature
    if not signature.runtime:
        return signature.variables, None
    names = result.variables
    if not (names and len(names) in prepared.settled):
        return ("x",), "a result for the wrong number of variables"
    if not all(name.isidentifier() and len(name) <= 60 for name in names):
        return ("x",), "variables that are not parameter names"
    return names, None


def _mismatch(settled: Settled, result: Result, nvars: int) -> str | None:
    """What in `result` does not match what was asked (sizes, domain, orders)."""
    options = settled.options
    if options is None:
        return "a result where the options were invalid"
    want = options.samples
    if isinstance(result, model.SurfaceResult) != (nvars == 2):
        return "a result for the wrong number of variables"
    if result.domain != options.domain or len(result.x) != want:
        return f"x does not span the requested {want} samples of the domain"
    if isinstance(result, model.SurfaceResult):
        rows: Sequence[Any] = [*result.f, *result.gradient.x, *result.gradient.y]
        if len(result.y) != want or len(result.f) != want or any(len(r) != want for r in rows):
            return f"the grid is not {want}×{want}"
        return None
    if result.order != options.order or sorted(result.derivatives) != [
        str(k) for k in range(1, options.order + 1)
    ]:
        return f"not the derivatives of orders 1 to {options.order}"
    if isinstance(result, model.VectorCurvesResult):
        columns: list[Any] = [*result.f, *(c for d in result.derivatives.values() for c in d)]
        if not 2 <= result.outputs <= 8 or len(result.f) != result.outputs:
            return "a vector result with a wrong number of components"
        if any(len(c) != want for c in columns):
            return "a component of the wrong length"
        return None
    if len(result.f) != want or any(len(d) != want for d in result.derivatives.values()):
        return "a series of the wrong length"
    return None


def _untrusted_parts(settled: Settled, result: Result) -> str | None:
    """What in `result` could not have come from the runner: counts past any real plot,
    names that are not names."""
    if len(result.warnings) > MAX_WARNINGS:
        return f"{len(result.warnings)} warnings"
    if len(result.fixed) > MAX_FIXED or not all(
        HELD_NAME.fullmatch(k) and len(k) <= model.MAX_NAME for k in result.fixed
    ):
        return "held parameters that are not parameter names"
    assert settled.options is not None  # checked by _mismatch
    samples = settled.options.samples
    points, most = len(result.critical_points), samples
    if isinstance(result, model.VectorCurvesResult):
        points, most = sum(len(c) for c in result.critical_points), samples * result.outputs
    elif isinstance(result, model.SurfaceResult):
        most = samples * samples
    if points > most:
        return f"{points} critical points"
    return None


def taylor_problem(asked: model.TaylorRequest | None, result: Result) -> str | None:
    """A `taylor` field that is not the polynomial asked for (docs/protocol.md, "Taylor
    and tangent"), or inflection points that no plot has: more than its samples, or
    outside its domain."""
    if isinstance(result, model.CurvesResult):
        lo, hi = result.domain
        points = result.inflection_points
        if len(points) > len(result.x) or not all(lo <= p <= hi for p in points):
            return "inflection points that are not points of the domain"
    taylor = getattr(result, "taylor", None)
    if asked is None or taylor is None:
        return None if taylor is None else "a Taylor polynomial that was not asked for"
    if taylor.at != asked.at or taylor.order != asked.order:
        return f"a Taylor polynomial other than the order {asked.order} at {asked.at:g} asked for"
    if len(taylor.coefficients) != asked.order + 1:
        return f"{len(taylor.coefficients)} Taylor coefficients for order {asked.order}"
    if not all(math.isfinite(c) for c in taylor.coefficients):
        return "Taylor coefficients that are not finite"
    if len(taylor.values) != len(result.x):
        return "Taylor values of the wrong length"
    return None


def _comparison_problem(prepared: Prepared, result: Result) -> str | None:
    """A `compare` that is not g's answer to this request: present when not asked for (or
    missing when asked), another function's name, values not on f's samples (for two
    variables, f's grid), derivatives other than f's (orders, or the partials "x" and
    "y"), or a difference that is not f − g (docs/protocol.md, "Compare")."""
    compared = getattr(result, "compare", None)
    asked = prepared.compare.name if prepared.compare else None
    if compared is None:
        return None if asked is None else "no comparison where one was asked for"
    if asked is None or compared.function != asked:
        return "a comparison with a function that was not asked for"
    if isinstance(result, model.SurfaceResult):
        assert isinstance(compared, model.SurfaceComparison)  # the schema's field type
        grids = [compared.f, compared.difference, *compared.derivatives.values()]
        want = (len(result.y), len(result.x))
        if any(len(g) != want[0] or any(len(row) != want[1] for row in g) for g in grids):
            return "a comparison whose grids are not f's grid"
        if sorted(compared.derivatives) != ["x", "y"]:
            return "a comparison with other derivatives than f's partials"
        pairs = zip(result.f, compared.f, compared.difference, strict=True)
        rows: Sequence[tuple[model.Series, model.Series, model.Series]] = list(pairs)
    else:
        assert isinstance(result, model.CurvesResult)  # the other result with the field
        assert isinstance(compared, model.Comparison)
        series = [compared.f, compared.difference, *compared.derivatives.values()]
        if any(len(s) != len(result.x) for s in series):
            return "a comparison whose series are not on f's samples"
        if sorted(compared.derivatives) != sorted(result.derivatives):
            return "a comparison with other derivatives than f's"
        rows = [(result.f, compared.f, compared.difference)]
    if not all(_is_difference(*row) for row in rows):
        return "a comparison whose difference is not f − g"
    return None


#: How far a difference may be from f − g as the judge computes it: rounding, in units
#: of the larger of |f| and |g| (the child subtracts the same floats, so it is exact).
_DIFFERENCE_ROUNDING = 4 * sys.float_info.epsilon


def _is_difference(f: model.Series, g: model.Series, difference: model.Series) -> bool:
    """Whether `difference` is f − g at each sample: null exactly where f or g is null or
    f − g is not finite, else f − g to rounding."""
    for a, b, d in zip(f, g, difference, strict=True):
        if a is None or b is None or not math.isfinite(a - b):
            if d is not None:
                return False
        elif d is None or abs(d - (a - b)) > _DIFFERENCE_ROUNDING * max(abs(a), abs(b)):
            return False
    return True


def _image_problem(
    render: model.Render | None, image: model.Image | model.ImageFile | None
) -> str | None:
    """An image that was not asked for, is not the format asked for, is larger than the
    request's size, or is not what it says (`images`)."""
    if render is None or image is None:
        return "an image that was not asked for" if image is not None else None
    if not isinstance(image, model.Image) or image.format != render.format:
        return f"not the {render.format.upper()} image asked for"
    width, height, _scale = image_size.pixels(render)
    if image.width > width or image.height > height:
        size = f"{image.width}×{image.height}"
        return f"an image of {size} pixels where {width}×{height} were asked for"
    return images.problem(image)
