"""Signed, expiring, single-use tokens for email links."""

from __future__ import annotations

import hashlib
from typing import Any

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from app.extensions import db
from app.models import User

CONFIRM = "wren.confirm-email"


class InvalidToken(Exception):
    """The link is malformed, tampered with, expired or already used."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _serializer(salt: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=salt)


def fingerprint(value: str) -> str:
    """A short digest that binds a token to state that changes on use."""
    return hashlib.sha256(value.encode()).hexdigest()[:16]


def make_confirm_token(user: User, email: str | None = None) -> str:
    """A link that confirms ``email`` (default: the current address) for user."""
    email = email or user.email
    return _serializer(CONFIRM).dumps({"uid": user.id, "email": email})


def load(salt: str, token: str, max_age: int) -> dict[str, Any]:
    try:
        data = _serializer(salt).loads(token, max_age=max_age)
    except SignatureExpired:
        raise InvalidToken("This link has expired. Please ask for a new one.") from None
    except BadSignature:
        raise InvalidToken("This link is invalid or has already been used.") from None
    if not isinstance(data, dict) or "uid" not in data:
        raise InvalidToken("This link is invalid or has already been used.")
    return data


def user_for(data: dict[str, Any]) -> User:
    user = db.session.get(User, data["uid"])
    if user is None:
        raise InvalidToken("This link is invalid or has already been used.")
    return user
