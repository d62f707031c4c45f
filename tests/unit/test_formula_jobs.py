"""The server's formula jobs: a job that fails (a timeout on a busy machine) is tried again
when the result is asked for again, a few times, before null is taken as the answer; a
job that answers null is final at once."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from derivlens import formula_jobs, model
from derivlens.errors import DerivlensError
from derivlens.formula_jobs import TRIES, Formulas

FORMULA: model.FormulaTexts = {"f": "x**2", "1": "2*x", "latex": {"f": "x^{2}", "1": "2 x"}}


def curves() -> model.CurvesResult:
    return model.CurvesResult(
        variables=("x",),
        fixed={},
        domain=(0.0, 1.0),
        order=1,
        method="autograd",
        x=[0.0, 1.0],
        f=[0.0, 1.0],
        derivatives={"1": [0.0, 2.0]},
        critical_points=[],
    )


async def ask_until_settled(formulas: Formulas, asks: int) -> list[Any]:
    """Ask for the result `asks` times, letting the queued job run after each ask."""
    seen = []
    for _ in range(asks):
        seen.append(formulas.merged("request", curves()).formula)  # type: ignore[arg-type]
        for _ in range(40):
            await asyncio.sleep(0.01)
            if formulas._drainer is None or formulas._drainer.done():
                break
    return seen


@pytest.fixture(autouse=True)
def keyed_by_text(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(formula_jobs, "formula_key", lambda prepared: (prepared,))
    monkeypatch.setattr(formula_jobs, "QUIET_S", 0.0)
    monkeypatch.setattr(formula_jobs, "POLL_S", 0.001)


def test_a_job_that_failed_once_is_tried_again_and_its_formula_shown() -> None:
    calls = []

    async def compute(prepared: Any) -> model.FormulaTexts | None:
        calls.append(prepared)
        if len(calls) == 1:
            raise DerivlensError("timeout", "the formula job took too long")
        return FORMULA

    seen = asyncio.run(ask_until_settled(Formulas(compute), 3))
    assert len(calls) == 2
    assert seen == [None, None, FORMULA]


def test_a_job_that_always_fails_is_given_up_after_its_tries() -> None:
    calls = []

    async def compute(prepared: Any) -> model.FormulaTexts | None:
        calls.append(prepared)
        raise DerivlensError("crashed", "the child died")

    formulas = Formulas(compute)
    seen = asyncio.run(ask_until_settled(formulas, TRIES + 3))
    assert len(calls) == TRIES
    assert seen == [None] * (TRIES + 3)
    assert formulas.known("request")  # type: ignore[arg-type]


def test_null_from_a_job_is_final() -> None:
    calls = []

    async def compute(prepared: Any) -> model.FormulaTexts | None:
        calls.append(prepared)
        return None

    formulas = Formulas(compute)
    asyncio.run(ask_until_settled(formulas, 3))
    assert len(calls) == 1
    assert formulas.known("request")  # type: ignore[arg-type]
