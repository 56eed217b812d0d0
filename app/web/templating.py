"""Template filters and globals."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Flask

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


def init_app(app: Flask) -> None:
    app.add_template_filter(iso_utc, "iso_utc")
    app.add_template_filter(human_utc, "human_utc")
    app.add_template_filter(ago, "ago")
