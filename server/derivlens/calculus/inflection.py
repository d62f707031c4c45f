"""Inflection points: where f″ changes sign, refined like the critical points.

The search is `critical.critical_points` one level up: the samples of f″ bracket each
sign change, and the root is refined on f″ itself (Newton's method with autograd's f‴,
or regula falsi on f″ alone). A sign change of f″ across a jump of f or f′ is no
inflection point (f has no tangent there), so brackets that hold one are left out.

Where f″ is not autograd's (finite differences), only a sign change that is beyond
the differences' own error on both sides is trusted; at the few points autograd cannot
serve inside an autograd curve, a sign change is left out and a warning says where
(docs/protocol.md, "Inflection points").
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from derivlens.calculus import stencils
from derivlens.calculus.autograd import changes_almost_everywhere
from derivlens.calculus.common import reraise_if_fatal
from derivlens.calculus.critical import bracketed, critical_points, together
from derivlens.calculus.differences import Evaluate
from derivlens.calculus.discontinuities import Discontinuity, name_points
from derivlens.model import PlotWarning, WarningKind

#: f″ and f‴ at an array of points (autograd's).
BendAndThird = Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]
#: autograd's f and its derivatives up to an order, at an array of points (`curves`).
Exact = Callable[[Callable[..., Any], np.ndarray, int], tuple[Any, dict[int, np.ndarray], Any]]


def of_autograd(
    f: Callable[..., Any],
    exact: Exact,
    x: np.ndarray,
    derivatives: dict[int, np.ndarray],
    found: Sequence[Discontinuity],
    cut: np.ndarray,
) -> tuple[list[float], PlotWarning | None]:
    """`by_autograd` for a scalar f whose f″ autograd gave at the samples (none for a
    vector-valued f); refined with f‴ where autograd has it, else on f″ alone."""
    if 2 not in derivatives and derivatives[1].ndim == 1:
        return [], _without_bend(derivatives[1])
    if 2 not in derivatives or derivatives[2].ndim != 1:
        return [], None

    def level(points: np.ndarray, k: int) -> np.ndarray:
        return np.asarray(exact(f, points, k)[1][k])

    def bend_and_third(points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        found = exact(f, points, 3)[1]  # one pass gives both
        return np.asarray(found[2]), np.asarray(found[3])

    third = _third_for_guesses(x, derivatives)

    def search(refine_with: BendAndThird | None) -> tuple[list[float], PlotWarning | None]:
        bend_at = lambda p: level(p, 2)  # noqa: E731
        return by_autograd(
            x, derivatives[1], derivatives[2], bend_at, refine_with, found, cut, third
        )

    try:
        try:
            return search(bend_and_third)
        except Exception as error:  # autograd may stop at f″ (hardsigmoid's backward)
            reraise_if_fatal(error)
            if 3 in derivatives:  # autograd gave f‴ at the samples: f itself failed
                raise
            return search(None)
    except Exception as error:  # f fails at a refined point: no verdict, said below
        reraise_if_fatal(error)
        return [], PlotWarning(
            WarningKind.FINITE_DIFFERENCE,
            f"inflection points are not listed: f raised {type(error).__name__} while "
            "they were refined",
        )


def _without_bend(slope: np.ndarray) -> PlotWarning | None:
    """Why no inflection points are listed where autograd gave f′ but no f″: said when
    f′ changes almost everywhere (a piecewise linear f, hardsigmoid, has none to list)."""
    if not changes_almost_everywhere(slope):
        return None
    return PlotWarning(
        WarningKind.FINITE_DIFFERENCE,
        "inflection points are not listed: autograd cannot differentiate f′ (the "
        "function's backward leaves the graph); plot order 2 for f″ by finite differences",
    )


def with_critical(
    f: Callable[..., Any],
    exact: Exact,
    x: np.ndarray,
    values: np.ndarray,
    derivatives: dict[int, np.ndarray],
    found: Sequence[Discontinuity],
) -> tuple[list[float], list[float]] | None:
    """(critical points, inflection points) of a scalar f that autograd serves at every
    sample, refined together (`critical.together`: one evaluation of f′, f″ and f‴ per
    Newton step for both); None if that fails (autograd may stop at f″), and then each is
    found alone (`of_autograd`, `critical_points`)."""
    third = _third_for_guesses(x, derivatives)
    critical = bracketed(x, values, derivatives[1], bend=derivatives[2], third=third)
    bends = bracketed(
        x,
        derivatives[1],
        derivatives[2],
        avoid=jumps_of_f_or_slope(found),
        bend=third,
    )
    try:
        roots = together([(critical, 1), (bends, 2)], lambda points: exact(f, points, 3)[1])
    except Exception as error:
        reraise_if_fatal(error)
        return None
    return roots[0], roots[1]


def _third_for_guesses(x: np.ndarray, derivatives: dict[int, np.ndarray]) -> np.ndarray:
    """f‴ at the samples for first guesses: autograd's, or (order 1: not computed) the
    differences of f″, which only place the guesses."""
    if 3 in derivatives:
        return derivatives[3]
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.gradient(derivatives[2], x)


def jumps_of_f_or_slope(found: Sequence[Discontinuity]) -> list[float]:
    """Where f or f′ jumps: no tangent there, so no inflection point."""
    return [float(d.x) for d in found if d.order in (0, 1)]


def by_autograd(
    x: np.ndarray,
    slope: np.ndarray,
    bend: np.ndarray,
    bend_at: Callable[[np.ndarray], np.ndarray],
    bend_and_third: BendAndThird | None,
    found: Sequence[Discontinuity],
    cut: np.ndarray,
    third: np.ndarray | None = None,
) -> tuple[list[float], PlotWarning | None]:
    """Inflection points from autograd's f″ at the samples (`bend`), refined with f‴
    (`third`: f‴ at the samples, if known, for closer first guesses).

    `cut` marks the samples whose derivatives are finite differences (autograd cannot
    serve there): a sign change beside one is not refined on autograd's f″ there, so it
    is left out, and the warning names those points."""
    avoid = jumps_of_f_or_slope(found)

    def search(skip: Sequence[float]) -> list[float]:
        return critical_points(x, slope, bend, bend_at, 0.0, bend_and_third, avoid=skip, bend=third)

    points = search(avoid)
    if not cut.any():
        return points, None
    trusted = search([*avoid, *x[cut].tolist()])
    if len(trusted) == len(points):
        return trusted, None
    return trusted, PlotWarning(
        WarningKind.FINITE_DIFFERENCE,
        "inflection points next to "
        f"{name_points([float(v) for v in x[cut]])} are not listed: f″ there is a finite "
        "difference, not exact, so where it changes sign cannot be refined",
    )


def by_differences(
    evaluate: Evaluate,
    x: np.ndarray,
    slope: np.ndarray,
    bend: tuple[np.ndarray, np.ndarray] | None,
) -> list[float]:
    """Inflection points from f″ by central differences (`bend`: f″ and its error per
    sample, if computed already; else only near the sign changes of a rough f″): a sign
    change counts only where f″ is beyond four times its estimated error on both sides,
    and is refined on f″ by differences."""
    domain = (float(x[0]), float(x[-1]))
    if bend is None:
        bend = _near_sign_changes(evaluate, x, slope, domain)
    second, error = bend
    floor = 4 * float(np.nanmax(error)) if np.isfinite(error).any() else np.inf
    if not np.isfinite(floor):
        return []

    def bend_at(points: np.ndarray) -> np.ndarray:
        return stencils.derivative_with_error(evaluate, points, 2, domain)[0]

    return critical_points(x, slope, second, bend_at, floor)


def _near_sign_changes(
    evaluate: Evaluate, x: np.ndarray, slope: np.ndarray, domain: tuple[float, float]
) -> tuple[np.ndarray, np.ndarray]:
    """f″ by differences (and its error) only where f″ may change sign, NaN elsewhere:
    each sign change of the rough f″ that the samples of f′ give (their differences),
    with a sample more either side; the differences at every sample would cost several
    times the whole plot."""
    rough = np.gradient(slope, x) if len(x) > 2 else np.full(len(x), np.nan)
    finite = np.isfinite(rough)
    signs = np.sign(np.where(finite, rough, 0.0))
    wanted = np.zeros(len(x), dtype=bool)
    for i in np.flatnonzero(signs[:-1] != signs[1:]):
        wanted[max(i - 1, 0) : i + 3] = True
    second, error = np.full(len(x), np.nan), np.full(len(x), np.nan)
    if wanted.any():
        found = stencils.derivative_with_error(evaluate, x[wanted], 2, domain)
        second[wanted], error[wanted] = found
    return second, error
