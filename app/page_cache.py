"""Whole rendered pages, reused until the content generation moves.

A feed page is the same for a reader until someone posts, deletes, follows,
unfollows or edits an account, and every such write moves the content
generation (:mod:`app.generation`). So a view decorated with
:func:`cached_view` renders once per (reader, URL, generation) and each
process keeps the result in a small LRU. A request reads the generation
once, before anything else it reads (:func:`app.generation.peek`), and a
reader known at that generation comes from memory too
(:func:`app.auth_session.session_reader`), so a hit runs that one small
query and nothing else. Writes from any process, node or tool move the
number, so nothing is ever served stale.

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
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import wraps
from typing import Any

from flask import Flask, current_app, g, request, session
from flask.wrappers import Response
from flask_wtf.csrf import generate_csrf

from app import generation
from app.db_types import utcnow
from app.generation import GenerationMemo
from app.lru import BoundedLRU
from app.templating import ago

TOKENS_KEPT = 4096
MAX_TOKEN_REUSE_SECONDS = 300.0

_SLOT = "wren" + secrets.token_hex(16)
_CSRF, _AGO = "C", "A"
_CACHEABLE_HEADERS = {"content-type", "content-length"}

Viewer = Callable[[], "int | None"]


@dataclass(frozen=True, slots=True)
class CachedPage:
    """A rendered body cut at its slots: ``head (kind, text)*``."""

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
    ) -> CachedPage | None:
        """Cut ``body``; None if its slots do not match the times taken."""
        head, *parts = body.split(_SLOT)
        kinds = "".join(part[:1] for part in parts)
        if kinds.count(_AGO) != len(times) or kinds.strip(_CSRF + _AGO):
            return None
        return cls(
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
        now = utcnow()
        token = None
        for kind, rest in zip(self.kinds, self.rests, strict=True):
            if kind == _AGO:
                out.append(ago(next(times), now))
            else:
                token = token or csrf_token()
                out.append(token)
            out.append(rest)
        return "".join(out)


class PageCache:
    """The pages of one app in one process, each for the generation it shows.

    It also keeps each session's signed CSRF token for a few minutes (see
    :func:`csrf_token`).
    """

    def __init__(self, maxsize: int, token_reuse_seconds: float) -> None:
        self.pages: GenerationMemo[CachedPage] = GenerationMemo(maxsize)
        self.token_reuse_seconds = token_reuse_seconds
        self._tokens: BoundedLRU[tuple[str, float]] = BoundedLRU(TOKENS_KEPT)

    def signed_token(self, secret: str) -> str | None:
        """A token signed for ``secret`` less than a few minutes ago, if any."""
        known = self._tokens.get(secret)
        if known is None or time.time() - known[1] >= self.token_reuse_seconds:
            return None
        return known[0]

    def keep_token(self, secret: str, token: str) -> None:
        self._tokens.put(secret, (token, time.time()))


def csrf_token() -> str:
    """Flask-WTF's generate_csrf(), reusing a session's token for a while.

    Flask-WTF signs the session's CSRF secret afresh for every request, an
    HMAC and two base64 passes. A signed token stays valid for the whole
    WTF_CSRF_TIME_LIMIT whichever request made it, so a page from the cache
    takes one signed in the last few minutes (a twelfth of the limit, at
    most five minutes): it still has over nine tenths of its life ahead.
    """
    field = _csrf_field()
    if field in g:
        return g.get(field)
    cache: PageCache | None = current_app.extensions.get("wren_page_cache")
    secret = session.get(field)
    if cache is not None and isinstance(secret, str):
        token = cache.signed_token(secret)
        if token is not None:
            setattr(g, field, token)
            return token
    token = generate_csrf()
    if cache is not None:
        cache.keep_token(session[field], token)
    return token


def ago_text(value: datetime) -> str:
    """``ago(value)``, or a slot while a page renders for the cache."""
    taken: list[datetime] | None = g.get("wren_page_times")
    if taken is None:
        return ago(value)
    taken.append(value)
    return _SLOT + _AGO


def cached_view(viewer: Viewer) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Serve a GET view from the page cache; ``viewer`` names the reader.

    ``viewer`` runs first: finding the reader fixes the generation the
    request goes by (:func:`app.generation.for_request`; for an anonymous
    reader it is read here), before anything the page shows is read.
    """

    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            cache: PageCache | None = current_app.extensions.get("wren_page_cache")
            if cache is None or request.method != "GET" or "_flashes" in session:
                return view(*args, **kwargs)
            reader = viewer()
            current = generation.for_request()
            if current is None:  # the row is gone: cache nothing
                return view(*args, **kwargs)
            key = (request.script_root, request.full_path, reader)
            page = cache.pages.get(key, current)
            if page is not None:
                return current_app.response_class(
                    page.fill(), content_type=page.content_type
                )
            response, page = _render(view, args, kwargs)
            if page is None:  # could not be cut at its slots: render plainly
                return view(*args, **kwargs)
            if _cacheable(response):
                cache.pages.put(key, current, page)
            return response

        return wrapper

    return decorator


def _render(
    view: Callable[..., Any], args: Any, kwargs: Any
) -> tuple[Response, CachedPage | None]:
    """Run ``view`` with slots for the per-request values, then fill them.

    The page is None when the body cannot be cut (a streamed response, or
    slots that do not match): the caller must then render without slots.
    """
    field = _csrf_field()
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
    page = CachedPage.cut(response.get_data(as_text=True), times, response.content_type)
    if page is not None and page.kinds:
        response.set_data(page.fill())
    return response, page


def _csrf_field() -> str:
    """Where Flask-WTF keeps the signed token in g (and the secret in session)."""
    return current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")


def _cacheable(response: Response) -> bool:
    return response.status_code == 200 and all(
        name.lower() in _CACHEABLE_HEADERS for name, _ in response.headers
    )


def init_app(app: Flask) -> None:
    size = app.config["PAGE_CACHE_SIZE"]
    if size > 0:
        limit = app.config.get("WTF_CSRF_TIME_LIMIT", 3600)
        reuse = min(MAX_TOKEN_REUSE_SECONDS, limit / 12) if limit else 300.0
        app.extensions["wren_page_cache"] = PageCache(size, reuse)
