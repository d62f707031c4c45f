"""The derivlens language server (pygls 2): hover previews, code lenses, `derivlens.plot`.

This process never imports torch and never runs user code: it locates and slices with
`engine`, and every evaluation goes to the sandbox's warm worker. Handlers are async
and short; the cache makes a repeated hover instant, and cancellation (the client's
`$/cancelRequest`, or a newer hover superseding an older one) kills the child at work.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
import uuid
from collections import OrderedDict
from typing import Any
from urllib.parse import unquote, urlparse

from lsprotocol import types
from pygls.exceptions import JsonRpcException, JsonRpcInvalidParams
from pygls.lsp.server import LanguageServer
from pygls.protocol import LanguageServerProtocol

from derivlens import __version__, engine
from derivlens.errors import DerivlensError
from derivlens.hover import error_markdown, hover_markdown
from derivlens.locate import FunctionInfo, Module, parse_module
from derivlens.options import OptionError, PlotOptions, check_interval
from derivlens.settings import Settings, parse_settings

PLOT_COMMAND = "derivlens.plot"
REQUEST_FAILED = -32803
CACHE_SIZE = 64
#: A hover that replaces one still in flight (the cursor is moving) waits this long
#: before it reaches the sandbox: if yet another hover replaces it meanwhile, it costs
#: nothing, instead of a fork and a kill in the worker.
HOVER_SETTLE_S = 0.025
log = logging.getLogger("derivlens")


class DerivlensProtocol(LanguageServerProtocol):
    """pygls's protocol, plus cancellation that reaches `executeCommand` handlers.

    pygls runs a command handler under an internal id, so the client's `$/cancelRequest`
    would not stop it; the server keeps its own map of request id -> task instead.
    """

    def _handle_cancel_notification(self, msg_id: Any) -> None:
        super()._handle_cancel_notification(msg_id)
        server = self._server
        if isinstance(server, DerivlensServer):
            server.cancel_request(msg_id)


class DerivlensServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__("derivlens", __version__, protocol_cls=DerivlensProtocol)
        self.settings = Settings()
        #: From initializationOptions: what client settings (which may be partial) go over.
        self.initial_settings = Settings()
        self._evaluator: Any = None
        #: A worker `derivlens serve` started before importing pygls (see `prespawn`).
        self.early_worker: Any = None
        self._cache: OrderedDict[tuple[Any, ...], dict[str, Any]] = OrderedDict()
        self._tasks: dict[Any, asyncio.Task[Any]] = {}
        self._hover_task: asyncio.Task[Any] | None = None
        self._modules: dict[tuple[str, int | None], Module] = {}
        self._background: set[asyncio.Task[Any]] = set()
        #: Set once the client's configuration has been read (or cannot be).
        self.configured = asyncio.Event()

    # --- the sandbox ---------------------------------------------------------------------

    @property
    def evaluator(self) -> Any:
        if self._evaluator is None:
            from derivlens.sandbox import Evaluator

            self._evaluator = Evaluator(
                memory_mb=self.settings.memory_mb, log=self.log, adopt=self.early_worker
            )
            self.early_worker = None
        return self._evaluator

    def log(self, message: str, kind: types.MessageType = types.MessageType.Log) -> None:
        try:
            self.window_log_message(types.LogMessageParams(type=kind, message=message))
        except Exception:  # the transport may be gone while shutting down
            log.info(message)

    def in_background(self, coroutine: Any) -> None:
        task = asyncio.ensure_future(coroutine)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def await_configuration(self) -> None:
        """A request must not race the client's configuration (its options depend on it)."""
        try:
            await asyncio.wait_for(self.configured.wait(), timeout=2.0)
        except TimeoutError:
            self.configured.set()  # a client that never answers: go on with what we have

    async def ensure_worker(self) -> None:
        """Wait for the warm worker, with `window/workDoneProgress` on a cold start."""
        if self.evaluator.ready:
            return
        capabilities = self.client_capabilities.window
        token = None
        if capabilities is not None and capabilities.work_done_progress:
            token = str(uuid.uuid4())
            try:
                await self.work_done_progress.create_async(token)
                self.work_done_progress.begin(
                    token,
                    types.WorkDoneProgressBegin(
                        title="derivlens",
                        message="starting the Python worker (torch, matplotlib)…",
                        cancellable=False,
                    ),
                )
            except Exception:  # a client that refuses progress still gets its result
                token = None
        try:
            await self.evaluator.start()
        finally:
            if token is not None:
                self.work_done_progress.end(token, types.WorkDoneProgressEnd(message="ready"))

    async def evaluate(
        self, prepared: engine.Prepared, timeout: float, settle: float = 0.0
    ) -> dict[str, Any]:
        """The §5 result for `prepared`, from the cache or (after `settle` s) the sandbox."""
        key = (*prepared.cache_key, self.settings.memory_mb)
        cached = self._cache.get(key)
        if cached is not None:
            self._cache.move_to_end(key)
            return dict(cached, elapsed_ms=0.0)
        if settle > 0:
            await asyncio.sleep(settle)
        await self.ensure_worker()
        started = time.perf_counter()
        raw = await self.evaluator.evaluate(
            prepared.request, timeout=timeout, memory_mb=self.settings.memory_mb
        )
        result = engine.finish(prepared, raw, (time.perf_counter() - started) * 1000)
        self._cache[key] = result
        while len(self._cache) > CACHE_SIZE:
            self._cache.popitem(last=False)
        return result

    # --- documents -------------------------------------------------------------------------

    def module_for(self, uri: str) -> tuple[Module, str]:
        """The parsed current text of `uri` (unsaved edits included) and its path."""
        document = self.workspace.get_text_document(uri)
        path = document.path or _uri_path(uri)
        try:
            source = document.source
        except FileNotFoundError:
            raise DerivlensError("not-found", f"{uri} is not open and not on disk") from None
        key = (uri, document.version)
        module = self._modules.get(key)
        if module is None or module.source != source:
            module = parse_module(source, path)
            self._modules = {k: v for k, v in self._modules.items() if k[0] != uri}
            self._modules[key] = module
        return module, path

    def project_root(self, path: str) -> str:
        for folder in self.workspace.folders.values():
            root = _uri_path(folder.uri)
            if path.startswith(root.rstrip(os.sep) + os.sep):
                return root
        return os.path.dirname(path)

    def prepare(
        self,
        module: Module,
        function: FunctionInfo,
        path: str,
        requested: PlotOptions,
        render: engine.Render,
    ) -> engine.Prepared:
        return engine.prepare_function(
            module,
            function,
            path,
            requested=requested,
            settings=self.settings.plot,
            settings_notes=list(self.settings.problems),
            render=render,
            project_root=self.project_root(path),
        )

    # --- cancellation ------------------------------------------------------------------------

    def track(self, task: asyncio.Task[Any]) -> Any:
        request_id = self.protocol.msg_id
        if request_id is not None:
            self._tasks[request_id] = task
        return request_id

    def cancel_request(self, request_id: Any) -> None:
        task = self._tasks.pop(request_id, None)
        if task is not None and not task.done():
            task.cancel()

    def supersede_hover(self, task: asyncio.Task[Any]) -> bool:
        """A new hover makes the previous, still running one stale: stop its child.

        True if there was one (the cursor is moving).
        """
        previous, self._hover_task = self._hover_task, task
        if previous is not None and previous is not task and not previous.done():
            previous.cancel()
            return True
        return False


server = DerivlensServer()


def _uri_path(uri: str) -> str:
    parsed = urlparse(uri)
    return unquote(parsed.path) if parsed.scheme == "file" else uri


# --- lifecycle and settings ----------------------------------------------------------------


@server.feature(types.INITIALIZE)
def on_initialize(ls: DerivlensServer, params: types.InitializeParams) -> None:
    options = params.initialization_options
    if isinstance(options, dict):
        ls.settings = ls.initial_settings = parse_settings(options.get("derivlens", options))


@server.feature(types.INITIALIZED)
async def on_initialized(ls: DerivlensServer, params: types.InitializedParams) -> None:
    # Start the warm worker now, in the background: the first hover should find it ready.
    ls.in_background(_start_worker(ls))
    try:
        await pull_configuration(ls)
    finally:
        ls.configured.set()


async def _start_worker(ls: DerivlensServer) -> None:
    try:
        await ls.evaluator.start()
        ls.log("derivlens: sandbox worker ready")
    except Exception as error:  # reported again on the first evaluation
        ls.log(f"derivlens: the sandbox worker did not start: {error}", types.MessageType.Error)


async def pull_configuration(ls: DerivlensServer) -> None:
    workspace = ls.client_capabilities.workspace
    if workspace is None or not workspace.configuration:
        return
    try:
        values = await ls.workspace_configuration_async(
            types.ConfigurationParams(items=[types.ConfigurationItem(section="derivlens")])
        )
    except Exception as error:
        ls.log(f"derivlens: could not read the configuration: {error}")
        return
    if values and isinstance(values[0], dict):
        apply_settings(ls, values[0])


def apply_settings(ls: DerivlensServer, raw: dict[str, Any]) -> None:
    before = ls.settings
    ls.settings = parse_settings(raw, base=ls.initial_settings)
    for problem in ls.settings.problems:
        ls.log(f"derivlens: {problem}", types.MessageType.Warning)
    if before.code_lens_enabled != ls.settings.code_lens_enabled:
        refresh = ls.client_capabilities.workspace
        if refresh and refresh.code_lens and refresh.code_lens.refresh_support:
            ls.workspace_code_lens_refresh(None)


@server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
async def on_configuration(ls: DerivlensServer, params: types.DidChangeConfigurationParams) -> None:
    settings = params.settings
    if isinstance(settings, dict) and isinstance(settings.get("derivlens"), dict):
        apply_settings(ls, settings["derivlens"])
    else:
        await pull_configuration(ls)


@server.feature(types.SHUTDOWN)
async def on_shutdown(ls: DerivlensServer, params: None) -> None:
    if ls._evaluator is not None:
        await ls._evaluator.close()


# --- hover ---------------------------------------------------------------------------------


@server.feature(types.TEXT_DOCUMENT_HOVER)
async def on_hover(ls: DerivlensServer, params: types.HoverParams) -> types.Hover | None:
    if not ls.settings.hover_enabled:
        return None
    try:
        module, path = ls.module_for(params.text_document.uri)
    except DerivlensError:
        return None  # mid-typing syntax errors: no hover, no noise
    function = module.hover_target(params.position.line + 1)
    if function is None or function.signature.problem:
        return None
    task = asyncio.current_task()
    assert task is not None
    moving = ls.supersede_hover(task)
    request_id = ls.track(task)
    line_range = types.Range(
        start=types.Position(line=params.position.line, character=0),
        end=types.Position(line=params.position.line + 1, character=0),
    )
    try:
        await ls.await_configuration()
        render = engine.Render(format="png", theme=ls.settings.render_theme, size="hover")
        prepared = ls.prepare(module, function, path, PlotOptions(), render)
        settle = HOVER_SETTLE_S if moving else 0.0
        result = await ls.evaluate(prepared, ls.settings.hover_timeout_s, settle)
        text = hover_markdown(result)
    except DerivlensError as error:
        ls.log(f"derivlens: hover on {function.name}: {error.kind}: {error.message}")
        text = error_markdown(function.name, error.kind, error.message)
    except OptionError as error:
        text = error_markdown(function.name, "options", str(error))
    finally:
        ls._tasks.pop(request_id, None)
    return types.Hover(
        contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value=text), range=line_range
    )


# --- code lenses ---------------------------------------------------------------------------


@server.feature(types.TEXT_DOCUMENT_CODE_LENS)
def on_code_lens(ls: DerivlensServer, params: types.CodeLensParams) -> list[types.CodeLens]:
    if not ls.settings.code_lens_enabled:
        return []
    uri = params.text_document.uri
    try:
        module, _ = ls.module_for(uri)
    except DerivlensError:
        return []
    lenses = []
    for function in module.functions:
        if function.signature.problem:
            continue
        line = function.def_line - 1
        position = {"line": line, "character": function.name_col}
        lenses.append(
            types.CodeLens(
                range=types.Range(
                    start=types.Position(line=line, character=function.name_col),
                    end=types.Position(line=line, character=function.name_col),
                ),
                command=types.Command(
                    title="Plot derivative",
                    command=PLOT_COMMAND,
                    arguments=[{"uri": uri, "position": position}],
                ),
            )
        )
    return lenses


# --- the plot command ------------------------------------------------------------------------


@server.command(PLOT_COMMAND)
async def plot_command(ls: DerivlensServer, *arguments: Any) -> dict[str, Any]:
    task = asyncio.current_task()
    assert task is not None
    request_id = ls.track(task)
    try:
        await ls.await_configuration()
        request = _plot_arguments(arguments)
        module, path = ls.module_for(request["uri"])
        position = request["position"]
        function = module.require_at(position["line"] + 1, position["character"])
        theme = request.get("theme") or ls.settings.render_theme
        render = engine.Render(
            format=request.get("format", "png"), theme=theme, size=request.get("size", "panel")
        )
        prepared = ls.prepare(module, function, path, _requested_options(request), render)
        return await ls.evaluate(prepared, ls.settings.timeout_s)
    except DerivlensError as error:
        ls.log(f"derivlens: plot failed: {error.kind}: {error.message}", types.MessageType.Info)
        raise JsonRpcException(error.message, REQUEST_FAILED, {"kind": error.kind}) from None
    except OptionError as error:
        raise JsonRpcInvalidParams(f"derivlens.plot: {error}") from None
    finally:
        ls._tasks.pop(request_id, None)


def _plot_arguments(arguments: tuple[Any, ...]) -> dict[str, Any]:
    if len(arguments) != 1 or not isinstance(arguments[0], dict):
        raise JsonRpcInvalidParams(
            'derivlens.plot takes one argument: {"uri": ..., "position": {"line", "character"}}'
        )
    request = arguments[0]
    position = request.get("position")
    if not isinstance(request.get("uri"), str) or not isinstance(position, dict):
        raise JsonRpcInvalidParams("derivlens.plot needs a string `uri` and a `position` object")
    if not all(
        isinstance(position.get(k), int) and position[k] >= 0 for k in ("line", "character")
    ):
        raise JsonRpcInvalidParams("derivlens.plot: position needs whole `line` and `character`")
    for key, allowed in (
        ("format", ("png", "svg")),
        ("theme", ("light", "dark")),
        ("size", ("hover", "panel")),
    ):
        if key in request and request[key] is not None and request[key] not in allowed:
            raise JsonRpcInvalidParams(f"derivlens.plot: {key} must be one of {', '.join(allowed)}")
    return request


def _requested_options(request: dict[str, Any]) -> PlotOptions:
    values: dict[str, Any] = {}
    for key in ("domain", "ydomain"):
        interval = request.get(key)
        if interval is None:
            continue
        if not (isinstance(interval, list) and len(interval) == 2) or not all(
            isinstance(v, int | float) and not isinstance(v, bool) for v in interval
        ):
            raise OptionError(f"{key} must be [low, high], got {interval!r}")
        values[key] = (float(interval[0]), float(interval[1]))
        check_interval(key, values[key])
    for key in ("order", "samples"):
        value = request.get(key)
        if value is None:
            continue
        if not isinstance(value, int) or isinstance(value, bool):
            raise OptionError(f"{key} must be a whole number, got {value!r}")
        values[key] = value
    return PlotOptions(**values)


class _ExpectedFailures(logging.Filter):
    """pygls logs every error response with a traceback; ours are answers, not bugs."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        return not (isinstance(error, JsonRpcException) and error.code in (REQUEST_FAILED, -32602))


def run_server(tcp: tuple[str, int] | None = None, early_worker: Any = None) -> None:
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("pygls.protocol.json_rpc").addFilter(_ExpectedFailures())
    server.early_worker = early_worker
    if tcp is not None:
        server.start_tcp(*tcp)
    else:
        server.start_io()
