"""The plot options, declared once, and the four places that set them.

`PlotOptions` is the table: one field per option, its metadata (`option(...)`) giving the
kind of value, the default and the bounds for one and for two variables, the directive
aliases, the CLI flag and the help text. Everything else derives from it: the
`# derivlens:` directive, the client settings, the arguments of the `derivlens.plot`
command, the CLI flags, and every message about a bad value (which states the allowed
range). Adding an option is one field here plus its use in the maths.

Precedence (docs/protocol.md, "Options"): the request > the directive > the settings >
the defaults. A bad value from any source is `invalid-options`; a setting that is fine
in itself but outside the range for this function (`samples: 1000` for a surface) gives
way to the default with an `options` warning, since settings apply to every function.
"""

from __future__ import annotations

import argparse
import ast
import math
import re
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from enum import Enum
from typing import Any

import attrs

from derivlens.errors import InvalidOptions
from derivlens.text import shorten

Interval = tuple[float, float]


class Kind(Enum):
    """What sort of value an option takes, and so how each source writes it."""

    INTERVAL = "interval"  # `-2..2` in text, `[-2, 2]` in JSON, `A B` on the CLI
    WHOLE = "whole"  # a whole number


class Origin(Enum):
    """Where an option's value came from (a request, the CLI, a directive, the settings):
    it prefixes the messages about the value."""

    REQUEST = "request"
    CLI = "cli"
    DIRECTIVE = "directive"
    SETTINGS = "settings"

    def name_of(self, option: str) -> str:
        """How a person refers to `option` in this source."""
        spec = spec_of(option)
        if self is Origin.CLI:
            return spec.cli
        if self is Origin.DIRECTIVE:
            return f"directive {option}"
        if self is Origin.SETTINGS:
            return f"setting derivlens.{option}"
        return option


@attrs.frozen
class Spec:
    """One option's declaration (the metadata of its `PlotOptions` field)."""

    kind: Kind
    help: str
    cli: str
    #: The default for a function of n variables; may read options resolved before it.
    default: Callable[[int, Mapping[str, Any]], Any]
    #: Inclusive bounds of a WHOLE option, per number of variables.
    bounds: Mapping[int, tuple[int, int]] = attrs.field(factory=dict)
    #: Numbers of variables the option applies to.
    variables: tuple[int, ...] = (1, 2)
    aliases: tuple[str, ...] = ()


def option(default_1: Any, **spec: Any) -> Any:
    """A `PlotOptions` field: `default_1` is its value for one variable."""
    return attrs.field(default=default_1, metadata={"spec": Spec(**spec)})


def _fixed(value: Any) -> Callable[[int, Mapping[str, Any]], Any]:
    return lambda _nvars, _resolved: value


@attrs.frozen
class PlotOptions:
    """The options of one evaluation, every one decided (the table of all options)."""

    domain: Interval = option(
        (-5.0, 5.0),
        kind=Kind.INTERVAL,
        help="the interval of x (and of y too, unless ydomain is given)",
        cli="--domain",
        default=_fixed((-5.0, 5.0)),
        aliases=("xdomain",),
    )
    ydomain: Interval | None = option(
        None,
        kind=Kind.INTERVAL,
        help="the interval of y, for a function of two variables (default: the domain)",
        cli="--y-domain",
        default=lambda _nvars, resolved: resolved["domain"],
        variables=(2,),
    )
    order: int = option(
        1,
        kind=Kind.WHOLE,
        help="the highest derivative to plot (two variables: the gradient, order 1)",
        cli="--order",
        default=_fixed(1),
        bounds={1: (1, 4), 2: (1, 1)},
    )
    samples: int = option(
        401,
        kind=Kind.WHOLE,
        help="sample points per axis (default 401, or a 61×61 grid for two variables)",
        cli="--samples",
        default=lambda nvars, _resolved: 401 if nvars == 1 else 61,
        bounds={1: (2, 100_000), 2: (2, 401)},
    )


#: The old name of `Origin`, for the modules that still import it (engine, lsp.protocol_hooks,
#: tests/helpers); `documents.Source` is a parsed document, something else.
Source = Origin

NAMES: tuple[str, ...] = tuple(f.name for f in attrs.fields(PlotOptions))


def spec_of(name: str) -> Spec:
    spec: Spec = getattr(attrs.fields(PlotOptions), name).metadata["spec"]
    return spec


def specs() -> Iterable[tuple[str, Spec]]:
    return ((name, spec_of(name)) for name in NAMES)


# --- reading values ----------------------------------------------------------------------

_NAMED_CONSTANTS = {"pi": math.pi, "tau": math.tau, "e": math.e}
#: The longest number text that is read. Numbers as people write them are short; a longer
#: text (2,000 minus signs) is refused before it is parsed, as it would nest that deep.
MAX_NUMBER_TEXT = 64
NUMBER_FORM = (
    "digits, pi, tau or e, with * or / (like -2, 1e-3, -2pi or pi/2; "
    f"at most {MAX_NUMBER_TEXT} characters)"
)


def parse_number(text: str) -> float:
    """A number as people write it: `-2`, `1e-3`, `pi`, `-2pi`, `pi/2`."""
    text = text.strip()
    if len(text) > MAX_NUMBER_TEXT:
        raise ValueError(f"{shown(text)} is not a number: write {NUMBER_FORM}")
    cleaned = re.sub(r"(\d)(pi|tau)\b", r"\1*\2", text)
    try:
        tree = ast.parse(cleaned, mode="eval")
    except (SyntaxError, ValueError):  # ValueError: a null byte
        raise ValueError(f"{shown(text)} is not a number: write {NUMBER_FORM}") from None
    return _constant(tree.body, text)


def shown(value: Any) -> str:
    """`value` for a message: its repr, cut to a readable length."""
    return shorten(repr(value), 40)


def _constant(node: ast.expr, text: str) -> float:
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
        if isinstance(node.value, bool):
            raise ValueError(f"{shown(text)} is not a number")
        return float(node.value)
    if isinstance(node, ast.Name) and node.id in _NAMED_CONSTANTS:
        return _NAMED_CONSTANTS[node.id]
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        value = _constant(node.operand, text)
        return -value if isinstance(node.op, ast.USub) else value
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult | ast.Div):
        left, right = _constant(node.left, text), _constant(node.right, text)
        if isinstance(node.op, ast.Mult):
            return left * right
        if right == 0:
            raise ValueError(f"{shown(text)} divides by zero")
        return left / right
    raise ValueError(f"{shown(text)} is not a number: write {NUMBER_FORM}")


def _read_number(value: Any) -> float:
    """A JSON number, or text in the directive's notation (what a person typed)."""
    if isinstance(value, str):
        return parse_number(value)
    if type(value) in (int, float):
        return float(value)
    raise ValueError(f"{shown(value)} is not a number")


def _interval(value: Any) -> Interval:
    if isinstance(value, str):
        body = value.strip().strip("[]()")
        parts: list[Any] = body.split("..") if ".." in body else body.split(",")
    elif isinstance(value, list | tuple):
        parts = list(value)
    else:
        raise ValueError(f"{shown(value)} is not a range; write it like -2..2 or [-2, 2]")
    if len(parts) != 2:
        raise ValueError(f"{shown(value)} is not a range; write it like -2..2 or [-2, 2]")
    lo, hi = _read_number(parts[0]), _read_number(parts[1])
    if not (math.isfinite(lo) and math.isfinite(hi)):
        raise ValueError(f"it must be finite, got {lo:g}..{hi:g}")
    if not lo < hi:
        raise ValueError(f"it must go from low to high, got {lo:g}..{hi:g}")
    if not math.isfinite(hi - lo):  # the samples' spacing would overflow
        raise ValueError(
            f"its width must be finite (high − low at most {sys.float_info.max:.4g}), "
            f"got {lo:g}..{hi:g}"
        )
    return (lo, hi)


def _whole(value: Any) -> int:
    if isinstance(value, str) and len(value.strip()) <= MAX_NUMBER_TEXT:
        try:
            return int(value.strip())
        except ValueError:
            pass
    elif type(value) is int:
        return value
    elif type(value) is float and value.is_integer():
        return int(value)
    raise ValueError(f"it must be a whole number, got {shown(value)}")


_READERS: dict[Kind, Callable[[Any], Any]] = {Kind.INTERVAL: _interval, Kind.WHOLE: _whole}


def _range_text(bounds: tuple[int, int]) -> str:
    lo, hi = bounds
    return f"{lo}" if lo == hi else f"{lo} to {hi}"


def _widest(spec: Spec) -> tuple[int, int] | None:
    if not spec.bounds:
        return None
    return min(b[0] for b in spec.bounds.values()), max(b[1] for b in spec.bounds.values())


def read(name: str, value: Any, origin: Origin) -> Any:
    """`value` for option `name`, checked against its widest bounds; else InvalidOptions."""
    spec = spec_of(name)
    label = origin.name_of(name)
    try:
        parsed = _READERS[spec.kind](value)
    except ValueError as problem:
        raise InvalidOptions(f"{label}: {problem}", option=name) from None
    widest = _widest(spec)
    if widest is not None and not widest[0] <= parsed <= widest[1]:
        raise InvalidOptions(
            f"{label} must be {_range_text(widest)}, got {shown(parsed)}{_per_variables(spec)}",
            option=name,
        )
    return parsed


def _per_variables(spec: Spec) -> str:
    if len({*spec.bounds.values()}) <= 1:
        return ""
    parts = [
        f"{_range_text(b)} for {n} variable{'s' if n > 1 else ''}"
        for n, b in sorted(spec.bounds.items())
    ]
    return f" ({'; '.join(parts)})"


def read_all(values: Mapping[str, Any], origin: Origin) -> dict[str, Any]:
    """Every option in `values` (other keys are not read here), each checked."""
    return {
        name: read(name, values[name], origin) for name in NAMES if values.get(name) is not None
    }


def read_settings(values: Mapping[str, Any]) -> Layer:
    """The plot options among the client's settings; a bad one fails only where used."""
    good: dict[str, Any] = {}
    bad: dict[str, InvalidOptions] = {}
    for name in NAMES:
        if values.get(name) is None:
            continue
        try:
            good[name] = read(name, values[name], Origin.SETTINGS)
        except InvalidOptions as problem:
            bad[name] = problem
    return Layer(Origin.SETTINGS, good, bad)


# --- the directive: `# derivlens: domain=-2..2 order=2 samples=400` -------------------------

DIRECTIVE_RE = re.compile(r"#\s*derivlens\s*:(?P<body>.*)$")

#: A held parameter's name (docs/protocol.md, "Variables, held parameters and options"):
#: `a`, a module constructor's `Swish(beta)`, or a held component of vector input `x[2]`.
HELD_NAME = re.compile(r"[A-Za-z_]\w*(\([A-Za-z_]\w*\)|\[[0-7]\])?")


def _directive_key(key: str) -> str | None:
    wanted = key.strip().lower().replace("_", "").replace("-", "")
    for name, spec in specs():
        if wanted == name or wanted in spec.aliases:
            return name
    return None


def parse_directive(body: str) -> tuple[dict[str, Any], list[InvalidOptions]]:
    """The options the text after `# derivlens:` sets, and what was wrong in it."""
    values: dict[str, Any] = {}
    problems: list[InvalidOptions] = []
    for item in re.split(r"[\s;]+", body.strip()):
        if not item:
            continue
        key, sep, text = item.partition("=")
        name = _directive_key(key)
        if name is None:
            problems.append(
                InvalidOptions(
                    f"directive: unknown option {key.strip()!r}; the options are "
                    f"{', '.join(NAMES)} (e.g. # derivlens: domain=-2..2 order=2)"
                )
            )
        elif not sep:
            problems.append(
                InvalidOptions(f"directive: {item!r} has no value; write {name}=…", option=name)
            )
        else:
            try:
                values[name] = read(name, text, Origin.DIRECTIVE)
            except InvalidOptions as problem:
                problems.append(problem)
    return values, problems


# --- the CLI ----------------------------------------------------------------------------


def add_cli_arguments(parser: argparse.ArgumentParser) -> None:
    """One flag per option (`--domain A B`, `--samples N`, ...), read later by `from_cli`."""
    for name, spec in specs():
        if spec.kind is Kind.INTERVAL:
            parser.add_argument(spec.cli, nargs=2, metavar=("A", "B"), dest=name, help=spec.help)
        else:
            parser.add_argument(spec.cli, metavar=name[0].upper(), dest=name, help=spec.help)


def cli_values(argv: Sequence[str]) -> list[str]:
    """`argv` with the two values after an interval flag kept as values: argparse takes
    `-pi`, `-1e3` or `-2pi` for a flag (it knows only plain negative numbers), not with
    a leading space, which `parse_number` strips."""
    flags = {spec.cli for _name, spec in specs() if spec.kind is Kind.INTERVAL}
    kept = list(argv)
    for index, token in enumerate(kept):
        if token in flags:
            for value in range(index + 1, min(index + 3, len(kept))):
                if kept[value].startswith("-") and kept[value] not in flags:
                    kept[value] = " " + kept[value]
    return kept


def from_cli(namespace: argparse.Namespace) -> dict[str, Any]:
    return read_all({name: getattr(namespace, name, None) for name in NAMES}, Origin.CLI)


# --- precedence ---------------------------------------------------------------------------


@attrs.frozen
class Layer:
    """What one source said (already read), highest precedence first in `resolve`."""

    origin: Origin
    values: Mapping[str, Any]
    #: Options this source set to a bad value: raised if nothing above it sets them.
    problems: Mapping[str, InvalidOptions] = attrs.field(factory=dict)


def resolve(layers: Iterable[Layer], nvars: int) -> tuple[PlotOptions, list[str]]:
    """The options for a function of `nvars` variables, and notes on what gave way.

    A value outside this function's range is InvalidOptions, except from the settings
    (they are for every function): then the next layer or the default applies, noted.
    """
    layers = list(layers)
    resolved: dict[str, Any] = {}
    notes: list[str] = []
    for name, spec in specs():
        resolved[name] = _decide(name, spec, layers, nvars, notes, resolved)
    return PlotOptions(**resolved), notes


def _decide(
    name: str,
    spec: Spec,
    layers: list[Layer],
    nvars: int,
    notes: list[str],
    resolved: Mapping[str, Any],
) -> Any:
    applies = nvars in spec.variables
    for layer in layers:
        if name in layer.problems:
            raise layer.problems[name]
        if name not in layer.values:
            continue
        value = layer.values[name]
        label = layer.origin.name_of(name)
        problem = None
        if not applies:
            problem = f"{label} is only for functions of {_arity(spec.variables)}"
        elif nvars in spec.bounds and not spec.bounds[nvars][0] <= value <= spec.bounds[nvars][1]:
            problem = (
                f"{label} must be {_range_text(spec.bounds[nvars])} for a function of "
                f"{_arity((nvars,))}, got {value}"
            )
        if problem is None:
            return value
        if layer.origin is not Origin.SETTINGS:
            raise InvalidOptions(problem, option=name)
        if applies:
            notes.append(f"{problem}; using the default")
    return spec.default(nvars, resolved) if applies else None


def _arity(counts: tuple[int, ...]) -> str:
    words = {1: "one variable", 2: "two variables"}
    return " or ".join(words.get(n, f"{n} variables") for n in counts)


def read_params(items: list[str]) -> dict[str, float]:
    """`--param a=2.5`, `--param 'Swish(beta)=2'` for a module constructor's value, and
    `--param 'x[2]=1.5'` for a held component of vector input."""
    params = {}
    for item in items:
        name, sep, value = item.partition("=")
        try:
            if not (sep and HELD_NAME.fullmatch(name.strip())):
                raise ValueError(
                    f"write it as NAME=VALUE (or 'Class(name)=VALUE' for a module's "
                    f"constructor, 'x[2]=VALUE' for a vector's component), got {item!r}"
                )
            params[name.strip()] = parse_number(value)
        except ValueError as problem:
            raise InvalidOptions(f"--param: {problem}", option="params") from None
    return params
