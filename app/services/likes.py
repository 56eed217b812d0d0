"""Liking and unliking posts, and who liked a post.

Both are idempotent single statements on the (user, post) unique pair: a
double click, two tabs or a retried API call change the count once. The
post's like counter moves only when a row really was added or removed, in
the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from app.database import add_unless_present
from app.db_types import utcnow
from app.extensions import db
from app.models import Like, Post, User, table_of
from app.pagination import Page, page_of
from app.services import blocks, notifications, timelines
from app.services.errors import NotFound
from app.services.posts import NO_SUCH_POST, get_or_fail, move_counter

_LIKES = table_of(Like)
_USERS = table_of(User)


def like(user: User, post_id: int) -> None:
    """:raises NotFound: when the post does not exist.
    :raises Forbidden: when a block stands between ``user`` and its author."""
    post = get_or_fail(post_id)
    blocks.refuse_if_blocked(user.id, post.user_id)
    try:
        added = add_unless_present(
            _LIKES, user_id=user.id, post_id=post.id, created_at=utcnow()
        )
    except sa.exc.IntegrityError:
        # The post was deleted between the read and the insert.
        db.session.rollback()
        raise NotFound(NO_SUCH_POST) from None
    if added:
        move_counter(post.id, "like_count", 1)
        notifications.notify("like", user.id, [post.user_id], post.id)
    db.session.commit()


def unlike(user: User, post_id: int) -> None:
    """:raises NotFound: when the post does not exist."""
    post = get_or_fail(post_id)
    removed = db.session.execute(
        sa.delete(_LIKES).where(
            _LIKES.c.user_id == user.id, _LIKES.c.post_id == post.id
        )
    ).rowcount  # type: ignore[attr-defined]
    if removed:
        move_counter(post.id, "like_count", -removed)
        notifications.withdraw("like", user.id, post.id)
    db.session.commit()


@dataclass(frozen=True)
class Liker:
    """Someone who liked a post; ``id`` is the like's, for paging."""

    id: int
    user: User


def likers_page(
    post: Post, before: int | None, limit: int, viewer_id: int | None = None
) -> Page[Liker]:
    """Who liked ``post``, newest like first, less the accounts ``viewer_id``
    blocked or muted."""
    statement = (
        sa.select(_LIKES.c.id, User)
        .join_from(_LIKES, User, User.id == _LIKES.c.user_id)
        .where(
            _LIKES.c.post_id == post.id,
            User.suspended_at.is_(None),
            timelines.author_shown_to_viewer(_LIKES.c.user_id, viewer_id),
        )
        .order_by(_LIKES.c.id.desc())
        .limit(limit + 1)
    )
    if before is not None:
        statement = statement.where(_LIKES.c.id < before)
    rows = [Liker(like_id, user) for like_id, user in db.session.execute(statement)]
    return page_of(rows, limit)
