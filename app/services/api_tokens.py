"""Bearer tokens for the JSON API.

A token is 32 random bytes handed to the client once; the database keeps only
its SHA-256 digest, so a leaked database cannot be replayed against the API.
Tokens expire after ``API_TOKEN_MAX_AGE`` seconds and are revoked one at a
time (``revoke``) or all at once for a user (``revoke_all``: password change,
password reset, account deletion).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from app.db_types import utcnow
from app.extensions import db
from app.models import ApiToken, User
from app.services.credentials import digest, new_token, plausible

# Built once: per request only the digest is bound.
_TOKEN_OWNER = (
    sa.select(User, ApiToken.expires_at)
    .join(ApiToken, ApiToken.user_id == User.id)
    .where(ApiToken.token_hash == sa.bindparam("digest"))
)


@dataclass(frozen=True)
class IssuedToken:
    token: str
    expires_at: datetime


def issue(user: User) -> IssuedToken:
    """Create a token for ``user`` and forget its plain text once returned.

    The user's expired tokens are deleted at the same time, so the table
    holds at most the live tokens plus the few that expired since.
    """
    now = utcnow()
    token = new_token()
    expires_at = now + timedelta(seconds=current_app.config["API_TOKEN_MAX_AGE"])
    db.session.execute(
        sa.delete(ApiToken).where(
            ApiToken.user_id == user.id, ApiToken.expires_at <= now
        )
    )
    db.session.add(
        ApiToken(token_hash=digest(token), user_id=user.id, expires_at=expires_at)
    )
    db.session.commit()
    return IssuedToken(token=token, expires_at=expires_at)


def verify(token: str) -> User | None:
    """Return the owner of a live token, or None (one indexed lookup)."""
    if not plausible(token):
        return None
    row = db.session.execute(_TOKEN_OWNER, {"digest": digest(token)}).first()
    if row is None:
        return None
    user, expires_at = row
    if expires_at <= utcnow():
        return None
    return user  # type: ignore[no-any-return]


def revoke(token: str) -> None:
    """Delete one token; unknown or already revoked tokens are ignored."""
    db.session.execute(sa.delete(ApiToken).where(ApiToken.token_hash == digest(token)))
    db.session.commit()


def revoke_all(user: User, *, commit: bool = True) -> None:
    """Delete every token of ``user``.

    :param commit: pass False to leave the delete in the caller's transaction,
        so it lands together with the password change that prompted it.
    """
    db.session.execute(sa.delete(ApiToken).where(ApiToken.user_id == user.id))
    if commit:
        db.session.commit()
