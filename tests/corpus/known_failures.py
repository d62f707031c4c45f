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
WRONG: dict[tuple[str, str], list[str]] = {}


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
