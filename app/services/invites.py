"""Invite links for REGISTRATION_MODE=invite.

Any account with a confirmed address may create invites: a community that
grows by invitation grows through its members, and a moderator can still
suspend whoever abuses it. The code is shown once, at creation; the
database keeps only its SHA-256, like API tokens.

A registration takes one use with a single conditional UPDATE (uses below
max_uses, not revoked, not expired), in the same transaction as the new
account: two registrations racing for the last use cannot both succeed,
and a registration that fails gives its use back by rolling back.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from app.db_types import utcnow
from app.extensions import db
from app.models import User, table_of
from app.moderation_models import Invite
from app.services.credentials import digest, new_token, plausible
from app.services.errors import DomainError, Forbidden

MAX_USES_LIMIT = 100
MAX_DAYS = 90
INVITE_REFUSED = _l(
    "This invite link cannot be used: it may have expired, been revoked or "
    "been used up. Ask for a new one."
)
INVITE_REQUIRED = _l(
    "Registration is by invitation only: open the invite link you got."
)
_INVITES = table_of(Invite)


def may_invite(user: User) -> bool:
    return user.email_confirmed and not user.is_suspended


def create(creator: User, max_uses: int, days: int | None) -> tuple[Invite, str]:
    """A new invite and its code (the only time the code is known)."""
    if not may_invite(creator):
        raise Forbidden(_l("Confirm your email address before inviting people."))
    if not 1 <= max_uses <= MAX_USES_LIMIT:
        raise DomainError(
            _l("Between 1 and %(max)d uses.", max=MAX_USES_LIMIT), "max_uses"
        )
    expires_at: datetime | None = None
    if days is not None:
        if not 1 <= days <= MAX_DAYS:
            raise DomainError(_l("Between 1 and %(max)d days.", max=MAX_DAYS), "days")
        expires_at = utcnow() + timedelta(days=days)
    code = new_token()
    invite = Invite(
        code_hash=digest(code),
        creator_id=creator.id,
        max_uses=max_uses,
        expires_at=expires_at,
    )
    db.session.add(invite)
    db.session.commit()
    return invite, code


def of(creator: User) -> list[Invite]:
    """``creator``'s invites, newest first."""
    statement = (
        sa.select(Invite)
        .where(Invite.creator_id == creator.id)
        .order_by(Invite.id.desc())
        .limit(100)
    )
    return list(db.session.scalars(statement))


def revoke(creator: User, invite_id: int) -> bool:
    """Revoke one of ``creator``'s invites; False if none such was live."""
    done = db.session.execute(
        sa.update(_INVITES)
        .where(
            _INVITES.c.id == invite_id,
            _INVITES.c.creator_id == creator.id,
            _INVITES.c.revoked_at.is_(None),
        )
        .values(revoked_at=utcnow())
        .returning(_INVITES.c.id)
    ).first()
    db.session.commit()
    return done is not None


def _usable(now: datetime) -> sa.ColumnElement[bool]:
    return sa.and_(
        _INVITES.c.uses < _INVITES.c.max_uses,
        _INVITES.c.revoked_at.is_(None),
        sa.or_(_INVITES.c.expires_at.is_(None), _INVITES.c.expires_at > now),
    )


def is_usable(code: str | None) -> bool:
    """Whether ``code`` names an invite that could take one more use now."""
    if not code or not plausible(code):
        return False
    query = sa.select(_INVITES.c.id).where(
        _INVITES.c.code_hash == digest(code), _usable(utcnow())
    )
    return db.session.execute(query).first() is not None


def take_use(code: str | None) -> None:
    """Count one use of ``code`` in the caller's transaction (not committed).

    RETURNING tells whether the row changed; a rowcount is not reliable
    through every driver (app.database).

    :raises DomainError: on ``invite`` when the code is unknown or spent.
    """
    if not code or not plausible(code):
        raise DomainError(INVITE_REQUIRED if not code else INVITE_REFUSED, "invite")
    taken = db.session.execute(
        sa.update(_INVITES)
        .where(_INVITES.c.code_hash == digest(code), _usable(utcnow()))
        .values(uses=_INVITES.c.uses + 1)
        .returning(_INVITES.c.id)
    ).first()
    if taken is None:
        raise DomainError(INVITE_REFUSED, "invite")


def state(invite: Invite) -> str:
    """What the invite's owner sees of it: live, used up, expired or revoked."""
    if invite.revoked_at is not None:
        return "revoked"
    if invite.uses >= invite.max_uses:
        return "used up"
    if invite.expires_at is not None and invite.expires_at <= utcnow():
        return "expired"
    return "live"
