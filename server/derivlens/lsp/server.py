"""The derivlens language server (pygls 2): hover previews, code lenses, `derivlens.plot`.

This process never imports torch and never runs user code: it locates and slices with
`engine`, and every evaluation goes to the sandbox's warm worker. Handlers are a few
lines each; `DerivlensServer` holds the state they share (settings, the result cache,
the sandbox, the requests in flight). docs/protocol.md, "Language server", is the
contract.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from typing import Any

import attrs
from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pygls.lsp.server import LanguageServer

from derivlens import SANDBOX_APP, __version__, engine, judge, project, taylor_options, wire
from derivlens.errors import DerivlensError
from derivlens.formula_jobs import Formulas
from derivlens.locate import FunctionInfo
from derivlens.lsp import sweep as lsp_sweep
from derivlens.lsp.documents import Documents, Source, uri_path
from derivlens.lsp.finished_futures import ForgetsFinishedFutures
from derivlens.lsp.functions import FUNCTIONS_COMMAND, answer
from derivlens.lsp.hover import error_markdown, hover_markdown, markup_for
from derivlens.lsp.protocol_hooks import (
    PLOT_COMMAND,
    REQUEST_FAILED,
    DerivlensProtocol,
    PlotArguments,
    RequestTracker,
    converter,
    lsp_error,
    setting_hint,
)
from derivlens.lsp.result_cache import ResultCache
from derivlens.lsp.settings import Settings, parse_settings
from derivlens.lsp.sweep import SWEEP_COMMAND
from derivlens.model import FormulaTexts, Render, Result
from derivlens.sandbox.outcome import SandboxFailure

#: A hover that replaces one still in flight (the cursor is moving) waits this long
#: before it reaches the sandbox: if yet another hover replaces it meanwhile, it costs
#: nothing, instead of a fork and a kill in the worker.
HOVER_SETTLE_S = 0.025
#: A request that answers what the server keeps: documents, pieces, results, hovers.
MEMORY_REQUEST = "derivlens/memory"
log = logging.getLogger("derivlens")


class ServerProtocol(ForgetsFinishedFutures, DerivlensProtocol):
    """`DerivlensProtocol`, forgetting pygls's finished handler futures (`finished_futures`)."""


class DerivlensServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__(
            "derivlens",
            __version__,
            protocol_cls=ServerProtocol,
            converter_factory=converter,
            # Every cell is synced (no cell filter), markdown too: a client sends only the
            # cells a filter matches, and cell indices must be the notebook's own.
            notebook_document_sync=types.NotebookDocumentSyncOptions(
                notebook_selector=[
                    types.NotebookDocumentFilterWithNotebook(notebook="jupyter-notebook")
                ]
            ),
        )
        self.settings = Settings()
        #: From initializationOptions: what client settings (which may be partial) go over.
        self.initial_settings = Settings()
        #: `clientInfo.name` from initialize (None: the client did not say).
        self.client_name: str | None = None
        self._sandbox: Any = None
        #: A worker `derivlens serve` started before importing pygls (see `prespawn`).
        self.early_worker: Any = None
        self.cache = ResultCache()
        #: Closed forms, each found by a job of its own after the plot (formula_jobs.py).
        self.formulas = Formulas(self.formula)
        self._documents: Documents | None = None
        self._background: set[asyncio.Task[Any]] = set()
        self.requests = RequestTracker()
        assert isinstance(self.protocol, DerivlensProtocol)
        self.protocol.requests = self.requests
        #: Set once the client's configuration has been read (or cannot be).
        self.configured = asyncio.Event()

    # --- the sandbox ---------------------------------------------------------------------

    @property
    def sandbox(self) -> Any:
        if self._sandbox is None:
            from derivlens.sandbox import Sandbox

            self._sandbox = Sandbox(SANDBOX_APP, log=self.log, adopt=self.early_worker)
            self.early_worker = None
        return self._sandbox

    async def close(self) -> None:
        if self._sandbox is not None:
            await self._sandbox.close()

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
        if self.sandbox.ready:
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
            await self.sandbox.start()
        except SandboxFailure as failure:
            raise judge.as_error(failure) from None
        finally:
            if token is not None:
                self.work_done_progress.end(token, types.WorkDoneProgressEnd(message="ready"))

    def cache_key(self, prepared: engine.Prepared) -> tuple[Any, ...]:
        """What a result depends on: the prepared request, and the memory limit."""
        return (*prepared.cache_key, self.settings.memory_mb)

    async def result_for(
        self, prepared: engine.Prepared, uri: str, *, hover: bool, settle: float = 0.0
    ) -> Result:
        """The result for `prepared` (asked for in document `uri`), from the cache or
        (after `settle` s) the sandbox."""
        key = self.cache_key(prepared)
        cached = self.cache.result(key)
        if cached is not None:
            return self.formulas.merged(prepared, attrs.evolve(cached, elapsed_ms=0.0))
        if settle > 0:
            await asyncio.sleep(settle)
        with self.formulas.interactive():
            result = await self.evaluate(prepared, hover=hover)
        self.cache.keep_result(key, uri, result)
        return self.formulas.merged(prepared, result)

    async def evaluate(
        self, prepared: engine.Prepared, *, hover: bool, formula: bool = False
    ) -> Result:
        """One job in the sandbox: its checked result (with the closed form if `formula`)."""
        await self.ensure_worker()
        started = time.perf_counter()
        timeout = self.settings.hover_timeout_s if hover else self.settings.timeout_s
        memory = self.settings.memory_mb
        try:
            outcome = await self.sandbox.run(
                prepared.job(timeout=timeout, memory_mb=memory, formula=formula)
            )
            return judge.finish(prepared, outcome, (time.perf_counter() - started) * 1000)
        except DerivlensError as error:
            raise setting_hint(error, hover=hover, memory_mb=memory) from None

    async def formula(self, prepared: engine.Prepared) -> FormulaTexts | None:
        """The closed form for `prepared`, from a job without an image."""
        bare = attrs.evolve(prepared.alone, render=None, taylor=None)
        return (await self.evaluate(bare, hover=False, formula=True)).formula

    # --- documents -------------------------------------------------------------------------

    @property
    def documents(self) -> Documents:
        if self._documents is None:
            self._documents = Documents(self.workspace)
        return self._documents

    def project_root(self, path: str) -> str | None:
        """The folder an evaluation of `path` may read (None: the file alone)."""
        folders = [uri_path(folder.uri) for folder in self.workspace.folders.values()]
        if self.workspace.root_path:
            folders.append(self.workspace.root_path)
        return project.project_root(path, folders)

    def prepare(
        self,
        source: Source,
        function: FunctionInfo,
        render: Render,
        arguments: PlotArguments | None = None,
    ) -> engine.Prepared:
        source = source.narrowed(function)
        return engine.prepare(
            source.module,
            function,
            source.path,
            requested=arguments.options if arguments else None,
            settings=self.settings.plot,
            params=arguments.command.params if arguments else None,
            render=render,
            project_root=self.project_root(source.path),
            cells=source.cells,
            compare=arguments.command.compare if arguments else None,
        )

    # --- the features ----------------------------------------------------------------------

    def hover_target(self, params: types.HoverParams) -> tuple[Source, FunctionInfo] | None:
        """The function whose def line is hovered, or None (no hover at all)."""
        if not self.settings.hover_enabled:
            return None
        try:
            source = self.documents.source(params.text_document.uri)
        except DerivlensError:
            return None  # mid-typing syntax errors: no hover, no noise
        function = source.module.hover_target(source.text_line(params.position.line))
        if function is None or function.signature.problem or not source.shows(function):
            return None
        return source, function

    async def hover_text(self, source: Source, function: FunctionInfo, settle: float) -> str:
        await self.await_configuration()
        render = Render(format="png", theme=self.settings.render_theme, size="hover")
        markup = markup_for(self.settings.hover_format, self.client_name, source.one_document)
        try:
            prepared = self.prepare(source, function, render)
            known = self.formulas.known(prepared)  # the hover shows it once it is
            key = (*self.cache_key(prepared), markup, self.settings.hover_sparkline, known)
            text = self.cache.hover(key)
            if text is not None:
                return text
            result = await self.result_for(prepared, source.uri, hover=True, settle=settle)
        except DerivlensError as error:
            self.log(f"derivlens: hover on {function.name}: {error.kind.value}: {error.message}")
            return error_markdown(function.name, error)
        markdown = hover_markdown(
            result, sparkline_rows=self.settings.hover_sparkline, markup=markup
        )
        return self.cache.keep_hover(key, source.uri, markdown)

    def code_lenses(self, uri: str) -> list[types.CodeLens]:
        if not self.settings.code_lens_enabled:
            return []
        try:
            source = self.documents.source(uri)
        except DerivlensError:
            return []
        return [
            _lens(uri, source.lsp_line(f.def_line), f.name_col)
            for f in source.module.functions
            if f.hoverable and not f.signature.problem and source.shows(f)
        ]

    async def plot(self, arguments: PlotArguments) -> Result:
        await self.await_configuration()
        command = arguments.command
        source = self.documents.source(command.uri)
        line = source.text_line(command.position.line)
        function = source.module.require_at(line, command.position.character)
        render = Render(
            format=command.format,
            theme=command.theme or self.settings.render_theme,
            size=command.size,
            width=command.width,
            height=command.height,
            scale=command.scale,
        )
        prepared = self.prepare(source, function, render, arguments)
        prepared = attrs.evolve(prepared, taylor=command.taylor)
        taylor_options.check_prepared(prepared, "taylor")
        return await self.result_for(prepared, command.uri, hover=False)

    def forget(self, uri: str, cells: list[str] | None = None) -> None:
        """A document (a notebook with its cells) closed: forget its parse and results."""
        self.documents.forget(uri, cells or ())
        self.cache.forget({uri, *(cells or ())})

    def memory(self) -> dict[str, Any]:
        """How much the server keeps (`derivlens/memory`: for tests and the soak bench)."""
        from derivlens.locate import chunks

        assert isinstance(self.protocol, ServerProtocol)
        return {
            "documents": self.documents.count(),
            "pieces": chunks.cached_pieces(),
            **self.cache.sizes(),
            "pendingFutures": self.protocol.pending_futures(),
        }


server = DerivlensServer()


def _lens(uri: str, line: int, column: int) -> types.CodeLens:
    here = types.Position(line=line, character=column)
    return types.CodeLens(
        range=types.Range(start=here, end=here),
        command=types.Command(
            title="Plot derivative",
            command=PLOT_COMMAND,
            arguments=[{"uri": uri, "position": {"line": line, "character": column}}],
        ),
    )


# --- lifecycle and settings ----------------------------------------------------------------


@server.feature(types.INITIALIZE)
def on_initialize(ls: DerivlensServer, params: types.InitializeParams) -> None:
    ls.client_name = params.client_info.name if params.client_info else None
    options = params.initialization_options
    if isinstance(options, dict):
        ls.settings = ls.initial_settings = parse_settings(options.get("derivlens", options))


@server.feature(types.INITIALIZED)
async def on_initialized(ls: DerivlensServer, params: types.InitializedParams) -> None:
    ls.in_background(_start_worker(ls))  # the first hover should find it ready
    try:
        await pull_configuration(ls)
    finally:
        ls.configured.set()


async def _start_worker(ls: DerivlensServer) -> None:
    try:
        await ls.sandbox.start()
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
    await ls.close()


# --- the features ----------------------------------------------------------------------------


@server.feature(types.TEXT_DOCUMENT_HOVER)
async def on_hover(ls: DerivlensServer, params: types.HoverParams) -> types.Hover | None:
    target = ls.hover_target(params)
    if target is None:
        return None
    with ls.requests.tracking(ls.protocol.msg_id, hover=True) as superseded:
        text = await ls.hover_text(*target, settle=HOVER_SETTLE_S if superseded else 0.0)
    line = params.position.line
    return types.Hover(
        contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value=text),
        range=types.Range(types.Position(line, 0), types.Position(line + 1, 0)),
    )


@server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
def on_close(ls: DerivlensServer, params: types.DidCloseTextDocumentParams) -> None:
    ls.forget(params.text_document.uri)


@server.feature(types.NOTEBOOK_DOCUMENT_DID_CLOSE)
def on_close_notebook(ls: DerivlensServer, params: types.DidCloseNotebookDocumentParams) -> None:
    ls.forget(params.notebook_document.uri, [cell.uri for cell in params.cell_text_documents])


@server.feature(MEMORY_REQUEST)
def on_memory(ls: DerivlensServer, params: Any) -> dict[str, Any]:
    return ls.memory()


@server.feature(types.TEXT_DOCUMENT_CODE_LENS)
def on_code_lens(ls: DerivlensServer, params: types.CodeLensParams) -> list[types.CodeLens]:
    return ls.code_lenses(params.text_document.uri)


@server.command(PLOT_COMMAND)
async def plot_command(ls: DerivlensServer, arguments: PlotArguments) -> dict[str, Any]:
    with ls.requests.tracking(ls.protocol.msg_id):
        try:
            result = await ls.plot(arguments)
        except DerivlensError as error:
            ls.log(f"derivlens: plot failed: {error.kind.value}: {error.message}")
            raise lsp_error(error) from None
    return wire.result_json(result)


@server.command(FUNCTIONS_COMMAND)  # the panel's "Compare with…" names (lsp/functions.py)
def functions_command(ls: DerivlensServer, *arguments: Any) -> list[dict[str, Any]]:
    return answer(ls.documents, arguments)


@server.command(SWEEP_COMMAND)
async def sweep_command(ls: DerivlensServer, arguments: Any = None) -> dict[str, Any]:
    """A slider's sweep (docs/protocol.md, "Slider sweeps"): arrays, no image."""
    with ls.requests.tracking(ls.protocol.msg_id):
        try:
            return wire.unstructure(await lsp_sweep.run(ls, arguments))
        except DerivlensError as error:
            ls.log(f"derivlens: sweep failed: {error.kind.value}: {error.message}")
            raise lsp_error(error) from None


class _ExpectedFailures(logging.Filter):
    """pygls logs every error response with a traceback; ours are answers, not bugs."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        return not (isinstance(error, JsonRpcException) and error.code == REQUEST_FAILED)


def run_server(tcp: tuple[str, int] | None = None, early_worker: Any = None) -> None:
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("pygls.protocol.json_rpc").addFilter(_ExpectedFailures())
    server.early_worker = early_worker
    if tcp is not None:
        server.start_tcp(*tcp)
    else:
        server.start_io()
