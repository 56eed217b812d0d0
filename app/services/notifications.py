"""Notifications: follows, replies, mentions and likes by other people.

One row per (recipient, kind, actor, post), enforced by unique indexes and
written with INSERT … ON CONFLICT DO NOTHING, so a double click, two tabs or
a post that names someone twice still make one notification. Nobody is
notified of their own actions. The callers write these in their own
transaction: the notification exists exactly when the action does.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from app.database import insert_or_ignore
from app.db_types import utcnow
from app.extensions import db
from app.models import Notification, User, table_of
from app.pagination import Page, page_of
from app.services import timelines
from app.services.timelines import PostView

_NOTIFICATIONS = table_of(Notification)
_USERS = table_of(User)


def notify(
    kind: str, actor_id: int, recipients: Iterable[int], post_id: int | None = None
) -> None:
    """Tell each of ``recipients`` that ``actor_id`` did ``kind``; no commit."""
    now = utcnow()
    rows = [
        {
            "recipient_id": recipient,
            "actor_id": actor_id,
            "kind": kind,
            "post_id": post_id,
            "created_at": now,
            "read": False,
        }
        for recipient in dict.fromkeys(recipients)
        if recipient != actor_id
    ]
    if rows:
        db.session.execute(insert_or_ignore(_NOTIFICATIONS), rows)


def withdraw(
    kind: str,
    actor_id: int,
    post_id: int | None = None,
    recipients: Iterable[int] | None = None,
) -> None:
    """Take back unread notifications of ``kind`` by ``actor_id`` (an unlike,
    an unfollow, a mention edited out); read ones stay. No commit."""
    statement = sa.delete(_NOTIFICATIONS).where(
        _NOTIFICATIONS.c.kind == kind,
        _NOTIFICATIONS.c.actor_id == actor_id,
        sa.not_(_NOTIFICATIONS.c.read),
    )
    if post_id is None:
        statement = statement.where(_NOTIFICATIONS.c.post_id.is_(None))
    else:
        statement = statement.where(_NOTIFICATIONS.c.post_id == post_id)
    if recipients is not None:
        statement = statement.where(_NOTIFICATIONS.c.recipient_id.in_(list(recipients)))
    db.session.execute(statement)


_USER_ID = sa.bindparam("user_id", type_=sa.Integer)
# Whatever an account the recipient blocked or muted did is left out of the
# badge and the list (the rows stay: unblocking brings them back).
_ACTOR_SHOWN = timelines.author_shown_to_viewer(_NOTIFICATIONS.c.actor_id, _USER_ID)
UNREAD = sa.select(sa.func.count()).where(
    _NOTIFICATIONS.c.recipient_id == _USER_ID,
    sa.not_(_NOTIFICATIONS.c.read),
    # Nothing from a suspended account shows, so it is not counted either.
    _NOTIFICATIONS.c.actor_id.not_in(timelines.SUSPENDED_IDS),
    _ACTOR_SHOWN,
)


def unread_count(user_id: int) -> int:
    """The badge: one count over the partial index of unread rows."""
    return db.session.scalar(UNREAD, {"user_id": user_id}) or 0


def mark_all_read(user: User) -> None:
    db.session.execute(
        sa.update(_NOTIFICATIONS)
        .where(_NOTIFICATIONS.c.recipient_id == user.id, sa.not_(_NOTIFICATIONS.c.read))
        .values(read=True)
    )
    db.session.commit()


@dataclass(frozen=True)
class NotificationView:
    id: int
    kind: str
    created_at: datetime
    read: bool
    actor_id: int
    actor_username: str
    actor_email: str  # only for the avatar
    post: PostView | None
    actor_avatar: str | None = None  # an uploaded avatar's name


_PAGE = (
    sa.select(
        _NOTIFICATIONS.c.id,
        _NOTIFICATIONS.c.kind,
        _NOTIFICATIONS.c.created_at,
        _NOTIFICATIONS.c.read,
        _NOTIFICATIONS.c.actor_id,
        _USERS.c.username,
        _USERS.c.email,
        _NOTIFICATIONS.c.post_id,
        _USERS.c.avatar,
    )
    .join_from(_NOTIFICATIONS, _USERS, _NOTIFICATIONS.c.actor_id == _USERS.c.id)
    .where(
        _NOTIFICATIONS.c.recipient_id == _USER_ID,
        _USERS.c.suspended_at.is_(None),
        _ACTOR_SHOWN,
    )
    .order_by(_NOTIFICATIONS.c.id.desc())
    .limit(sa.bindparam("limit"))
)


def page(
    user: User, before: int | None, limit: int, unread_only: bool = False
) -> Page[NotificationView]:
    """``user``'s notifications, newest first, below ``before``, with their
    posts (read in one more statement for the whole page)."""
    statement = _PAGE
    params: dict[str, Any] = {"user_id": user.id, "limit": limit + 1}
    if before is not None:
        statement = statement.where(_NOTIFICATIONS.c.id < before)
    if unread_only:
        statement = statement.where(sa.not_(_NOTIFICATIONS.c.read))
    rows = db.session.execute(statement, params).all()
    post_ids = {row.post_id for row in rows if row.post_id is not None}
    posts = {post.id: post for post in timelines.views(post_ids, user.id)}
    items = [
        NotificationView(
            id=row.id,
            kind=row.kind,
            created_at=row.created_at,
            read=row.read,
            actor_id=row.actor_id,
            actor_username=row.username,
            actor_email=row.email,
            actor_avatar=row.avatar,
            post=posts.get(row.post_id) if row.post_id is not None else None,
        )
        for row in rows
    ]
    return page_of(items, limit)
