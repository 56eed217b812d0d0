"""The data export zip, written as a stream.

Every list is read in keyset pages of ``CHUNK`` rows and each item is
written to its zip entry as soon as it is read, so memory stays flat however
many posts an account has. Every name inside the zip is fixed here or built
from ids: no user text ever becomes a path.
"""

from __future__ import annotations

import json
import zipfile
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import sqlalchemy as sa
from flask import current_app

from app.extensions import db
from app.media_models import Media
from app.models import (
    Conversation,
    Like,
    Message,
    Post,
    PostVersion,
    User,
    follows,
    post_mentions,
    post_tags,
    table_of,
)
from app.services import media

CHUNK = 1000
# Image suffixes a file in the zip may get; anything else gets none.
IMAGE_SUFFIXES = {".jpg", ".png", ".webp"}

_POSTS = table_of(Post)
_USERS = table_of(User)
_LIKES = table_of(Like)
_VERSIONS = table_of(PostVersion)
_MESSAGES = table_of(Message)
_CONVERSATIONS = table_of(Conversation)
_MEDIA = table_of(Media)

Report = Callable[[int], None]
"""Called with the number of items written since the last call."""


def iso_time(value: datetime | None) -> str | None:
    """ISO 8601 in UTC with a Z."""
    if value is None:
        return None
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def item_count(user_id: int) -> int:
    """How many items the export of ``user_id`` writes: the progress total."""

    def count(table: sa.Table, *where: sa.ColumnElement[bool]) -> int:
        statement = sa.select(sa.func.count()).select_from(table).where(*where)
        return db.session.scalar(statement) or 0

    return (
        count(_POSTS, _POSTS.c.user_id == user_id)
        + count(_LIKES, _LIKES.c.user_id == user_id)
        + count(follows, follows.c.follower_id == user_id)
        + count(follows, follows.c.followed_id == user_id)
        + count(_MESSAGES, _MESSAGES.c.sender_id == user_id)
        + count(_MESSAGES, _MESSAGES.c.recipient_id == user_id)
        + count(_MEDIA, _MEDIA.c.user_id == user_id, _MEDIA.c.post_id.is_not(None))
    )


class JsonArray:
    """A JSON array written item by item to a binary stream."""

    def __init__(self, stream: IO[bytes]) -> None:
        self.stream = stream
        self.count = 0

    def add(self, item: dict[str, Any]) -> None:
        prefix = b"[\n" if self.count == 0 else b",\n"
        self.stream.write(prefix + _dumps(item))
        self.count += 1

    def close(self) -> None:
        self.stream.write(b"[]\n" if self.count == 0 else b"\n]\n")


def _dumps(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False).encode()


def write_archive(path: Path, user_id: int, report: Report) -> None:
    """Write the whole export of ``user_id`` to a zip at ``path``."""
    user = db.session.get(User, user_id)
    if user is None:
        raise LookupError(f"no user {user_id}")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        # Straight from the environment: a job has no request for the
        # context processors (the reader, the CSRF token) to look at.
        readme = current_app.jinja_env.get_template("export/README.txt")
        archive.writestr("README.txt", readme.render(user=user))
        _write_profile(archive, user)
        _write_list(archive, "posts.json", _post_items(user_id), report)
        _write_list(archive, "following.json", _following(user_id), report)
        _write_list(archive, "followers.json", _followers(user_id), report)
        _write_list(archive, "likes.json", _likes(user_id), report)
        _write_list(archive, "messages.json", _messages(user_id), report)
        _write_media(archive, user_id, report)


def _write_list(
    archive: zipfile.ZipFile,
    name: str,
    items: Iterable[dict[str, Any]],
    report: Report,
) -> None:
    with archive.open(name, "w", force_zip64=True) as stream:
        array = JsonArray(stream)
        for item in items:
            array.add(item)
            if array.count % CHUNK == 0:
                report(CHUNK)
        array.close()
    report(array.count % CHUNK)


def _write_profile(archive: zipfile.ZipFile, user: User) -> None:
    avatar = None
    if user.avatar:
        source = media_file(user.avatar)
        if source is not None:
            avatar = "media/avatar" + _suffix(user.avatar)
            archive.write(source, avatar, compress_type=zipfile.ZIP_STORED)
    profile = {
        "username": user.username,
        "email": user.email,
        "about": user.about_me,
        "created_at": iso_time(user.created_at),
        "language": user.language,
        "avatar": avatar,
    }
    archive.writestr("profile.json", _dumps(profile) + b"\n")


def _suffix(name: str) -> str:
    suffix = Path(name).suffix.lower()
    return suffix if suffix in IMAGE_SUFFIXES else ""


def media_file(name: str) -> Path | None:
    """The stored picture ``name`` under MEDIA_ROOT, if the file is there."""
    try:
        path = media.path_for(name)
    except ValueError:  # not a stored file's name: nothing to copy
        return None
    return path if path.is_file() else None


def _pages(
    statement: sa.Select[Any], key: sa.ColumnElement[Any], start: Any = 0
) -> Iterator[Sequence[sa.Row[Any]]]:
    """``statement``'s rows in pages of CHUNK, by ascending ``key`` (keyset).

    ``key`` must be the last column selected.
    """
    last = start
    while True:
        rows = db.session.execute(
            statement.where(key > last).order_by(key).limit(CHUNK)
        ).all()
        if not rows:
            return
        yield rows
        last = rows[-1][-1]
        if len(rows) < CHUNK:
            return


def _post_items(user_id: int) -> Iterator[dict[str, Any]]:
    statement = sa.select(
        _POSTS.c.body,
        _POSTS.c.created_at,
        _POSTS.c.in_reply_to_id,
        _POSTS.c.edited_at,
        _POSTS.c.like_count,
        _POSTS.c.reply_count,
        _POSTS.c.id,
    ).where(_POSTS.c.user_id == user_id)
    for rows in _pages(statement, _POSTS.c.id):
        ids = [row.id for row in rows]
        tags = _grouped(
            sa.select(post_tags.c.post_id, post_tags.c.tag)
            .where(post_tags.c.post_id.in_(ids))
            .order_by(post_tags.c.tag)
        )
        mentions = _grouped(
            sa.select(post_mentions.c.post_id, _USERS.c.username)
            .join_from(post_mentions, _USERS, post_mentions.c.user_id == _USERS.c.id)
            .where(post_mentions.c.post_id.in_(ids))
            .order_by(_USERS.c.username)
        )
        history = _grouped(
            sa.select(
                _VERSIONS.c.post_id,
                _VERSIONS.c.body,
                _VERSIONS.c.written_at,
                _VERSIONS.c.replaced_at,
            )
            .where(_VERSIONS.c.post_id.in_(ids))
            .order_by(_VERSIONS.c.id),
            lambda row: {
                "body": row.body,
                "written_at": iso_time(row.written_at),
                "replaced_at": iso_time(row.replaced_at),
            },
        )
        media = post_media(ids)
        for row in rows:
            yield {
                "id": row.id,
                "body": row.body,
                "created_at": iso_time(row.created_at),
                "in_reply_to": row.in_reply_to_id,
                "edited_at": iso_time(row.edited_at),
                "tags": tags.get(row.id, []),
                "mentions": mentions.get(row.id, []),
                "like_count": row.like_count,
                "reply_count": row.reply_count,
                "history": history.get(row.id, []),
                "media": media.get(row.id, []),
            }


def _grouped(
    statement: sa.Select[Any],
    shape: Callable[[sa.Row[Any]], Any] = lambda row: row[1],
) -> dict[int, list[Any]]:
    """Rows of ``statement`` (post id first) as lists per post id."""
    grouped: dict[int, list[Any]] = defaultdict(list)
    for row in db.session.execute(statement):
        grouped[row[0]].append(shape(row))
    return grouped


def _media_rows(where: sa.ColumnElement[bool]) -> sa.Select[Any]:
    return sa.select(
        _MEDIA.c.post_id,
        _MEDIA.c.position,
        _MEDIA.c.name,
        _MEDIA.c.alt,
        _MEDIA.c.width,
        _MEDIA.c.height,
        _MEDIA.c.content_type,
        _MEDIA.c.id,
    ).where(where)


def media_path(post_id: int, position: int, name: str) -> str:
    """The picture's name inside the zip: built from ids, never user text."""
    return f"media/{post_id}-{position + 1}{_suffix(name)}"


def post_media(post_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    """The pictures of these posts, per post in order, as posts.json lists
    them; ``file`` is null when the stored file is missing."""
    statement = _media_rows(_MEDIA.c.post_id.in_(post_ids)).order_by(
        _MEDIA.c.post_id, _MEDIA.c.position
    )
    return _grouped(
        statement,
        lambda row: {
            "file": media_path(row.post_id, row.position, row.name)
            if media_file(row.name) is not None
            else None,
            "alt": row.alt,
            "width": row.width,
            "height": row.height,
            "content_type": row.content_type,
        },
    )


def _write_media(archive: zipfile.ZipFile, user_id: int, report: Report) -> None:
    """Copy the files of ``user_id``'s post pictures into media/."""
    statement = _media_rows(
        sa.and_(_MEDIA.c.user_id == user_id, _MEDIA.c.post_id.is_not(None))
    )
    for rows in _pages(statement, _MEDIA.c.id):
        for row in rows:
            source = media_file(row.name)
            if source is not None:
                # Pictures are compressed already (so is the avatar):
                # deflating them again would cost time for nothing.
                archive.write(
                    source,
                    media_path(row.post_id, row.position, row.name),
                    compress_type=zipfile.ZIP_STORED,
                )
        report(len(rows))


def _people(
    own: sa.Column[int], other: sa.Column[int], user_id: int
) -> Iterator[dict[str, Any]]:
    statement = (
        sa.select(_USERS.c.username, follows.c.created_at, other)
        .join_from(follows, _USERS, other == _USERS.c.id)
        .where(own == user_id)
    )
    for rows in _pages(statement, other):
        for row in rows:
            yield {"username": row.username, "since": iso_time(row.created_at)}


def _following(user_id: int) -> Iterator[dict[str, Any]]:
    return _people(follows.c.follower_id, follows.c.followed_id, user_id)


def _followers(user_id: int) -> Iterator[dict[str, Any]]:
    return _people(follows.c.followed_id, follows.c.follower_id, user_id)


def _likes(user_id: int) -> Iterator[dict[str, Any]]:
    # By post id: the unique (user_id, post_id) index serves the pages.
    statement = (
        sa.select(
            _LIKES.c.created_at,
            _POSTS.c.body,
            _POSTS.c.created_at.label("post_created_at"),
            _USERS.c.username,
            _LIKES.c.post_id,
        )
        .join_from(_LIKES, _POSTS, _LIKES.c.post_id == _POSTS.c.id)
        .join(_USERS, _POSTS.c.user_id == _USERS.c.id)
        .where(_LIKES.c.user_id == user_id)
    )
    for rows in _pages(statement, _LIKES.c.post_id):
        for row in rows:
            yield {
                "liked_at": iso_time(row.created_at),
                "post": {
                    "id": row.post_id,
                    "author": row.username,
                    "body": row.body,
                    "created_at": iso_time(row.post_created_at),
                },
            }


def _messages(user_id: int) -> Iterator[dict[str, Any]]:
    """Every message sent or received, one conversation after another.

    Read per conversation so each page comes from the (sender, recipient,
    id) index in both directions, never from a scan of all messages.
    """
    partners = (
        sa.select(_USERS.c.username, _CONVERSATIONS.c.other_id)
        .join_from(_CONVERSATIONS, _USERS, _CONVERSATIONS.c.other_id == _USERS.c.id)
        .where(_CONVERSATIONS.c.owner_id == user_id)
    )
    names = {user_id: _username(user_id)}
    for partner_rows in _pages(partners, _CONVERSATIONS.c.other_id):
        for partner in partner_rows:
            names[partner.other_id] = partner.username
            pair = sa.or_(
                sa.and_(
                    _MESSAGES.c.sender_id == user_id,
                    _MESSAGES.c.recipient_id == partner.other_id,
                ),
                sa.and_(
                    _MESSAGES.c.sender_id == partner.other_id,
                    _MESSAGES.c.recipient_id == user_id,
                ),
            )
            statement = sa.select(
                _MESSAGES.c.sender_id,
                _MESSAGES.c.recipient_id,
                _MESSAGES.c.body,
                _MESSAGES.c.created_at,
                _MESSAGES.c.read,
                _MESSAGES.c.id,
            ).where(pair)
            for rows in _pages(statement, _MESSAGES.c.id):
                for row in rows:
                    yield {
                        "id": row.id,
                        "with": partner.username,
                        "from": names[row.sender_id],
                        "to": names[row.recipient_id],
                        "body": row.body,
                        "created_at": iso_time(row.created_at),
                        "read": row.read,
                    }
            del names[partner.other_id]


def _username(user_id: int) -> str:
    statement = sa.select(_USERS.c.username).where(_USERS.c.id == user_id)
    return db.session.scalar(statement) or ""
