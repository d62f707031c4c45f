"""The worker's `warm_for` (unsandboxed, idle after a job) lays out only bounded names:
a name of 300,000 characters took it most of a minute in a 500×300 panel."""

from __future__ import annotations

import attrs
import pytest

from derivlens import runner, wire
from derivlens.model import Render
from derivlens.plotting import usual


@pytest.fixture
def rehearsed(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    calls: list[tuple[str, str]] = []

    def rehearse(function, variable, domain, order, spec):  # type: ignore[no-untyped-def]
        calls.append((function, variable))
        return True

    monkeypatch.setattr(usual, "rehearse", rehearse)
    return calls


def request(function: str, variable: str) -> object:
    panel = Render(size="panel", width=500, height=300)
    code = f"def {function}({variable}):\n    return {variable}\n"
    typed = runner._warm_request(code, (variable,), 2, panel)
    return wire.unstructure(attrs.evolve(typed, function=function, variables=(variable,)))


def test_ordinary_names_are_laid_out_for_the_next_children(rehearsed):
    name = "g" * runner.WARM_NAME_CHARS
    assert runner.warm_for(request(name, "t")) is True
    assert rehearsed == [(name, "t")]


@pytest.mark.parametrize(
    ("function", "variable"),
    [("f" + "a" * 300_000, "x"), ("f", "x" * 300_000), ("g" * (runner.WARM_NAME_CHARS + 1), "x")],
)
def test_a_name_past_the_bound_is_never_laid_out_by_the_worker(rehearsed, function, variable):
    assert runner.warm_for(request(function, variable)) is False
    assert rehearsed == []
