"""Flask-Login wiring: loading users from the session and tracking last_seen."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from flask import Flask, current_app, request, session
from flask_login import LoginManager, current_user, logout_user

from app import generation
from app.db_types import utcnow
from app.extensions import db
from app.generation import GENERATION
from app.models import User
from app.page_cache import note_generation

USER_ROWS_KEPT = 4096
# Endpoints that must not touch the database or the session.
_QUIET_BLUEPRINTS = {"health"}
# Built once: Session.get() builds and compiles a fresh query on every call
# (in an identity map miss, which every request is), which cost twice this.
# The content generation comes along for the page cache (app/page_cache.py).
_USER_BY_ID = sa.select(User, GENERATION).where(User.id == sa.bindparam("uid"))


def load_user(user_id: str) -> User | None:
    """Load the user named by a session or remember-me id of ``id:version``.

    A stale version means the password changed since the session began.
    """
    try:
        raw_id, raw_version = user_id.split(":", 1)
        uid, version = int(raw_id), int(raw_version)
    except ValueError:
        return None
    user = current_user_row(uid)
    if user is None or user.session_version != version:
        return None
    return user


def current_user_row(uid: int) -> User | None:
    """User ``uid``, from memory when nothing has changed since it was read.

    The content generation moves with every write to users (last_seen and
    password changes included), so an unchanged generation means an
    unchanged row: the one cheap read of the number replaces the ORM query.
    The number is read first, before anything else the request reads.
    """
    rows = generation.memo("wren_user_rows", USER_ROWS_KEPT)
    now = generation.peek()
    values = rows.get(uid, now)
    if values is not None:
        note_generation(now)
        return User.from_snapshot(values)
    row = db.session.execute(_USER_BY_ID, {"uid": uid}).first()
    if row is None:
        return None
    user, read_at = row
    rows.put(uid, read_at, user.snapshot())
    note_generation(read_at)
    return user


def end_browser_session() -> None:
    """Log this browser out: empty the session and delete remember-me.

    The order matters: logout_user() leaves a note in the session that makes
    Flask-Login delete the remember-me cookie, which clear() would erase.
    """
    session.clear()
    logout_user()


def record_activity(user: User) -> None:
    """Move ``user.last_seen`` to now, at most once per LAST_SEEN_INTERVAL.

    Pages and the API both call this, so a busy user costs one write a minute.
    """
    now = utcnow()
    threshold = now - timedelta(seconds=current_app.config["LAST_SEEN_INTERVAL"])
    if user.last_seen > threshold:
        return
    # A conditional UPDATE so concurrent requests write at most once.
    db.session.execute(
        sa.update(User)
        .where(User.id == user.id, User.last_seen <= threshold)
        .values(last_seen=now)
    )
    db.session.commit()


def touch_last_seen() -> None:
    if request.blueprint in _QUIET_BLUEPRINTS or request.endpoint == "static":
        return
    if current_user.is_authenticated:
        record_activity(current_user._get_current_object())


def reader_id() -> int | None:
    """The logged-in user's id, or None: the pages' cache key."""
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
