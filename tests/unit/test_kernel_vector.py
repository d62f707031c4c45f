"""Vector input in a kernel (docs/protocol.md, "Vector input"): `derivlens.plot(f)` on a
live `def f(v): … v[0] … v[1]` is a surface over v[0] and v[1], as in a file; further
components are held at 0 (or at `params`), and such a function compares with a surface
of either form. Numbers against closed forms worked out here."""

from __future__ import annotations

import numpy as np

import derivlens


def rosenbrock(v):  # type: ignore[no-untyped-def]
    return (1 - v[0]) ** 2 + 100 * (v[1] - v[0] ** 2) ** 2


def tilted(p):  # type: ignore[no-untyped-def]
    return p[0] * p[1] + p[2] * p[0] ** 2


def bowl(x, y):  # type: ignore[no-untyped-def]
    return x**2 + y**2


def grid(result):  # type: ignore[no-untyped-def]
    return np.meshgrid(np.array(result.x), np.array(result.y))


def test_a_live_vector_input_function_is_a_surface_over_its_components() -> None:
    shown = derivlens.plot(rosenbrock, domain=(-1.5, 1.5), ydomain=(-0.5, 2.0), samples=31)
    assert shown.variables == ("v[0]", "v[1]")
    a, b = grid(shown)
    np.testing.assert_allclose(shown.f, (1 - a) ** 2 + 100 * (b - a**2) ** 2, rtol=1e-12)
    gx = -2 * (1 - a) - 400 * a * (b - a**2)
    np.testing.assert_allclose(shown.gradient.x, gx, rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(shown.gradient.y, 200 * (b - a**2), rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(shown.critical_points, [(1.0, 1.0)], atol=1e-9)


def test_a_third_component_is_held_at_0_or_at_its_param() -> None:
    held = derivlens.plot(tilted, domain=(-1, 1), ydomain=(-1, 1), samples=11)
    assert held.fixed == {"p[2]": 0.0}
    a, b = grid(held)
    np.testing.assert_allclose(held.f, a * b, atol=1e-15)
    moved = derivlens.plot(
        tilted, domain=(-1, 1), ydomain=(-1, 1), samples=11, params={"p[2]": 1.5}
    )
    assert moved.fixed == {"p[2]": 1.5}
    np.testing.assert_allclose(moved.gradient.x, b + 3.0 * a, atol=1e-12)


def test_it_compares_with_a_surface_of_two_plain_variables() -> None:
    shown = derivlens.plot(rosenbrock, domain=(-1, 1), ydomain=(-1, 1), samples=11, compare=bowl)
    a, b = grid(shown)
    compare = shown.compare
    assert compare.function == "bowl"
    np.testing.assert_allclose(compare.f, a**2 + b**2, atol=1e-12)
    expected = (1 - a) ** 2 + 100 * (b - a**2) ** 2 - a**2 - b**2
    np.testing.assert_allclose(compare.difference, expected, rtol=1e-12, atol=1e-9)


def test_a_lambda_keeps_its_plain_variables() -> None:
    shown = derivlens.plot(lambda x, y: x * y, domain=(-1, 1), ydomain=(-1, 1), samples=5)
    assert shown.variables == ("x", "y")
