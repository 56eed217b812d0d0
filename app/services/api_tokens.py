"""Bearer tokens for the JSON API.

A token is 32 random bytes handed to the client once; the database keeps only
its SHA-256 digest, so a leaked database cannot be replayed against the API.
Tokens expire after ``API_TOKEN_MAX_AGE`` seconds and are revoked one at a
time (``revoke``) or all at once for a user (``revoke_all``: password change,
password reset, account deletion).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app

from app import generation
from app.db_types import utcnow
from app.extensions import db
from app.generation import GENERATION
from app.models import ApiToken, User

TOKEN_BYTES = 32
# token_urlsafe(32) gives 43 characters; anything far longer is not ours and
# is refused before hashing.
MAX_TOKEN_LENGTH = 128


# Built once: the statement's cache key is memoised on the object, so the
# per-request cost is binding two values, not rebuilding the query.
# Only the owner and the token's expiry are loaded, with the content
# generation they were read at (see verify).
_TOKEN_OWNER = (
    sa.select(User, ApiToken.expires_at, GENERATION)
    .join(ApiToken, ApiToken.user_id == User.id)
    .where(ApiToken.token_hash == sa.bindparam("digest"))
)
OWNERS_KEPT = 4096


class TokenOwner:
    """A live token's owner: id and last_seen at hand, a User when asked.

    The owner usually comes from memory (see :func:`verify`), and a page
    from the cache needs only the id; building the ORM object was a tenth
    of such a request.
    """

    __slots__ = ("_user", "id", "last_seen", "values")

    def __init__(self, values: tuple[Any, ...], user: User | None = None) -> None:
        self.values = values
        self._user = user
        self.id: int = User.field(values, "id")
        self.last_seen: datetime = User.field(values, "last_seen")

    def user(self) -> User:
        """The owner as a User in this request's session (built once)."""
        if self._user is None:
            self._user = User.from_snapshot(self.values)
        return self._user


@dataclass(frozen=True)
class IssuedToken:
    token: str
    expires_at: datetime


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def issue(user: User) -> IssuedToken:
    """Create a token for ``user`` and forget its plain text once returned.

    The user's expired tokens are deleted at the same time, so the table
    holds at most the live tokens plus the few that expired since.
    """
    now = utcnow()
    token = secrets.token_urlsafe(TOKEN_BYTES)
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


def verify(token: str) -> TokenOwner | None:
    """Return the owner of a live token, or None.

    One indexed lookup: the token row by digest, joined to its user. The
    answer is kept while the content generation stands still, which the
    tokens table moves too (issue, revoke, expiry clean-up), as does any
    change to the user; then the lookup is only the read of that number.
    """
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    key = digest(token)
    owners = generation.memo("wren_token_owners", OWNERS_KEPT)
    known = owners.get(key, generation.for_request())
    if known is not None:
        values, expires_at = known
        owner = TokenOwner(values)
    else:
        row = db.session.execute(_TOKEN_OWNER, {"digest": key}).first()
        if row is None:
            return None
        user, expires_at, read_at = row
        owner = TokenOwner(user.snapshot(), user)
        owners.put(key, read_at, (owner.values, expires_at))
        generation.note(read_at)
    if expires_at <= utcnow():
        return None
    return owner


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
