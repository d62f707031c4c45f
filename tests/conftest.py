"""Fixtures every layer's tests share (README.md, Layout); the language server's set-up
is tests/lsp_session.py."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from hypothesis import settings


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Path:
    """A folder of the test module's own: the workspace its language server is started in."""
    return tmp_path_factory.mktemp(request.module.__name__.rsplit(".", 1)[-1])


@pytest.fixture(autouse=True)
def torch_default_dtype() -> None:
    """Each test starts with torch's own default dtype (float32), as a fresh kernel does:
    the runner, run in-process by some tests, sets float64 for the whole process, which
    a later test of the kernel API (a user's float32 model) must not inherit."""
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.set_default_dtype(torch.float32)


# Property tests explore new examples on every developer run; CI replays a fixed sequence
# (hypothesis's derandomize), so that a landing is judged on the same inputs each time.
# A counterexample found locally is fixed in the mechanism, never by this setting.
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")
