"""Which isolation layers this machine offers, and why a missing one is missing."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class LayerStatus:
    name: str
    active: bool
    detail: str


def doctor() -> list[LayerStatus]:
    return [
        LayerStatus("env-allowlist", True, "the worker starts with an allow-listed environment")
    ]
