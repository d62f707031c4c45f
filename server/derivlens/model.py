"""The contract: every value that crosses engine, sandbox child, server and client.

Declared once, here, as attrs classes (docs/protocol.md describes them in words); no
torch, no numpy. `wire` turns JSON into these types and back, strictly. Text that may
come from user code is capped by the types themselves. The TypeScript client's
`src/logic/protocol.ts` is generated from this module (`scripts/protocol_ts.py`), and a
test keeps the two equal.
"""

from __future__ import annotations

from enum import Enum
from typing import Any, Literal, Union

import attrs

from derivlens import text
from derivlens.errors import DerivlensError, ErrorKind
from derivlens.options import Interval, PlotOptions

__all__ = [
    "AxesBox",
    "CompareRequest",
    "Comparison",
    "CurvesResult",
    "Discontinuity",
    "ErrorInfo",
    "ErrorKind",
    "EvaluationRequest",
    "FormulaTexts",
    "FunctionKind",
    "Gradient",
    "Image",
    "ImageFile",
    "PlotCommand",
    "PlotWarning",
    "Position",
    "Render",
    "Result",
    "ResultBase",
    "Settled",
    "SurfaceComparison",
    "SurfaceResult",
    "SweepRequest",
    "SweepResult",
    "Taylor",
    "TaylorRequest",
    "VectorCurvesResult",
    "WarningKind",
]

ImageFormat = Literal["png", "svg"]
Theme = Literal["light", "dark"]
Size = Literal["hover", "panel"]
Method = Literal["autograd", "finite-difference"]
#: A sampled curve: finite numbers, `None` where the value is not finite.
Series = list[float | None]
#: A held parameter's value as reported in `fixed` (numbers stay ints when they were).
FixedValue = Union[bool, int, float, str, None]  # noqa: UP007 - cattrs resolves it at run time

#: Field metadata: the key is on the wire only when it has a value (`cell` of a result).
ONLY_WHEN_SET = {"only_when_set": True}
#: Caps on text that may come from user code (a child's reply is untrusted).
MAX_MESSAGE = 2000
MAX_NAME = 200


def capped(value: Any, cap: int) -> str:
    """`value`, which must be text, cut to `cap` characters, control characters replaced
    (a message keeps its lines: `text.UNSAFE` but tab and newline)."""
    if not isinstance(value, str):
        raise TypeError(f"expected text, got {type(value).__name__}")
    return text.printable(value, cap, keep_lines=True)


def _message(value: Any) -> str:
    return capped(value, MAX_MESSAGE)


def _name(value: Any) -> str:
    return capped(value, MAX_NAME)


def _optional_name(value: Any) -> str | None:
    return None if value is None else capped(value, MAX_NAME)


#: A closed form (docs/protocol.md, "Formula"): SymPy text by key (`f`, then "1".."order"
#: for one variable, or "x" and "y" for the two partials), and `latex`, a dict of LaTeX by
#: the same keys. Its texts are checked where replies are (`formula_check`), not cut here.
FormulaTexts = dict[str, Union[str, dict[str, str]]]  # noqa: UP007 - read at run time


def _formula(value: Any) -> FormulaTexts | None:
    """A formula's shape: text by key, and `latex` text by key; anything else is refused."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise TypeError(f"expected a formula object, got {type(value).__name__}")
    texts: FormulaTexts = {}
    for key, item in value.items():
        if (
            key == "latex"
            and isinstance(item, dict)
            and all(isinstance(k, str) and isinstance(v, str) for k, v in item.items())
        ):
            texts[key] = dict(item)
        elif isinstance(key, str) and key != "latex" and isinstance(item, str):
            texts[key] = item
        else:
            raise TypeError("expected a formula of texts by key and a latex object of texts")
    return texts


class WarningKind(str, Enum):
    """What a result's warning is about."""

    FINITE_DIFFERENCE = "finite-difference"
    NON_FINITE = "non-finite"
    DISAGREEMENT = "disagreement"
    OPTIONS = "options"


@attrs.frozen
class PlotWarning:
    kind: WarningKind
    message: str = attrs.field(converter=_message)


@attrs.frozen
class ErrorInfo:
    """A failure on the wire: `{"kind", "message"}` (and the option it is about)."""

    kind: ErrorKind
    message: str = attrs.field(converter=_message)
    option: str | None = attrs.field(default=None, converter=_optional_name)

    def to_exception(self) -> DerivlensError:
        return DerivlensError(self.kind, self.message, option=self.option)

    @classmethod
    def of(cls, error: DerivlensError) -> ErrorInfo:
        return cls(error.kind, error.message, error.option)


# --- requests ---------------------------------------------------------------------------


@attrs.frozen
class Render:
    """How to draw a result: format, theme, the hover or panel layout, and its size.

    `width`/`height` are the CSS pixels of the box the image will fill (None: the
    layout's own size); `scale` is the device-pixel ratio to draw a PNG at.
    """

    format: ImageFormat = "png"
    theme: Theme = "light"
    size: Size = "panel"
    width: float | None = None
    height: float | None = None
    scale: float | None = None


#: How the child gets the callable from the module it ran (see locate.functions).
FunctionKind = Literal[
    "def", "lambda", "staticmethod", "module-forward", "function-apply", "assigned"
]


@attrs.frozen
class Settled:
    """The options for a function of some number of variables, or why it has none."""

    options: PlotOptions | None = None
    error: ErrorInfo | None = None
    warnings: tuple[PlotWarning, ...] = ()  # options that gave way (kind `options`)


@attrs.frozen
class TaylorRequest:
    """A request's `taylor`: the polynomial of degree `order` (1: the tangent line) of f
    at x = `at` (docs/protocol.md, "Taylor and tangent")."""

    at: float
    order: int = attrs.field(default=1, validator=attrs.validators.in_((1, 2, 3, 4)))


@attrs.frozen
class CompareRequest:
    """A request's other function g to compare f with (docs/protocol.md, "Compare"):
    found as f is (its name, kind and, when the source tells, its variables); its own
    held parameters stay at their defaults."""

    function: str
    kind: FunctionKind
    variables: tuple[str, ...] | None
    #: g's vector input, as `EvaluationRequest.components` is f's (0: plain variables).
    components: int = 0


@attrs.frozen
class SweepRequest:
    """The `sweep` of a `derivlens.sweep` command: one held parameter and the values to
    evaluate f at, for the panel's slider previews (docs/protocol.md, "Slider sweeps")."""

    param: str = attrs.field(converter=_name)
    values: list[float]


@attrs.frozen
class EvaluationRequest:
    """What the sandboxed child gets: the sliced code, the function, decided options.

    `variables` is None when only the callable's runtime signature tells (an assigned
    callable); `settled` then holds the options for one and for two variables, keyed
    "1" and "2", and the child takes the one that fits.
    """

    code: str
    filename: str
    function: str
    kind: FunctionKind
    variables: tuple[str, ...] | None
    settled: dict[str, Settled]
    params: dict[str, float] = attrs.field(factory=dict)
    #: Vector input (docs/protocol.md, "Vector input"): the number of components of the
    #: function's one parameter, whose first two are `variables`; 0 for plain variables.
    components: int = 0
    render: Render | None = None
    #: Compute the closed form too, after the image (the CLI does; the server asks for it
    #: in a job of its own, see formula_jobs.py).
    formula: bool = False
    #: The Taylor polynomial to compute and draw, if asked for.
    taylor: TaylorRequest | None = None
    #: Another function of the same module to evaluate on the same x, if asked for.
    compare: CompareRequest | None = None
    #: Evaluate f over these values of one held parameter instead (a `SweepResult`).
    sweep: SweepRequest | None = None
    project_root: str | None = None
    #: For a notebook: where each included cell starts in `code`, and its index.
    cell_starts: tuple[int, ...] = ()
    cell_indices: tuple[int, ...] = ()


@attrs.frozen
class Position:
    """A position in a document, as LSP counts: line and character from 0."""

    line: int = attrs.field(validator=attrs.validators.ge(0))
    character: int = attrs.field(validator=attrs.validators.ge(0))


@attrs.frozen
class PlotCommand:
    """The one argument of the `derivlens.plot` command, without the plot options.

    The options (domain, ydomain, order, samples) sit beside these keys in the same
    JSON object; `options.PlotOptions` declares and reads them.
    """

    uri: str
    position: Position
    params: dict[str, float] = attrs.field(factory=dict)
    format: ImageFormat = "png"
    theme: Theme | None = None
    size: Size = "panel"
    width: float | None = None
    height: float | None = None
    scale: float | None = None
    taylor: TaylorRequest | None = None
    #: Another eligible function of the same document to compare with (its name).
    compare: str | None = None


# --- results -----------------------------------------------------------------------------


@attrs.frozen
class AxesBox:
    """One plot area of an image: its name (`f`, `f′`, `∂f/∂x`), box and data limits.

    `box` is [left, top, width, height] in image pixels from the top-left corner.
    """

    name: str = attrs.field(converter=_name)
    box: tuple[float, float, float, float]
    xlim: Interval
    ylim: Interval


@attrs.frozen
class Image:
    """An image drawn for the editor: base64 data of `width`×`height` pixels."""

    format: ImageFormat
    data: str
    width: int
    height: int
    scale: float = 1.0
    axes: tuple[AxesBox, ...] = ()


@attrs.frozen
class ImageFile:
    """An image the CLI wrote to a file."""

    format: ImageFormat
    path: str
    width: int
    height: int
    axes: tuple[AxesBox, ...] = ()


@attrs.frozen
class Gradient:
    x: list[Series]
    y: list[Series]


@attrs.frozen(kw_only=True)
class ResultBase:
    """What every result has: where f is, its variables, held values and options, the
    sampled x, and what the evaluation reported. (Keys go on the wire in `RESULT_KEYS`
    order, not in the order of the fields.)"""

    function: str = ""
    file: str = ""
    cell: int | None = attrs.field(default=None, metadata=ONLY_WHEN_SET)
    line: int = 0
    variables: tuple[str, ...]
    fixed: dict[str, FixedValue]
    domain: Interval
    order: int
    method: Method
    x: Series
    warnings: tuple[PlotWarning, ...] = ()
    formula: FormulaTexts | None = attrs.field(default=None, converter=_formula)
    image: Image | ImageFile | None = None
    sandbox: tuple[str, ...] = ()
    elapsed_ms: float = 0.0


@attrs.frozen
class Discontinuity:
    """Where f (order 0), f′ (order 1) or f″ (order 2) jumps (docs/protocol.md, "Result");
    for two variables a point (x, y) where f jumps between grid points."""

    x: float
    order: int = attrs.field(validator=attrs.validators.in_((0, 1, 2)))
    y: float | None = attrs.field(default=None, metadata=ONLY_WHEN_SET)


@attrs.frozen
class Taylor:
    """The Taylor polynomial asked for: exact coefficients f(x0), f′(x0), f″(x0)/2, …
    from autograd, and its value at each sample x so a client reads it like f."""

    at: float
    order: int = attrs.field(validator=attrs.validators.in_((1, 2, 3, 4)))
    coefficients: list[float]
    values: Series


@attrs.frozen
class Comparison:
    """Another function g of the same document on the same x: its values, derivatives
    (keys as f's) and f − g."""

    function: str = attrs.field(converter=_name)
    f: Series
    derivatives: dict[str, Series]
    difference: Series


@attrs.frozen
class SurfaceComparison:
    """`Comparison` for two variables: g on f's grid (one row per y, as f's), its partials
    keyed "x" and "y" (as f's `gradient`, and the closed form's keys) and f − g."""

    function: str = attrs.field(converter=_name)
    f: list[Series]
    derivatives: dict[str, list[Series]]
    difference: list[Series]


@attrs.frozen(kw_only=True)
class CurvesResult(ResultBase):
    """f of one variable and its derivatives (keys "1".."order") at `x`."""

    f: Series
    derivatives: dict[str, Series]
    critical_points: list[float]
    inflection_points: list[float] = attrs.field(factory=list)
    discontinuities: list[Discontinuity] = attrs.field(factory=list)
    taylor: Taylor | None = attrs.field(default=None, metadata=ONLY_WHEN_SET)
    compare: Comparison | None = attrs.field(default=None, metadata=ONLY_WHEN_SET)


@attrs.frozen(kw_only=True)
class VectorCurvesResult(ResultBase):
    """f of one variable with `outputs` components: each list holds one per component."""

    outputs: int
    f: list[Series]
    derivatives: dict[str, list[Series]]
    critical_points: list[list[float]]
    discontinuities: list[Discontinuity] = attrs.field(factory=list)


@attrs.frozen(kw_only=True)
class SurfaceResult(ResultBase):
    """f of two variables on a grid: `f` and the gradient have one row per y."""

    ydomain: Interval
    y: Series
    f: list[Series]
    gradient: Gradient
    critical_points: list[tuple[float, float]]
    discontinuities: list[Discontinuity] = attrs.field(factory=list)
    compare: SurfaceComparison | None = attrs.field(default=None, metadata=ONLY_WHEN_SET)


@attrs.frozen(kw_only=True)
class SweepResult:
    """f of one variable and its derivatives at the same `x` for each value of `param`:
    `f` and each derivative hold one series per value, in the order of `values`."""

    function: str = attrs.field(default="", converter=_name)
    param: str = attrs.field(converter=_name)
    values: list[float]
    domain: Interval
    order: int
    x: Series
    f: list[Series]
    derivatives: dict[str, list[Series]]
    elapsed_ms: float = 0.0


Result = Union[CurvesResult, VectorCurvesResult, SurfaceResult]  # noqa: UP007
RESULT_TYPES = (CurvesResult, VectorCurvesResult, SurfaceResult)

#: The key order of a result on the wire (docs/protocol.md, "Result").
RESULT_KEYS = (
    "function",
    "file",
    "cell",
    "line",
    "variables",
    "fixed",
    "domain",
    "ydomain",
    "order",
    "method",
    "outputs",
    "x",
    "y",
    "f",
    "derivatives",
    "gradient",
    "critical_points",
    "inflection_points",
    "discontinuities",
    "taylor",
    "compare",
    "warnings",
    "formula",
    "image",
    "sandbox",
    "elapsed_ms",
)
