"""Registration, authentication and profile changes."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from functools import cache

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l
from werkzeug.security import check_password_hash, generate_password_hash

from app import validation
from app.db_types import utcnow
from app.extensions import db
from app.media_models import Media
from app.models import Like, Post, User, follows, table_of
from app.services import api_tokens, exports, invites, mail, media, sessions, tokens
from app.services.errors import DomainError, checked

USERNAME_TAKEN = _l("That username is taken. Please choose another.")


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
        check_password_hash(
            _dummy_hash(current_app.config["PASSWORD_HASH_METHOD"]), password
        )
        return None
    return user if user.check_password(password) else None


def register(
    username: str, email: str, password: str, invite: str | None = None
) -> User | None:
    """Create an account and mail a confirmation link.

    REGISTRATION_MODE decides the rest: with ``approval`` the account waits
    for a moderator; with ``invite`` it takes one use of the code ``invite``
    in the same transaction (:mod:`app.services.invites`).

    Returns None, without creating anything, when the address already has an
    account: its owner is mailed a notice and the caller answers exactly as
    on success, in about the same time (the password is hashed either way),
    so the form cannot be used to test addresses.
    """
    mode = current_app.config["REGISTRATION_MODE"]
    if mode == "invite" and not invites.is_usable(invite):
        raise DomainError(
            invites.INVITE_REFUSED if invite else invites.INVITE_REQUIRED, "invite"
        )
    username = checked(validation.clean_username, "username", username)
    email = checked(validation.clean_email, "email", email)
    checked(validation.check_password_strength, "password", password, username, email)
    if find_by_username(username) is not None:
        raise DomainError(USERNAME_TAKEN, "username")
    # Hashed before the address is looked up: a taken address costs the same
    # hash as a new one, so the time taken does not tell them apart.
    password_hash = generate_password_hash(
        password, method=current_app.config["PASSWORD_HASH_METHOD"]
    )
    existing = find_by_email(email)
    if existing is not None:
        mail.send_account_exists(existing)
        return None

    user = User(
        username=username,
        email=email,
        password_hash=password_hash,
        pending=mode == "approval",
    )
    db.session.add(user)
    try:
        if mode == "invite":
            invites.take_use(invite)
        db.session.commit()
    except DomainError:
        db.session.rollback()
        raise
    except sa.exc.IntegrityError:
        # Lost a race with a simultaneous registration: decide who won.
        db.session.rollback()
        if find_by_username(username) is not None:
            raise DomainError(USERNAME_TAKEN, "username") from None
        existing = find_by_email(email)
        if existing is not None:
            mail.send_account_exists(existing)
            return None
        raise
    mail.send_confirmation(user)
    return user


def update_profile(
    user: User,
    username: str | None = None,
    about_me: str | None = None,
    language: str | None = None,
) -> User:
    """Change what is given; ``language=""`` goes back to the browser's."""
    if username is not None:
        username = checked(validation.clean_username, "username", username)
        other = find_by_username(username)
        if other is not None and other.id != user.id:
            raise DomainError(USERNAME_TAKEN, "username")
        user.username = username
    if about_me is not None:
        user.about_me = checked(validation.clean_about_me, "about_me", about_me)
    if language is not None:
        if language and language not in current_app.config["LANGUAGES"]:
            raise DomainError(UNKNOWN_LANGUAGE, "language")
        user.language = language or None
    try:
        db.session.commit()
    except sa.exc.IntegrityError:
        db.session.rollback()
        raise DomainError(USERNAME_TAKEN, "username") from None
    return user


class Confirmed(Enum):
    """What following a confirmation link did."""

    CONFIRMED = "confirmed"
    ALREADY = "already"
    EMAIL_CHANGED = "email_changed"


UNKNOWN_LANGUAGE = _l("That language is not available.")
WRONG_PASSWORD = _l("That password is not correct.")  # noqa: S105
SAME_EMAIL = _l("That is already your address.")


def confirm_email(token: str) -> tuple[User, Confirmed]:
    """Apply a confirmation or email-change link; raises tokens.InvalidToken.

    A link carries the address it was sent to and a fingerprint of the
    address the account had then. A plain confirmation needs the address to
    be unchanged; a change link needs the account to still have the address
    it had when the change was asked for, so each works once.
    """
    data = tokens.load(
        tokens.CONFIRM, token, current_app.config["CONFIRM_TOKEN_MAX_AGE"]
    )
    user = tokens.user_for(data)
    email = data.get("email")
    if not isinstance(email, str) or data.get("from") != tokens.fingerprint(user.email):
        raise tokens.InvalidToken()
    if email == user.email:
        if user.email_confirmed_at is not None:
            return user, Confirmed.ALREADY
        user.email_confirmed_at = utcnow()
        db.session.commit()
        return user, Confirmed.CONFIRMED
    return user, _apply_email_change(user, email)


def _apply_email_change(user: User, email: str) -> Confirmed:
    if find_by_email(email) is not None:
        # Someone registered the address after the link was sent.
        raise tokens.InvalidToken(_l("That address now belongs to another account."))
    old_email = user.email
    user.email = email
    user.email_confirmed_at = utcnow()
    try:
        db.session.commit()
    except sa.exc.IntegrityError:
        db.session.rollback()
        raise tokens.InvalidToken(
            "That address now belongs to another account."
        ) from None
    mail.send_email_changed(user, old_email)
    return Confirmed.EMAIL_CHANGED


def resend_confirmation(user: User) -> bool:
    """Mail a new confirmation link; False when there is nothing to confirm."""
    if user.email_confirmed:
        return False
    mail.send_confirmation(user)
    return True


def request_password_reset(email: str) -> None:
    """Mail a reset link if an account holds ``email``; silent otherwise.

    Both paths render the mail so the caller's response time does not tell
    whether the address is known.
    """
    try:
        email = validation.clean_email(email)
    except ValueError:
        mail.build_dummy_reset("nobody@example.invalid")
        return
    user = find_by_email(email)
    if user is None:
        mail.build_dummy_reset(email)
        return
    mail.send_password_reset(user)


def check_reset_token(token: str) -> User:
    """The user a reset link is for; raises tokens.InvalidToken if unusable."""
    return tokens.user_for_reset(token)


def reset_password(token: str, password: str) -> User:
    """Set a new password from a reset link; ends every session of the user.

    :raises tokens.InvalidToken: the link is bad, expired or already used.
    :raises DomainError: the password breaks the rules (field "password").
    """
    user = tokens.user_for_reset(token)
    checked(
        validation.check_password_strength,
        "password",
        password,
        user.username,
        user.email,
    )
    user.set_password(password)
    # The mail proved the reader owns the address.
    if user.email_confirmed_at is None:
        user.email_confirmed_at = utcnow()
    _end_sessions(user)
    db.session.commit()
    mail.send_password_changed(user)
    return user


def change_password(user: User, current_password: str, password: str) -> User:
    """Change the password; other sessions and API tokens stop working.

    The caller logs the current session in again with the new version.
    """
    if not user.check_password(current_password or ""):
        raise DomainError(WRONG_PASSWORD, "current_password")
    checked(
        validation.check_password_strength,
        "password",
        password,
        user.username,
        user.email,
    )
    user.set_password(password)
    _end_sessions(user)
    db.session.commit()
    mail.send_password_changed(user)
    return user


def request_email_change(user: User, password: str, new_email: str) -> None:
    """Mail a confirmation link to ``new_email``; nothing changes until used.

    When another account holds the address, the caller still answers as on
    success so the form cannot be used to test addresses; that address's
    owner is told instead. The current address is told in both cases.
    """
    if not user.check_password(password or ""):
        raise DomainError(WRONG_PASSWORD, "password")
    new_email = checked(validation.clean_email, "email", new_email)
    if new_email == user.email:
        raise DomainError(SAME_EMAIL, "email")
    if find_by_email(new_email) is not None:
        mail.send_address_in_use(new_email)
    else:
        mail.send_confirmation(user, new_email)
    mail.send_email_change_notice(user, new_email)


def delete_account(user: User, password: str) -> None:
    """Delete the user with their posts, follows and API tokens."""
    if not user.check_password(password or ""):
        raise DomainError(WRONG_PASSWORD, "password")
    _uncount_likes_and_replies(user)
    export_files = exports.files_of(user.id)
    files = [user.avatar, *media.file_names(Media.user_id == user.id)]
    # Explicit deletes: SQLite only cascades with foreign keys switched on.
    db.session.execute(
        sa.delete(follows).where(
            sa.or_(follows.c.follower_id == user.id, follows.c.followed_id == user.id)
        )
    )
    db.session.execute(sa.delete(Post).where(Post.user_id == user.id))
    _end_sessions(user)
    db.session.execute(sa.delete(User).where(User.id == user.id))
    db.session.commit()
    exports.remove_files(export_files)
    # Only now, and only files no one else's row names (the same picture
    # uploaded by two people is one file).
    media.remove_unused(files)


def _uncount_likes_and_replies(user: User) -> None:
    """Take the user's likes and replies off other people's post counters
    before the rows go with the account."""
    posts, likes = table_of(Post), table_of(Like)
    db.session.execute(
        sa.update(posts)
        .where(
            posts.c.id.in_(sa.select(likes.c.post_id).where(likes.c.user_id == user.id))
        )
        .values(like_count=posts.c.like_count - 1)
    )
    replies = posts.alias("replies")
    db.session.execute(
        sa.update(posts)
        .where(
            posts.c.user_id != user.id,
            posts.c.id.in_(
                sa.select(replies.c.in_reply_to_id).where(replies.c.user_id == user.id)
            ),
        )
        .values(
            reply_count=posts.c.reply_count
            - sa.select(sa.func.count())
            .where(replies.c.in_reply_to_id == posts.c.id, replies.c.user_id == user.id)
            .scalar_subquery()
        )
    )


def _end_sessions(user: User) -> None:
    # In the caller's transaction: the logins end with the change that ends them.
    sessions.end_all(user, commit=False)
    _revoke_api_tokens(user)


def _revoke_api_tokens(user: User) -> None:
    # In the caller's transaction: the tokens go with the change that ends them.
    api_tokens.revoke_all(user, commit=False)


def record_activity(user_id: int, last_seen: datetime) -> None:
    """Move the user's ``last_seen`` to now, at most once per LAST_SEEN_INTERVAL.

    Pages and the API both call this, so a busy user costs one write a minute.
    """
    threshold = sessions.stale_before()
    if last_seen > threshold:
        return
    # A conditional UPDATE, so concurrent requests write at most once.
    db.session.execute(
        sa.update(User)
        .where(User.id == user_id, User.last_seen <= threshold)
        .values(last_seen=utcnow())
    )
    db.session.commit()
