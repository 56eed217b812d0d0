"""Reading posts: the feed, explore, a user's or a tag's posts, a thread.

Every list is a keyset page by ``Post.id`` (see :mod:`app.pagination`) and
costs one statement whatever its size: the page's rows with their authors,
the author of the post each one answers, and, from small correlated
subqueries on their indexes, each post's mentions and tags and whether the
reader liked it. Counts live on the post row, so no card counts anything.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any, NamedTuple

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from app.extensions import db
from app.models import (
    Like,
    Post,
    User,
    blocks,
    follows,
    mutes,
    post_mentions,
    post_tags,
    table_of,
)
from app.pagination import Page, page_of
from app.services import media
from app.services.media import MediaView

# A thread page shows at most this many posts above the one it is about.
MAX_ANCESTORS = 40


class PostView(NamedTuple):
    """A post as pages and the API show it, with its author's public parts.

    Plain values rather than ORM objects: building, tracking and reading
    25 Post and User instances cost more than the query behind a page.
    """

    id: int
    body: str
    created_at: datetime
    user_id: int
    username: str
    email: str  # only to derive the avatar; never shown
    avatar: str | None  # the author's uploaded avatar (users.avatar)
    in_reply_to_id: int | None
    # The author of the post this one answers; None if that post is gone.
    reply_to_username: str | None
    edited_at: datetime | None
    reply_count: int
    like_count: int
    media_count: int
    mentions: tuple[str, ...]  # usernames, as they are now
    tags: tuple[str, ...]
    liked: bool  # by the reader the view was read for
    # Its pictures, in order; read only for pages with a post that has some.
    media: tuple[MediaView, ...] = ()

    @property
    def is_reply(self) -> bool:
        return self.in_reply_to_id is not None


class joined_words(FunctionElement[str]):  # noqa: N801 (an SQL function)
    """The values of a text column joined by spaces (NULL when none): an
    aggregate named differently by each database."""

    type = sa.String()
    inherit_cache = True


@compiles(joined_words, "postgresql")
def _string_agg(element: joined_words, compiler: SQLCompiler, **kw: Any) -> str:
    return f"string_agg({compiler.process(element.clauses, **kw)}, ' ')"


@compiles(joined_words)
def _group_concat(element: joined_words, compiler: SQLCompiler, **kw: Any) -> str:
    return f"group_concat({compiler.process(element.clauses, **kw)}, ' ')"


_POSTS = table_of(Post)
_USERS = table_of(User)
_LIKES = table_of(Like)
_PARENT = _POSTS.alias("parent")
_PARENT_AUTHOR = _USERS.alias("parent_author")
_MENTIONED = _USERS.alias("mentioned")
_VIEWER_ID = sa.bindparam("viewer_id", type_=sa.Integer)
# Posts of suspended accounts are gone for everyone, everywhere: this one
# condition is used wherever post ids are picked (so pages stay full) and on
# the rows themselves. The suspended are few and read from a partial index.
_SUSPENDED = _USERS.alias("suspended")
SUSPENDED_IDS = sa.select(_SUSPENDED.c.id).where(_SUSPENDED.c.suspended_at.is_not(None))
_AUTHOR_VISIBLE = _POSTS.c.user_id.not_in(SUSPENDED_IDS)


def author_visible(post_id: Any) -> sa.ColumnElement[bool]:
    """_AUTHOR_VISIBLE for statements that pick post ids from another
    table's column ``post_id`` (search's index tables)."""
    hidden = _POSTS.alias("hidden")
    return post_id.not_in(
        sa.select(hidden.c.id).where(hidden.c.user_id.in_(SUSPENDED_IDS))
    )


# Usernames and tags hold no spaces, so a space-joined list splits back.
_MENTIONS = (
    sa.select(joined_words(_MENTIONED.c.username))
    .select_from(
        post_mentions.join(_MENTIONED, post_mentions.c.user_id == _MENTIONED.c.id)
    )
    .where(post_mentions.c.post_id == _POSTS.c.id)
    .scalar_subquery()
)
_TAGS = (
    sa.select(joined_words(post_tags.c.tag))
    .where(post_tags.c.post_id == _POSTS.c.id)
    .scalar_subquery()
)
_LIKED = sa.exists().where(
    _LIKES.c.user_id == _VIEWER_ID, _LIKES.c.post_id == _POSTS.c.id
)


def author_shown_to_viewer(
    author_id: Any, viewer_id: Any = _VIEWER_ID
) -> sa.ColumnElement[bool]:
    """The reader has neither blocked nor muted the author ``author_id``:
    two probes of a primary key, (viewer, author), per candidate row."""
    return sa.and_(
        ~sa.exists().where(
            blocks.c.blocker_id == viewer_id, blocks.c.blocked_id == author_id
        ),
        ~sa.exists().where(
            mutes.c.muter_id == viewer_id, mutes.c.muted_id == author_id
        ),
    )


# Posts by people the reader blocked or muted are left out of every list,
# inside the statement that picks a page's ids (before its LIMIT, so pages
# stay full), for the reader only. A NULL viewer (logged out) hides nothing.
_NOT_HIDDEN_FROM_VIEWER = author_shown_to_viewer(_POSTS.c.user_id)
_HIDDEN_CHECK = _POSTS.alias("hidden_check")


def not_hidden_from_viewer(post_id: Any) -> sa.ColumnElement[bool]:
    """The same condition for a list keyed by post id alone (tags, search):
    through the post's author, one more primary-key probe per row."""
    return ~sa.exists().where(
        _HIDDEN_CHECK.c.id == post_id,
        ~author_shown_to_viewer(_HIDDEN_CHECK.c.user_id),
    )


_VIEW_COLUMNS = (
    sa.select(
        _POSTS.c.id,
        _POSTS.c.body,
        _POSTS.c.created_at,
        _POSTS.c.user_id,
        _USERS.c.username,
        _USERS.c.email,
        _USERS.c.avatar,
        _POSTS.c.in_reply_to_id,
        _PARENT_AUTHOR.c.username,
        _POSTS.c.edited_at,
        _POSTS.c.reply_count,
        _POSTS.c.like_count,
        _POSTS.c.media_count,
        _MENTIONS,
        _TAGS,
        _LIKED,
    )
    .select_from(
        _POSTS.join(_USERS, _POSTS.c.user_id == _USERS.c.id)
        .outerjoin(_PARENT, _PARENT.c.id == _POSTS.c.in_reply_to_id)
        .outerjoin(
            _PARENT_AUTHOR,
            (_PARENT_AUTHOR.c.id == _PARENT.c.user_id)
            & _PARENT_AUTHOR.c.suspended_at.is_(None),
        )
    )
    .where(_AUTHOR_VISIBLE)
)


def _words(text: str | None) -> tuple[str, ...]:
    return tuple(sorted(text.split())) if text else ()


def _view(row: sa.Row[Any]) -> PostView:
    *shown, mentions, tags, liked = row
    return PostView._make((*shown, _words(mentions), _words(tags), bool(liked), ()))


def _views(statement: sa.Executable, params: dict[str, Any]) -> list[PostView]:
    return with_media([_view(row) for row in db.session.execute(statement, params)])


def with_media(posts: list[PostView]) -> list[PostView]:
    """``posts`` with their pictures: one more statement, and only when one
    of them has any (``media_count`` is on the post row)."""
    ids = [post.id for post in posts if post.media_count]
    if not ids:
        return posts
    found = media.for_posts(ids)
    return [
        post._replace(media=found.get(post.id, ())) if post.media_count else post
        for post in posts
    ]


_USER_ID = sa.bindparam("user_id", type_=sa.Integer)


def _rows_for(ids: sa.Select[Any], newest_first: bool = True) -> sa.Select[Any]:
    """The rows (with their authors) of the post ids ``ids`` picks."""
    order = _POSTS.c.id.desc() if newest_first else _POSTS.c.id.asc()
    return _VIEW_COLUMNS.where(_POSTS.c.id.in_(ids.scalar_subquery())).order_by(order)


def _below_cursor(
    ids: sa.Select[Any], with_cursor: bool, column: Any
) -> sa.Select[Any]:
    if with_cursor:
        return ids.where(column < sa.bindparam("before", type_=sa.Integer))
    return ids


def _page_statement(
    authors: sa.ColumnElement[bool] | None, with_cursor: bool, hide: bool = True
) -> sa.Select[Any]:
    """One page of posts, newest first, plus one to tell if more follow.

    Two steps in one statement: the page's ids from the (user_id, id) index,
    then those rows with their authors. Sorting ids alone reads only the
    index, whereas sorting whole joined rows would read every candidate row.
    Statements are built once, with bound parameters: SQLAlchemy memoises a
    statement's cache key on the object, and building and keying a fresh one
    per request cost a tenth of a page's time.
    """
    ids = sa.select(_POSTS.c.id).where(_AUTHOR_VISIBLE)
    if authors is not None:
        ids = ids.where(authors)
    if hide:
        ids = ids.where(_NOT_HIDDEN_FROM_VIEWER)
    ids = _below_cursor(ids, with_cursor, _POSTS.c.id)
    return _rows_for(ids.order_by(_POSTS.c.id.desc()).limit(sa.bindparam("limit")))


def _feed_authors() -> sa.CompoundSelect:
    """The reader and the people they follow, less those they muted (a block
    already ended the follow): the condition is checked once per author
    rather than once per post, and on PostgreSQL it leaves each author's
    LATERAL walk of the (user_id, id) index as it was."""
    followed = follows.c.followed_id
    return sa.union_all(
        sa.select(_USER_ID.label("author")),
        sa.select(followed).where(
            follows.c.follower_id == _USER_ID, author_shown_to_viewer(followed)
        ),
    )


def _lateral_feed_statement(with_cursor: bool) -> sa.Select[Any]:
    """The feed for PostgreSQL: each author's newest posts, then the newest
    of those.

    With an IN list PostgreSQL walks all posts newest first and tests each
    author, which reads thousands of rows when the people a reader follows
    post a small share of everything. A LATERAL join reads at most a page of
    each author's (user_id, id) index instead, however large the table.
    """
    authors = _feed_authors().subquery("authors")
    newest = _below_cursor(
        sa.select(_POSTS.c.id).where(
            _POSTS.c.user_id == authors.c.author, _AUTHOR_VISIBLE
        ),
        with_cursor,
        _POSTS.c.id,
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


def _tag_statement(with_cursor: bool) -> sa.Select[Any]:
    """A tag's posts, newest first, from the (tag, post_id) primary key."""
    ids = (
        sa.select(post_tags.c.post_id)
        .join(_POSTS, _POSTS.c.id == post_tags.c.post_id)
        .where(
            post_tags.c.tag == sa.bindparam("tag", type_=sa.String),
            _AUTHOR_VISIBLE,
            _NOT_HIDDEN_FROM_VIEWER,
        )
    )
    ids = _below_cursor(ids, with_cursor, post_tags.c.post_id)
    return _rows_for(
        ids.order_by(post_tags.c.post_id.desc()).limit(sa.bindparam("limit"))
    )


def _replies_statement(with_cursor: bool) -> sa.Select[Any]:
    """A post's replies, oldest first, after the ``after`` cursor."""
    ids = sa.select(_POSTS.c.id).where(
        _POSTS.c.in_reply_to_id == sa.bindparam("post_id", type_=sa.Integer),
        _AUTHOR_VISIBLE,
        _NOT_HIDDEN_FROM_VIEWER,
    )
    if with_cursor:
        ids = ids.where(_POSTS.c.id > sa.bindparam("before", type_=sa.Integer))
    ids = ids.order_by(_POSTS.c.id.asc()).limit(sa.bindparam("limit"))
    return _rows_for(ids, newest_first=False)


# A user's own posts and those of everyone they follow. An IN list over user
# ids lets the database walk the (user_id, id) index once per author instead
# of scanning every post newest first.
_FEED_AUTHORS = _POSTS.c.user_id.in_(_feed_authors())
_STATEMENTS = {
    **{
        (kind, with_cursor): _page_statement(authors, with_cursor)
        for kind, authors in (
            ("explore", None),
            ("user", _POSTS.c.user_id == _USER_ID),
        )
        for with_cursor in (False, True)
    },
    # The feed's authors are already filtered (_feed_authors).
    **{
        ("feed", with_cursor): _page_statement(_FEED_AUTHORS, with_cursor, hide=False)
        for with_cursor in (False, True)
    },
    **{
        ("tag", with_cursor): _tag_statement(with_cursor)
        for with_cursor in (False, True)
    },
    **{
        ("replies", with_cursor): _replies_statement(with_cursor)
        for with_cursor in (False, True)
    },
}
# SQLite has no LATERAL, and walks the index once per author for the IN list.
_POSTGRES_STATEMENTS = {
    ("feed", with_cursor): _lateral_feed_statement(with_cursor)
    for with_cursor in (False, True)
}


def _page(
    kind: str,
    cursor: int | None,
    limit: int,
    viewer_id: int | None,
    **params: Any,
) -> Page[PostView]:
    params["limit"] = limit + 1
    params["viewer_id"] = viewer_id
    if cursor is not None:
        params["before"] = cursor
    key = (kind, cursor is not None)
    statement = _STATEMENTS[key]
    if db.engine.dialect.name == "postgresql":
        statement = _POSTGRES_STATEMENTS.get(key, statement)
    return page_of(_views(statement, params), limit)


def feed_page(user: User, before: int | None, limit: int) -> Page[PostView]:
    """Posts by ``user`` and everyone they follow, below ``before``."""
    return _page("feed", before, limit, user.id, user_id=user.id)


def explore_page(
    before: int | None, limit: int, viewer_id: int | None = None
) -> Page[PostView]:
    """Everyone's posts, below ``before``."""
    return _page("explore", before, limit, viewer_id)


def user_posts_page(
    user: User, before: int | None, limit: int, viewer_id: int | None = None
) -> Page[PostView]:
    """``user``'s own posts, below ``before``."""
    return _page("user", before, limit, viewer_id, user_id=user.id)


def tag_page(
    tag: str, before: int | None, limit: int, viewer_id: int | None = None
) -> Page[PostView]:
    """Posts with the tag ``tag`` (its stored, lower-case form), below ``before``."""
    return _page("tag", before, limit, viewer_id, tag=tag)


def replies_page(
    post_id: int, after: int | None, limit: int, viewer_id: int | None = None
) -> Page[PostView]:
    """Replies to the post ``post_id``, oldest first, above ``after``."""
    return _page("replies", after, limit, viewer_id, post_id=post_id)


_ONE = _VIEW_COLUMNS.where(
    _POSTS.c.id == sa.bindparam("post_id", type_=sa.Integer), _NOT_HIDDEN_FROM_VIEWER
)


def view(post_id: int, viewer_id: int | None = None) -> PostView | None:
    """One post as the pages and the API show it, or None."""
    found = _views(_ONE, {"post_id": post_id, "viewer_id": viewer_id})
    return found[0] if found else None


class Thread(NamedTuple):
    above: list[PostView]  # oldest first
    post: PostView
    replies: Page[PostView]


def thread(
    post_id: int, after: int | None, limit: int, viewer_id: int | None
) -> Thread | None:
    """A post with the posts above it and a page of its replies, or None."""
    post = view(post_id, viewer_id)
    if post is None:
        return None
    above = ancestors(post, viewer_id)
    return Thread(above, post, replies_page(post_id, after, limit, viewer_id))


def views(post_ids: Iterable[int], viewer_id: int | None = None) -> list[PostView]:
    """The posts ``post_ids`` that still exist, newest first."""
    ids = list(post_ids)
    if not ids:
        return []
    statement = _VIEW_COLUMNS.where(
        _POSTS.c.id.in_(ids), _NOT_HIDDEN_FROM_VIEWER
    ).order_by(_POSTS.c.id.desc())
    return _views(statement, {"viewer_id": viewer_id})


def _ancestors_statement() -> sa.Select[Any]:
    """The ids above a post, nearest first, up to MAX_ANCESTORS of them."""
    chain = (
        sa.select(_POSTS.c.in_reply_to_id.label("id"), sa.literal(1).label("depth"))
        .where(_POSTS.c.id == sa.bindparam("post_id", type_=sa.Integer))
        .cte("chain", recursive=True)
    )
    step = _POSTS.alias("step")
    chain = chain.union_all(
        sa.select(step.c.in_reply_to_id, chain.c.depth + 1).where(
            step.c.id == chain.c.id, chain.c.depth < MAX_ANCESTORS
        )
    )
    ids = sa.select(chain.c.id).where(chain.c.id.is_not(None))
    return _rows_for(ids, newest_first=False).where(_NOT_HIDDEN_FROM_VIEWER)


_ANCESTORS = _ancestors_statement()


def ancestors(post: PostView, viewer_id: int | None = None) -> list[PostView]:
    """The posts above ``post`` in its thread, oldest first.

    The chain stops at a deleted post (the oldest one shown then answers a
    post that is gone) or after MAX_ANCESTORS posts.
    """
    if post.in_reply_to_id is None:
        return []
    return _views(_ANCESTORS, {"post_id": post.id, "viewer_id": viewer_id})


def page_version(page: Page[PostView]) -> tuple[Any, ...]:
    """What a page of posts shows, as plain values (for ETags)."""
    return (tuple(page.items), page.next_cursor)


def page_of_ids(
    ids: sa.Select[Any], params: dict[str, Any], limit: int, viewer_id: int | None
) -> Page[PostView]:
    """A newest-first page of the posts whose ids ``ids`` picks: at most
    ``limit + 1`` of them, newest first (the extra one tells if more follow).

    For lists built elsewhere (search), in the same one statement as the
    lists here.
    """
    params = {**params, "viewer_id": viewer_id}
    return page_of(_views(_rows_for(ids), params), limit)
