"""`derivlens.plot` and `%derivlens` in-process: the live object, numbers against analytic
derivatives, the options' errors, and the rich display (docs/protocol.md, "In a notebook
kernel")."""

from __future__ import annotations

import base64
import copy
import math
import pickle
import re
import subprocess
import sys

import numpy as np
import pytest
import torch

import derivlens
from derivlens import images
from derivlens.errors import DerivlensError, ErrorKind
from derivlens.magic import derivlens_magic


def close(a: float | None, b: float, tol: float = 1e-9) -> bool:
    return a is not None and abs(a - b) <= tol * max(1.0, abs(b))


def test_import_derivlens_loads_neither_torch_nor_matplotlib() -> None:
    code = (
        "import sys, derivlens; derivlens.__version__; "
        "print(sorted(m for m in ('torch', 'matplotlib', 'numpy') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_a_polynomial_against_its_analytic_derivatives() -> None:
    result = derivlens.plot(lambda x: x**3 - 2 * x, domain=(-2, 2), order=3, samples=41)
    assert result.function == "f" and result.variables == ("x",)
    assert result.method == "autograd" and result.sandbox == ()
    assert len(result.x) == 41 and result.x[0] == -2.0 and result.x[-1] == 2.0
    for i, x in enumerate(result.x):
        assert close(result.f[i], x**3 - 2 * x)
        assert close(result.derivatives[1][i], 3 * x**2 - 2)
        assert close(result.derivatives[2][i], 6 * x)
        assert close(result.derivatives[3][i], 6.0)
    root = math.sqrt(2 / 3)
    assert [round(p, 9) for p in result.critical_points] == [round(-root, 9), round(root, 9)]


def test_a_closure_over_kernel_data_with_a_held_parameter() -> None:
    weights = torch.tensor([0.5, -1.5, 2.0])  # float32, as a notebook makes them

    def g(x, scale=1.0):
        powers = torch.stack([x, x**2, x**3])
        return scale * (weights * powers).sum()

    result = derivlens.plot(g, domain=(-1, 1), order=2, samples=21, params={"scale": 3.0})
    assert result.fixed == {"scale": 3.0}
    for i, x in enumerate(result.x):
        assert close(result.f[i], 3 * (0.5 * x - 1.5 * x**2 + 2 * x**3))
        assert close(result.derivatives[1][i], 3 * (0.5 - 3 * x + 6 * x**2))
        assert close(result.derivatives[2][i], 3 * (-3 + 12 * x))
    assert torch.get_default_dtype() == torch.float32  # the kernel's own default, restored


def test_a_trained_module_instance_is_plotted_and_left_as_it_was() -> None:
    class Net(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.layer = torch.nn.Linear(1, 1)

        def forward(self, x):
            return torch.tanh(self.layer(x.reshape(1, 1))).squeeze()

    net = Net()
    with torch.no_grad():  # weights as training left them (float32)
        net.layer.weight.fill_(1.75)
        net.layer.bias.fill_(-0.25)
    net.train()
    w, b = net.layer.weight.item(), net.layer.bias.item()
    result = derivlens.plot(net, domain=(-3, 3), order=2, samples=31)
    assert result.function == "Net"
    for i, x in enumerate(result.x):
        t = math.tanh(w * x + b)
        assert close(result.f[i], t)
        assert close(result.derivatives[1][i], w * (1 - t**2))
        assert close(result.derivatives[2][i], -2 * w**2 * t * (1 - t**2))
    assert net.training and net.layer.weight.dtype == torch.float32
    assert result.file.endswith("test_kernel.py") and result.line > 0


def test_a_closure_over_a_float32_model_says_what_to_convert() -> None:
    net = torch.nn.Sequential(torch.nn.Linear(1, 4), torch.nn.Tanh(), torch.nn.Linear(4, 1))

    def through(x):
        return net(x.reshape(1, 1)).squeeze()

    with pytest.raises(DerivlensError) as caught:
        derivlens.plot(through, samples=11)
    assert caught.value.kind is ErrorKind.USER_ERROR
    assert caught.value.message.startswith("through raised RuntimeError: ")
    assert "Float" in caught.value.message and "Double" in caught.value.message
    assert "derivlens samples in float64" in caught.value.message
    assert ".double()" in caught.value.message
    net.double()  # as the message says
    assert derivlens.plot(through, samples=11).method == "autograd"


def test_two_variables_give_the_gradient() -> None:
    result = derivlens.plot(lambda x, y: x**2 * y, domain=(-1, 1), samples=5)
    assert result.variables == ("x", "y")
    for row, y in enumerate(result.y):
        for col, x in enumerate(result.x):
            assert close(result.gradient.x[row][col], 2 * x * y)
            assert close(result.gradient.y[row][col], x**2)
    with pytest.raises(AttributeError, match="gradient"):
        result.derivatives  # noqa: B018


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"order": 9}, "order must be 1 to 4, got 9"),
        ({"order": 2.5}, "order: it must be a whole number, got 2.5"),
        ({"samples": 1}, "samples must be 2 to 100000, got 1"),
        ({"domain": (2, 1)}, "domain: it must go from low to high, got 2..1"),
        ({"domain": (0, math.inf)}, "domain: it must be finite"),
        ({"domain": "nonsense"}, "domain: 'nonsense' is not a range"),
        ({"params": {"scale": "big"}}, "params: 'scale' must be a name given a number"),
        ({"params": {"nope": 1.0}}, "nope"),
    ],
)
def test_bad_options_are_invalid_options(options: dict, message: str) -> None:
    def h(x, scale=1.0):
        return scale * x

    with pytest.raises(derivlens.DerivlensError) as caught:
        derivlens.plot(h, **options)
    assert caught.value.kind is ErrorKind.INVALID_OPTIONS
    assert message in caught.value.message


def test_an_order_for_two_variables_only_is_refused_for_them() -> None:
    with pytest.raises(DerivlensError, match="order must be 1 for a function of two variables"):
        derivlens.plot(lambda x, y: x * y, order=2)


def test_the_function_raising_is_a_user_error_with_its_cause() -> None:
    def broken(x):
        raise KeyError("missing column")

    with pytest.raises(DerivlensError) as caught:
        derivlens.plot(broken)
    assert caught.value.kind is ErrorKind.USER_ERROR
    assert caught.value.message == "broken raised KeyError: 'missing column'"
    assert isinstance(caught.value.__cause__, KeyError)
    assert torch.get_default_dtype() == torch.float32


def test_the_rich_display_is_a_real_png_and_svg_with_the_summary() -> None:
    result = derivlens.plot(lambda x: math.sin(x), domain=(-1, 1), order=1, samples=51)
    assert [w.kind.value for w in result.warnings] == ["finite-difference"]
    png = result._repr_png_()
    assert images.png_problem(png, 2000, 1200) is None  # the panel layout, 1000×600 at 2×
    svg = result._repr_svg_()
    assert images.svg_problem(svg.encode(), 1000, 600) is None
    bundle = result._repr_mimebundle_()
    assert set(bundle) == {"image/png", "image/svg+xml", "text/html", "text/plain"}
    assert base64.b64decode(bundle["image/png"]) == png
    page = bundle["text/html"]
    assert page.startswith(f'<img src="data:image/png;base64,{bundle["image/png"]}"')
    assert "finite-difference: " in page and "critical points: none" in page
    assert bundle["text/plain"] == "<derivlens result: f(x) on [-1, 1], order 1, finite-difference>"


def test_html_escapes_what_the_function_is_called() -> None:
    class Odd(torch.nn.Module):
        def forward(self, x):
            return x * x

    odd = Odd()
    result = derivlens.plot(odd, domain=(-1, 1), samples=5)
    object.__setattr__(result.result, "function", "<b>x</b>")
    assert "<b>x</b>" not in result._repr_html_() and "&lt;b&gt;x&lt;/b&gt;" in result._repr_html_()


def test_a_result_copies_and_pickles() -> None:
    result = derivlens.plot(lambda x: x * x, domain=(0, 1), samples=3)
    for again in (copy.copy(result), copy.deepcopy(result), pickle.loads(pickle.dumps(result))):
        assert again.f == [0.0, 0.25, 1.0] and again.derivatives == {1: [0.0, 1.0, 2.0]}


def test_to_dict_is_the_contract_json() -> None:
    result = derivlens.plot(lambda x: x * x, domain=(0, 1), order=2, samples=3)
    data = result.to_dict()
    assert data["derivatives"] == {"1": [0.0, 1.0, 2.0], "2": [2.0, 2.0, 2.0]}
    assert data["f"] == [0.0, 0.25, 1.0] and data["image"] is None and data["sandbox"] == []
    assert list(data)[:3] == ["function", "file", "line"]


def test_the_line_magic_reads_the_cli_flags() -> None:
    def f(x):
        return torch.cos(x)

    result = derivlens_magic("f --domain -pi pi --order 2 --samples 9", {"f": f})
    assert result.domain == (-math.pi, math.pi) and len(result.x) == 9
    for i, x in enumerate(result.x):
        assert close(result.derivatives[2][i], -math.cos(x))
    with pytest.raises(DerivlensError, match="--order must be 1 to 4, got 7") as caught:
        derivlens_magic("f --order 7", {"f": f})
    assert caught.value.kind is ErrorKind.INVALID_OPTIONS
    with pytest.raises(DerivlensError, match="'g' is not defined in the notebook"):
        derivlens_magic("g", {"f": f})
    with pytest.raises(DerivlensError, match="unrecognized arguments: --colour"):
        derivlens_magic("f --colour red", {"f": f})


def test_the_line_magic_holds_params_draws_taylor_and_compares_as_the_cli_does() -> None:
    def scaled(x, a=1.0):
        return a * torch.sin(x)

    g = lambda x: torch.cos(x)  # noqa: E731 - a lambda: its notebook name is what shows
    line = "scaled --param a=2 --domain 0 pi --samples 5 --taylor pi/2 2 --compare g"
    result = derivlens_magic(line, {"scaled": scaled, "g": g})
    for i, x in enumerate(result.x):
        assert close(result.f[i], 2 * math.sin(x))
        assert close(result.derivatives[1][i], 2 * math.cos(x))
        assert close(result.compare.f[i], math.cos(x))
        assert close(result.compare.difference[i], 2 * math.sin(x) - math.cos(x))
    # f(pi/2) = 2, f'(pi/2) = 0, f''(pi/2)/2 = -1.
    assert result.taylor.at == pytest.approx(math.pi / 2) and result.taylor.order == 2
    np.testing.assert_allclose(result.taylor.coefficients, [2.0, 0.0, -1.0], atol=1e-12)
    assert result.compare.function == "g"
    assert result.fixed == {"a": 2.0}
    # A negative x0 is a value, not a flag; the order defaults to 1 (the tangent line).
    tangent = derivlens_magic("scaled --taylor -pi/2", {"scaled": scaled})
    np.testing.assert_allclose(tangent.taylor.coefficients, [-1.0, 0.0], atol=1e-12)


def test_the_line_magic_says_what_is_wrong_with_its_new_flags() -> None:
    def f(x, a=1.0):
        return a * x

    cases = {
        "f --compare h": "--compare: 'h' is not defined in the notebook",
        "f --param a": "--param: write it as NAME=VALUE",
        "f --param a=lots": "--param: ",
        "f --taylor 0 7": "--taylor",
        "f --taylor 0 1 2": "--taylor takes X0 and an optional order K",
    }
    for line, message in cases.items():
        with pytest.raises(DerivlensError, match=re.escape(message)) as caught:
            derivlens_magic(line, {"f": f})
        assert caught.value.kind is ErrorKind.INVALID_OPTIONS, line


def test_sliders_move_the_held_parameters_and_the_plot_follows() -> None:
    def wave(x, a=1.5, n=2, label="on"):
        return a * torch.sin(n * x)

    result = derivlens.plot(wave, domain=(-1, 1), samples=11)
    widget = result.sliders()
    a, n, image = widget.children  # `label` is text: no slider
    assert (a.description, a.min, a.max, a.value) == ("a", 0.0, 3.0, 1.5)
    assert (n.description, n.min, n.max, n.step, n.value) == ("n", 0, 10, 1, 2)
    assert image.value == result._repr_png_()
    a.value = 0.5
    n.value = 3
    moved = widget.result
    assert moved.fixed == {"a": 0.5, "n": 3, "label": "on"}
    for i, x in enumerate(moved.x):
        assert close(moved.derivatives[1][i], 0.5 * 3 * math.cos(3 * x))
    assert image.value == moved._repr_png_() != result._repr_png_()
    with pytest.raises(ValueError, match="copied"):
        pickle.loads(pickle.dumps(result)).sliders()


@pytest.mark.parametrize(
    ("value", "integer", "expected"),
    [
        (0.0, False, (-1.0, 1.0)),
        (-2.0, False, (-4.0, 0.0)),
        (0, True, (-10, 10)),
        (-3, True, (-10, 0)),
        (40, True, (0, 80)),
    ],
)
def test_slider_bounds_are_the_panels(value: float, integer: bool, expected: tuple) -> None:
    from derivlens.kernel_widgets import bounds

    assert bounds(value, integer) == expected
