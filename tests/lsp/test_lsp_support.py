"""The server's plumbing around pygls and lsprotocol: what it takes from them beyond
their public API is pinned here by behaviour, so a new release that breaks it fails."""

from __future__ import annotations

import os
from typing import Any

import pytest
from lsprotocol import types
from pygls import IS_WIN

from derivlens.errors import DerivlensError
from derivlens.lsp.documents import uri_path
from derivlens.lsp.protocol_hooks import DerivlensProtocol, lsp_error
from derivlens.lsp.server import DerivlensServer


class Recorder:
    """A `RequestTracker` that notes what it is asked to cancel."""

    def __init__(self) -> None:
        self.cancelled: list[Any] = []

    def cancel(self, request_id: Any) -> None:
        self.cancelled.append(request_id)


def test_a_cancel_request_reaches_the_tracker_with_the_clients_id() -> None:
    """`CancelHook` overrides pygls's private `_handle_cancel_notification(msg_id)`: a
    `$/cancelRequest` from the client must arrive there, with the id the client used."""
    server = DerivlensServer()
    protocol = server.protocol
    assert isinstance(protocol, DerivlensProtocol)
    recorder = Recorder()
    protocol.requests = recorder  # type: ignore[assignment]
    for request_id in (7, "hover-3"):
        message = protocol.structure_message(
            {"jsonrpc": "2.0", "method": types.CANCEL_REQUEST, "params": {"id": request_id}}
        )
        protocol.handle_message(message)
    assert recorder.cancelled == [7, "hover-3"]


def test_failures_carry_lsps_request_failed_code() -> None:
    error = lsp_error(DerivlensError("timeout", "f took too long"))
    assert error.code == types.LSPErrorCodes.RequestFailed == -32803
    assert error.data == {"kind": "timeout"}


def native(path: str) -> str:
    """`path` with the separators of the platform the server runs on."""
    return path.replace("/", "\\") if IS_WIN else path


@pytest.mark.parametrize(
    ("uri", "path"),
    [
        ("file:///home/me/My%20Project/f.py", "/home/me/My Project/f.py"),
        ("file:///home/me/caf%C3%A9/%23notes.ipynb", "/home/me/café/#notes.ipynb"),
        # VS Code on Windows: the drive's colon escaped, its letter in either case.
        ("file:///c%3A/Users/me/My%20Project/f.py", "c:/Users/me/My Project/f.py"),
        ("file:///C:/Users/me/f.py", "c:/Users/me/f.py"),
        ("file://server/share/f.py", "//server/share/f.py"),  # a UNC share
    ],
)
def test_file_uris_become_paths(uri: str, path: str) -> None:
    assert uri_path(uri) == native(path)


def test_other_uris_stay_as_they_are() -> None:
    """An unsaved document has no path: its URI names its module."""
    assert uri_path("untitled:Untitled-1") == "untitled:Untitled-1"
    assert os.path.basename(uri_path("untitled:Untitled-1")) == "untitled:Untitled-1"
