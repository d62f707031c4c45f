"""The language server's plumbing around pygls: cancellation, typed command arguments,
and turning derivlens errors into JSON-RPC errors (docs/protocol.md, "Language server").

Kept apart from the handlers so that those stay a few lines each.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Generator, Iterator
from typing import Any

import attrs
import cattrs
from lsprotocol import types
from pygls.exceptions import JsonRpcException, JsonRpcInvalidParams
from pygls.protocol import LanguageServerProtocol, default_converter, lsp_method

from derivlens import model, taylor_options, wire
from derivlens.errors import DerivlensError, ErrorKind, InvalidOptions
from derivlens.options import NAMES, Source, read_all

#: The JSON-RPC error code of every derivlens failure.
REQUEST_FAILED = int(types.LSPErrorCodes.RequestFailed)
PLOT_COMMAND = "derivlens.plot"
PLOT_USAGE = (
    'derivlens.plot takes one argument, {"uri": ..., "position": {"line", "character"}, ...}'
)


def lsp_error(error: DerivlensError) -> JsonRpcException:
    """A derivlens failure as the JSON-RPC error the client sees: RequestFailed and its kind."""
    data: dict[str, Any] = {"kind": error.kind.value}
    if error.option is not None:
        data["option"] = error.option
    return JsonRpcException(message=error.message, code=REQUEST_FAILED, data=data)


# --- the derivlens.plot argument ----------------------------------------------------------


@attrs.frozen
class PlotArguments:
    """The command's one argument: `model.PlotCommand` and the plot options beside it."""

    command: model.PlotCommand
    options: dict[str, Any]


def structure_plot_arguments(value: Any, _type: Any = None) -> PlotArguments:
    """Read the argument object; anything wrong in it is `invalid-options`."""
    if not isinstance(value, dict):
        raise InvalidOptions(PLOT_USAGE)
    options = read_all({k: v for k, v in value.items() if k in NAMES}, Source.REQUEST)
    rest = {k: v for k, v in value.items() if k not in NAMES}
    taylor_options.from_command(rest.get("taylor"))  # its own messages (Malformed's are not)
    try:
        command = wire.structure(rest, model.PlotCommand)
    except wire.Malformed as problem:
        raise InvalidOptions(f"derivlens.plot: {problem}") from None
    return PlotArguments(command, options)


def converter() -> cattrs.Converter:
    """pygls's converter, plus the hook that reads `derivlens.plot`'s argument."""
    conv = default_converter()
    conv.register_structure_hook(PlotArguments, structure_plot_arguments)
    return conv


class CancelHook(LanguageServerProtocol):
    """pygls's protocol, telling `requests` of each `$/cancelRequest` too.

    pygls runs a command handler under an internal id, so the client's `$/cancelRequest`
    would not reach it: `requests` (a `RequestTracker`) maps the client's ids to tasks.
    pygls has no public hook for it (it answers `$/cancelRequest` itself, before any
    feature registered for it), so this overrides its private
    `_handle_cancel_notification(msg_id)`, the one such override here;
    tests/lsp/test_lsp_support.py fails if pygls stops calling it that way.
    """

    requests: RequestTracker | None = None

    def _handle_cancel_notification(self, msg_id: Any) -> None:
        super()._handle_cancel_notification(msg_id)
        if self.requests is not None:
            self.requests.cancel(msg_id)


class DerivlensProtocol(CancelHook):
    """pygls's protocol, with cancellation reaching commands (`CancelHook`), and command
    arguments that do not convert reported as `invalid-options` (RequestFailed), like
    every other bad option, rather than pygls's bare InvalidParams."""

    @lsp_method(types.WORKSPACE_EXECUTE_COMMAND)
    def lsp_workspace__execute_command(
        self, params: types.ExecuteCommandParams
    ) -> Generator[Any, Any, Any]:
        if params.command == PLOT_COMMAND and params.arguments is None:
            raise lsp_error(InvalidOptions(PLOT_USAGE))
        try:
            return (yield from super().lsp_workspace__execute_command(params))
        except JsonRpcInvalidParams as error:
            cause = error.__context__
            if isinstance(cause, DerivlensError):
                raise lsp_error(cause) from None
            detail = str(cause) if cause is not None else error.message
            raise lsp_error(InvalidOptions(f"{PLOT_USAGE} ({detail})")) from None


# --- cancellation --------------------------------------------------------------------------


class RequestTracker:
    """Which task serves which request, so that cancelling a request stops its task;
    and the hover in flight, which a newer hover makes stale (the cursor moved)."""

    def __init__(self) -> None:
        self._tasks: dict[Any, asyncio.Task[Any]] = {}
        self._hover: asyncio.Task[Any] | None = None

    @contextlib.contextmanager
    def tracking(self, request_id: Any, *, hover: bool = False) -> Iterator[bool]:
        """Track the current task as `request_id`'s; yields whether it superseded a hover."""
        task = asyncio.current_task()
        assert task is not None
        superseded = self._supersede(task) if hover else False
        if request_id is not None:
            self._tasks[request_id] = task
        try:
            yield superseded
        finally:
            if self._tasks.get(request_id) is task:
                del self._tasks[request_id]

    def _supersede(self, task: asyncio.Task[Any]) -> bool:
        previous, self._hover = self._hover, task
        if previous is not None and previous is not task and not previous.done():
            previous.cancel()
            return True
        return False

    def cancel(self, request_id: Any) -> None:
        task = self._tasks.pop(request_id, None)
        if task is not None and not task.done():
            task.cancel()


def setting_hint(error: DerivlensError, *, hover: bool, memory_mb: int) -> DerivlensError:
    """An error with the editor setting that would help, for the kinds a setting fixes."""
    if error.kind is ErrorKind.TIMEOUT:
        setting = "derivlens.hover.timeoutSeconds" if hover else "derivlens.timeoutSeconds"
        return DerivlensError(error.kind, f"{error.message}, or allow more time ({setting})")
    if error.kind is ErrorKind.MEMORY:
        text = f"{error.message}, or raise derivlens.memoryLimitMB (now {memory_mb} MB)"
        return DerivlensError(error.kind, text)
    return error
