"""SVG and PNG replies are held to what derivlens draws, by allow-list (`images.problem`).

Every kind of plot derivlens draws, as an SVG, passes the check, and the allow-list is
exactly what those plots use (no entry that no plot needs). Forged SVGs that would make
a viewer fetch something (CSS `image-set()`, `image()`, `src()`, escapes, entity tricks,
outside `href`s, `@font-face`) or decode a bomb are refused with a reason, and so are
PNGs, as replies or embedded, whose pixel data is not the size their header says.
"""

from __future__ import annotations

import base64
import itertools
import json
import struct
import subprocess
import sys
import warnings
import zlib
from collections import defaultdict
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest

from derivlens import images, model
from derivlens.plotting import RenderedImage, render
from tests.unit.test_plotting import (
    BOWL,
    BUSY,
    CUBIC,
    FAR,
    QUARTIC,
    WAVE,
    WAVES,
    curves,
)

NULLS = curves([lambda x: 1 / x, lambda x: -1 / x**2], domain=(-1.0, 1.0), samples=11)
ODD_TEXT = curves(
    [lambda x: x, lambda x: 1 + 0 * x], name="f<&>'\"]]>x", fixed={"a<b": 1, "s": "x&y;"}
)
UNICODE_TEXT = curves(
    [lambda x: x, lambda x: 1 + 0 * x], name="函数λ_😀", fixed={"β": 2.5, "s": "naïve ∂ \u202ertl"}
)
#: Every kind of plot: curves up to order 4, busy, far from 0, with gaps and odd text;
#: vector outputs; surfaces with contours, gradient arrows and a critical point.
RESULTS: dict[str, model.Result] = {
    "cubic": CUBIC, "quartic": QUARTIC, "busy": BUSY, "far": FAR, "nulls": NULLS,
    "odd-text": ODD_TEXT, "unicode-text": UNICODE_TEXT, "vector": WAVES, "bowl": BOWL, "wave": WAVE,
}  # fmt: skip
#: Boxes that change the layout: the compact style, the largest image, a surface's
#: partials under it, a wide strip.
BOXES = {"compact": (240, 150), "largest": (4000, 3000), "tall": (300, 900), "wide": (1200, 200)}
CASES: dict[str, dict[str, Any]] = {
    **{
        f"{name}-{theme}-{size}": {"result": name, "theme": theme, "size": size}
        for name, theme, size in itertools.product(RESULTS, ("light", "dark"), ("hover", "panel"))
    },
    **{
        f"{name}-{box}": {"result": name, "size": "panel", "theme": "dark", "box": BOXES[box]}
        for name, box in itertools.product(("cubic", "vector", "bowl"), BOXES)
    },
}


@pytest.fixture(scope="module")
def drawn() -> dict[str, RenderedImage]:
    """Each case drawn as an SVG, as the runner draws it."""
    out = {}
    with warnings.catch_warnings():  # the default font lacks some of UNICODE_TEXT's glyphs
        warnings.filterwarnings("ignore", message="Glyph .* missing")
        for case, how in CASES.items():
            width, height = how.get("box", (None, None))
            spec = model.Render(
                format="svg", theme=how["theme"], size=how["size"], width=width, height=height
            )
            out[case] = render(RESULTS[how["result"]], spec)
    return out


def as_reply(image: RenderedImage) -> model.Image:
    data = base64.b64encode(image.data).decode()
    return model.Image(image.format, data, image.width, image.height, image.scale, image.axes)


@pytest.mark.parametrize("case", CASES)
def test_every_kind_of_plot_passes_as_an_svg_reply(
    drawn: dict[str, RenderedImage], case: str
) -> None:
    assert images.problem(as_reply(drawn[case])) is None


def test_the_allow_list_is_exactly_what_the_plots_use(drawn: dict[str, RenderedImage]) -> None:
    """No element, attribute or CSS property is allowed that no plot draws with."""
    from derivlens import svg_check

    attributes: dict[str, set[str]] = defaultdict(set)
    properties: set[str] = set()
    children: dict[str, set[str]] = defaultdict(set)
    targets: dict[str, set[str]] = defaultdict(set)
    for image in drawn.values():
        root = ElementTree.fromstring(image.data)
        ids = {e.get("id"): e.tag.rpartition("}")[2] for e in root.iter() if e.get("id")}
        for element in root.iter():
            tag = element.tag.rpartition("}")[2]
            children[tag].update(child.tag.rpartition("}")[2] for child in element)
            if tag == "use":
                targets["use"].add(ids[element.get(f"{{{svg_check.XLINK}}}href", "")[1:]])
            if "clip-path" in element.attrib:
                targets["clip-path"].add(ids[element.get("clip-path", "")[5:-1]])
            attributes[tag].update(
                "xlink:href" if name == f"{{{svg_check.XLINK}}}href" else name
                for name in element.attrib
            )
            declarations = element.text.strip("*{}") if tag == "style" else element.get("style")
            for declaration in (declarations or "").split(";"):
                properties.add(declaration.partition(":")[0].strip())
    assert dict(attributes) == {k: set(v) for k, v in svg_check.ELEMENTS.items()}
    assert properties - {""} == set(svg_check.CSS)
    assert {k: v for k, v in children.items() if v} == {
        k: set(v) for k, v in svg_check.CHILDREN.items()
    }
    assert dict(targets) == {k: {v} for k, v in svg_check.TARGETS.items()}


# --- forged SVGs ---------------------------------------------------------------------------


def svg(body: str, *, head: str = "") -> bytes:
    return (
        f'{head}<svg xmlns="http://www.w3.org/2000/svg" '
        'xmlns:xlink="http://www.w3.org/1999/xlink" width="40px" height="20px" '
        f'viewBox="0 0 40 20">{body}</svg>'
    ).encode()


def png(
    width: int, height: int, *, depth: int = 8, pixels: bytes | None = None, chunks: bytes = b""
) -> bytes:
    """A grey PNG of `width`×`height` whose pixel data is `pixels` (default: the right size)."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + body))
        return struct.pack(">I", len(body)) + kind + body + crc

    if pixels is None:
        pixels = (b"\x00" + b"\x80" * ((width * depth + 7) // 8)) * height
    header = struct.pack(">IIBBBBB", width, height, depth, 0, 0, 0, 0)
    return (
        images.PNG_SIGNATURE
        + chunk(b"IHDR", header)
        + chunks
        + chunk(b"IDAT", zlib.compress(pixels, 9))
        + chunk(b"IEND", b"")
    )


def embedded(data: bytes, *, attributes: str = 'width="4" height="4"') -> str:
    """`data` as the image of a group, as matplotlib embeds one."""
    encoded = base64.b64encode(data).decode()
    return f'<g><image {attributes} xlink:href="data:image/png;base64,\n{encoded}"/></g>'


def refusal(data: bytes, fmt: str = "svg") -> str | None:
    return images.problem(model.Image(fmt, base64.b64encode(data).decode(), 40, 20))


FETCHES = "https://example.com/p.png"
FORGED = {
    # CSS that fetches without url(): image-set, image, src, vendor prefixes
    "image-set": (svg(f"<path d=\"M0 0\" style=\"fill: image-set('{FETCHES}' 1x)\"/>"),
                  "a style declaration"),
    "webkit-image-set": (svg(f'<path d="M0 0" style="fill: -webkit-image-set(\'{FETCHES}\' 1x)"/>'),
                         "a style declaration"),
    "image()": (svg(f'<path d="M0 0" style="fill: image(\'{FETCHES}\')"/>'), "a style declaration"),
    "src()": (svg(f'<path d="M0 0" style="fill: src(\'{FETCHES}\')"/>'), "a style declaration"),
    "unknown property": (svg('<path d="M0 0" style="cursor: auto"/>'), "a style declaration"),
    "sheet image-set": (svg(f"<style>*{{fill: image-set('{FETCHES}' 1x)}}</style>"),
                        "active style sheet content"),
    "sheet selector": (svg("<style>path:hover{fill: #000000}</style>"), "active style sheet"),
    "font-face": (svg(f"<style>@font-face{{font-family: x; src: url({FETCHES})}}</style>"),
                  "active style sheet content"),
    "cdata import": (svg(f"<style><![CDATA[@import '{FETCHES}';]]></style>"), "active style"),
    # escapes and entities that spell url( anew
    "css escape in sheet": (svg(rf"<style>*{{fill: u\72l({FETCHES})}}</style>"), "active style"),
    "css escape inline": (svg(rf'<path d="M0 0" style="fill: u\72l({FETCHES})"/>'),
                          "a style declaration"),
    "character reference": (svg(f'<path d="M0 0" style="fill: &#117;rl({FETCHES})"/>'),
                            "a style reference"),
    "hex reference in href": (svg('<use xlink:href="&#x68;ttps://example.com/s.svg#a"/>'),
                              "a reference to 'https://example.com"),
    "entity declared": (svg("&e;", head=f'<!DOCTYPE svg [<!ENTITY e SYSTEM "{FETCHES}">]>'),
                        "document type declaration"),
    "external dtd": (svg("", head=f'<!DOCTYPE svg SYSTEM "{FETCHES}">'), "document type"),
    "undeclared entity": (svg("&e;"), "does not parse"),
    # references to elsewhere
    "xlink image http": (svg(f'<image xlink:href="{FETCHES}"/>'), "a reference to"),
    "use href http": (svg('<use href="http://example.com/s.svg#a"/>'), "a reference to"),
    "use xlink http": (svg('<use xlink:href="http://example.com/s.svg#a"/>'), "a reference to"),
    "use data svg": (svg('<use xlink:href="data:image/svg+xml;base64,PHN2Zy8+#a"/>'),
                     "a reference to"),
    "image jpeg": (svg('<image xlink:href="data:image/jpeg;base64,/9j/4AAQ"/>'), "a reference to"),
    "image fragment": (svg('<image xlink:href="#a"/>'), "a reference to '#a'"),
    "plain href on use": (svg('<use href="#a"/>'), "an attribute 'href' on an SVG <use>"),
    "mask url": (svg(f'<path d="M0 0" mask="url({FETCHES})"/>'), "a style reference"),
    "filter attribute": (svg('<path d="M0 0" filter="url(#f)"/>'), "an attribute 'filter'"),
    "clip-path outside": (svg('<g clip-path="url(#a) , url(x)"/>'), "a style reference"),
    # elements and attributes no plot draws
    "feImage": (svg(f'<filter id="f"><feImage href="{FETCHES}"/></filter>'), "SVG <filter>"),
    "pattern": (svg('<pattern id="p"/>'), "an SVG <pattern> element"),
    "text": (svg("<text>hi</text>"), "an SVG <text> element"),
    "font-face element": (svg("<font-face/>"), "an SVG <font-face> element"),
    "animate": (svg('<animate attributeName="x"/>'), "an SVG <animate> element"),
    "view": (svg("<view/>"), "an SVG <view> element"),
    "nested svg": (svg("<svg/>"), "an SVG <svg> element"),
    "prefixed script": (svg('<s:script xmlns:s="http://www.w3.org/2000/svg"/>'), "SVG <script>"),
    "xhtml": (svg('<h:img xmlns:h="http://www.w3.org/1999/xhtml"/>'), "an element <img> outside"),
    "event handler": (svg('<g onmouseover="alert(1)"/>'), "an event handler attribute"),
    "xml:base": (svg('<g xml:base="https://example.com/"/>'), "in another namespace"),
    "stylesheet type": (svg('<style type="text/x-other">*{fill: #000000}</style>'),
                        "an SVG <style> with type="),
    "skew": (svg('<g transform="skewX(3)"/>'), "an SVG <g> with transform="),
    "path arc": (svg('<path d="M0 0 A 1 1 0 0 1 2 2"/>'), "an SVG <path> with d="),
    "id with a colon": (svg('<clipPath id="a:b"/>'), "an SVG <clipPath> with id="),
    "text in a group": (svg(f"<g>{FETCHES}</g>"), "text in an SVG <g>"),
    # structure: what holds what, and what a reference may point at
    "use of a group": (svg('<defs><path id="p" d="M0 0"/></defs>'
                           '<g id="g0"><use xlink:href="#p"/><use xlink:href="#p"/></g>'
                           '<g><use xlink:href="#g0"/><use xlink:href="#g0"/></g>'),
                       "a use of '#g0', which is not a <path>"),
    "use of nothing": (svg('<g><use xlink:href="#nowhere"/></g>'), "a use of '#nowhere'"),
    "clip-path to a group": (svg('<g id="g0"/><g clip-path="url(#g0)"/>'),
                             "a clip-path of '#g0', which is not a <clipPath>"),
    "inside a path": (svg('<g><path d="M0 0"><g/></path></g>'), "an SVG <g> inside a <path>"),
    "image at the root": (svg(embedded(png(4, 4))[3:-4]), "an SVG <image> inside a <svg>"),
    "id twice": (svg('<g id="a"/><g id="a"/>'), "the id 'a' twice"),
    "processing instruction": (svg("", head=f'<?xml-stylesheet href="{FETCHES}"?>'),
                               "processing instruction"),
}  # fmt: skip


@pytest.mark.parametrize(("data", "reason"), FORGED.values(), ids=FORGED.keys())
def test_a_forged_svg_is_refused_saying_why(data: bytes, reason: str) -> None:
    found = refusal(data)
    assert found is not None and reason in found, found


def test_the_allowed_forms_themselves_pass() -> None:
    """So that each refusal above is about its one forged part, not the frame around it."""
    body = (
        '<defs><style type="text/css">*{stroke-linejoin: round; stroke-linecap: butt}</style>'
        '<path id="m0" d="M 0 0 L 1 1 Q 2 2 3 3 C 1 2 3 4 5 6 z"/>'
        '<clipPath id="c"><rect x="0" y="0" width="4" height="4"/></clipPath></defs>'
        '<g id="a" clip-path="url(#c)" style="fill: #1f1f1f" transform="translate(1 2) scale(2)">'
        '<use xlink:href="#m0" x="1.5" y="-2" style="stroke: #005fb8; stroke-width: 1.2"/>'
        '<path d="M0 0" style="fill: none; stroke-dasharray: 1.4,2.1; stroke-dashoffset: 0"/>'
        f"{embedded(png(4, 4))}</g>"
    )
    assert refusal(svg(body)) is None


# --- PNG bombs and PNGs that are not what they say ----------------------------------------


def test_an_embedded_png_bomb_is_refused_from_its_header_alone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """100000×100000 pixels would be 10 GB: refused without inflating a byte of it."""
    from derivlens import png_check

    inflated = []
    monkeypatch.setattr(png_check, "inflate_problem", lambda png: inflated.append(png))
    bomb = png(100_000, 100_000, pixels=b"\x00" * 1_000_000)
    assert refusal(svg(embedded(bomb))) == "an embedded PNG of 100000×100000 pixels"
    assert inflated == []


def test_embedded_pngs_together_are_bounded() -> None:
    """Each within bounds, but together more pixels than any plot of ours holds."""
    one = png(5_000, 5_000, depth=1)  # 25 million pixels, at one bit each to stay light
    assert refusal(svg(embedded(one))) is None
    assert refusal(svg(embedded(one) * 2)) == "an embedded PNG of 5000×5000 pixels"


@pytest.mark.parametrize("where", ["reply", "embedded"])
@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (png(40, 20, pixels=b"\x00" * 20_000_000), "pixel data is larger than its size"),
        (png(40, 20, pixels=b"\x00" * 100), "pixel data is cut short"),
        (png(40, 20, chunks=b"\x00\x00\x00\x01tEXtA" + struct.pack(">I", zlib.crc32(b"tEXtA"))),
         "a PNG with a 'tEXt' chunk"),
        (png(40, 20).replace(b"\x08\x00\x00\x00\x00", b"\x08\x00\x00\x00\x01", 1),
         "a PNG with a damaged chunk"),
    ],
    ids=["zip-bomb", "short", "text-chunk", "damaged"],
)  # fmt: skip
def test_a_png_whose_pixel_data_is_not_its_size_is_refused(
    data: bytes, reason: str, where: str
) -> None:
    found = refusal(data, "png") if where == "reply" else refusal(svg(embedded(data)))
    assert found is not None and reason in found, found


def test_an_interlaced_or_impossible_png_is_refused() -> None:
    def with_header(fields: bytes) -> bytes:
        data = png(40, 20)
        body = b"IHDR" + struct.pack(">II", 40, 20) + fields
        return data[:12] + body + struct.pack(">I", zlib.crc32(body)) + data[33:]

    assert refusal(with_header(b"\x08\x00\x00\x00\x01"), "png") == "an interlaced PNG"
    found = refusal(with_header(b"\x03\x02\x00\x00\x00"), "png")  # RGB at 3 bits
    assert found == "a PNG with an impossible header (colour type 2, depth 3)"


# --- through the sandbox, as a user asks for an SVG ------------------------------------------

PLOTTED = """\
import torch

def quartic(x):
    return x**4 - x

def path(t):
    return torch.sin(t), torch.cos(t), t / 3
"""


@pytest.mark.parametrize(
    ("function", "flags"),
    [("quartic", ["--order", "4", "--theme", "dark"]), ("path", ["--size", "hover"])],
)
def test_an_svg_drawn_in_the_sandbox_is_accepted(
    tmp_path: Path, function: str, flags: list[str]
) -> None:
    source, out = tmp_path / "plotted.py", tmp_path / f"{function}.svg"
    source.write_text(PLOTTED)
    completed = subprocess.run(
        [sys.executable, "-m", "derivlens", "plot", str(source), "--function", function,
         "--out", str(out), "--json", *flags],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert completed.returncode == 0, completed.stdout + completed.stderr
    image = json.loads(completed.stdout)["image"]
    assert images.svg_problem(out.read_bytes(), image["width"], image["height"]) is None
