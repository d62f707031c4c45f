"""`derivlens plot` as a user runs it: exit codes, one JSON object, files, clear errors."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.helpers import array

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "article.py"


def run_cli(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "derivlens", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def json_of(completed: subprocess.CompletedProcess[str]) -> dict:
    lines = completed.stdout.strip().splitlines()
    assert len(lines) == 1, completed.stdout  # exactly one JSON object
    return json.loads(lines[0])


def write(tmp_path: Path, source: str, name: str = "user.py") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(source))
    return path


def test_plot_article_cubic_to_png_with_json(tmp_path):
    out = tmp_path / "plots" / "cubic.png"
    completed = run_cli(
        "plot", str(EXAMPLES), "--function", "f", "--order", "2", "--out", str(out), "--json"
    )
    assert completed.returncode == 0, completed.stderr
    result = json_of(completed)
    x = array(result["x"])
    assert result["function"] == "f" and result["line"] == 15
    assert result["domain"] == [-2.0, 2.0]  # from the file's directive
    np.testing.assert_allclose(array(result["derivatives"]["1"]), 3 * x**2 - 4 * x + 1, atol=1e-9)
    np.testing.assert_allclose(array(result["derivatives"]["2"]), 6 * x - 4, atol=1e-9)
    image = result["image"]
    assert {k: v for k, v in image.items() if k != "axes"} == {
        "format": "png",
        "path": str(out),
        "width": image["width"],
        "height": image["height"],
    }
    assert [axes["name"] for axes in image["axes"]] == ["f", "f′", "f″"]
    with Image.open(out) as image:
        assert image.format == "PNG"
        assert image.size == (result["image"]["width"], result["image"]["height"])
    assert "rlimits" in result["sandbox"]
    assert result["elapsed_ms"] > 0


def test_plot_by_line_two_variables_to_svg(tmp_path):
    out = tmp_path / "surface.svg"
    completed = run_cli(
        "plot", str(EXAMPLES), "--line", "27", "--samples", "11", "--y-domain", "-1", "1",
        "--out", str(out), "--json",
    )  # fmt: skip
    assert completed.returncode == 0, completed.stderr
    result = json_of(completed)
    assert result["function"] == "h" and result["variables"] == ["x", "y"]
    assert result["ydomain"] == [-1.0, 1.0]
    assert np.array(result["gradient"]["x"]).shape == (11, 11)
    assert out.read_text().lstrip().startswith(("<?xml", "<svg"))


def test_human_output_without_json(tmp_path):
    completed = run_cli("plot", str(EXAMPLES), "--function", "h_at_y_1")
    assert completed.returncode == 0, completed.stderr
    assert "h_at_y_1(x, y=1.0): autograd, order 1" in completed.stdout
    assert "critical points: 0" in completed.stdout


def test_syntax_error_is_exit_2_with_line(tmp_path):
    path = write(tmp_path, "def f(x):\n    return (x +\n")
    completed = run_cli("plot", str(path), "--function", "f", "--json")
    assert completed.returncode == 2
    error = json_of(completed)["error"]
    assert error["kind"] == "syntax" and "line" in error["message"]


def test_missing_function_and_missing_file_are_not_found(tmp_path):
    path = write(tmp_path, "def f(x):\n    return x\n")
    completed = run_cli("plot", str(path), "--function", "g", "--json")
    assert completed.returncode == 2
    assert json_of(completed)["error"]["kind"] == "not-found"
    completed = run_cli("plot", str(tmp_path / "nope.py"), "--function", "f", "--json")
    assert completed.returncode == 2
    assert json_of(completed)["error"] == {
        "kind": "not-found",
        "message": f"no such file: {tmp_path / 'nope.py'}",
    }


def test_unsupported_signature_says_what_to_do(tmp_path):
    path = write(tmp_path, "def f(x, y, z):\n    return x\n")
    completed = run_cli("plot", str(path), "--function", "f")
    assert completed.returncode == 2
    assert "unsupported-signature" in completed.stderr
    assert "default values to hold them fixed" in completed.stderr


def test_user_exception_is_exit_1_without_traceback(tmp_path):
    path = write(
        tmp_path,
        """
        def f(x):
            return x / undefined_name
        """,
    )
    completed = run_cli("plot", str(path), "--function", "f", "--json")
    assert completed.returncode == 1
    error = json_of(completed)["error"]
    assert error["kind"] == "user-error"
    assert "NameError" in error["message"] and "user.py:3" in error["message"]
    assert "Traceback" not in completed.stdout + completed.stderr


def test_infinite_loop_times_out(tmp_path):
    path = write(tmp_path, "def f(x):\n    while True:\n        pass\n")
    completed = run_cli("plot", str(path), "--function", "f", "--timeout", "1", "--json")
    assert completed.returncode == 1
    assert json_of(completed)["error"]["kind"] == "timeout"


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--order", "9"], "--order must be 1 to 4, got 9"),
        (["--domain", "3", "1"], "--domain: it must go from low to high, got 3..1"),
        (["--samples", "lots"], "--samples: it must be a whole number, got 'lots'"),
        (["--out", "plot.gif"], "--out must end in .png or .svg"),
        (["--param", "a"], "--param: write it as NAME=VALUE"),
        (["--frobnicate"], "unrecognized arguments: --frobnicate"),
    ],
)
def test_bad_arguments_are_invalid_options(tmp_path, args, needle):
    completed = run_cli("plot", str(EXAMPLES), "--function", "f", *args, "--json")
    assert completed.returncode == 2
    error = json_of(completed)["error"]
    assert error["kind"] == "invalid-options" and needle in error["message"], error


def test_samples_over_the_surface_limit_is_invalid_options_with_the_range(tmp_path):
    path = write(tmp_path, "def bowl(x, y):\n    return x**2 + y**2\n")
    completed = run_cli("plot", str(path), "--function", "bowl", "--samples", "1000", "--json")
    assert completed.returncode == 2
    assert json_of(completed)["error"] == {
        "kind": "invalid-options",
        "message": "--samples must be 2 to 401 for a function of two variables, got 1000",
    }
    human = run_cli("plot", str(path), "--function", "bowl", "--samples", "1000")
    assert human.returncode == 2 and human.stdout == ""
    assert "invalid-options: --samples must be 2 to 401" in human.stderr


NEWLINES_EVERYWHERE = """
import torch

Odd = type("Odd\\nError", (Exception,), {})


def fails(x):
    raise Odd("first\\nsecond")


def on_numbers(x, label="one\\ntwo"):
    if isinstance(x, torch.Tensor):
        raise Odd("no tensors\\nhere")
    return x * x
"""


def test_an_error_is_one_line_whatever_the_exception_class_is_called(tmp_path):
    path = write(tmp_path, NEWLINES_EVERYWHERE)
    completed = run_cli("plot", str(path), "--function", "fails", "--samples", "21")
    assert completed.returncode == 1 and completed.stdout == ""
    assert completed.stderr.splitlines() == [
        "derivlens: user-error: fails raised Odd\\nError: first (user.py:8, in fails)"
    ]


def test_the_summary_is_one_line_per_field_with_newlines_escaped(tmp_path):
    path = write(tmp_path, NEWLINES_EVERYWHERE)
    completed = run_cli("plot", str(path), "--function", "on_numbers", "--samples", "21")
    assert completed.returncode == 0, completed.stderr
    head, points, warning = completed.stdout.splitlines()
    assert head.startswith("on_numbers(x, label=one\\ntwo): finite-difference, order 1, ")
    assert points == "  critical points: 0"
    assert warning.startswith("  warning (finite-difference): autograd cannot follow")
    assert "tensors (Odd\\nError: no tensors)" in warning


SWISH = """\
import torch
from torch import nn


class Swish(nn.Module):
    def __init__(self, beta=1.0, steps=2):
        super().__init__()
        self.beta = beta
        self.steps = steps

    def forward(self, x, shift=0.0):
        return x * torch.sigmoid(self.beta * x) * self.steps + shift
"""


def test_a_module_constructor_value_is_set_as_class_name(tmp_path):
    path = write(tmp_path, SWISH)
    completed = run_cli(
        "plot", str(path), "--function", "Swish.forward", "--domain", "-2", "2",
        "--samples", "9", "--param", "Swish(beta)=2.5", "--param", "Swish(steps)=3",
        "--param", "shift=0.5", "--json",
    )  # fmt: skip
    assert completed.returncode == 0, completed.stdout + completed.stderr
    result = json_of(completed)
    assert result["fixed"] == {"shift": 0.5, "Swish(beta)": 2.5, "Swish(steps)": 3}
    x = np.array(result["x"])
    expected = 3 * x / (1 + np.exp(-2.5 * x)) + 0.5
    np.testing.assert_allclose(result["f"], expected, rtol=1e-12, atol=1e-12)


def test_a_constructor_value_by_its_bare_name_is_refused_with_its_spelling(tmp_path):
    path = write(tmp_path, SWISH)
    completed = run_cli(
        "plot", str(path), "--function", "Swish.forward", "--param", "beta=2", "--json"
    )
    assert completed.returncode == 2
    error = json_of(completed)["error"]
    assert error["kind"] == "invalid-options"
    assert "the constructor's beta is written 'Swish(beta)'" in error["message"], error


@pytest.mark.parametrize("item", ["Swish(beta=2", "Swish()=2", "(beta)=2", "Swish(be ta)=2"])
def test_a_malformed_class_name_param_is_invalid_options(tmp_path, item):
    completed = run_cli("plot", str(EXAMPLES), "--function", "f", "--param", item, "--json")
    assert completed.returncode == 2
    error = json_of(completed)["error"]
    assert "write it as NAME=VALUE (or 'Class(name)=VALUE'" in error["message"], error
