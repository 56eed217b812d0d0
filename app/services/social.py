"""Following and unfollowing, follower lists and per-user counts.

``followers_query`` and ``following_query`` return ``select(User)`` joined to
the follows table; ``followers_page`` and ``following_page`` page them newest
user id first, keyed on the follows columns so the database reads the follows
index in order.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from app.database import add_unless_present
from app.db_types import utcnow
from app.extensions import db
from app.models import Post, User, follows, mutes
from app.models import blocks as blocks_table
from app.pagination import Page, keyset_page
from app.services import blocks, notifications
from app.services.errors import DomainError

CANNOT_FOLLOW_SELF = _l("You cannot follow yourself.")

FOLLOWERS_KEY = follows.c.follower_id
FOLLOWING_KEY = follows.c.followed_id


@dataclass(frozen=True)
class UserCounts:
    post_count: int = 0
    follower_count: int = 0
    following_count: int = 0


def follow(user: User, other: User) -> None:
    """Make ``user`` follow ``other``; doing it twice changes nothing.

    :raises DomainError: when ``other`` is ``user``.
    :raises Forbidden: when a block stands between them.
    """
    if other.id == user.id:
        raise DomainError(CANNOT_FOLLOW_SELF)
    blocks.refuse_if_blocked(user.id, other.id)
    added = add_unless_present(
        follows, follower_id=user.id, followed_id=other.id, created_at=utcnow()
    )
    if added:
        notifications.notify("follow", user.id, [other.id])
    db.session.commit()


def unfollow(user: User, other: User) -> None:
    """Stop ``user`` following ``other``; a no-op if they did not."""
    user.unfollow(other)
    notifications.withdraw("follow", user.id, recipients=[other.id])
    db.session.commit()


def is_following(user: User, other: User) -> bool:
    return user.is_following(other)


def followers_query(user: User) -> sa.Select[tuple[User]]:
    """Users who follow ``user``."""
    return (
        sa.select(User)
        .join(follows, follows.c.follower_id == User.id)
        .where(follows.c.followed_id == user.id)
    )


def following_query(user: User) -> sa.Select[tuple[User]]:
    """Users whom ``user`` follows."""
    return (
        sa.select(User)
        .join(follows, follows.c.followed_id == User.id)
        .where(follows.c.follower_id == user.id)
    )


def followers_page(user: User, before: int | None, limit: int) -> Page[User]:
    """One page of ``user``'s followers, newest account first."""
    return keyset_page(followers_query(user), before, limit, column=FOLLOWERS_KEY)


def following_page(user: User, before: int | None, limit: int) -> Page[User]:
    """One page of the accounts ``user`` follows, newest account first."""
    return keyset_page(following_query(user), before, limit, column=FOLLOWING_KEY)


def _count(table: Any, column: Any) -> Any:
    """The number of ``table`` rows whose ``column`` is the outer user's id."""
    return (
        sa.select(sa.func.count())
        .select_from(table)
        .where(column == User.id)
        .scalar_subquery()
    )


# Built once (an expanding IN takes any number of ids): building and keying
# this statement on every profile view cost a tenth of the page.
_COUNTS = sa.select(
    User.id,
    _count(Post, Post.user_id),
    _count(follows, follows.c.followed_id),
    _count(follows, follows.c.follower_id),
).where(User.id.in_(sa.bindparam("ids", expanding=True)))


def counts(user_ids: Iterable[int]) -> dict[int, UserCounts]:
    """Post, follower and following counts for many users in one statement.

    Each count reads only that user's slice of an index, so the cost does not
    grow with the total number of posts. Unknown ids are left out.
    """
    ids = sorted(set(user_ids))
    if not ids:
        return {}
    rows = db.session.execute(_COUNTS, {"ids": ids})
    return {
        uid: UserCounts(posts_n, followers_n, following_n)
        for uid, posts_n, followers_n, following_n in rows
    }


def counts_for(user: User) -> UserCounts:
    return counts([user.id]).get(user.id, UserCounts())


def _viewer_row(viewer: sa.Column[int], target: sa.Column[int]) -> Any:
    """EXISTS a (viewer, profile's user) row in a pair table such as follows."""
    return (
        sa.select(viewer)
        .where(viewer == sa.bindparam("viewer", type_=sa.Integer), target == User.id)
        .exists()
    )


_FOLLOWS_VIEWER = _viewer_row(follows.c.follower_id, follows.c.followed_id)
_VIEWER_BLOCKS = _viewer_row(blocks_table.c.blocker_id, blocks_table.c.blocked_id)
_VIEWER_MUTES = _viewer_row(mutes.c.muter_id, mutes.c.muted_id)

# A profile's user, counts and whether the viewer follows, blocked or muted
# them: one statement.
_PROFILE = sa.select(
    User,
    _count(Post, Post.user_id),
    _count(follows, follows.c.followed_id),
    _count(follows, follows.c.follower_id),
    _FOLLOWS_VIEWER,
    _VIEWER_BLOCKS,
    _VIEWER_MUTES,
).where(User.username_key == sa.bindparam("key"))


@dataclass(frozen=True)
class Profile:
    user: User
    counts: UserCounts
    viewer_follows: bool
    viewer_blocks: bool = False
    viewer_mutes: bool = False


def profile(username: str, viewer_id: int | None) -> Profile | None:
    """``username``'s account with its counts, as ``viewer_id`` sees it."""
    row = db.session.execute(
        _PROFILE, {"key": username.strip().lower(), "viewer": viewer_id or 0}
    ).first()
    if row is None:
        return None
    user, posts_n, followers_n, following_n, follows_it, blocks_it, mutes_it = row
    viewer_follows = bool(follows_it) and viewer_id != user.id
    return Profile(
        user,
        UserCounts(posts_n, followers_n, following_n),
        viewer_follows,
        bool(blocks_it),
        bool(mutes_it),
    )
