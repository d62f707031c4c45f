"""What today's engine gets wrong on the corpus, by cause: `xfail(strict=True)` marks.

Each expectation in `tests/corpus/test_corpus.py` is what the contract says; these marks only
keep the suite green until the engine is fixed, and flip to failures (strict) the moment
a case passes: then delete its line here. Keys: (aspect, entry id), the aspect one of
"values", "method", "discontinuities", "warning" (the test functions' subjects).
"""

from __future__ import annotations

import pytest

from tests.corpus.entries import ENTRIES

EVERY_ASPECT = ("values", "method", "discontinuities", "warning")

# --- refusals of ordinary code: every aspect fails --------------------------------------
REFUSED: dict[str, list[str]] = {}

# --- wrong numbers or warnings ------------------------------------------------------------
FLOAT32_BACKWARD = (
    "torch's hardsigmoid backward gives 1/6 in float32 (0.16666667163), off by 3e-8: "
    "autograd's value is reported (right to float32, no longer flagged), not 1e-9 of it"
)
NOT_CHECKED_UNDER_FD = (
    "its kinks at ±0.5 (the slope drops from 2 to 0) sit beside f″ ≈ −786 on one side and "
    "0 on the other: at the samples' scale the curvature hides the change of slope, and "
    "the kink locator, on f's values alone, follows the curvature (the jumps are found)"
)
UNDER_FD = [
    "opfunu:non_continuous_rastrigin_func",
]
NO_SECOND_DERIVATIVE = (
    "autograd has no second derivative of hardsigmoid, so the kinks of f′ (f″ from "
    "autograd) are not looked for"
)
WRONG = {
    ("values", FLOAT32_BACKWARD): ["torch:hardsigmoid"],
    ("warning", NOT_CHECKED_UNDER_FD): UNDER_FD,
    ("discontinuities", NOT_CHECKED_UNDER_FD): UNDER_FD,
    ("discontinuities", NO_SECOND_DERIVATIVE): ["torch:hardsigmoid"],
}  # fmt: skip


def _known() -> dict[tuple[str, str], str]:
    known: dict[tuple[str, str], str] = {}
    refused = {entry_id: reason for reason, ids in REFUSED.items() for entry_id in ids}
    curves = {e.id for e in ENTRIES if not e.two_variables}
    for entry_id, reason in refused.items():
        for aspect in EVERY_ASPECT:
            if entry_id in curves or aspect != "discontinuities":
                known[aspect, entry_id] = reason
    for (aspect, reason), ids in WRONG.items():
        for entry_id in ids:
            known[aspect, entry_id] = reason
    return known


KNOWN = _known()


def marks(aspect: str, entry_id: str) -> list[pytest.MarkDecorator]:
    reason = KNOWN.get((aspect, entry_id))
    return [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
