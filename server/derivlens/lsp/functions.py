"""`derivlens.functions`: the eligible functions of a document, by name, for the panel's
"Compare with…" picker (docs/protocol.md, "The functions of a document").

The code lenses give only positions; the panel needs the names that `compare` takes. This
reads the same parse the lenses do: nothing is evaluated.
"""

from __future__ import annotations

from typing import Any

from derivlens.errors import DerivlensError, InvalidOptions
from derivlens.lsp.protocol_hooks import lsp_error

FUNCTIONS_COMMAND = "derivlens.functions"
FUNCTIONS_USAGE = 'derivlens.functions takes one argument, {"uri": "file:///..."}'


def document_uri(arguments: Any) -> str:
    """The `uri` of the command's one argument; anything else is `invalid-options`."""
    argument = arguments[0] if isinstance(arguments, list) and len(arguments) == 1 else None
    uri = argument.get("uri") if isinstance(argument, dict) else None
    if not isinstance(uri, str) or not uri:
        raise InvalidOptions(FUNCTIONS_USAGE)
    return uri


def answer(documents: Any, arguments: tuple[Any, ...]) -> list[dict[str, Any]]:
    """The command's answer; a bad argument is the JSON-RPC error of kind `invalid-options`."""
    try:
        return listing(documents, list(arguments))
    except InvalidOptions as error:
        raise lsp_error(error) from None


def listing(documents: Any, arguments: Any) -> list[dict[str, Any]]:
    """`[{name, line, variables}]` of the document's eligible functions, in source order.

    `line` is the 0-based line of the `def` in this document (null for a function of a
    cell above, which a cell's function may still be compared with); `variables` are
    the names from the source (null when only the callable's runtime signature tells).
    A document that does not parse has none: the picker then offers nothing.
    """
    uri = document_uri(arguments)
    try:
        source = documents.source(uri)
    except DerivlensError:
        return []
    return [
        {
            "name": f.name,
            "line": source.lsp_line(f.def_line) if source.shows(f) else None,
            "variables": None if f.signature.runtime else list(f.signature.variables),
        }
        for f in source.module.functions
        if not f.signature.problem
    ]
