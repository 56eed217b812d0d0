"""Registration, authentication and profile changes."""

from __future__ import annotations

from functools import cache

import sqlalchemy as sa
from flask import current_app
from werkzeug.security import check_password_hash, generate_password_hash

from app import validation
from app.extensions import db
from app.models import User
from app.services import notifications
from app.services.errors import DomainError

USERNAME_TAKEN = "That username is taken. Please choose another."


def find_by_login(login: str) -> User | None:
    """Find a user by username or email, ignoring case."""
    login = (login or "").strip().lower()
    if not login:
        return None
    column = User.email if "@" in login else User.username_key
    return db.session.scalar(sa.select(User).where(column == login))


def find_by_username(username: str) -> User | None:
    return db.session.scalar(
        sa.select(User).where(User.username_key == username.strip().lower())
    )


def find_by_email(email: str) -> User | None:
    return db.session.scalar(sa.select(User).where(User.email == email.lower()))


@cache
def _dummy_hash(method: str) -> str:
    return generate_password_hash("not-a-real-password", method=method)


def authenticate(login: str, password: str) -> User | None:
    """Return the user whose login and password match, else None.

    An unknown login still costs one real hash check, so response time does
    not reveal whether the account exists.
    """
    user = find_by_login(login)
    if user is None:
        check_password_hash(_dummy_hash(current_app.config["PASSWORD_HASH_METHOD"]), password)
        return None
    return user if user.check_password(password) else None


def register(username: str, email: str, password: str) -> User | None:
    """Create an account and mail a confirmation link.

    Returns None, without creating anything, when the address already has an
    account: its owner is mailed a notice and the caller answers exactly as
    on success, so the form cannot be used to test addresses.
    """
    username = _clean(validation.clean_username, username, "username")
    email = _clean(validation.clean_email, email, "email")
    _clean_password(password, username, email)
    if find_by_username(username) is not None:
        raise DomainError(USERNAME_TAKEN, "username")
    existing = find_by_email(email)
    if existing is not None:
        notifications.send_account_exists(existing)
        return None

    user = User(username=username, email=email)
    user.set_password(password)
    db.session.add(user)
    try:
        db.session.commit()
    except sa.exc.IntegrityError:
        # Lost a race with a simultaneous registration: decide who won.
        db.session.rollback()
        if find_by_username(username) is not None:
            raise DomainError(USERNAME_TAKEN, "username") from None
        existing = find_by_email(email)
        if existing is not None:
            notifications.send_account_exists(existing)
            return None
        raise
    notifications.send_confirmation(user)
    return user


def update_profile(
    user: User, username: str | None = None, about_me: str | None = None
) -> User:
    if username is not None:
        username = _clean(validation.clean_username, username, "username")
        other = find_by_username(username)
        if other is not None and other.id != user.id:
            raise DomainError(USERNAME_TAKEN, "username")
        user.username = username
    if about_me is not None:
        user.about_me = _clean(validation.clean_about_me, about_me, "about_me")
    try:
        db.session.commit()
    except sa.exc.IntegrityError:
        db.session.rollback()
        raise DomainError(USERNAME_TAKEN, "username") from None
    return user


def _clean(cleaner: object, value: str, field: str) -> str:
    try:
        return cleaner(value)  # type: ignore[operator]
    except ValueError as exc:
        raise DomainError(str(exc), field) from None


def _clean_password(password: str, username: str, email: str) -> None:
    try:
        validation.check_password_strength(password, username, email)
    except ValueError as exc:
        raise DomainError(str(exc), "password") from None


def confirm_email(token: str) -> User:
    """Confirm the address a link was sent to; raises tokens.InvalidToken."""
    from app.db_types import utcnow
    from app.services import tokens

    data = tokens.load(tokens.CONFIRM, token, current_app.config["CONFIRM_TOKEN_MAX_AGE"])
    user = tokens.user_for(data)
    if data.get("email") != user.email:
        raise tokens.InvalidToken("This link is invalid or has already been used.")
    if user.email_confirmed_at is None:
        user.email_confirmed_at = utcnow()
        db.session.commit()
    return user
