"""Login records: one row per login on one device.

A login creates a row and hands the browser a random token (kept in the
session cookie and, with remember-me, in the remember cookie); the row holds
only the token's SHA-256. Every request finds its row by that digest, so
deleting the row ends the login wherever its cookies were copied to.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from app.db_types import utcnow
from app.extensions import db
from app.models import IP_MAX, USER_AGENT_MAX, LoginSession, User
from app.services.credentials import digest, new_token, plausible

# Built once: per request only the digest is bound.
_BY_DIGEST = (
    sa.select(User, LoginSession)
    .join(LoginSession, LoginSession.user_id == User.id)
    .where(LoginSession.token_hash == sa.bindparam("digest"))
)


def _idle_timeout() -> timedelta:
    return timedelta(seconds=current_app.config["LOGIN_IDLE_TIMEOUT"])


def _remember_duration() -> timedelta:
    return timedelta(seconds=current_app.config["REMEMBER_COOKIE_DURATION"])


def start(user: User, *, remember: bool, user_agent: str, ip: str) -> str:
    """Record a new login of ``user`` and return its token (shown only once).

    Expired rows of the user go at the same time, so the table holds the live
    logins plus the few that lapsed since the user last logged in.
    """
    now = utcnow()
    token = new_token()
    lifetime = _remember_duration() if remember else _idle_timeout()
    db.session.execute(
        sa.delete(LoginSession).where(
            LoginSession.user_id == user.id, LoginSession.expires_at <= now
        )
    )
    db.session.add(
        LoginSession(
            token_hash=digest(token),
            user_id=user.id,
            created_at=now,
            last_used_at=now,
            expires_at=now + lifetime,
            remember=remember,
            user_agent=user_agent[:USER_AGENT_MAX],
            ip=ip[:IP_MAX],
        )
    )
    db.session.commit()
    return token


def resolve(token: str) -> tuple[User, LoginSession] | None:
    """The user and login record a live token belongs to, else None."""
    if not plausible(token):
        return None
    row = db.session.execute(_BY_DIGEST, {"digest": digest(token)}).first()
    if row is None:
        return None
    user, record = row
    if record.expires_at <= utcnow():
        return None
    return user, record


def stale_before() -> datetime:
    """Moments up to this are older than LAST_SEEN_INTERVAL (worth a write)."""
    return utcnow() - timedelta(seconds=current_app.config["LAST_SEEN_INTERVAL"])


def touch(record: LoginSession) -> None:
    """Note that ``record`` is in use, at most once per LAST_SEEN_INTERVAL.

    A login without remember-me stays alive while it is used.
    """
    if record.last_used_at > stale_before():
        return
    now = utcnow()
    values: dict[str, datetime] = {"last_used_at": now}
    if not record.remember:
        values["expires_at"] = now + _idle_timeout()
    db.session.execute(
        sa.update(LoginSession).where(LoginSession.id == record.id).values(values)
    )
    db.session.commit()


def end(token: str) -> None:
    """Delete the login that ``token`` belongs to (logout); unknown is fine."""
    db.session.execute(
        sa.delete(LoginSession).where(LoginSession.token_hash == digest(token))
    )
    db.session.commit()


def end_all(user: User, *, commit: bool = True) -> None:
    """Delete every login of ``user`` (password change or reset, deletion).

    :param commit: pass False to leave the delete in the caller's transaction.
    """
    db.session.execute(sa.delete(LoginSession).where(LoginSession.user_id == user.id))
    if commit:
        db.session.commit()


def live(user: User) -> list[LoginSession]:
    """``user``'s logins that still work, the most recently used first."""
    return list(
        db.session.scalars(
            sa.select(LoginSession)
            .where(LoginSession.user_id == user.id, LoginSession.expires_at > utcnow())
            .order_by(LoginSession.last_used_at.desc(), LoginSession.id.desc())
        )
    )


def revoke(user: User, public_id: str) -> bool:
    """End ``user``'s login named ``public_id``; False if ``user`` has none.

    The user is part of the WHERE, so another account's id changes nothing.
    """
    ended = db.session.execute(
        sa.delete(LoginSession)
        .where(LoginSession.user_id == user.id, LoginSession.public_id == public_id)
        .returning(LoginSession.id)
    ).first()
    db.session.commit()
    return ended is not None


def revoke_others(user: User, keep: LoginSession | None) -> None:
    """End every login of ``user`` but ``keep`` (this browser's)."""
    statement = sa.delete(LoginSession).where(LoginSession.user_id == user.id)
    if keep is not None:
        statement = statement.where(LoginSession.id != keep.id)
    db.session.execute(statement)
    db.session.commit()
