"""Fixtures every layer's tests share (README.md, Layout); the language server's set-up
is tests/lsp_session.py."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Path:
    """A folder of the test module's own: the workspace its language server is started in."""
    return tmp_path_factory.mktemp(request.module.__name__.rsplit(".", 1)[-1])
