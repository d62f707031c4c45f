"""The one LRU cache: bounded by its entries and by their bytes, oldest use first out."""

from __future__ import annotations

from derivlens.lru import LRU, text_bytes


def sized(max_entries: int, max_bytes: int) -> LRU[str, str]:
    return LRU(max_entries=max_entries, max_bytes=max_bytes, size=lambda _k, v: len(v))


def test_the_least_recently_used_goes_first_past_the_count():
    cache = sized(2, 1_000)
    cache.put("a", "1")
    cache.put("b", "2")
    assert cache.get("a") == "1"  # now "b" is the oldest use
    cache.put("c", "3")
    assert "b" not in cache and cache.get("a") == "1" and cache.get("c") == "3"


def test_bytes_bound_it_whatever_the_count():
    cache = sized(1_000, 100)
    for i in range(50):
        cache.put(str(i), "x" * 30)
    assert len(cache) == 3 and cache.nbytes == 90
    assert [k for k in map(str, range(50)) if k in cache] == ["47", "48", "49"]


def test_an_entry_larger_than_the_budget_is_not_kept_and_drops_nothing():
    cache = sized(10, 100)
    cache.put("small", "x" * 10)
    assert cache.put("huge", "x" * 101) == "x" * 101
    assert "huge" not in cache and cache.get("small") == "x" * 10 and cache.nbytes == 10


def test_replacing_and_dropping_keep_the_byte_count_exact():
    cache = sized(10, 1_000)
    cache.put("a", "x" * 10)
    cache.put("a", "x" * 40)
    cache.put("b", "x" * 5)
    assert cache.nbytes == 45
    assert cache.drop_where(lambda key, _value: key == "a") == 1
    assert cache.nbytes == 5 and len(cache) == 1
    assert cache.pop("b") == "x" * 5 and cache.nbytes == 0 and cache.pop("b") is None


def test_text_bytes_counts_wide_characters_wider():
    assert text_bytes("€" * 1000) > 2000 > text_bytes("e" * 1000) > 1000
