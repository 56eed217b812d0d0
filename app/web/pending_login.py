"""The state between a correct password and the second factor.

It lives in the signed session under its own key, never in Flask-Login's,
so it logs nobody in: it names the account, a random nonce (each password
step starts a distinct state), when it expires, and what the login form
asked for (remember-me and the page to go back to).
"""

from __future__ import annotations

import secrets
import time
from typing import Any

from flask import session

from app.extensions import db
from app.models import User

KEY = "wren_2fa_pending"
LIFETIME = 300  # seconds to type the code


def begin(user: User, *, remember: bool, next_page: str | None) -> None:
    session[KEY] = {
        "uid": user.id,
        "nonce": secrets.token_urlsafe(16),
        "exp": int(time.time()) + LIFETIME,
        "remember": bool(remember),
        "next": next_page or "",
    }


def _state() -> dict[str, Any] | None:
    state = session.get(KEY)
    if not isinstance(state, dict) or not isinstance(state.get("uid"), int):
        return None
    if not isinstance(state.get("exp"), int) or state["exp"] <= time.time():
        return None
    return state


def user_id() -> int | None:
    state = _state()
    return state["uid"] if state else None


def user() -> User | None:
    """The pending account, if the state is live and it still uses 2FA."""
    found = user_id()
    account = db.session.get(User, found) if found is not None else None
    return account if account is not None and account.two_factor_enabled else None


def remember() -> bool:
    state = _state()
    return bool(state and state.get("remember"))


def next_page() -> str | None:
    state = _state()
    return (state.get("next") or None) if state else None


def clear() -> None:
    session.pop(KEY, None)
