"""Code as people write it: modules, callables, in-place and numpy code, vector outputs.

Each case runs the whole pipeline in-process (locate → slice → run → differentiate) and
checks the numbers against analytic derivatives, or the exact error a user gets.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from derivlens.errors import DerivlensError
from tests.helpers import array, evaluate_source, warning_kinds

EXACT = 1e-9


def close(values: list[float | None], expected: np.ndarray, tol: float = EXACT) -> None:
    np.testing.assert_allclose(array(values), expected, rtol=tol, atol=tol)


# --- in-place code ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "f", "df"),
    [
        ("n -= 1\n    return n**3 - 2 * n", lambda x: (x - 1) ** 3 - 2 * (x - 1),
         lambda x: 3 * (x - 1) ** 2 - 2),
        ("n.mul_(2)\n    return n * n", lambda x: 4 * x * x, lambda x: 8 * x),
        ("n[...] = n + 1\n    return n.sin()", lambda x: np.sin(x + 1), lambda x: np.cos(x + 1)),
    ],
)  # fmt: skip
def test_a_function_that_changes_its_argument_in_place_is_exact_over_the_asked_x(
    tmp_path, body, f, df
):
    result = evaluate_source(
        tmp_path, f"import torch\ndef f(n):\n    {body}\n", "f", domain=(0, 1), samples=21
    )
    x = array(result["x"])
    np.testing.assert_array_equal(x, np.arange(21) / 20)  # not shifted by the function
    assert result["method"] == "autograd" and result["warnings"] == []
    close(result["f"], f(x))
    close(result["derivatives"]["1"], df(x))


# --- nn.Module and autograd.Function ----------------------------------------------------

MODULES = """
import torch
from torch import nn


class Swish(nn.Module):
    def __init__(self, beta=1.0, inplace=False):
        super().__init__()
        self.beta = beta

    def forward(self, x):
        return x * torch.sigmoid(self.beta * x)


class QuickGELU(nn.Module):
    def forward(self, x):
        return x * torch.sigmoid(1.702 * x)


class Scaled(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.dim = dim

    def forward(self, x):
        return x * self.dim


class Exp(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, scale=1.0):
        y = torch.exp(scale * x)
        ctx.save_for_backward(y)
        ctx.scale = scale
        return y

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved_tensors
        return grad * ctx.scale * y, None


class WrongExp(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return torch.exp(x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * 2 * torch.exp(x)  # wrong: twice the derivative
"""


def sigmoid(z: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-z))


def test_module_forward_is_built_from_its_constructors_defaults(tmp_path):
    result = evaluate_source(tmp_path, MODULES, "Swish.forward", domain=(-3, 3), samples=61)
    x = array(result["x"])
    assert result["fixed"] == {"Swish(beta)": 1.0, "Swish(inplace)": False}
    close(result["f"], x * sigmoid(x))
    close(result["derivatives"]["1"], sigmoid(x) + x * sigmoid(x) * (1 - sigmoid(x)))
    assert result["method"] == "autograd" and result["warnings"] == []


def test_a_constructor_argument_is_a_param_too(tmp_path):
    result = evaluate_source(
        tmp_path, MODULES, "Swish.forward", domain=(-3, 3), samples=61, params={"Swish(beta)": 2}
    )
    x = array(result["x"])
    assert result["fixed"]["Swish(beta)"] == 2
    close(result["f"], x * sigmoid(2 * x))


def test_a_stateless_module_has_nothing_held(tmp_path):
    result = evaluate_source(tmp_path, MODULES, "QuickGELU.forward", samples=41)
    x = array(result["x"])
    assert result["fixed"] == {}
    s = sigmoid(1.702 * x)
    close(result["derivatives"]["1"], s + 1.702 * x * s * (1 - s))


def test_a_constructor_that_needs_arguments_says_so(tmp_path):
    with pytest.raises(DerivlensError) as caught:
        evaluate_source(tmp_path, MODULES, "Scaled.forward")
    assert caught.value.kind == "unsupported-signature"
    assert caught.value.message == (
        "Scaled needs constructor arguments (dim); derivlens builds Scaled() from its "
        "constructor's defaults: give dim a default to plot Scaled.forward"
    )


def test_autograd_function_is_plotted_through_apply_with_its_own_backward(tmp_path):
    result = evaluate_source(tmp_path, MODULES, "Exp.forward", domain=(-1, 2), samples=31)
    x = array(result["x"])
    assert result["fixed"] == {"scale": 1.0}
    close(result["f"], np.exp(x))
    close(result["derivatives"]["1"], np.exp(x))
    assert result["warnings"] == []
    scaled = evaluate_source(
        tmp_path, MODULES, "Exp.forward", domain=(-1, 2), samples=31, params={"scale": 0.5}
    )
    close(scaled["derivatives"]["1"], 0.5 * np.exp(0.5 * x))


def test_a_wrong_backward_through_apply_is_a_disagreement(tmp_path):
    result = evaluate_source(tmp_path, MODULES, "WrongExp.forward", domain=(0, 1), samples=11)
    x = array(result["x"])
    close(result["derivatives"]["1"], 2 * np.exp(x))  # autograd's (wrong) values, as documented
    (message,) = [w["message"] for w in result["warnings"] if w["kind"] == "disagreement"]
    assert "at x = 0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7 and 3 more" in message
    assert "f′ = 2 by autograd, 1 by central differences" in message


def test_backward_is_not_plottable_on_its_own(tmp_path):
    with pytest.raises(DerivlensError) as caught:
        evaluate_source(tmp_path, MODULES, "Exp.backward")
    assert caught.value.kind == "not-found"
    assert "plot Exp.forward instead (through Exp.apply" in caught.value.message


# --- names bound to callables -----------------------------------------------------------

CALLABLES = """
import functools
import torch
from torch import nn

EPS = 1e-6
TABLE = dict(gelu=1)


def get_activation(name):
    return {"gelu": nn.GELU(), "tanh": nn.Tanh()}[name]


def _scaled_tanh(x, a=1.0):
    return a * torch.tanh(x)


act = nn.GELU()
gelu_new = get_activation("tanh")
scaled = functools.partial(_scaled_tanh, a=2.0)
softplus = torch.nn.functional.softplus
"""


def test_an_instance_is_plotted_with_its_forwards_variable(tmp_path):
    result = evaluate_source(tmp_path, CALLABLES, "act", domain=(-2, 2), samples=41)
    x = array(result["x"])
    erf = np.vectorize(math.erf)
    pdf = np.exp(-x * x / 2) / math.sqrt(2 * math.pi)
    assert result["variables"] == ["input"]  # nn.GELU.forward(input)
    close(result["f"], x * (1 + erf(x / math.sqrt(2))) / 2)
    close(result["derivatives"]["1"], (1 + erf(x / math.sqrt(2))) / 2 + x * pdf)


def test_a_factory_result_and_a_partial(tmp_path):
    factory = evaluate_source(tmp_path, CALLABLES, "gelu_new", domain=(-2, 2), samples=41)
    x = array(factory["x"])
    close(factory["derivatives"]["1"], 1 - np.tanh(x) ** 2)
    partial = evaluate_source(tmp_path, CALLABLES, "scaled", domain=(-2, 2), samples=41)
    assert partial["fixed"] == {"a": 2.0} and partial["variables"] == ["x"]
    close(partial["derivatives"]["1"], 2 * (1 - np.tanh(x) ** 2))


def test_a_c_function_without_a_signature_takes_one_variable(tmp_path):
    result = evaluate_source(tmp_path, CALLABLES, "softplus", domain=(-2, 2), samples=41)
    x = array(result["x"])
    assert result["variables"] == ["input"] or result["variables"] == ["x"]
    close(result["derivatives"]["1"], sigmoid(x))


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("EPS", "EPS is bound to 1e-06, not to a function"),
        ("TABLE", "TABLE is bound to {'gelu': 1} (a dict), not to a function"),
    ],
)
def test_a_name_bound_to_something_else_says_what_it_is(tmp_path, name, message):
    with pytest.raises(DerivlensError) as caught:
        evaluate_source(tmp_path, CALLABLES, name)
    assert caught.value.kind == "not-found"
    assert caught.value.message.startswith(message), caught.value.message


def test_only_callable_looking_names_are_hovered_and_lensed():
    from derivlens.locate import parse_module

    module = parse_module(CALLABLES)
    hoverable = {f.name for f in module.functions if f.hoverable}
    assert {"act", "gelu_new", "scaled", "softplus", "get_activation"} <= hoverable
    assert "TABLE" not in hoverable and "EPS" not in {f.name for f in module.functions}


# --- numpy and math code ----------------------------------------------------------------


def test_numpy_code_that_fails_on_tensors_is_evaluated_on_numbers(tmp_path):
    source = """
    import numpy as np

    def radius(r):
        if np.any(r < 0.0):
            return 0.0
        return float(np.sqrt(r))
    """
    result = evaluate_source(tmp_path, source, "radius", domain=(0.5, 2), samples=31)
    x = array(result["x"])
    assert result["method"] == "finite-difference"
    close(result["f"], np.sqrt(x))
    close(result["derivatives"]["1"], 0.5 / np.sqrt(x), 1e-7)
    (message,) = [w["message"] for w in result["warnings"]]
    assert "it works on Python numbers but not on tensors (TypeError: any()" in message
    assert "estimated per point from successive step sizes, f′ to within about" in message


def test_an_error_that_also_happens_on_numbers_is_the_users(tmp_path):
    source = """
    import math

    def f(x):
        return math.sqrt(x) + undefined_thing
    """
    with pytest.raises(DerivlensError) as caught:
        evaluate_source(tmp_path, source, "f", domain=(1, 2))
    assert caught.value.kind == "user-error"
    assert "NameError" in caught.value.message and "user_module.py:5" in caught.value.message


def test_the_finite_difference_error_estimate_is_honest_near_a_singularity(tmp_path):
    source = """
    import math

    def f(x):
        return math.log(x)
    """
    result = evaluate_source(tmp_path, source, "f", domain=(1e-3, 1), samples=101, order=2)
    x = array(result["x"])
    message = result["warnings"][0]["message"]
    first = message.split("f′ to within about ")[1].split(" ")[0]
    second = message.split("f″ to within about ")[1].split(" ")[0]
    # where the stencil would reach x <= 0 there is no value (null), never a wrong one
    actual_first = np.nanmax(np.abs(array(result["derivatives"]["1"]) - 1 / x))
    actual_second = np.nanmax(np.abs(array(result["derivatives"]["2"]) + 1 / x**2))
    assert actual_first <= float(first)
    assert actual_second <= float(second)
    assert "about 10 correct digits" not in message


# --- the disagreement check and critical points -----------------------------------------


@pytest.mark.parametrize(
    ("body", "domain", "derivative"),
    [
        # a cosine log-SNR schedule near its ends: |f″| reaches 6e6
        ("-2 * torch.log(torch.tan(math.pi * t / 2))", (1e-3, 1 - 1e-3),
         lambda t: -2 * math.pi / np.sin(math.pi * t)),
        ("torch.tanh(60 * t)", (-1, 1), lambda t: 60 / np.cosh(60 * t) ** 2),
        ("torch.exp(20 * t)", (0, 1), lambda t: 20 * np.exp(20 * t)),
        ("t**3 * (t > 0)", (-1, 1), lambda t: 3 * t**2 * (t > 0)),  # only f″ has a kink
    ],
)  # fmt: skip
def test_a_smooth_function_is_never_flagged_however_steep(tmp_path, body, domain, derivative):
    source = f"import math\nimport torch\ndef f(t):\n    return {body}\n"
    result = evaluate_source(tmp_path, source, "f", domain=domain)
    x = array(result["x"])
    assert result["warnings"] == [], result["warnings"]
    np.testing.assert_allclose(
        array(result["derivatives"]["1"]), derivative(x), rtol=1e-9, atol=1e-12
    )


def test_abs_has_one_disagreement_at_its_kink(tmp_path):
    result = evaluate_source(tmp_path, "import torch\ndef f(x):\n    return torch.abs(x)\n", "f")
    assert warning_kinds(result) == ["disagreement"]
    message = result["warnings"][0]["message"]
    assert message.startswith("autograd and finite differences disagree at x = 0:")
    assert "f′ jumps from -1 (left) to 1 (right)" in message
    assert result["critical_points"] == [0.0]


def test_critical_points_of_a_cubic_are_exact(tmp_path):
    source = "def f(x):\n    return x**3 - 2 * x**2 + x - 1\n"
    result = evaluate_source(tmp_path, source, "f", domain=(-2, 2))
    first, second = result["critical_points"]
    assert abs(first - 1 / 3) < 1e-9 and abs(second - 1) < 1e-9
    assert f"{first:.6f}" == "0.333333"


def test_critical_points_of_a_cubic_by_finite_differences_are_close(tmp_path):
    source = "import math\ndef f(x):\n    return math.fsum([x**3, -2 * x**2, x, -1])\n"
    result = evaluate_source(tmp_path, source, "f", domain=(-2, 2))
    assert result["method"] == "finite-difference"
    first, second = result["critical_points"]
    assert abs(first - 1 / 3) < 1e-7 and abs(second - 1) < 1e-7


def test_no_critical_points_from_noise_in_a_flat_region(tmp_path):
    source = "import torch\ndef f(x):\n    return torch.sin(x) ** 2 + torch.cos(x) ** 2\n"
    result = evaluate_source(tmp_path, source, "f")
    assert result["critical_points"] == []
    fd = "import math\ndef f(x):\n    return math.sin(x) ** 2 + math.cos(x) ** 2\n"
    assert evaluate_source(tmp_path, fd, "f")["critical_points"] == []


def test_a_constant_branch_is_not_a_reason_for_finite_differences(tmp_path):
    source = "def f(x):\n    if x <= 0:\n        return 0\n    return x**2\n"
    result = evaluate_source(tmp_path, source, "f", domain=(-1, 1), samples=21)
    x = array(result["x"])
    assert result["method"] == "autograd" and result["warnings"] == []
    close(result["derivatives"]["1"], np.where(x > 0, 2 * x, 0.0))


# --- vector-valued f --------------------------------------------------------------------


def test_a_stacked_tensor_is_plotted_component_by_component(tmp_path):
    source = "import torch\ndef f(x):\n    return torch.stack([torch.sin(x), torch.cos(x)])\n"
    result = evaluate_source(tmp_path, source, "f", domain=(0, 7), order=2)
    x = array(result["x"])
    assert result["outputs"] == 2
    close(result["f"][0], np.sin(x))
    close(result["f"][1], np.cos(x))
    close(result["derivatives"]["1"][0], np.cos(x))
    close(result["derivatives"]["2"][1], -np.cos(x))
    sin_points, cos_points = result["critical_points"]
    np.testing.assert_allclose(sin_points, [math.pi / 2, 3 * math.pi / 2], atol=1e-12)
    np.testing.assert_allclose(cos_points, [math.pi, 2 * math.pi], atol=1e-12)


def test_a_tuple_of_numbers_with_a_python_branch(tmp_path):
    source = "def f(x):\n    if x > 0:\n        return x**2, x**3\n    return x, -x\n"
    result = evaluate_source(tmp_path, source, "f", domain=(-1, 1), samples=21)
    x = array(result["x"])
    assert result["outputs"] == 2 and result["method"] == "autograd"
    close(result["derivatives"]["1"][0], np.where(x > 0, 2 * x, 1.0))
    close(result["derivatives"]["1"][1], np.where(x > 0, 3 * x**2, -1.0))


def test_a_vector_for_two_variables_is_refused_clearly(tmp_path):
    source = "def f(x, y):\n    return x, y\n"
    with pytest.raises(DerivlensError) as caught:
        evaluate_source(tmp_path, source, "f")
    assert caught.value.kind == "user-error"
    assert "a vector-valued f is plotted for one variable only" in caught.value.message


# --- held parameters --------------------------------------------------------------------


def test_integer_defaults_stay_integers(tmp_path):
    source = (
        "def f(x, _stacklevel=3, scale=0.5, name='gelu', flag=True):\n    return x * _stacklevel\n"
    )
    result = evaluate_source(tmp_path, source, "f", samples=5)
    assert result["fixed"] == {"_stacklevel": 3, "scale": 0.5, "name": "gelu", "flag": True}
    assert isinstance(result["fixed"]["_stacklevel"], int)


# --- a corpus of functions from well-known projects: no false alarms, no missed kinks ----

CORPUS = """
import math
import numpy as np
import torch
import torch.nn.functional as F


def gelu_new(x):  # transformers' NewGELUActivation
    inner = math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0))
    return 0.5 * x * (1.0 + torch.tanh(inner))


def mish(x):
    return x * torch.tanh(F.softplus(x))


def log_cosh(x):
    return torch.log(torch.cosh(x))


def gaussian(x, mu=0.0, sigma=1.0):
    return torch.exp(-((x - mu) ** 2) / (2 * sigma**2)) / (sigma * math.sqrt(2 * math.pi))


def elu(x, alpha=1.0):
    return torch.where(x > 0, x, alpha * (torch.exp(x) - 1))


def huber(x, delta=1.0):
    return torch.where(x.abs() < delta, 0.5 * x**2, delta * (x.abs() - 0.5 * delta))


def ease_in_out_cubic(t):
    if t < 0.5:
        return 4 * t * t * t
    return 1 - (-2 * t + 2) ** 3 / 2


def hard_swish(x):
    return x * F.relu6(x + 3.0) / 6.0


def selu(x):
    return F.selu(x)


def softplus_threshold(x):
    return F.softplus(x, beta=1, threshold=2)


def floor_x(x):
    return torch.floor(x)


def cosine_annealing(t, eta_min=0.0, eta_max=0.1, T=100):
    return eta_min + 0.5 * (eta_max - eta_min) * (1 + math.cos(math.pi * t / T))


def np_sinc(x):
    return np.sinc(x)
"""


@pytest.mark.parametrize(
    "name", ["gelu_new", "mish", "log_cosh", "gaussian", "elu", "huber", "ease_in_out_cubic"]
)
def test_smooth_enough_functions_from_real_code_get_no_warning(tmp_path, name):
    domain = (0, 1) if name == "ease_in_out_cubic" else (-5, 5)
    result = evaluate_source(tmp_path, CORPUS, name, domain=domain)
    assert result["method"] == "autograd"
    assert result["warnings"] == [], result["warnings"]


@pytest.mark.parametrize(
    ("name", "where", "what"),
    [
        ("hard_swish", "at x = -3 and 3", "f′ jumps from 0 (left) to -0.5 (right) at x = -3"),
        ("selu", "at x = 0", "f′ jumps from 1.7581 (left) to 1.0507 (right)"),
        ("softplus_threshold", "at x = 2", "f jumps by about -0.127 there"),
        # floor is continuous from the right at -5, the domain's start; 5 is reached by a jump
        ("floor_x", "at x = -4, -3, -2, -1, 0, 1, 2, 3 and 2 more", "f jumps by about 1 at x = -4"),
    ],
)
def test_kinks_and_jumps_in_real_code_are_named(tmp_path, name, where, what):
    result = evaluate_source(tmp_path, CORPUS, name)
    (message,) = [w["message"] for w in result["warnings"]]
    assert f"disagree {where}:" in message and what in message, message


def test_math_and_numpy_code_from_real_code_is_close_and_says_how_close(tmp_path):
    annealing = evaluate_source(tmp_path, CORPUS, "cosine_annealing", domain=(0, 100))
    t = array(annealing["x"])
    expected = -0.5 * 0.1 * math.pi / 100 * np.sin(math.pi * t / 100)
    np.testing.assert_allclose(array(annealing["derivatives"]["1"]), expected, atol=1e-9)
    assert warning_kinds(annealing) == ["finite-difference"]
    sinc = evaluate_source(tmp_path, CORPUS, "np_sinc", domain=(0.5, 4.5))
    x = array(sinc["x"])
    exact = (np.cos(np.pi * x) * np.pi * x - np.sin(np.pi * x)) / (np.pi * x**2)
    np.testing.assert_allclose(array(sinc["derivatives"]["1"]), exact, atol=1e-8)
    zeros = [1.43030, 2.45902, 3.47089, 4.47741]  # tan(πx) = πx
    np.testing.assert_allclose(sinc["critical_points"], zeros, atol=1e-4)
