"""Writing posts: publishing, replying, editing with history, deleting.

What a post's text names (mentions, tags) is stored when it is written or
edited, and its notifications go out in the same transaction. Reading posts
is :mod:`app.services.timelines`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import NamedTuple

import sqlalchemy as sa

from app import validation
from app.db_types import utcnow
from app.extensions import db
from app.media_models import MEDIA_PER_POST
from app.models import Post, PostVersion, User, post_mentions, post_tags, table_of
from app.pagination import Page, page_of
from app.services import blocks, media, notifications, post_text
from app.services.errors import DomainError, Forbidden, NotFound, checked

NO_SUCH_POST = "That post does not exist (any more)."
UNAVAILABLE = "This post is unavailable."
_POSTS = table_of(Post)
_USERS = table_of(User)


def get(post_id: int) -> Post | None:
    """The post, unless it is gone or hidden (its author is suspended)."""
    post = db.session.get(Post, post_id)
    if post is None or post.author.is_suspended:
        return None
    return post


def missing_message(post_id: int) -> str:
    """Why ``post_id`` cannot be shown: it is gone, or it is hidden."""
    return UNAVAILABLE if db.session.get(Post, post_id) is not None else NO_SUCH_POST


def get_or_fail(post_id: int) -> Post:
    """:raises NotFound: when there is no such post (or it was deleted)."""
    post = get(post_id)
    if post is None:
        raise NotFound(NO_SUCH_POST)
    return post


def move_counter(post_id: int, counter: str, change: int) -> None:
    """Add ``change`` to a post's ``reply_count`` or ``like_count`` in one
    UPDATE (no read first, so concurrent changes add up); no commit."""
    column = _POSTS.c[counter]
    db.session.execute(
        sa.update(_POSTS)
        .where(_POSTS.c.id == post_id)
        .values({column: column + change})
    )


def publish(
    author: User,
    body: str,
    in_reply_to: int | None = None,
    uploads: Sequence[media.Upload] = (),
    media_ids: Sequence[int] = (),
) -> Post:
    """Publish ``body`` (trimmed, 1–280 characters) as ``author``, as a reply
    to the post ``in_reply_to`` when given, with up to four pictures: new
    ``uploads`` and ``author``'s unattached API uploads ``media_ids``. A
    post with pictures may have no text.

    :raises DomainError: with field "body" when the text is empty (and
        there is no picture), too long or holds control characters; with
        "images" or "media_ids" when there are too many pictures or one of
        ``media_ids`` is not the author's to use.
    :raises NotFound: when the post to reply to does not exist.
    :raises Forbidden: when a block stands between ``author`` and the
        author of that post, however old it is.
    """
    with_pictures = bool(uploads or media_ids)
    clean = validation.clean_post_text if with_pictures else validation.clean_post_body
    body = checked(clean, "body", body)
    if len(uploads) + len(media_ids) > MEDIA_PER_POST:
        raise media.too_many()
    parent = get_or_fail(in_reply_to) if in_reply_to is not None else None
    if parent is not None:
        blocks.refuse_if_blocked(author.id, parent.user_id)
    post = Post(author=author, body=body, in_reply_to_id=in_reply_to)
    db.session.add(post)
    db.session.flush()
    if with_pictures:
        try:
            media.attach(post, uploads, media_ids)
        except DomainError:
            db.session.rollback()
            raise
    mentioned = _store_names(post, post_text.names(body))
    if parent is not None:
        move_counter(parent.id, "reply_count", 1)
        notifications.notify("reply", author.id, [parent.user_id], post.id)
        # The reply notification already tells the parent's author.
        mentioned = [user_id for user_id in mentioned if user_id != parent.user_id]
    # A mention across a block stays text that links to the profile, but
    # notifies nobody.
    mentioned = blocks.without_blocked(author.id, mentioned)
    notifications.notify("mention", author.id, mentioned, post.id)
    db.session.commit()
    return post


def edit(post: Post, user: User, body: str) -> Post:
    """Replace ``post``'s text, keeping the old one in its history.

    Mentions and tags follow the new text: newly mentioned people are
    notified, and unread mentions of people edited out are taken back.

    :raises Forbidden: when ``user`` did not write ``post``.
    :raises DomainError: with field "body", as for :func:`publish`.
    """
    if post.user_id != user.id:
        raise Forbidden("You can only edit your own posts.")
    # A post with pictures may lose its text, as it could be written without.
    clean = (
        validation.clean_post_text if post.media_count else validation.clean_post_body
    )
    body = checked(clean, "body", body)
    if body == post.body:
        return post
    now = utcnow()
    db.session.add(
        PostVersion(
            post_id=post.id,
            body=post.body,
            written_at=post.edited_at or post.created_at,
            replaced_at=now,
        )
    )
    before = _mentioned_ids(post.id)
    db.session.execute(
        sa.delete(post_mentions).where(post_mentions.c.post_id == post.id)
    )
    db.session.execute(sa.delete(post_tags).where(post_tags.c.post_id == post.id))
    post.body = body
    post.edited_at = now
    mentioned = _store_names(post, post_text.names(body))
    gone = set(before) - set(mentioned)
    if gone:
        notifications.withdraw("mention", user.id, post.id, gone)
    added = blocks.without_blocked(user.id, [i for i in mentioned if i not in before])
    notifications.notify("mention", user.id, added, post.id)
    db.session.commit()
    return post


def _mentioned_ids(post_id: int) -> list[int]:
    return list(
        db.session.scalars(
            sa.select(post_mentions.c.user_id).where(post_mentions.c.post_id == post_id)
        )
    )


def _store_names(post: Post, names: post_text.Names) -> list[int]:
    """Store the tags and the mentions of existing users; return the ids of
    the users mentioned (unknown names stay plain text)."""
    if names.tags:
        db.session.execute(
            sa.insert(post_tags),
            [{"tag": tag, "post_id": post.id} for tag in names.tags],
        )
    if not names.mentions:
        return []
    user_ids = list(
        db.session.scalars(
            sa.select(_USERS.c.id).where(_USERS.c.username_key.in_(names.mentions))
        )
    )
    if user_ids:
        db.session.execute(
            sa.insert(post_mentions),
            [{"post_id": post.id, "user_id": user_id} for user_id in user_ids],
        )
    return user_ids


def delete(post: Post, user: User) -> None:
    """Delete ``post`` on behalf of ``user``. Its replies stay, under "a
    deleted post"; its likes, tags, mentions, history and notifications go.

    :raises Forbidden: when ``user`` did not write it.
    """
    if post.user_id != user.id:
        raise Forbidden("You can only delete your own posts.")
    if post.in_reply_to_id is not None:
        move_counter(post.in_reply_to_id, "reply_count", -1)
    files = media.names_of_posts([post.id]) if post.media_count else []
    # The media rows go with the post (ON DELETE CASCADE).
    db.session.execute(sa.delete(_POSTS).where(_POSTS.c.id == post.id))
    db.session.commit()
    db.session.expunge(post)
    media.remove_unused(files)


class Version(NamedTuple):
    id: int
    body: str
    written_at: datetime
    replaced_at: datetime


def history_page(post_id: int, before: int | None, limit: int) -> Page[Version]:
    """The earlier texts of the post ``post_id``, newest first."""
    versions = table_of(PostVersion)
    statement = (
        sa.select(
            versions.c.id,
            versions.c.body,
            versions.c.written_at,
            versions.c.replaced_at,
        )
        .where(versions.c.post_id == post_id)
        .order_by(versions.c.id.desc())
        .limit(limit + 1)
    )
    if before is not None:
        statement = statement.where(versions.c.id < before)
    return page_of([Version._make(row) for row in db.session.execute(statement)], limit)
