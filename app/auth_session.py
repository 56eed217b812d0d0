"""Flask-Login wiring: loading users from the session and tracking last_seen."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import Flask, current_app, g, request, session
from flask_login import LoginManager, current_user, logout_user

from app import generation
from app.db_types import utcnow
from app.extensions import db
from app.generation import GENERATION
from app.models import User

USER_ROWS_KEPT = 4096
# Health checks must not touch the database or the session; the API records
# activity when it checks a token (app/api/auth.py).
_NOT_TRACKED_HERE = {"health", "api"}
# Built once: Session.get() builds and compiles a fresh query on every call
# (in an identity map miss, which every request is), which cost twice this.
# The content generation comes along for the page cache (app/page_cache.py).
_USER_BY_ID = sa.select(User, GENERATION).where(User.id == sa.bindparam("uid"))


def load_user(user_id: str) -> User | None:
    """Load the user named by a session or remember-me id of ``id:version``.

    A stale version means the password changed since the session began.
    """
    parsed = _parse_user_id(user_id)
    if parsed is None:
        return None
    uid, version = parsed
    user = current_user_row(uid)
    if user is None or user.session_version != version:
        return None
    return user


def _parse_user_id(user_id: str) -> tuple[int, int] | None:
    """``"12:3"`` (see User.get_id) -> ``(12, 3)``; None for anything else."""
    try:
        raw_id, raw_version = user_id.split(":", 1)
        return int(raw_id), int(raw_version)
    except ValueError:
        return None


def current_user_row(uid: int) -> User | None:
    """User ``uid``, from memory when nothing has changed since it was read.

    The content generation moves with every write to users (last_seen and
    password changes included), so an unchanged generation means an
    unchanged row: the one cheap read of the number replaces the ORM query.
    The number is read first, before anything else the request reads.
    """
    values = _remembered_row(uid)
    if values is not None:
        return User.from_snapshot(values)
    row = db.session.execute(_USER_BY_ID, {"uid": uid}).first()
    if row is None:
        return None
    user, read_at = row
    _user_rows().put(uid, read_at, user.snapshot())
    generation.note(read_at)
    return user


def _user_rows() -> generation.GenerationMemo[tuple[Any, ...]]:
    return generation.memo("wren_user_rows", USER_ROWS_KEPT)


def _remembered_row(uid: int) -> tuple[Any, ...] | None:
    """User ``uid``'s row if it is known at the request's generation."""
    return _user_rows().get(uid, generation.for_request())


def session_reader() -> tuple[Any, ...] | None:
    """The session's user's row from memory, without building a User.

    For pages served from the cache, which need only the reader's id and
    last_seen: the check is the one load_user makes (the row exists and the
    session's version is current), against a row known unchanged since it was
    read. Anything else (no ``_user_id`` in the session, as when a
    remember-me cookie must restore it, or a row not in memory) answers None,
    and the caller goes through Flask-Login as usual. Skipped this way:
    Flask-Login's "basic" session protection, which only marks a session not
    fresh, and does so on the next request that loads the user.
    """
    if "wren_reader" in g:
        return g.wren_reader
    found = None
    user_id = session.get("_user_id")
    parsed = _parse_user_id(user_id) if isinstance(user_id, str) else None
    if parsed is not None:
        uid, version = parsed
        values = _remembered_row(uid)
        if values is not None and User.field(values, "session_version") == version:
            found = values
    g.wren_reader = found
    return found


def end_browser_session() -> None:
    """Log this browser out: empty the session and delete remember-me.

    The order matters: logout_user() leaves a note in the session that makes
    Flask-Login delete the remember-me cookie, which clear() would erase.
    """
    session.clear()
    logout_user()


def record_activity(user_id: int, last_seen: datetime) -> None:
    """Move the user's ``last_seen`` to now, at most once per LAST_SEEN_INTERVAL.

    Pages and the API both call this, so a busy user costs one write a minute.
    """
    if not _last_seen_is_stale(last_seen):
        return
    now = utcnow()
    threshold = now - timedelta(seconds=current_app.config["LAST_SEEN_INTERVAL"])
    # A conditional UPDATE so concurrent requests write at most once.
    db.session.execute(
        sa.update(User)
        .where(User.id == user_id, User.last_seen <= threshold)
        .values(last_seen=now)
    )
    db.session.commit()


def _last_seen_is_stale(last_seen: datetime) -> bool:
    interval = timedelta(seconds=current_app.config["LAST_SEEN_INTERVAL"])
    return last_seen <= utcnow() - interval


def touch_last_seen() -> None:
    if request.blueprint in _NOT_TRACKED_HERE or request.endpoint == "static":
        return
    reader = session_reader()
    if reader is not None and not _last_seen_is_stale(User.field(reader, "last_seen")):
        return  # nothing to write, and no User built
    if current_user.is_authenticated:
        record_activity(current_user.id, current_user.last_seen)


def reader_id() -> int | None:
    """The logged-in user's id, or None: the pages' cache key."""
    reader = session_reader()
    if reader is not None:
        return User.field(reader, "id")  # type: ignore[no-any-return]
    return current_user.id if current_user.is_authenticated else None


def inject_user() -> dict[str, Any]:
    """Templates get the user itself, not Flask-Login's proxy.

    A page reads current_user a few dozen times, and every read through
    the proxy went through Flask-Login's lookup again.
    """
    return {"current_user": current_user._get_current_object()}


def init_app(app: Flask, login_manager: LoginManager) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please log in to see this page."
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"
    login_manager.user_loader(load_user)
    app.before_request(touch_last_seen)
    # After Flask-Login's own processor, so this value wins.
    app.context_processor(inject_user)
