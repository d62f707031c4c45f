"""Plot options, the `# derivlens:` directive, and the precedence that merges them.

Precedence (SPEC §3): the request's options > the function's directive > the client's
settings > the defaults. Every layer is a `PlotOptions` with `None` for "not said".
"""

from __future__ import annotations

import ast
import math
import re
from dataclasses import dataclass, fields, replace

DEFAULT_DOMAIN = (-5.0, 5.0)
DEFAULT_ORDER = 1
DEFAULT_SAMPLES_1D = 401
DEFAULT_SAMPLES_2D = 61
MAX_ORDER_1D = 4
MAX_ORDER_2D = 1
MIN_SAMPLES = 2
MAX_SAMPLES_1D = 100_000
MAX_SAMPLES_2D = 401

Interval = tuple[float, float]


@dataclass(frozen=True)
class PlotOptions:
    """Options one source (request, directive, settings) sets; `None` means unset."""

    domain: Interval | None = None
    ydomain: Interval | None = None
    order: int | None = None
    samples: int | None = None

    def over(self, lower: PlotOptions) -> PlotOptions:
        """These options, with what they leave unset taken from `lower`."""
        return replace(
            self,
            **{
                f.name: getattr(lower, f.name)
                for f in fields(self)
                if getattr(self, f.name) is None
            },
        )


@dataclass(frozen=True)
class ResolvedOptions:
    """Every option decided, validated for a function of `nvars` variables."""

    domain: Interval
    ydomain: Interval | None
    order: int
    samples: int


class OptionError(ValueError):
    """An option value a person wrote that cannot be used; the message says why."""


def resolve(
    layers: list[PlotOptions], nvars: int, notes: list[str] | None = None
) -> ResolvedOptions:
    """Merge `layers` (highest precedence first) over the defaults and validate them.

    Adjustments made on the way (not errors) are appended to `notes`.
    """
    notes = notes if notes is not None else []
    merged = PlotOptions()
    for layer in layers:
        merged = merged.over(layer)
    domain = merged.domain or DEFAULT_DOMAIN
    check_interval("domain", domain)
    ydomain = None
    if nvars == 2:
        ydomain = merged.ydomain or domain
        check_interval("ydomain", ydomain)
    order = merged.order if merged.order is not None else DEFAULT_ORDER
    if not 1 <= order <= MAX_ORDER_1D:
        raise OptionError(f"order must be 1 to {MAX_ORDER_1D}, got {order}")
    if nvars == 2 and order > MAX_ORDER_2D:
        # A global setting or a request made for curves: surfaces show the gradient.
        notes.append(
            f"order {order} is not available for two variables; showing the gradient (order 1)"
        )
        order = MAX_ORDER_2D
    default_samples = DEFAULT_SAMPLES_1D if nvars == 1 else DEFAULT_SAMPLES_2D
    samples = merged.samples if merged.samples is not None else default_samples
    max_samples = MAX_SAMPLES_1D if nvars == 1 else MAX_SAMPLES_2D
    if not MIN_SAMPLES <= samples <= max_samples:
        raise OptionError(f"samples must be {MIN_SAMPLES} to {max_samples}, got {samples}")
    return ResolvedOptions(domain=domain, ydomain=ydomain, order=order, samples=samples)


def check_interval(name: str, interval: Interval) -> None:
    lo, hi = interval
    if not (math.isfinite(lo) and math.isfinite(hi)):
        raise OptionError(f"{name} must be finite, got {lo}..{hi}")
    if not lo < hi:
        raise OptionError(f"{name} must go from low to high, got {lo}..{hi}")


# --- the `# derivlens: domain=-2..2 order=2 samples=400` directive -----------------------

DIRECTIVE_RE = re.compile(r"#\s*derivlens\s*:(?P<body>.*)$")
_NAMED_CONSTANTS = {"pi": math.pi, "tau": math.tau, "e": math.e}


def parse_number(text: str) -> float:
    """A number as people write it in a directive: `-2`, `1e-3`, `pi`, `-2pi`, `pi/2`."""
    text = re.sub(r"(\d)(pi|tau)\b", r"\1*\2", text.strip())
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError:
        raise OptionError(f"{text!r} is not a number") from None
    return _eval_constant(tree.body, text)


def _eval_constant(node: ast.expr, text: str) -> float:
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
        return float(node.value)
    if isinstance(node, ast.Name) and node.id in _NAMED_CONSTANTS:
        return _NAMED_CONSTANTS[node.id]
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        value = _eval_constant(node.operand, text)
        return -value if isinstance(node.op, ast.USub) else value
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult | ast.Div):
        left, right = _eval_constant(node.left, text), _eval_constant(node.right, text)
        if isinstance(node.op, ast.Mult):
            return left * right
        if right == 0:
            raise OptionError(f"{text!r} divides by zero")
        return left / right
    raise OptionError(f"{text!r} is not a number (use digits, pi, tau or e)")


def parse_interval(text: str) -> Interval:
    """`-2..2` (also `-2,2` and `[-2, 2]`) as a (low, high) pair."""
    body = text.strip().strip("[]()")
    parts = body.split("..") if ".." in body else body.split(",")
    if len(parts) != 2:
        raise OptionError(f"{text!r} is not a range; write it like -2..2")
    interval = (parse_number(parts[0]), parse_number(parts[1]))
    return interval


def parse_directive(comment: str) -> tuple[PlotOptions, list[str]]:
    """Options from the text after `# derivlens:`, and a note for every item not understood.

    A typo in a directive should not stop the plot: it is reported as a warning instead.
    """
    problems: list[str] = []
    values: dict[str, object] = {}
    for item in re.split(r"[\s;]+", comment.strip()):
        if not item:
            continue
        key, sep, value = item.partition("=")
        key = key.strip().lower().replace("_", "").replace("-", "")
        try:
            if not sep:
                raise OptionError(f"{item!r} has no value; write key=value")
            if key in ("domain", "xdomain", "ydomain"):
                name = "ydomain" if key == "ydomain" else "domain"
                interval = parse_interval(value)
                check_interval(name, interval)
                values[name] = interval
            elif key in ("order", "samples"):
                try:
                    values[key] = int(value)
                except ValueError:
                    raise OptionError(f"{key} must be a whole number, got {value!r}") from None
            else:
                raise OptionError(
                    f"unknown option {key!r}; the options are domain, ydomain, order, samples"
                )
        except OptionError as problem:
            problems.append(f"directive: {problem}")
    return PlotOptions(**values), problems  # type: ignore[arg-type]


def settings_options(settings: dict[str, object]) -> tuple[PlotOptions, list[str]]:
    """The plot options in client settings (`domain`, `order`, `samples`), leniently."""
    problems: list[str] = []
    values: dict[str, object] = {}
    domain = settings.get("domain")
    if domain is not None:
        try:
            if isinstance(domain, str):
                values["domain"] = parse_interval(domain)
            elif isinstance(domain, list | tuple) and len(domain) == 2:
                values["domain"] = (float(domain[0]), float(domain[1]))
            else:
                raise OptionError(f"{domain!r} is not a range")
            check_interval("domain", values["domain"])  # type: ignore[arg-type]
        except (OptionError, TypeError, ValueError) as problem:
            values.pop("domain", None)  # a bad setting falls back to the default
            problems.append(f"setting derivlens.domain ignored: {problem}")
    for key in ("order", "samples"):
        value = settings.get(key)
        if value is None:
            continue
        if isinstance(value, int | float) and not isinstance(value, bool) and value == int(value):
            values[key] = int(value)
        else:
            problems.append(f"setting derivlens.{key} ignored: {value!r} is not a whole number")
    return PlotOptions(**values), problems  # type: ignore[arg-type]
