"""Writing, deleting and listing posts.

The ``*_query`` functions return a ``select(Post)`` without ORDER BY or LIMIT;
pass it to :func:`app.pagination.keyset_page`, which pages by ``Post.id``.
Authors come with the posts (``Post.author`` is joined), so a page is one
statement.
"""

from __future__ import annotations

import sqlalchemy as sa

from app import validation
from app.extensions import db
from app.models import Post, User, follows
from app.services.errors import Forbidden, checked


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
