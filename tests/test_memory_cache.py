"""The in-process fragment cache: bounded, least recently used out first."""

from __future__ import annotations

from app.extensions import cache
from app.web.memory_cache import LRUCache


def test_it_is_the_default_without_redis(app):
    with app.app_context():
        assert isinstance(cache.cache, LRUCache)


def test_the_least_recently_used_entry_goes_first():
    lru = LRUCache(threshold=3, default_timeout=0)
    lru.set_many({"a": "1", "b": "2", "c": "3"})
    assert lru.get("a") == "1"  # a is now the most recent
    lru.set("d", "4")
    assert lru.get_many("a", "b", "c", "d") == ["1", None, "3", "4"]


def test_add_delete_has_and_clear():
    lru = LRUCache(threshold=10)
    assert lru.add("k", "v")
    assert not lru.add("k", "other")
    assert lru.has("k")
    assert lru.delete("k")
    assert not lru.delete("k")
    lru.set("x", "y")
    assert lru.clear()
    assert lru.get("x") is None


def test_a_full_cache_stays_cheap_to_fill():
    """SimpleCache sorted all its entries on every set once full."""
    import time

    lru = LRUCache(threshold=10_000)
    lru.set_many({f"warm{n}": "x" for n in range(10_000)})
    started = time.perf_counter()
    for n in range(2_000):
        lru.set(f"new{n}", "x")
    assert time.perf_counter() - started < 0.5
    assert lru.get("new1999") == "x"
