"""Which function is at a position, what its signature means, and what a directive says."""

from __future__ import annotations

import textwrap

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from derivlens.errors import DerivlensError
from derivlens.locate import parse_module
from derivlens.slicing import sliced_source

SAMPLE = textwrap.dedent(
    '''\
    """A module with every kind of function."""
    import torch

    SCALE = 2.0


    # derivlens: domain=-1..1
    @torch.no_grad()
    def decorated(x):
        return x * SCALE


    def outer(x, y):
        def inner(t):
            return t + 1
        return inner(x) * y


    square = lambda x: x * x


    class Shapes:
        """Holds shapes."""

        @staticmethod
        def bowl(x, y=1.0):
            return x**2 + y**2

        def area(self, r):
            return 3.14 * r * r


    def three(x, y, z):
        return x + y + z


    async def later(x):
        return x


    print("done")
    '''
)


def spans(module):
    return {f.name: (f.start_line, f.end_line) for f in module.functions}


def test_lists_eligible_functions_with_their_spans():
    module = parse_module(SAMPLE)
    assert spans(module) == {
        "decorated": (8, 10),  # from the decorator to the last body line
        "outer": (13, 16),
        "square": (19, 19),
        "Shapes.bowl": (25, 27),
        "three": (33, 34),
    }
    kinds = {f.name: f.kind for f in module.functions}
    assert kinds == {
        "decorated": "def",
        "outer": "def",
        "square": "lambda",
        "Shapes.bowl": "staticmethod",
        "three": "def",
    }


def test_signature_variables_and_fixed():
    module = parse_module(SAMPLE)
    bowl = module.by_name("Shapes.bowl")
    assert bowl.signature.variables == ("x",)
    assert bowl.signature.fixed == ("y",)
    assert module.by_name("outer").signature.variables == ("x", "y")
    assert "3 variables" in (module.by_name("three").signature.problem or "")


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("def f():\n    return 1\n", "takes no variable"),
        ("def f(x, *, k):\n    return x\n", "keyword-only parameter without a default (k)"),
        ("def f(x, y, z, w=1):\n    return x\n", "3 variables (x, y, z)"),
    ],
)
def test_unsupported_signatures_say_what_to_do(source, expected):
    problem = parse_module(source).functions[0].signature.problem
    assert problem is not None and expected in problem


def test_args_and_kwargs_stay_empty_and_are_fine():
    info = parse_module("def f(x, *args, scale=1, **kwargs):\n    return x\n").functions[0]
    assert info.signature.problem is None
    assert info.signature.variables == ("x",)
    assert info.signature.fixed == ("scale",)


def test_directive_above_decorators():
    info = parse_module(SAMPLE).by_name("decorated")
    assert info.directive["domain"] == (-1.0, 1.0)


def test_directive_at_end_of_def_line():
    info = parse_module("def f(x):  # derivlens: order=3 samples=99\n    return x\n").functions[0]
    assert info.directive == {"order": 3, "samples": 99}


def test_position_finds_innermost_eligible_function():
    module = parse_module(SAMPLE)
    assert module.at(8).name == "decorated"  # on the decorator
    assert module.at(15).name == "outer"  # inside `inner`, which is not eligible
    assert module.at(26).name == "Shapes.bowl"
    assert module.at(4) is None
    assert module.at(11) is None  # blank line between functions


def test_method_taking_self_is_refused_clearly():
    module = parse_module(SAMPLE)
    with pytest.raises(DerivlensError) as caught:
        module.require_at(30)
    assert caught.value.kind == "not-found"
    assert "Shapes.area is a method that takes self" in caught.value.message
    with pytest.raises(DerivlensError, match="method that takes self"):
        module.by_name("Shapes.area")


def test_nested_function_is_refused_by_name():
    with pytest.raises(DerivlensError, match="inner is nested inside outer"):
        parse_module(SAMPLE).by_name("inner")


def test_async_function_is_refused():
    with pytest.raises(DerivlensError, match="async"):
        parse_module(SAMPLE).require_at(38)


def test_unknown_name_lists_what_exists():
    with pytest.raises(DerivlensError) as caught:
        parse_module(SAMPLE).by_name("nope")
    assert caught.value.kind == "not-found"
    assert "decorated, outer, square" in caught.value.message


def test_hover_target_is_the_def_line_only():
    module = parse_module(SAMPLE)
    assert module.hover_target(9).name == "decorated"
    assert module.hover_target(8) is None  # decorator line
    assert module.hover_target(10) is None  # body
    assert module.hover_target(19).name == "square"


def test_compile_time_errors_are_syntax_errors_too():
    with pytest.raises(DerivlensError) as caught:
        parse_module("nonlocal q\ndef f(x):\n    return x\n")
    assert caught.value.kind == "syntax"


def test_syntax_error_has_kind_and_line():
    with pytest.raises(DerivlensError) as caught:
        parse_module("def f(x):\n    return (x +\n", "mid_typing.py")
    assert caught.value.kind == "syntax"
    assert "mid_typing.py" in caught.value.message and "line" in caught.value.message


# --- properties -------------------------------------------------------------------------

MODULE = parse_module(SAMPLE)
LINES = SAMPLE.count("\n")


@given(st.sampled_from(MODULE.functions), st.data())
def test_any_position_inside_a_function_finds_it(function, data):
    line = data.draw(st.integers(function.start_line, function.end_line))
    column = data.draw(st.integers(0, 40))
    found = MODULE.at(line, column)
    assert found is not None
    assert found.name == function.name


@given(st.integers(1, LINES + 5), st.integers(0, 80))
def test_positions_outside_every_function_find_none(line, column):
    inside = any(f.start_line <= line <= f.end_line for f in MODULE.functions)
    assert (MODULE.at(line, column) is not None) == inside


EDITS = st.lists(
    st.tuples(
        st.integers(0, len(SAMPLE)),
        st.integers(0, 6),
        st.text(alphabet="()[]{}:=,.#'\"\\ \n\tdeflambdax0123", max_size=6),
    ),
    min_size=1,
    max_size=4,
)


@settings(max_examples=300, deadline=None)
@given(EDITS)
def test_random_edits_never_raise_anything_but_syntax(edits):
    """Typing mid-function leaves broken code; parsing it may only say `syntax`."""
    text = SAMPLE
    for position, delete, insert in edits:
        position = min(position, len(text))
        text = text[:position] + insert + text[position + delete :]
    try:
        module = parse_module(text)
    except DerivlensError as error:
        assert error.kind == "syntax"
        return
    for function in module.functions:
        sliced_source(module, function)  # slicing any parsable module never raises
    for line in range(1, text.count("\n") + 2):
        module.at(line)
        module.hover_target(line)
        try:
            module.require_at(line)
        except DerivlensError as error:
            assert error.kind == "not-found"


# --- @overload ------------------------------------------------------------------------------

OVERLOADED = textwrap.dedent(
    """\
    import typing
    from typing import overload

    import torch


    @overload
    def scale(x: float) -> float: ...
    @typing.overload
    def scale(x: torch.Tensor) -> torch.Tensor: ...
    def scale(x, k=3.0):
        return k * x


    class Act:
        @overload
        @staticmethod
        def soft(x: float) -> float: ...
        @staticmethod
        def soft(x, beta=2.0):
            return x / (1 + beta * abs(x))


    @overload
    def only_stubs(x: float) -> float: ...
    """
)


def test_an_overloaded_name_is_its_implementation_from_any_of_its_defs():
    module = parse_module(OVERLOADED)
    implementation = module.by_name("scale")
    assert implementation.def_line == 11 and implementation.signature.fixed == ("k",)
    assert [f.name for f in module.functions].count("scale") == 1  # one function, one lens
    for line in (7, 8, 9, 10, 11, 12):  # the stubs' decorators and defs, the implementation
        assert module.at(line) is implementation
    for def_line in (8, 10, 11):
        assert module.hover_target(def_line) is implementation
    method = module.by_name("Act.soft")
    assert method.def_line == 20 and method.signature.fixed == ("beta",)
    assert module.hover_target(18) is method
    code, _ = sliced_source(module, implementation)
    assert "def scale(x, k=3.0):" in code and "-> float: ..." not in code


def test_overload_stubs_without_an_implementation_say_so():
    module = parse_module(OVERLOADED)
    with pytest.raises(DerivlensError) as caught:
        module.by_name("only_stubs")
    assert caught.value.kind.value == "not-found"
    assert "only @overload signatures" in caught.value.message
