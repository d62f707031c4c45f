"""Is an image a sandboxed child sent back what it claims to be? Checked before any use.

The image is untrusted (user code ran where it was drawn), and editors show it: a PNG
in a hover, a PNG or SVG in the panel's webview. So a PNG must be a PNG, chunk by chunk,
whose IHDR says the stated width and height; an SVG must parse without a DTD (so no
entity can expand) and hold nothing that runs or fetches: no script, no foreign object,
no animation or link element, no event-handler attribute, no processing instruction, no
reference that is not to a fragment of itself (`#id`) or an embedded PNG/JPEG. Anything
else is refused with a short reason; nothing here raises.
"""

from __future__ import annotations

import base64
import binascii
import re
import struct
import zlib
from typing import Any
from xml.etree import ElementTree

from derivlens.model import Image

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
#: Largest side and area of an image we would ever draw (a 4× panel is 4000×2400).
MAX_SIDE = 10_000
MAX_PIXELS = 40_000_000
MAX_SCALE = 8.0
MAX_AXES = 16

SVG = "http://www.w3.org/2000/svg"
XLINK = "http://www.w3.org/1999/xlink"
XML = "http://www.w3.org/XML/1998/namespace"
#: SVG elements that run code, embed other documents, link, or change the document.
FORBIDDEN_ELEMENTS = frozenset(
    {
        "script", "foreignObject", "iframe", "embed", "object", "handler", "listener",
        "a", "animate", "animateColor", "animateMotion", "animateTransform", "set",
        "discard", "feImage", "cursor", "font-face-uri", "tref",
    }
)  # fmt: skip
#: The only attributes of the XML namespace allowed (xml:base would move references).
_XML_ATTRIBUTES = frozenset({(XML, "space"), (XML, "lang")})
_EMBEDDED = ("data:image/png;base64,", "data:image/jpeg;base64,")
_URL = re.compile(r"url\(\s*['\"]?\s*([^)'\"]*)", re.IGNORECASE)
_ACTIVE_CSS = re.compile(r"@import|expression\s*\(|javascript:|behavior\s*:|-moz-binding", re.I)
_DTD = re.compile(r"<!\s*(DOCTYPE|ENTITY|ELEMENT|ATTLIST|NOTATION)", re.IGNORECASE)
_SIZE = re.compile(r"\s*(\d+(?:\.\d+)?)\s*(px)?\s*\Z")


def problem(image: Image) -> str | None:
    """What is wrong with `image` (one short phrase), or None if it is sound."""
    if not (1 <= image.width <= MAX_SIDE and 1 <= image.height <= MAX_SIDE):
        return f"an image of {image.width}×{image.height} pixels"
    if image.width * image.height > MAX_PIXELS:
        return f"an image of {image.width}×{image.height} pixels"
    if not 0 < image.scale <= MAX_SCALE:
        return f"an image at scale {image.scale:g}"
    if len(image.axes) > MAX_AXES:
        return f"an image with {len(image.axes)} plot areas"
    try:
        data = base64.b64decode(image.data, validate=True)
    except (binascii.Error, ValueError):
        return "image data that is not base64"
    if image.format == "png":
        return png_problem(data, image.width, image.height)
    return svg_problem(data, image.width, image.height)


def png_problem(data: bytes, width: int, height: int) -> str | None:
    """A PNG's signature, its chunks (lengths, CRCs, IHDR first, IEND last) and its size."""
    if not data.startswith(PNG_SIGNATURE):
        return "a PNG without the PNG signature"
    at, first, last = len(PNG_SIGNATURE), None, None
    while at < len(data):
        if at + 12 > len(data):
            return "a PNG cut short"
        length, kind = struct.unpack_from(">I4s", data, at)
        end = at + 12 + length
        if end > len(data):
            return "a PNG cut short"
        (crc,) = struct.unpack_from(">I", data, end - 4)
        if zlib.crc32(data[at + 4 : end - 4]) != crc:
            return "a PNG with a damaged chunk"
        if first is None:
            first = data[at + 8 : end - 4] if kind == b"IHDR" and length == 13 else b""
        last = kind
        at = end
        if kind == b"IEND":
            break
    if not first:
        return "a PNG that does not start with its header"
    if last != b"IEND" or at != len(data):
        return "a PNG with data after its end" if last == b"IEND" else "a PNG cut short"
    stated = struct.unpack_from(">II", first)
    if stated != (width, height):
        return f"a PNG of {stated[0]}×{stated[1]} pixels said to be {width}×{height}"
    return None


def _local(name: str) -> tuple[str, str]:
    """`{namespace}local` as (namespace, local)."""
    if name.startswith("{"):
        namespace, _, local = name[1:].partition("}")
        return namespace, local
    return "", name


def _reference_problem(value: str) -> str | None:
    target = "".join(value.split())
    if target.startswith("#") or target.startswith(_EMBEDDED):
        return None
    return f"a reference to {target[:40]!r}"


def _css_problem(text: str) -> str | None:
    if _ACTIVE_CSS.search(text) or "\\" in text:  # CSS escapes could spell url( anew
        return "active style sheet content"
    for target in _URL.findall(text):
        if not target.strip().startswith("#"):
            return f"a style reference to {target.strip()[:40]!r}"
    return None


def _size(value: str | None) -> float | None:
    match = _SIZE.match(value or "")
    return float(match.group(1)) if match else None


def _element_problem(element: ElementTree.Element) -> str | None:
    namespace, local = _local(element.tag)
    if namespace != SVG:
        return f"an element <{local[:30]}> outside SVG"
    if local in FORBIDDEN_ELEMENTS:
        return f"an SVG <{local}> element"
    for name, value in element.attrib.items():
        attr_ns, attr = _local(name)
        if attr_ns not in ("", XLINK) and (attr_ns, attr) not in _XML_ATTRIBUTES:
            return f"an attribute {attr[:30]!r} in another namespace"
        if attr.lower().startswith("on"):
            return f"an event handler attribute {attr[:30]!r}"
        if attr == "href" or attr_ns == XLINK:
            found = _reference_problem(value)
            if found:
                return found
        if "url(" in value.lower() or attr == "style":
            found = _css_problem(value)
            if found:
                return found
    return None


def _style_problem(element: ElementTree.Element) -> str | None:
    if element.tag == f"{{{SVG}}}style":
        return _css_problem("".join(element.itertext()))
    return None


def svg_problem(data: bytes, width: int, height: int) -> str | None:
    """An SVG parsed safely (no DTD at all, so no entities), holding nothing active."""
    try:
        text = data.decode("utf-8")  # so that a DTD cannot hide in another encoding
    except UnicodeDecodeError:
        return "an SVG that is not UTF-8"
    if _DTD.search(text):
        return "an SVG with a document type declaration"
    parser: ElementTree.XMLPullParser[Any] = ElementTree.XMLPullParser(
        events=("start", "end", "pi")
    )
    root = None
    try:
        parser.feed(data)
        parser.close()
        for event, element in parser.read_events():  # type: ignore[misc]
            if event == "pi":
                return "an SVG with a processing instruction"
            assert isinstance(element, ElementTree.Element)
            if event == "start":
                root = element if root is None else root
                found = _element_problem(element)
            else:  # its text is in once it ends
                found = _style_problem(element)
            if found:
                return found
    except ElementTree.ParseError as error:
        return f"an SVG that does not parse ({str(error)[:60]})"
    if root is None or _local(root.tag) != (SVG, "svg"):
        return "an SVG whose root is not <svg>"
    stated = (_size(root.get("width")), _size(root.get("height")))
    if stated != (float(width), float(height)):
        return f"an SVG of {root.get('width')!s:.20}×{root.get('height')!s:.20} said to be " + (
            f"{width}×{height}"
        )
    return None
