"""The shapes a session mostly draws, as results: what `stage.prebuild` builds the kept
figures with before any request (on the default domain, so that their x tick labels
are laid out already)."""

from __future__ import annotations

import math

import attrs
import numpy as np

from derivlens import model

__all__ = ["curves", "rehearse", "series", "usual_shapes"]


def usual_shapes() -> tuple[list[model.Result], list[model.Result]]:
    """The shapes a session mostly draws, on the default domain (so its x tick labels
    are laid out already): the largest of each kind (f with 4 derivatives, of which the
    hover shows two rows; f with 3 outputs; a surface on the default grid), and f with
    1, 2 and 3 derivatives, and with 1–4 under a longer name (a legend in two rows)."""
    x = np.linspace(-5.0, 5.0, 401)
    funcs = [
        x**3 / 10 - x,
        3 * x**2 / 10 - 1,
        6 * x / 10,
        0.6 + 0 * x,
        0 * x,
    ]
    largest: list[model.Result] = [curves(x, funcs), _vector(x, 3), _surface(61)]
    smaller: list[model.Result] = [curves(x, funcs[: k + 1]) for k in (1, 2, 3)]
    smaller += [curves(x, funcs[: k + 1], "function") for k in (1, 2, 3, 4)]
    return largest, smaller


def rehearse(
    function: str, variable: str, domain: tuple[float, float], order: int, spec: model.Render
) -> bool:
    """Draw what a request for `function` shows, on made-up values: its title, legend
    and x tick labels are then laid out and measured here, in the sandbox's worker, for
    the children forked after (a session plots the same functions again and again: a
    slider's previews, a hover after each edit). Whether anything was new."""
    from derivlens import plotting
    from derivlens.plotting import canvas

    before = canvas.cache_sizes()
    x = np.linspace(domain[0], domain[1], 401)
    made_up = [np.sin(x + k) for k in range(order + 1)]
    result = curves(x, made_up, function)
    plotting.render(attrs.evolve(result, variables=(variable,)), spec)
    return canvas.cache_sizes() != before


def series(values: np.ndarray) -> list[float | None]:
    return [float(v) if math.isfinite(v) else None for v in values]


def curves(x: np.ndarray, funcs: list[np.ndarray], name: str = "f") -> model.CurvesResult:
    """f and its derivatives sampled at `x` as a result, its critical points where f′
    changes sign (for the benchmark too)."""
    d1 = funcs[1]
    crossings = np.flatnonzero(np.sign(d1[:-1]) * np.sign(d1[1:]) < 0)
    return model.CurvesResult(
        variables=("x",),
        fixed={},
        domain=(float(x[0]), float(x[-1])),
        order=len(funcs) - 1,
        method="autograd",
        x=series(x),
        f=series(funcs[0]),
        derivatives={str(k): series(funcs[k]) for k in range(1, len(funcs))},
        critical_points=[float(x[i]) for i in crossings],
        function=name,
    )


def _vector(x: np.ndarray, outputs: int) -> model.VectorCurvesResult:
    phases = [k * 2 * math.pi / outputs for k in range(outputs)]
    return model.VectorCurvesResult(
        variables=("t",),
        fixed={},
        domain=(float(x[0]), float(x[-1])),
        order=1,
        method="autograd",
        outputs=outputs,
        x=series(x),
        f=[series(np.sin(x + p)) for p in phases],
        derivatives={"1": [series(np.cos(x + p)) for p in phases]},
        critical_points=[[] for _ in phases],
        function="f",
    )


def _surface(n: int) -> model.SurfaceResult:
    x = np.linspace(-5.0, 5.0, n)
    gx, gy = np.meshgrid(x, x)
    f = gx**2 - gy**2 + gx * gy

    def grid(values: np.ndarray) -> list[list[float | None]]:
        return [series(row) for row in values]

    return model.SurfaceResult(
        variables=("x", "y"),
        fixed={},
        domain=(-5.0, 5.0),
        ydomain=(-5.0, 5.0),
        order=1,
        method="autograd",
        x=series(x),
        y=series(x),
        f=grid(f),
        gradient=model.Gradient(x=grid(2 * gx + gy), y=grid(-2 * gy + gx)),
        critical_points=[(0.0, 0.0)],
        function="f",
    )
