"""The language server end to end over stdio, driven by pytest-lsp as an editor would.

Every test talks to a real `python -m derivlens serve` whose evaluations run in the real
sandbox worker. Read-only checks share one server (`shared`, module-scoped: a server and
its warm worker take ~3 s to start); tests about start-up, progress and settings get a
fresh one each.
"""

from __future__ import annotations

import asyncio
import base64
import io
import math
import os
import re
import subprocess
import sys
import textwrap
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
import pytest_lsp
from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pytest_lsp import LanguageClient, client_capabilities

from tests.lsp_session import SERVER, start

pytestmark = pytest.mark.asyncio(loop_scope="module")

BLOCKS = "▁▂▃▄▅▆▇█"
#: The shared server's client settings (read through workspace/configuration).
SHARED_DOMAIN = [-3.0, 3.0]
COMMAND_TIMEOUT_S = (
    5.0  # long enough that a cancelled command is cancelled, not timed out, under load
)
WORKER_PID = re.compile(r"started worker pid (\d+)")


# --- helpers ---------------------------------------------------------------------------------


def source(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


def open_document(client: LanguageClient, path: Path, text: str, *, save: bool = True) -> str:
    """didOpen `text` as `path` (written to disk too unless `save=False`); its uri."""
    if save:
        path.write_text(text)
    uri = path.as_uri()
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri=uri, language_id="python", version=1, text=text
            )
        )
    )
    return uri


def hover_params(uri: str, line: int, character: int = 4) -> types.HoverParams:
    return types.HoverParams(
        text_document=types.TextDocumentIdentifier(uri=uri),
        position=types.Position(line=line, character=character),
    )


async def hover(client: LanguageClient, uri: str, line: int, character: int = 4) -> Any:
    return await client.text_document_hover_async(hover_params(uri, line, character))


async def lenses(client: LanguageClient, uri: str) -> list[types.CodeLens]:
    found = await client.text_document_code_lens_async(
        types.CodeLensParams(text_document=types.TextDocumentIdentifier(uri=uri))
    )
    return list(found or [])


async def plot(client: LanguageClient, *arguments: Any) -> dict[str, Any]:
    result = await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command="derivlens.plot", arguments=list(arguments))
    )
    assert isinstance(result, dict), result
    return result


def at(uri: str, line: int, character: int = 4, **options: Any) -> dict[str, Any]:
    return {"uri": uri, "position": {"line": line, "character": character}, **options}


async def worker_pid(client: LanguageClient) -> int:
    """The sandbox worker's pid, from the server's `window/logMessage` at its start."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        messages = [x.message for x in client.log_messages]
        pids = [int(m.group(1)) for message in messages if (m := WORKER_PID.search(message))]
        if pids:
            return pids[-1]
        await asyncio.sleep(0.05)
    raise AssertionError("the server never logged its worker's pid")


def proc_stat(pid: int) -> tuple[str, int, int] | None:
    """(state, ppid, utime+stime ticks) of `pid`, or None once it is gone."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    fields = raw[raw.rindex(")") + 2 :].split()
    return fields[0], int(fields[1]), int(fields[11]) + int(fields[12])


def descendants(pid: int) -> dict[int, tuple[str, int, int]]:
    """Every live process below `pid`, with its stat."""
    table = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit() and (stat := proc_stat(int(entry))) is not None:
            table[int(entry)] = stat
    found: dict[int, tuple[str, int, int]] = {}
    frontier = [pid]
    while frontier:
        parent = frontier.pop()
        for child, stat in table.items():
            if stat[1] == parent and child not in found:
                found[child] = stat
                frontier.append(child)
    return found


def runs_a_job(pid: int) -> bool:
    """Has `pid` taken a job? Spares are forked ahead without their seccomp filter, which a
    child loads only once its job has come (docs/protocol.md, "Sandbox")."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return False
    return any(line.split() == ["Seccomp:", "2"] for line in status.splitlines())


async def busy_child(worker: int) -> int:
    """The pid of the worker's descendant that runs the evaluation and burns CPU.

    On a loaded machine the child gets a small share of a core: what tells it is that it
    has taken a job and that its CPU time keeps growing, not how fast."""
    deadline = time.monotonic() + 20
    first: dict[int, int] = {}
    while time.monotonic() < deadline:
        await asyncio.sleep(0.1)
        for pid, (_state, _ppid, ticks) in descendants(worker).items():
            if not runs_a_job(pid):
                continue
            if ticks - first.setdefault(pid, ticks) >= 5:  # 50 ms of CPU since first seen
                return pid
    raise AssertionError("no child of the worker ever ran the evaluation")


async def assert_child_gone(worker: int, busy: int) -> None:
    """`busy` is gone, nothing under the worker runs, at most the idle spares are left.

    The worker reaps its children as their SIGCHLD arrives and a finished child exits at
    idle priority, so on a loaded machine a zombie or an exiting child can stay a moment:
    what must hold is that they all go, and that none of them keeps running user code.
    """
    deadline = time.monotonic() + 3
    while proc_stat(busy) is not None and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    assert proc_stat(busy) is None, f"child {busy} is still there: {proc_stat(busy)}"
    deadline = time.monotonic() + 15
    while True:
        before = descendants(worker)
        await asyncio.sleep(0.5)
        after = descendants(worker)
        running = {
            pid: stat for pid, stat in after.items() if stat[2] - before.get(pid, stat)[2] >= 10
        }
        zombies = {pid: stat for pid, stat in after.items() if stat[0] == "Z"}
        if not running and not zombies and len(after) <= 2:
            return  # at most the idle spares the worker keeps forked ahead
        assert time.monotonic() < deadline, f"left under the worker: {after}, running {running}"


def decode_hover_image(markdown: str) -> tuple[bytes, int, int]:
    """The PNG bytes of the hover's data-URI image and the display size it asks for."""
    match = re.search(
        r"!\[[^\]]*\]\(data:image/png;base64,([A-Za-z0-9+/=]+)\|width=(\d+),height=(\d+)\)",
        markdown,
    )
    assert match, f"no PNG data URI in the hover: {markdown[:300]!r}"
    return base64.b64decode(match.group(1), validate=True), int(match.group(2)), int(match.group(3))


def spark_row(markdown: str, label: str) -> str:
    """The block characters of the sparkline labelled `label` (`f` or `f′`)."""
    match = re.search(rf"^`{re.escape(label)}\s*([{BLOCKS} ]+)`", markdown, re.MULTILINE)
    assert match, f"no {label} sparkline in {markdown[-400:]!r}"
    return match.group(1).strip()


def max_error(actual: list[Any], expected: list[float]) -> float:
    assert len(actual) == len(expected)
    assert all(isinstance(v, float | int) for v in actual), "nulls in a smooth function"
    return max(abs(a - e) for a, e in zip(actual, expected, strict=True))


def assert_grid(result: dict[str, Any], domain: list[float], samples: int) -> list[float]:
    xs = result["x"]
    assert result["domain"] == domain
    assert len(xs) == samples
    assert xs[0] == pytest.approx(domain[0]) and xs[-1] == pytest.approx(domain[1])
    step = (domain[1] - domain[0]) / (samples - 1)
    assert max_error(xs, [domain[0] + i * step for i in range(samples)]) < 1e-12
    return xs


async def expect_error(awaitable: Any) -> JsonRpcException:
    with pytest.raises(JsonRpcException) as caught:
        await awaitable
    return caught.value


# --- servers -----------------------------------------------------------------------------------


@pytest_lsp.fixture(config=SERVER, scope="module")
async def shared(lsp_client: LanguageClient, workdir: Path) -> AsyncIterator[None]:
    settings = {
        "derivlens": {
            "domain": SHARED_DOMAIN,
            "timeoutSeconds": COMMAND_TIMEOUT_S,
            # long enough that the cancellation test, not a timeout, stops the child
            "hover": {"timeoutSeconds": 30},
        }
    }
    await start(lsp_client, workdir, "lsp", settings)
    yield
    await lsp_client.shutdown_session()


@pytest_lsp.fixture(config=SERVER, loop_scope="module")
async def fresh(lsp_client: LanguageClient, tmp_path: Path) -> AsyncIterator[None]:
    """A server of its own, initialised with settings only through initializationOptions."""
    await lsp_client.initialize_session(
        types.InitializeParams(
            capabilities=client_capabilities("visual-studio-code"),
            root_uri=tmp_path.as_uri(),
            initialization_options={"derivlens": {"domain": [-2, 3]}},
        )
    )
    yield
    await lsp_client.shutdown_session()


CUBIC = source(
    """
    import torch

    def cube(x):
        return x ** 3

    # derivlens: domain=-2..2
    def wave(x):
        return torch.sin(x)
    """
)


# --- hover -------------------------------------------------------------------------------------


async def test_hover_shows_png_sparkline_and_summary(shared: LanguageClient, workdir: Path):
    uri = open_document(shared, workdir / "hover_png.py", CUBIC)
    result = await hover(shared, uri, 2)  # `def cube(x):`
    assert result is not None
    markdown = result.contents.value
    assert result.contents.kind == types.MarkupKind.Markdown
    assert len(markdown) < 90_000

    summary = markdown.splitlines()[0]
    assert summary.startswith("**cube(x)**") and "autograd" in summary
    assert "x ∈ [-3, 3]" in summary  # the workspace/configuration domain

    png, width, height = decode_hover_image(markdown)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    from PIL import Image

    image = Image.open(io.BytesIO(png))
    image.load()
    assert image.format == "PNG"
    # hover-sized: it fits a VS Code hover (360×180 CSS px) with the summary line above it
    assert (width, height) == (360, 150)
    scale = image.size[0] // width
    assert scale >= 1 and image.size == (width * scale, height * scale)
    colors = image.convert("RGB").getcolors(maxcolors=1 << 20)
    assert colors is not None and len(colors) > 20, "the image is blank"

    # x³ rises across the domain; 3x² is high at both ends and lowest in the middle.
    f_row, d_row = spark_row(markdown, "f"), spark_row(markdown, "f′")
    assert f_row[0] == "▁" and f_row[-1] == "█"
    assert [BLOCKS.index(c) for c in f_row] == sorted(BLOCKS.index(c) for c in f_row)
    assert d_row[0] == "█" and d_row[-1] == "█" and "▁" in d_row[len(d_row) // 3 : -len(d_row) // 3]


async def test_hover_on_the_name_and_nowhere_else(shared: LanguageClient, workdir: Path):
    uri = open_document(shared, workdir / "hover_null.py", CUBIC)
    on_name = await hover(shared, uri, 2, 5)
    assert on_name is not None and "**cube(x)**" in on_name.contents.value
    assert await hover(shared, uri, 3) is None  # the body line
    assert await hover(shared, uri, 0) is None  # `import torch`
    assert await hover(shared, uri, 1, 0) is None  # a blank line


async def test_repeated_hover_comes_from_the_cache(shared: LanguageClient, workdir: Path):
    uri = open_document(shared, workdir / "hover_cache.py", CUBIC.replace("** 3", "** 3 + 1"))
    first = await hover(shared, uri, 2)
    started = time.perf_counter()
    again = await hover(shared, uri, 2)
    assert (time.perf_counter() - started) < 0.05
    assert again.contents.value == first.contents.value


# --- code lenses -----------------------------------------------------------------------------

LENS_FILE = source(
    """
    import torch

    def one(x):
        def nested(y):
            return y
        return nested(x) ** 2

    square = lambda x: x * x

    class Shapes:
        @staticmethod
        def bump(x, width=1.0):
            return torch.exp(-x * x / width)

        def method(self, x):
            return x

    def surface(x, y):
        return x * y

    def too_many(a, b, c):
        return a + b + c

    value = one(2.0)
    """
)


async def test_code_lenses_for_every_eligible_function(shared: LanguageClient, workdir: Path):
    uri = open_document(shared, workdir / "lenses.py", LENS_FILE)
    found = await lenses(shared, uri)
    lines = LENS_FILE.splitlines()
    expected = {
        lines.index("def one(x):"),
        lines.index("square = lambda x: x * x"),
        lines.index("    def bump(x, width=1.0):"),
        lines.index("def surface(x, y):"),
    }
    assert {lens.range.start.line for lens in found} == expected
    assert len(found) == len(expected)
    for lens in found:
        assert lens.command is not None
        assert lens.command.title == "Plot derivative"
        assert lens.command.command == "derivlens.plot"
        (argument,) = lens.command.arguments
        assert argument["uri"] == uri
        assert argument["position"]["line"] == lens.range.start.line
        assert set(argument["position"]) == {"line", "character"}

    # Each lens's command plots the function it sits above.
    by_line = {lens.range.start.line: lens for lens in found}
    bump = await plot(
        shared, *by_line[lines.index("    def bump(x, width=1.0):")].command.arguments
    )
    assert bump["function"] == "Shapes.bump" and bump["fixed"] == {"width": 1.0}
    expected_f = [math.exp(-x * x) for x in bump["x"]]
    assert max_error(bump["f"], expected_f) < 1e-12
    square = await plot(shared, *by_line[lines.index("square = lambda x: x * x")].command.arguments)
    assert square["function"] == "square"
    assert max_error(square["derivatives"]["1"], [2 * x for x in square["x"]]) < 1e-9


# --- the plot command ------------------------------------------------------------------------


MODULES = source(
    """
    import torch
    from torch import nn

    EPS = 1e-6
    logger = print


    class Swish(nn.Module):
        def __init__(self, beta=1.0):
            super().__init__()
            self.beta = beta

        def forward(self, x):
            return x * torch.sigmoid(self.beta * x)

        def helper(self, x):
            return x


    act = nn.Tanh()
    """
)


async def test_module_forward_and_callables_hover_lens_and_plot(
    shared: LanguageClient, workdir: Path
):
    uri = open_document(shared, workdir / "modules.py", MODULES)
    lines = MODULES.splitlines()
    class_line, forward_line = (
        lines.index("class Swish(nn.Module):"),
        lines.index("    def forward(self, x):"),
    )
    act_line = lines.index("act = nn.Tanh()")
    lens_lines = {lens.range.start.line for lens in await lenses(shared, uri)}
    assert lens_lines == {forward_line, act_line}  # no lens on EPS, logger or helper
    for line in (class_line, forward_line):
        hovered = await hover(shared, uri, line, 8)
        assert hovered is not None
        assert hovered.contents.value.startswith("**Swish\\.forward(x)** · autograd")
        assert "Swish(beta) = 1" in hovered.contents.value.splitlines()[0]
    assert await hover(shared, uri, lines.index("EPS = 1e-6"), 1) is None
    result = await plot(shared, at(uri, forward_line + 1, samples=11, domain=[-1, 1]))
    xs = assert_grid(result, [-1.0, 1.0], 11)
    sig = [1 / (1 + math.exp(-x)) for x in xs]
    expected = [s + x * s * (1 - s) for x, s in zip(xs, sig, strict=True)]
    assert max_error(result["derivatives"]["1"], expected) < 1e-9
    tanh = await plot(shared, at(uri, act_line, 0, samples=11, domain=[-1, 1]))
    assert tanh["function"] == "act" and tanh["variables"] == ["input"]
    assert max_error(tanh["derivatives"]["1"], [1 - math.tanh(x) ** 2 for x in xs]) < 1e-9
    swish2 = await plot(
        shared, at(uri, forward_line, samples=11, domain=[-1, 1], params={"Swish(beta)": 2})
    )
    assert swish2["fixed"] == {"Swish(beta)": 2}
    error = await expect_error(plot(shared, at(uri, lines.index("    def helper(self, x):"))))
    assert error.data == {"kind": "not-found"}
    assert "derivlens plots the forward of an nn.Module (Swish.forward)" in error.message


async def test_plot_numbers_match_analytic_derivatives(shared: LanguageClient, workdir: Path):
    uri = open_document(shared, workdir / "numbers.py", CUBIC)
    result = await plot(shared, at(uri, 2, order=3, samples=101))
    assert result["function"] == "cube" and result["method"] == "autograd"
    xs = assert_grid(result, SHARED_DOMAIN, 101)
    assert max_error(result["f"], [x**3 for x in xs]) < 1e-9
    assert max_error(result["derivatives"]["1"], [3 * x**2 for x in xs]) < 1e-9
    assert max_error(result["derivatives"]["2"], [6 * x for x in xs]) < 1e-9
    assert max_error(result["derivatives"]["3"], [6.0 for _ in xs]) < 1e-9
    image = result["image"]
    assert image["format"] == "png"
    assert base64.b64decode(image["data"]).startswith(b"\x89PNG\r\n\x1a\n")
    assert result["sandbox"] and all(isinstance(layer, str) for layer in result["sandbox"])


async def test_directive_beats_settings_and_request_beats_directive(
    shared: LanguageClient, workdir: Path
):
    uri = open_document(shared, workdir / "directive.py", CUBIC)
    wave = CUBIC.splitlines().index("def wave(x):")
    from_directive = await plot(shared, at(uri, wave, samples=41))
    xs = assert_grid(from_directive, [-2.0, 2.0], 41)  # not the settings' [-3, 3]
    assert max_error(from_directive["derivatives"]["1"], [math.cos(x) for x in xs]) < 1e-9
    hovered = await hover(shared, uri, wave)
    assert "x ∈ [-2, 2]" in hovered.contents.value
    from_request = await plot(shared, at(uri, wave, domain=[0, 1], samples=11))
    assert_grid(from_request, [0.0, 1.0], 11)


async def test_unsaved_edit_is_what_gets_evaluated(shared: LanguageClient, workdir: Path):
    path = workdir / "unsaved.py"
    text = source(
        """
        def g(x):
            return x ** 2
        """
    )
    uri = open_document(shared, path, text)
    before = await plot(shared, at(uri, 0, samples=21))
    assert max_error(before["derivatives"]["1"], [2 * x for x in before["x"]]) < 1e-9

    # Type `** 2` -> `** 4 - x` in the editor (an incremental change), without saving.
    line = text.splitlines()[1]
    start = line.index("2")
    shared.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=2),
            content_changes=[
                types.TextDocumentContentChangePartial(
                    range=types.Range(
                        start=types.Position(line=1, character=start),
                        end=types.Position(line=1, character=start + 1),
                    ),
                    text="4 - x",
                )
            ],
        )
    )
    after = await plot(shared, at(uri, 0, samples=21))
    assert path.read_text() == text  # the disk still has x ** 2
    assert max_error(after["f"], [x**4 - x for x in after["x"]]) < 1e-9
    assert max_error(after["derivatives"]["1"], [4 * x**3 - 1 for x in after["x"]]) < 1e-9
    hovered = await hover(shared, uri, 0)
    assert "**g(x)**" in hovered.contents.value


async def test_infinite_loop_times_out_and_the_next_request_works(
    shared: LanguageClient, workdir: Path
):
    uri = open_document(
        shared,
        workdir / "spin.py",
        source(
            """
            def spin(x):
                while True:
                    pass
                return x

            def fine(x):
                return 5 * x
            """
        ),
    )
    started = time.perf_counter()
    error = await expect_error(plot(shared, at(uri, 0)))
    elapsed = time.perf_counter() - started
    assert error.code == -32803
    assert error.data == {"kind": "timeout"}
    assert "spin" in error.message
    assert elapsed < COMMAND_TIMEOUT_S + 1.0, f"timed out after {elapsed:.2f} s"

    result = await plot(shared, at(uri, 5, samples=11))
    assert max_error(result["derivatives"]["1"], [5.0] * 11) < 1e-12


@pytest.mark.parametrize(
    ("name", "body"),
    [
        ("shell", 'os.system("touch {marker}")'),
        ("write", 'open("{marker}", "w").write("pwned")'),
    ],
)
async def test_hostile_function_is_blocked(
    shared: LanguageClient, workdir: Path, name: str, body: str
):
    marker = workdir / f"pwned-{name}"
    text = f"import os\n\ndef evil(x):\n    {body.format(marker=marker)}\n    return x\n"
    uri = open_document(shared, workdir / f"hostile_{name}.py", text)
    error = await expect_error(plot(shared, at(uri, 2)))
    assert error.code == -32803
    assert error.data == {"kind": "blocked"}, error.message
    assert not marker.exists()
    hovered = await hover(shared, uri, 2)
    assert "blocked" in hovered.contents.value
    assert not marker.exists()


async def test_malformed_command_arguments_get_an_error_response(
    shared: LanguageClient, workdir: Path
):
    uri = open_document(shared, workdir / "malformed.py", CUBIC)
    bad_calls: list[list[Any]] = [
        [],
        ["file:///nowhere.py"],
        [{"uri": 3, "position": {"line": 0, "character": 0}}],
        [{"uri": uri}],
        [{"uri": uri, "position": {"line": -1, "character": 0}}],
        [at(uri, 2, domain="wide")],
        [at(uri, 2, domain=[1, 0])],
        [at(uri, 2, order="two")],
        [at(uri, 2, format="gif")],
        [at(uri, 2), at(uri, 2)],
    ]
    for arguments in bad_calls:
        error = await expect_error(
            shared.workspace_execute_command_async(
                types.ExecuteCommandParams(command="derivlens.plot", arguments=arguments)
            )
        )
        assert error.code == -32803, (arguments, error)
        assert error.data["kind"] == "invalid-options", (arguments, error)
        assert error.message
    not_a_function = await expect_error(plot(shared, at(uri, 0)))  # `import torch`
    assert not_a_function.code == -32803 and not_a_function.data == {"kind": "not-found"}
    missing = await expect_error(plot(shared, at((workdir / "absent.py").as_uri(), 0)))
    assert missing.code == -32803 and missing.data["kind"] == "not-found"
    # still alive and answering
    result = await plot(shared, at(uri, 2, samples=5))
    assert result["function"] == "cube"


async def test_syntax_error_mid_typing_gives_no_hover_and_no_lenses(
    shared: LanguageClient, workdir: Path
):
    uri = open_document(shared, workdir / "typing.py", CUBIC)
    assert len(await lenses(shared, uri)) == 2
    broken = CUBIC.replace("return x ** 3", "return x ** (")
    shared.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=2),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=broken)],
        )
    )
    assert await hover(shared, uri, 2) is None
    assert await lenses(shared, uri) == []
    error = await expect_error(plot(shared, at(uri, 2)))
    assert error.code == -32803 and error.data == {"kind": "syntax"}
    shared.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=3),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=CUBIC)],
        )
    )
    fixed = await hover(shared, uri, 2)
    assert fixed is not None and "**cube(x)**" in fixed.contents.value


#: A function that never returns.
BUSY = "def busy(x):\n    while True:\n        x = x + 1\n    return x\n"
#: What each kind of request sends for the function at line 0 of `uri`.
CANCELLABLE: dict[str, tuple[str, Callable[[str], Any]]] = {
    "hover": (types.TEXT_DOCUMENT_HOVER, lambda uri: hover_params(uri, 0)),
    "command": (
        types.WORKSPACE_EXECUTE_COMMAND,
        lambda uri: types.ExecuteCommandParams(command="derivlens.plot", arguments=[at(uri, 0)]),
    ),
}


@pytest.mark.parametrize("kind", sorted(CANCELLABLE))
async def test_a_cancelled_request_kills_its_child(
    shared: LanguageClient, workdir: Path, kind: str
):
    """The client's cancel reaches the child of a hover and of a command (which pygls runs
    under an id of its own); the worker lives on."""
    uri = open_document(shared, workdir / f"cancel_{kind}.py", BUSY)
    worker = await worker_pid(shared)
    method, params = CANCELLABLE[kind]
    request_id = f"cancel-{kind}"
    pending = asyncio.ensure_future(
        shared.protocol.send_request_async(method, params(uri), msg_id=request_id)
    )
    busy = await busy_child(worker)
    started = time.monotonic()
    shared.protocol.notify(types.CANCEL_REQUEST, types.CancelParams(id=request_id))
    cancelled = await expect_error(asyncio.wait_for(pending, 5))
    assert cancelled.code == -32800, cancelled  # RequestCancelled
    await assert_child_gone(worker, busy)
    # well before the command timeout would have killed it
    assert time.monotonic() - started < COMMAND_TIMEOUT_S

    # The worker survived the cancellation and evaluates the next request.
    cube = open_document(shared, workdir / f"after_cancel_{kind}.py", CUBIC)
    assert (await hover(shared, cube, 2)) is not None
    assert await worker_pid(shared) == worker


async def test_burst_of_hovers_drops_the_stale_ones(shared: LanguageClient, workdir: Path):
    """The cursor moves over ten functions, a hover every 20 ms: only the last one counts."""
    text = "\n".join(f"def f{k}(x):\n    return x ** 2 + {k} * x\n" for k in range(10))
    uri = open_document(shared, workdir / "burst.py", text)
    started = time.perf_counter()
    pending = []
    for k in range(10):
        pending.append(
            asyncio.ensure_future(shared.text_document_hover_async(hover_params(uri, 3 * k)))
        )
        await asyncio.sleep(0.02)
    outcomes = await asyncio.gather(*pending, return_exceptions=True)
    elapsed = time.perf_counter() - started
    last = outcomes[-1]
    assert isinstance(last, types.Hover), last
    assert last.contents.value.startswith("**f9(x)**")
    stale = outcomes[:-1]
    cancelled = [o for o in stale if isinstance(o, JsonRpcException) and o.code == -32800]
    answered = [o for o in stale if isinstance(o, types.Hover)]
    assert len(cancelled) + len(answered) == len(stale), stale
    assert len(answered) <= 3, "stale hovers were evaluated instead of dropped"
    assert elapsed < 3.0


async def test_server_process_never_loads_torch(shared: LanguageClient, workdir: Path):
    uri = open_document(shared, workdir / "no_torch.py", CUBIC)
    assert await hover(shared, uri, 2) is not None  # it has evaluated something by now
    server = shared._server
    assert server is not None
    maps = Path(f"/proc/{server.pid}/maps").read_text()
    assert "libtorch" not in maps and "/torch/" not in maps
    worker_maps = Path(f"/proc/{await worker_pid(shared)}/maps").read_text()
    assert "libtorch" in worker_maps  # the check above would notice torch

    probe = (
        "import sys, derivlens.lsp.server, derivlens.sandbox, derivlens.cli;"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('torch', 'matplotlib')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.strip() == "[]"


# --- start-up and settings (a server each) ---------------------------------------------------


async def test_cold_start_reports_progress(fresh: LanguageClient, tmp_path: Path):
    uri = open_document(fresh, tmp_path / "cold.py", CUBIC)
    result = await hover(fresh, uri, 2)  # right after `initialized`: the worker is warming up
    assert result is not None and "**cube(x)**" in result.contents.value
    reports = [r for r in fresh.progress_reports.values() if r]
    assert reports, "no window/workDoneProgress on a cold start"
    (report,) = reports
    assert isinstance(report[0], types.WorkDoneProgressBegin)
    assert "derivlens" in report[0].title
    assert isinstance(report[-1], types.WorkDoneProgressEnd)
    # warm now: the next evaluation reports no progress
    await plot(fresh, at(uri, 2, samples=11))
    assert [r for r in fresh.progress_reports.values() if r] == reports


async def test_settings_from_initialization_options_and_did_change_configuration(
    fresh: LanguageClient, tmp_path: Path
):
    uri = open_document(fresh, tmp_path / "settings.py", CUBIC)
    initial = await plot(fresh, at(uri, 2, samples=11))
    assert_grid(initial, [-2.0, 3.0], 11)
    assert "x ∈ [-2, 3]" in (await hover(fresh, uri, 2)).contents.value

    fresh.workspace_did_change_configuration(
        types.DidChangeConfigurationParams(
            settings={"derivlens": {"domain": [-0.5, 0.5], "samples": 21}}
        )
    )
    changed = await plot(fresh, at(uri, 2))
    xs = assert_grid(changed, [-0.5, 0.5], 21)
    assert max_error(changed["derivatives"]["1"], [3 * x**2 for x in xs]) < 1e-9
    assert "x ∈ [-0.5, 0.5]" in (await hover(fresh, uri, 2)).contents.value
    wave = CUBIC.splitlines().index("def wave(x):")
    assert (await plot(fresh, at(uri, wave)))["domain"] == [-2.0, 2.0]  # the directive


async def test_did_change_configuration_without_settings_pulls_them(
    fresh: LanguageClient, tmp_path: Path
):
    uri = open_document(fresh, tmp_path / "pull.py", CUBIC)
    # a partial configuration goes over the initializationOptions' domain [-2, 3]
    fresh.set_configuration({"derivlens": {"samples": 11}})
    fresh.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings=None))
    deadline = time.monotonic() + 5
    while True:  # the pull is a round trip of its own
        result = await plot(fresh, at(uri, 2))
        if len(result["x"]) == 11 or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.1)
    assert_grid(result, [-2.0, 3.0], 11)
    fresh.set_configuration({"derivlens": {"domain": [1, 4]}})
    fresh.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings=None))
    deadline = time.monotonic() + 5
    while True:
        result = await plot(fresh, at(uri, 2))
        if result["domain"] == [1.0, 4.0] or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.1)
    assert_grid(result, [1.0, 4.0], 401)  # samples back to the default
