"""Template filters and globals."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Flask


def iso_utc(value: datetime) -> str:
    """ISO 8601 in UTC with a Z, for <time datetime> and the API."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def human_utc(value: datetime) -> str:
    """Readable fallback text shown until the browser localises the time."""
    return value.astimezone(UTC).strftime("%d %b %Y, %H:%M UTC")


def init_app(app: Flask) -> None:
    app.add_template_filter(iso_utc, "iso_utc")
    app.add_template_filter(human_utc, "human_utc")
