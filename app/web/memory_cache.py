"""An in-process Flask-Caching backend on cachetools' bounded LRU.

Flask-Caching's SimpleCache pickles every value and, once it holds
CACHE_THRESHOLD entries, sorts all of them on every ``set`` to find the
oldest: with thousands of post cards that made one request in fifty wait
hundreds of milliseconds. cachetools' TTLCache evicts the least recently
used entry in constant time. Values are kept as they are, not copied: this
app stores only rendered HTML, which is immutable text.

Select it with ``CACHE_TYPE = "app.web.memory_cache.LRUCache"`` (the default
without Redis); Flask-Caching builds it through :meth:`LRUCache.factory`, its
documented hook for custom backends.
"""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

from cachetools import TTLCache
from flask import Flask
from flask_caching.backends.base import BaseCache

# Keys name what they hold, so an entry is never stale; the time-to-live only
# lets unused entries go. cachetools needs a finite one.
MAX_TTL = 365 * 86400


class LRUCache(BaseCache):
    """At most ``threshold`` entries, least recently used evicted first."""

    def __init__(self, threshold: int = 10_000, default_timeout: int = 300) -> None:
        super().__init__(default_timeout=default_timeout)
        ttl = default_timeout if default_timeout > 0 else MAX_TTL
        self._entries: TTLCache[str, Any] = TTLCache(maxsize=threshold, ttl=ttl)
        self._lock = threading.Lock()

    @classmethod
    def factory(
        cls, app: Flask, config: dict[str, Any], args: list[Any], kwargs: dict[str, Any]
    ) -> LRUCache:
        return cls(
            threshold=config["CACHE_THRESHOLD"],
            default_timeout=config["CACHE_DEFAULT_TIMEOUT"],
        )

    def get(self, key: str) -> Any:
        with self._lock:
            return self._entries.get(key)

    def get_many(self, *keys: str) -> list[Any]:
        with self._lock:
            return [self._entries.get(key) for key in keys]

    def has(self, key: str) -> bool:
        with self._lock:
            return key in self._entries

    def set(self, key: str, value: Any, timeout: int | timedelta | None = None) -> bool:
        # One time-to-live for all entries: see MAX_TTL.
        with self._lock:
            self._entries[key] = value
        return True

    def set_many(
        self, mapping: dict[str, Any], timeout: int | timedelta | None = None
    ) -> list[Any]:
        with self._lock:
            self._entries.update(mapping)
        return list(mapping)

    def add(self, key: str, value: Any, timeout: int | timedelta | None = None) -> bool:
        with self._lock:
            if key in self._entries:
                return False
            self._entries[key] = value
            return True

    def delete(self, key: str) -> bool:
        with self._lock:
            return self._entries.pop(key, None) is not None

    def clear(self) -> bool:
        with self._lock:
            self._entries.clear()
        return True
