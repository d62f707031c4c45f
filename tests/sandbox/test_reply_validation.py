"""A sandboxed child's reply is hostile input: what the parent accepts and what it refuses.

In-process: frames are decoded by `protocol.decode_untrusted`, the sandbox's envelope by
`verdict.from_reply` (a `SandboxFailure` if off), and the application's result by
`judge.finish` against the request it answers. Anything off is kind `crashed` with a short
message, never an exception of another type.
"""

from __future__ import annotations

import base64
import copy
import json
import signal
from pathlib import Path
from typing import Any

import attrs
import pytest

from derivlens import engine, image_size, images, judge
from derivlens.errors import DerivlensError
from derivlens.model import Image, Render
from derivlens.sandbox import Failure, Replied, SandboxFailure, protocol, verdict
from derivlens.sandbox.channel import NoReply, Refusal, Unanswered
from derivlens.sandbox.outcome import Finished, Oversized, TimedOut, WorkerLost

SOURCE = "def f(x, a=2):\n    return a * x\n\ndef g(x, y):\n    return x * y\n"


def prepared(name: str = "f", samples: int = 3, order: int = 1) -> engine.Prepared:
    options = {"samples": samples, "domain": (0.0, 1.0)}
    if name == "f":
        options["order"] = order
    return engine.prepare_source(SOURCE, "/p/user.py", name=name, requested=options)


def curves(**changes: Any) -> dict[str, Any]:
    result = {
        "variables": ["x"],
        "fixed": {"a": 2},
        "domain": [0.0, 1.0],
        "order": 1,
        "method": "autograd",
        "x": [0.0, 0.5, 1.0],
        "f": [0.0, 1.0, 2.0],
        "derivatives": {"1": [2.0, 2.0, 2.0]},
        "critical_points": [],
        "warnings": [],
        "image": None,
    }
    result.update(changes)
    return result


def surface() -> dict[str, Any]:
    row = [0.0, 0.0, 0.0]
    return {
        "variables": ["x", "y"],
        "fixed": {},
        "domain": [0.0, 1.0],
        "ydomain": [0.0, 1.0],
        "order": 1,
        "method": "autograd",
        "x": row,
        "y": row,
        "f": [row] * 3,
        "gradient": {"x": [row] * 3, "y": [row] * 3},
        "critical_points": [[0.0, 0.0]],
    }


def finish(reply: Any, ready: engine.Prepared | None = None) -> Any:
    return judge.finish(ready or prepared(), Replied(reply, ("rlimits",), {}, ""), 1.25)


def test_a_good_reply_is_filled_in_by_what_the_server_knows() -> None:
    result = finish({"result": curves(function="evil", file="/etc/passwd", line=99)})
    assert (result.function, result.file, result.line) == ("f", "/p/user.py", 1)
    assert result.sandbox == ("rlimits",) and result.elapsed_ms == 1.2
    assert result.fixed == {"a": 2} and isinstance(result.fixed["a"], int)


def test_a_good_surface_reply() -> None:
    result = finish({"result": surface()}, prepared("g"))
    assert result.critical_points == [(0.0, 0.0)]


def test_an_error_reply_becomes_that_error() -> None:
    with pytest.raises(DerivlensError) as caught:
        finish({"error": {"kind": "user-error", "message": "ValueError: no (user.py:2)"}})
    assert (caught.value.kind, caught.value.message) == ("user-error", "ValueError: no (user.py:2)")


@pytest.mark.parametrize(
    ("reply", "detail"),
    [
        (None, "neither a result nor an error"),
        ([], "neither a result nor an error"),
        ({"result": {}, "extra": 1}, "neither a result nor an error"),
        ({"result": curves(x=[0.0, "0.5", 1.0])}, 'expected a finite number, got "0.5"'),
        ({"result": curves(x=[0.0, True, 1.0])}, "expected a finite number, got true"),
        ({"result": curves(f=[0.0, 1e999, 2.0])}, "expected a finite number, got Infinity"),
        ({"result": curves(order="1")}, "expected a whole number"),
        ({"result": curves(x={"0": 0.0})}, "expected a list of numbers"),
        ({"result": curves(backdoor=1)}, "backdoor"),
        ({"result": curves(method="magic")}, "magic"),
        ({"result": curves(warnings=[{"kind": "nope", "message": "m"}])}, "nope"),
        ({"result": curves(x=[0.0, 1.0])}, "x does not span the requested 3 samples"),
        ({"result": curves(domain=[0.0, 2.0])}, "x does not span"),
        ({"result": curves(derivatives={"1": [1.0] * 3, "2": [0.0] * 3})}, "orders 1 to 1"),
        ({"result": curves(f=[0.0, 1.0])}, "a series of the wrong length"),
        ({"result": surface()}, "the wrong number of variables"),
        ({"error": {"kind": "pwned", "message": "m"}}, "pwned"),
        ({"error": {"kind": "user-error", "message": 3}}, "expected text"),
        ({"result": curves(image={"format": "png", "data": 5, "width": 1, "height": 1})}, "text"),
    ],
)
def test_a_malformed_reply_is_crashed_saying_what(reply: Any, detail: str) -> None:
    with pytest.raises(DerivlensError) as caught:
        finish(reply)
    assert caught.value.kind == "crashed", caught.value
    assert "the evaluation of f sent back a malformed" in caught.value.message
    assert detail in caught.value.message, caught.value.message


def test_a_surface_with_a_ragged_row_is_refused() -> None:
    bad = copy.deepcopy(surface())
    bad["gradient"]["y"][1] = [0.0]
    with pytest.raises(DerivlensError) as caught:
        finish({"result": bad}, prepared("g"))
    assert "the grid is not 3×3" in caught.value.message


def test_long_text_from_the_child_is_capped() -> None:
    warning = {"kind": "non-finite", "message": "x" * 12_000_000}
    result = finish({"result": curves(warnings=[warning])})
    assert len(result.warnings[0].message) == 2000


def frame(envelope: Any) -> bytes:
    return json.dumps(envelope).encode()


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        (b"[" * 200_000 + b"]" * 200_000, "brackets"),
        (b'{"reply": ' + b"[" * 20 + b"]" * 20 + b"}", "nested 21 deep"),
        (b'{"reply": {"result": NaN}}', "NaN is not a JSON number"),
        (b'{"reply": -Infinity}', "Infinity is not a JSON number"),
        (b'{"reply": {"result": {"x": [Infinity]}}}', "Infinity is not a JSON number"),
        (b'{"reply": {}', "malformed JSON"),
        (b"\xff\xfe", "malformed JSON"),
        (b"", "malformed JSON"),
        (b"1" * 5000, "malformed JSON"),
        (frame([1, 2]), "not an object"),
        (frame({"output": ""}), "a field is missing @ $.reply"),
        (frame({"reply": {}, "output": ["x"]}), 'expected text, got ["x"] @ $.output'),
        # the layers are the status frame's: a reply claiming some is not a reply
        (frame({"reply": {}, "layers": ["seccomp"]}), "unknown fields layers"),
        (frame({"reply": {}, "notes": {}, "refused": {}}), "unknown fields notes, refused"),
    ],
)
def test_a_bad_reply_frame_is_crashed(body: bytes, detail: str) -> None:
    with pytest.raises(SandboxFailure) as caught:
        verdict.from_reply(body, "f")
    assert caught.value.reason is Failure.CRASHED
    assert detail in caught.value.message, caught.value.message


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        (frame({"layers": ["seccomp", "root-shell"]}), "unknown list of sandbox"),
        (frame({"layers": "seccomp"}), 'expected a list, got "seccomp" @ $.layers'),
        (frame({"layers": [], "notes": {"a": 1}}), "expected text, got 1 @ $.notes"),
        (frame({"layers": [], "refused": ["rlimits"]}), 'expected an object, got ["rlimits"]'),
        (frame({"layers": [], "reply": {}}), "unknown fields reply"),
        (b'{"layers": [' + b"[" * 30 + b"]" * 30 + b"]}", "nested 32 deep"),
    ],
)
def test_a_bad_status_frame_is_crashed(body: bytes, detail: str) -> None:
    with pytest.raises(SandboxFailure) as caught:
        verdict.status(body, "f")
    assert caught.value.reason is Failure.CRASHED
    assert detail in caught.value.message, caught.value.message


def test_deep_nesting_is_refused_without_recursion() -> None:
    """200,000 nested brackets would overflow a recursive parser: counted, not parsed."""
    body = b'{"reply": ' + b"[" * 9_000 + b"]" * 9_000 + b"}"
    with pytest.raises(SandboxFailure) as caught:
        verdict.from_reply(body, "f")
    assert "nested 9001 deep" in caught.value.message
    assert protocol.nesting_depth(b'["]]]]", {"a": "[["}]') == 2


def test_brackets_inside_text_do_not_count_as_nesting() -> None:
    body = frame({"reply": {"error": {"kind": "user-error", "message": "[" * 5000 + '\\"'}}})
    assert protocol.nesting_depth(body) == 3
    outcome = verdict.from_reply(body, "f")
    assert outcome.reply["error"]["message"].startswith("[[[")


def test_layers_come_from_the_status_frame_and_text_is_capped_and_clean() -> None:
    status = verdict.status(
        frame(
            {
                "layers": ["rlimits", "seccomp", "rlimits"],
                "notes": {
                    "landlock": "\x1b[31mred" + "n" * 10**6,
                    **{f"k{i}": "" for i in range(99)},
                },
            }
        ),
        "f",
    )
    outcome = verdict.from_reply(frame({"reply": {}, "output": "a\x07" * 10**6}), "f", status)
    assert outcome.layers == ("rlimits", "seccomp")
    assert outcome.notes["landlock"].startswith("�[31mred") and len(outcome.notes) == 16
    assert len(outcome.notes["landlock"]) == verdict.MAX_NOTE
    assert len(outcome.output) == verdict.MAX_OUTPUT and "\x07" not in outcome.output


# --- images: a PNG of the stated size, an SVG with nothing active in it -------------------


def png(width: int, height: int, *, tail: bytes = b"") -> bytes:
    """A real (tiny, grey) PNG of `width`×`height`."""
    import struct
    import zlib

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    rows = b"".join(b"\x00" + b"\x80" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        images.PNG_SIGNATURE
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
        + tail
    )


def svg(body: str = "", *, size: str = 'width="40px" height="20px"', head: str = "") -> bytes:
    return (
        f'{head}<svg xmlns="http://www.w3.org/2000/svg" '
        f'xmlns:xlink="http://www.w3.org/1999/xlink" {size} viewBox="0 0 40 20">'
        f"{body}</svg>"
    ).encode()


def with_image(raw: bytes, fmt: str = "png", **changes: Any) -> dict[str, Any]:
    image = {"format": fmt, "data": base64.b64encode(raw).decode(), "width": 40,
             "height": 20, "scale": 1.0, "axes": []}  # fmt: skip
    image.update(changes)
    return curves(image=image)


def drawn(fmt: str = "png") -> engine.Prepared:
    return attrs.evolve(prepared(), render=Render(format=fmt, size="panel"))


def test_a_real_png_and_a_plain_svg_are_accepted() -> None:
    assert isinstance(finish({"result": with_image(png(40, 20))}, drawn()).image, Image)
    embedded = base64.b64encode(png(4, 4)).decode()  # a real PNG, as svg_check requires
    plain = svg('<defs><style type="text/css">*{stroke-linejoin: round}</style>'
                '<clipPath id="c"><rect width="4" height="4"/></clipPath>'
                '<path id="m" d="M0 0"/></defs>'
                '<g clip-path="url(#c)"><use xlink:href="#m"/>'
                f'<image xlink:href="data:image/png;base64,\n {embedded}"/></g>')  # fmt: skip
    assert finish({"result": with_image(plain, "svg")}, drawn("svg")).image is not None


@pytest.mark.parametrize(
    ("data", "fmt", "detail"),
    [
        (png(41, 20), "png", "a PNG of 41×20 pixels said to be 40×20"),
        (b"GIF89a" + png(40, 20)[6:], "png", "without the PNG signature"),
        (png(40, 20)[:-20], "png", "cut short"),
        (png(40, 20, tail=b"<script>"), "png", "data after its end"),
        (png(40, 20).replace(b"IDAT", b"IDAX"), "png", "damaged chunk"),
        (svg("<script>alert(1)</script>"), "svg", "SVG <script> element"),
        (
            svg('<foreignObject><div xmlns="http://www.w3.org/1999/xhtml"/></foreignObject>'),
            "svg",
            "SVG <foreignObject> element",
        ),
        (svg('<rect onload="alert(1)"/>'), "svg", "event handler attribute 'onload'"),
        (svg('<image xlink:href="https://example.com/x.png"/>'), "svg", "a reference to"),
        (svg('<use href="file:///etc/passwd#x"/>'), "svg", "a reference to"),
        (svg('<image xlink:href="data:image/svg+xml;base64,PHN2Zz4="/>'), "svg", "reference"),
        (svg('<a xlink:href="#x"><rect/></a>'), "svg", "SVG <a> element"),
        (svg('<set attributeName="href" to="javascript:alert(1)"/>'), "svg", "SVG <set>"),
        (svg('<rect fill="url(https://example.com/p)"/>'), "svg", "a style reference"),
        (svg('<rect style="fill: url(//example.com/p)"/>'), "svg", "a style reference"),
        (svg("<style>@import 'https://example.com/s.css';</style>"), "svg", "active style"),
        (svg(r"<style>rect{fill:u\72l(https://example.com/p)}</style>"), "svg", "active style"),
        (svg('<rect xml:base="https://example.com/"/>'), "svg", "another namespace"),
        (
            svg(head='<?xml-stylesheet href="https://example.com/s.css"?>'),
            "svg",
            "processing instruction",
        ),
        (svg("&lol;", head='<!DOCTYPE svg [<!ENTITY lol "lol">]>'), "svg", "document type"),
        (svg("&lol;"), "svg", "does not parse"),
        (svg(size='width="41px" height="20px"'), "svg", "said to be 40×20"),
        (b'<html xmlns="http://www.w3.org/1999/xhtml"/>', "svg", "outside SVG"),
        ("<svg/>".encode("utf-16"), "svg", "not UTF-8"),
        (b"<svg", "svg", "does not parse"),
    ],
)
def test_an_image_that_is_not_what_it_says_is_crashed(data: bytes, fmt: str, detail: str) -> None:
    with pytest.raises(DerivlensError) as caught:
        finish({"result": with_image(data, fmt)}, drawn(fmt))
    assert caught.value.kind == "crashed"
    assert "sent back a malformed result" in caught.value.message
    assert detail in caught.value.message, caught.value.message


@pytest.mark.parametrize(
    ("reply", "detail"),
    [
        (with_image(png(40, 20)), "an image that was not asked for"),
        (with_image(png(40, 20), "svg"), "an image that was not asked for"),
    ],
)
def test_an_image_that_was_not_asked_for_is_crashed(reply: Any, detail: str) -> None:
    with pytest.raises(DerivlensError) as caught:
        finish({"result": reply})
    assert detail in caught.value.message


@pytest.mark.parametrize(
    ("changes", "detail"),
    [
        ({"format": "svg"}, "not the PNG image asked for"),
        ({"width": 0}, "an image of 0×20 pixels"),
        ({"width": 10**6, "height": 10**6}, "an image of 1000000×1000000"),
        ({"scale": 0.0}, "at scale 0"),
        ({"scale": 1e9}, "at scale 1e+09"),
        ({"data": "not base64!"}, "not base64"),
        (
            {"axes": [{"name": "f", "box": [0, 0, 1, 1], "xlim": [0, 1], "ylim": [0, 1]}] * 17},
            "17 plot areas",
        ),
    ],
)
def test_an_image_with_impossible_properties_is_crashed(changes: Any, detail: str) -> None:
    with pytest.raises(DerivlensError) as caught:
        finish({"result": with_image(png(40, 20), **changes)}, drawn())
    assert detail in caught.value.message, caught.value.message


def test_an_image_file_cannot_come_from_the_child() -> None:
    """Only the CLI writes files: a child claiming it wrote one is not believed."""
    image = {"format": "png", "path": "/etc/passwd", "width": 40, "height": 20}
    with pytest.raises(DerivlensError) as caught:
        finish({"result": curves(image=image)}, drawn())
    assert "not the PNG image asked for" in caught.value.message


# --- counts and text ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reply", "detail"),
    [
        (curves(warnings=[{"kind": "non-finite", "message": "m"}] * 65), "65 warnings"),
        (curves(fixed={"a": 2, "x y": 1}), "held parameters that are not parameter names"),
        (curves(fixed={"a" * 201: 1}), "held parameters that are not parameter names"),
        (curves(fixed={f"p{i}": i for i in range(300)}), "held parameters"),
        (curves(critical_points=[0.5] * 4), "4 critical points"),
    ],
)
def test_counts_past_any_real_plot_are_crashed(reply: Any, detail: str) -> None:
    with pytest.raises(DerivlensError) as caught:
        finish({"result": reply})
    assert detail in caught.value.message, caught.value.message


def test_text_from_the_child_loses_its_control_characters() -> None:
    """A terminal would act on ESC and C1 codes, an editor on bidi overrides."""
    evil = "\x1b]52;c;cHduZWQ=\x07 \u202eright-to-left\x9b31m ok\nnext"
    result = finish({"result": curves(warnings=[{"kind": "non-finite", "message": evil}],
                                      fixed={"a": evil})})  # fmt: skip
    for text in (result.warnings[0].message, result.fixed["a"]):
        assert not set(text) & {"\x1b", "\x07", "\u202e", "\x9b"}, text
        assert " ok" in text
    assert "\n" in result.warnings[0].message  # newlines and tabs stay
    with pytest.raises(DerivlensError) as caught:
        finish({"error": {"kind": "user-error", "message": evil, "option": "o" * 10_000}})
    assert "\x1b" not in caught.value.message and len(caught.value.option or "") == 200


# --- an image no larger than the request asked for -----------------------------------


def sized(fmt: str = "png", **render: Any) -> engine.Prepared:
    return attrs.evolve(prepared(), render=Render(format=fmt, **render))


@pytest.mark.parametrize(
    ("render", "width", "height", "asked"),
    [
        # the hover's box is 360×150 CSS px at scale 2 (docs/protocol.md, "Sizes")
        ({"size": "hover"}, 721, 300, "720×300"),
        ({"size": "hover"}, 720, 301, "720×300"),
        ({"size": "hover"}, 4000, 3000, "720×300"),
        # a panel's own box: width × scale, height × scale
        ({"size": "panel", "width": 500, "height": 300, "scale": 1.5}, 751, 450, "750×450"),
        # a box below the smallest is clamped up to 240×150, not past it
        ({"size": "panel", "width": 100, "height": 100, "scale": 1}, 241, 150, "240×150"),
    ],
)
def test_a_png_larger_than_asked_for_is_crashed(
    render: dict[str, Any], width: int, height: int, asked: str
) -> None:
    """A forged PNG, sound chunk by chunk and of the size it states, but not what the
    request's size makes (a hover that would fill the editor)."""
    reply = with_image(png(width, height), width=width, height=height)
    with pytest.raises(DerivlensError) as caught:
        finish({"result": reply}, sized(**render))
    assert caught.value.kind == "crashed"
    assert f"an image of {width}×{height} pixels where {asked} were asked for" in str(caught.value)


def test_an_svg_larger_than_asked_for_is_crashed() -> None:
    big = svg(size='width="501px" height="300px"')
    reply = with_image(big, "svg", width=501, height=300)
    with pytest.raises(DerivlensError) as caught:
        finish({"result": reply}, sized("svg", size="panel", width=500, height=300))
    assert "an image of 501×300 pixels where 500×300 were asked for" in caught.value.message


@pytest.mark.parametrize(
    ("fmt", "render", "width", "height"),
    [
        ("png", {"size": "hover"}, 720, 300),
        ("png", {"size": "panel", "width": 500, "height": 300, "scale": 1.5}, 750, 450),
        ("svg", {"size": "panel", "width": 500, "height": 300, "scale": 3}, 500, 300),
    ],
)
def test_an_image_of_the_size_asked_for_is_accepted(
    fmt: str, render: dict[str, Any], width: int, height: int
) -> None:
    size = f'width="{width}px" height="{height}px"'
    data = png(width, height) if fmt == "png" else svg(size=size)
    result = finish(
        {"result": with_image(data, fmt, width=width, height=height)}, sized(fmt, **render)
    )
    assert isinstance(result.image, Image) and (result.image.width, result.image.height) == (
        width,
        height,
    )


def test_the_runner_draws_exactly_the_size_the_check_allows(tmp_path: Path) -> None:
    """The renderer and the check read one rule (`image_size`): real images pass it."""
    from tests.helpers import evaluate_source

    for render, size in (
        (Render(size="hover"), (720, 300)),
        (Render(size="panel", width=500, height=300, scale=1.5), (750, 450)),
        (Render(format="svg", size="panel", width=300, height=200), (300, 200)),
    ):
        result = evaluate_source(tmp_path, "def f(x):\n    return x * x\n", "f", render=render)
        assert (result["image"]["width"], result["image"]["height"]) == size
        assert image_size.pixels(render)[:2] == size


# --- what the sandbox saw, and its failures, as derivlens's errors ---------------------


@pytest.mark.parametrize(
    ("reason", "kind"),
    [
        (Failure.TIMED_OUT, "timeout"),
        (Failure.FORBIDDEN, "blocked"),
        (Failure.KILLED, "memory"),
        (Failure.CRASHED, "crashed"),
        (Failure.NOT_STARTED, "internal"),
    ],
)
def test_each_sandbox_failure_is_an_error_of_its_kind(reason: Failure, kind: str) -> None:
    with pytest.raises(DerivlensError) as caught:
        judge.finish(prepared(), SandboxFailure(reason, "why, in words"), 0.0)
    assert (caught.value.kind, caught.value.message) == (kind, "why, in words")


def test_every_sandbox_failure_has_a_kind() -> None:
    for reason in Failure:
        assert judge.as_error(SandboxFailure(reason, "m")).kind


def replied(reply: Any, layers: tuple[str, ...] = ("seccomp",), **seen: Any) -> Replied:
    return Replied(reply, layers, {}, "", **seen)


def unanswered(why: NoReply, detail: str, **seen: Any) -> Replied:
    """A child that sent no result, saying why (`Replied.unanswered`)."""
    return replied(None, unanswered=Unanswered(why, detail), **seen)


def error(kind: str, message: str) -> dict[str, Any]:
    return {"error": {"kind": kind, "message": message}}


SOCKET = Refusal("open a socket", "user.py:3: socket.socket()")


@pytest.mark.parametrize(
    ("outcome", "kind", "message"),
    [
        (
            replied(error("user-error", "PermissionError: no"), refusal=SOCKET),
            "blocked",
            "f tried to open a socket (user.py:3: socket.socket()). Plotted functions run in",
        ),
        (
            unanswered(NoReply.EXITED, "SystemExit", refusal=SOCKET),
            "blocked",
            "f tried to open a socket",
        ),
        (
            unanswered(NoReply.EXITED, "SystemExit"),
            "user-error",
            "f tried to exit the process (SystemExit); return a value",
        ),
        (unanswered(NoReply.RAISED, "RuntimeError: boom"), "internal", "RuntimeError: boom"),
        (
            unanswered(NoReply.NOT_JSON, "bad object"),
            "internal",
            "the result is not JSON: bad object",
        ),
        (
            unanswered(NoReply.TOO_LARGE, "17 MB"),
            "crashed",
            "the result is too large to send back (17 MB)",
        ),
        (
            replied(error("user-error", "OSError: [Errno 13] Permission denied: '/x'")),
            "blocked",
            "f tried to write a file outside its private temporary folder, or read one "
            "outside Python and your project",
        ),
        (
            replied(error("user-error", "OSError: [Errno 13] Permission denied: '/x'"), ()),
            "user-error",
            "OSError: [Errno 13] Permission denied: '/x'",
        ),
        (
            replied(error("syntax", "Permission denied in a message")),
            "syntax",
            "Permission denied in a message",
        ),
    ],
)
def test_what_the_sandbox_saw_explains_the_error(outcome: Replied, kind: str, message: str) -> None:
    with pytest.raises(DerivlensError) as caught:
        judge.finish(prepared(), outcome, 0.0)
    assert caught.value.kind == kind
    assert message in caught.value.message, caught.value.message


def test_a_refusal_the_code_got_over_leaves_its_result() -> None:
    """The sandbox refused a socket, the code caught the error and went on: a result."""
    result = judge.finish(prepared(), replied({"result": curves()}, refusal=SOCKET), 0.0)
    assert result.f == [0.0, 1.0, 2.0]


@pytest.mark.parametrize(
    ("ending", "kind", "detail"),
    [
        (TimedOut(), "timeout", "did not finish within 2 s"),
        (Oversized("a reply of 40 MB"), "crashed", "sent back a reply of 40 MB, over the"),
        (WorkerLost("the evaluation worker is gone"), "crashed", "worker is gone while"),
        (Finished((), False, None, signal.SIGSYS), "blocked", "a system call the sandbox"),
        (Finished((), False, None, signal.SIGXCPU), "timeout", "used up its CPU time"),
        (Finished((), False, None, signal.SIGKILL), "memory", "killed (SIGKILL)"),
        (Finished((), False, None, signal.SIGSEGV), "crashed", "crashed (SIGSEGV)"),
        (Finished((), False, 3, None), "crashed", "exited (status 3)"),
        (Finished((frame({"layers": []}),), False, 0, None), "crashed", "status 0"),
        (
            Finished((frame({"layers": []}), frame({"reply": {}})), True, 0, None),
            "crashed",
            "more than one reply",
        ),
        (
            Finished((frame({"layers": []}), frame({"reply": {}})), False, 0, None),
            "crashed",
            "could not apply its rlimits layer",
        ),
    ],
)
def test_how_a_job_ended_is_the_error_a_user_sees(ending: Any, kind: str, detail: str) -> None:
    """From the worker's account (or the deadline) to the error: `verdict`, then `judge`."""
    required = ("rlimits",) if "rlimits" in detail else ()
    with pytest.raises(SandboxFailure) as failed:
        verdict.outcome(ending, required, "f", 2.0)
    error = judge.as_error(failed.value)
    assert error.kind == kind
    assert detail in error.message, error.message


@pytest.mark.parametrize(
    "outcome",
    [
        replied(error("user-error", "x"), refusal=Refusal("open \u202ea socket", "u.py:3 \x1b]0;")),
        unanswered(NoReply.RAISED, "Error: \u202eevil\u2066 \x9b31m"),
        unanswered(NoReply.EXITED, "SystemExit\u202e\x1b"),
    ],
)
def test_the_sandbox_s_words_from_the_child_lose_their_control_characters(
    outcome: Replied,
) -> None:
    """What the sandbox saw comes back through the untrusted reply frame: its text is
    cleaned like the rest of the reply (bidi overrides included, or a log line reorders)."""
    with pytest.raises(DerivlensError) as caught:
        judge.finish(prepared(), outcome, 0.0)
    assert not set(caught.value.message) & {"\u202e", "\u2066", "\x1b", "\x9b"}
