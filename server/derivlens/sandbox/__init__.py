"""Run user code contained: a warm, forked worker and the isolation layers of SPEC §7.

The server and the CLI only ever see `Evaluator`, `evaluate_once` and `doctor`; user
code never runs in their process.
"""

from __future__ import annotations

from derivlens.sandbox.doctor import LayerStatus, doctor
from derivlens.sandbox.evaluator import EarlyWorker, Evaluator, evaluate_once, prespawn

__all__ = ["EarlyWorker", "Evaluator", "LayerStatus", "doctor", "evaluate_once", "prespawn"]
