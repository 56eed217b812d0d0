"""Whole rendered pages, reused until the content generation moves.

A feed page is the same for a reader until someone posts, deletes, follows,
unfollows or edits an account, and every such write moves the content
generation (:mod:`app.generation`). So a view decorated with
:func:`cached_view` renders once per (reader, URL, generation) and each
process keeps the result in a small LRU. A request checks the generation
before using a page: for a logged-in reader it comes with the same statement
that loads the reader, so a hit costs no extra query. Writes from any
process, node or tool move the number, so nothing is ever served stale.

Two things in a page differ per request and are spliced in on every use:

- the CSRF token (each browser session has its own), and
- the "5 minutes ago" text of post cards.

While a page renders for the cache, both are written as slots: a marker
made of a random per-process secret, so user text can never contain it.
Requests that carry flashed messages, and anything but GET, bypass the cache.

Only the body is cached: status, headers and cookies are built per request.
"""

from __future__ import annotations

import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import wraps
from typing import Any

from flask import Flask, current_app, g, request, session
from flask.wrappers import Response
from flask_wtf.csrf import generate_csrf

from app import generation
from app.templating import ago

DEFAULT_SIZE = 256  # pages of about 30 KB: under 10 MB per process

_SLOT = "wren" + secrets.token_hex(16)
_CSRF, _AGO = "C", "A"
_CACHEABLE_HEADERS = {"content-type", "content-length"}

Viewer = Callable[[], "int | None"]


@dataclass(frozen=True, slots=True)
class CachedPage:
    """A rendered body cut at its slots: ``head (kind, text)*``."""

    generation: int | None
    content_type: str
    head: str
    kinds: str
    rests: tuple[str, ...]
    times: tuple[datetime, ...]

    @classmethod
    def cut(
        cls,
        body: str,
        times: list[datetime],
        content_type: str,
        generation_: int | None,
    ) -> CachedPage | None:
        """Cut ``body``; None if its slots do not match the times taken."""
        head, *parts = body.split(_SLOT)
        kinds = "".join(part[:1] for part in parts)
        if kinds.count(_AGO) != len(times) or kinds.strip(_CSRF + _AGO):
            return None
        return cls(
            generation_,
            content_type,
            head,
            kinds,
            tuple(part[1:] for part in parts),
            tuple(times),
        )

    def fill(self) -> str:
        """The body with this request's token and times in its slots."""
        if not self.kinds:
            return self.head
        out = [self.head]
        times = iter(self.times)
        token = None
        for kind, rest in zip(self.kinds, self.rests, strict=True):
            if kind == _AGO:
                out.append(ago(next(times)))
            else:
                token = token or generate_csrf()
                out.append(token)
            out.append(rest)
        return "".join(out)


class PageCache:
    """A bounded LRU of :class:`CachedPage`, one per process and app."""

    def __init__(self, maxsize: int) -> None:
        self.maxsize = maxsize
        self._pages: OrderedDict[tuple[Any, ...], CachedPage] = OrderedDict()
        self._lock = threading.Lock()  # gthread workers share one cache

    def get(self, key: tuple[Any, ...], generation_: int) -> CachedPage | None:
        with self._lock:
            page = self._pages.get(key)
            if page is None or page.generation != generation_:
                return None
            self._pages.move_to_end(key)
            return page

    def put(self, key: tuple[Any, ...], page: CachedPage) -> None:
        with self._lock:
            self._pages[key] = page
            self._pages.move_to_end(key)
            while len(self._pages) > self.maxsize:
                self._pages.popitem(last=False)

    def __len__(self) -> int:
        return len(self._pages)


def ago_text(value: datetime) -> str:
    """``ago(value)``, or a slot while a page renders for the cache."""
    taken: list[datetime] | None = g.get("wren_page_times")
    if taken is None:
        return ago(value)
    taken.append(value)
    return _SLOT + _AGO


def note_generation(value: int | None) -> None:
    """Record the generation read with the reader; see :func:`cached_view`."""
    g.wren_generation = value


def cached_view(viewer: Viewer) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Serve a GET view from the page cache; ``viewer`` names the reader.

    ``viewer`` runs first: it loads the reader, and the loader notes the
    generation with :func:`note_generation` from the same statement. An
    anonymous reader costs one small query for it. Either way the number is
    read before anything the page shows, so a page may be newer than the
    generation it is filed under but never older; a newer one only means the
    next request misses, as the number has moved on by then.
    """

    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            cache: PageCache | None = current_app.extensions.get("wren_page_cache")
            if cache is None or request.method != "GET" or "_flashes" in session:
                return view(*args, **kwargs)
            reader = viewer()
            current = g.get("wren_generation")
            if current is None:
                current = generation.current()
                if current is None:  # the row is gone: cache nothing
                    return view(*args, **kwargs)
            key = (request.script_root, request.full_path, reader)
            page = cache.get(key, current)
            if page is not None:
                return current_app.response_class(
                    page.fill(), content_type=page.content_type
                )
            response, page = _render(view, args, kwargs, current)
            if page is None:  # could not be cut at its slots: render plainly
                return view(*args, **kwargs)
            if _cacheable(response):
                cache.put(key, page)
            return response

        return wrapper

    return decorator


def _render(
    view: Callable[..., Any], args: Any, kwargs: Any, generation_: int
) -> tuple[Response, CachedPage | None]:
    """Run ``view`` with slots for the per-request values, then fill them.

    The page is None when the body cannot be cut (a streamed response, or
    slots that do not match): the caller must then render without slots.
    """
    field = current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
    real_token = g.pop(field, None)
    setattr(g, field, _SLOT + _CSRF)  # generate_csrf() returns what g holds
    g.wren_page_times = []
    try:
        response = current_app.make_response(view(*args, **kwargs))
    finally:
        times = g.pop("wren_page_times")
        g.pop(field)
        if real_token is not None:
            setattr(g, field, real_token)
    if response.direct_passthrough or response.is_streamed:
        return response, None
    page = CachedPage.cut(
        response.get_data(as_text=True), times, response.content_type, generation_
    )
    if page is not None and page.kinds:
        response.set_data(page.fill())
    return response, page


def _cacheable(response: Response) -> bool:
    return response.status_code == 200 and all(
        name.lower() in _CACHEABLE_HEADERS for name, _ in response.headers
    )


def init_app(app: Flask) -> None:
    size = app.config["PAGE_CACHE_SIZE"]
    if size > 0:
        app.extensions["wren_page_cache"] = PageCache(size)
