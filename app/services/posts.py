"""Writing, deleting and listing posts.

Lists are keyset pages by ``Post.id`` (see :mod:`app.pagination`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, NamedTuple

import sqlalchemy as sa

from app import validation
from app.extensions import db
from app.models import Post, User, follows, table_of
from app.pagination import Page, page_of
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


_POSTS = table_of(Post)
_USERS = table_of(User)
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


def _rows_for(ids: sa.Select[Any]) -> sa.Select[Any]:
    """The rows (with their authors) of the post ids ``ids`` picks, newest first."""
    return _VIEW_COLUMNS.where(_POSTS.c.id.in_(ids.scalar_subquery())).order_by(
        _POSTS.c.id.desc()
    )


def _below_cursor(ids: sa.Select[Any], with_cursor: bool) -> sa.Select[Any]:
    if with_cursor:
        return ids.where(_POSTS.c.id < sa.bindparam("before", type_=sa.Integer))
    return ids


def _page_statement(
    authors: sa.ColumnElement[bool] | None, with_cursor: bool
) -> sa.Select[Any]:
    """One page of posts, newest first, plus one to tell if more follow.

    Two steps in one statement: the page's ids from the (user_id, id) index,
    then those rows with their authors. Sorting ids alone reads only the
    index, whereas sorting whole joined rows would read every candidate row.
    Statements are built once, with bound parameters: SQLAlchemy memoises a
    statement's cache key on the object, and building and keying a fresh one
    per request cost a tenth of a page's time.
    """
    ids = sa.select(_POSTS.c.id)
    if authors is not None:
        ids = ids.where(authors)
    ids = _below_cursor(ids, with_cursor)
    return _rows_for(ids.order_by(_POSTS.c.id.desc()).limit(sa.bindparam("limit")))


def _lateral_feed_statement(with_cursor: bool) -> sa.Select[Any]:
    """The feed for PostgreSQL: each author's newest posts, then the newest
    of those.

    With an IN list PostgreSQL walks all posts newest first and tests each
    author, which reads thousands of rows when the people a reader follows
    post a small share of everything. A LATERAL join reads at most a page of
    each author's (user_id, id) index instead, however large the table.
    """
    authors = sa.union_all(
        sa.select(_USER_ID.label("author")),
        sa.select(follows.c.followed_id).where(follows.c.follower_id == _USER_ID),
    ).subquery("authors")
    newest = _below_cursor(
        sa.select(_POSTS.c.id).where(_POSTS.c.user_id == authors.c.author),
        with_cursor,
    )
    newest_each = (
        newest.order_by(_POSTS.c.id.desc()).limit(sa.bindparam("limit")).lateral()
    )
    ids = (
        sa.select(newest_each.c.id)
        .select_from(authors.join(newest_each, sa.true()))
        .order_by(newest_each.c.id.desc())
        .limit(sa.bindparam("limit"))
    )
    return _rows_for(ids)


_USER_ID = sa.bindparam("user_id", type_=sa.Integer)
# A user's own posts and those of everyone they follow. An IN list over user
# ids lets the database walk the (user_id, id) index once per author instead
# of scanning every post newest first.
_FEED_AUTHORS = _POSTS.c.user_id.in_(
    sa.union_all(
        sa.select(_USER_ID),
        sa.select(follows.c.followed_id).where(follows.c.follower_id == _USER_ID),
    )
)
_STATEMENTS = {
    (kind, with_cursor): _page_statement(authors, with_cursor)
    for kind, authors in (
        ("feed", _FEED_AUTHORS),
        ("explore", None),
        ("user", _POSTS.c.user_id == _USER_ID),
    )
    for with_cursor in (False, True)
}
# SQLite has no LATERAL, and walks the index once per author for the IN list.
_POSTGRES_STATEMENTS = {
    ("feed", with_cursor): _lateral_feed_statement(with_cursor)
    for with_cursor in (False, True)
}


def _page(
    kind: str, before: int | None, limit: int, user_id: int | None = None
) -> Page[PostView]:
    params: dict[str, int] = {"limit": limit + 1}
    if before is not None:
        params["before"] = before
    if user_id is not None:
        params["user_id"] = user_id
    key = (kind, before is not None)
    statement = _STATEMENTS[key]
    if db.engine.dialect.name == "postgresql":
        statement = _POSTGRES_STATEMENTS.get(key, statement)
    rows = db.session.execute(statement, params)
    return page_of([PostView._make(row) for row in rows], limit)


def feed_page(user: User, before: int | None, limit: int) -> Page[PostView]:
    """Posts by ``user`` and everyone they follow, below ``before``."""
    return _page("feed", before, limit, user.id)


def explore_page(before: int | None, limit: int) -> Page[PostView]:
    """Everyone's posts, below ``before``."""
    return _page("explore", before, limit)


def user_posts_page(user: User, before: int | None, limit: int) -> Page[PostView]:
    """``user``'s own posts, below ``before``."""
    return _page("user", before, limit, user.id)


def page_version(page: Page[PostView]) -> tuple[Any, ...]:
    """What a page of posts shows, as plain values (for ETags).

    A post's text and time never change under its id (ids are never reused),
    so the id and the author values the card shows stand for the whole card.
    """
    return (
        tuple((post.id, post.username, post.email) for post in page.items),
        page.next_cursor,
    )
