"""Account changes made by operators from the command line."""

from __future__ import annotations

import sqlalchemy as sa

from app import validation
from app.db_types import utcnow
from app.extensions import db
from app.media_models import Media
from app.models import User
from app.services import accounts, exports, media
from app.services.errors import DomainError, NotFound, checked

EMAIL_TAKEN = "That email address already has an account."


def get_user(username: str) -> User:
    """:raises NotFound: if nobody has that username (ignoring case)."""
    user = accounts.find_by_username(username)
    if user is None:
        raise NotFound(f"There is no user called {username}.", "username")
    return user


def create_user(username: str, email: str, password: str, admin: bool = False) -> User:
    """Create an account whose address counts as confirmed.

    The operator vouches for the address, so no confirmation mail is sent.
    Same rules as registration (name, address, password strength, uniqueness).
    """
    username = checked(validation.clean_username, "username", username)
    email = checked(validation.clean_email, "email", email)
    checked(validation.check_password_strength, "password", password, username, email)
    if accounts.find_by_username(username) is not None:
        raise DomainError(accounts.USERNAME_TAKEN, "username")
    if accounts.find_by_email(email) is not None:
        raise DomainError(EMAIL_TAKEN, "email")
    user = User(
        username=username,
        email=email,
        is_admin=admin,
        role="admin" if admin else "user",
    )
    user.email_confirmed_at = utcnow()
    user.set_password(password)
    db.session.add(user)
    try:
        db.session.commit()
    except sa.exc.IntegrityError:
        db.session.rollback()
        raise DomainError("That username or email address was just taken.") from None
    return user


def delete_user(user: User) -> None:
    """Delete ``user``; the database cascades to posts, follows, tokens,
    pictures and exports (whose files go once that is committed; pictures
    once nobody else's row names them)."""
    files = [user.avatar, *media.file_names(Media.user_id == user.id)]
    export_files = exports.files_of(user.id)
    db.session.delete(user)
    db.session.commit()
    media.remove_unused(files)
    exports.remove_files(export_files)
