"""The formula's time limit counts the process's CPU time, not the wall clock: a busy
machine (other processes on the cores) must not turn a formula into null."""

from __future__ import annotations

import time

import pytest

from derivlens.calculus.timelimit import OutOfTime, limited


def test_waiting_is_not_counted() -> None:
    """Time this process spends off the CPU (here: asleep, as when other processes hold
    the cores) does not use up the budget."""
    with limited(0.05) as can:
        assert can
        time.sleep(0.3)


def test_work_is_stopped_once_it_has_used_its_budget() -> None:
    started = time.process_time()
    with pytest.raises(OutOfTime), limited(0.05):
        while True:
            pass
    used = time.process_time() - started
    assert 0.04 <= used < 1.0, used
