"""One least-recently-used cache, bounded by its number of entries and by their bytes.

Every cache of the language server is one of these (docs/protocol.md, "Language
server", memory): a count alone does not bound memory when one entry can be a kilobyte
or a hundred megabytes (a result at 100,000 samples), so each cache also says how to
size an entry and how many bytes it may hold. An entry larger than the whole budget is
not kept at all.
"""

from __future__ import annotations

import sys
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, Generic, TypeVar, cast

import attrs

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

__all__ = ["LRU", "data_bytes", "text_bytes"]


def text_bytes(*texts: str) -> int:
    """What strings take in memory (their object size: one to four bytes a character)."""
    return sum(sys.getsizeof(text) for text in texts)


_NUMBER = (float, int, type(None))


def data_bytes(value: object) -> int:
    """Roughly what plain data takes in memory (attrs instances, dicts, lists, strings,
    numbers): a list of numbers is counted from its length, a pointer and a float each,
    so that sizing a result of a million samples does not walk them one by one."""
    if isinstance(value, str | bytes):
        return sys.getsizeof(value)
    if isinstance(value, _NUMBER):
        return 32
    if isinstance(value, list | tuple):
        if value and isinstance(value[0], _NUMBER):
            return 64 + 32 * len(value)
        return 64 + sum(data_bytes(item) for item in value)
    if isinstance(value, dict):
        return 240 + sum(data_bytes(k) + data_bytes(v) for k, v in value.items())
    if attrs.has(type(value)):
        fields = attrs.fields(cast(Any, type(value)))
        return 64 + sum(data_bytes(getattr(value, field.name)) for field in fields)
    return sys.getsizeof(value)


class LRU(Generic[K, V]):
    """A mapping that forgets its least recently used entries past `max_entries` entries
    or `max_bytes` bytes, as `size(key, value)` counts them."""

    def __init__(self, *, max_entries: int, max_bytes: int, size: Callable[[K, V], int]) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._size = size
        self._entries: OrderedDict[K, tuple[V, int]] = OrderedDict()
        self.nbytes = 0

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, key: object) -> bool:
        return key in self._entries

    def get(self, key: K) -> V | None:
        """The value for `key` (now the most recently used), or None."""
        entry = self._entries.get(key)
        if entry is None:
            return None
        self._entries.move_to_end(key)
        return entry[0]

    def put(self, key: K, value: V) -> V:
        """Keep `value` for `key` (unless it alone exceeds the byte budget); returns it."""
        self.pop(key)
        nbytes = self._size(key, value)
        if nbytes > self.max_bytes:
            return value
        self._entries[key] = (value, nbytes)
        self.nbytes += nbytes
        while len(self._entries) > self.max_entries or self.nbytes > self.max_bytes:
            _, (_, dropped) = self._entries.popitem(last=False)
            self.nbytes -= dropped
        return value

    def pop(self, key: K) -> V | None:
        entry = self._entries.pop(key, None)
        if entry is None:
            return None
        self.nbytes -= entry[1]
        return entry[0]

    def drop_where(self, predicate: Callable[[K, V], bool]) -> int:
        """Forget every entry whose key and value match; how many were forgotten."""
        doomed = [key for key, (value, _) in self._entries.items() if predicate(key, value)]
        for key in doomed:
            self.pop(key)
        return len(doomed)

    def clear(self) -> None:
        self._entries.clear()
        self.nbytes = 0
