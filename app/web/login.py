"""Flask-Login wiring: each browser login is a server-side record.

The session and remember-me cookies carry the record's random token (see
app/services/sessions.py), so logging out, revoking a session or changing
the password deletes the record and every copy of the cookies stops working,
on every node at once.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, g, request, session
from flask_babel import lazy_gettext as _l
from flask_login import (
    AnonymousUserMixin,
    LoginManager,
    current_user,
    login_user,
    logout_user,
)

from app.models import User
from app.services import accounts, sessions

# Health checks must not touch the database or the session; the API records
# activity when it checks a token (app/api/auth.py).
_NOT_TRACKED_HERE = {"health", "api"}


def load_user(token: str) -> User | None:
    """Flask-Login's user loader: the user of a live login token."""
    found = sessions.resolve(token)
    if found is None:
        return None
    user, record = found
    if user.is_suspended or user.pending:
        # Suspension ends every login; this refuses any that raced it.
        return None
    user.login_token = token
    user.login_record = record
    g.wren_reader = user
    return user


def reader() -> User | None:
    """The logged-in user as an object, or None; asks Flask-Login once.

    Code that reads the user many times per request (the layout, ETags)
    uses this rather than going through the ``current_user`` proxy each time.
    """
    if "wren_reader_known" not in g:
        known = None
        if not g.get("wren_database_down") and current_user.is_authenticated:
            known = g.get("wren_reader")
        g.wren_reader_known = known
    return g.wren_reader_known  # type: ignore[no-any-return]


def log_in(user: User, *, remember: bool) -> None:
    """Start a new login record for ``user`` and put it in this browser.

    The session is emptied first, so nothing planted before login survives.
    """
    token = sessions.start(
        user,
        remember=remember,
        user_agent=request.headers.get("User-Agent", ""),
        ip=request.remote_addr or "",
    )
    user.login_token = token
    session.clear()
    login_user(user, remember=remember)
    g.wren_reader = g.wren_reader_known = user


def end_browser_session() -> None:
    """Log this browser out: delete its login record, the session and remember-me.

    The order matters: logout_user() leaves a note in the session that makes
    Flask-Login delete the remember-me cookie, which clear() would erase.
    """
    if current_user.is_authenticated and current_user.login_token:
        sessions.end(current_user.login_token)
    session.clear()
    logout_user()
    g.pop("wren_reader", None)
    g.pop("wren_reader_known", None)


def note_activity() -> None:
    """Move last_seen and the login's last use on, at most once a minute."""
    if request.blueprint in _NOT_TRACKED_HERE or request.endpoint == "static":
        return
    user = reader()
    if user is None:
        return
    if user.login_record is not None:
        sessions.touch(user.login_record)
    accounts.record_activity(user.id, user.last_seen)


def mark_database_down() -> None:
    """Render this request's page as anonymous: the reader cannot be loaded."""
    g.wren_database_down = True


def database_down() -> bool:
    """Whether this request found the database unreachable."""
    return bool(g.get("wren_database_down"))


def template_user() -> dict[str, Any]:
    """``current_user`` for templates, as the object rather than the proxy.

    A page reads it dozens of times, and each read through Flask-Login's
    proxy looks the user up again. While the database is down the reader
    cannot be loaded, so the page is rendered as anonymous.
    """
    if g.get("wren_database_down"):
        return {"current_user": AnonymousUserMixin()}
    return {"current_user": reader() or current_user}


def init_app(app: Flask, login_manager: LoginManager) -> None:
    # Our own context processor instead of Flask-Login's, which loads the
    # user eagerly, even while rendering the database-down page.
    login_manager.init_app(app, add_context_processor=False)
    app.context_processor(template_user)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please log in to see this page.")
    # Flashed as a plain string, translated for the request at hand.
    login_manager.localize_callback = str
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"
    login_manager.user_loader(load_user)
    app.before_request(note_activity)
