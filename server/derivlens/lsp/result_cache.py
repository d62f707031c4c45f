"""The language server's results and hover texts, kept for asking again, within bounds.

A result is cached by everything that decides it (docs/protocol.md, "Language server"),
not by the document it came from; the document is remembered beside it, so that
closing a document forgets what was computed for it. Both caches are bounded by
entries and by bytes (`lru.LRU`): one result at 100,000 samples holds tens of MB.
"""

from __future__ import annotations

from collections.abc import Collection, Hashable
from typing import Any

import attrs

from derivlens.lru import LRU, data_bytes, text_bytes
from derivlens.model import Result

RESULT_ENTRIES = 64
RESULT_BYTES = 128 * 2**20
HOVER_ENTRIES = 64
HOVER_BYTES = 16 * 2**20

Key = tuple[Hashable, ...]


def _result_bytes(_key: Key, value: tuple[str, Result]) -> int:
    return data_bytes(value[1])


def _hover_bytes(_key: Key, value: tuple[str, str]) -> int:
    return text_bytes(value[1])


class ResultCache:
    """Results and hover markdown by their keys, each with the URI it was asked for."""

    def __init__(self) -> None:
        self.results: LRU[Key, tuple[str, Result]] = LRU(
            max_entries=RESULT_ENTRIES, max_bytes=RESULT_BYTES, size=_result_bytes
        )
        #: Hover markdown by the result's key and the sparkline setting: a cached hover
        #: is a look-up, not the sparklines and the image's base64 again.
        self.hovers: LRU[Key, tuple[str, str]] = LRU(
            max_entries=HOVER_ENTRIES, max_bytes=HOVER_BYTES, size=_hover_bytes
        )

    def result(self, key: Key) -> Result | None:
        found = self.results.get(key)
        return None if found is None else attrs.evolve(found[1], elapsed_ms=0.0)

    def keep_result(self, key: Key, uri: str, result: Result) -> None:
        self.results.put(key, (uri, result))

    def hover(self, key: Key) -> str | None:
        found = self.hovers.get(key)
        return None if found is None else found[1]

    def keep_hover(self, key: Key, uri: str, text: str) -> str:
        self.hovers.put(key, (uri, text))
        return text

    def forget(self, uris: Collection[str]) -> None:
        """Forget what was computed for these documents (closed)."""
        self.results.drop_where(lambda _key, value: value[0] in uris)
        self.hovers.drop_where(lambda _key, value: value[0] in uris)

    def sizes(self) -> dict[str, Any]:
        return {
            "results": len(self.results),
            "resultBytes": self.results.nbytes,
            "hovers": len(self.hovers),
            "hoverBytes": self.hovers.nbytes,
        }
