"""Is an SVG from a sandboxed child made only of what derivlens draws? An allow-list.

matplotlib's SVG backend writes our plots (curves, vector outputs, surfaces with their
rasterized contour fills and gradient arrows, in either theme and size) with a handful
of elements, attributes and CSS declarations, each value in one plain form: numbers,
path data, `#rrggbb` colours, `#id` and `url(#id)` references, and embedded PNGs. That
is all an SVG may hold, each element where matplotlib puts it, and each reference to
the kind of element it needs (`tests/unit/test_svg_allowlist.py` draws every kind of plot and
checks that each passes and that nothing more is allowed). So whatever else a viewer
might fetch or run through (`image-set()`, `@font-face`, a CSS escape, `<use
href="http…">`, an element or property of a future SVG or CSS) is refused without a rule
of its own, and no `<use>` can multiply a group of `<use>`s.

It is parsed by expat without any DTD (a document type declaration is refused, so no
entity can expand; character references are decoded before the values are checked),
and an embedded PNG is checked as a PNG reply is (`png_check`), all of them together no
larger than the largest image we draw. Why not rasterise instead: the unsandboxed
server would have to render hostile SVG itself, and the client asked for a vector image.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping
from xml.parsers import expat

from derivlens import png_check

SVG = "http://www.w3.org/2000/svg"
XLINK = "http://www.w3.org/1999/xlink"

#: Element -> the attributes it may have (`xlink:href` for the XLink attribute).
ELEMENTS: Mapping[str, frozenset[str]] = {
    "svg": frozenset({"width", "height", "viewBox", "version"}),
    "defs": frozenset(),
    "style": frozenset({"type"}),
    "g": frozenset({"id", "style", "transform", "clip-path"}),
    "path": frozenset({"id", "d", "style", "transform", "clip-path"}),
    "use": frozenset({"xlink:href", "x", "y", "style", "transform"}),
    "clipPath": frozenset({"id"}),
    "rect": frozenset({"x", "y", "width", "height"}),
    "image": frozenset({"id", "x", "y", "width", "height", "transform", "xlink:href"}),
}
#: Element -> the elements it may hold. `<use>` may show only a `<path>`, and a path
#: holds nothing: so no `<use>` can repeat a group of `<use>`s (no "use bomb").
CHILDREN: Mapping[str, frozenset[str]] = {
    "svg": frozenset({"defs", "g"}),
    "defs": frozenset({"clipPath", "path", "style"}),
    "g": frozenset({"defs", "path", "image", "g", "use"}),
    "clipPath": frozenset({"rect"}),
}
#: What a reference must point at: `<use xlink:href="#id">`, `clip-path="url(#id)"`.
TARGETS: Mapping[str, str] = {"use": "path", "clip-path": "clipPath"}
_NUMBER = r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?"
_NUMBERS = rf"{_NUMBER}(?:[\s,]+{_NUMBER})*"
_ID = r"[A-Za-z_][A-Za-z0-9_.-]{0,99}"
#: Attribute -> the form of its value (`style` and `xlink:href` are checked apart).
VALUES: Mapping[str, re.Pattern[str]] = {
    name: re.compile(pattern)
    for name, pattern in {
        "width": rf"{_NUMBER}(?:px)?",
        "height": rf"{_NUMBER}(?:px)?",
        "x": _NUMBER,
        "y": _NUMBER,
        "viewBox": rf"{_NUMBER}(?:[\s,]+{_NUMBER}){{3}}",
        "version": r"1\.1",
        "type": "text/css",
        "id": _ID,
        "transform": rf"\s*(?:(?:translate|scale)\(\s*{_NUMBERS}\s*\)\s*)+",
        "d": r"[MLQCz0-9.eE+\-\s,]*",  # the path commands matplotlib writes
        "clip-path": rf"url\(#{_ID}\)",
    }.items()
}
_COLOUR = r"#[0-9a-f]{6}|none"
#: CSS property -> the form of its value, in a `style` attribute or the style sheet.
CSS: Mapping[str, re.Pattern[str]] = {
    name: re.compile(pattern)
    for name, pattern in {
        "fill": _COLOUR,
        "stroke": _COLOUR,
        "stroke-width": _NUMBER,
        "stroke-linecap": "butt|round",
        "stroke-linejoin": "round",
        "stroke-dasharray": _NUMBERS,
        "stroke-dashoffset": _NUMBER,
    }.items()
}
_RULE = re.compile(r"\s*\*\s*\{([^{}]*)\}")  # the style sheet: rules for `*` only
_BLANK = re.compile(r"\s*\Z")
_PNG_DATA = "data:image/png;base64,"
_URL = re.compile(r"url\(\s*['\"]?\s*([^)'\"]*)", re.IGNORECASE)
_SIZE = re.compile(r"\s*(\d+(?:\.\d+)?)\s*(px)?\s*\Z")


class _Refused(Exception):
    """Raised by a parser callback to stop at the first thing not allowed."""


def problem(data: bytes, width: int, height: int) -> str | None:
    """What in the SVG `data` is not allowed, or None if it is sound and `width`×`height`."""
    try:
        data.decode("utf-8")  # so that nothing hides in another encoding
    except UnicodeDecodeError:
        return "an SVG that is not UTF-8"
    walk = _Walk()
    parser = expat.ParserCreate("utf-8", " ")  # names as "namespace local"
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.buffer_text = True
    parser.StartDoctypeDeclHandler = walk.doctype
    parser.ProcessingInstructionHandler = walk.instruction
    parser.StartElementHandler = walk.start
    parser.EndElementHandler = walk.end
    parser.CharacterDataHandler = walk.text
    try:
        parser.Parse(data, True)
    except _Refused as refused:
        return str(refused)
    except expat.ExpatError as error:
        return f"an SVG that does not parse ({str(error)[:60]})"
    if walk.root is None:
        return "an SVG whose root is not <svg>"
    for kind, target in walk.references:
        if walk.ids.get(target) != TARGETS[kind]:
            return f"a {kind} of {'#' + target[:40]!r}, which is not a <{TARGETS[kind]}>"
    said_w, said_h = walk.root.get("width"), walk.root.get("height")
    if (_size(said_w), _size(said_h)) != (float(width), float(height)):
        return f"an SVG of {said_w!s:.20}×{said_h!s:.20} said to be {width}×{height}"
    return None


class _Walk:
    """The parser's callbacks: each element, attribute and text checked as it comes."""

    def __init__(self) -> None:
        self.root: dict[str, str] | None = None
        self.open: list[str] = []
        self.sheet: list[str] = []
        self.ids: dict[str, str] = {}  # id -> its element
        self.references: list[tuple[str, str]] = []  # ("use" | "clip-path", id)
        self.pixels_left = png_check.MAX_PIXELS  # for all embedded images together

    def doctype(self, *_: object) -> None:
        raise _Refused("an SVG with a document type declaration")

    def instruction(self, *_: object) -> None:
        raise _Refused("an SVG with a processing instruction")

    def start(self, name: str, attributes: dict[str, str]) -> None:
        namespace, element = _split(name)
        if namespace != SVG:
            raise _Refused(f"an element <{element[:30]}> outside SVG")
        if element not in ELEMENTS or (element == "svg") != (self.root is None):
            if self.root is None:
                raise _Refused("an SVG whose root is not <svg>")
            raise _Refused(f"an SVG <{element[:30]}> element")
        for attribute, value in attributes.items():
            found = self._attribute_problem(element, attribute, value)
            if found:
                raise _Refused(found)
        if "id" in attributes:
            if attributes["id"] in self.ids:
                raise _Refused(f"an SVG with the id {attributes['id'][:40]!r} twice")
            self.ids[attributes["id"]] = element
        if self.root is None:
            self.root = attributes
        self.open.append(element)

    def end(self, _: str) -> None:
        """What an element holds is checked first, then where it is (the same refusals
        for a forged style sheet wherever it stands)."""
        element = self.open.pop()
        if element == "style":
            found = _sheet_problem("".join(self.sheet))
            self.sheet.clear()
            if found:
                raise _Refused(found)
        if self.open and element not in CHILDREN.get(self.open[-1], ()):
            raise _Refused(f"an SVG <{element}> inside a <{self.open[-1]}>")

    def text(self, data: str) -> None:
        if self.open and self.open[-1] == "style":
            self.sheet.append(data)
        elif data.strip():
            raise _Refused(f"text in an SVG <{self.open[-1] if self.open else 'svg'}>")

    def _attribute_problem(self, element: str, attribute: str, value: str) -> str | None:
        namespace, local = _split(attribute)
        if local.lower().startswith("on"):
            return f"an event handler attribute {local[:30]!r}"
        if local == "href":
            found = self._reference_problem(element, value)
            if found:
                return found
        else:
            for target in _URL.findall(value):
                if not target.strip().startswith("#"):
                    return f"a style reference to {target.strip()[:40]!r}"
        key = "xlink:href" if (namespace, local) == (XLINK, "href") else local
        if namespace and key == local:
            return f"an attribute {local[:30]!r} in another namespace"
        if key not in ELEMENTS[element]:
            return f"an attribute {key[:30]!r} on an SVG <{element}>"
        if key == "style":
            return _declarations_problem(value)
        if key in VALUES and not VALUES[key].fullmatch(value):
            return f"an SVG <{element}> with {key}={value[:40]!r}"
        if key == "clip-path":
            self.references.append(("clip-path", value[5:-1]))  # url(#id)
        return None

    def _reference_problem(self, element: str, value: str) -> str | None:
        """A `<use>` refers to an element of this SVG, an `<image>` embeds a sound PNG."""
        if element == "use" and re.fullmatch(f"#{_ID}", value):
            self.references.append(("use", value[1:]))
            return None
        target = "".join(value.split())
        if element != "image" or not target.startswith(_PNG_DATA):
            return f"a reference to {target[:40]!r}"
        try:
            data = base64.b64decode(target[len(_PNG_DATA) :], validate=True)
        except (binascii.Error, ValueError):
            return "an embedded image that is not base64"
        png = png_check.read(data)
        if isinstance(png, str):
            return f"{png}, embedded"
        if max(png.width, png.height) > png_check.MAX_SIDE or (
            png.width * png.height > self.pixels_left
        ):
            return f"an embedded PNG of {png.width}×{png.height} pixels"
        self.pixels_left -= png.width * png.height
        found = png_check.inflate_problem(png)
        return f"{found}, embedded" if found else None


def _split(name: str) -> tuple[str, str]:
    """expat's `namespace local` as (namespace, local); no namespace: ("", local)."""
    namespace, _, local = name.rpartition(" ")
    return namespace, local


def _declarations_problem(text: str) -> str | None:
    """`property: value; …` with only the properties and values of `CSS`."""
    for piece in text.split(";"):
        name, colon, value = piece.partition(":")
        form = CSS.get(name.strip())
        if piece.strip() and (not colon or form is None or not form.fullmatch(value.strip())):
            return f"a style declaration {piece.strip()[:40]!r}"
    return None


def _sheet_problem(text: str) -> str | None:
    """The style sheet: rules for `*` whose declarations are allowed, nothing else."""
    at = 0
    while not _BLANK.match(text, at):
        rule = _RULE.match(text, at)
        found = _declarations_problem(rule.group(1)) if rule else "not a rule for *"
        if found:
            return f"active style sheet content ({found})"
        assert rule is not None
        at = rule.end()
    return None


def _size(value: str | None) -> float | None:
    match = _SIZE.match(value or "")
    return float(match.group(1)) if match else None
