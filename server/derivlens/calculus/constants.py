"""A float read off traced code, written as people write it: `1/2`, `2*pi`, `sqrt(2/pi)`.

Code computes its constants in floating point (`math.sqrt(2 / math.pi)` is
0.7978845608028654 by the time the trace sees it). A constant is a small rational
multiple of 1 or of a usual constant (pi, e, sqrt(2), sqrt(2*pi), log(2), ... or the
reciprocal of one) when that product is the float to within a few units in the last
place; a short decimal (`0.1`, `1.702`) and any other float stay decimals, as they
were written (`0.044715`). SymPy's own
`nsimplify` does this with mpmath's `identify`, which takes tenths of a second per
constant and accepts matches well outside the tolerance it is given (a 10-digit
truncation of sqrt(2/pi) passes for it), so the search here is a fixed, short one:
`fractions.Fraction.limit_denominator` for each candidate constant.
"""

from __future__ import annotations

import math
from fractions import Fraction
from functools import cache

import sympy as sp

#: The named constants tried, in order (the first that fits wins), with their values.
_BASES = (
    sp.pi,
    sp.E,
    sp.sqrt(2),
    sp.sqrt(3),
    sp.sqrt(sp.pi),
    sp.sqrt(2 * sp.pi),
    sp.pi**2,
    sp.log(2),
    sp.log(10),
)
#: Largest denominator and numerator of the rational factor.
MAX_DENOMINATOR = 1000
MAX_NUMERATOR = 100_000
#: How close the product must be, relative: a few rounding steps of float64.
RELATIVE = 8 * 2.0**-52
#: Integers up to this size are written as integers.
MAX_INTEGER = 2**53


@cache
def _candidates() -> tuple[tuple[sp.Expr, float], ...]:
    pairs: list[tuple[sp.Expr, float]] = []
    for base in _BASES:
        pairs += [(base, float(base)), (1 / base, float(1 / base))]
    return tuple(pairs)


def nice_constant(value: float) -> sp.Expr:
    """`value` as an exact SymPy number when one fits (see the module's docstring)."""
    if not math.isfinite(value):
        raise ValueError(f"not a finite constant: {value}")
    if abs(value) > MAX_INTEGER:
        return sp.Float(repr(value))
    if value == int(value):
        return sp.Integer(int(value))
    exact = Fraction(value).limit_denominator(MAX_DENOMINATOR)
    if float(exact) == value:
        # A short decimal stays one (`1.702`, `0.1`); `0.5`, `1/3`, `12.75` read as fractions.
        if len(repr(value)) < len(f"{exact.numerator}/{exact.denominator}"):
            return sp.Float(repr(value))
        return sp.Rational(exact.numerator, exact.denominator)
    for constant, approximate in _candidates():
        ratio = Fraction(value / approximate).limit_denominator(MAX_DENOMINATOR)
        if ratio == 0 or abs(ratio.numerator) > MAX_NUMERATOR:
            continue
        product = float(ratio) * approximate
        if abs(product - value) <= RELATIVE * abs(value):
            return sp.Rational(ratio.numerator, ratio.denominator) * constant
    return sp.Float(repr(value))
