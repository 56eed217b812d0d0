"""Template filters and globals."""

from __future__ import annotations

from collections.abc import Hashable
from datetime import UTC, datetime
from typing import Any

from flask import Flask, has_request_context, request

from app.db_types import utcnow


def iso_utc(value: datetime) -> str:
    """ISO 8601 in UTC with a Z, for <time datetime> and the API."""
    # isoformat() is several times faster than strftime(), and the API
    # formats 25 of these per page.
    if value.tzinfo is not UTC:
        value = value.astimezone(UTC)
    return value.replace(microsecond=0, tzinfo=None).isoformat() + "Z"


def human_utc(value: datetime) -> str:
    """Readable fallback text shown until the browser localises the time."""
    return value.astimezone(UTC).strftime("%d %b %Y, %H:%M UTC")


_UNITS = (("year", 365 * 86400), ("day", 86400), ("hour", 3600), ("minute", 60))


def ago(value: datetime, now: datetime | None = None) -> str:
    """Say "5 minutes ago": the text shown until the browser localises it."""
    seconds = ((now or utcnow()) - value).total_seconds()
    for unit, size in _UNITS:
        if seconds >= size:
            n = int(seconds // size)
            return f"{n} {unit}{'' if n == 1 else 's'} ago"
    return "just now"


URL_CACHE_SIZE = 2048


def caching_url_for(app: Flask) -> Any:
    """A ``url_for`` for templates that remembers the URLs it has built.

    A page asks for the same two dozen URLs (stylesheets, scripts, icons,
    navigation) every time, and building each through the URL map was a
    tenth of a page's time. A path depends only on the endpoint, its values
    and the script root, so those are the key. Calls with options such as
    ``_external`` or unhashable values go straight to Flask.
    """
    built: dict[Hashable, str] = {}

    def url_for(endpoint: str, **values: Any) -> str:
        # Outside a request (mail rendered by a CLI command) or with options
        # such as _external, the URL is not just a path: ask Flask.
        if not has_request_context() or any(n.startswith("_") for n in values):
            return app.url_for(endpoint, **values)
        try:
            key = (request.script_root, endpoint, *sorted(values.items()))
            url = built.get(key)
        except TypeError:  # an unhashable value
            return app.url_for(endpoint, **values)
        if url is None:
            if len(built) >= URL_CACHE_SIZE:
                built.clear()
            url = built[key] = app.url_for(endpoint, **values)
        return url

    return url_for


def init_app(app: Flask) -> None:
    app.jinja_env.globals["url_for"] = caching_url_for(app)
    app.add_template_filter(iso_utc, "iso_utc")
    app.add_template_filter(human_utc, "human_utc")
    app.add_template_filter(ago, "ago")
