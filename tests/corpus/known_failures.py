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
PACKAGE_FILE = (
    "plotting a package's own file: its relative imports (`from .module import Module`, "
    "`from .consts import *`) fail or are dropped, since the sliced module runs outside "
    "its package"
)
DOCSTRING_TWICE = (
    "the needed assignment `gelu = _add_docstr(torch._C._nn.gelu, ...)` runs again in a "
    "process where torch is imported: RuntimeError 'already has a docstring', user-error"
)
NOT_RETRIED_ON_FLOATS = (
    "code that fails on tensors (np.where on a 0-d tensor: ValueError) is not evaluated "
    "on numbers, where it works: user-error"
)
BLOCKED = (
    "ordinary tensor code (`x.abs().pow(2).mean().sqrt()`, its kink at 0 between two "
    "samples) is `blocked` by seccomp (not with 0 on a sample): ordinary code taken for "
    "an attack"
)
OUTSIDE_THE_DOMAIN = (
    "finite differences evaluate f left of the domain [0.001, 2]: numpy.emath.log turns "
    "complex there and the plot is refused (user-error: float() ... not 'complex')"
)
OVERLOADS = (
    "two `@typing.overload` stubs come before the implementation of the same name: the "
    "stub is what gets called (NotImplementedError: You should not call an overloaded "
    "function), user-error"
)
REFUSED = {
    PACKAGE_FILE: [e.id for e in ENTRIES if e.file.startswith("nn/modules/")]
    + ["easings:elas_out"],
    DOCSTRING_TWICE: ["torch:gelu", "torch:softplus", "torch:logsigmoid"],
    NOT_RETRIED_ON_FLOATS: ["lmfit:lognormal"],
    BLOCKED: ["torchdiffeq:_rms_norm"],
    OUTSIDE_THE_DOMAIN: ["numpy:log"],
    OVERLOADS: ["pyro:torch_float"],
}

# --- wrong numbers or warnings ------------------------------------------------------------
FLOAT32_BACKWARD = (
    "torch's hardsigmoid backward gives 1/6 in float32 (0.16666667163), off by 3e-8; "
    "the disagreement check then reports 61 points 'from x = -3 to 3', a range"
)
CONSTANT_AT_THE_ENDS = (
    "a branch returning a constant at t == 0 or t == 1 sends the whole curve to finite "
    "differences (method is chosen per curve, not per point)"
)
NO_FIELD = "the result has no `discontinuities` field (one variable)"
NOT_CHECKED_UNDER_FD = (
    "no disagreement check on a finite-difference curve: the kinks and jumps of "
    "math/numpy code are never named"
)
BETWEEN_SAMPLES = (
    "a kink or jump between two samples is not seen: the check steps about 6e-6 from each sample"
)
F2_NOT_CHECKED = "a jump of f″ (order 2 asked) is not looked for"
A_RANGE = "the warning reads 'at 2 points from x = a to b', a range, not the points"
FLOAT16_STEPS = (
    "`.half()`: f moves in float16 steps, and central differences at a float64 step see "
    "f′ = 0: 'disagree at 100 points from x = -5 to 5', a false disagreement and a range"
)
FLOAT32_NOISE = (
    "code computing in float32 (`.sum().float()`) is flagged: 'disagree at 221 grid "
    "points', its rounding noise judged against float64"
)

WRONG = {
    ("values", FLOAT32_BACKWARD): ["torch:hardsigmoid"],
    ("warning", FLOAT32_BACKWARD): ["torch:hardsigmoid"],
    ("method", CONSTANT_AT_THE_ENDS): [
        "pytweening:easeInExpo", "pytweening:easeOutExpo", "pytweening:easeInOutExpo",
        "easings:expo_in_out",
    ],
    ("warning", f"{CONSTANT_AT_THE_ENDS}, and {NOT_CHECKED_UNDER_FD}"): [
        "pytweening:easeInExpo", "pytweening:easeOutExpo", "pytweening:easeInOutExpo",
        "easings:expo_in_out",
    ],
    ("warning", NOT_CHECKED_UNDER_FD): [
        "tweener:Ease.out_bounce", "tweener:Ease.in_out_expo", "tweener:Ease.out_elastic",
        "tweener:Ease.in_out_bounce", "lmfit:step", "lmfit:rectangle",
        "colour:kernel_nearest_neighbour", "colour:kernel_linear", "colour:kernel_sinc",
        "matplotlib:_g11", "matplotlib:_g14", "matplotlib:_g19", "opfunu:ackley_func",
        "opfunu:non_continuous_rastrigin_func", "fontTools:otRound",
    ],
    ("warning", BETWEEN_SAMPLES): [
        "pytweening:easeOutBounce", "pytweening:easeInBounce", "pytweening:easeInOutBounce",
        "gymnasium:angle_normalize", "torchdiffeq:_linf_norm",
    ],
    ("warning", F2_NOT_CHECKED): ["pytweening:easeInOutQuad", "pytweening:easeInOutCubic"],
    ("warning", A_RANGE): ["torch:hardswish", "torch:relu6", "torch:hardtanh"],
    ("warning", FLOAT32_NOISE): ["pytorch_optimizer:SoftF1Loss.forward"],
    ("warning", FLOAT16_STEPS): ["torch:_fp32_to_fp16_with_clamp"],
}  # fmt: skip


def _known() -> dict[tuple[str, str], str]:
    known: dict[tuple[str, str], str] = {}
    refused = {entry_id: reason for reason, ids in REFUSED.items() for entry_id in ids}
    curves = {e.id for e in ENTRIES if not e.two_variables}
    for entry_id, reason in refused.items():
        for aspect in EVERY_ASPECT:
            if entry_id in curves or aspect != "discontinuities":
                known[aspect, entry_id] = reason
    for entry_id in curves - refused.keys():
        known["discontinuities", entry_id] = NO_FIELD
    for (aspect, reason), ids in WRONG.items():
        for entry_id in ids:
            known[aspect, entry_id] = reason
    return known


KNOWN = _known()


def marks(aspect: str, entry_id: str) -> list[pytest.MarkDecorator]:
    reason = KNOWN.get((aspect, entry_id))
    return [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
