"""Blocks and mutes between accounts.

A block removes follows both ways, in the same transaction. While it lasts
neither account can follow, reply to, like, mention-notify or message the
other: every write path asks :func:`refuse_if_blocked` (or filters its
notifications through :func:`without_blocked`), so pages and the API behave
alike. The blocker no longer sees the blocked account's posts or
notifications; a mute hides them the same way, from the muter only, and
changes nothing for the muted. Both are read inside each list statement
(``timelines._NOT_HIDDEN_FROM_VIEWER``), never filtered in a template.

A refused action is a :class:`Forbidden` with :data:`REFUSED`, worded the
same whichever of the two blocked the other: it tells the actor that this
account is out of reach, and nothing about who did what.

Every write is one idempotent statement on the pair's primary key: a double
click or two tabs add or remove one row.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from app.database import add_unless_present
from app.db_types import utcnow
from app.extensions import db
from app.models import User, blocks, follows, mutes
from app.services import notifications
from app.services.errors import DomainError, Forbidden

CANNOT_BLOCK_SELF = _l("You cannot block yourself.")
CANNOT_MUTE_SELF = _l("You cannot mute yourself.")
REFUSED = _l("You cannot do that with this account.")
# The block or mute lists page is short; this caps one page of it.
LIST_LIMIT = 200


def _either_way(a: int, b: int) -> sa.ColumnElement[bool]:
    return sa.or_(
        sa.and_(blocks.c.blocker_id == a, blocks.c.blocked_id == b),
        sa.and_(blocks.c.blocker_id == b, blocks.c.blocked_id == a),
    )


def not_blocked_with(viewer_id: int, user_id: Any) -> Any:
    """A condition for lists of people: no block between the viewer and
    ``user_id`` either way (two NOT EXISTS on the pair's keys)."""
    return sa.and_(
        ~sa.exists().where(
            blocks.c.blocker_id == viewer_id, blocks.c.blocked_id == user_id
        ),
        ~sa.exists().where(
            blocks.c.blocker_id == user_id, blocks.c.blocked_id == viewer_id
        ),
    )


def blocked_between(a_id: int, b_id: int) -> bool:
    """True when either account blocked the other: the one rule for writes."""
    found = db.session.scalar(
        sa.select(sa.literal(1)).where(_either_way(a_id, b_id)).limit(1)
    )
    return found is not None


def refuse_if_blocked(actor_id: int, other_id: int) -> None:
    """:raises Forbidden: with :data:`REFUSED` when a block stands between
    ``actor_id`` and ``other_id`` (either way)."""
    if actor_id != other_id and blocked_between(actor_id, other_id):
        raise Forbidden(REFUSED)


def without_blocked(actor_id: int, recipients: Iterable[int]) -> list[int]:
    """``recipients`` less those with a block either way with ``actor_id``:
    whom a mention by ``actor_id`` may notify."""
    wanted = list(dict.fromkeys(recipients))
    if not wanted:
        return []
    barred = set(
        db.session.scalars(
            sa.union_all(
                sa.select(blocks.c.blocked_id).where(
                    blocks.c.blocker_id == actor_id, blocks.c.blocked_id.in_(wanted)
                ),
                sa.select(blocks.c.blocker_id).where(
                    blocks.c.blocked_id == actor_id, blocks.c.blocker_id.in_(wanted)
                ),
            )
        )
    )
    return [user_id for user_id in wanted if user_id not in barred]


def block(user: User, other: User) -> None:
    """``user`` blocks ``other``; doing it twice changes nothing.

    :raises DomainError: when ``other`` is ``user``.
    """
    if other.id == user.id:
        raise DomainError(CANNOT_BLOCK_SELF)
    add_unless_present(
        blocks, blocker_id=user.id, blocked_id=other.id, created_at=utcnow()
    )
    db.session.execute(
        sa.delete(follows).where(
            sa.or_(
                sa.and_(
                    follows.c.follower_id == user.id,
                    follows.c.followed_id == other.id,
                ),
                sa.and_(
                    follows.c.follower_id == other.id,
                    follows.c.followed_id == user.id,
                ),
            )
        )
    )
    # The follows are gone, so their unread notices go too.
    notifications.withdraw("follow", user.id, recipients=[other.id])
    notifications.withdraw("follow", other.id, recipients=[user.id])
    db.session.commit()


def unblock(user: User, other: User) -> None:
    """``user`` lifts their block on ``other`` (a no-op if there is none).
    Follows removed by the block stay removed."""
    db.session.execute(
        sa.delete(blocks).where(
            blocks.c.blocker_id == user.id, blocks.c.blocked_id == other.id
        )
    )
    db.session.commit()


def mute(user: User, other: User) -> None:
    """``user`` mutes ``other``; doing it twice changes nothing.

    :raises DomainError: when ``other`` is ``user``.
    """
    if other.id == user.id:
        raise DomainError(CANNOT_MUTE_SELF)
    add_unless_present(mutes, muter_id=user.id, muted_id=other.id, created_at=utcnow())
    db.session.commit()


def unmute(user: User, other: User) -> None:
    """``user`` unmutes ``other`` (a no-op if not muted)."""
    db.session.execute(
        sa.delete(mutes).where(
            mutes.c.muter_id == user.id, mutes.c.muted_id == other.id
        )
    )
    db.session.commit()


@dataclass(frozen=True)
class Listed:
    """An account on the reader's own block or mute list."""

    user: User
    since: datetime


def _listed(
    table: sa.Table, owner: sa.Column[int], other: sa.Column[int], user: User
) -> list[Listed]:
    statement = (
        sa.select(User, table.c.created_at)
        .join_from(table, User, User.id == other)
        .where(owner == user.id)
        .order_by(table.c.created_at.desc(), other.desc())
        .limit(LIST_LIMIT)
    )
    return [Listed(found, since) for found, since in db.session.execute(statement)]


def blocked_by(user: User) -> list[Listed]:
    """The accounts ``user`` blocked, newest block first (only ever the
    reader's own list: the argument is always the logged-in user)."""
    return _listed(blocks, blocks.c.blocker_id, blocks.c.blocked_id, user)


def muted_by(user: User) -> list[Listed]:
    """The accounts ``user`` muted, newest mute first."""
    return _listed(mutes, mutes.c.muter_id, mutes.c.muted_id, user)
