"""Valid but extreme input gets a plot or the contract's error kind, never `internal`.

Deep expressions (a 600-term sum, a 1,500-long attribute chain, a deep `__main__`
test) are valid Python: every function of their module plots, with the right numbers.
Past what Python itself compiles it is `syntax`, saying so. Option values that are far
too long (2,000 minus signs) or too wide ([-1e308, 1e308]) are `invalid-options` with the
allowed form, from each source: the directive, the settings, the command, the CLI.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import attrs
import numpy as np
import pytest
import pytest_lsp
from hypothesis import given, settings
from hypothesis import strategies as st
from pytest_lsp import LanguageClient

from derivlens import engine, runner, wire
from derivlens.errors import InvalidOptions
from derivlens.locate import parse_module
from derivlens.lsp.settings import parse_settings
from derivlens.options import MAX_NUMBER_TEXT, NAMES, Source, read
from tests.helpers import array
from tests.lsp.test_lsp import at, expect_error, hover, lenses, open_document, plot
from tests.lsp_session import SERVER, start

TERMS = 600
SUM = " + ".join(["x"] * TERMS)
MINUSES = "-" * 2000
#: Every deep shape in one module: each once made every function of it `internal`.
DEEP = f"""import torch

N = {" + ".join(["1"] * TERMS)}
R = torch.tensor(2.0){".real" * 1500}
ONE = torch.tensor(1.0){".clone()" * TERMS}

if __name__ == "__main__" and {" + ".join(["1"] * TERMS)}:
    print("never runs")


def f(x):
    return {SUM}


# derivlens: domain=-2..2 order=1
def g(x):
    return N * x * x


def k(x):
    return R * x + ONE
"""
#: The line (0-based) of each function's def in DEEP.
DEF_LINE = {name: DEEP.splitlines().index(f"def {name}(x):") for name in ("f", "g", "k")}
X = np.linspace(-2.0, 2.0, 9)
EXPECTED = {  # f and f′ of each function of DEEP on X
    "f": (TERMS * X, np.full_like(X, TERMS)),
    "g": (TERMS * X * X, 2 * TERMS * X),
    "k": (2 * X + 1, np.full_like(X, 2.0)),
}


def run_cli(*args: str) -> tuple[int, dict[str, Any]]:
    completed = subprocess.run(
        [sys.executable, "-m", "derivlens", *args, "--json"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    lines = completed.stdout.strip().splitlines()
    assert len(lines) == 1, (completed.stdout, completed.stderr)
    return completed.returncode, json.loads(lines[0])


def assert_plotted(result: dict[str, Any], name: str) -> None:
    assert "error" not in result, result
    value, slope = EXPECTED[name]
    np.testing.assert_allclose(array(result["x"]), X, atol=1e-12)
    np.testing.assert_allclose(array(result["f"]), value, rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(array(result["derivatives"]["1"]), slope, rtol=1e-12, atol=1e-9)


# --- deep expressions from the CLI ------------------------------------------------------------


@pytest.mark.parametrize("name", ["f", "g", "k"])
def test_deep_expressions_plot_every_function_from_the_cli(tmp_path: Path, name: str):
    path = tmp_path / "deep.py"
    path.write_text(DEEP)
    status, result = run_cli("plot", str(path), "--function", name, "--domain", "-2", "2",
                             "--samples", "9")  # fmt: skip
    assert status == 0, result
    assert_plotted(result, name)


#: Valid expressions nested deeper than Python's recursion limit, and where they may sit.
DEPTH = 1500
SHAPES = {
    "sum": " + ".join(["v"] * DEPTH),
    "power": " ** ".join(["v"] * DEPTH),
    "minus": "-" * DEPTH + "v",
    "not": "not " * DEPTH + "v",
    "attribute": "v" + ".real" * DEPTH,
    "subscript": "v" + "[0]" * DEPTH,
    "method": "v" + ".clone()" * (DEPTH // 2),
    "conditional": " if v else ".join(["v"] * DEPTH),
}
PLACES = {
    "body": "def f(x):\n    return x + 0 * (EXPR)\n",
    "lambda": "f = lambda x: x + 0 * (EXPR)\n",
    "constant": "C = EXPR\ndef f(x):\n    return x + 0 * C\n",
    "default": "def f(x, a=EXPR):\n    return x\n",
    "decorator": "@(EXPR)\ndef f(x):\n    return x\n",
    "main guard": "if __name__ == '__main__' and (EXPR):\n    pass\ndef f(x):\n    return x\n",
    "guarded definition": "if EXPR:\n    C = 1\ndef f(x):\n    return x * C\n",
    "class base": "class K(EXPR):\n    @staticmethod\n    def f(x):\n        return x\n",
    "callable": "act = torch.nn.Identity(EXPR)\ndef f(x):\n    return x\n",
}


@pytest.mark.parametrize("place", PLACES)
@pytest.mark.parametrize("shape", SHAPES)
def test_every_function_beside_a_deep_expression_is_found_and_sliced(shape: str, place: str):
    """The server's side (locate, slice) of every shape in every place: no recursion."""
    text = "import torch\nv = 1\n" + PLACES[place].replace("EXPR", SHAPES[shape])
    text += "\ndef g(x):\n    return x * x\n"
    module = parse_module(text, "deep.py")
    names = {function.name for function in module.functions}
    assert {"g", "K.f" if place == "class base" else "f"} <= names, names
    lines = text.splitlines()
    for name in names:
        function = module.by_name(name)
        kept = engine.prepare(module, function, "deep.py").code.splitlines()
        assert kept[function.def_line - 1] == lines[function.def_line - 1]  # on its own line


def test_a_deep_constant_says_what_it_is_bound_to(tmp_path: Path):
    path = tmp_path / "deep.py"
    path.write_text(DEEP)
    status, result = run_cli("plot", str(path), "--function", "N")
    assert status == 2 and result["error"]["kind"] == "not-found"
    assert result["error"]["message"].startswith("N is bound to 1 + 1 + 1 + 1")


def test_nested_parentheses_200_deep_plot(tmp_path: Path):
    path = tmp_path / "parens.py"
    path.write_text("def f(x):\n    return " + "(x + " * 200 + "x" + ")" * 200 + "\n")
    status, result = run_cli("plot", str(path), "--function", "f", "--samples", "5")
    assert status == 0, result
    np.testing.assert_allclose(array(result["f"]), 201 * np.linspace(-5, 5, 5))
    assert result["derivatives"]["1"] == [201.0] * 5


def test_deeper_than_python_compiles_is_a_syntax_error(tmp_path: Path):
    path = tmp_path / "huge.py"
    path.write_text("def f(x):\n    return " + " + ".join(["x"] * 5000) + "\n")
    status, result = run_cli("plot", str(path), "--function", "f")
    assert status == 2
    assert result["error"]["kind"] == "syntax"
    assert result["error"]["message"].startswith("huge.py nests an expression too deeply")


def test_the_child_reports_a_module_too_deep_to_compile_as_syntax(tmp_path: Path):
    """The parser's limit depends on the stack it starts from: code that the server parsed
    may still be too deep for the child's compile."""
    path = tmp_path / "user.py"
    path.write_text("def f(x):\n    return x\n")
    prepared = engine.prepare_source(path.read_text(), str(path), name="f")
    deep = "def f(x):\n    return " + " + ".join(["x"] * 5000) + "\n"
    request = attrs.evolve(prepared.request, code=deep)
    reply = runner.run(wire.unstructure(request))
    assert reply["error"]["kind"] == "syntax", reply
    assert "user.py nests an expression too deeply" in reply["error"]["message"]


# --- option values: directive, CLI, settings -------------------------------------------------


def test_a_directive_of_2000_minus_signs_is_invalid_options_and_spares_the_others(
    tmp_path: Path,
):
    path = tmp_path / "directive.py"
    path.write_text(
        f"# derivlens: domain={MINUSES}1..2\ndef f(x):\n    return x\n\n"
        f"def g(x):  # derivlens: domain={MINUSES}pi..pi\n    return x\n\n"
        "def h(x):\n    return 3 * x\n"
    )
    for name in ("f", "g"):
        status, result = run_cli("plot", str(path), "--function", name)
        assert status == 2 and result["error"]["kind"] == "invalid-options", result
        message = result["error"]["message"]
        assert message.startswith("directive domain: '-----") and len(message) < 300
        assert f"at most {MAX_NUMBER_TEXT} characters" in message and "-2pi" in message
    status, result = run_cli("plot", str(path), "--function", "h", "--samples", "3")
    assert status == 0 and result["derivatives"]["1"] == [3.0, 3.0, 3.0]


@pytest.mark.parametrize(
    ("domain", "expected"),
    [
        ([f"{MINUSES}1", "2"], f"at most {MAX_NUMBER_TEXT} characters"),
        (["-1e308", "1e308"], "width must be finite (high − low at most 1.798e+308)"),
        (["-inf", "1"], "is not a number"),
    ],
)
def test_cli_domain_too_long_or_too_wide_is_invalid_options(
    tmp_path: Path, domain: list[str], expected: str
):
    path = tmp_path / "line.py"
    path.write_text("def f(x):\n    return x\n\ndef s(x, y):\n    return x + y\n")
    status, result = run_cli("plot", str(path), "--function", "f", "--domain", *domain)
    assert status == 2 and result["error"]["kind"] == "invalid-options", result
    assert result["error"]["message"].startswith("--domain: ")
    assert expected in result["error"]["message"]
    status, result = run_cli("plot", str(path), "--function", "s", "--y-domain", *domain)
    assert status == 2 and result["error"]["message"].startswith("--y-domain: "), result
    assert expected in result["error"]["message"]


def test_cli_domain_takes_negative_constants(tmp_path: Path):
    """`-pi`, `-2pi` and `-1e3` after `--domain` are values, not flags."""
    path = tmp_path / "line.py"
    path.write_text("def f(x):\n    return 2 * x\n")
    status, result = run_cli("plot", str(path), "--function", "f", "--domain", "-2pi", "-1e-3",
                             "--samples", "3")  # fmt: skip
    assert status == 0, result
    assert result["domain"] == [-2 * np.pi, -1e-3]
    assert result["derivatives"]["1"] == [2.0, 2.0, 2.0]


def test_a_param_that_overflows_is_invalid_options(tmp_path: Path):
    path = tmp_path / "held.py"
    path.write_text("def f(x, a=1.0, b=2.0):\n    return a * x + b\n")
    status, result = run_cli("plot", str(path), "--function", "f", "--param", "a=2",
                             "--param", "b=-1e999")  # fmt: skip
    assert status == 2 and result["error"] == {
        "kind": "invalid-options",
        "message": "params: b must be a finite number, got -inf",
    }


def test_the_widest_finite_domain_plots_correct_numbers(tmp_path: Path):
    path = tmp_path / "line.py"
    path.write_text("def f(x):\n    return x / 2\n")
    status, result = run_cli("plot", str(path), "--function", "f", "--domain", "-8.9e307",
                             "8.9e307", "--samples", "5")  # fmt: skip
    assert status == 0, result
    x = array(result["x"])
    assert np.isfinite(x).all() and x[0] == -8.9e307 and x[-1] == 8.9e307
    np.testing.assert_allclose(array(result["f"]), x / 2)
    assert result["derivatives"]["1"] == [0.5] * 5


#: Text made of what numbers and ranges are written with, repeated far past any real value.
OPTION_TEXT = st.text(alphabet="-+*/.,;0123456789eEpitau()[] _x\x00", max_size=4000) | st.builds(
    lambda sign, count, tail: sign * count + tail,
    st.sampled_from(["-", "+", "(", "-(", "pi*", "1/"]),
    st.integers(0, 5000),
    st.sampled_from(["1", "1..2", "pi", "1e308", "9" * 400, ""]),
)


@settings(max_examples=300, deadline=None)
@given(text=OPTION_TEXT, name=st.sampled_from(NAMES), source=st.sampled_from(list(Source)))
def test_any_option_text_is_a_value_or_invalid_options(text: str, name: str, source: Source):
    try:
        value = read(name, text, source)
    except InvalidOptions as error:
        assert error.kind == "invalid-options" and error.option == name
        assert len(error.message) < 400
        return
    if isinstance(value, tuple):
        low, high = value
        assert np.isfinite(high - low) and low < high
    else:
        assert isinstance(value, int)


def test_a_setting_of_2000_minus_signs_fails_where_used_and_keeps_the_others():
    settings = parse_settings({"domain": [f"{MINUSES}1", 2], "order": 2, "timeoutSeconds": 4})
    assert settings.timeout_s == 4.0 and settings.plot.values == {"order": 2}
    (problem,) = settings.problems
    assert problem.startswith("setting derivlens.domain: '----")
    assert f"at most {MAX_NUMBER_TEXT} characters" in problem and len(problem) < 300
    wide = parse_settings({"domain": [-1e308, 1e308]})
    assert wide.plot.problems["domain"].kind == "invalid-options"
    assert "width must be finite" in wide.problems[0]


# --- the language server ---------------------------------------------------------------------

IN_SERVER = pytest.mark.asyncio(loop_scope="module")


@pytest_lsp.fixture(config=SERVER, scope="module")
async def client(
    lsp_client: LanguageClient, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[None]:
    folder = tmp_path_factory.mktemp("kinds")
    settings = {"derivlens": {"domain": [f"{MINUSES}1", 2], "order": 2}}
    await start(lsp_client, folder, "kinds", settings)
    yield
    await lsp_client.shutdown_session()


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("documents")


@IN_SERVER
async def test_deep_expressions_hover_lens_and_plot_in_the_server(
    client: LanguageClient, folder: Path
):
    uri = open_document(client, folder / "deep.py", DEEP)
    assert sorted(lens.range.start.line for lens in await lenses(client, uri)) == sorted(
        DEF_LINE.values()
    )
    for name, line in DEF_LINE.items():
        result = await plot(client, at(uri, line, domain=[-2, 2], samples=9, order=1))
        assert_plotted(result, name)
    shown = await hover(client, uri, DEF_LINE["g"])
    assert shown is not None and shown.contents.value.startswith("**g(x)** · autograd")


@IN_SERVER
async def test_option_values_too_long_or_too_wide_from_the_server(
    client: LanguageClient, folder: Path
):
    text = (
        f"# derivlens: domain={MINUSES}1..2\ndef f(x):\n    return x\n\ndef g(x):\n    return x\n"
    )
    uri = open_document(client, folder / "options.py", text)
    directive = await expect_error(plot(client, at(uri, 1, samples=3)))
    assert directive.code == -32803 and directive.data == {
        "kind": "invalid-options",
        "option": "domain",
    }
    assert directive.message.startswith("directive domain: '---")
    # g has no directive: the settings' domain is the bad one, their order still applies
    setting = await expect_error(plot(client, at(uri, 4, samples=3)))
    assert setting.data["kind"] == "invalid-options"
    assert setting.message.startswith("setting derivlens.domain: '---")
    assert f"at most {MAX_NUMBER_TEXT} characters" in setting.message
    result = await plot(client, at(uri, 4, samples=3, domain=[-1, 1]))
    assert result["order"] == 2 and result["derivatives"]["2"] == [0.0, 0.0, 0.0]
    for domain in ([f"{MINUSES}1", 2], f"{MINUSES}1..2", [-1e308, 1e308]):
        error = await expect_error(plot(client, at(uri, 4, domain=domain)))
        assert error.data == {"kind": "invalid-options", "option": "domain"}, domain
        assert error.message.startswith("domain: ") and len(error.message) < 300
    surface = open_document(client, folder / "surface.py", "def s(x, y):\n    return x * y\n")
    error = await expect_error(plot(client, at(surface, 0, domain=[0, 1], ydomain=[-1e308, 1e308])))
    assert error.data == {"kind": "invalid-options", "option": "ydomain"}
    assert "width must be finite" in error.message
