"""Template filters and globals."""

from __future__ import annotations

import functools
import hashlib
from datetime import UTC, datetime

import sqlalchemy as sa
from babel import Locale
from babel.dates import (
    DateTimePattern,
    get_datetime_format,
    match_skeleton,
    parse_pattern,
)
from flask import Flask, current_app, g, request, session
from flask_babel import format_date, get_locale
from flask_wtf.csrf import generate_csrf

# The module, not its names: app.i18n imports app.web.login, which loads
# this package first.
from app import i18n
from app.extensions import db
from app.services import messages, notifications
from app.web.login import reader


def iso_utc(value: datetime) -> str:
    """ISO 8601 in UTC with a Z, for <time datetime> and the API."""
    # isoformat() is several times faster than strftime(), and the API
    # formats 25 of these per page.
    if value.tzinfo is not UTC:
        value = value.astimezone(UTC)
    return value.replace(microsecond=0, tzinfo=None).isoformat() + "Z"


def human_utc(value: datetime) -> str:
    """A time in the page's language and in UTC (the one zone the server
    knows), shown until static/js/app.js rewrites it in the reader's zone."""
    locale = get_locale() or Locale("en")
    return _utc_pattern(str(locale)).apply(value.astimezone(UTC), locale)


@functools.lru_cache(maxsize=32)
def _utc_pattern(language: str) -> DateTimePattern:
    """human_utc's pattern in ``language``: its own date (yMMMd) and time
    (Hm) skeletons, joined its own way ("{1}, {0}"), then " UTC".

    Matching the skeletons was most of the cost of a time, and every card
    shows one: it is done once per language here.
    """
    locale = Locale.parse(language)
    skeletons = locale.datetime_skeletons
    day = skeletons[match_skeleton("yMMMd", skeletons)]
    time = skeletons[match_skeleton("Hm", skeletons)]
    joined = str(get_datetime_format("medium", locale=locale))
    return parse_pattern(
        joined.replace("{1}", str(day)).replace("{0}", f"{time} 'UTC'")
    )


def human_date(value: datetime) -> str:
    """A day in the page's language ("30 de noviembre de 2026")."""
    return format_date(value.astimezone(UTC), "long")


def render_version(app: Flask) -> str:
    """A digest of everything that shapes rendered HTML besides the data:
    every template, the translation catalogues, the avatar settings and the
    signing key.

    Part of every fragment key and ETag, so a deploy or a new key never
    serves or confirms HTML made by the old one, from any shared cache.
    """
    digest = hashlib.blake2b(digest_size=8)
    loader = app.jinja_env.loader
    if loader is not None:
        for name in sorted(loader.list_templates()):
            source, _, _ = loader.get_source(app.jinja_env, name)
            digest.update(name.encode() + b"\0" + source.encode() + b"\0")
    digest.update(i18n.catalogue_digest(app).encode() + b"\0")
    for setting in ("AVATAR_PROVIDER", "SECRET_KEY"):
        digest.update(str(app.config[setting]).encode() + b"\0")
    return digest.hexdigest()


def fragment_key(*parts: object) -> str:
    """One cache key for a layout fragment that shows ``parts``."""
    # The language is part of every key: a fragment rendered in one must
    # never be served in another.
    locale = str(get_locale())
    version = current_app.config["WREN_RENDER_VERSION"]
    text = repr((version, locale, request.script_root, parts))
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


def nav_key() -> str:
    """The navigation bar's key: the reader, the page it marks as current,
    and the session's CSRF secret (its logout form holds a token made from
    it, valid for the whole session)."""
    endpoint = request.endpoint
    user = reader()
    if user is None:
        return fragment_key("nav", endpoint)
    own_profile = (
        endpoint == "main.user_profile"
        and (request.view_args or {}).get("username") == user.username
    )
    return fragment_key(
        "nav",
        endpoint,
        own_profile,
        user.id,
        user.username,
        user.email,
        user.avatar,
        user.role,
        unread_notifications(),
        unread_messages(),
        csrf_secret(),
    )


def unread_notifications() -> int:
    """The reader's unread notification count, read once per request."""
    return _unread()[0]


def unread_messages() -> int:
    """The reader's unread private message count, read once per request."""
    return _unread()[1]


# Both badges in one statement: every page of a logged-in reader shows them.
_UNREAD_BOTH = sa.select(
    notifications.UNREAD.scalar_subquery(), messages.UNREAD.scalar_subquery()
)


def _unread() -> tuple[int, int]:
    user = reader()
    if user is None:
        return (0, 0)
    if "wren_unread" not in g:
        row = db.session.execute(_UNREAD_BOTH, {"user_id": user.id}).one()
        g.wren_unread = (int(row[0] or 0), int(row[1] or 0))
    counts: tuple[int, int] = g.wren_unread
    return counts


def csrf_secret() -> str:
    """This session's CSRF secret, made now if the session has none yet.

    Keys and ETags of HTML that holds CSRF tokens include it: a token made
    from it is valid for the whole session (WTF_CSRF_TIME_LIMIT is None),
    and a new session (after logging in again) gets a new secret, so HTML
    with another session's token is never reused.
    """
    field = current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
    if field not in session:
        generate_csrf()  # stores a new secret in the session
    return str(session[field])


def init_app(app: Flask) -> None:
    app.config["WREN_RENDER_VERSION"] = render_version(app)
    app.add_template_global(fragment_key, "fragment_key")
    app.add_template_global(nav_key, "nav_key")
    app.add_template_global(unread_notifications, "unread_notifications")
    app.add_template_global(unread_messages, "unread_messages")
    app.add_template_filter(iso_utc, "iso_utc")
    app.add_template_filter(human_utc, "human_utc")
    app.add_template_filter(human_date, "human_date")
