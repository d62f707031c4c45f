"""Numbers a user would check: derivlens's values against analytic derivatives.

Autograd results must match to 1e-9, finite differences to 1e-5 (docs/protocol.md,
"Semantics"). Every case runs the whole pipeline (locate → slice → execute →
differentiate) in this process.
"""

from __future__ import annotations

import numpy as np
import pytest

from derivlens.errors import DerivlensError
from derivlens.text import shorten
from tests.helpers import array, evaluate_source, warning_kinds

AUTOGRAD_TOL = 1e-9
FD_TOL = 1e-5


RETURNS = "import torch\ndef f(x):\n    return {}\n"
DIRECTIVE = "def f(x):  # derivlens: {}\n    return x\n"


def plot_torch(tmp_path, body: str, **options):
    """The result for `def f(x): return BODY` in a module that imports torch."""
    return evaluate_source(tmp_path, RETURNS.format(body), "f", **options)


def assert_close(actual: list, expected: np.ndarray, tol: float) -> None:
    got = array(actual)
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, rtol=tol, atol=tol)


def test_polynomial_first_and_second_derivative(tmp_path):
    result = evaluate_source(
        tmp_path,
        """
        def f(x):
            return x**3 - 2 * x**2 + x - 1
        """,
        "f",
        order=2,
        domain=(-2, 2),
    )
    x = array(result["x"])
    assert result["method"] == "autograd"
    assert len(x) == 401 and x[0] == -2.0 and x[-1] == 2.0
    assert_close(result["f"], x**3 - 2 * x**2 + x - 1, AUTOGRAD_TOL)
    assert_close(result["derivatives"]["1"], 3 * x**2 - 4 * x + 1, AUTOGRAD_TOL)
    assert_close(result["derivatives"]["2"], 6 * x - 4, AUTOGRAD_TOL)
    # f' = 3x² - 4x + 1 = 0 at x = 1/3 and x = 1
    np.testing.assert_allclose(sorted(result["critical_points"]), [1 / 3, 1.0], atol=1e-3)
    assert result["warnings"] == []


def test_trig_exp_composition(tmp_path):
    result = plot_torch(
        tmp_path, "torch.exp(torch.sin(2 * x)) * torch.cos(x)", domain=(-3, 3), order=2
    )
    x = array(result["x"])
    s, c = np.sin(2 * x), np.cos(x)
    f = np.exp(s) * c
    d1 = np.exp(s) * (2 * np.cos(2 * x) * c - np.sin(x))
    # d/dx of e^s (2 cos2x cos x - sin x)
    inner = 2 * np.cos(2 * x) * c - np.sin(x)
    d_inner = -4 * np.sin(2 * x) * c - 2 * np.cos(2 * x) * np.sin(x) - np.cos(x)
    d2 = np.exp(s) * (2 * np.cos(2 * x) * inner + d_inner)
    assert_close(result["f"], f, AUTOGRAD_TOL)
    assert_close(result["derivatives"]["1"], d1, AUTOGRAD_TOL)
    assert_close(result["derivatives"]["2"], d2, AUTOGRAD_TOL)


def test_python_control_flow_on_the_variable(tmp_path):
    result = evaluate_source(
        tmp_path,
        """
        def f(x):
            if x > 0:
                return x**2
            return -3 * x
        """,
        "f",
        domain=(-1, 1),
        samples=201,
    )
    x = array(result["x"])
    assert result["method"] == "autograd"
    assert_close(result["f"], np.where(x > 0, x**2, -3 * x), AUTOGRAD_TOL)
    assert_close(result["derivatives"]["1"], np.where(x > 0, 2 * x, -3.0), AUTOGRAD_TOL)
    # the kink at 0 may be reported, but nowhere else
    for warning in result["warnings"]:
        assert warning["kind"] == "disagreement"
        assert "x = 0" in warning["message"]


def test_pointwise_semantics_x_minus_mean_has_derivative_zero(tmp_path):
    result = evaluate_source(
        tmp_path,
        """
        def f(x):
            return x - x.mean()
        """,
        "f",
    )
    assert result["method"] == "autograd"
    assert_close(result["f"], np.zeros(401), AUTOGRAD_TOL)
    assert_close(result["derivatives"]["1"], np.zeros(401), AUTOGRAD_TOL)


def test_math_function_falls_back_to_finite_differences(tmp_path):
    result = evaluate_source(
        tmp_path,
        """
        import math
        def f(x):
            return math.sin(x) * x
        """,
        "f",
        order=2,
    )
    x = array(result["x"])
    assert result["method"] == "finite-difference"
    assert "finite-difference" in warning_kinds(result)
    message = next(w["message"] for w in result["warnings"] if w["kind"] == "finite-difference")
    assert "autograd cannot follow" in message
    assert_close(result["f"], np.sin(x) * x, AUTOGRAD_TOL)
    assert_close(result["derivatives"]["1"], np.cos(x) * x + np.sin(x), FD_TOL)
    assert_close(result["derivatives"]["2"], -np.sin(x) * x + 2 * np.cos(x), FD_TOL)


def test_numpy_function_falls_back_to_finite_differences(tmp_path):
    result = evaluate_source(
        tmp_path,
        """
        import numpy as np
        def f(x):
            return np.exp(-x * x)
        """,
        "f",
        domain=(-3, 3),
    )
    x = array(result["x"])
    assert result["method"] == "finite-difference"
    message = next(w["message"] for w in result["warnings"] if w["kind"] == "finite-difference")
    assert "numpy" in message
    assert_close(result["derivatives"]["1"], -2 * x * np.exp(-x * x), FD_TOL)


def test_silent_float_conversion_is_detected(tmp_path):
    """`torch.tensor(float(x))` raises nothing but cuts the graph: autograd would say 0."""
    result = plot_torch(tmp_path, "torch.tensor(float(x)) ** 2")
    x = array(result["x"])
    assert result["method"] == "finite-difference"
    assert_close(result["derivatives"]["1"], 2 * x, FD_TOL)


def test_lambda(tmp_path):
    result = evaluate_source(
        tmp_path,
        """
        import torch
        sigmoid = lambda x: 1 / (1 + torch.exp(-x))
        """,
        "sigmoid",
    )
    x = array(result["x"])
    s = 1 / (1 + np.exp(-x))
    assert_close(result["derivatives"]["1"], s * (1 - s), AUTOGRAD_TOL)
    assert result["line"] == 3


def test_staticmethod(tmp_path):
    result = evaluate_source(
        tmp_path,
        """
        import torch
        class Activations:
            SLOPE = 0.5
            print("class body side effect")
            @staticmethod
            def softplus(x):
                return torch.log1p(torch.exp(x)) * Activations.SLOPE
        """,
        "Activations.softplus",
    )
    x = array(result["x"])
    assert result["function"] == "Activations.softplus"
    assert_close(result["derivatives"]["1"], 0.5 / (1 + np.exp(-x)), AUTOGRAD_TOL)


def test_module_constant_and_helper(tmp_path):
    result = evaluate_source(
        tmp_path,
        """
        import torch
        RATE = 3.0
        OFFSET = RATE / 2

        def helper(t):
            return torch.sin(RATE * t)

        def f(x):
            return helper(x) + OFFSET * x
        """,
        "f",
    )
    x = array(result["x"])
    assert_close(result["f"], np.sin(3 * x) + 1.5 * x, AUTOGRAD_TOL)
    assert_close(result["derivatives"]["1"], 3 * np.cos(3 * x) + 1.5, AUTOGRAD_TOL)


def test_default_parameter_is_held_fixed_and_reported(tmp_path):
    result = evaluate_source(
        tmp_path,
        """
        def f(x, a=2.5, *, b=1):
            return a * x**2 + b
        """,
        "f",
    )
    x = array(result["x"])
    assert result["variables"] == ["x"]
    assert result["fixed"] == {"a": 2.5, "b": 1.0}
    assert_close(result["derivatives"]["1"], 5 * x, AUTOGRAD_TOL)


def test_log_across_zero_gives_nulls_and_one_warning(tmp_path):
    result = plot_torch(tmp_path, "torch.log(x)", domain=(-1, 1), samples=201)
    x = array(result["x"])
    f = array(result["f"])
    d1 = array(result["derivatives"]["1"])
    assert np.isnan(f[x <= 0]).all() and np.isnan(d1[x <= 0]).all()
    np.testing.assert_allclose(f[x > 0], np.log(x[x > 0]), rtol=AUTOGRAD_TOL)
    np.testing.assert_allclose(d1[x > 0], 1 / x[x > 0], rtol=AUTOGRAD_TOL)
    non_finite = [w for w in result["warnings"] if w["kind"] == "non-finite"]
    assert len(non_finite) == 1
    assert "101 of 201" in non_finite[0]["message"]  # x = -1 ... 0 inclusive
    assert result["f"][0] is None  # a real JSON null, not NaN


def test_abs_kink_is_reported_only_near_zero(tmp_path):
    result = plot_torch(
        tmp_path,
        "torch.abs(x)",
        samples=400,  # 0 is not a sample: no point sits on the kink
    )
    x = array(result["x"])
    assert_close(result["derivatives"]["1"], np.sign(x), AUTOGRAD_TOL)
    assert set(warning_kinds(result)) <= {"disagreement"}


def test_relu_kink_is_a_disagreement_naming_x(tmp_path):
    result = plot_torch(tmp_path, "torch.relu(x)")
    disagreement = [w for w in result["warnings"] if w["kind"] == "disagreement"]
    assert len(disagreement) == 1
    assert "at x = 0:" in disagreement[0]["message"]
    assert array(result["derivatives"]["1"])[200] == 0.0  # autograd's value is reported


def test_wrong_custom_backward_is_reported(tmp_path):
    result = evaluate_source(
        tmp_path,
        """
        import torch

        class Square(torch.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                ctx.save_for_backward(x)
                return x * x

            @staticmethod
            def backward(ctx, grad):
                (x,) = ctx.saved_tensors
                return grad * 3 * x  # wrong: should be 2x

        def f(x):
            return Square.apply(x)
        """,
        "f",
        domain=(1, 2),
        samples=11,
    )
    x = array(result["x"])
    assert_close(result["derivatives"]["1"], 3 * x, AUTOGRAD_TOL)  # autograd's values
    message = next(w["message"] for w in result["warnings"] if w["kind"] == "disagreement")
    # every sample named, as points (not a range)
    assert "disagree at x = 1, 1.1, 1.2, 1.3, 1.4, 1.5, 1.6, 1.7 and 3 more" in message


@pytest.mark.parametrize("order", [2, 3, 4])
def test_higher_orders_of_x4(tmp_path, order):
    result = evaluate_source(tmp_path, "def f(x):\n    return x**4\n", "f", order=order)
    x = array(result["x"])
    expected = {1: 4 * x**3, 2: 12 * x**2, 3: 24 * x, 4: np.full_like(x, 24.0)}
    assert sorted(result["derivatives"]) == [str(k) for k in range(1, order + 1)]
    for k in range(1, order + 1):
        assert_close(result["derivatives"][str(k)], expected[k], AUTOGRAD_TOL)


def test_higher_orders_by_finite_differences(tmp_path):
    result = evaluate_source(
        tmp_path,
        "import math\ndef f(x):\n    return math.exp(x / 2)\n",
        "f",
        order=4,
        domain=(-1, 1),
        samples=21,
    )
    x = array(result["x"])
    for k in range(1, 5):
        assert_close(result["derivatives"][str(k)], np.exp(x / 2) / 2**k, 1e-5)


def test_two_variable_bowl_and_its_gradient(tmp_path):
    result = evaluate_source(
        tmp_path,
        """
        def bowl(x, y):
            return x**2 + 3 * y**2
        """,
        "bowl",
        domain=(-2, 2),
        ydomain=(-1, 1),
        samples=21,
    )
    x, y = array(result["x"]), array(result["y"])
    gx, gy = np.array(result["gradient"]["x"]), np.array(result["gradient"]["y"])
    f = np.array(result["f"])
    assert result["variables"] == ["x", "y"]
    assert result["ydomain"] == [-1.0, 1.0]
    assert f.shape == gx.shape == gy.shape == (21, 21)  # ny rows of nx
    yy, xx = np.meshgrid(y, x, indexing="ij")
    np.testing.assert_allclose(f, xx**2 + 3 * yy**2, atol=AUTOGRAD_TOL)
    np.testing.assert_allclose(gx, 2 * xx, atol=AUTOGRAD_TOL)
    np.testing.assert_allclose(gy, 6 * yy, atol=AUTOGRAD_TOL)
    np.testing.assert_allclose(result["critical_points"], [[0.0, 0.0]], atol=1e-12)


def test_two_variables_with_math_use_finite_differences(tmp_path):
    result = evaluate_source(
        tmp_path,
        "import math\ndef f(x, y):\n    return math.sin(x) * y\n",
        "f",
        samples=11,
    )
    x, y = array(result["x"]), array(result["y"])
    yy, xx = np.meshgrid(y, x, indexing="ij")
    assert result["method"] == "finite-difference"
    np.testing.assert_allclose(np.array(result["gradient"]["x"]), np.cos(xx) * yy, atol=FD_TOL)
    np.testing.assert_allclose(np.array(result["gradient"]["y"]), np.sin(xx), atol=FD_TOL)


def test_math_domain_error_at_some_points_is_null_not_failure(tmp_path):
    result = evaluate_source(
        tmp_path, "import math\ndef f(x):\n    return math.sqrt(x)\n", "f", domain=(-1, 1)
    )
    f = array(result["f"])
    x = array(result["x"])
    assert np.isnan(f[x < 0]).all()
    np.testing.assert_allclose(f[x >= 0], np.sqrt(x[x >= 0]))
    assert "non-finite" in warning_kinds(result)


def test_user_exception_names_type_message_and_line(tmp_path):
    with pytest.raises(DerivlensError) as caught:
        evaluate_source(
            tmp_path,
            """
            def f(x):
                y = x * 2
                raise KeyError("boom")
            """,
            "f",
        )
    assert caught.value.kind == "user-error"
    assert "KeyError" in caught.value.message and "boom" in caught.value.message
    assert "user_module.py:4" in caught.value.message


@pytest.mark.parametrize(
    ("source", "kind", "needle"),
    [
        (
            RETURNS.format("torch.stack([x] * 9)"),
            "user-error",
            "a tensor of 9 values; derivlens plots one number, or 2 to 8",
        ),
        (
            RETURNS.format("[x] * 10**8"),
            "user-error",
            "returned 100000000 values; derivlens plots one number, or 2 to 8",
        ),
        (RETURNS.format("torch.ones(2, 2) * x"), "user-error", "a tensor of shape (2, 2)"),
        (RETURNS.format("'text'"), "user-error", "must return a number, but it returned str"),
        (
            DIRECTIVE.format("domain=2..-2"),
            "invalid-options",
            "directive domain: it must go from low to high, got 2..-2",
        ),
        (
            DIRECTIVE.format("colour=red"),
            "invalid-options",
            "directive: unknown option 'colour'; the options are domain, ydomain",
        ),
        (
            DIRECTIVE.format("samples=1"),
            "invalid-options",
            "directive samples must be 2 to 100000, got 1",
        ),
        (DIRECTIVE.format("order"), "invalid-options", "directive: 'order' has no value"),
    ],
)
def test_a_function_of_no_number_or_a_bad_directive_is_a_clear_error(
    tmp_path, source, kind, needle
):
    """Returning something that is not a number is the user's error; a bad directive is
    invalid-options naming the range."""
    with pytest.raises(DerivlensError) as caught:
        evaluate_source(tmp_path, source, "f")
    assert caught.value.kind == kind
    assert needle in caught.value.message, caught.value.message


def test_a_long_exception_message_in_a_warning_is_cut_with_an_ellipsis(tmp_path):
    result = evaluate_source(
        tmp_path,
        """
        import torch
        def f(x):
            if isinstance(x, torch.Tensor):
                raise TypeError("tensors? " + "no " * 200)
            return x * x
        """,
        "f",
        samples=21,
    )
    (warning,) = [w["message"] for w in result["warnings"] if w["kind"] == "finite-difference"]
    detail = "TypeError: " + shorten("tensors? " + "no " * 200, 120)
    assert f"({detail})" in warning and detail.endswith("no…")
    assert_close(result["derivatives"]["1"], 2 * array(result["x"]), FD_TOL)
