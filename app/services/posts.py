"""Writing, deleting and listing posts.

The ``*_query`` functions return a ``select(Post)`` without ORDER BY or LIMIT;
pass it to :func:`post_page`, which pages by ``Post.id``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, NamedTuple

import sqlalchemy as sa

from app import validation
from app.extensions import db
from app.models import Post, User, follows
from app.pagination import Page, keyset_ids, page_of
from app.services.errors import Forbidden, checked


class PostView(NamedTuple):
    """A post as pages and the API list it, with its author's public parts.

    Plain values rather than ORM objects: building, tracking and reading
    25 Post and User instances cost more than the query behind a page.
    """

    id: int
    body: str
    created_at: datetime
    user_id: int
    username: str
    email: str  # only to derive the avatar; never shown


_POSTS = Post.__table__
_USERS = User.__table__
_VIEW_COLUMNS = sa.select(
    _POSTS.c.id,
    _POSTS.c.body,
    _POSTS.c.created_at,
    _POSTS.c.user_id,
    _USERS.c.username,
    _USERS.c.email,
).join_from(_POSTS, _USERS, _POSTS.c.user_id == _USERS.c.id)


def publish(author: User, body: str) -> Post:
    """Publish ``body`` (trimmed, 1–280 characters) as ``author``.

    :raises DomainError: with field "body" when the text is empty, too long or
        holds control characters.
    """
    body = checked(validation.clean_post_body, "body", body)
    post = Post(author=author, body=body)
    db.session.add(post)
    db.session.commit()
    return post


def get(post_id: int) -> Post | None:
    return db.session.get(Post, post_id)


def delete(post: Post, user: User) -> None:
    """Delete ``post`` on behalf of ``user``.

    :raises Forbidden: when ``user`` did not write it.
    """
    if post.user_id != user.id:
        raise Forbidden("You can only delete your own posts.")
    db.session.delete(post)
    db.session.commit()


def feed_query(user: User) -> sa.Select[tuple[Post]]:
    """Posts by ``user`` and everyone they follow."""
    # An IN list over user ids lets the database walk the (user_id, id) index
    # once per author instead of scanning every post newest first.
    authors = sa.union_all(
        sa.select(sa.literal(user.id)),
        sa.select(follows.c.followed_id).where(follows.c.follower_id == user.id),
    )
    return sa.select(Post).where(Post.user_id.in_(authors))


def explore_query() -> sa.Select[tuple[Post]]:
    """Everyone's posts."""
    return sa.select(Post)


def user_posts_query(user: User) -> sa.Select[tuple[Post]]:
    return sa.select(Post).where(Post.user_id == user.id)


def post_page(query: sa.Select[Any], before: int | None, limit: int) -> Page[PostView]:
    """One page of ``query`` (a ``*_query`` result), newest first.

    Two steps in one statement: the page's ids from the (user_id, id) index,
    then those rows with their authors.
    """
    ids = keyset_ids(query, before, limit).scalar_subquery()
    rows = db.session.execute(
        _VIEW_COLUMNS.where(_POSTS.c.id.in_(ids)).order_by(_POSTS.c.id.desc())
    )
    return page_of([PostView._make(row) for row in rows], limit)
