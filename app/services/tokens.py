"""Signed, expiring, single-use tokens for email links.

Nothing is stored server-side: each token is signed with SECRET_KEY and
carries a fingerprint of the account state its use changes (the address for
confirmation and email change, the password hash for reset), so once used it
no longer matches and is refused.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from app.extensions import db
from app.models import User

CONFIRM = "wren.confirm-email"
RESET = "wren.reset-password"

INVALID = _l("This link is invalid or has already been used.")
EXPIRED = _l("This link has expired. Please ask for a new one.")


class InvalidToken(Exception):
    """The link is malformed, tampered with, expired or already used."""

    def __init__(self, message: str | LazyString = INVALID) -> None:
        super().__init__(message)
        self.message = message


def _serializer(salt: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=salt)


def fingerprint(value: str) -> str:
    """A short digest that binds a token to state that changes on use."""
    return hashlib.sha256(value.encode()).hexdigest()[:16]


def make_confirm_token(user: User, email: str | None = None) -> str:
    """A link that confirms ``email`` (default: the current address) for user.

    A different address makes it an email-change link: it is bound to the
    address the account has now, so it works once and only from that state.
    """
    email = email or user.email
    return _serializer(CONFIRM).dumps(
        {"uid": user.id, "email": email, "from": fingerprint(user.email)}
    )


def make_reset_token(user: User) -> str:
    return _serializer(RESET).dumps({"uid": user.id, "pw": _reset_state(user)})


def _reset_state(user: User) -> str:
    # Changing the password (or the address the link went to) spends the link.
    return fingerprint(f"{user.password_hash}\x00{user.email}")


def load(salt: str, token: str, max_age: int) -> dict[str, Any]:
    """Verify signature and age; raises InvalidToken with a message to show."""
    try:
        data = _serializer(salt).loads(token, max_age=max_age)
    except SignatureExpired:
        raise InvalidToken(EXPIRED) from None
    except BadSignature:
        raise InvalidToken(INVALID) from None
    if not isinstance(data, dict) or not isinstance(data.get("uid"), int):
        raise InvalidToken(INVALID)
    return data


def user_for(data: dict[str, Any]) -> User:
    user = db.session.get(User, data["uid"])
    if user is None:
        raise InvalidToken(INVALID)
    return user


def user_for_reset(token: str) -> User:
    """The user a still-valid reset link belongs to."""
    data = load(RESET, token, current_app.config["RESET_TOKEN_MAX_AGE"])
    user = user_for(data)
    if not hmac.compare_digest(str(data.get("pw", "")), _reset_state(user)):
        raise InvalidToken(INVALID)
    return user
