"""The `taylor` option as each caller writes it, read into a `model.TaylorRequest`.

The language server's command sends `{"at": x0, "order": k}`, the CLI `--taylor X0 [K]`,
the kernel `taylor=(x0, k)`; each bad value is `invalid-options` with a message in the
caller's own words (docs/protocol.md, "Taylor and tangent"). Pure Python, no torch: the
language server checks a request here before any job starts, and the sandboxed child
checks again where only it knows the number of variables.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from derivlens.errors import InvalidOptions
from derivlens.model import TaylorRequest
from derivlens.options import parse_number, shown

if TYPE_CHECKING:
    from derivlens.engine import Prepared

ORDERS = (1, 2, 3, 4)


def _checked(at: Any, order: Any, label: str, names: tuple[str, str]) -> TaylorRequest:
    """A request from a number x0 and an order k, or `invalid-options` naming `label`."""
    if isinstance(at, bool) or not isinstance(at, int | float) or not math.isfinite(at):
        raise InvalidOptions(
            f"{label}: {names[0]} must be a finite number (a point of the domain), got {shown(at)}",
            option="taylor",
        )
    if isinstance(order, bool) or not isinstance(order, int) or order not in ORDERS:
        raise InvalidOptions(
            f"{label}: {names[1]} must be a whole number from 1 to 4 (1: the tangent line), "
            f"got {shown(order)}",
            option="taylor",
        )
    return TaylorRequest(at=float(at), order=order)


def from_command(value: Any) -> TaylorRequest | None:
    """The command's `taylor`: `{"at": x0, "order": k}` (order 1 if left out)."""
    if value is None:
        return None
    if not isinstance(value, Mapping) or "at" not in value or set(value) - {"at", "order"}:
        raise InvalidOptions(
            f'taylor must be {{"at": x0, "order": k}} with k from 1 to 4, got {shown(value)}',
            option="taylor",
        )
    return _checked(value["at"], value.get("order", 1), "taylor", ("at", "order"))


def from_cli(values: Sequence[str] | None) -> TaylorRequest | None:
    """`--taylor X0 [K]`: x0 as a number people write (`pi/4`), K 1 if left out."""
    if values is None:
        return None
    if not 1 <= len(values) <= 2:
        raise InvalidOptions(
            f"--taylor takes X0 and an optional order K (1 to 4), got {len(values)} values",
            option="taylor",
        )
    try:
        at = parse_number(values[0])
    except ValueError as problem:
        raise InvalidOptions(f"--taylor: X0 {problem}", option="taylor") from None
    order: Any = values[1] if len(values) == 2 else 1
    if isinstance(order, str) and order.strip().isdigit():
        order = int(order)
    return _checked(at, order, "--taylor", ("X0", "K"))


def from_kernel(value: Any) -> TaylorRequest | None:
    """`taylor=(x0, k)` (or a bare x0 for the tangent line)."""
    if value is None:
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = (value, 1)
    if not isinstance(value, tuple | list) or len(value) != 2:
        raise InvalidOptions(
            f"taylor must be (x0, k) with k from 1 to 4, got {shown(value)}", option="taylor"
        )
    return _checked(value[0], value[1], "taylor", ("x0", "k"))


def check(
    request: TaylorRequest | None,
    name: str,
    variables: Sequence[str] | None,
    domain: tuple[float, float] | None,
    label: str = "taylor",
) -> None:
    """Refuse a polynomial this function cannot have: of more than one variable, or at
    an x0 outside the domain (None: not known yet, the child checks)."""
    if request is None:
        return
    if variables is not None and len(variables) != 1:
        raise InvalidOptions(
            f"{label}: the Taylor polynomial needs a function of one variable; {name} has "
            f"{len(variables)} ({', '.join(variables)}): leave {label} out",
            option="taylor",
        )
    if domain is not None and not domain[0] <= request.at <= domain[1]:
        raise InvalidOptions(
            f"{label}: x0 = {request.at:g} is outside the domain [{domain[0]:g}, "
            f"{domain[1]:g}]; choose x0 inside it (or widen the domain)",
            option="taylor",
        )


def check_prepared(prepared: Prepared, label: str) -> None:
    """`check` with what is known before the child runs: the variables (unless only the
    callable's runtime signature tells) and the domain of one variable."""
    signature = prepared.function.signature
    one = prepared.settled.get(1)
    domain = one.options.domain if one is not None and one.options is not None else None
    variables = None if signature.runtime else signature.variables
    check(prepared.taylor, prepared.function.name, variables, domain, label)


def cli_values(argv: Sequence[str]) -> list[str]:
    """`argv` with a negative X0 after `--taylor` kept as a value (`--taylor -pi/2 3`),
    as `options.cli_values` does for the intervals."""
    kept = list(argv)
    for index, token in enumerate(kept[:-1]):
        if token == "--taylor" and kept[index + 1].startswith("-"):
            kept[index + 1] = " " + kept[index + 1]
    return kept
