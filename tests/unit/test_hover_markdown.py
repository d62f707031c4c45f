"""Hover markdown, in-process: what a user reads, and that nothing from user code can
turn into a link, an image or HTML in the editor."""

from __future__ import annotations

import base64
import re
import string
from typing import Any

import pytest

from derivlens.errors import DerivlensError
from derivlens.lsp.hover import MAX_MARKDOWN, error_markdown, escape, hover_markdown
from derivlens.model import (
    CurvesResult,
    Gradient,
    Image,
    PlotWarning,
    SurfaceResult,
    VectorCurvesResult,
    WarningKind,
)

PNG = base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\0" * 64).decode()
XS = [-1.0, -0.5, 0.0, 0.5, 1.0]


def curves(**changes: Any) -> CurvesResult:
    values: dict[str, Any] = {
        "function": "cube",
        "variables": ("x",),
        "fixed": {"a": 2, "scale": 0.5},
        "domain": (-1.0, 1.0),
        "order": 2,
        "method": "autograd",
        "x": XS,
        "f": [v**3 for v in XS],
        "derivatives": {"1": [3 * v**2 for v in XS], "2": [6 * v for v in XS]},
        "critical_points": [0.0],
        "image": Image("png", PNG, 720, 300, 2.0),
    }
    values.update(changes)
    return CurvesResult(**values)


def test_summary_sparklines_and_image_in_that_order() -> None:
    text = hover_markdown(curves())
    lines = text.splitlines()
    assert lines[0] == "**cube(x)** · autograd · x ∈ [-1, 1] · a = 2, scale = 0.5 · order 2"
    assert re.fullmatch(r"`f  [▁-█]+`  ", lines[2])
    assert re.fullmatch(r"`f′ [▁-█]+`  ", lines[3])
    assert lines[-1] == (
        f"![plot of cube and its derivative](data:image/png;base64,{PNG}|width=360,height=150)"
    )


def test_no_sparkline_for_a_client_that_shows_images() -> None:
    text = hover_markdown(curves(), sparkline_rows=False)
    assert "▁" not in text and "`f" not in text
    assert text.splitlines()[-1].startswith("![plot of cube")


def test_surface_and_vector_summaries() -> None:
    grid = [[0.0, 1.0], [1.0, 2.0]]
    surface = SurfaceResult(
        function="bowl",
        variables=("u", "v"),
        fixed={},
        domain=(-2.0, 2.0),
        ydomain=(0.0, 1.0),
        order=1,
        method="finite-difference",
        x=[0.0, 1.0],
        y=[0.0, 1.0],
        f=grid,
        gradient=Gradient(grid, grid),
        critical_points=[],
    )
    assert hover_markdown(surface).startswith(
        "**bowl(u, v)** · finite-difference · u ∈ [-2, 2] · v ∈ [0, 1]\n"
    )
    vector = VectorCurvesResult(
        function="rot",
        variables=("t",),
        fixed={},
        domain=(0.0, 1.0),
        order=1,
        method="autograd",
        outputs=2,
        x=[0.0, 1.0],
        f=[[0.0, 1.0], [1.0, 0.0]],
        derivatives={"1": [[1.0, 1.0], [-1.0, -1.0]]},
        critical_points=[[], []],
    )
    text = hover_markdown(vector)
    assert text.startswith("**rot(t)** · autograd · t ∈ [0, 1] · 2 outputs · order 1")
    assert "`f1 " in text and "`f2 " in text


@pytest.mark.parametrize(
    "hostile",
    [
        "![x](https://evil.example/track.png)",
        "[click](https://evil.example)",
        "<img src=https://evil.example/a.png>",
        "`code` **bold** _it_ # head",
        "line one\n\n![x](https://evil.example/y.png)",
    ],
)
def test_text_from_user_code_is_escaped(hostile: str) -> None:
    result = curves(
        fixed={hostile: hostile},
        warnings=(PlotWarning(WarningKind.DISAGREEMENT, hostile),),
        image=None,
    )
    text = hover_markdown(result)
    unescaped = re.compile(r"(?<!\\)[\[\]<>`*]")
    for line in text.splitlines()[1:]:
        if hostile.split("\n")[0][:5] in line or "disagreement" in line:
            body = line.split(":* ", 1)[-1]
            assert not unescaped.search(body.replace("\\\\", "")), line
    assert "](https://" not in text and "](" not in text.replace("\\](", "")
    assert not re.search(r"(?<!\\)<img", text)


def test_escape_keeps_the_words() -> None:
    assert escape("a [b](c) <d>") == r"a \[b\](c) \<d\>"
    assert escape("# not a heading") == r"\# not a heading"
    assert escape("x" * 1000, 10) == "x" * 9 + "…"
    assert escape("two\nlines\x1b[0m") == r"two lines \[0m"
    assert escape("see www.evil.example or HTTPS://x.y") == (
        r"see www\.evil\.example or HTTPS\://x\.y"
    )
    assert escape("- item") == r"\- item" and escape("12) item") == r"12\) item"


#: Text a sandboxed child could send, each shaped to become markdown that acts.
HOSTILE = [
    "<http://evil.example/a>",
    "<mailto:a@evil.example>",
    "visit www.evil.example/path today",
    "mail bob@evil.example now",
    "mailto:bob@evil.example or xmpp:bob@evil.example",
    "https://evil.example/x?a=1&b=2",
    "<img src=x onerror=alert(1)>",
    "<a href='https://evil.example'>hi</a>",
    "![x](https://evil.example/track.png)",
    "[click](https://evil.example) [ref]: https://evil.example",
    "`code` **bold** _it_ ~~gone~~",
    "&lt;img&gt; &#x202E; &amp;",
    "right\u202eleft\u2066isolated\u200fmark",
    "line one\n\n![x](https://evil.example/y.png)\n# heading\n> quote\n    code",
    "1. first\n- second\n+ third\n===",
    "a | b |\n|---|---|",
    "$(zap) \\[x\\](y)",
]


def rendered_text(markdown: str) -> str:
    """What a markdown renderer shows of escaped text: each `\\c` is the character c."""
    return re.sub(r"\\(.)", r"\1", markdown)


def acting_markdown(markdown: str) -> list[str]:
    """Places in `markdown` a renderer would act on (a link, autolink, image, HTML, an
    entity, code, emphasis, a block at the line's start): every unescaped ASCII
    punctuation character but the inert ones, and every bidirectional control."""
    bare = re.sub(r"\\.", "", markdown)
    found = [c for c in bare if c in string.punctuation and c not in ",;?'\"%/()=+-"]
    found += [c for c in bare if c in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"]
    found += [line for line in markdown.splitlines() if re.match(r"\s*([-+=]|\d+[.)])", line)]
    return found


@pytest.mark.parametrize("hostile", HOSTILE)
def test_nothing_in_text_from_a_child_acts_as_markdown(hostile: str) -> None:
    escaped = escape(hostile)
    assert "\n" not in escaped
    assert acting_markdown(escaped) == []
    # The words are all still there: only control characters became spaces.
    shown = re.sub(r"[\n\u202e\u2066\u200f]", " ", hostile).strip()
    assert rendered_text(escaped) == shown


@pytest.mark.parametrize("hostile", HOSTILE)
def test_a_hover_with_hostile_texts_has_only_its_own_markdown(hostile: str) -> None:
    result = curves(
        function=hostile,
        fixed={hostile: hostile},
        warnings=(PlotWarning(WarningKind.DISAGREEMENT, hostile),),
        image=None,
    )
    lines = hover_markdown(result).splitlines()
    summary = lines[0]
    name, rest = summary.removeprefix("**").split("(", 1)
    assert acting_markdown(name) == []
    assert acting_markdown(rest.split(" · ")[3].removesuffix("**")) == []
    (warning,) = [line for line in lines if line.startswith("*disagreement:* ")]
    assert acting_markdown(warning.removeprefix("*disagreement:* ").rstrip()) == []
    error = error_markdown(hostile, DerivlensError("user-error", hostile)).splitlines()
    assert acting_markdown(error[2]) == [] and len(error) == 3


def test_an_e_mail_address_in_an_exception_is_no_link() -> None:
    error = DerivlensError("user-error", "ValueError: ask admin@example.org (user.py:3)")
    body = error_markdown("f", error).splitlines()[2]
    assert "@" not in body.replace("\\@", "")
    assert rendered_text(body) == "ValueError: ask admin@example.org (user.py:3)"


def test_an_image_too_large_for_a_hover_is_left_out_with_a_note() -> None:
    big = base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\0" * MAX_MARKDOWN).decode()
    text = hover_markdown(curves(image=Image("png", big, 720, 300, 2.0)))
    assert "data:image" not in text
    assert "plot too large for a hover" in text
    assert len(text) < MAX_MARKDOWN


def test_an_image_that_is_not_base64_never_reaches_the_markdown() -> None:
    with pytest.raises(ValueError):
        hover_markdown(curves(image=Image("png", "AAAA)![x](https://evil.example)", 1, 1, 1.0)))


def test_error_markdown_is_escaped() -> None:
    error = DerivlensError("user-error", "ValueError: [x](https://evil.example) (user.py:3)")
    text = error_markdown("f", error)
    assert text == (
        "**f** · derivlens could not plot it (user-error)\n\n"
        "ValueError\\: \\[x\\](https\\://evil\\.example) (user\\.py\\:3)\n"
    )
