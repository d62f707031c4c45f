"""derivlens's language server over stdio for a test module (pytest-lsp), set up once.

Each module's `@pytest_lsp.fixture(config=SERVER)` calls `start` and, when its tests are
done, `lsp_client.shutdown_session()`; the workspace folder is the module's own (`workdir`
in tests/conftest.py) unless it names another.
"""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

#: `python -m derivlens serve` with this interpreter, as an editor starts it.
SERVER = ClientServerConfig(server_command=[sys.executable, "-m", "derivlens", "serve"])


async def start(
    client: LanguageClient, folder: Path, name: str, settings: dict[str, Any] | None = None
) -> None:
    """Initialise the session as VS Code does, with `folder` the one workspace folder;
    `settings` answer the server's `workspace/configuration` requests."""
    if settings is not None:
        client.set_configuration(settings)
    await client.initialize_session(
        types.InitializeParams(
            capabilities=client_capabilities("visual-studio-code"),
            root_uri=folder.as_uri(),
            workspace_folders=[types.WorkspaceFolder(uri=folder.as_uri(), name=name)],
        )
    )


def session(folder: str, settings: dict[str, Any] | None = None, *, name: str = "client") -> Any:
    """A module's fixture `name`: the server started once for the module's tests (`start`,
    with the module's `workdir` named `folder`), shut down after them."""

    async def started(lsp_client: LanguageClient, workdir: Path) -> AsyncIterator[None]:
        await start(lsp_client, workdir, folder, settings)
        yield
        await lsp_client.shutdown_session()

    return pytest_lsp.fixture(started, config=SERVER, scope="module", name=name)
