"""The sandbox the tests of this folder evaluate in: one warm worker per test module."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest_asyncio

from derivlens import SANDBOX_APP
from derivlens.sandbox import Sandbox


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def sandbox() -> AsyncIterator[Sandbox]:
    s = Sandbox(SANDBOX_APP)
    await s.start()
    yield s
    await s.close()
