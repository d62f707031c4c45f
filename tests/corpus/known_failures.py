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
NOT_RETRIED_ON_FLOATS = (
    "code that fails on tensors (np.where on a 0-d tensor: ValueError) is not evaluated "
    "on numbers, where it works: user-error"
)
REFUSED = {
    NOT_RETRIED_ON_FLOATS: ["lmfit:lognormal"],
}

# --- wrong numbers or warnings ------------------------------------------------------------
FLOAT32_BACKWARD = (
    "torch's hardsigmoid backward gives 1/6 in float32 (0.16666667163), off by 3e-8; "
    "the disagreement check then reports 61 points 'from x = -3 to 3', a range"
)
NOT_CHECKED_UNDER_FD = (
    "no disagreement check on a finite-difference curve: the kinks and jumps of "
    "math/numpy code are never named"
)
FLOAT32_NOISE = (
    "code computing in float32 (`.sum().float()`) is flagged: 'disagree at 221 grid "
    "points', its rounding noise judged against float64"
)

UNDER_FD = [
    "opfunu:non_continuous_rastrigin_func",
]
NO_TARGET_DERIVATIVE = (
    "torch's soft_margin_loss has no derivative for its target ('not differentiable with "
    "respect to argument target'): both partials fall to finite differences, not only ∂f/∂y"
)
NO_SECOND_DERIVATIVE = (
    "autograd has no second derivative of hardsigmoid, so the kinks of f′ (f″ from "
    "autograd) are not looked for"
)
ONE_SIDED_AT_THE_START = (
    "at x = 0, the domain's start, |sin| has a kink: the differences, one-sided inside the "
    "domain, give the right derivative 4π; the reference takes 0 there"
)

WRONG = {
    ("values", FLOAT32_BACKWARD): ["torch:hardsigmoid"],
    ("warning", FLOAT32_BACKWARD): ["torch:hardsigmoid"],
    ("warning", NOT_CHECKED_UNDER_FD): UNDER_FD,
    ("discontinuities", NOT_CHECKED_UNDER_FD): UNDER_FD,
    ("discontinuities", NO_SECOND_DERIVATIVE): ["torch:hardsigmoid"],
    ("values", ONE_SIDED_AT_THE_START): ["matplotlib:_g19"],
    ("warning", FLOAT32_NOISE): ["pytorch_optimizer:SoftF1Loss.forward"],
    ("method", NO_TARGET_DERIVATIVE): ["torch:SoftMarginLoss.forward"],
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
